"""Screens that (re)connect within a tick share one reading of the results; nothing else is ever stale."""

import pytest

from workshop.live import ballots, payloads, service
from workshop.live import state as live_state

CORP, ACT = "Corporate / public sector", "Activist / campaigner"


@pytest.fixture(autouse=True)
def no_earlier_readings(monkeypatch):
    """Each test's database numbers its polls from 1 again: readings kept by earlier tests must not match."""
    monkeypatch.setattr(payloads, "_recent", {})


def connect_state(workshop, phone=None):
    """What a reconnecting phone (or projector, without one) receives."""
    return live_state.session_state(workshop, "phone" if phone else "projector", phone)


def test_a_reconnect_storm_reads_the_results_once_a_tick(make_workshop, make_poll, make_participant, monkeypatch):
    workshop = make_workshop()
    poll = make_poll(workshop, show_live=True)
    first, second = make_participant(workshop, CORP), make_participant(workshop, ACT)
    service.open_poll(poll)
    ballots.submit_vote(first.id, poll.id, "snog")
    counted = []
    monkeypatch.setattr(payloads, "tally", lambda *a, **k: counted.append(1) or {"total": 1, "counts": {}})
    states = [connect_state(workshop, phone) for phone in (first, second)] + [connect_state(workshop)]
    assert len(counted) == 1  # three screens, one count
    assert {s["poll"]["results"]["total"] for s in states} == {1}
    assert states[0]["my_vote"] == "snog"  # what is the phone's own is read fresh


def test_the_shared_results_are_at_most_a_tick_old_and_a_new_state_reads_afresh(
        make_workshop, make_poll, make_participant, monkeypatch):
    workshop = make_workshop()
    poll = make_poll(workshop, show_live=True)
    first, second = make_participant(workshop, CORP), make_participant(workshop, ACT)
    service.open_poll(poll)
    ballots.submit_vote(first.id, poll.id, "snog")
    clock = [1000.0]
    monkeypatch.setattr(payloads.time, "monotonic", lambda: clock[0])
    assert connect_state(workshop)["poll"]["results"]["counts"]["snog"] == 1
    ballots.submit_vote(second.id, poll.id, "snog")
    assert connect_state(workshop)["poll"]["results"]["counts"]["snog"] == 1  # within the tick: shared
    clock[0] += payloads.RESULTS_REUSE_SECONDS
    assert connect_state(workshop)["poll"]["results"]["counts"]["snog"] == 2  # a tick later: read again
    ballots.submit_vote(first.id, poll.id, "avoid")
    service.close_poll(poll)  # same instant, new state: never the open poll's results
    closed = connect_state(workshop)["poll"]
    assert closed["state"] == "closed"
    assert closed["results"]["counts"] == {"snog": 1, "marry": 0, "avoid": 1}


def test_broadcasts_and_the_control_screen_never_reuse(make_workshop, make_poll, make_participant, monkeypatch):
    workshop = make_workshop()
    poll = make_poll(workshop, show_live=True)
    phone = make_participant(workshop, CORP)
    service.open_poll(poll)
    monkeypatch.setattr(payloads.time, "monotonic", lambda: 5000.0)
    assert connect_state(workshop)["poll"]["results"]["total"] == 0
    ballots.submit_vote(phone.id, poll.id, "marry")
    assert payloads.poll_payload(poll)["results"]["total"] == 1
    assert payloads.poll_payload(poll, full=True)["results"]["total"] == 1
