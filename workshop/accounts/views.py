"""Login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..ratelimit import limit
from .forms import LoginForm
from .service import authenticate, sign_out

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign a facilitator in."""
    form = LoginForm()
    if form.validate_on_submit():
        if not limit("login", request.remote_addr or "?", 10, 300):
            form.email.errors.append("Too many sign-in attempts. Wait five minutes and try again.")
        elif user := authenticate(form.email.data, form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        else:
            form.password.errors.append("That email and password do not match.")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere: this browser, other devices and open control screens."""
    sign_out(current_user)
    logout_user()  # its user_logged_out signal closes this process's control sockets (live/events.py)
    flash("You are signed out.", "info")
    return redirect(url_for("core.index"))


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: no open redirect.
    if target and target.startswith("/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("planner.index")
