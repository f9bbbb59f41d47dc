"""Who moved: flows between two runs (joined / left), the small-flow suppression and its subtraction attacks,
per side; the projector toggle through the service and over the socket (facilitators only)."""

from collections import Counter
from itertools import count

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import ballots, moves, service
from workshop.live import state as live_state
from workshop.live.flows import (
    JOINED,
    LEFT,
    build_flows,
    flow_rows,
    headline,
    labels,
    lines,
    poll_flows,
    scale_bands,
)
from workshop.live.models import Poll
from workshop.live.service import LiveError
from workshop.realtime import pulse

CORP, ACT = "Corporate / public sector", "Activist / campaigner"
STANCES = [CORP, ACT, "Both", "Neither"]
ids = count(1)
SIDE_ERROR = "side must be one of this workshop's stances, or null for everyone"


def people(n, before, after, stance=CORP):
    """``n`` made-up rows of people who went from ``before`` to ``after``."""
    return [(next(ids), before, after, stance) for _ in range(n)]


def shown(table) -> dict:
    return {(f["from"], f["to"]): f["n"] for f in table["flows"]}


def side(result, stance) -> dict:
    return next(g for g in result["by_stance"] if g["stance"] == stance)


def check_nothing_leaks(rows, result, min_group=5):
    """Every sum the room can know, minus what is shown of it, is 0 or at least min_group: per table the answers
    of each run (the public tallies), the whole table, who stayed and who changed; overall minus the sides."""
    overall, sides = Counter(), {}
    for _, before, after, stance in rows:
        cell = (before or JOINED, after or LEFT)
        overall[cell] += 1
        sides.setdefault(stance or "Not stated", Counter())[cell] += 1
    tables = [(overall, result)] + [(sides[g["stance"]], g) for g in result["by_stance"] if not g.get("hidden")]
    for counts, table in tables:
        visible = shown(table)
        assert all(n >= min_group for n in visible.values()), visible
        for line in lines(counts):  # a line with nothing shown tells no more than its own total (its tally)
            rest = sum(counts[c] for c in line) - sum(visible.get(c, 0) for c in line)
            assert rest == 0 or rest >= min_group or not any(c in visible for c in line), (line, rest)
    for cell, n in shown(result).items():
        rest = n - sum(shown(g).get(cell, 0) for g in result["by_stance"] if not g.get("hidden"))
        assert rest == 0 or rest >= min_group, (cell, rest)


# --- counting ----------------------------------------------------------------------------------


def test_flows_count_people_from_answer_to_answer_with_joined_and_left():
    rows = (
        people(6, "avoid", "snog")
        + people(5, "snog", "snog")
        + people(5, "marry", "marry")
        + people(5, None, "avoid")
        + people(5, "avoid", None)
    )
    result = build_flows(rows, STANCES, 5)
    assert shown(result) == {
        ("avoid", "snog"): 6,
        ("snog", "snog"): 5,
        ("marry", "marry"): 5,
        (JOINED, "avoid"): 5,
        ("avoid", LEFT): 5,
    }
    assert (
        result["total"],
        result["changed"],
        result["stayed"],
        result["joined"],
        result["left"],
        result["other"],
    ) == (26, 6, 10, 5, 5, 0)
    words = {"snog": "Snog", "marry": "Marry", "avoid": "Avoid"}
    assert headline(result, words) == "6 people changed their answer; most moved Avoid → Snog (6)"
    assert headline({"changed": 0, "flows": []}, words) == "Nobody changed their answer"
    assert (
        headline({"changed": 1, "flows": []}, words)
        == "1 person changed their answer; each move too small to show alone"
    )


def test_a_small_flow_is_merged_into_other_moves_never_shown_alone():
    rows = (
        people(9, "avoid", "snog")
        + people(2, "avoid", "marry")
        + people(6, "snog", "snog")
        + people(7, "marry", "snog")
    )
    result = build_flows(rows, STANCES, 5)
    assert ("avoid", "marry") not in shown(result)
    assert result["other"] >= 5  # merged with more than itself: "other moves" never is one small flow
    check_nothing_leaks(rows, result)


def test_attack_total_minus_shown_flows_cannot_reveal_the_one_hidden_flow():
    # One flow of 1 among big ones: the whole table (and the "changed" headline) minus the shown flows would
    # be exactly that 1 person. The next smallest flow is merged with it.
    rows = (
        people(8, "avoid", "snog")
        + people(7, "snog", "marry")
        + people(6, "marry", "avoid")
        + people(1, "snog", "avoid")
    )
    result = build_flows(rows, STANCES, 5)
    visible = shown(result)
    assert ("snog", "avoid") not in visible
    assert result["total"] - sum(visible.values()) == result["other"] >= 5
    assert result["changed"] - sum(n for (a, b), n in visible.items() if a != b) >= 5
    check_nothing_leaks(rows, result)


def test_attack_a_runs_public_tally_minus_shown_flows_cannot_reveal_a_hidden_flow():
    # Round 1 "snog" had 10 votes (its tally was on the projector). Shown "snog -> snog 8" would leave
    # snog -> avoid = 2 to be worked out; so the 8 is merged too.
    rows = (
        people(8, "snog", "snog")
        + people(2, "snog", "avoid")
        + people(9, "marry", "marry")
        + people(9, "avoid", "avoid")
    )
    result = build_flows(rows, STANCES, 5)
    visible = shown(result)
    assert ("snog", "avoid") not in visible and ("snog", "snog") not in visible
    assert 10 - sum(n for (a, _), n in visible.items() if a == "snog") == 10
    check_nothing_leaks(rows, result)


def test_attack_overall_flow_minus_shown_side_flows_cannot_reveal_a_hidden_side_flow():
    # avoid -> snog: 7 overall, 5 corporates (shown alone it would be fine), 2 activists (hidden): overall 7
    # minus corporates' 5 = the activists' 2. The corporates' 5 is merged on their side too.
    rows = (
        people(5, "avoid", "snog", CORP)
        + people(2, "avoid", "snog", ACT)
        + people(6, "snog", "snog", CORP)
        + people(6, "marry", "marry", ACT)
    )
    result = build_flows(rows, STANCES, 5)
    assert shown(result)[("avoid", "snog")] == 7
    assert ("avoid", "snog") not in shown(side(result, CORP)) and ("avoid", "snog") not in shown(side(result, ACT))
    check_nothing_leaks(rows, result)


def test_a_flow_hidden_overall_is_hidden_on_every_side():
    # marry -> avoid is merged overall (with the 3 snog -> avoid); were the sides to show it, they would add
    # up to it and give the overall merge away.
    rows = (
        people(5, "marry", "avoid", CORP)
        + people(3, "snog", "avoid", ACT)
        + people(9, "snog", "snog", CORP)
        + people(8, "avoid", "avoid", ACT)
        + people(9, "marry", "marry", CORP)
    )
    result = build_flows(rows, STANCES, 5)
    hidden_overall = {c for c in [("marry", "avoid"), ("snog", "avoid")] if c not in shown(result)}
    assert ("snog", "avoid") in hidden_overall
    for group in result["by_stance"]:
        assert not hidden_overall & set(shown(group)), group
    check_nothing_leaks(rows, result)


def test_small_sides_are_hidden_whole_like_the_split():
    rows = (
        people(6, "avoid", "snog", CORP)
        + people(6, "snog", "snog", ACT)
        + people(3, "avoid", "snog", "Both")
        + people(2, "marry", "marry", None)
    )
    result = build_flows(rows, STANCES, 5)
    assert [(g["stance"], g.get("hidden", False)) for g in result["by_stance"]] == [
        (CORP, False),
        (ACT, False),
        ("Both", True),
        ("Not stated", True),
    ]
    # Overall avoid -> snog 9 minus the corporates' 6 would be what the hidden sides did (3): merged there.
    assert shown(result)[("avoid", "snog")] == 9 and shown(side(result, CORP)) == {}
    check_nothing_leaks(rows, result)


@pytest.mark.parametrize("seed", range(40))
def test_random_rooms_never_leak(seed):
    import random

    rng = random.Random(seed)
    answers = ["snog", "marry", "avoid", None]
    rows = [
        (
            i,
            rng.choice(answers),
            rng.choice(answers[:3] if rng.random() < 0.5 else answers),
            rng.choice([*STANCES, None]),
        )
        for i in range(rng.randint(5, 80))
    ]
    rows = [r for r in rows if r[1] or r[2]]
    result = build_flows(rows, STANCES, 5)
    check_nothing_leaks(rows, result)
    assert result["total"] == len(rows)


# --- the database: one query, default rounds --------------------------------------------------


def rerun(workshop, poll, votes_by_round):
    """Run a poll once per round; ``votes_by_round``: [{participant: choice}] in order."""
    for n, votes in enumerate(votes_by_round):
        service.open_poll(poll)
        for person, choice in votes.items():
            ballots.submit_vote(person.id, poll.id, choice)
        service.close_poll(poll)
        assert poll.round == n + 1


def test_poll_flows_read_the_last_two_runs(make_workshop, make_participant, make_poll):
    workshop = make_workshop()
    poll = make_poll(workshop)
    corp = [make_participant(workshop, CORP) for _ in range(12)]
    late = make_participant(workshop, ACT)
    assert poll_flows(poll, 5) is None
    second = {**{p: "snog" for p in corp[:6]}, **{p: "avoid" for p in corp[6:11]}, late: "marry"}  # corp[11] away
    rerun(workshop, poll, [{p: "avoid" for p in corp}, second, {**{p: "snog" for p in corp}, late: "marry"}])
    rows = flow_rows(poll.id, 1, 2)
    assert len(rows) == 13 and sum(1 for _, b, a, s in rows if (b, a, s) == ("avoid", "snog", CORP)) == 6
    assert [(b, a, s) for _, b, a, s in rows if None in (a, b)] == [("avoid", None, CORP), (None, "marry", ACT)] or [
        (b, a, s) for _, b, a, s in rows if None in (a, b)
    ] == [(None, "marry", ACT), ("avoid", None, CORP)]
    last = poll_flows(poll, 5)  # runs 2 and 3: every flow is small or gives a small one away
    assert (last["first"], last["last"], shown(last), last["other"]) == (2, 3, {}, 13)
    first = poll_flows(poll, 5, 1, 2)
    assert shown(first) == {("avoid", "snog"): 6} and first["other"] == 7
    assert (first["joined"], first["left"], first["changed"], first["stayed"]) == (1, 1, 6, 5)
    assert labels(poll)[JOINED] == "Joined" and labels(poll)[LEFT] == "Left"
    assert poll_flows(make_poll(workshop, "classic"), 5) is None  # three answers per person: no single flow


# --- the projector toggle ---------------------------------------------------------------------


def room(workshop, make_participant):
    return [make_participant(workshop, CORP) for _ in range(6)] + [make_participant(workshop, ACT) for _ in range(6)]


def test_show_moves_is_what_the_projector_gets_on_reconnect(make_workshop, make_participant, make_poll):
    workshop = make_workshop()
    poll, other = make_poll(workshop), make_poll(workshop, prompt="Another")
    phones = room(workshop, make_participant)
    with pytest.raises(LiveError, match="re-run it first"):
        moves.show_moves(poll, True)
    rerun(workshop, poll, [{p: "avoid" for p in phones}, {p: "snog" for p in phones}])
    payload = moves.show_moves(poll, True)
    assert payload["shown"] and payload["headline"] == "12 people changed their answer; most moved Avoid → Snog (12)"
    assert payload["flows"] == [{"from": "avoid", "to": "snog", "n": 12, "from_label": "Avoid", "to_label": "Snog"}]
    assert "<svg" in payload["svg"] and "Avoid" in payload["svg"]
    state = live_state.session_state(workshop, "projector")
    assert state["moves"]["poll_id"] == poll.id and state["moves"]["side"] is None and "sides" not in state["moves"]
    assert live_state.session_state(workshop, "control")["moves"]["sides"][0] == {
        "stance": CORP,
        "mark": "●",
        "hidden": False,
    }
    side_view = moves.show_moves(poll, True, ACT)
    assert side_view["side"] == ACT and side_view["headline"].startswith("6 people changed")
    assert live_state.session_state(workshop, "projector")["moves"]["side"] == ACT
    with pytest.raises(LiveError, match="stances"):
        moves.show_moves(poll, True, "Martians")
    nobody = moves.show_moves(poll, True, "Both")  # a stance none of whose people voted: hidden like a small one
    assert nobody["hidden"] and nobody["flows"] == [] and "Too few people on this side to show" in nobody["svg"]
    assert nobody["headline"] == "Too few people on this side to show who moved (under 5)"
    moves.show_moves(poll, False)
    assert live_state.session_state(workshop, "projector")["moves"] is None
    moves.show_moves(poll, True)
    service.open_poll(other)  # voting again takes the diagram off the projector
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).moves_shown is None
    assert live_state.session_state(workshop, "projector")["moves"] is None


def test_plan_rerun_is_on_the_poll_payload(make_workshop, make_poll):
    workshop = make_workshop()
    moves.plan_rerun(make_poll(workshop), True)
    assert live_state.session_state(workshop, "control")["polls"][0]["rerun_planned"] is True


def test_moves_over_the_socket_facilitators_only(
    socket_client, make_workshop, make_participant, make_poll, make_facilitator, client
):
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = make_poll(workshop)
    phones = room(workshop, make_participant)
    rerun(workshop, poll, [{p: "avoid" for p in phones}, {p: "snog" for p in phones}])
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    phone = socket_client(auth={"code": workshop.join_code, "role": "phone", "token": phones[0].token})
    for sc in (projector, phone):
        for event in ("moves_show", "moves_get"):
            ack = sc.emit(event, {"poll_id": poll.id, "shown": True}, namespace="/live", callback=True)
            assert ack["ok"] is False and "facilitators" in ack["error"], ack
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).moves_shown is None
    control = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=login(client, host))
    for payload, message in (
        ({"poll_id": "x", "shown": True}, "poll_id must be a number"),
        ({"poll_id": 999, "shown": True}, "no such poll"),
        ({"poll_id": poll.id, "shown": "yes"}, "shown must be true or false"),
        ({"poll_id": poll.id, "shown": True, "side": 3}, SIDE_ERROR),
        ({"poll_id": poll.id, "shown": True, "side": "Martians"}, SIDE_ERROR),
    ):
        assert control.emit("moves_show", payload, namespace="/live", callback=True) == {"ok": False, "error": message}
    assert control.emit("moves_show", "nonsense", namespace="/live", callback=True)["ok"] is False
    projector.get_received("/live")
    ack = control.emit("moves_show", {"poll_id": poll.id, "shown": True}, namespace="/live", callback=True)
    assert ack["ok"] and ack["moves"]["shown"] and ack["moves"]["headline"].startswith("12 people changed")
    sent = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "moves"]
    assert sent and sent[-1]["shown"] and sent[-1]["flows"][0]["n"] == 12 and "sides" not in sent[-1]
    got = control.emit("moves_get", {"poll_id": poll.id, "side": CORP}, namespace="/live", callback=True)
    assert got["ok"] and got["moves"]["side"] == CORP and got["moves"]["shown"] is False
    ack = control.emit("moves_show", {"poll_id": poll.id, "shown": False}, namespace="/live", callback=True)
    assert ack["ok"] and ack["moves"]["shown"] is False
    sent = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "moves"]
    assert sent[-1] == {"poll_id": poll.id, "shown": False}


def test_votes_while_shown_redraw_the_projectors_diagram(socket_client, make_workshop, make_participant, make_poll):
    workshop = make_workshop()
    poll = make_poll(workshop)
    phones = room(workshop, make_participant)
    rerun(workshop, poll, [{p: "avoid" for p in phones}])
    service.open_poll(poll)
    for p in phones[:6]:
        ballots.submit_vote(p.id, poll.id, "snog")
    moves.show_moves(poll, True)
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    assert projector.get_received("/live")[0]["args"][0]["moves"]["flows"][0]["n"] == 6
    for p in phones[6:]:
        ballots.submit_vote(p.id, poll.id, "snog")
    pulse.flush()  # the tally marks the flows, which are redrawn (at most once a second when running)
    pulse.flush()
    sent = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "moves"]
    assert sent[-1]["flows"][0]["n"] == 12


def test_the_planner_marks_a_poll_planned_as_a_rerun(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    client.post(
        f"/planner/{workshop.slug}/polls", data={"kind": "verdict", "prompt": "Again later?", "rerun_planned": "y"}
    )
    poll = db.session.query(Poll).one()
    assert poll.rerun_planned
    page = client.get(f"/planner/{workshop.slug}/polls").get_data(as_text=True)
    assert '<span class="tag">re-run planned</span>' in page
    assert (
        "checked"
        in client.get(f"/planner/{workshop.slug}/polls/{poll.id}").get_data(as_text=True).split("rerun_planned")[1][:80]
    )
    client.post(f"/planner/{workshop.slug}/polls/{poll.id}", data={"kind": "verdict", "prompt": "Once only"})
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).rerun_planned is False


def test_a_scale_moves_between_three_bands(make_workshop, make_participant):
    workshop = make_workshop()
    settings = {"min": 0, "max": 10, "low": "Avoid", "high": "Marry", "mid": "Snog"}
    poll = service.create_poll(workshop, "scale", "How close?", [], settings=settings)
    phones = [make_participant(workshop, CORP) for _ in range(12)]
    rerun(
        workshop,
        poll,
        [{p: str(n % 4) for n, p in enumerate(phones)}, {p: str(7 + n % 4) for n, p in enumerate(phones)}],
    )
    result = poll_flows(poll, 5)
    assert labels(poll) == {
        "0..3": "0–3 Avoid",
        "4..6": "4–6 Snog",
        "7..10": "7–10 Marry",
        JOINED: "Joined",
        LEFT: "Left",
    }
    assert shown(result) == {("0..3", "7..10"): 12}
    assert result["headline"] == "12 people changed their answer; most moved 0–3 Avoid → 7–10 Marry (12)"
    five = service.create_poll(workshop, "scale", "1 to 5?", [], settings={"min": 1, "max": 5})
    assert [label for _, label, _, _ in scale_bands(five)] == ["1–2", "3", "4–5"]
