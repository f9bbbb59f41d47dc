"""The /questions namespace through the Flask-SocketIO test client: auth, acks, broadcasts, reconnects."""

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.planner.models import Moderation
from workshop.questions import service
from workshop.questions import wall as question_wall
from workshop.realtime import pulse

NS = "/questions"


def _drain(sc) -> list:
    """Messages since the last look, oldest first (with those a phone_wall() call set aside)."""
    kept, sc.kept = getattr(sc, "kept", []), []
    return kept + sc.get_received(NS)


def received(sc, name):
    """Payloads of the events called ``name`` that arrived since the last call."""
    return [m["args"][0] for m in _drain(sc) if m["name"] == name]


def apply_delta(wall: dict, delta: dict) -> dict:
    """What questions-phone.js does with a wall_delta (a phone behind the delta's base would resync)."""
    assert wall["version"] >= delta["base"], "the phone would have to ask for the whole wall"
    if delta["version"] <= wall["version"]:
        return wall
    questions = {q["id"]: q for q in wall["questions"]}
    for qid in delta["removed"]:
        questions.pop(qid, None)
    questions.update({q["id"]: q for q in delta["changed"]})
    small = {k: v for k, v in delta.items() if k not in ("base", "changed", "removed")}
    return {**small, "questions": list(questions.values())}


def phone_wall(sc) -> dict:
    """The wall a phone shows now: its last whole wall with every delta since applied."""
    messages = _drain(sc)
    sc.kept = [m for m in messages if m["name"] not in ("wall", "wall_delta")]
    for m in messages:
        if m["name"] == "wall":
            sc.view = m["args"][0]
        elif m["name"] == "wall_delta":
            sc.view = apply_delta(sc.view, m["args"][0])
    return sc.view


def without_version(wall: dict) -> dict:
    """A wall to compare: questions by id, no read time."""
    return {**{k: v for k, v in wall.items() if k != "version"}, "questions": sorted(wall["questions"], key=lambda q: q["id"])}


@pytest.fixture
def room(app, make_workshop, make_participant, make_facilitator, socket_client):
    """A workshop with a facilitator's control screen, a projector and two phones connected."""
    host = make_facilitator()
    workshop = make_workshop(facilitator=host)
    alice, bob = make_participant(workshop, "Both"), make_participant(workshop, "Neither")
    http = login(app.test_client(), host)
    control = socket_client(NS, {"code": workshop.join_code, "role": "control"}, http=http)
    screen = socket_client(NS, {"code": workshop.join_code, "role": "projector"})
    phone_a = socket_client(NS, {"code": workshop.join_code, "role": "phone", "token": alice.token})
    phone_b = socket_client(NS, {"code": workshop.join_code, "role": "phone", "token": bob.token})

    class Room:
        pass

    r = Room()
    r.workshop, r.alice, r.bob, r.control, r.screen, r.phone_a, r.phone_b = (
        workshop, alice, bob, control, screen, phone_a, phone_b)
    for sc in (control, screen, phone_a, phone_b):
        sc.get_received(NS)
    return r


def test_connect_sends_the_whole_wall_then_my_questions(app, make_workshop, make_participant, socket_client):
    workshop = make_workshop()
    me = make_participant(workshop, "Both")
    service.ask_question(workshop, me, "Already asked")
    sc = socket_client(NS, {"code": workshop.join_code, "role": "phone", "token": me.token})
    messages = sc.get_received(NS)
    assert [m["name"] for m in messages] == ["wall", "mine"]
    wall, mine = messages[0]["args"][0], messages[1]["args"][0]
    assert wall["questions"][0]["text"] == "Already asked" and wall["counts"]["received"] == 1
    assert mine["questions"][0]["text"] == "Already asked" and mine["upvotes"] == []


@pytest.mark.parametrize("auth", [None, {"code": "NOPE", "role": "phone"}, {"code": "CODE1", "role": "phone"},
                                  {"code": "CODE1", "role": "control"}, {"code": "CODE1", "role": "king"}])
def test_connect_is_refused_without_the_right_auth(app, make_workshop, socket_client, auth):
    make_workshop()
    sc = socket_client(NS, auth)
    assert not sc.is_connected(NS)


def test_phone_asks_and_the_wall_follows_after_a_flush(room):
    ack = room.phone_a.emit("ask", {"text": "<script>alert(1)</script>"}, namespace=NS, callback=True)
    assert ack["ok"] is True and ack["question"]["text"] == "<script>alert(1)</script>"
    assert ack["question"]["status"] == "live" and ack["question"]["stance"] == "Both"
    pulse.flush()
    for sc in (room.screen, room.phone_b, room.control):
        wall = received(sc, "wall")[-1]
        assert [q["text"] for q in wall["questions"]] == ["<script>alert(1)</script>"]


def test_upvote_toggle_ack_and_own_question_refused(room):
    qid = room.phone_a.emit("ask", {"text": "Upvote me"}, namespace=NS, callback=True)["question"]["id"]
    assert room.phone_b.emit("upvote", {"question_id": qid}, namespace=NS, callback=True) == {
        "ok": True, "question_id": qid, "upvoted": True, "votes": 1}
    assert room.phone_b.emit("upvote", {"question_id": qid}, namespace=NS, callback=True)["upvoted"] is False
    assert room.phone_a.emit("upvote", {"question_id": qid}, namespace=NS, callback=True) == {
        "ok": False, "error": "You cannot upvote your own question."}


@pytest.mark.parametrize("event, payload, message", [
    ("ask", "just text", "payload must be an object"),
    ("ask", {"text": ""}, "Type a question first."),
    ("ask", {"text": ["list"]}, "Type a question first."),
    ("ask", {"text": "x" * 281}, "Questions can be at most 280 characters (yours has 281)."),
    ("upvote", {"question_id": "1"}, "That question does not exist."),
    ("upvote", {}, "That question does not exist."),
    ("upvote", [1, 2], "payload must be an object"),
])
def test_bad_payloads_get_error_acks(room, event, payload, message):
    assert room.phone_a.emit(event, payload, namespace=NS, callback=True) == {"ok": False, "error": message}


@pytest.mark.parametrize("event", ["approve", "dismiss", "merge", "highlight", "unhighlight", "mark_answered",
                                   "undo", "set_moderation"])
def test_participant_cannot_use_facilitator_events(room, event):
    qid = room.phone_a.emit("ask", {"text": "Mine"}, namespace=NS, callback=True)["question"]["id"]
    ack = room.phone_a.emit(event, {"question_id": qid, "reason": "abusive", "mode": "queue"}, namespace=NS,
                            callback=True)
    assert ack == {"ok": False, "error": "facilitators only"}
    assert room.screen.emit(event, {"question_id": qid}, namespace=NS, callback=True)["ok"] is False
    assert question_wall.wall_state(room.workshop)["questions"][0]["status"] == "live"


def test_phones_and_projectors_cannot_ask_as_each_other(room):
    assert room.screen.emit("ask", {"text": "From the projector"}, namespace=NS, callback=True) == {
        "ok": False, "error": "only phones that joined the workshop can do this"}
    assert room.control.emit("upvote", {"question_id": 1}, namespace=NS, callback=True)["ok"] is False


@pytest.mark.parametrize("event, payload, message", [
    ("approve", {"question_id": 999}, "That question does not exist."),
    ("dismiss", {"question_id": "Q"}, "That question does not exist."),
    ("undo", {"action_id": "last"}, "action_id must be a number."),
    ("undo", {}, "There is nothing to undo."),
    ("set_moderation", {"mode": "chaos"}, "Moderation must be 'post' or 'queue'."),
    ("highlight", "not an object", "payload must be an object"),
])
def test_bad_control_payloads_get_error_acks(room, event, payload, message):
    assert room.control.emit(event, payload, namespace=NS, callback=True) == {"ok": False, "error": message}


def test_queue_mode_keeps_pending_off_public_screens(room):
    room.workshop.moderation = Moderation.queue
    db.session.commit()
    ack = room.phone_a.emit("ask", {"text": "Held for approval"}, namespace=NS, callback=True)
    assert ack["question"]["status"] == "pending"
    pulse.flush()
    for sc in (room.screen, room.phone_b, room.phone_a):
        wall = received(sc, "wall")[-1]
        assert wall["questions"] == [] and wall["counts"]["pending"] == 1
        assert "Held for approval" not in str(wall)
    assert [q["text"] for q in received(room.control, "wall")[-1]["questions"]] == ["Held for approval"]
    ack = room.control.emit("approve", {"question_id": ack["question"]["id"]}, namespace=NS, callback=True)
    assert ack["ok"] and ack["question"]["status"] == "live"
    assert received(room.phone_a, "my_question")[-1]["status"] == "live"
    pulse.flush()
    assert [q["text"] for q in received(room.screen, "wall")[-1]["questions"]] == ["Held for approval"]


def test_facilitator_highlights_answers_dismisses_and_undoes(room):
    qa = room.phone_a.emit("ask", {"text": "First"}, namespace=NS, callback=True)["question"]["id"]
    qb = room.phone_b.emit("ask", {"text": "Second"}, namespace=NS, callback=True)["question"]["id"]
    assert room.control.emit("highlight", {"question_id": qa}, namespace=NS, callback=True)["question"]["highlighted"]
    pulse.flush()
    assert received(room.screen, "wall")[-1]["highlighted"]["text"] == "First"
    assert room.control.emit("mark_answered", {"question_id": qa}, namespace=NS, callback=True)["ok"]
    ack = room.control.emit("dismiss", {"question_id": qb, "reason": "duplicate"}, namespace=NS, callback=True)
    assert ack["question"]["dismiss_label"] == "Duplicate"
    assert received(room.phone_b, "my_question")[-1]["dismiss_label"] == "Duplicate"
    pulse.flush()
    wall = received(room.screen, "wall")[-1]
    assert wall["highlighted"] is None and wall["answered"] == [qa]
    assert wall["counts"]["dismissed"] == 1 and wall["counts"]["answered"] == 1
    assert room.control.emit("undo", {}, namespace=NS, callback=True)["question"]["status"] == "live"
    pulse.flush()
    assert [q["text"] for q in phone_wall(room.phone_a)["questions"] if q["status"] == "live"] == ["Second"]


def test_merge_event_combines_votes(room, make_participant):
    carol = make_participant(room.workshop, "Both")
    qa = room.phone_a.emit("ask", {"text": "Original"}, namespace=NS, callback=True)["question"]["id"]
    qb = room.phone_b.emit("ask", {"text": "Same again"}, namespace=NS, callback=True)["question"]["id"]
    service.toggle_upvote(carol, qb)
    ack = room.control.emit("merge", {"question_id": qb, "into_id": qa}, namespace=NS, callback=True)
    assert ack["question"]["status"] == "merged"
    pulse.flush()
    wall = received(room.screen, "wall")[-1]
    assert [(q["text"], q["votes"], q["merged_ids"]) for q in wall["questions"]] == [("Original", 1, [qb])]


def test_state_event_resynchronises(room):
    room.phone_a.emit("ask", {"text": "Persisted"}, namespace=NS, callback=True)
    ack = room.phone_a.emit("state", {}, namespace=NS, callback=True)
    assert ack["ok"] and ack["wall"]["questions"][0]["text"] == "Persisted"
    assert ack["mine"]["questions"][0]["text"] == "Persisted"


def test_reconnect_gets_the_full_wall(room, socket_client):
    room.phone_a.emit("ask", {"text": "Before the drop"}, namespace=NS, callback=True)
    room.phone_b.disconnect(NS)
    again = socket_client(NS, {"code": room.workshop.join_code, "role": "phone", "token": room.bob.token})
    assert received(again, "wall")[0]["questions"][0]["text"] == "Before the drop"


def test_rate_limit_refusal_is_a_clear_ack(app, room):
    app.config.update(RATELIMIT_ENABLED=True, QUESTION_RATE=(3, 60))
    for n in range(3):
        assert room.phone_a.emit("ask", {"text": f"Q{n}"}, namespace=NS, callback=True)["ok"]
    ack = room.phone_a.emit("ask", {"text": "Q4"}, namespace=NS, callback=True)
    assert ack == {"ok": False, "error": "You can ask 3 questions per 60 seconds. Wait a moment, then try again."}


def test_another_workshops_facilitator_cannot_control(app, room, make_workshop, make_facilitator, socket_client):
    other = make_facilitator()
    make_workshop(facilitator=other)
    http = login(app.test_client(), other)
    sc = socket_client(NS, {"code": room.workshop.join_code, "role": "control"}, http=http)
    assert not sc.is_connected(NS)


def test_many_upvotes_are_coalesced_into_one_wall_per_flush(room, make_participant):
    qid = room.phone_a.emit("ask", {"text": "Popular"}, namespace=NS, callback=True)["question"]["id"]
    pulse.flush()
    room.screen.get_received(NS)
    room.phone_b.get_received(NS)
    voters = [make_participant(room.workshop, "Both") for _ in range(12)]
    for voter in voters:
        service.toggle_upvote(voter, qid)
    assert received(room.screen, "wall") == []  # nothing until the tick
    pulse.flush()
    walls = received(room.screen, "wall")
    assert len(walls) == 1 and walls[0]["questions"][0]["votes"] == 12
    updates = [m for m in room.phone_b.get_received(NS) if m["name"] in ("wall", "wall_delta")]
    assert [m["name"] for m in updates] == ["wall_delta"]  # the phone had its whole wall at the first flush
    assert [q["votes"] for q in updates[0]["args"][0]["changed"]] == [12]


def test_phones_get_the_whole_wall_once_then_only_what_changed(room, make_participant):
    ids = [room.phone_a.emit("ask", {"text": f"Question {n}"}, namespace=NS, callback=True)["question"]["id"]
           for n in range(3)]
    pulse.flush()
    whole = received(room.phone_b, "wall")
    assert len(whole) == 1 and len(whole[0]["questions"]) == 3
    room.phone_b.view = whole[0]
    assert room.phone_b.emit("upvote", {"question_id": ids[0]}, namespace=NS, callback=True)["ok"]
    pulse.flush()
    deltas = [m["args"][0] for m in room.phone_b.get_received(NS) if m["name"] == "wall_delta"]
    assert len(deltas) == 1 and deltas[0]["removed"] == []
    assert [(q["id"], q["votes"]) for q in deltas[0]["changed"]] == [(ids[0], 1)]  # one question, not three
    room.phone_b.kept = [{"name": "wall_delta", "args": deltas, "namespace": NS}]
    assert without_version(phone_wall(room.phone_b)) == without_version(question_wall.wall_state(room.workshop, "phone"))
    room.control.emit("dismiss", {"question_id": ids[1], "reason": "off-topic"}, namespace=NS, callback=True)
    pulse.flush()
    shown = phone_wall(room.phone_b)
    assert ids[1] not in [q["id"] for q in shown["questions"]] and shown["counts"]["dismissed"] == 1
    assert without_version(shown) == without_version(question_wall.wall_state(room.workshop, "phone"))


def test_a_signed_out_facilitators_control_screen_hears_no_more_held_questions(app, room):
    from flask import g

    room.workshop.moderation = Moderation.queue
    db.session.commit()
    host = room.workshop.facilitators[0]
    assert login(app.test_client(), host).post("/logout").status_code == 302  # signed out in another tab
    g.pop("_login_user", None)  # the test's shared app context cached the signed-out request's user
    room.phone_a.emit("ask", {"text": "Held: only facilitators may read this"}, namespace=NS, callback=True)
    pulse.flush()
    assert received(room.control, "wall") == []
    assert room.control.emit("state", {}, namespace=NS, callback=True) == {"ok": False, "error": "facilitators only"}
    g.pop("_login_user", None)
    question = question_wall.wall_state(room.workshop, "control")["questions"][0]
    assert room.control.emit("approve", {"question_id": question["id"]}, namespace=NS, callback=True)["ok"] is False
