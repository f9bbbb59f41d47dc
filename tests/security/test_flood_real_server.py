"""On the real server (gevent, as in production): a phone flooding events is refused and then disconnected
while the other phones' votes keep being acknowledged quickly, and malformed frames of every shape get an
error ack with no traceback in the server's log (issue 16)."""

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # the server has its own SQLite file: runs once, in the SQLite pass
socketio = pytest.importorskip("socketio")
requests = pytest.importorskip("requests")
websocket = pytest.importorskip("websocket")

from tests.reliability.test_restart import open_first_poll, server  # noqa: E402, F401 - the server fixture

PHONES = 20
PHASE = 4.0  # seconds of voting per phase


def _log(running) -> str:
    """Everything the server process wrote (stdout and stderr)."""
    return Path(running.log.name).read_text(errors="replace")


def _token(url: str) -> str:
    return requests.post(f"{url}/api/w/SNOG/participants", json={"stance": None}).json()["token"]


class RawPhone:
    """A phone speaking Engine.IO/Socket.IO frames over a bare websocket, to send what no library would."""

    def __init__(self, url: str, namespace: str, token: str):
        self.ns = namespace
        self.ws = websocket.create_connection(url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
                                              timeout=10)
        assert self.ws.recv().startswith("0")
        self.ws.send(f"40{namespace},{json.dumps({'code': 'SNOG', 'role': 'phone', 'token': token})}")
        while not (frame := self.ws.recv()).startswith(f"40{namespace},"):
            if frame.startswith(f"44{namespace},"):
                self.ws.close()
                raise ConnectionRefusedError(frame)

    def ack(self, packet_id: int, timeout: float = 10) -> dict | None:
        """The ack with this id (None when the namespace was disconnected first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
            elif frame.startswith(f"43{self.ns},{packet_id}["):
                return json.loads(frame[len(f"43{self.ns},{packet_id}"):])[0]
            elif frame.startswith(f"41{self.ns}"):
                return None
        raise AssertionError(f"no ack {packet_id}")


class Voter:
    """A python-socketio phone changing its vote every half second and timing each acknowledgement."""

    def __init__(self, url: str, poll: dict):
        self.poll, self.latencies, self.failures = poll, [], []
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(url, namespaces=["/live"], transports=["websocket"], wait_timeout=10,
                         auth={"code": "SNOG", "role": "phone", "token": _token(url)})

    def vote_for(self, seconds: float) -> None:
        end, n = time.monotonic() + seconds, 0
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                ack = self.sio.call("vote", {"poll_id": self.poll["id"], "choice": self.poll["answers"][n % 3]},
                                    namespace="/live", timeout=5)
                if ack and ack["ok"]:
                    self.latencies.append(time.perf_counter() - started)
                else:
                    self.failures.append(ack)
            except Exception as exc:  # noqa: BLE001 - a timeout is a failure to count, not a crash
                self.failures.append(repr(exc))
            n += 1
            time.sleep(max(0.0, 0.5 - (time.perf_counter() - started)))  # under the 30 votes/10 s guard


def _phase(voters: list[Voter]) -> dict:
    for voter in voters:
        voter.latencies.clear()
        voter.failures.clear()
    threads = [threading.Thread(target=v.vote_for, args=(PHASE,)) for v in voters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PHASE + 15)
    latencies = sorted(x for v in voters for x in v.latencies)
    return {"acks": len(latencies), "failures": sum(len(v.failures) for v in voters),
            "p50_ms": round(1000 * statistics.median(latencies)),
            "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))]),
            "max_ms": round(1000 * latencies[-1])}


def _flood(url: str, namespace: str, stop: threading.Event, result: dict) -> None:
    """One phone sending `state` (and an unknown event) as fast as it can; when cut off it connects again
    at once and goes on, as a script would (or a client library's reconnection)."""
    token = _token(url)
    sent, acks, started, disconnects, phone = 0, [], time.monotonic(), 0, None
    try:
        while not stop.is_set():
            if phone is None:
                try:
                    phone = RawPhone(url, namespace, token)
                except ConnectionRefusedError as exc:
                    result.setdefault("refused_connects", []).append(str(exc))
                    time.sleep(0.05)
                    continue
                phone.ws.settimeout(0.001)
            sent += 1
            event = "state" if sent % 10 else "no_such_event"
            try:
                phone.ws.send(f'42{namespace},{sent}["{event}",{{}}]')
                while True:
                    frame = phone.ws.recv()
                    if frame.startswith(f"43{namespace},"):
                        acks.append(json.loads(frame[frame.index("["):])[0])
                    elif frame.startswith(f"41{namespace}") or frame == "1":
                        raise websocket.WebSocketConnectionClosedException("cut off")
                    elif frame == "2":
                        phone.ws.send("3")
            except (websocket.WebSocketTimeoutException, TimeoutError):
                pass
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                disconnects += 1
                result.setdefault("disconnected_after_s", round(time.monotonic() - started, 2))
                phone.ws.close()
                phone = None
    finally:
        result.update(sent=sent, acks=acks, disconnects=disconnects,
                      per_s=round(sent / (time.monotonic() - started)))
        if phone is not None:
            phone.ws.close()


def test_a_flooding_phone_is_cut_off_and_the_room_keeps_voting(server, capsys):  # noqa: F811
    poll = open_first_poll(server.url)
    voters = [Voter(server.url, poll) for _ in range(PHONES)]
    quiet = _phase(voters)
    floods = {}
    stops = {ns: threading.Event() for ns in ("/live", "/questions")}
    flooders = [threading.Thread(target=_flood, args=(server.url, ns, stops[ns], floods.setdefault(ns, {})))
                for ns in stops]
    for t in flooders:
        t.start()
    time.sleep(0.5)  # the flooders are going
    flooded = _phase(voters)
    for ns in stops:
        stops[ns].set()
    for t in flooders:
        t.join(10)
    for voter in voters:
        voter.sio.disconnect()

    for ns, result in floods.items():
        assert "disconnected_after_s" in result, (ns, result.get("sent"))
        errors = {a.get("error") for a in result["acks"] if not a["ok"]}
        assert "Too many requests: slow down." in errors and "Unknown event." in errors, (ns, errors)
        assert result["disconnects"] >= 1, ns
        assert all("Too many requests" in r for r in result.get("refused_connects", [])), ns  # banned a while
    assert quiet["failures"] == 0 and flooded["failures"] == 0, (quiet, flooded)
    assert flooded["p95_ms"] < 1000, flooded
    log = _log(server)
    assert "Traceback" not in log and log.count("disconnected for flooding") >= 2
    with capsys.disabled():
        print(f"\nFLOOD: {PHONES} phones voting every 500 ms for {PHASE:.0f} s; without a flooder {quiet}; "
              f"with one phone flooding /live and /questions {flooded}; flooders cut off after "
              + ", ".join(f"{ns}: first after {r['disconnected_after_s']} s, {r['sent']} sent ({r['per_s']}/s), "
                          f"{sum(a['ok'] for a in r['acks'])} answered ok, {r['disconnects']} disconnects, "
                          f"{len(r.get('refused_connects', []))} reconnects refused"
                          for ns, r in floods.items()))


def test_malformed_frames_get_an_error_ack_and_no_traceback(server):  # noqa: F811
    poll = open_first_poll(server.url)
    phone = RawPhone(server.url, "/live", _token(server.url))
    ns = "/live"
    deep = "[" * 20_000 + "]" * 20_000
    cases = [
        (f'42{ns},1["state",{deep}]', "That message could not be read."),
        (f'42{ns},2{deep}', "That message could not be read."),
        (f'42{ns},3["connect",{{"code":"SNOG","role":"control"}}]', "That event name is reserved."),
        (f'42{ns},4["no_such_event",{{}}]', "Unknown event."),
        (f'42{ns},5["vote","not an object"]', "send {poll_id, choice}"),
        (f'42{ns},6["vote",{{"poll_id":[1],"choice":{{"a":1}}}}]', None),
        (f'42{ns},7["state",', "That message could not be read."),
        (f'42{ns},8{{"not":"a list"}}', "That message could not be read."),
    ]
    for n, (frame, error) in enumerate(cases, start=1):
        phone.ws.send(frame)
        ack = phone.ack(n)
        assert ack["ok"] is False and (error is None or ack["error"] == error), (frame[:50], ack)
    phone.ws.send(f'451-{ns},9["vote",{{"_placeholder":true,"num":0}}]')
    phone.ws.send_binary(b"\x00\x01\x02")
    assert phone.ack(9) == {"ok": False, "error": "Binary messages are not accepted."}
    phone.ws.send(f'42{ns},10["vote",{{"poll_id":{poll["id"]},"choice":"{poll["answers"][0]}"}}]')
    assert phone.ack(10)["ok"]  # the same socket still votes
    phone.ws.close()
    time.sleep(0.5)
    log = _log(server)
    assert "Traceback" not in log and "handler error" not in log, log[-3000:]


def test_a_connection_sending_far_more_than_any_page_is_closed_before_its_frames_are_read(server):  # noqa: F811
    """Frames for a namespace the socket never joined pass no namespace guard: the connection's own budget
    (sockets.ConnectionBudget) closes it, and an honest phone on another connection is untouched."""
    ws = websocket.create_connection(server.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=10)
    assert ws.recv().startswith("0")
    honest = RawPhone(server.url, "/live", _token(server.url))
    sent, closed = 0, False
    try:
        for sent in range(1, 5001):
            ws.send(f'42/nowhere,{sent}["state",{{}}]')
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        closed = True
    ws.settimeout(5)
    try:
        while frame := ws.recv():
            assert frame in ("1", "2"), frame  # a close packet or a ping; nothing answers the flood
            if frame == "1":
                break
        closed = True
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        closed = True
    assert closed, f"still open after {sent} frames"
    honest.ws.send('42/live,1["state",{}]')
    assert honest.ack(1)["ok"] is True  # the other connection still gets its state
    honest.ws.close()
    assert "connection closed for flooding" in _log(server)


@pytest.fixture
def quick_pings(tmp_path):
    """The production server (gunicorn, gevent worker) pinging every second and waiting a second for the pong."""
    from tests.reliability.test_restart import ROOT, Server

    if os.environ.get("DATABASE_URL"):
        pytest.skip("runs in the SQLite pass (its server has its own SQLite file)")
    running = Server(tmp_path)
    running.env.update(SOCKETIO_PING_INTERVAL="1", SOCKETIO_PING_TIMEOUT="1", BIND=f"127.0.0.1:{running.port}",
                       CONTROL_SOCKET=str(tmp_path / "gunicorn.ctl"))
    running.setup()
    running.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                                       cwd=ROOT, env=running.env, stdout=running.log, stderr=running.log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _up(running.url):
        time.sleep(0.1)
    yield running
    running.stop()


def _up(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.RequestException:  # not listening yet, or still starting
        return False


def test_a_phone_that_vanishes_without_closing_is_let_go(quick_pings):
    """A phone that walks out of Wi-Fi sends no close and no FIN: after the ping timeout the server closes
    its connection (so its reader, handler and socket are freed), not only the Engine.IO session."""
    gone = RawPhone(quick_pings.url, "/live", _token(quick_pings.url))
    gone.ws.sock.settimeout(15)
    received, started = b"", time.monotonic()
    try:
        while chunk := gone.ws.sock.recv(4096):  # read raw bytes: never answer a ping, as a vanished phone
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server still held the connection after 15 s (read {received[-80:]!r})")
    assert time.monotonic() - started < 10, "the connection was closed, but only after 10 s"
    gone.ws.sock.close()
