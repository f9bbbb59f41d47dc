"""Poll rules straight through the live service."""

import pytest

from workshop.extensions import db
from workshop.live import ballots, payloads, service
from workshop.live import state as live_state
from workshop.live.models import PollState, Vote
from workshop.live.service import LiveError
from workshop.live.tally import tally

CORP, ACT = "Corporate / public sector", "Activist / campaigner"


def test_lifecycle_refuses_illegal_moves(make_workshop, make_poll):
    poll = make_poll(make_workshop())
    with pytest.raises(LiveError):
        service.close_poll(poll)
    with pytest.raises(LiveError):
        service.reveal_poll(poll)
    service.open_poll(poll)
    with pytest.raises(LiveError):
        service.open_poll(poll)
    service.close_poll(poll)
    assert poll.state == PollState.closed


def test_one_vote_per_participant_changeable_while_open(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll, phone = make_poll(workshop), make_participant(workshop, CORP)
    service.open_poll(poll)
    ballots.submit_vote(phone.id, poll.id, "snog")
    ballots.submit_vote(phone.id, poll.id, "avoid")
    assert db.session.query(Vote).count() == 1
    assert tally(poll)["counts"] == {"snog": 0, "marry": 0, "avoid": 1}
    service.close_poll(poll)
    with pytest.raises(LiveError, match="closed"):
        ballots.submit_vote(phone.id, poll.id, "marry")


def test_bad_choices_and_foreign_polls_are_refused(make_workshop, make_poll, make_participant):
    workshop, other = make_workshop(), make_workshop()
    poll, foreign = make_poll(workshop), make_poll(other)
    service.open_poll(poll)
    service.open_poll(foreign)
    phone = make_participant(workshop)
    for choice in ("kiss", None, ["snog"], 3):
        with pytest.raises(LiveError):
            ballots.submit_vote(phone.id, poll.id, choice)
    with pytest.raises(LiveError):
        ballots.submit_vote(phone.id, foreign.id, "snog")
    assert db.session.query(Vote).count() == 0


def test_classic_poll_needs_distinct_assignment(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop, "classic", options=["Trust", "Clinicians", "Blog"])
    service.open_poll(poll)
    phone = make_participant(workshop)
    with pytest.raises(LiveError, match="different answer"):
        ballots.submit_vote(phone.id, poll.id, ["snog", "snog", "avoid"])
    ballots.submit_vote(phone.id, poll.id, ["marry", "snog", "avoid"])
    grid = tally(poll)["counts"]
    assert grid[0]["marry"] == 1 and grid[1]["snog"] == 1 and grid[2]["avoid"] == 1


def test_stance_split_hides_groups_under_five(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    for n in range(6):
        ballots.submit_vote(make_participant(workshop, CORP).id, poll.id, "snog" if n < 4 else "avoid")
    for _ in range(4):
        ballots.submit_vote(make_participant(workshop, ACT).id, poll.id, "avoid")
    result = tally(poll)
    assert result["total"] == 10 and result["counts"]["avoid"] == 6
    groups = {g["stance"]: g for g in result["by_stance"]}
    # Activists alone hidden would still show: overall avoid 6 - corporate avoid 2 = their 4. So both go.
    assert groups[CORP] == {"stance": CORP, "hidden": True} and groups[ACT] == {"stance": ACT, "hidden": True}
    for _ in range(3):
        ballots.submit_vote(make_participant(workshop, ACT).id, poll.id, "marry")  # activists: 7
    for _ in range(3):
        ballots.submit_vote(make_participant(workshop, "Both").id, poll.id, "snog")  # "Both": 3
    for _ in range(2):
        ballots.submit_vote(make_participant(workshop).id, poll.id, "marry")  # "Not stated": 2
    groups = {g["stance"]: g for g in tally(poll)["by_stance"]}
    # The two small groups add up to 5: subtraction gives only their combined votes, so both others show.
    assert groups[CORP]["counts"] == {"snog": 4, "marry": 0, "avoid": 2}
    assert groups[ACT]["counts"] == {"snog": 0, "marry": 3, "avoid": 4}
    assert groups["Both"].get("hidden") and groups["Not stated"].get("hidden")


def test_results_hidden_until_reveal_unless_live(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    hidden, live = make_poll(workshop), make_poll(workshop, show_live=True)
    service.open_poll(hidden)
    assert "results" not in payloads.poll_payload(hidden)
    assert "results" in payloads.poll_payload(hidden, full=True)
    service.reveal_poll(hidden)
    assert payloads.poll_payload(hidden)["results"]["total"] == 0
    service.open_poll(live)
    assert "results" in payloads.poll_payload(live)


def test_rerun_starts_a_new_round_and_keeps_the_old(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll, phone = make_poll(workshop), make_participant(workshop, CORP)
    service.open_poll(poll)
    ballots.submit_vote(phone.id, poll.id, "avoid")
    service.close_poll(poll)
    service.open_poll(poll)
    assert poll.round == 2 and payloads.my_vote(poll, phone) is None
    ballots.submit_vote(phone.id, poll.id, "snog")
    assert tally(poll, 1)["counts"]["avoid"] == 1 and tally(poll, 2)["counts"]["snog"] == 1


def test_reset_discards_current_run(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    ballots.submit_vote(make_participant(workshop).id, poll.id, "marry")
    service.reset_poll(poll)
    assert poll.state == PollState.draft and db.session.query(Vote).count() == 0


def test_opening_a_poll_closes_the_other_and_next_moves_on(make_workshop, make_poll):
    workshop = make_workshop()
    first, second, third = make_poll(workshop), make_poll(workshop), make_poll(workshop)
    service.open_poll(first)
    service.next_poll(workshop)
    assert first.state == PollState.closed and second.state == PollState.open
    assert service.current_poll(workshop).id == second.id
    service.open_poll(third)
    assert second.state == PollState.closed
    with pytest.raises(LiveError):
        service.next_poll(workshop)


def test_voting_pass_requires_checked_in_ticket(make_workshop, make_poll, make_participant, make_registration):
    workshop = make_workshop(require_ticket=True)
    poll = make_poll(workshop)
    service.open_poll(poll)
    with pytest.raises(LiveError, match="voting pass"):
        ballots.submit_vote(make_participant(workshop).id, poll.id, "snog")
    registration = make_registration(workshop, stance=ACT)
    phone = service.bind_ticket(workshop, registration.ticket_code.lower())
    assert phone.stance == ACT and registration.checked_in_at is not None
    ballots.submit_vote(phone.id, poll.id, "snog")
    assert service.bind_ticket(workshop, registration.ticket_code).id == phone.id


def test_bind_ticket_refuses_unknown_or_other_workshops(make_workshop, make_registration):
    workshop, other = make_workshop(), make_workshop()
    registration = make_registration(other)
    for code in ("NOPE", registration.ticket_code, ""):
        with pytest.raises(LiveError):
            service.bind_ticket(workshop, code)


def test_session_state_has_poll_vote_and_results_when_revealed(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll, phone = make_poll(workshop), make_participant(workshop, CORP)
    service.open_poll(poll)
    ballots.submit_vote(phone.id, poll.id, "marry")
    state = live_state.session_state(workshop, "phone", phone)
    assert state["poll"]["id"] == poll.id and state["my_vote"] == "marry" and "results" not in state["poll"]
    service.reveal_poll(poll)
    assert live_state.session_state(workshop, "phone", phone)["poll"]["results"]["counts"]["marry"] == 1


def test_choice_poll_takes_only_its_own_answer_numbers(make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop, "choice", options=["Yes", "No", "Depends"])
    service.open_poll(poll)
    phone = make_participant(workshop)
    for choice in ("3", "-1", "01", " 1", "1.0", "٣", "1" * 5000, "snog", ""):
        with pytest.raises(LiveError, match="not one of this poll's answers"):
            ballots.submit_vote(phone.id, poll.id, choice)
    assert ballots.submit_vote(phone.id, poll.id, "2")["choice"] == "2"
    assert db.session.query(Vote).one().choice == "2"


def test_hidden_groups_never_leave_a_small_group_to_subtraction():
    from workshop.live.tally import hidden_groups

    assert hidden_groups({"A": 10, "B": 8}, 5) == set()
    assert hidden_groups({"A": 10, "B": 3}, 5) == {"A", "B"}  # B alone = overall - A
    assert hidden_groups({"A": 10, "B": 8, "C": 3}, 5) == {"B", "C"}  # the next smallest joins C
    assert hidden_groups({"A": 10, "B": 3, "C": 2}, 5) == {"B", "C"}  # together 5: enough
    assert hidden_groups({"A": 4}, 5) == {"A"}
