"""The app starts, answers health checks and renders its public pages."""

from tests.conftest import login


def test_healthz_checks_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_security_headers_on_every_response(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_unknown_pages_are_friendly_404s(client):
    for path in ("/w/nope", "/r/not-a-token", "/t/XXXX", "/j/NOPE", "/live/NOPE/screen"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"<h1>" in response.data


def test_facilitator_pages_render(client, make_workshop, make_facilitator, make_poll):
    host = make_facilitator()
    workshop = make_workshop(host)
    make_poll(workshop)
    login(client, host)
    for path in ("/planner/", f"/planner/{workshop.slug}", f"/planner/{workshop.slug}/agenda",
                 f"/planner/{workshop.slug}/polls", f"/planner/{workshop.slug}/facilitators",
                 f"/planner/{workshop.slug}/door", f"/planner/{workshop.slug}/control", "/planner/new"):
        assert client.get(path).status_code == 200, path


def test_join_rate_comes_from_the_environment(monkeypatch, tmp_path):
    from workshop.config import DEFAULTS, from_environment

    assert DEFAULTS["JOIN_RATE"] == (2000, 60)  # a venue's Wi-Fi may put the whole room behind one address
    monkeypatch.setenv("JOIN_RATE", "50/30")
    assert from_environment(str(tmp_path))["JOIN_RATE"] == (50, 30)
    monkeypatch.delenv("JOIN_RATE")
    assert "JOIN_RATE" not in from_environment(str(tmp_path))
