"""Asking and upvoting: the only place that writes questions and upvotes (moderation.py writes the rest)."""

import logging
import re

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..live.models import PASS_NEEDED, Participant
from ..models import is_key
from ..planner.models import Moderation, Workshop
from ..planner.service import update_workshop
from ..planner.signals import workshop_settings_changed
from ..ratelimit import limit
from ..realtime import pulse
from ..validators import matched_word
from .models import ModerationAction, Question, QuestionStatus, Upvote
from .wall import MAX_LENGTH, changed, settings_changed

log = logging.getLogger("workshop.questions")
MAX_NAME = 80


class QuestionError(ValueError):
    """A refused question-wall action; the message is shown to the user."""


# --- asking and upvoting ------------------------------------------------------------------

def clean_text(text) -> str:
    """A question's text, trimmed and checked; raises QuestionError."""
    if not isinstance(text, str):
        raise QuestionError("Type a question first.")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text.replace("\r\n", "\n")).strip()
    if not text:
        raise QuestionError("Type a question first.")
    if len(text) > MAX_LENGTH:
        raise QuestionError(f"Questions can be at most {MAX_LENGTH} characters (yours has {len(text)}).")
    return text


def clean_name(workshop: Workshop, name) -> str | None:
    """The asker's name when the workshop allows names (ignored otherwise: anonymous by default)."""
    if not workshop.allow_names or name is None:
        return None
    if not isinstance(name, str):
        raise QuestionError("Your name must be text.")
    name = " ".join(re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", name).split())
    if len(name) > MAX_NAME:
        raise QuestionError(f"Names can be at most {MAX_NAME} characters.")
    return name or None


def ask_question(workshop: Workshop, participant: Participant, text, name=None) -> Question:
    """Post a question: straight to the wall, or held (queue mode or a word-list match)."""
    if participant is None or participant.workshop_id != workshop.id:
        raise QuestionError("Join this workshop first.")
    if not participant.may_take_part(workshop):
        raise QuestionError(PASS_NEEDED)
    text, author = clean_text(text), clean_name(workshop, name)
    count, seconds = current_app.config["QUESTION_RATE"]
    if not limit("question", str(participant.id), count, seconds):
        raise QuestionError(f"You can ask {count} questions per {seconds} seconds. Wait a moment, then try again.")
    word = matched_word(text)
    held = "word list: " + word if word else ("queue" if workshop.moderation == Moderation.queue else None)
    question = Question(workshop_id=workshop.id, participant_id=participant.id, text=text, author_name=author,
                        stance=participant.stance, status=QuestionStatus.pending if held else QuestionStatus.live,
                        held_reason=held and held[:80])
    db.session.add(question)
    db.session.commit()
    log.info("question asked workshop=%s question=%s held=%s", workshop.id, question.id, bool(held))
    changed(question, tell_asker=False)  # the asker gets it in the ack
    return question


def question_of(workshop_id: int, question_id) -> Question:
    """A question of this workshop; raises QuestionError for any other id."""
    question = None
    if is_key(question_id):
        question = db.session.get(Question, question_id)
    if question is None or question.workshop_id != workshop_id:
        raise QuestionError("That question does not exist.")
    return question


def root_of(question: Question) -> Question:
    """The question a merged one ended up in (itself when not merged)."""
    seen = set()
    while question.status == QuestionStatus.merged and question.merged_into_id and question.id not in seen:
        seen.add(question.id)
        question = db.session.get(Question, question.merged_into_id)
    return question


def toggle_upvote(participant: Participant, question_id) -> dict:
    """Upvote a question on the wall, or take the upvote back; askers cannot upvote their own."""
    question = root_of(question_of(participant.workshop_id, question_id))
    if question.status != QuestionStatus.live:
        raise QuestionError("Only questions on the wall can be upvoted.")
    if question.participant_id == participant.id:
        raise QuestionError("You cannot upvote your own question.")
    if not participant.may_take_part(db.session.get(Workshop, participant.workshop_id)):
        raise QuestionError(PASS_NEEDED)
    count, seconds = current_app.config["UPVOTE_RATE"]
    if not limit("upvote", str(participant.id), count, seconds):
        raise QuestionError("Too many upvotes in a short time. Wait a minute, then try again.")
    group = _group_ids(question)
    removed = db.session.execute(delete(Upvote).where(
        Upvote.question_id.in_(group), Upvote.participant_id == participant.id)).rowcount
    if not removed:
        db.session.add(Upvote(question_id=question.id, participant_id=participant.id, stance=participant.stance))
    try:
        db.session.commit()
    except IntegrityError:  # a double tap raced us to the insert: the upvote is there, as wanted
        db.session.rollback()
    pulse.mark("questions_wall", question.workshop_id)
    return {"question_id": question.id, "upvoted": not removed, "votes": _supporter_count(question)}


def _group_ids(question: Question) -> list[int]:
    # A question and every question merged into it (at any depth): their votes combine.
    ids, frontier = [question.id], [question.id]
    while frontier:
        frontier = list(db.session.scalars(select(Question.id).where(
            Question.merged_into_id.in_(frontier), Question.status == QuestionStatus.merged)))
        frontier = [i for i in frontier if i not in ids]
        ids += frontier
    return ids


def _supporter_count(question: Question) -> int:
    # The ack's count for one question without loading the wall: the same people wall.load_wall counts.
    people = set(db.session.scalars(select(Upvote.participant_id).where(Upvote.question_id.in_(_group_ids(question)))))
    return len(people - {question.participant_id})


def set_moderation(workshop: Workshop, mode) -> Workshop:
    """Switch between posting straight to the wall and holding new questions (held ones stay held)."""
    if mode not in [m.value for m in Moderation]:
        raise QuestionError("Moderation must be 'post' or 'queue'.")
    update_workshop(workshop, {"moderation": mode})  # the planner writes it and tells the walls (a signal)
    log.info("question moderation workshop=%s mode=%s", workshop.id, mode)
    return workshop


def _resend_walls(workshop: Workshop, **_extra) -> None:
    settings_changed(workshop)


def subscribe() -> None:
    """Connect to the planner's signals (create_app calls it: explicit, never an import's side effect)."""
    workshop_settings_changed.connect(_resend_walls)


def erase_author_names(workshop: Workshop) -> int:
    """Erase askers' names, in questions and in moderation history (the report's purge commits it)."""
    questions = list(db.session.scalars(select(Question).where(Question.workshop_id == workshop.id)))
    for q in questions:
        q.author_name = None
    actions = db.session.scalars(select(ModerationAction).where(ModerationAction.question_id.in_([q.id for q in questions])))
    for action in actions:
        if isinstance(action.before, dict) and action.before.get("author_name"):
            action.before = {**action.before, "author_name": None}
    return len(questions)
