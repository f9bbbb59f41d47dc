"""Shared fixtures: app, client, runner, socket clients, SMTP server, make_* builders."""

import os
import secrets
import socket
import threading
from datetime import timedelta

import pytest

from workshop import create_app
from workshop.accounts.service import save_facilitator
from workshop.extensions import db, socketio
from workshop.live import service as live
from workshop.models import utcnow
from workshop.planner.models import Workshop
from workshop.realtime import pulse
from workshop.registration import service as registration

PASSWORD = "correct horse battery"
IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip with a clear reason when a service is absent - but fail under CI=true."""
    if not condition:
        if IN_CI:
            pytest.fail(f"required under CI: {reason}")
        pytest.skip(reason)


def free_port() -> int:
    """A free loopback port (bind to 0: Chromium refuses some fixed ports)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(tmp_path) -> str:
    """PostgreSQL when DATABASE_URL is set (the second CI run: this run's own database, see below), else a fresh
    SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture(scope="session", autouse=True)
def run_database():
    """In the PostgreSQL pass, a database of this run's own on DATABASE_URL's server: tests drop and create every
    table, so two runs sharing one database (two checkouts, two CI jobs on one server) would wipe each other.

    DATABASE_URL (the Makefile passes PG_TEST_URL) names the server and a database to connect to; this session
    creates `test_<pid>_<random>` there, points DATABASE_URL at it, and drops it at the end."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield None
        return
    from sqlalchemy import create_engine, make_url, text

    name = f"test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection error: the reason goes into the skip/failure
        admin.dispose()
        need(False, f"PostgreSQL at DATABASE_URL={make_url(base)!r} could not create a test database: {exc}")
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def app(tmp_path):
    """A fresh app and empty database per test."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path),
        "SOCKETIO_ASYNC_MODE": "threading",
        "WTF_CSRF_ENABLED": False,
        "LIVE_PULSE": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": None,
        "SERVER_NAME": "workshop.test",
        "REDIS_URL": None,
    })
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()  # else each test's pool keeps its PostgreSQL connections open (max_connections)
    pulse.stop(app)


@pytest.fixture
def client(app):
    """HTTP test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_facilitator(app):
    """Build facilitator accounts."""
    counter = iter(range(1, 10_000))

    def build(email=None, name=None):
        n = next(counter)
        return save_facilitator(email or f"host{n}@example.org", PASSWORD, name or f"Host {n}")

    return build


@pytest.fixture
def make_workshop(app, make_facilitator):
    """Build workshops (registration open, starting in a week)."""
    counter = iter(range(1, 10_000))

    def build(facilitator=None, **fields):
        n = next(counter)
        start = utcnow().replace(microsecond=0) + timedelta(days=7)
        values = {"slug": f"workshop-{n}", "title": f"Workshop {n}", "description": "About things.", "venue": "Room 1",
                  "starts_at": start, "ends_at": start + timedelta(hours=2), "capacity": 30, "join_code": f"CODE{n}"}
        values.update(fields)
        workshop = Workshop(**values)
        workshop.facilitators = [facilitator or make_facilitator()]
        db.session.add(workshop)
        db.session.commit()
        return workshop

    return build


@pytest.fixture
def make_registration(app):
    """Register attendees through the service (as the form does)."""
    counter = iter(range(1, 10_000))

    def build(workshop, **fields):
        n = next(counter)
        data = {"name": f"Person {n}", "email": f"person{n}@example.org", "organisation": "Org",
                "stance": workshop.stances[0], "needs": ""}
        data.update(fields)
        with app.test_request_context():
            return registration.register_attendee(workshop, data)

    return build


@pytest.fixture
def make_participant(app):
    """Phones in the room."""

    def build(workshop, stance=None):
        return live.create_participant(workshop, stance)

    return build


@pytest.fixture
def make_poll(app):
    """Prepared polls."""

    def build(workshop, kind="verdict", prompt="Snog, marry or avoid?", options=None, show_live=False):
        if options is None:
            options = {"verdict": [], "classic": ["A", "B", "C"], "choice": ["Yes", "No"]}[kind]
        return live.create_poll(workshop, kind, prompt, options, show_live)

    return build


def login(client, user):
    """Sign a facilitator in through the real login form."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return client


@pytest.fixture
def socket_client(app):
    """Open Flask-SocketIO test clients; closed at teardown."""
    opened = []

    def connect(namespace="/live", auth=None, http=None):
        sc = socketio.test_client(app, namespace=namespace, auth=auth, flask_test_client=http)
        opened.append((sc, namespace))
        return sc

    yield connect
    for sc, namespace in opened:
        if sc.is_connected(namespace):
            sc.disconnect(namespace)


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback (aiosmtpd); the app sends to it; returns the inbox."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []
            self.arrived = threading.Condition()

        async def handle_DATA(self, server, session, envelope):
            with self.arrived:
                self.messages.append(envelope)
                self.arrived.notify_all()
            return "250 OK"

        def wait_for(self, count, timeout=10):
            with self.arrived:
                self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
            return self.messages

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    controller.stop()
