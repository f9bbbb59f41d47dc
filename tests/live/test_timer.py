"""The poll countdown: planned default, started from the control screen, the server closes at zero."""

from datetime import timedelta

from tests.conftest import login
from workshop.extensions import db
from workshop.live import payloads, service
from workshop.live.models import PollState, Vote
from workshop.models import utcnow
from workshop.realtime import pulse


def control(socket_client, client, workshop):
    login(client, workshop.facilitators[0])
    return socket_client(auth={"code": workshop.join_code, "role": "control"}, http=client)


def phone(socket_client, workshop, participant):
    return socket_client(auth={"code": workshop.join_code, "role": "phone", "token": participant.token})


def open_timed(make_workshop, make_poll):
    """A workshop with a poll open on a 30 s countdown."""
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll, 30)
    return workshop, poll


def pass_zero(poll) -> None:
    """Move the countdown's end into the past (as if 30 s went by)."""
    poll.closes_at = utcnow() - timedelta(milliseconds=1)
    db.session.commit()


def vote(socket_client, workshop, participant, poll) -> dict:
    """A phone's vote and its ack."""
    sc = phone(socket_client, workshop, participant)
    return sc.emit("vote", {"poll_id": poll.id, "choice": "snog"}, namespace="/live", callback=True)


def test_open_uses_the_planned_countdown_and_payload_carries_its_end(make_workshop, make_poll):
    poll = make_poll(make_workshop())
    poll.timer_seconds = 45
    service.open_poll(poll)
    payload = payloads.poll_payload(poll)
    assert payload["timer_seconds"] == 45
    assert 44 <= payload["closes_at"] - payload["at"] <= 45


def test_open_with_zero_seconds_has_no_countdown(make_workshop, make_poll):
    poll = make_poll(make_workshop())
    poll.timer_seconds = 45
    service.open_poll(poll, 0)
    assert poll.closes_at is None and payloads.poll_payload(poll)["closes_at"] is None


def test_control_starts_replaces_and_cancels_a_countdown(socket_client, client, make_workshop, make_poll):
    workshop = make_workshop()
    poll = make_poll(workshop)
    sc = control(socket_client, client, workshop)
    ack = sc.emit("poll_open", {"poll_id": poll.id, "seconds": 30}, namespace="/live", callback=True)
    assert ack["ok"] and 29 <= ack["poll"]["closes_at"] - ack["poll"]["at"] <= 30
    ack = sc.emit("poll_timer", {"poll_id": poll.id, "seconds": 90}, namespace="/live", callback=True)
    assert ack["ok"] and 89 <= ack["poll"]["closes_at"] - ack["poll"]["at"] <= 90
    ack = sc.emit("poll_timer", {"poll_id": poll.id, "seconds": 0}, namespace="/live", callback=True)
    assert ack["ok"] and ack["poll"]["closes_at"] is None


def test_bad_seconds_and_a_closed_poll_get_error_acks(socket_client, client, make_workshop, make_poll):
    workshop = make_workshop()
    poll = make_poll(workshop)
    sc = control(socket_client, client, workshop)
    for seconds in (-1, 3601, "30", 2.5, True, None):
        ack = sc.emit("poll_timer", {"poll_id": poll.id, "seconds": seconds}, namespace="/live", callback=True)
        assert ack == {"ok": False, "error": "seconds must be a whole number from 0 to 3600"}
    ack = sc.emit("poll_timer", {"poll_id": poll.id, "seconds": 30}, namespace="/live", callback=True)
    assert ack == {"ok": False, "error": "Only an open poll can have a countdown."}


def test_server_closes_the_poll_at_zero_and_tells_the_room(socket_client, make_workshop, make_poll,
                                                           make_participant):
    workshop, poll = open_timed(make_workshop, make_poll)
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    projector.get_received("/live")
    pulse.flush()
    assert db.session.get(service.Poll, poll.id).state == PollState.open  # not due yet: still marked
    pass_zero(poll)
    pulse.flush()
    assert db.session.get(service.Poll, poll.id).state == PollState.closed
    states = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "poll_state"]
    assert states[-1]["state"] == "closed" and states[-1]["closes_at"] is None


def test_a_vote_after_the_countdown_closed_the_poll_says_time_is_up(socket_client, make_workshop, make_poll,
                                                                    make_participant):
    workshop, poll = open_timed(make_workshop, make_poll)
    pass_zero(poll)
    pulse.flush()  # the countdown closes it
    assert vote(socket_client, workshop, make_participant(workshop), poll) == {"ok": False, "error": "Time is up: voting has closed for this poll."}


def test_a_poll_closed_by_hand_before_zero_is_just_closed(socket_client, make_workshop, make_poll,
                                                          make_participant):
    workshop, poll = open_timed(make_workshop, make_poll)
    service.close_poll(poll)
    assert vote(socket_client, workshop, make_participant(workshop), poll) == {"ok": False, "error": "Voting is closed for this poll."}


def test_a_vote_after_zero_is_refused_with_a_clear_message(socket_client, make_workshop, make_poll,
                                                           make_participant):
    workshop, poll = open_timed(make_workshop, make_poll)
    participant = make_participant(workshop)
    pass_zero(poll)  # zero passed; the pulse has not closed it yet
    assert vote(socket_client, workshop, participant, poll) == {"ok": False, "error": "Time is up: voting has closed for this poll."}
    assert db.session.query(Vote).count() == 0


def test_an_overdue_countdown_closes_when_a_screen_connects(socket_client, make_workshop, make_poll):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll, 30)
    poll.closes_at = utcnow() - timedelta(seconds=5)  # e.g. the process was restarted meanwhile
    db.session.commit()
    sc = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    state = [m["args"][0] for m in sc.get_received("/live") if m["name"] == "state"][0]
    assert state["poll"]["state"] == "closed"


def test_planner_sets_the_default_countdown(client, make_workshop):
    workshop = make_workshop()
    login(client, workshop.facilitators[0])
    response = client.post(f"/planner/{workshop.slug}/polls", data={
        "kind": "verdict", "prompt": "Timed?", "options": "", "timer_seconds": "60"})
    assert response.status_code == 302, response.data
    assert service.list_polls(workshop)[-1].timer_seconds == 60
    response = client.post(f"/planner/{workshop.slug}/polls", data={
        "kind": "verdict", "prompt": "Timed?", "options": "", "timer_seconds": "5000"})
    assert b"A countdown is between 5 and 3600 seconds." in response.data
    assert len(service.list_polls(workshop)) == 1
