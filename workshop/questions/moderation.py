"""Moderation of the question wall: approve, dismiss, merge, highlight, answer, and undo any step."""

import logging
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import is_key, utcnow
from ..planner.models import Workshop
from .models import DISMISS_REASONS, ModerationAction, Question, QuestionStatus
from .service import QuestionError, question_of, root_of
from .wall import changed

log = logging.getLogger("workshop.questions")
FIELDS = ("status", "dismiss_reason", "merged_into_id", "highlighted", "answered_at")


def _snapshot(question: Question) -> dict:
    before = {f: getattr(question, f) for f in FIELDS}
    before["status"] = question.status.value
    before["answered_at"] = question.answered_at and question.answered_at.isoformat()
    return before


def _record(question: Question, action: str, by, extra: dict | None = None) -> ModerationAction:
    entry = ModerationAction(question_id=question.id, action=action, before={**_snapshot(question), **(extra or {})},
                             facilitator_id=getattr(by, "id", None))
    db.session.add(entry)
    return entry


def _require(question: Question, allowed: tuple, verb: str) -> None:
    if question.status not in allowed:
        status = question.status.value
        raise QuestionError(f"{'An' if status[0] in 'aeiou' else 'A'} {status} question cannot be {verb}.")


def _commit(question: Question, action: str) -> Question:
    db.session.commit()
    log.info("question %s workshop=%s question=%s", action, question.workshop_id, question.id)
    changed(question)
    return question


def approve(workshop: Workshop, question_id, by=None) -> Question:
    """Put a held question on the wall."""
    question = question_of(workshop.id, question_id)
    _require(question, (QuestionStatus.pending,), "approved")
    _record(question, "approve", by)
    question.status = QuestionStatus.live
    return _commit(question, "approve")


def dismiss(workshop: Workshop, question_id, reason, by=None) -> Question:
    """Take a question off the wall (or out of the queue) with a public reason."""
    question = question_of(workshop.id, question_id)
    if not isinstance(reason, str) or reason not in DISMISS_REASONS:
        raise QuestionError("Pick a reason: " + ", ".join(DISMISS_REASONS) + ".")
    _require(question, (QuestionStatus.pending, QuestionStatus.live), "dismissed")
    _record(question, "dismiss", by)
    question.status, question.dismiss_reason, question.highlighted = QuestionStatus.dismissed, reason, False
    return _commit(question, "dismiss")


def merge(workshop: Workshop, question_id, into_id, by=None) -> Question:
    """Fold a duplicate into another question: it leaves the wall and its votes count for the other."""
    question = question_of(workshop.id, question_id)
    target = root_of(question_of(workshop.id, into_id))
    _require(question, (QuestionStatus.pending, QuestionStatus.live), "merged")
    if target.id == question.id:
        raise QuestionError("A question cannot be merged into itself.")
    if target.status not in (QuestionStatus.live, QuestionStatus.answered):
        raise QuestionError("Merge into a question that is on the wall or answered.")
    _record(question, "merge", by)
    question.status, question.merged_into_id, question.highlighted = QuestionStatus.merged, target.id, False
    _commit(question, "merge")
    changed(target)
    return question


def highlight(workshop: Workshop, question_id, by=None) -> Question:
    """Show one question as 'now answering' on the projector (only one at a time)."""
    question = question_of(workshop.id, question_id)
    _require(question, (QuestionStatus.live,), "highlighted")
    others = [q for q in _highlighted(workshop.id) if q.id != question.id]
    _record(question, "highlight", by, {"others": [q.id for q in others]})
    for other in others:
        other.highlighted = False
    question.highlighted = True
    _commit(question, "highlight")
    for other in others:
        changed(other)
    return question


def unhighlight(workshop: Workshop, question_id, by=None) -> Question:
    """Stop showing a question as 'now answering'."""
    question = question_of(workshop.id, question_id)
    if not question.highlighted:
        raise QuestionError("That question is not highlighted.")
    _record(question, "unhighlight", by)
    question.highlighted = False
    return _commit(question, "unhighlight")


def mark_answered(workshop: Workshop, question_id, by=None) -> Question:
    """Move a question from the wall to the answered list."""
    question = question_of(workshop.id, question_id)
    _require(question, (QuestionStatus.live,), "marked answered")
    _record(question, "answer", by)
    question.status, question.highlighted, question.answered_at = QuestionStatus.answered, False, utcnow()
    return _commit(question, "answer")


def _highlighted(workshop_id: int) -> list[Question]:
    return list(db.session.scalars(select(Question).where(
        Question.workshop_id == workshop_id, Question.highlighted.is_(True))))


def last_action(question: Question) -> ModerationAction | None:
    """The latest moderation step on a question that has not been undone."""
    return db.session.scalar(select(ModerationAction).where(
        ModerationAction.question_id == question.id, ModerationAction.undone.is_(False))
        .order_by(ModerationAction.id.desc()).limit(1))


def undo(workshop: Workshop, action_id=None, by=None) -> Question:
    """Undo a moderation step (the workshop's latest when no id): the question returns to its state before it."""
    entry = _undo_target(workshop, action_id)
    question = db.session.get(Question, entry.question_id)
    if last_action(question).id != entry.id:
        raise QuestionError("Undo the later steps on this question first.")
    before = entry.before
    question.status = QuestionStatus(before["status"])
    question.dismiss_reason, question.merged_into_id = before["dismiss_reason"], before["merged_into_id"]
    question.answered_at = before["answered_at"] and datetime.fromisoformat(before["answered_at"])
    others = _restore_highlights(workshop, question, entry)
    entry.undone = True
    _commit(question, "undo " + entry.action)
    for other in others:
        changed(other)
    return question


def _restore_highlights(workshop: Workshop, question: Question, entry: ModerationAction) -> list[Question]:
    # Only one question is highlighted: undoing a highlight gives it back to the one that lost it (unless
    # another is highlighted now); restoring a highlighted question takes it from whichever has it.
    before = entry.before
    question.highlighted = bool(before["highlighted"]) and question.status == QuestionStatus.live
    others = [q for q in _highlighted(workshop.id) if q.id != question.id]
    if entry.action == "highlight" and not others:
        others = [q for q in (db.session.get(Question, i) for i in before.get("others", [])) if q]
        for other in others:
            other.highlighted = other.status == QuestionStatus.live
    elif question.highlighted:
        for other in others:
            other.highlighted = False
    else:
        others = []
    return others


def _undo_target(workshop: Workshop, action_id) -> ModerationAction:
    query = select(ModerationAction).join(Question, Question.id == ModerationAction.question_id).where(
        Question.workshop_id == workshop.id, ModerationAction.undone.is_(False))
    if action_id is not None:
        if not is_key(action_id):
            raise QuestionError("action_id must be a number.")
        query = query.where(ModerationAction.id == action_id)
    entry = db.session.scalar(query.order_by(ModerationAction.id.desc()).limit(1))
    if entry is None:
        raise QuestionError("There is nothing to undo." if action_id is None else "That step cannot be undone.")
    return entry
