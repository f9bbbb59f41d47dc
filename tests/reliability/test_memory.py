"""What keeps a long session's memory flat (docs/performance.md, Soak)."""

import gc

from workshop.web import RawSocketOnlyForWebsockets


def _seen(environ: dict) -> dict:
    """The environ as the app behind the middleware sees it."""
    seen = {}

    def app(env, _start_response):
        seen.update(env)
        return [b""]

    RawSocketOnlyForWebsockets(app)(environ, lambda *_a: None)
    return seen


def test_only_a_websocket_handshake_carries_the_raw_socket():
    raw = object()
    assert "gunicorn.socket" not in _seen({"gunicorn.socket": raw, "PATH_INFO": "/live/SNOG"})
    upgrade = _seen({"gunicorn.socket": raw, "HTTP_UPGRADE": "WebSocket", "PATH_INFO": "/socket.io/"})
    assert upgrade["gunicorn.socket"] is raw


def test_plain_requests_leave_no_classes_behind(app):
    """Engine.IO's middleware defines a class per request that carries gunicorn's socket: none are made."""
    client, before = app.test_client(), _input_classes()
    for _ in range(50):
        client.get("/healthz", environ_base={"gunicorn.socket": object()})
    assert _input_classes() == before


def _input_classes() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, type) and obj.__qualname__.endswith("<locals>.Input"))
