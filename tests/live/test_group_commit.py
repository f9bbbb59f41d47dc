"""Votes arriving together are written by one group commit; each voter still gets its own answer."""

import threading

import pytest

from workshop.extensions import db
from workshop.live import ballots, payloads, service
from workshop.live.models import Vote
from workshop.live.service import LiveError
from workshop.live.tally import tally


def vote_together(app, votes: list[tuple[int, int, object]]) -> list:
    """Submit every (participant_id, poll_id, choice) from its own thread at once; results or errors in order."""
    gate, results = threading.Barrier(len(votes)), [None] * len(votes)

    def run(index, participant_id, poll_id, choice):
        with app.app_context():
            gate.wait()
            try:
                results[index] = ballots.submit_vote(participant_id, poll_id, choice)
            except LiveError as exc:
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *b)) for i, b in enumerate(votes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_simultaneous_votes_are_all_stored_once(app, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll = make_poll(workshop)
    service.open_poll(poll)
    phones = [make_participant(workshop).id for _ in range(16)]
    results = vote_together(app, [(p, poll.id, "avoid") for p in phones])
    assert all(r == {"poll_id": poll.id, "round": 1, "choice": "avoid"} for r in results)
    db.session.expire_all()
    assert db.session.query(Vote).count() == 16
    assert tally(poll)["counts"] == {"snog": 0, "marry": 0, "avoid": 16}


def test_a_refused_vote_does_not_sink_the_others(app, make_workshop, make_poll, make_participant):
    workshop, other = make_workshop(), make_workshop()
    poll, closed, foreign = make_poll(workshop), make_poll(workshop), make_poll(other)
    service.open_poll(poll)
    service.open_poll(foreign)
    phones = [make_participant(workshop).id for _ in range(5)]
    results = vote_together(app, [(phones[0], poll.id, "snog"), (phones[1], poll.id, "kiss"),
                                  (phones[2], closed.id, "snog"), (phones[3], foreign.id, "snog"),
                                  (phones[4], "1", "snog"), (999_999, poll.id, "snog")])
    assert results[0]["choice"] == "snog"
    assert [str(r) for r in results[1:]] == [
        "That is not one of this poll's answers.", "Voting is closed for this poll.",
        "That poll does not exist.", "That poll does not exist.", "That poll does not exist."]
    db.session.expire_all()
    assert db.session.query(Vote).count() == 1


def test_a_change_in_the_same_round_keeps_the_later_vote(app, make_workshop, make_poll, make_participant):
    workshop = make_workshop()
    poll, phone = make_poll(workshop), make_participant(workshop)
    service.open_poll(poll)
    for choice in ("snog", "marry", "avoid"):
        ballots.submit_vote(phone.id, poll.id, choice)
    assert payloads.my_vote(poll, phone) == "avoid"
    assert db.session.query(Vote).count() == 1


def test_ticket_rule_comes_from_the_workshop(make_workshop, make_poll, make_participant):
    workshop = make_workshop(require_ticket=True)
    poll = make_poll(workshop)
    service.open_poll(poll)
    with pytest.raises(LiveError, match="voting pass"):
        ballots.submit_vote(make_participant(workshop).id, poll.id, "snog")
