"""HTTP defences: CSRF, security headers, cookies, proxy/HTTPS, password hashing, payload size, socket origins."""

import re

import pytest

from tests.conftest import PASSWORD, login
from workshop import create_app
from workshop.extensions import db
from workshop.registration.models import Registration

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, path: str) -> str:
    """The hidden token from a page's form, as a browser would submit it."""
    match = TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, path
    return match.group(1) or match.group(2)


@pytest.fixture
def csrf_on(app):
    """The app with CSRF enforcement on (the shared fixture turns it off for convenience)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def _registration(workshop, token=None) -> dict:
    data = {"name": "Eve", "email": "eve@example.org", "stance": workshop.stances[0], "consent": "y"}
    return data | ({"csrf_token": token} if token else {})


def test_state_changing_posts_without_token_are_refused(csrf_on, client, world):
    """Registration, joining, login, logout, facilitator actions: 400 without the token, nothing written."""
    posts = [(f"/w/{world.b.slug}", _registration(world.b)), (f"/j/{world.b.join_code}", {"stance": ""}),
             ("/login", {"email": world.bob.email, "password": PASSWORD}),
             (f"/r/{world.registration.manage_token}/delete", {}), (f"/planner/{world.b.slug}/report/purge", {})]
    for path, data in posts:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert b"CSRF" in response.data
    assert db.session.query(Registration).count() == 1


def test_forged_post_from_signed_in_facilitator_is_refused(csrf_on, app, world):
    client = app.test_client()
    token = csrf_token(client, "/login")
    assert client.post("/login", data={"email": world.bob.email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    response = client.post(f"/planner/{world.b.slug}/clone", data={})
    assert response.status_code == 400 and b"CSRF token is missing" in response.data
    response = client.post(f"/planner/{world.b.slug}/clone", data={"csrf_token": "forged"})
    assert response.status_code == 400


def test_posts_with_the_page_token_work(csrf_on, client, world):
    token = csrf_token(client, f"/w/{world.b.slug}")
    response = client.post(f"/w/{world.b.slug}", data=_registration(world.b, token))
    assert response.status_code == 302
    assert db.session.query(Registration).count() == 2


@pytest.mark.parametrize("path", ["/", "/login", "/join", "/healthz", "/static/css/app.css", "/nowhere",
                                  "/w/workshop-2", "/live/CODE2/screen", "/api/w/NOPE/participants"])
def test_security_headers_on_every_response(client, world, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert re.fullmatch(r"[0-9a-f]{12}", response.headers["X-Request-Id"])


def test_pages_carry_no_inline_script(client, world):
    login(client, world.bob)
    pages = ["/", "/login", "/join", f"/w/{world.b.slug}", f"/j/{world.b.join_code}", f"/live/{world.b.join_code}/screen",
             f"/planner/{world.b.slug}", f"/planner/{world.b.slug}/control", f"/planner/{world.b.slug}/door",
             f"/planner/{world.b.slug}/polls", f"/planner/{world.b.slug}/report"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), path
        assert "javascript:" not in html, path


def test_session_cookie_httponly_and_lax(client, world):
    response = client.post("/login", data={"email": world.bob.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_behind_https_proxy_cookie_is_secure_and_scheme_from_proxy(monkeypatch, tmp_path):
    monkeypatch.setenv("PREFERRED_URL_SCHEME", "https")
    monkeypatch.setenv("BEHIND_PROXY", "1")
    app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite'}",
                      "WTF_CSRF_ENABLED": False})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.app_context():
        db.create_all()
        from workshop.accounts.service import save_facilitator

        user = save_facilitator("proxy@example.org", PASSWORD, "P")
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "workshop.example.org", "X-Forwarded-For": "203.0.113.9"}
    response = client.post("/login?next=/planner/", data={"email": user.email, "password": PASSWORD}, headers=headers)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert response.headers["Location"] in ("/planner/", "https://workshop.example.org/planner/")
    response = client.get("/planner/new", headers=headers)
    assert response.status_code == 200


def test_passwords_are_hashed_with_scrypt(world):
    assert world.bob.password_hash.startswith("scrypt:")
    assert PASSWORD not in world.bob.password_hash


def test_oversized_form_and_json_refused_early(client, world):
    big = "x" * (1024 * 1024)
    response = client.post(f"/w/{world.b.slug}", data={"name": big})
    assert response.status_code == 413 and b"<h1>" in response.data
    response = client.post(f"/api/w/{world.b.join_code}/participants", data=big, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["status"] == 413


# --- Socket.IO: origin and buffer size, through the real engine.io WSGI middleware ---------------------

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def test_socket_connection_from_another_origin_refused(client):
    assert client.get(HANDSHAKE, headers={"Origin": "https://evil.example"}).status_code == 400
    assert client.get(HANDSHAKE, headers={"Origin": "http://workshop.test"}).status_code == 200


def test_configured_origins_only(tmp_path):
    app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'o.sqlite'}",
                      "CORS_ALLOWED_ORIGINS": ["https://workshop.example.org"], "SOCKETIO_ASYNC_MODE": "threading"})
    client = app.test_client()
    assert client.get(HANDSHAKE, headers={"Origin": "https://workshop.example.org"}).status_code == 200
    assert client.get(HANDSHAKE, headers={"Origin": "https://evil.example"}).status_code == 400


def test_config_never_allows_every_origin(monkeypatch, tmp_path):
    from workshop.extensions import socketio

    monkeypatch.delenv("CORS_ALLOWED_ORIGINS", raising=False)
    create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite'}",
                "SOCKETIO_ASYNC_MODE": "threading"})
    assert socketio.server.eio.cors_allowed_origins in (None, [])
    assert socketio.server.eio.max_http_buffer_size == 64 * 1024

