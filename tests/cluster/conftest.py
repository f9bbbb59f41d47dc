"""Real clusters for integration tests: scripts/cluster.sh (nginx + gunicorn processes), PostgreSQL, Redis.

Each test module gets its own cluster on free ports, a freshly migrated PostgreSQL database
(`flask setup` runs the Alembic history on it) and its own Redis namespace.
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
import requests
import socketio
from psycopg import sql

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
# CLUSTER_DATABASE_URL names the server and a prefix: each run gets its own database (<prefix>_<pid>_<random>),
# dropped at the end, so two runs on one server do not wipe each other's.
PG_BASE_URL = os.environ.get("CLUSTER_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/workshop_cluster_test")
PG_URL = f"{PG_BASE_URL}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
REDIS_URL = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/0")


def pg_available() -> bool:
    """True when the PostgreSQL server answers."""
    try:
        psycopg.connect(_admin_url(), connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def redis_available() -> bool:
    """True when Redis answers."""
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping())
    except redis.RedisError:
        return False


def _admin_url() -> str:
    return PG_URL.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"


def recreate_database() -> None:
    """Drop and create this run's cluster test database (migrations then run from an empty one)."""
    drop_database()
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(PG_URL.rsplit("/", 1)[1])))


def drop_database() -> None:
    """Drop this run's cluster test database if it exists."""
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(PG_URL.rsplit("/", 1)[1])))


@pytest.fixture(scope="session", autouse=True)
def drop_run_database():
    """Drop this run's cluster database when the session ends (if a test created it)."""
    yield
    if pg_available():
        drop_database()


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count < 65000 and all(_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no consecutive free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@dataclass
class Cluster:
    """A running scripts/cluster.sh: nginx on ``port``, app processes on ``app_ports``."""

    port: int
    app_ports: list[int]
    run_dir: Path
    namespace: str
    env: dict

    @property
    def url(self) -> str:
        """nginx."""
        return f"http://127.0.0.1:{self.port}"

    def app_url(self, index: int) -> str:
        """One app process directly (bypassing nginx)."""
        return f"http://127.0.0.1:{self.app_ports[index]}"

    def master_pid(self, index: int) -> int:
        """The gunicorn master of process ``index``."""
        return int((self.run_dir / f"app-{self.app_ports[index]}.pid").read_text())

    def worker_pid(self, index: int) -> int:
        """The gunicorn worker (the one serving requests) of process ``index``."""
        out = subprocess.run(["pgrep", "-P", str(self.master_pid(index))], capture_output=True, text=True)
        return int(out.stdout.split()[0])

    def leader(self) -> str | None:
        """Identity (host:pid:random) of the process holding the tally flush lease."""
        value = redis.Redis.from_url(REDIS_URL).get(f"{self.namespace}:pulse:leader")
        return value.decode() if value else None

    def log(self, index: int) -> str:
        """The error log of process ``index`` (for failure messages)."""
        return (self.run_dir / f"app-{self.app_ports[index]}.log").read_text()[-3000:]


@contextmanager
def run_cluster(run_dir: Path, workers: int = 2, sticky: str = "header"):
    """Start a cluster with ``workers`` processes; stop it (and only it) afterwards."""
    need(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"), "nginx is not installed (apt-get install nginx-light)")
    need(pg_available(), "PostgreSQL is not reachable at 127.0.0.1:5432")
    need(redis_available(), "Redis is not reachable at 127.0.0.1:6379")
    recreate_database()
    base = free_ports(workers + 1)
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "WORKERS": str(workers), "PORT": str(base), "APP_PORT": str(base + 1), "DATABASE_URL": PG_URL,
           "REDIS_URL": REDIS_URL, "REDIS_NAMESPACE": namespace, "STICKY": sticky, "RUN_DIR": str(run_dir)}
    env.pop("SOCKETIO_ASYNC_MODE", None)
    cluster = Cluster(base, [base + 1 + i for i in range(workers)], run_dir, namespace, env)
    try:
        subprocess.run([str(ROOT / "scripts/cluster.sh"), "start"], env=env, check=True, timeout=180, cwd=ROOT)
        yield cluster
    finally:
        subprocess.run([str(ROOT / "scripts/cluster.sh"), "stop"], env=env, timeout=60, cwd=ROOT)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two app processes behind nginx for this test module."""
    with run_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(scope="module")
def seed(cluster):
    """Write fixtures straight into the cluster's database (an in-process app with no Redis)."""
    from workshop import create_app
    from workshop.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": PG_URL, "REDIS_URL": None, "SOCKETIO_ASYNC_MODE": "threading",
                      "LIVE_PULSE": False, "MAIL_SERVER": None, "SERVER_NAME": "workshop.test", "TESTING": True})
    yield Seeder(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Seeder:
    """Build workshops and polls in the cluster database."""

    def __init__(self, app):
        self.app = app
        self.counter = iter(range(1, 100_000))

    def workshop(self, **fields) -> dict:
        """A workshop open for registration; returns {id, slug, code}."""
        from workshop.accounts.service import save_facilitator
        from workshop.extensions import db
        from workshop.models import utcnow
        from workshop.planner.models import Workshop

        n = f"{next(self.counter)}{uuid.uuid4().hex[:6]}"
        with self.app.app_context():
            start = utcnow().replace(microsecond=0) + timedelta(days=7)
            values = {"slug": f"cluster-{n}", "title": f"Cluster {n}", "description": "Scale-out test.", "venue": "Hall",
                      "starts_at": start, "ends_at": start + timedelta(hours=2), "capacity": 30,
                      "join_code": f"C{n}".upper()[:12]}
            values.update(fields)
            workshop = Workshop(**values)
            workshop.facilitators = [save_facilitator(f"host-{n}@example.org", "correct horse battery", "Host")]
            db.session.add(workshop)
            db.session.commit()
            return {"id": workshop.id, "slug": workshop.slug, "code": workshop.join_code}

    def open_poll(self, workshop: dict, show_live: bool = True) -> int:
        """An open verdict poll (results visible on the projector); returns its id."""
        from workshop.extensions import db
        from workshop.live import service as live
        from workshop.planner.models import Workshop

        with self.app.test_request_context():
            row = db.session.get(Workshop, workshop["id"])
            poll = live.create_poll(row, "verdict", "Snog, marry or avoid?", [], show_live)
            live.open_poll(poll)
            live.reveal_poll(poll)
            return poll.id

    def scalar(self, query: str, **params):
        """One value from the cluster database."""
        from sqlalchemy import text

        from workshop.extensions import db

        with self.app.app_context():
            value = db.session.execute(text(query), params).scalar()
            db.session.rollback()
            return value


def join(base_url: str, code: str) -> str:
    """A phone's participant token via the JSON join API."""
    response = requests.post(f"{base_url}/api/w/{code}/participants", json={"stance": None}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["token"]


class Screen:
    """A python-socketio client on /live that records what it receives."""

    def __init__(self, base_url: str, auth: dict, sticky: str | None = None, websocket_only: bool = False):
        self.token = auth.get("token")
        self.received: list[tuple[float, str, dict]] = []
        self.connects = 0
        self.disconnects = 0
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                   randomization_factor=0.2)
        for event in ("state", "poll_tally", "poll_state"):
            self.sio.on(event, self._recorder(event), namespace="/live")
        self.sio.on("connect", self._connected, namespace="/live")
        self.sio.on("disconnect", self._disconnected, namespace="/live")
        headers = {"X-Sticky": sticky} if sticky else {}
        self.sio.connect(base_url, auth=auth, namespaces=["/live"], headers=headers, wait_timeout=10,
                         transports=["websocket"] if websocket_only else None)

    def _recorder(self, event):
        def record(data):
            with self.lock:
                self.received.append((time.monotonic(), event, data))
        return record

    def _connected(self):
        self.connects += 1

    def _disconnected(self, reason=None):
        self.disconnects += 1

    def events(self, name: str) -> list[dict]:
        """Payloads of ``name`` received so far."""
        with self.lock:
            return [data for _, event, data in self.received if event == name]

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until ``predicate()`` is truthy; return its value or fail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s; last received: {self.received[-3:]}")

    def vote(self, poll_id: int, choice: str, timeout: float = 10) -> dict:
        """Send a vote; returns the ack."""
        return self.sio.call("vote", {"poll_id": poll_id, "choice": choice}, namespace="/live", timeout=timeout)

    def close(self):
        """Disconnect (and stop reconnecting)."""
        self.sio.disconnect()


def phone(base_url: str, code: str, sticky: str | None = None, websocket_only: bool = False) -> Screen:
    """A joined phone connected to ``base_url``."""
    return Screen(base_url, {"code": code, "role": "phone", "token": join(base_url, code)}, sticky, websocket_only)


def projector(base_url: str, code: str, sticky: str | None = None) -> Screen:
    """A projector connected to ``base_url``."""
    return Screen(base_url, {"code": code, "role": "projector"}, sticky)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
