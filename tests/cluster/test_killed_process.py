"""SIGKILL one of two app processes in the middle of a poll: nothing acknowledged is lost."""

import os
import signal
import threading
import time

import pytest
import socketio

from tests.cluster.conftest import phone, projector, run_cluster

PHONES = 24


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Its own two-process cluster: this test kills one of them."""
    with run_cluster(tmp_path_factory.mktemp("killed")) as running:
        yield running


def vote_until(voter, poll_id, stop: threading.Event, acked: dict, index: int) -> None:
    """Vote every 0.4 s, alternating choices, and remember the last acknowledged choice."""
    n = 0
    while not stop.is_set():
        choice = ("snog", "marry")[n % 2]
        try:
            ack = voter.vote(poll_id, choice, timeout=3)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.SocketIOError):
            ack = None  # never acknowledged (the process died with it): the phone simply tries again
        if ack and ack["ok"]:
            acked[index] = choice
        n += 1
        time.sleep(0.4)


def test_killed_leader_loses_no_acknowledged_vote_and_its_phones_reconnect(cluster, seed):
    """Kill the process holding the tally lease while phones vote through nginx."""
    workshop = seed.workshop()
    poll_id = seed.open_poll(workshop)
    screen = projector(cluster.url, workshop["code"], sticky="projector")
    phones = [phone(cluster.url, workshop["code"], sticky=f"phone-{i}") for i in range(PHONES)]
    stop, acked = threading.Event(), {}
    threads = [threading.Thread(target=vote_until, args=(p, poll_id, stop, acked, i)) for i, p in enumerate(phones)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(2)
        leader = cluster.leader()
        victim = next(i for i in (0, 1) if f":{cluster.worker_pid(i)}:" in leader)  # the tally leader
        survivor = 1 - victim
        survivor_worker, victim_worker = cluster.worker_pid(survivor), cluster.worker_pid(victim)
        os.kill(cluster.master_pid(victim), signal.SIGKILL)  # the master first, so it cannot respawn the worker
        os.kill(victim_worker, signal.SIGKILL)
        time.sleep(4)
        stop.set()
        for thread in threads:
            thread.join()

        dropped = [p for p in phones if p.disconnects]
        assert dropped, "no phone was on the killed process"
        for p in phones:  # every phone is connected again (through nginx, to the survivor)
            p.wait_for(lambda p=p: p.sio.connected and "/live" in p.sio.namespaces, timeout=15)
        assert all(p.connects >= 2 for p in dropped)

        # Every acknowledged vote is in the database, as the last choice the phone was told was saved.
        assert len(acked) == PHONES
        for i, p in enumerate(phones):
            saved = seed.scalar("select v.choice from vote v join participant p on p.id = v.participant_id "
                                "where p.token = :token and v.poll_id = :poll", token=p.token, poll=poll_id)
            assert saved == acked[i], (i, saved, acked[i])

        # The lease moved to the survivor, which keeps broadcasting: a final round reaches the projector.
        for p in phones:
            assert p.vote(poll_id, "avoid", timeout=10)["ok"] is True
        screen.wait_for(lambda: any(t.get("total") == PHONES and t["results"]["total"] == PHONES
                                    and _count(t, "avoid") == PHONES for t in screen.events("poll_tally")),
                        timeout=10)
        assert f":{survivor_worker}:" in cluster.leader()
    finally:
        stop.set()
        for client in phones + [screen]:
            client.close()


def _count(tally: dict, choice: str) -> int:
    return tally["results"]["counts"].get(choice, 0)
