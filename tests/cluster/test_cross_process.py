"""Two real app processes (gunicorn -k gevent) behind nginx, sharing PostgreSQL and Redis."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import socketio

from tests.cluster.conftest import csrf_token, join, phone, projector

TICK = 0.1  # TALLY_INTERVAL in the server processes


def test_phone_on_one_process_projector_on_the_other_sees_the_vote(cluster, seed):
    """A vote acknowledged by process A reaches a projector connected to process B."""
    workshop = seed.workshop()
    poll_id = seed.open_poll(workshop)
    screen = projector(cluster.app_url(1), workshop["code"])
    voter = phone(cluster.app_url(0), workshop["code"])
    try:
        assert voter.vote(poll_id, "marry") == {"ok": True, "vote": {"poll_id": poll_id, "round": 1, "choice": "marry"}}
        tally = screen.wait_for(lambda: [t for t in screen.events("poll_tally") if t.get("total") == 1], timeout=5)[-1]
        assert tally["id"] == poll_id
        assert tally["results"]["total"] == 1
        assert "marry" in str(tally["results"])
    finally:
        voter.close()
        screen.close()


def test_exactly_one_tally_stream_per_poll(cluster, seed):
    """Votes pouring into both processes: the projector gets one coalesced stream (~10 Hz), not one per process."""
    workshop = seed.workshop()
    poll_id = seed.open_poll(workshop)
    screens = [projector(cluster.app_url(i), workshop["code"]) for i in (0, 1)]
    phones = [phone(cluster.app_url(i % 2), workshop["code"]) for i in range(12)]
    stop, acked = threading.Event(), []

    def keep_voting(voter):
        while not stop.is_set():
            acked.append(voter.vote(poll_id, random.choice(["snog", "marry", "avoid"])))
            time.sleep(0.15)  # under the per-phone limit of 30 votes in 10 s

    try:
        threads = [threading.Thread(target=keep_voting, args=(p,)) for p in phones]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
        duration = time.monotonic() - start
        time.sleep(3 * TICK)
        assert len(acked) > 100 and all(ack["ok"] for ack in acked), [a for a in acked if not a["ok"]][:3]
        counts = [len([t for t in s.events("poll_tally") if t["id"] == poll_id]) for s in screens]
        ticks = duration / TICK
        # One stream: at most one broadcast per tick (two processes flushing would give ~2 per tick).
        assert all(ticks * 0.25 < count <= ticks * 1.15 + 2 for count in counts), (counts, ticks)
        # Both projectors see the same stream, ending on the full count of voters.
        assert counts[0] == counts[1]
        assert screens[0].events("poll_tally")[-1]["total"] == len(phones)
        assert cluster.leader() is not None
    finally:
        for client in phones + screens:
            client.close()


def test_capacity_never_oversold_across_processes(cluster, seed):
    """40 people register at once through both processes for 10 places: exactly 10 confirmed, 30 waitlisted."""
    workshop = seed.workshop(capacity=10)
    prefix = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}"  # the rate limit is per client address

    def register(n):
        base = cluster.app_url(n % 2)
        with requests.Session() as browser:
            browser.headers["X-Forwarded-For"] = f"{prefix}.{n}"
            page = browser.get(f"{base}/w/{workshop['slug']}", timeout=30)
            form = {"csrf_token": csrf_token(page.text), "name": f"Racer {n}", "email": f"racer{n}@example.org",
                    "organisation": "", "stance": "", "needs": "", "consent": "y"}
            response = browser.post(f"{base}/w/{workshop['slug']}", data=form, timeout=60)
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(register, range(40)))
    assert [status for status, _ in results] == [200] * 40  # each landed on their manage page
    assert seed.scalar("select count(*) from registration where workshop_id = :w and status = 'confirmed'",
                       w=workshop["id"]) == 10
    assert seed.scalar("select count(*) from registration where workshop_id = :w and status = 'waitlisted'",
                       w=workshop["id"]) == 30
    page = requests.get(f"{cluster.url}/w/{workshop['slug']}", timeout=10).text
    assert "0 places left" in page or "full" in page.lower()


def test_static_files_come_from_nginx_and_sockets_go_through_it(cluster, seed):
    """nginx serves /static itself and upgrades Socket.IO connections to websockets."""
    css = requests.get(f"{cluster.url}/static/css/app.css", timeout=10)
    assert css.status_code == 200 and css.headers["Server"] == "nginx"
    assert "Content-Security-Policy" not in css.headers  # the app (which sets a CSP) never saw it
    workshop = seed.workshop()
    poll_id = seed.open_poll(workshop)
    voter = phone(cluster.url, workshop["code"], sticky="a")
    screen = projector(cluster.url, workshop["code"], sticky="b")
    try:
        voter.wait_for(lambda: voter.sio.transport() == "websocket", timeout=5)  # upgraded from polling via nginx
        assert voter.vote(poll_id, "avoid")["ok"] is True
        screen.wait_for(lambda: any(t.get("total") == 1 for t in screen.events("poll_tally")), timeout=5)
    finally:
        voter.close()
        screen.close()


def test_rate_limits_are_shared_by_the_processes(cluster, seed):
    """One participant asking through both processes gets 3 questions a minute in total (counts in Redis)."""
    workshop = seed.workshop()
    token = join(cluster.app_url(0), workshop["code"])
    clients = [socketio.Client() for _ in (0, 1)]
    try:
        for i, sio in enumerate(clients):
            sio.connect(cluster.app_url(i), auth={"code": workshop["code"], "role": "phone", "token": token},
                        namespaces=["/questions"], transports=["websocket"], wait_timeout=10)
        if 60 - time.time() % 60 < 15:  # start in a fresh fixed minute (same clock as the servers)
            time.sleep(60 - time.time() % 60 + 0.1)
        acks = [clients[n % 2].call("ask", {"text": f"Question {n}: asked through process {n % 2}?"},
                                    namespace="/questions", timeout=10) for n in range(5)]
        assert [ack["ok"] for ack in acks] == [True, True, True, False, False]
        assert acks[3]["error"].startswith("You can ask 3 questions per 60 seconds")
    finally:
        for sio in clients:
            sio.disconnect()
