"""Questions, upvotes and the moderation log (which makes undo possible)."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import utcnow


class QuestionStatus(str, enum.Enum):  # noqa: UP042 - str() must stay the member name
    """pending (held for moderation), live (on the wall), answered, dismissed, merged."""

    pending = "pending"
    live = "live"
    answered = "answered"
    dismissed = "dismissed"
    merged = "merged"


DISMISS_REASONS = {
    "duplicate": "Duplicate",
    "off-topic": "Off-topic",
    "abusive": "Abusive",
    "answered-elsewhere": "Answered elsewhere",
}


class Question(db.Model):
    """A question from a phone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author_name: Mapped[str | None] = mapped_column(String(80))
    stance: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[QuestionStatus] = mapped_column(default=QuestionStatus.live)
    held_reason: Mapped[str | None] = mapped_column(String(80))
    dismiss_reason: Mapped[str | None] = mapped_column(String(40))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"))
    highlighted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]


class Upvote(db.Model):
    """One participant's support for a question (the stance is kept for 'both sides')."""

    __table_args__ = (UniqueConstraint("question_id", "participant_id", name="uq_upvote_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    stance: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationAction(db.Model):
    """Every moderation step, so any of them can be undone and counted."""

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[dict] = mapped_column(db.JSON)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("facilitator.id", ondelete="SET NULL"))
    undone: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
