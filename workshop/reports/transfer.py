"""The whole workshop as one JSON document, and back (docs/export-format.md)."""

import enum
import logging
import secrets
from datetime import datetime

from sqlalchemy import DateTime, Enum, select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import Facilitator
from ..extensions import db
from ..live.models import HiddenWord, Participant, Poll, Prediction, ReactionCount, Reactor, TextAnswer, Vote
from ..models import utcnow
from ..planner.models import AgendaItem, Workshop
from ..questions.models import ModerationAction, Question, Upvote
from ..registration.models import Registration

log = logging.getLogger("workshop.reports")

FORMAT, VERSION = "workshop-export", 1
WORKSHOP_FIELDS = ("slug", "title", "description", "venue", "timezone", "starts_at", "ends_at", "capacity",
                   "registration_opens_at", "registration_closes_at", "join_code", "stances", "allow_names",
                   "moderation", "require_ticket", "verdict_meanings", "participant_cap", "join_code_rotates",
                   "created_at", "reactions_on", "reaction_set")
AGENDA_FIELDS = ("position", "title", "kind", "minutes", "started_at", "ended_at")
REGISTRATION_FIELDS = ("id", "name", "email", "organisation", "stance", "needs", "status", "ticket_code",
                       "manage_token", "consent_at", "created_at", "checked_in_at", "cancelled_at")
PARTICIPANT_FIELDS = ("id", "stance", "registration_id", "created_at")
POLL_FIELDS = ("id", "position", "kind", "prompt", "options", "state", "round", "show_live", "revealed",
               "opened_at", "closed_at", "timer_seconds", "settings", "predict", "rerun_planned")
VOTE_FIELDS = ("round", "participant_id", "choice", "stance", "created_at", "updated_at")
PREDICTION_FIELDS = ("round", "participant_id", "target", "pick", "snog", "marry", "avoid", "stance", "created_at",
                     "updated_at")
ANSWER_FIELDS = ("round", "participant_id", "text", "key", "stance", "status", "created_at")
HIDDEN_WORD_FIELDS = ("key", "created_at")
QUESTION_FIELDS = ("id", "participant_id", "text", "author_name", "stance", "status", "held_reason",
                   "dismiss_reason", "merged_into_id", "highlighted", "created_at", "answered_at")
UPVOTE_FIELDS = ("participant_id", "stance", "created_at")
MODERATION_FIELDS = ("action", "before", "undone", "created_at")


class TransferError(ValueError):
    """The file cannot be imported; the message says why."""


# --- export -----------------------------------------------------------------------------------

def _value(value):
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _dump(row, fields) -> dict:
    return {name: _value(getattr(row, name)) for name in fields}


def _rows(model, *where, order=None):
    return list(db.session.scalars(select(model).where(*where).order_by(order if order is not None else model.id)))


def export_workshop(workshop: Workshop) -> dict:
    """Every row that belongs to the workshop; ids are references inside this file only."""
    polls = _rows(Poll, Poll.workshop_id == workshop.id)
    questions = _rows(Question, Question.workshop_id == workshop.id)
    emails = {f.id: f.email for f in db.session.scalars(select(Facilitator))}
    return {
        "format": FORMAT, "version": VERSION, "exported_at": _value(utcnow()),
        "workshop": _dump(workshop, WORKSHOP_FIELDS),
        "facilitators": [{"email": f.email, "name": f.name} for f in workshop.facilitators],
        "agenda": [_dump(i, AGENDA_FIELDS) for i in workshop.agenda],
        "registrations": [_dump(r, REGISTRATION_FIELDS) for r in _rows(Registration, Registration.workshop_id == workshop.id)],
        "participants": [_dump(p, PARTICIPANT_FIELDS) for p in _rows(Participant, Participant.workshop_id == workshop.id)],
        "polls": [{**_dump(p, POLL_FIELDS), "votes": [_dump(v, VOTE_FIELDS) for v in _rows(Vote, Vote.poll_id == p.id)],
                   **_text_rows(p, emails),
                   "predictions": [_dump(g, PREDICTION_FIELDS) for g in _rows(Prediction, Prediction.poll_id == p.id)]}
                  for p in polls],
        "questions": [{
            **_dump(q, QUESTION_FIELDS),
            "upvotes": [_dump(u, UPVOTE_FIELDS) for u in _rows(Upvote, Upvote.question_id == q.id)],
            "moderation": [{**_dump(m, MODERATION_FIELDS), "facilitator": emails.get(m.facilitator_id)}
                           for m in _rows(ModerationAction, ModerationAction.question_id == q.id)],
        } for q in questions],
        "reactions": _reaction_rows(workshop),
    }


def _text_rows(poll: Poll, emails: dict) -> dict:
    """An open-text poll's answers (held and rejected ones marked by ``status``) and hidden words (empty for the others)."""
    return {"answers": [_dump(a, ANSWER_FIELDS) for a in _rows(TextAnswer, TextAnswer.poll_id == poll.id)],
            "hidden_words": [{**_dump(h, HIDDEN_WORD_FIELDS), "facilitator": emails.get(h.facilitator_id)}
                             for h in _rows(HiddenWord, HiddenWord.poll_id == poll.id)]}


def _reaction_rows(workshop: Workshop) -> dict:
    """Reaction counts and who reacted, per segment (its agenda position; null: outside the agenda)."""
    positions = {item.id: item.position for item in workshop.agenda}
    counts = _rows(ReactionCount, ReactionCount.workshop_id == workshop.id)
    people = _rows(Reactor, Reactor.workshop_id == workshop.id)
    return {"counts": [{"segment": positions.get(c.segment_id), "stance": c.stance, "reaction": c.reaction,
                        "count": c.count, "updated_at": _value(c.updated_at)} for c in counts],
            "reactors": [{"segment": positions.get(r.segment_id), "participant_id": r.participant_id,
                          "stance": r.stance} for r in people]}


# --- import -----------------------------------------------------------------------------------

def _load(model, data: dict, fields, skip=("id",)) -> dict:
    """Column values from a JSON object: ISO strings become datetimes, strings become enums."""
    values = {}
    for name in fields:
        if name in skip or name not in data:
            continue
        value, column_type = data[name], model.__table__.columns[name].type
        if value is not None and isinstance(column_type, DateTime):
            value = datetime.fromisoformat(value.removesuffix("Z"))
        elif value is not None and isinstance(column_type, Enum) and column_type.enum_class:
            value = column_type.enum_class(value)
        values[name] = value
    return values


def _check(data) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferError(f"This is not a workshop export (expected \"format\": \"{FORMAT}\").")
    if data.get("version") != VERSION:
        raise TransferError(f"Unsupported export version {data.get('version')!r}; this app reads version {VERSION}.")
    slug, code = data["workshop"]["slug"], data["workshop"]["join_code"]
    if db.session.scalar(select(Workshop.id).where((Workshop.slug == slug) | (Workshop.join_code == code))):
        raise TransferError(f"A workshop with the slug {slug!r} or join code {code!r} already exists here.")


def import_workshop(data: dict) -> Workshop:
    """Load an export into this database in one transaction; raises TransferError with a reason."""
    try:
        _check(data)
        workshop = _import(data)
        db.session.commit()
    except TransferError:
        db.session.rollback()
        raise
    except IntegrityError as exc:
        db.session.rollback()
        raise TransferError(f"The file clashes with data already here: {exc.orig}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        db.session.rollback()
        raise TransferError(f"The file is malformed: {type(exc).__name__}: {exc}") from None
    log.info("workshop imported id=%s", workshop.id)
    return workshop


def _facilitator(entry: dict) -> Facilitator:
    user = db.session.scalar(select(Facilitator).where(Facilitator.email == entry["email"]))
    if user is None:
        user = Facilitator(email=entry["email"], name=entry.get("name") or entry["email"])
        user.set_password(secrets.token_urlsafe(24))  # unknown: reset with create-facilitator
        db.session.add(user)
    return user


def _import(data: dict) -> Workshop:
    workshop = Workshop(**_load(Workshop, data["workshop"], WORKSHOP_FIELDS))
    workshop.facilitators = [_facilitator(f) for f in data.get("facilitators", [])]
    workshop.agenda = [AgendaItem(**_load(AgendaItem, i, AGENDA_FIELDS)) for i in data.get("agenda", [])]
    db.session.add(workshop)
    db.session.flush()
    registrations = _add_all(Registration, data.get("registrations", []), REGISTRATION_FIELDS, workshop_id=workshop.id)
    participants = {}
    for entry in data.get("participants", []):
        p = Participant(**_load(Participant, entry, PARTICIPANT_FIELDS, skip=("id", "registration_id")),
                        workshop_id=workshop.id, registration_id=_ref(registrations, entry.get("registration_id")))
        db.session.add(p)
        participants[entry["id"]] = p
    db.session.flush()
    ids = {ref: p.id for ref, p in participants.items()}
    for entry in data.get("polls", []):
        _import_poll(workshop, entry, ids)
    _import_questions(workshop, data.get("questions", []), ids)
    _import_reactions(workshop, data.get("reactions") or {}, ids)  # absent from older files
    return workshop


def _ref(mapping: dict, ref):
    if ref is None:
        return None
    if ref not in mapping:
        raise TransferError(f"Reference {ref!r} points at nothing in the file.")
    return mapping[ref]


def _add_all(model, entries, fields, **extra) -> dict:
    rows = {}
    for entry in entries:
        row = model(**_load(model, entry, fields), **extra)
        db.session.add(row)
        rows[entry["id"]] = row
    db.session.flush()
    return {ref: row.id for ref, row in rows.items()}


def _import_poll(workshop: Workshop, entry: dict, participants: dict) -> None:
    poll = Poll(**_load(Poll, entry, POLL_FIELDS), workshop_id=workshop.id)
    db.session.add(poll)
    db.session.flush()
    for vote in entry.get("votes", []):
        db.session.add(Vote(**_load(Vote, vote, VOTE_FIELDS, skip=("participant_id",)), poll_id=poll.id,
                            participant_id=_ref(participants, vote["participant_id"])))
    for guess in entry.get("predictions", []):  # predict the other side (absent from older files)
        db.session.add(Prediction(**_load(Prediction, guess, PREDICTION_FIELDS, skip=("participant_id",)),
                                  poll_id=poll.id, participant_id=_ref(participants, guess["participant_id"])))
    for answer in entry.get("answers", []):
        db.session.add(TextAnswer(**_load(TextAnswer, answer, ANSWER_FIELDS, skip=("participant_id",)), poll_id=poll.id,
                                  participant_id=_ref(participants, answer["participant_id"])))
    for word in entry.get("hidden_words", []):
        email = word.get("facilitator")
        user = db.session.scalar(select(Facilitator.id).where(Facilitator.email == email)) if email else None
        db.session.add(HiddenWord(**_load(HiddenWord, word, HIDDEN_WORD_FIELDS), poll_id=poll.id, facilitator_id=user))


def _import_questions(workshop: Workshop, entries: list, participants: dict) -> None:
    questions, facilitators = {}, {}
    for entry in entries:
        q = Question(**_load(Question, entry, QUESTION_FIELDS, skip=("id", "participant_id", "merged_into_id")),
                     workshop_id=workshop.id, participant_id=_ref(participants, entry.get("participant_id")))
        db.session.add(q)
        questions[entry["id"]] = q
    db.session.flush()
    ids = {ref: q.id for ref, q in questions.items()}
    for entry in entries:
        q = questions[entry["id"]]
        q.merged_into_id = _ref(ids, entry.get("merged_into_id"))
        for up in entry.get("upvotes", []):
            db.session.add(Upvote(**_load(Upvote, up, UPVOTE_FIELDS, skip=("participant_id",)), question_id=q.id,
                                  participant_id=_ref(participants, up["participant_id"])))
        for m in entry.get("moderation", []):
            email = m.get("facilitator")
            if email and email not in facilitators:
                facilitators[email] = db.session.scalar(select(Facilitator.id).where(Facilitator.email == email))
            action = ModerationAction(**_load(ModerationAction, m, MODERATION_FIELDS), question_id=q.id,
                                      facilitator_id=facilitators.get(email))
            action.before = _remap_before(action.before, ids)
            db.session.add(action)


def _remap_before(before, ids: dict):
    """Question ids inside a moderation snapshot (merged_into_id, others) renumbered, so undo still works."""
    if not isinstance(before, dict):
        return before
    before = dict(before)
    if before.get("merged_into_id") is not None:
        before["merged_into_id"] = ids.get(before["merged_into_id"])
    if isinstance(before.get("others"), list):
        before["others"] = [ids[i] for i in before["others"] if i in ids]
    return before


def _import_reactions(workshop: Workshop, entry: dict, participants: dict) -> None:
    """Counts and reactors by segment position; a segment the file does not know is outside the agenda (0)."""
    segments = {item.position: item.id for item in workshop.agenda}
    counts: dict[tuple, int] = {}
    for c in entry.get("counts", []):
        key = (segments.get(c["segment"], 0), c["stance"] or "", c["reaction"])
        counts[key] = counts.get(key, 0) + int(c["count"])
    for (segment, stance, reaction), n in counts.items():
        db.session.add(ReactionCount(workshop_id=workshop.id, segment_id=segment, stance=stance, reaction=reaction,
                                     count=n, updated_at=utcnow()))
    seen = set()
    for r in entry.get("reactors", []):
        key = (segments.get(r["segment"], 0), _ref(participants, r["participant_id"]))
        if key not in seen:
            seen.add(key)
            db.session.add(Reactor(workshop_id=workshop.id, segment_id=key[0], participant_id=key[1],
                                   stance=r["stance"] or ""))
