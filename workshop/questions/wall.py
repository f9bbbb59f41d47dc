"""The question wall's read side and its broadcasts: what each screen is sent, and when.

Support is counted one way for the wall, the phones, the CSV export and the report (``load_wall`` and
``support_stats``: people counted once across a merge group, askers excluded, "both sides" from 3
supporters of 2 stances).
"""

import time
from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db, socketio
from ..live.models import Participant
from ..planner.models import Workshop
from ..planner.service import host_ids
from ..realtime import pulse, rooms
from .models import DISMISS_REASONS, ModerationAction, Question, QuestionStatus, Upvote

NS = "/questions"
MAX_LENGTH = 280
BOTH_SIDES_MIN = 3
PUBLIC = (QuestionStatus.live, QuestionStatus.answered)


def participant_room(participant_id: int) -> str:
    """The room of one phone (its own questions' status changes go there)."""
    return f"p{participant_id}"


def my_upvotes(participant: Participant) -> list[int]:
    """Ids of the questions this participant upvoted (as asked, before any merge)."""
    return list(db.session.scalars(select(Upvote.question_id).where(Upvote.participant_id == participant.id)))


# --- reading ------------------------------------------------------------------------------

def _load(workshop_id: int) -> tuple[list[Question], dict[int, dict]]:
    # Questions, then upvotes aggregated in SQL; only merge groups need per-person rows (to count people once).
    # Supporters: people, counted once across a merge group, on its root; the asker of the root does not count.
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
                                .where(Question.workshop_id == workshop_id,
                                       Upvote.participant_id.is_distinct_from(Question.participant_id))
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


def support_stats(support: dict) -> dict:
    """Votes, votes by stance, the bridge (the second side's support) and "both sides want this" (the one rule)."""
    sides = sorted(support["by_stance"].values(), reverse=True)
    bridge = sides[1] if len(sides) > 1 else 0
    return {"votes": support["votes"], "by_stance": dict(support["by_stance"]), "bridge": bridge,
            "both_sides": support["votes"] >= BOTH_SIDES_MIN and len(sides) >= 2}


def question_payload(question: Question, support: dict, full: bool = False) -> dict:
    """A question as screens see it; ``full`` adds moderation details (control screen, the asker)."""
    stats = support_stats(support)
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
    """The workshop's questions and their support, read once for ``wall_state`` and ``mine`` (and the report)."""
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

def changed(question: Question, tell_asker: bool = True) -> None:
    """Tell screens a question changed: walls coalesced by the pulse, the asker's own phone at once."""
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
        rooms.to_control("wall", wall_state(workshop, "control", loaded), workshop.id, NS, host_ids(workshop.id))
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


def settings_changed(workshop: Workshop) -> None:
    """Re-send walls after the workshop's moderation or names setting changed."""
    pulse.mark("questions_wall", workshop.id)  # phones too: a wall_delta carries the settings whole


# --- export -------------------------------------------------------------------------------

EXPORT_HEADER = ["id", "asked_at_utc", "status", "text", "name", "stance", "votes", "stance_mix", "both_sides",
                 "dismiss_reason", "merged_into", "held_reason", "answered_at_utc"]


def export_rows(workshop: Workshop):
    """Rows for the CSV export, one per question, oldest first."""
    questions, support = _load(workshop.id)
    for q in questions:
        stats = support_stats(support[q.id])
        mix = "; ".join(f"{s}: {n}" for s, n in sorted(stats["by_stance"].items()))
        yield [q.id, q.created_at.isoformat(timespec="seconds"), q.status.value, q.text, q.author_name, q.stance,
               stats["votes"], mix, "yes" if stats["both_sides"] else "no",
               DISMISS_REASONS.get(q.dismiss_reason or "", ""), q.merged_into_id, q.held_reason,
               q.answered_at and q.answered_at.isoformat(timespec="seconds")]
