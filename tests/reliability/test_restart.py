"""Restart: a real server process is SIGKILLed mid-poll and started again. Every acknowledged vote and question
is in the database, and python-socketio clients reconnect on their own and get the right state."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # each server has its own SQLite file: runs once, in the SQLite pass
socketio = pytest.importorskip("socketio")
requests = pytest.importorskip("requests")

from tests.conftest import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PHONES = 16
CHOICES = ("snog", "marry", "avoid")
ADMIN = ("restart@example.org", "restart test password")


class Server:
    """run.py in its own process (gevent, as in production), on a free port, with its own SQLite file."""

    def __init__(self, tmp_path: Path):
        self.db_file = tmp_path / "restart.sqlite"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")} | {
            "DATABASE_URL": f"sqlite:///{self.db_file}", "SECRET_KEY": "restart-test", "HOST": "127.0.0.1",
            "PORT": str(self.port), "SOCKETIO_ASYNC_MODE": "gevent", "WORKSHOP_ADMIN_EMAIL": ADMIN[0],
            "WORKSHOP_ADMIN_PASSWORD": ADMIN[1], "CORS_ALLOWED_ORIGINS": ""}
        self.process = None

    def setup(self) -> None:
        """`flask --app workshop setup`: migrations, the facilitator, the demo workshop (join code SNOG)."""
        subprocess.run([sys.executable, "-m", "flask", "--app", "workshop", "setup"], cwd=ROOT, env=self.env,
                       check=True, stdout=self.log, stderr=self.log, timeout=120)

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, nothing is flushed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()

    def query(self, sql: str, *args) -> list:
        with sqlite3.connect(self.db_file) as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture
def server(tmp_path):
    """A fresh server; the test uses its own SQLite file, so it runs once (in the SQLite pass of make test)."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("runs in the SQLite pass (its server has its own SQLite file)")
    server = Server(tmp_path)
    server.setup()
    server.start()
    yield server
    server.stop()


class Phone:
    """A python-socketio client with the library's own reconnection; remembers every state it was sent."""

    def __init__(self, url: str, token: str):
        self.states, self.failures, self.got_state = [], [], threading.Event()
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                   randomization_factor=0)
        self.sio.on("state", self._state, namespace="/live")
        self.sio.connect(url, namespaces=["/live", "/questions"], transports=["websocket"],
                         auth={"code": "SNOG", "role": "phone", "token": token}, wait_timeout=10)

    def _state(self, state):
        self.states.append(state)
        self.got_state.set()

    def reconnected(self, timeout: float = 20) -> bool:
        """True once the library has reconnected both namespaces and a fresh state arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.got_state.is_set() and {"/live", "/questions"} <= set(self.sio.namespaces):
                return True
            time.sleep(0.05)
        return False

    def call(self, event: str, data: dict, namespace: str = "/live"):
        """The ack, or None when the call failed (server gone, timeout)."""
        try:
            return self.sio.call(event, data, namespace=namespace, timeout=3)
        except Exception as exc:  # noqa: BLE001 - any failure means "not acknowledged"
            self.failures.append(repr(exc))
            return None


def facilitator_cookie(url: str) -> str:
    """Sign in through the real login form (CSRF token included) and return the session cookie."""
    web = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', web.get(url + "/login").text).group(1)
    response = web.post(url + "/login", data={"email": ADMIN[0], "password": ADMIN[1], "csrf_token": token},
                        allow_redirects=False)
    assert response.status_code == 302, response.text
    return "; ".join(f"{k}={v}" for k, v in web.cookies.items())


def open_first_poll(url: str) -> dict:
    control = socketio.Client(reconnection=False)
    control.connect(url, namespaces=["/live"], transports=["websocket"], headers={"Cookie": facilitator_cookie(url)},
                    auth={"code": "SNOG", "role": "control"}, wait_timeout=10)
    ack = control.call("poll_next", {}, namespace="/live", timeout=10)
    control.disconnect()
    assert ack["ok"], ack
    return ack["poll"]


def choice_for(poll: dict, n: int):
    if poll["kind"] == "classic":
        return [CHOICES[(n + i) % 3] for i in range(3)]
    return poll["answers"][n % len(poll["answers"])]


def test_sigkill_mid_poll_loses_no_acknowledged_vote(server, capsys):
    tokens = [requests.post(f"{server.url}/api/w/SNOG/participants", json={"stance": None}).json()
              for _ in range(PHONES)]
    phones = [Phone(server.url, t["token"]) for t in tokens]
    poll = open_first_poll(server.url)
    acked, lock = {}, threading.Lock()

    def vote(n: int) -> None:
        time.sleep(0.02 * n)  # a steady stream of votes, so the kill lands in the middle of it
        ack = phones[n].call("vote", {"poll_id": poll["id"], "choice": choice_for(poll, n)})
        if ack and ack.get("ok"):
            with lock:
                acked[n] = ack["vote"]["choice"]

    asked = [phones[n].call("ask", {"text": f"Question {n} before the crash"}, "/questions") for n in range(3)]
    assert all(a and a["ok"] for a in asked), asked
    voters = [threading.Thread(target=vote, args=(n,)) for n in range(PHONES)]
    for t in voters:
        t.start()
    while len(acked) < PHONES // 3:
        time.sleep(0.005)
    server.kill()
    for t in voters:
        t.join(15)
    before_restart = dict(acked)
    assert 0 < len(before_restart) < PHONES, "the kill must land mid-poll"

    for phone in phones:
        phone.got_state.clear()
    server.start()
    for n, phone in enumerate(phones):  # reconnection is the library's own; nobody calls connect()
        assert phone.reconnected(), f"phone {n} did not reconnect"
    found = dict(server.query("SELECT participant_id, choice FROM vote WHERE poll_id = ?", poll["id"]))
    ids = {n: t["participant_id"] for n, t in enumerate(tokens)}
    for n, choice in before_restart.items():
        expected = ",".join(choice) if isinstance(choice, list) else choice
        assert found.get(ids[n]) == expected, n
        assert phones[n].states[-1]["my_vote"] == choice  # the reconnected phone shows its vote
    for phone in phones:
        assert phone.states[-1]["poll"]["id"] == poll["id"] and phone.states[-1]["poll"]["state"] == "open"
    questions = {text for (text,) in server.query("SELECT text FROM question")}
    assert {f"Question {n} before the crash" for n in range(3)} <= questions

    for n in set(range(PHONES)) - set(before_restart):  # the unlucky ones tap again
        ack = phones[n].call("vote", {"poll_id": poll["id"], "choice": choice_for(poll, n)})
        assert ack and ack["ok"], (ack, phones[n].failures)
        acked[n] = ack["vote"]["choice"]
    total = server.query("SELECT count(*) FROM vote WHERE poll_id = ?", poll["id"])[0][0]
    assert total == PHONES == len(acked)
    for phone in phones:
        phone.sio.disconnect()
    with capsys.disabled():
        print(f"\nRESTART: {len(before_restart)} votes acknowledged before SIGKILL, "
              f"{sum(1 for n in before_restart if found.get(ids[n]))} found after restart; "
              f"{PHONES} of {PHONES} phones reconnected by themselves; 3 of 3 questions kept")


def test_oversized_websocket_message_drops_only_that_client(server):
    token = requests.post(f"{server.url}/api/w/SNOG/participants", json={}).json()["token"]
    attacker, bystander = Phone(server.url, token), Phone(server.url, token)
    attacker.sio.reconnection = False
    attacker.call("vote", {"poll_id": 1, "choice": "x" * (1024 * 1024)})
    time.sleep(0.5)
    assert not attacker.sio.connected
    assert bystander.call("state", {})["ok"]
    bystander.sio.disconnect()


def test_real_server_refuses_sockets_from_another_origin(server):
    token = requests.post(f"{server.url}/api/w/SNOG/participants", json={}).json()["token"]
    for transports in (["websocket"], ["polling"]):
        evil = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            evil.connect(server.url, namespaces=["/live"], transports=transports, wait_timeout=5,
                         headers={"Origin": "https://evil.example"}, auth={"code": "SNOG", "role": "phone", "token": token})
    same = Phone(server.url, token)  # no Origin header (a script) or the server's own origin is fine
    assert same.call("state", {})["ok"]
    same.sio.disconnect()
