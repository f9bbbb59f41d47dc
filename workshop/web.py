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

HSTS = "max-age=31536000; includeSubDomains"


def init_web(app: Flask) -> None:
    """Install hooks, error handlers and Jinja filters."""
    app.session_interface = SessionInterface()
    if app.config.get("PREFERRED_URL_SCHEME") == "https":
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
    app.wsgi_app = SecureCookies(app.wsgi_app)  # inside ProxyFix: it sees the scheme the proxy reported
    app.wsgi_app = RawSocketOnlyForWebsockets(app.wsgi_app)
    if app.config.get("BEHIND_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.before_request(_assign_request_id)
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.jinja_env.filters["local"] = _local_time


class RawSocketOnlyForWebsockets:
    """WSGI middleware: gunicorn's raw socket stays in the environ only for websocket handshakes.

    Engine.IO's middleware defines a new class on every request that carries ``gunicorn.socket`` (to hand
    it on in eventlet's format, which nothing here uses); those classes are cyclic garbage that waits for
    a full collection. The soak counted two a second piling up, the largest part of its memory trend.
    Only the websocket handshake (simple-websocket) reads the socket.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if "gunicorn.socket" in environ and environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            del environ["gunicorn.socket"]
        return self.wsgi_app(environ, start_response)


class SecureCookies:
    """WSGI middleware: every cookie set on a request that came in over https is marked ``Secure``.

    Covers the session, Flask-Login's remember-me cookie and any other, whoever sets it (Flask sets the
    session cookie after every after_request hook has run, so a hook could not see it).
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            headers = [(name, _secure(value) if name.lower() == "set-cookie" else value) for name, value in headers]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def _secure(cookie: str) -> str:
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    return cookie if "secure" in attributes else cookie + "; Secure"


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
    if request.is_secure:  # browsers ignore HSTS over plain http; over https it pins the site to https
        response.headers.setdefault("Strict-Transport-Security", HSTS)
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
