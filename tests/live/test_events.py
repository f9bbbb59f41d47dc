"""The /live namespace through Flask-SocketIO's test client."""

from tests.conftest import login
from workshop.extensions import db
from workshop.live import service
from workshop.live.models import PollState, Vote
from workshop.realtime import pulse

CORP = "Corporate / public sector"


def received(sc, name):
    return [m["args"][0] for m in sc.get_received("/live") if m["name"] == name]


def phone(socket_client, workshop, participant):
    return socket_client(auth={"code": workshop.join_code, "role": "phone", "token": participant.token})


def test_phone_without_participant_is_refused(socket_client, make_workshop):
    workshop = make_workshop()
    assert not socket_client(auth={"code": workshop.join_code, "role": "phone"}).is_connected("/live")
    assert not socket_client(auth={"code": "NOPE", "role": "projector"}).is_connected("/live")


def test_connect_sends_full_state(socket_client, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    sc = phone(socket_client, workshop, make_participant(workshop, CORP))
    state = received(sc, "state")[0]
    assert state["poll"]["id"] == poll.id and state["poll"]["state"] == "open"
    assert state["me"]["stance"] == CORP and state["my_vote"] is None


def test_vote_is_acknowledged_after_commit_and_reaches_projector(socket_client, make_workshop, make_poll,
                                                                 make_participant, app):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    sc = phone(socket_client, workshop, make_participant(workshop, CORP))
    ack = sc.emit("vote", {"poll_id": poll.id, "choice": "avoid"}, namespace="/live", callback=True)
    assert ack == {"ok": True, "vote": {"poll_id": poll.id, "round": 1, "choice": "avoid"}}
    assert db.session.query(Vote).filter_by(poll_id=poll.id, choice="avoid").count() == 1
    projector.get_received("/live")
    pulse.flush()
    tallies = received(projector, "poll_tally")
    assert tallies[-1]["total"] == 1 and "results" not in tallies[-1]


def test_many_votes_coalesce_into_one_tally_per_tick(socket_client, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    projector.get_received("/live")
    for _ in range(10):
        phone(socket_client, workshop, make_participant(workshop)).emit(
            "vote", {"poll_id": poll.id, "choice": "snog"}, namespace="/live", callback=True)
    pulse.flush()
    tallies = received(projector, "poll_tally")
    assert len(tallies) == 1 and tallies[0]["total"] == 10


def test_bad_payloads_get_error_acks(socket_client, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    sc = phone(socket_client, workshop, make_participant(workshop))
    for payload in (None, "snog", [], {"poll_id": "x"}, {"poll_id": poll.id, "choice": "kiss"},
                    {"poll_id": 10**12, "choice": "snog"}, {"poll_id": True, "choice": "snog"}):
        ack = sc.emit("vote", payload, namespace="/live", callback=True)
        assert ack["ok"] is False and ack["error"], payload
    assert db.session.query(Vote).count() == 0


def test_participant_cannot_send_facilitator_events(socket_client, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    sc = phone(socket_client, workshop, make_participant(workshop))
    for event in ("poll_open", "poll_close", "poll_reveal", "poll_reset", "poll_next", "segment_start"):
        ack = sc.emit(event, {"poll_id": poll.id, "item_id": 1}, namespace="/live", callback=True)
        assert ack == {"ok": False, "error": "facilitators only"}, event
    db.session.refresh(poll)
    assert poll.state == PollState.draft


def test_control_requires_facilitator_of_that_workshop(socket_client, client, app, make_workshop,
                                                       make_facilitator, make_poll):
    host, stranger = make_facilitator(), make_facilitator()
    workshop = make_workshop(host)
    make_workshop(stranger)
    anonymous = socket_client(auth={"code": workshop.join_code, "role": "control"})
    assert not anonymous.is_connected("/live")
    login(client, stranger)
    wrong = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=client)
    assert not wrong.is_connected("/live")


def test_facilitator_runs_a_poll(socket_client, client, make_workshop, make_facilitator, make_poll, make_participant):
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = make_poll(workshop)
    login(client, host)
    control = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=client)
    assert control.is_connected("/live")
    watcher = phone(socket_client, workshop, make_participant(workshop))
    watcher.get_received("/live")
    assert control.emit("poll_open", {"poll_id": poll.id}, namespace="/live", callback=True)["ok"]
    assert received(watcher, "poll_state")[-1]["state"] == "open"
    watcher.emit("vote", {"poll_id": poll.id, "choice": "marry"}, namespace="/live", callback=True)
    ack = control.emit("poll_reveal", {"poll_id": poll.id}, namespace="/live", callback=True)
    assert ack["poll"]["results"]["counts"]["marry"] == 1
    assert received(watcher, "poll_state")[-1]["results"]["total"] == 1
    refused = control.emit("poll_open", {"poll_id": poll.id}, namespace="/live", callback=True)
    assert refused["ok"] is False and "cannot become open" in refused["error"]
    item = workshop.agenda
    assert control.emit("segment_start", {"item_id": 999}, namespace="/live", callback=True)["ok"] is False
    assert item == []


def test_reconnect_gets_own_vote_back(socket_client, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    participant = make_participant(workshop)
    first = phone(socket_client, workshop, participant)
    first.emit("vote", {"poll_id": poll.id, "choice": "snog"}, namespace="/live", callback=True)
    first.disconnect("/live")
    again = phone(socket_client, workshop, participant)
    assert received(again, "state")[0]["my_vote"] == "snog"


def test_phones_hear_the_tally_once_within_a_second_a_slice_per_tick(socket_client, make_workshop, make_poll,
                                                                      make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    people = [make_participant(workshop) for _ in range(pulse.SLICES)]  # ids are consecutive: one per slice
    phones = [phone(socket_client, workshop, p) for p in people]
    phones[0].emit("vote", {"poll_id": poll.id, "choice": "snog"}, namespace="/live", callback=True)
    for sc in phones:
        sc.get_received("/live")
    pulse.flush(tick=1)  # the projector's tick: the tally is computed once, phones are owed it
    heard = []
    for tick in range(1, pulse.SLICES + 1):
        pulse._spread_tick(tick % pulse.SLICES)
        heard.append([len(received(sc, "poll_tally")) for sc in phones])
    assert [sum(counts) for counts in heard] == [1] * pulse.SLICES  # a tenth of the room per tick
    totals = [received(sc, "poll_tally") for sc in phones]  # drained above: each phone heard exactly once
    assert all(t == [] for t in totals)
    pulse._spread_tick(0)
    assert sum(len(received(sc, "poll_tally")) for sc in phones) == 0  # nothing owed twice


def test_a_newer_tally_replaces_the_one_still_owed(socket_client, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    voters = [phone(socket_client, workshop, make_participant(workshop)) for _ in range(2)]
    voters[0].emit("vote", {"poll_id": poll.id, "choice": "snog"}, namespace="/live", callback=True)
    pulse.flush(tick=1)
    voters[1].emit("vote", {"poll_id": poll.id, "choice": "avoid"}, namespace="/live", callback=True)
    pulse.flush(tick=2)
    for sc in voters:
        sc.get_received("/live")
    for slice_ in range(pulse.SLICES):
        pulse._spread_tick(slice_)
    assert [[t["total"] for t in received(sc, "poll_tally")] for sc in voters] == [[2], [2]]


def forget_loaded_user() -> None:
    """Flask-Login caches the user in ``g``; here every request and event shares the test's app context
    (in a server each has its own), so drop it to make the next one load its user from its session."""
    from flask import g

    g.pop("_login_user", None)


def test_signing_out_ends_open_control_screens_but_not_a_co_hosts(app, socket_client, make_workshop, make_poll,
                                                                   make_facilitator, make_participant):
    host, co_host = make_facilitator(), make_facilitator()
    workshop = make_workshop(facilitator=host)
    workshop.facilitators.append(co_host)
    db.session.commit()
    poll = make_poll(workshop)
    tab = login(app.test_client(), host)  # the control screen's browser tab
    control = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=tab)
    other = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=login(app.test_client(), co_host))
    assert control.emit("poll_open", {"poll_id": poll.id}, namespace="/live", callback=True)["ok"]

    another_tab = login(app.test_client(), host)  # the same facilitator signs out elsewhere
    assert another_tab.post("/logout").status_code == 302
    forget_loaded_user()
    assert tab.get("/planner/").status_code == 302  # every session of the account ended, not just that one
    forget_loaded_user()

    for sc in (control, other):
        sc.get_received("/live")
    phone(socket_client, workshop, make_participant(workshop)).emit(
        "vote", {"poll_id": poll.id, "choice": "snog"}, namespace="/live", callback=True)
    pulse.flush()
    assert received(control, "poll_tally") == []  # out of its room on sign-out: hears nothing more
    assert received(other, "poll_tally")[-1]["total"] == 1  # the co-host's screen carries on
    forget_loaded_user()
    assert control.emit("poll_close", {"poll_id": poll.id}, namespace="/live", callback=True) == {
        "ok": False, "error": "facilitators only"}
    forget_loaded_user()
    assert control.emit("state", {}, namespace="/live", callback=True)["ok"] is False
    forget_loaded_user()
    assert other.emit("poll_close", {"poll_id": poll.id}, namespace="/live", callback=True)["ok"]


def test_a_workshop_without_facilitators_sends_control_payloads_to_nobody(socket_client, make_workshop, make_poll,
                                                                          make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    workshop.facilitators = []  # e.g. the account was deleted
    db.session.commit()
    sc = phone(socket_client, workshop, make_participant(workshop, CORP))
    sc.emit("vote", {"poll_id": poll.id, "choice": "avoid"}, namespace="/live", callback=True)
    sc.get_received("/live")
    pulse.flush(tick=1)  # projector and control only; phones' slices come later
    assert received(sc, "poll_tally") == []  # not the control screen's full results, broadcast to everyone
