"""Question wall operations: the only place that writes questions, upvotes and moderation, and broadcasts them."""

import logging
import re
import time
from collections import Counter
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from .. import pulse
from ..extensions import db, socketio
from ..live import rooms
from ..live.models import PASS_NEEDED, Participant
from ..models import is_key, utcnow
from ..planner.models import Moderation, Workshop
from ..planner.service import apply_details
from ..planner.signals import workshop_settings_changed
from ..ratelimit import limit
from .models import DISMISS_REASONS, ModerationAction, Question, QuestionStatus, Upvote

log = logging.getLogger("workshop.questions")
NS = "/questions"
MAX_LENGTH = 280
MAX_NAME = 80
BOTH_SIDES_MIN = 3
PUBLIC = (QuestionStatus.live, QuestionStatus.answered)
FIELDS = ("status", "dismiss_reason", "merged_into_id", "highlighted", "answered_at")


class QuestionError(ValueError):
    """A refused question-wall action; the message is shown to the user."""


def participant_room(participant_id: int) -> str:
    """The room of one phone (its own questions' status changes go there)."""
    return f"p{participant_id}"


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


def matched_word(text: str) -> str | None:
    """The first word of the MODERATION_WORDS list found in ``text`` (whole words, any case)."""
    lowered = text.lower()
    for word in current_app.config.get("MODERATION_WORDS") or []:
        if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", lowered):
            return word
    return None


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
    _changed(question, tell_asker=False)  # the asker gets it in the ack
    return question


def _question_of(workshop_id: int, question_id) -> Question:
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
    question = root_of(_question_of(participant.workshop_id, question_id))
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
    return {"question_id": question.id, "upvoted": not removed, "votes": _supporters(question)[0]}


def _group_ids(question: Question) -> list[int]:
    # A question and every question merged into it (at any depth): their votes combine.
    ids, frontier = [question.id], [question.id]
    while frontier:
        frontier = list(db.session.scalars(select(Question.id).where(
            Question.merged_into_id.in_(frontier), Question.status == QuestionStatus.merged)))
        frontier = [i for i in frontier if i not in ids]
        ids += frontier
    return ids


def _supporters(question: Question) -> tuple[int, Counter]:
    rows = db.session.execute(select(Upvote.participant_id, Upvote.stance).where(
        Upvote.question_id.in_(_group_ids(question)))).all()
    people = {pid: stance for pid, stance in rows if pid != question.participant_id}
    return len(people), Counter(s for s in people.values() if s)


def my_upvotes(participant: Participant) -> list[int]:
    """Ids of the questions this participant upvoted (as asked, before any merge)."""
    return list(db.session.scalars(select(Upvote.question_id).where(Upvote.participant_id == participant.id)))


# --- moderation ---------------------------------------------------------------------------

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
    _changed(question)
    return question


def approve(workshop: Workshop, question_id, by=None) -> Question:
    """Put a held question on the wall."""
    question = _question_of(workshop.id, question_id)
    _require(question, (QuestionStatus.pending,), "approved")
    _record(question, "approve", by)
    question.status = QuestionStatus.live
    return _commit(question, "approve")


def dismiss(workshop: Workshop, question_id, reason, by=None) -> Question:
    """Take a question off the wall (or out of the queue) with a public reason."""
    question = _question_of(workshop.id, question_id)
    if not isinstance(reason, str) or reason not in DISMISS_REASONS:
        raise QuestionError("Pick a reason: " + ", ".join(DISMISS_REASONS) + ".")
    _require(question, (QuestionStatus.pending, QuestionStatus.live), "dismissed")
    _record(question, "dismiss", by)
    question.status, question.dismiss_reason, question.highlighted = QuestionStatus.dismissed, reason, False
    return _commit(question, "dismiss")


def merge(workshop: Workshop, question_id, into_id, by=None) -> Question:
    """Fold a duplicate into another question: it leaves the wall and its votes count for the other."""
    question = _question_of(workshop.id, question_id)
    target = root_of(_question_of(workshop.id, into_id))
    _require(question, (QuestionStatus.pending, QuestionStatus.live), "merged")
    if target.id == question.id:
        raise QuestionError("A question cannot be merged into itself.")
    if target.status not in (QuestionStatus.live, QuestionStatus.answered):
        raise QuestionError("Merge into a question that is on the wall or answered.")
    _record(question, "merge", by)
    question.status, question.merged_into_id, question.highlighted = QuestionStatus.merged, target.id, False
    _commit(question, "merge")
    _changed(target)
    return question


def highlight(workshop: Workshop, question_id, by=None) -> Question:
    """Show one question as 'now answering' on the projector (only one at a time)."""
    question = _question_of(workshop.id, question_id)
    _require(question, (QuestionStatus.live,), "highlighted")
    others = [q for q in _highlighted(workshop.id) if q.id != question.id]
    _record(question, "highlight", by, {"others": [q.id for q in others]})
    for other in others:
        other.highlighted = False
    question.highlighted = True
    _commit(question, "highlight")
    for other in others:
        _changed(other)
    return question


def unhighlight(workshop: Workshop, question_id, by=None) -> Question:
    """Stop showing a question as 'now answering'."""
    question = _question_of(workshop.id, question_id)
    if not question.highlighted:
        raise QuestionError("That question is not highlighted.")
    _record(question, "unhighlight", by)
    question.highlighted = False
    return _commit(question, "unhighlight")


def mark_answered(workshop: Workshop, question_id, by=None) -> Question:
    """Move a question from the wall to the answered list."""
    question = _question_of(workshop.id, question_id)
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
        _changed(other)
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


# --- reading ------------------------------------------------------------------------------

def _load(workshop_id: int) -> tuple[list[Question], dict[int, dict]]:
    # Questions, then upvotes aggregated in SQL; only merge groups need per-person rows (to count people once).
    questions = list(db.session.scalars(select(Question).where(Question.workshop_id == workshop_id)
                                        .order_by(Question.id)))
    by_id = {q.id: q for q in questions}
    roots = {q.id: _root_id(q, by_id) for q in questions}
    support = {q.id: {"votes": 0, "by_stance": Counter(), "merged": []} for q in questions}
    for qid, rid in roots.items():
        if qid != rid:
            support[rid]["merged"].append(qid)
    grouped = {qid for qid, rid in roots.items() if support[rid]["merged"]}
    counts = db.session.execute(select(Upvote.question_id, Upvote.stance, func.count())
                                .join(Question, Question.id == Upvote.question_id)
                                .where(Question.workshop_id == workshop_id)
                                .group_by(Upvote.question_id, Upvote.stance)).all()
    for qid, stance, n in counts:
        if qid not in grouped:
            _add(support[qid], stance, n)
    if grouped:
        people: dict[int, dict] = {}
        for qid, pid, stance in db.session.execute(select(Upvote.question_id, Upvote.participant_id, Upvote.stance)
                                                   .where(Upvote.question_id.in_(grouped))):
            if pid != by_id[roots[qid]].participant_id:
                people.setdefault(roots[qid], {})[pid] = stance
        for rid, supporters in people.items():
            for stance in supporters.values():
                _add(support[rid], stance, 1)
    return questions, support


def _root_id(question: Question, by_id: dict) -> int:
    seen = set()
    while question.status == QuestionStatus.merged and question.merged_into_id in by_id and question.id not in seen:
        seen.add(question.id)
        question = by_id[question.merged_into_id]
    return question.id


def _add(support: dict, stance: str | None, n: int) -> None:
    support["votes"] += n
    if stance:
        support["by_stance"][stance] += n


def _stats(support: dict) -> dict:
    sides = sorted(support["by_stance"].values(), reverse=True)
    bridge = sides[1] if len(sides) > 1 else 0
    return {"votes": support["votes"], "by_stance": dict(support["by_stance"]), "bridge": bridge,
            "both_sides": support["votes"] >= BOTH_SIDES_MIN and len(sides) >= 2}


def question_payload(question: Question, support: dict, full: bool = False) -> dict:
    """A question as screens see it; ``full`` adds moderation details (control screen, the asker)."""
    stats = _stats(support)
    payload = {
        "id": question.id, "text": question.text, "name": question.author_name, "stance": question.stance,
        "status": question.status.value, "highlighted": question.highlighted, "votes": stats["votes"],
        "both_sides": stats["both_sides"], "bridge": stats["bridge"], "merged_ids": support["merged"],
        "created_at": question.created_at.isoformat() + "Z",
        "answered_at": question.answered_at and question.answered_at.isoformat() + "Z",
    }
    if full:
        payload.update(by_stance=stats["by_stance"], held_reason=question.held_reason,
                       dismiss_reason=question.dismiss_reason,
                       dismiss_label=DISMISS_REASONS.get(question.dismiss_reason or ""),
                       merged_into_id=question.merged_into_id)
    return payload


def sort_orders(payloads: list[dict]) -> dict:
    """Id orders for the sort tabs: top (votes), new (latest first), both (the smaller side's support)."""
    newest = sorted(payloads, key=lambda p: (p["created_at"], p["id"]), reverse=True)
    top = sorted(newest, key=lambda p: p["votes"], reverse=True)
    both = sorted(top, key=lambda p: (p["both_sides"], p["bridge"]), reverse=True)
    return {"top": [p["id"] for p in top], "new": [p["id"] for p in newest], "both": [p["id"] for p in both]}


def counts(workshop_id: int, questions: list[Question] | None = None) -> dict:
    """Transparency numbers: received, on the wall, answered, dismissed (by reason), merged, awaiting moderation."""
    if questions is None:
        questions = list(db.session.scalars(select(Question).where(Question.workshop_id == workshop_id)))
    status = Counter(q.status for q in questions)
    reasons = Counter(q.dismiss_reason for q in questions if q.status == QuestionStatus.dismissed)
    return {"received": len(questions), "on_wall": status[QuestionStatus.live],
            "answered": status[QuestionStatus.answered], "dismissed": status[QuestionStatus.dismissed],
            "merged": status[QuestionStatus.merged], "pending": status[QuestionStatus.pending],
            "dismissed_by_reason": {DISMISS_REASONS[r]: n for r, n in reasons.items() if r in DISMISS_REASONS}}


def wall_state(workshop: Workshop, role: str = "phone", loaded: tuple | None = None) -> dict:
    """The whole wall for a role: public screens never get held, dismissed or merged questions."""
    read_at = time.time()  # before the read, so a phone's wall never claims to be newer than it is
    questions, support = loaded or _load(workshop.id)
    control = role == "control"
    shown = [q for q in questions if control or q.status in PUBLIC]
    payloads = [question_payload(q, support[q.id], full=control) for q in shown]
    public = [p for p in payloads if p["status"] in ("live", "answered")]
    live = [p for p in public if p["status"] == "live"]
    state = {
        "version": read_at,  # phones compare it with a wall_delta's base
        "role": role, "moderation": workshop.moderation.value, "allow_names": workshop.allow_names,
        "max_length": MAX_LENGTH, "counts": counts(workshop.id, questions), "questions": payloads,
        "highlighted": next((p for p in live if p["highlighted"]), None), "order": sort_orders(live),
        "answered": [p["id"] for p in sorted(public, key=lambda p: p["answered_at"] or "", reverse=True)
                     if p["status"] == "answered"],
    }
    if control:
        state["dismiss_reasons"] = DISMISS_REASONS
        state["last_actions"] = _last_actions(workshop.id)
    return state


def _last_actions(workshop_id: int) -> dict:
    # question id -> its latest undoable step, so each row of the control screen can offer "Undo".
    rows = db.session.execute(select(ModerationAction.id, ModerationAction.question_id, ModerationAction.action)
                              .join(Question, Question.id == ModerationAction.question_id)
                              .where(Question.workshop_id == workshop_id, ModerationAction.undone.is_(False))
                              .order_by(ModerationAction.id)).all()
    return {str(qid): {"id": aid, "action": action} for aid, qid, action in rows}


def load_wall(workshop_id: int) -> tuple[list[Question], dict[int, dict]]:
    """The workshop's questions and their support, read once for ``wall_state`` and ``mine`` together."""
    return _load(workshop_id)


def mine(participant: Participant, loaded: tuple | None = None) -> dict:
    """A phone's own questions (with status and reason) and its upvotes: sent only to that phone."""
    questions, support = loaded or _load(participant.workshop_id)
    own = [_owner_view(q, support[q.id]) for q in questions if q.participant_id == participant.id]
    return {"questions": own[::-1], "upvotes": my_upvotes(participant), "participant_stance": participant.stance}


def my_question(question: Question) -> dict:
    """One question in the asker's own view."""
    questions, support = _load(question.workshop_id)
    return _owner_view(question, support[question.id])


def new_question_payload(question: Question) -> dict:
    """The asker's view of a question just asked (no votes yet: no need to load the wall)."""
    return _owner_view(question, {"votes": 0, "by_stance": Counter(), "merged": []})


def _owner_view(question: Question, support: dict) -> dict:
    # Status and reasons, but not the stances of the few people who upvoted (they stay anonymous).
    payload = question_payload(question, support, full=True)
    payload.pop("by_stance")
    return payload


# --- broadcasting -------------------------------------------------------------------------

def _changed(question: Question, tell_asker: bool = True) -> None:
    # Walls are coalesced; the asker's own phone hears about its question's status at once.
    pulse.mark("questions_wall", question.workshop_id)
    if tell_asker and question.participant_id:
        socketio.emit("my_question", my_question(question), to=participant_room(question.participant_id),
                      namespace=NS)


@pulse.on_flush("questions_wall")
def _flush_walls(workshop_ids: set) -> None:
    # Projector and control: up to 10 Hz, one wall built per dirty workshop. Phones, the big fan-out,
    # get the latest wall at most once a second, a tenth of the room per tick (pulse.spread).
    for workshop in db.session.scalars(select(Workshop).where(Workshop.id.in_(workshop_ids))):
        loaded = _load(workshop.id)
        socketio.emit("wall", wall_state(workshop, "projector", loaded), to=rooms.screens(workshop.id), namespace=NS)
        rooms.to_control("wall", wall_state(workshop, "control", loaded), workshop.id, NS)
        pulse.spread(("wall", workshop.id), _phone_wall_sender(workshop.id, wall_state(workshop, "phone", loaded)))


def wall_delta(previous: dict, wall: dict) -> dict:
    """What a phone holding ``previous`` (or anything newer) needs to show ``wall``.

    Questions that are new or changed, ids that left the public wall, and the small fields (counts,
    orders, settings) whole. A phone applies it when its wall's ``version`` >= ``base``, else it
    asks for the whole wall (the ``state`` event); docs/realtime-questions.md.
    """
    old = {q["id"]: q for q in previous["questions"]}
    new = {q["id"]: q for q in wall["questions"]}
    delta = {key: value for key, value in wall.items() if key != "questions"}
    delta.update(base=previous["version"], changed=[q for qid, q in new.items() if old.get(qid) != q],
                 removed=[qid for qid in old if qid not in new])
    return delta


def _phone_wall_sender(workshop_id: int, wall: dict):
    # A whole wall is ~300 bytes a question: 200 questions to 2,000 phones once a second would be
    # 120 MB/s of venue Wi-Fi. So each slice of phones gets the whole wall once, then only deltas
    # from the wall that slice last got (kept per app: tests build many apps in one process).
    def send(slice_: int) -> None:
        sent = current_app.extensions.setdefault("workshop.phone_walls", {})
        previous, sent[(workshop_id, slice_)] = sent.get((workshop_id, slice_)), wall
        event, payload = ("wall", wall) if previous is None else ("wall_delta", wall_delta(previous, wall))
        socketio.emit(event, payload, to=rooms.phone_slice(workshop_id, slice_), namespace=NS)

    return send


def set_moderation(workshop: Workshop, mode) -> Workshop:
    """Switch between posting straight to the wall and holding new questions (held ones stay held)."""
    if mode not in [m.value for m in Moderation]:
        raise QuestionError("Moderation must be 'post' or 'queue'.")
    apply_details(workshop, {"moderation": mode})
    db.session.commit()
    log.info("question moderation workshop=%s mode=%s", workshop.id, mode)
    settings_changed(workshop)
    return workshop


def settings_changed(workshop: Workshop) -> None:
    """Re-send walls after the workshop's moderation or names setting changed."""
    pulse.mark("questions_wall", workshop.id)  # phones too: a wall_delta carries the settings whole


def _resend_walls(workshop: Workshop, **_extra) -> None:
    settings_changed(workshop)


def subscribe() -> None:
    """Connect to the planner's signals (create_app calls it: explicit, never an import's side effect)."""
    workshop_settings_changed.connect(_resend_walls)


# --- export -------------------------------------------------------------------------------

EXPORT_HEADER = ["id", "asked_at_utc", "status", "text", "name", "stance", "votes", "stance_mix", "both_sides",
                 "dismiss_reason", "merged_into", "held_reason", "answered_at_utc"]


def export_rows(workshop: Workshop):
    """Rows for the CSV export, one per question, oldest first."""
    questions, support = _load(workshop.id)
    for q in questions:
        stats = _stats(support[q.id])
        mix = "; ".join(f"{s}: {n}" for s, n in sorted(stats["by_stance"].items()))
        yield [q.id, q.created_at.isoformat(timespec="seconds"), q.status.value, q.text, q.author_name, q.stance,
               stats["votes"], mix, "yes" if stats["both_sides"] else "no",
               DISMISS_REASONS.get(q.dismiss_reason or "", ""), q.merged_into_id, q.held_reason,
               q.answered_at and q.answered_at.isoformat(timespec="seconds")]
