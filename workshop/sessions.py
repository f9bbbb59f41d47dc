"""Flask's signed-cookie session, without repeating its work on every Socket.IO event.

Flask-SocketIO runs each event in a fresh request context built from the socket's handshake environ,
so Flask would verify and decode the handshake's cookie again for every vote, and then Flask-SocketIO
swaps in the socket's own session copy anyway (``manage_session``). Profiled at 1,500 votes/s this
was ~8 % of the server's CPU: the cookie is now read once per socket, and the signing serializer is
built once per secret key instead of once per request.
"""

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookies as in Flask; cheap on Socket.IO events."""

    def __init__(self):
        self._serializers: dict = {}

    def get_signing_serializer(self, app: Flask):
        """Flask's serializer, cached per (secret key, fallbacks)."""
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if key not in self._serializers:
            self._serializers = {key: super().get_signing_serializer(app)}  # a key change drops the old one
        return self._serializers[key]

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        """The socket's session after its first event (set by Flask-SocketIO); else the cookie's."""
        saved = request.environ.get("saved_session")
        return saved if saved is not None else super().open_session(app, request)
