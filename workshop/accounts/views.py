"""Login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .forms import LoginForm
from .service import authenticate, sign_in_failed, sign_in_succeeded, sign_in_wait, sign_out

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign a facilitator in; limited per account and per address (429 with Retry-After)."""
    form = LoginForm()
    if current_user.is_authenticated and (request.method == "GET" or _same_account(form.email.data)):
        # Signed in already (session or remember-me cookie): this device is never locked out by others' failures.
        return redirect(_safe_next(request.args.get("next")))
    if form.validate_on_submit():
        address = request.remote_addr or "?"
        if wait := sign_in_wait(form.email.data, address):
            return _limited(form, wait)
        if user := authenticate(form.email.data, form.password.data):
            sign_in_succeeded(form.email.data)
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        if wait := sign_in_failed(form.email.data, address):
            return _limited(form, wait)
        form.password.errors.append("That email and password do not match.")
    return render_template("accounts/login.html", form=form)


def _same_account(email) -> bool:
    return isinstance(email, str) and email.strip().lower() == current_user.email


def _limited(form: LoginForm, wait: int):
    minutes = max(1, -(-wait // 60))
    form.email.errors.append(f"Too many sign-in attempts. Try again in {minutes} minute{'s' * (minutes > 1)}.")
    page = render_template("accounts/login.html", form=form)
    return page, 429, {"Retry-After": str(wait)}


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out everywhere: this browser, other devices and open control screens."""
    sign_out(current_user)
    logout_user()  # its user_logged_out signal closes this process's control sockets (live/events.py, connected in create_app)
    flash("You are signed out.", "info")
    return redirect(url_for("core.index"))


def _safe_next(target: str | None) -> str:
    # Only same-site relative paths: no open redirect.
    if target and target.startswith("/") and not urlsplit(target).netloc and "//" not in target:
        return target
    return url_for("planner.index")
