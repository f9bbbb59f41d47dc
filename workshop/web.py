"""Cross-cutting HTTP concerns: security headers, request ids, errors, template helpers."""

import logging
import uuid

from flask import Flask, abort, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from .sessions import SessionInterface

log = logging.getLogger("workshop")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_web(app: Flask) -> None:
    """Install hooks, error handlers and Jinja filters."""
    app.session_interface = SessionInterface()
    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.before_request(_assign_request_id)
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.jinja_env.filters["local"] = _local_time


def _assign_request_id() -> None:
    g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]


def _refuse_nul() -> None:
    # No browser sends NUL in a form, and PostgreSQL cannot store it: refuse it before any view runs.
    values = [request.path, *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype != "application/json":
        values += request.form.values()
    if any("\x00" in v for v in values):
        abort(400, description="Text cannot contain NUL characters.")


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")  # the projector's preview sets SAMEORIGIN
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def _http_error(error: HTTPException):
    if request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/"):
        return {"error": error.description, "status": error.code}, error.code
    return render_template("errors/error.html", error=error), error.code


def _csrf_error(error: CSRFError):
    return render_template("errors/error.html", error=error), 400


def _local_time(value, workshop, fmt="%a %d %b %Y, %H:%M"):
    local = workshop.local(value)
    return local.strftime(fmt) if local else ""


def _unexpected_error(error: Exception):
    # Last line of defence: log with the request id, show a friendly page.
    log.exception("unhandled error request_id=%s", g.get("request_id"))
    return render_template("errors/error.html", error=None), 500
