"""Home page, health check, privacy notice and favicon."""

from flask import Blueprint, current_app, render_template, send_from_directory
from sqlalchemy import select, text

from .extensions import db
from .models import utcnow
from .planner.models import Workshop

bp = Blueprint("core", __name__)


@bp.route("/")
def index():
    """Upcoming workshops and the join box."""
    workshops = db.session.scalars(select(Workshop).where(Workshop.ends_at >= utcnow()).order_by(Workshop.starts_at)).all()
    return render_template("index.html", workshops=workshops)


@bp.route("/privacy")
def privacy():
    """The privacy notice the registration form's consent box names."""
    return render_template("privacy.html")


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links: serve it instead of a 404."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)


@bp.route("/healthz")
def healthz():
    """200 with {"status": "ok"} once the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means unhealthy
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok"}


@bp.route("/socket.io/", endpoint="socketio_websocket", websocket=True)
@bp.route("/socket.io/")
def socketio_path():
    """Never served: python-engineio's middleware answers /socket.io/ before Flask routes.

    It exists because Flask-SocketIO builds a request context from the handshake for every event, and
    Flask matches its URL each time: with no rule for it, each event raised and kept a NotFound whose
    traceback is a reference cycle. ~26 cyclic objects per vote fed the garbage collector's pauses
    (docs/performance.md); matching rules (werkzeug matches websocket handshakes only to websocket
    rules) make the per-event match allocation-light.
    """
    return {"error": "Socket.IO endpoint"}, 404
