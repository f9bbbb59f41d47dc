"""Predict the other side: the rule, writing predictions (group commit), the perception gap, hidden groups, sockets."""

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import ballots, perception, predictions, service
from workshop.live import state as live_state
from workshop.live.models import Poll, Prediction
from workshop.live.service import LiveError
from workshop.realtime import pulse

CORP, ACT = "Corporates", "Activists"
PROMPT = "An NHS Trust and a campaign group co-run a social marketing campaign."


def predict_poll(workshop, predict=True):
    return service.create_poll(workshop, "verdict", PROMPT, [], predict=predict)


def voter(workshop, poll, stance, choice):
    person = service.create_participant(workshop, stance)
    ballots.submit_vote(person.id, poll.id, choice)
    return person


def crowd(workshop, poll, stance, choices: str, guess=None, shares=None, target=None):
    """One phone per letter of ``choices`` (s/m/a) voting; each predicts ``guess`` or ``shares`` when given."""
    names = {"s": "snog", "m": "marry", "a": "avoid"}
    people = []
    for letter in choices:
        person = voter(workshop, poll, stance, names[letter])
        if guess or shares:
            predictions.submit_prediction(person.id, poll.id, target, guess, shares)
        people.append(person)
    return people


def two_sides(make_workshop, **fields):
    return make_workshop(stances=[CORP, ACT], **fields)


def test_the_other_side_rule():
    assert perception.other_sides([CORP, ACT], CORP) == [ACT]
    assert perception.default_target([CORP, ACT], ACT) == CORP
    three = [CORP, ACT, "Both"]
    assert perception.other_sides(three, "Both") == [CORP, ACT]
    assert perception.default_target(three, "Both") == CORP
    assert perception.default_target(three, None) == CORP  # not stated: any side, the first by default
    assert perception.other_sides(three, None) == three


def test_the_switch_is_for_verdict_polls_only(make_workshop):
    workshop = two_sides(make_workshop)
    assert predict_poll(workshop).predict
    scale = service.create_poll(workshop, "scale", "How close?", [], predict=True)
    assert not scale.predict and not perception.predicts(scale)
    poll = predict_poll(workshop, predict=False)
    service.update_poll(poll, "verdict", PROMPT, [], False, predict=True)
    assert poll.predict


def test_prediction_is_stored_before_it_returns_and_editable_while_open(make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    phone = voter(workshop, poll, ACT, "avoid")
    guess = predictions.submit_prediction(phone.id, poll.id, None, "marry", None)
    assert guess == {
        "poll_id": poll.id,
        "round": 1,
        "target": CORP,
        "pick": "marry",
        "shares": {"snog": 0, "marry": 100, "avoid": 0},
    }
    db.session.expire_all()
    assert db.session.query(Prediction).one().pick == "marry"
    changed = predictions.submit_prediction(phone.id, poll.id, CORP, None, {"snog": 20, "marry": 50, "avoid": 30})
    assert changed["pick"] is None and changed["shares"] == {"snog": 20, "marry": 50, "avoid": 30}
    db.session.expire_all()
    row = db.session.query(Prediction).one()  # one per person per run: an upsert
    assert (row.pick, row.snog, row.marry, row.avoid, row.stance) == (None, 20, 50, 30, ACT)
    state = live_state.session_state(workshop, "phone", phone)
    assert state["my_prediction"] == changed and state["poll"]["predict"] is True


@pytest.mark.parametrize(
    ("target", "pick", "shares", "message"),
    [
        (None, "kiss", None, "Pick Snog, Marry or Avoid."),
        (None, None, {"snog": 50, "marry": 40, "avoid": 20}, "add up to 100"),
        (None, None, {"snog": 50, "marry": 50}, "add up to 100"),
        (None, None, {"snog": 50.5, "marry": 49.5, "avoid": 0}, "add up to 100"),
        (None, None, {"snog": 120, "marry": -20, "avoid": 0}, "add up to 100"),
        (None, None, {"snog": True, "marry": 99, "avoid": 0}, "add up to 100"),
        (None, "snog", {"snog": 100, "marry": 0, "avoid": 0}, "not both"),
        (None, None, None, "add up to 100"),
        (ACT, "snog", None, "Predict one of the other sides."),  # its own side
        ("Aliens", "snog", None, "Predict one of the other sides."),
    ],
)
def test_bad_predictions_are_refused_and_nothing_is_written(make_workshop, target, pick, shares, message):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    phone = voter(workshop, poll, ACT, "snog")
    with pytest.raises(LiveError, match=message):
        predictions.submit_prediction(phone.id, poll.id, target, pick, shares)
    assert db.session.query(Prediction).count() == 0


def test_refused_when_closed_not_a_prediction_poll_or_no_vote_yet(make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    plain = predict_poll(workshop, predict=False)
    service.open_poll(plain)
    person = voter(workshop, plain, ACT, "snog")
    with pytest.raises(LiveError, match="does not ask for predictions"):
        predictions.submit_prediction(person.id, plain.id, None, "snog", None)
    service.open_poll(poll)
    with pytest.raises(LiveError, match="Vote first"):
        predictions.submit_prediction(person.id, poll.id, None, "snog", None)
    ballots.submit_vote(person.id, poll.id, "avoid")
    assert predictions.submit_prediction(person.id, poll.id, None, "snog", None)["pick"] == "snog"
    service.close_poll(poll)
    with pytest.raises(LiveError, match="Predictions are closed"):
        predictions.submit_prediction(person.id, poll.id, None, "avoid", None)
    with pytest.raises(LiveError, match="does not exist"):
        predictions.submit_prediction(person.id, 9999, None, "avoid", None)
    assert db.session.query(Prediction).one().pick == "snog"


def test_voting_pass_applies_to_predictions(make_workshop, make_registration):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    phone = voter(workshop, poll, ACT, "snog")
    workshop.require_ticket = True
    db.session.commit()
    with pytest.raises(LiveError, match="voting pass"):
        predictions.submit_prediction(phone.id, poll.id, None, "snog", None)


def test_gap_line_per_side(make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    # Corporates: 7 Snog, 4 Marry, 1 Avoid (58 % Snog); they think activists would Avoid.
    crowd(workshop, poll, CORP, "sssssssmmmma", guess="avoid")
    # Activists: 6 Marry, 3 Avoid, 1 Snog; their split says corporates would Marry (mean 61 %).
    split = {"snog": 24, "marry": 61, "avoid": 15}
    crowd(workshop, poll, ACT, "mmmmmmaaas", shares=split)
    service.close_poll(poll)
    gap = perception.perception(poll)
    sides = {s["stance"]: s for s in gap["sides"]}
    assert gap["predictions"] == 22
    assert sides[CORP]["line"] == "Activists thought Corporates would Marry: 61 %. Corporates chose Snog: 58 %."
    assert sides[CORP]["predicted"] == {"answer": "marry", "pct": 61, "shares": split, "n": 10}
    assert sides[ACT]["line"] == "Corporates thought Activists would Avoid: 100 %. Activists chose Marry: 60 %."
    assert sides[ACT]["shares"] == {"snog": 10, "marry": 60, "avoid": 30}


def test_mixed_picks_and_splits_average_as_shares(make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    crowd(workshop, poll, CORP, "sssss")
    crowd(workshop, poll, ACT, "mmm", guess="snog")
    crowd(workshop, poll, ACT, "mm", shares={"snog": 0, "marry": 50, "avoid": 50})
    side = next(s for s in perception.perception(poll)["sides"] if s["stance"] == CORP)
    assert side["predicted"]["shares"] == {"snog": 60, "marry": 20, "avoid": 20}
    assert side["line"] == "Activists thought Corporates would Snog: 60 %. Corporates chose Snog: 100 %."


def test_too_few_predictions_about_a_side_show_none(make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    crowd(workshop, poll, CORP, "ssssss", guess="avoid")
    crowd(workshop, poll, ACT, "mmm", guess="snog")
    crowd(workshop, poll, ACT, "mmm")  # voted, did not predict (skipped)
    sides = {s["stance"]: s for s in perception.perception(poll)["sides"]}
    assert sides[CORP]["too_few"] and sides[CORP]["line"] is None and sides[CORP]["predicted"] is None
    assert sides[ACT]["line"] == "Corporates thought Activists would Avoid: 100 %. Activists chose Marry: 100 %."


def test_hidden_groups_no_prediction_about_or_from_them_subtraction_attack(make_workshop):
    """Corporates 10, Activists 6, Not stated 2: Not stated is under 5, alone it would be worked out from the
    overall counts minus the shown groups, so Activists (the next smallest) are hidden too. Nothing about
    Activists and nothing from Activists or Not stated may reach any figure."""
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    crowd(workshop, poll, CORP, "ssssssssss", guess="avoid")
    crowd(workshop, poll, ACT, "mmmmmm", guess="marry")  # predictions from a hidden group (about Corporates)
    crowd(workshop, poll, None, "aa", guess="avoid", target=CORP)
    crowd(workshop, poll, None, "a", guess="snog", target=ACT)
    service.reveal_poll(poll)
    gap = perception.perception(poll)
    assert gap["sides"][1] == {"stance": ACT, "hidden": True}
    corp = gap["sides"][0]
    assert corp["too_few"] and corp["predicted"] is None and corp["line"] is None
    text = str(gap)
    assert "marry" not in text.replace("'marry': 0", "")  # the activists' Marry guesses appear nowhere
    # What the room and the control screen get is the same rule.
    from workshop.live.payloads import poll_payload

    for full in (False, True):
        results = poll_payload(poll, full=full)["results"]
        assert results["perception"] == gap
        assert {g["stance"]: g.get("hidden", False) for g in results["by_stance"]}[ACT] is True


def test_hidden_predictor_group_is_left_out_of_a_shown_side(make_workshop):
    workshop = make_workshop(stances=[CORP, ACT, "Both"])
    poll = predict_poll(workshop)
    service.open_poll(poll)
    crowd(workshop, poll, CORP, "sssss", guess="avoid")
    crowd(workshop, poll, ACT, "mmmmm", guess="avoid")
    crowd(workshop, poll, "Both", "aaa", guess="snog", target=CORP)  # Both: 3 (+ Not stated 2) hidden
    crowd(workshop, poll, None, "aa", guess="snog", target=CORP)
    sides = {s["stance"]: s for s in perception.perception(poll)["sides"]}
    assert sides["Both"] == {"stance": "Both", "hidden": True}
    assert sides[CORP]["predicted"]["shares"] == {"snog": 0, "marry": 0, "avoid": 100}  # activists' only
    assert sides[CORP]["by"] == ACT and sides[CORP]["predicted"]["n"] == 5


def test_reset_discards_the_runs_predictions_and_a_rerun_starts_empty(make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    phone = voter(workshop, poll, ACT, "snog")
    predictions.submit_prediction(phone.id, poll.id, None, "snog", None)
    service.close_poll(poll)
    service.open_poll(poll)  # round 2
    assert live_state.session_state(workshop, "phone", phone)["my_prediction"] is None
    service.reset_poll(poll)
    assert db.session.query(Prediction).filter_by(round=1).count() == 1
    assert db.session.query(Prediction).filter_by(round=2).count() == 0


def test_predictions_over_the_socket_ack_after_commit(socket_client, make_workshop, make_facilitator, client):
    host = make_facilitator()
    workshop = two_sides(make_workshop, facilitator=host)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    person = service.create_participant(workshop, ACT)
    sc = socket_client(auth={"code": workshop.join_code, "role": "phone", "token": person.token})
    first = sc.emit("predict", {"poll_id": poll.id, "pick": "snog"}, namespace="/live", callback=True)
    assert first == {"ok": False, "error": "Vote first, then predict the other side."}
    assert sc.emit("vote", {"poll_id": poll.id, "choice": "avoid"}, namespace="/live", callback=True)["ok"]
    ack = sc.emit("predict", {"poll_id": poll.id, "pick": "marry"}, namespace="/live", callback=True)
    assert ack["ok"] and ack["prediction"]["target"] == CORP
    assert db.session.query(Prediction).one().pick == "marry"  # committed before the ack
    edit = sc.emit(
        "predict",
        {"poll_id": poll.id, "shares": {"snog": 30, "marry": 30, "avoid": 40}},
        namespace="/live",
        callback=True,
    )
    assert edit["ok"] and db.session.query(Prediction).count() == 1
    for payload, message in (
        ("snog", "send {poll_id, pick}"),
        ({"poll_id": poll.id, "pick": 3}, "Pick Snog"),
        ({"poll_id": poll.id, "shares": {"snog": 90, "marry": 90, "avoid": 0}}, "add up to 100"),
        ({"poll_id": "x", "pick": "snog"}, "does not exist"),
    ):
        bad = sc.emit("predict", payload, namespace="/live", callback=True)
        assert bad["ok"] is False and message in bad["error"], bad
    # The phone gets its prediction back on reconnect.
    again = socket_client(auth={"code": workshop.join_code, "role": "phone", "token": person.token})
    state = next(m["args"][0] for m in again.get_received("/live") if m["name"] == "state")
    assert state["my_prediction"]["shares"] == {"snog": 30, "marry": 30, "avoid": 40}
    # Only phones predict; the control screen counts them.
    login(client, host)
    control = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=client)
    assert (
        control.emit("predict", {"poll_id": poll.id, "pick": "snog"}, namespace="/live", callback=True)["error"]
        == "only phones can predict"
    )
    control.get_received("/live")
    pulse.flush()
    tallies = [m["args"][0] for m in control.get_received("/live") if m["name"] == "poll_tally"]
    assert tallies and tallies[-1]["results"]["perception"]["predictions"] == 1
    service.close_poll(poll)
    closed = sc.emit("predict", {"poll_id": poll.id, "pick": "snog"}, namespace="/live", callback=True)
    assert closed == {"ok": False, "error": "Predictions are closed for this poll."}


def test_the_room_sees_the_gap_only_on_reveal(socket_client, make_workshop):
    workshop = two_sides(make_workshop)
    poll = service.create_poll(workshop, "verdict", PROMPT, [], show_live=True, predict=True)
    service.open_poll(poll)
    crowd(workshop, poll, CORP, "sssss", guess="avoid")
    crowd(workshop, poll, ACT, "mmmmm", guess="snog")
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    projector.get_received("/live")
    pulse.mark("tally", poll.id)
    pulse.flush()
    live = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "poll_tally"][-1]
    assert "perception" not in live["results"]  # live results while voting: not the predictions
    service.close_poll(poll)
    service.reveal_poll(poll)
    revealed = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "poll_state"][-1]
    lines = [s["line"] for s in revealed["results"]["perception"]["sides"]]
    assert lines == [
        "Activists thought Corporates would Snog: 100 %. Corporates chose Snog: 100 %.",
        "Corporates thought Activists would Avoid: 100 %. Activists chose Marry: 100 %.",
    ]


def test_planner_form_turns_prediction_on(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = two_sides(make_workshop, facilitator=host)
    login(client, host)
    client.post(f"/planner/{workshop.slug}/polls", data={"kind": "verdict", "prompt": PROMPT, "predict": "y"})
    client.post(f"/planner/{workshop.slug}/polls", data={"kind": "scale", "prompt": "How close?", "predict": "y"})
    polls = db.session.query(Poll).order_by(Poll.id).all()
    assert [p.predict for p in polls] == [True, False]
    page = client.get(f"/planner/{workshop.slug}/polls/{polls[0].id}").get_data(as_text=True)
    assert "Ask phones to predict the other side" in page and 'id="predict"' in page and "checked" in page


def test_a_flooding_phone_is_told_to_wait(app, socket_client, make_workshop):
    workshop = two_sides(make_workshop)
    poll = predict_poll(workshop)
    service.open_poll(poll)
    person = voter(workshop, poll, ACT, "snog")
    sc = socket_client(auth={"code": workshop.join_code, "role": "phone", "token": person.token})
    app.config["RATELIMIT_ENABLED"] = True
    acks = [
        sc.emit("predict", {"poll_id": poll.id, "pick": "snog"}, namespace="/live", callback=True) for _ in range(25)
    ]
    refused = [a["error"] for a in acks if not a["ok"]]
    assert acks[0]["ok"] and refused
    assert set(refused) <= {"Too many predictions: wait a few seconds.", "Too many requests: slow down."}
    assert db.session.query(Prediction).count() == 1


def test_the_demo_asks_for_predictions_on_two_verdict_polls(app, make_facilitator):
    from workshop.demo import seed_demo

    workshop = seed_demo([make_facilitator()])
    predicted = [p for p in service.list_polls(workshop) if p.predict]
    assert len(predicted) == 2 and all(p.kind.value == "verdict" for p in predicted)
