"""Reliability fixtures: the two-workshop world (shared with the security tests) and consistency checks."""

import os

import pytest
from sqlalchemy import func, select, text

from tests.security.conftest import fresh_rate_limits, world  # noqa: F401 - re-exported fixtures
from workshop.extensions import db
from workshop.live.models import VERDICTS, Participant, Poll, PollKind, PollState, Vote
from workshop.questions.models import Question, Upvote

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))


def check_consistency() -> None:
    """Invariants a crash or a bad payload must never break."""
    db.session.rollback()
    db.session.expire_all()
    if db.session.get_bind().dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        assert db.session.execute(text("PRAGMA quick_check")).scalar() == "ok"
    open_per_workshop = db.session.execute(select(Poll.workshop_id, func.count()).where(
        Poll.state == PollState.open).group_by(Poll.workshop_id)).all()
    assert all(n == 1 for _, n in open_per_workshop), open_per_workshop
    for vote, poll, participant in db.session.execute(
            select(Vote, Poll, Participant).join(Poll, Vote.poll_id == Poll.id)
            .join(Participant, Vote.participant_id == Participant.id)).all():
        assert poll.workshop_id == participant.workshop_id
        if poll.kind == PollKind.classic:
            assert sorted(vote.choice.split(",")) == sorted(VERDICTS), vote.choice
        else:
            assert vote.choice in poll.answers, vote.choice
    for question in db.session.scalars(select(Question).where(Question.merged_into_id.is_not(None))):
        assert db.session.get(Question, question.merged_into_id).workshop_id == question.workshop_id
    for _upvote, question, participant in db.session.execute(
            select(Upvote, Question, Participant).join(Question, Upvote.question_id == Question.id)
            .join(Participant, Upvote.participant_id == Participant.id)).all():
        assert question.workshop_id == participant.workshop_id


@pytest.fixture
def consistent(app):
    """Check the invariants after the test (and let the test call them too)."""
    yield check_consistency
    check_consistency()
