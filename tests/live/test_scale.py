"""Scale polls: planning, votes (the shared vote path), tallies with medians per stance, sockets, the planner form."""

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import ballots, payloads, service
from workshop.live import state as live_state
from workshop.live.models import Poll, PollKind, Vote
from workshop.live.service import LiveError
from workshop.live.tally import scale_stats, tally
from workshop.realtime import pulse

CORP, ACT = "Corporate / public sector", "Activist / campaigner"
SCALE = {"min": 0, "max": 10, "low": "Avoid", "high": "Marry", "mid": "Snog"}


def scale_poll(workshop, **settings):
    return service.create_poll(workshop, "scale", "How close should they get?", [], settings={**SCALE, **settings})


def vote_all(workshop, poll, stance, points):
    for point in points:
        ballots.submit_vote(service.create_participant(workshop, stance).id, poll.id, str(point))


def test_scale_settings_are_kept_checked_and_copied(make_workshop):
    workshop = make_workshop()
    poll = scale_poll(workshop, min=1, max=5)
    assert poll.kind == PollKind.scale and poll.answers == ["1", "2", "3", "4", "5"]
    assert poll.scale == {"min": 1, "max": 5, "low": "Avoid", "high": "Marry", "mid": "Snog"}
    assert service.create_poll(workshop, "scale", "Defaults?", []).scale["max"] == 10
    for bad in ({"min": 5, "max": 5}, {"min": 0, "max": 11}, {"min": -10, "max": 5}, {"min": "0", "max": 10}):
        with pytest.raises(LiveError, match="whole numbers"):
            scale_poll(workshop, **bad)
    assert service.create_poll(workshop, "verdict", "No settings", []).settings is None
    copy = make_workshop()
    service.copy_polls(workshop, copy)
    db.session.commit()
    assert service.list_polls(copy)[0].scale == poll.scale


def test_scale_range_is_fixed_once_run_but_labels_change(make_workshop):
    poll = scale_poll(make_workshop())
    service.open_poll(poll)
    with pytest.raises(LiveError, match="has run"):
        service.update_poll(poll, "scale", "Wording", [], False, settings={**SCALE, "max": 5})
    service.update_poll(poll, "scale", "Wording", [], False, settings={**SCALE, "low": "Never"})
    assert poll.scale["low"] == "Never" and poll.prompt == "Wording"


def test_scale_votes_are_checked_with_clear_errors(make_workshop, make_participant):
    workshop = make_workshop()
    poll, phone = scale_poll(workshop), make_participant(workshop, CORP)
    service.open_poll(poll)
    for bad, message in (("11", "outside this scale"), (-1, "outside this scale"), ("seven", "whole number"),
                         ("07", "whole number"), (7.5, "whole number"), (True, "whole number"), (None, "whole number"),
                         ("", "whole number"), (["7"], "whole number")):
        with pytest.raises(LiveError, match=message):
            ballots.submit_vote(phone.id, poll.id, bad)
    assert db.session.query(Vote).count() == 0
    assert ballots.submit_vote(phone.id, poll.id, 7)["choice"] == 7  # a number is taken too, stored as "7"
    ballots.submit_vote(phone.id, poll.id, "10")
    assert [v.choice for v in db.session.query(Vote)] == ["10"]


def test_scale_stats_median_and_mean():
    assert scale_stats({"0": 0, "1": 0}) == {"median": None, "mean": None}
    assert scale_stats({"2": 1, "7": 1}) == {"median": 4.5, "mean": 4.5}
    assert scale_stats({"1": 3, "9": 1}) == {"median": 1, "mean": 3.0}
    assert scale_stats({"-2": 1, "0": 1, "3": 1}) == {"median": 0, "mean": 0.3}


def test_scale_tally_has_medians_per_stance_and_the_gap(make_workshop):
    workshop = make_workshop()
    poll = scale_poll(workshop)
    service.open_poll(poll)
    vote_all(workshop, poll, ACT, [1, 2, 2, 3, 9])
    vote_all(workshop, poll, CORP, [6, 7, 7, 8, 8])
    vote_all(workshop, poll, "Both", [5, 5, 5])  # under the minimum group size: never shown, no median
    vote_all(workshop, poll, "Neither", [4, 6])
    result = tally(poll)
    assert result["total"] == 15 and result["counts"]["7"] == 2 and len(result["counts"]) == 11
    assert result["median"] == 5 and result["mean"] == 5.2
    groups = {g["stance"]: g for g in result["by_stance"]}
    assert groups[ACT]["median"] == 2 and groups[CORP]["median"] == 7
    assert groups["Both"] == {"stance": "Both", "hidden": True}
    assert result["gap"] == {"low": ACT, "high": CORP, "value": 5}


def test_scale_gap_needs_two_shown_sides(make_workshop):
    workshop = make_workshop()
    poll = scale_poll(workshop)
    service.open_poll(poll)
    vote_all(workshop, poll, ACT, [1, 2, 3, 4, 5, 6])
    assert tally(poll)["gap"] is None


def test_scale_payload_and_my_vote_on_reconnect(make_workshop, make_participant):
    workshop = make_workshop()
    poll, phone = scale_poll(workshop), make_participant(workshop, ACT)
    service.open_poll(poll)
    ballots.submit_vote(phone.id, poll.id, "3")
    state = live_state.session_state(workshop, "phone", phone)
    assert state["my_vote"] == "3" and state["poll"]["scale"] == SCALE
    assert state["poll"]["answers"][0] == "0" and state["poll"]["answers"][-1] == "10"
    assert payloads.poll_payload(service.create_poll(workshop, "verdict", "V", []))["scale"] is None


def test_scale_over_the_socket(socket_client, make_workshop, make_participant):
    workshop = make_workshop()
    poll = scale_poll(workshop)
    service.open_poll(poll)
    service.reveal_poll(poll)
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    sc = socket_client(auth={"code": workshop.join_code, "role": "phone", "token": make_participant(workshop, CORP).token})
    ack = sc.emit("vote", {"poll_id": poll.id, "choice": "8"}, namespace="/live", callback=True)
    assert ack == {"ok": True, "vote": {"poll_id": poll.id, "round": 1, "choice": "8"}}
    bad = sc.emit("vote", {"poll_id": poll.id, "choice": "12"}, namespace="/live", callback=True)
    assert bad == {"ok": False, "error": "12 is outside this scale: pick a point from 0 to 10."}
    bad = sc.emit("vote", {"poll_id": poll.id, "choice": "lots"}, namespace="/live", callback=True)
    assert bad == {"ok": False, "error": "Send a whole number from 0 to 10."}
    projector.get_received("/live")
    pulse.flush()
    tallies = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "poll_tally"]
    assert tallies[-1]["results"]["counts"]["8"] == 1 and tallies[-1]["results"]["median"] == 8


def test_planner_form_creates_and_edits_scale_polls(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    bad = client.post(f"/planner/{workshop.slug}/polls", data={"kind": "scale", "prompt": "How close?",
                                                              "scale_min": "0", "scale_max": "20"})
    assert "at most 10 steps" in bad.get_data(as_text=True)
    client.post(f"/planner/{workshop.slug}/polls", data={
        "kind": "scale", "prompt": "How close?", "options": "ignored", "scale_min": "1", "scale_max": "7",
        "scale_low": "Avoid", "scale_high": "Marry", "scale_mid": ""})
    poll = db.session.query(Poll).one()
    assert poll.options == [] and poll.scale == {"min": 1, "max": 7, "low": "Avoid", "high": "Marry", "mid": ""}
    page = client.get(f"/planner/{workshop.slug}/polls/{poll.id}").get_data(as_text=True)
    assert 'value="Marry"' in page and 'value="7"' in page
    client.post(f"/planner/{workshop.slug}/polls/{poll.id}", data={
        "kind": "scale", "prompt": "How close now?", "scale_min": "0", "scale_max": "10", "scale_low": "No"})
    db.session.expire_all()
    assert db.session.get(Poll, poll.id).scale["max"] == 10
