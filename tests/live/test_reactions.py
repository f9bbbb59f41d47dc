"""Reactions: counted per segment and stance in batches, one a second per phone, the switch, the sockets."""

import threading
import time

import pytest
from sqlalchemy import event

from tests.conftest import login
from workshop.extensions import db
from workshop.live import presence, reactions
from workshop.live import state as live_state
from workshop.live.models import ReactionCount, Reactor
from workshop.live.service import LiveError
from workshop.planner import service as planner
from workshop.realtime import pulse

CORP, ACT = "Corporate / public sector", "Activist / campaigner"


def received(sc, name):
    return [m["args"][0] for m in sc.get_received("/live") if m["name"] == name]


def phone(socket_client, workshop, participant):
    return socket_client(auth={"code": workshop.join_code, "role": "phone", "token": participant.token})


def counted(**where) -> int:
    return sum(r.count for r in db.session.query(ReactionCount).filter_by(**where))


def react_together(app, taps: list[tuple[int, str]]) -> list:
    """Send every (participant_id, reaction) from its own thread at once; results or errors in order."""
    gate, results = threading.Barrier(len(taps)), [None] * len(taps)

    def run(index, participant_id, reaction):
        with app.app_context():
            gate.wait()
            try:
                results[index] = reactions.react(participant_id, reaction)
            except LiveError as exc:
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *tap)) for i, tap in enumerate(taps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def room(make_workshop):
    return make_workshop(reactions_on=True)


def test_taps_arriving_together_are_counted_in_one_commit_not_one_row_each(app, room, make_participant):
    phones = [make_participant(room, CORP if n % 2 else ACT).id for n in range(12)] + [make_participant(room).id]
    commits = []

    def count_commit(_connection):
        commits.append(1)

    event.listen(db.engine, "commit", count_commit)
    try:
        results = react_together(app, [(p, "clap" if n < 9 else "think") for n, p in enumerate(phones)])
    finally:
        event.remove(db.engine, "commit", count_commit)
    assert all(isinstance(r, dict) and r["segment_id"] == 0 for r in results), results
    assert len(commits) <= 2  # one round (a straggler may make a second), never one per tap
    db.session.expire_all()
    rows = {(r.stance, r.reaction): r.count for r in db.session.query(ReactionCount)}
    assert rows == {(ACT, "clap"): 5, (CORP, "clap"): 4, (CORP, "think"): 2, (ACT, "think"): 1, ("", "think"): 1}
    assert db.session.query(Reactor).count() == 13


def test_one_reaction_a_second_per_phone(app, room, make_participant):
    me, other = make_participant(room, CORP), make_participant(room, ACT)
    assert reactions.react(me.id, "clap") == {"reaction": "clap", "counted": 1, "segment_id": 0, "pace_ms": 0}
    with pytest.raises(LiveError, match="One reaction a second"):
        reactions.react(me.id, "heart")
    reactions.react(other.id, "heart")  # another phone is not held up
    app.config.update(REACTION_GAP=0.2, REACTION_GROUP_WAIT=0)  # a tap's own round no longer lets time pass
    time.sleep(0.25)
    reactions.react(me.id, "heart")
    time.sleep(0.15)  # a tap bunched up by the network (up to half a gap early) still passes ...
    reactions.react(me.id, "heart")
    with pytest.raises(LiveError, match="One reaction a second"):  # ... but never a third in the same gap
        reactions.react(me.id, "heart")
    assert counted() == 4 and counted(reaction="heart") == 3


def test_totals_run_per_segment(app, room, make_participant):
    talk = planner.add_agenda_item(room, "Talk", "talk", 10)
    debate = planner.add_agenda_item(room, "Debate", "poll", 10)
    app.config["REACTION_GAP"] = 0
    me = make_participant(room, CORP)
    reactions.react(me.id, "wow")  # before the agenda starts: segment 0
    planner.start_segment(room, talk.id)
    for reaction in ("clap", "clap", "laugh"):
        assert reactions.react(me.id, reaction)["segment_id"] == talk.id
    planner.start_segment(room, debate.id)
    reactions.react(me.id, "think")
    assert reactions.segment_totals(room.id, 0) == {"wow": 1}
    assert reactions.segment_totals(room.id, talk.id) == {"clap": 2, "laugh": 1}
    assert reactions.reactions_payload(room, totals=True) == {
        "on": True,
        "set": room.reactions,
        "segment_id": debate.id,
        "totals": {"think": 1},
    }
    assert db.session.query(Reactor).filter_by(participant_id=me.id).count() == 3  # one per segment, not per tap


def test_refusals_off_not_offered_unknown_and_the_voting_pass(app, make_workshop, make_participant):
    app.config["REACTION_GAP"] = 0
    workshop = make_workshop(reaction_set=["clap", "fire"])
    me = make_participant(workshop, CORP)
    with pytest.raises(LiveError, match="switched off"):
        reactions.react(me.id, "clap")
    reactions.switch_reactions(workshop, True)
    for bad in ("heart", "nope", None, 3, [], ["clap", 3], ["clap", "nope"], ["clap", "heart"], {"clap": 1}):
        with pytest.raises(LiveError, match="not on offer"):
            reactions.react(me.id, bad)
    assert reactions.react(me.id, "fire")["reaction"] == "fire"
    workshop.require_ticket = True
    db.session.commit()
    with pytest.raises(LiveError, match="voting pass"):
        reactions.react(me.id, "clap")
    reactions.switch_reactions(workshop, False)
    with pytest.raises(LiveError, match="switched off"):
        reactions.react(me.id, "fire")
    assert counted() == 1


@pytest.fixture
def crowded(room):
    """This process holds 40 of the room's phones (presence's own count), taken away again after the test."""
    for _ in range(40):
        presence.phone_joined(room.id)
    yield room
    for _ in range(40):
        presence.phone_left(room.id)


def test_a_small_room_sends_every_tap_a_big_one_gathers_them_at_the_pace_it_is_told(app, crowded, make_participant):
    app.config.update(REACTION_MESSAGE_RATE=100, REACTION_GAP=0.1, REACTION_GROUP_WAIT=0)  # no round lets time pass
    me, workshop_id = make_participant(crowded, CORP), crowded.id
    assert reactions.pace_for(workshop_id) == 0.4  # 40 phones tapping 10 a second: 400 messages > 100: gather 0.4 s
    app.config["REACTION_MESSAGE_RATE"] = 500  # at 500 a second the room is small: every tap goes at once
    assert reactions.react(me.id, "clap", workshop_id)["pace_ms"] == 0
    time.sleep(0.1)
    app.config["REACTION_MESSAGE_RATE"] = 16  # 40 phones / 16 messages a second: each gathers for 2.5 s
    assert reactions.pace_for(workshop_id) == 2.5
    phone_state = live_state.session_state(crowded, "phone", me)["reactions"]
    assert phone_state["pace_ms"] == 2500  # a phone (re)connecting learns it before its first tap
    assert reactions.react(me.id, "clap", workshop_id) == {
        "reaction": "clap",
        "counted": 1,
        "segment_id": 0,
        "pace_ms": 2500,
    }
    time.sleep(0.5)  # five taps' worth at one a REACTION_GAP of 0.1 s: the gathered message passes whole
    five = ["clap", "heart", "clap", "wow", "clap"]
    assert reactions.react(me.id, five, workshop_id)["counted"] == 5
    with pytest.raises(LiveError, match="One reaction a second"):  # two more at once: faster than the limit
        reactions.react(me.id, ["clap", "clap"], workshop_id)
    assert counted(reaction="clap") == 5 and counted(reaction="heart") == 1 and counted() == 7
    app.config["REACTION_PACE_MAX"] = 1.0  # the longest pace caps both the wait and a message's size
    assert reactions.pace_for(workshop_id) == 1.0 and reactions.max_batch() == 16
    with pytest.raises(LiveError, match="at most 16 reactions at once"):
        reactions.react(me.id, ["clap"] * 17, workshop_id)


def test_tick_counts_are_the_growth_since_the_last_broadcast(app, room, make_participant, socket_client):
    app.config["REACTION_GAP"] = 0
    projector = socket_client(auth={"code": room.join_code, "role": "projector"})
    state = received(projector, "state")[0]["reactions"]
    assert state == {"on": True, "set": room.reactions, "segment_id": 0, "totals": {}}
    phones = [make_participant(room, CORP) for _ in range(3)]
    for person in phones:
        reactions.react(person.id, "clap")
    reactions.react(phones[0].id, "heart")
    pulse.flush()
    first = received(projector, "reaction_tally")
    assert (
        len(first) == 1
        and first[0]["tick"] == {"clap": 3, "heart": 1}
        and first[0]["totals"] == {"clap": 3, "heart": 1}
    )
    reactions.react(phones[1].id, "clap")
    pulse.flush()
    assert [(m["tick"], m["totals"]) for m in received(projector, "reaction_tally")] == [
        ({"clap": 1}, {"clap": 4, "heart": 1})
    ]
    pulse.flush()  # nothing new: nothing sent
    assert received(projector, "reaction_tally") == []
    reactions.react(phones[2].id, ["wow", "clap", "wow"])  # a phone's gathered taps count one by one
    pulse.flush()
    assert [(m["tick"], m["totals"]) for m in received(projector, "reaction_tally")] == [
        ({"clap": 1, "wow": 2}, {"clap": 5, "heart": 1, "wow": 2})
    ]


def test_socket_react_is_acknowledged_after_commit_with_error_acks(app, room, make_participant, socket_client):
    sc = phone(socket_client, room, make_participant(room, ACT))
    ack = sc.emit("react", {"reaction": "laugh"}, namespace="/live", callback=True)
    assert ack == {"ok": True, "reaction": {"reaction": "laugh", "counted": 1, "segment_id": 0, "pace_ms": 0}}
    assert counted(reaction="laugh", stance=ACT) == 1  # acknowledged: in the database
    too_fast = sc.emit("react", {"reaction": "laugh"}, namespace="/live", callback=True)
    assert too_fast == {"ok": False, "error": "One reaction a second: wait a moment."}
    app.config["REACTION_GAP"] = 0
    for payload, message in (
        ({"reaction": "🍕"}, "not on offer"),
        ({"reaction": "fire"}, "not on offer"),
        ("clap", "send {reaction}"),
        (None, "send {reaction}"),
    ):
        ack = sc.emit("react", payload, namespace="/live", callback=True)
        assert ack["ok"] is False and message in ack["error"], (payload, ack)
    gathered = sc.emit("react", {"reactions": ["clap", "think", "clap"]}, namespace="/live", callback=True)
    assert gathered == {"ok": True, "reaction": {"reaction": "clap", "counted": 3, "segment_id": 0, "pace_ms": 0}}
    for payload in ({"reactions": []}, {"reactions": ["clap", "🍕"]}, {"reactions": "clap,clap"}):
        ack = sc.emit("react", payload, namespace="/live", callback=True)
        assert ack == {"ok": False, "error": "That reaction is not on offer here."}, (payload, ack)
    projector = socket_client(auth={"code": room.join_code, "role": "projector"})
    assert projector.emit("react", {"reaction": "clap"}, namespace="/live", callback=True) == {
        "ok": False,
        "error": "only phones can react",
    }
    assert counted() == 4 and counted(reaction="clap", stance=ACT) == 2


def test_switch_from_control_reaches_phones_and_projectors_and_reconnects(
    app, client, room, make_participant, socket_client
):
    person = make_participant(room, CORP)
    sc = phone(socket_client, room, person)
    assert received(sc, "state")[0]["reactions"] == {"on": True, "set": room.reactions, "pace_ms": 0}
    projector = socket_client(auth={"code": room.join_code, "role": "projector"})
    projector.get_received("/live")
    assert sc.emit("reactions_switch", {"on": False}, namespace="/live", callback=True)["ok"] is False
    login(client, room.facilitators[0])
    control = socket_client(auth={"code": room.join_code, "role": "control"}, http=client)
    assert control.emit("reactions_switch", {"on": "no"}, namespace="/live", callback=True) == {
        "ok": False,
        "error": "on must be true or false",
    }
    ack = control.emit("reactions_switch", {"on": False}, namespace="/live", callback=True)
    assert ack == {"ok": True, "reactions": {"on": False, "set": room.reactions}}
    assert received(sc, "reactions") == [{"on": False, "set": room.reactions}]
    assert received(projector, "reactions") == [{"on": False, "set": room.reactions}]
    off = sc.emit("react", {"reaction": "clap"}, namespace="/live", callback=True)
    assert off == {"ok": False, "error": "Reactions are switched off."}
    sc.disconnect("/live")  # a phone that comes back hears the switch in its state
    again = phone(socket_client, room, person)
    assert received(again, "state")[0]["reactions"]["on"] is False
    assert live_state.session_state(room, "phone", person)["reactions"] == {
        "on": False,
        "set": room.reactions,
        "pace_ms": 0,
    }


def test_planner_form_saves_the_set_and_switch(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    page = client.get(f"/planner/{workshop.slug}").get_data(as_text=True)
    assert "👏 Applause" in page and "💡 Good idea" in page
    form = {
        "title": workshop.title,
        "slug": workshop.slug,
        "timezone": "Europe/London",
        "capacity": "30",
        "starts_at": "2030-01-01T10:00",
        "ends_at": "2030-01-01T12:00",
        "join_code": workshop.join_code,
        "stances": "A\nB",
        "moderation": "post",
    }
    too_many = client.post(f"/planner/{workshop.slug}", data={**form, "reaction_set": list(planner.REACTION_PALETTE)})
    assert "Pick at most 6 reactions" in too_many.get_data(as_text=True)
    client.post(f"/planner/{workshop.slug}", data={**form, "reactions_on": "y", "reaction_set": ["idea", "clap"]})
    db.session.refresh(workshop)
    assert workshop.reactions_on and workshop.reaction_set == ["clap", "idea"]
    assert [r["name"] for r in workshop.reactions] == ["Applause", "Good idea"]
    client.post(f"/planner/{workshop.slug}", data=form)  # switched off; no box ticked keeps the set
    db.session.refresh(workshop)
    assert not workshop.reactions_on and workshop.reaction_set == ["clap", "idea"]
