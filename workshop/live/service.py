"""Live-session operations: polls (planning and lifecycle) and participants. The only place that writes them.

Votes are written by ballots.py (the group commit), joining's gates are in joining.py, what screens are
sent in payloads.py and state.py.
"""

import logging

from flask import abort
from sqlalchemy import bindparam, delete, select, update

from ..extensions import db, socketio
from ..models import IllegalTransition, is_key, utcnow
from ..planner.models import Workshop
from ..planner.service import start_segment as start_agenda_segment
from ..planner.signals import workshop_cloned
from ..realtime import pulse, rooms
from ..registration.models import Registration, RegistrationStatus
from ..registration.service import by_ticket, check_in_by_phone
from .models import (
    SCALE_DEFAULTS,
    SCALE_LIMITS,
    TEXT_DEFAULTS,
    TEXT_LIMITS,
    Participant,
    Poll,
    PollKind,
    PollState,
    Prediction,
    TextAnswer,
    Vote,
)
from .payloads import NS, broadcast_poll, segment_payload

log = logging.getLogger("workshop.live")


# --- what a group-commit round reads (ballots, texts, predictions, reactions) -------------------------
# Built once with expanding parameters: a statement built per round left its expressions behind as cyclic
# garbage, and at hundreds of rounds a second the young collections that freed it paused the room.
_ROUND_PEOPLE = (
    select(Participant.id, Participant.workshop_id, Participant.stance, Registration.checked_in_at)
    .outerjoin(Registration, Registration.id == Participant.registration_id)
    .where(Participant.id.in_(bindparam("ids", expanding=True)))
)
_ROUND_POLLS = (
    select(Poll, Workshop.require_ticket, Workshop.stances)
    .join(Workshop, Workshop.id == Poll.workshop_id)
    .where(Poll.id.in_(bindparam("ids", expanding=True)))
    .execution_options(populate_existing=True)
)


def round_people(participant_ids) -> dict:
    """A round's phones as plain rows (id, workshop_id, stance, checked_in_at) by id: one query, no ORM."""
    ids = list(participant_ids)
    return {row.id: row for row in db.session.connection().execute(_ROUND_PEOPLE, {"ids": ids})} if ids else {}


def round_polls(poll_ids) -> dict:
    """A round's polls, freshly loaded, by id: (poll, workshop.require_ticket, workshop.stances)."""
    ids = list(poll_ids)
    return {row[0].id: tuple(row) for row in db.session.execute(_ROUND_POLLS, {"ids": ids})} if ids else {}


class LiveError(ValueError):
    """A refused live action; the message is shown to the user."""


TIME_UP = "Time is up: voting has closed for this poll."


# --- planning -----------------------------------------------------------------------------

def list_polls(workshop: Workshop) -> list[Poll]:
    """Polls in running order."""
    return list(db.session.scalars(select(Poll).where(Poll.workshop_id == workshop.id).order_by(Poll.position, Poll.id)))


def get_poll(workshop: Workshop, poll_id: int) -> Poll:
    """A poll of this workshop, or a 404."""
    poll = db.session.get(Poll, poll_id) if is_key(poll_id) else None
    return poll if poll and poll.workshop_id == workshop.id else abort(404, description="No such poll.")


def create_poll(workshop: Workshop, kind: str, prompt: str, options: list[str], show_live: bool = False,
                timer_seconds: int | None = None, settings: dict | None = None, predict: bool = False) -> Poll:
    """Prepare a poll at the end of the list (``settings``: a scale's range and labels; ``predict``: a verdict
    poll asks phones to predict the other side)."""
    poll = Poll(workshop_id=workshop.id, kind=PollKind(kind), prompt=prompt, options=options,
                show_live=show_live, timer_seconds=timer_seconds or None, position=len(list_polls(workshop)),
                settings=poll_settings(kind, settings), predict=bool(predict) and kind == PollKind.verdict.value)
    db.session.add(poll)
    db.session.commit()
    return poll


def poll_settings(kind: str, settings: dict | None) -> dict | None:
    """The settings a kind keeps: a scale's range and labels, an open-text poll's limits (defaults filled in)."""
    if kind == PollKind.text.value:
        return text_settings(settings)
    if kind != PollKind.scale.value:
        return None
    scale = {**SCALE_DEFAULTS, **{k: v for k, v in (settings or {}).items() if k in SCALE_DEFAULTS}}
    low, high, steps = SCALE_LIMITS
    if not (isinstance(scale["min"], int) and isinstance(scale["max"], int)
            and low <= scale["min"] < scale["max"] <= high and scale["max"] - scale["min"] <= steps):
        raise LiveError(f"A scale runs between two whole numbers from {low} to {high}, at most {steps} steps apart.")
    return scale


def text_settings(settings: dict | None) -> dict:
    """An open-text poll's answers per person (1-3) and longest answer (up to 40 characters)."""
    rules = {**TEXT_DEFAULTS, **{k: v for k, v in (settings or {}).items() if k in TEXT_DEFAULTS}}
    most, longest = TEXT_LIMITS
    if not (isinstance(rules["per_person"], int) and 1 <= rules["per_person"] <= most):
        raise LiveError(f"An open-text poll takes 1 to {most} answers per person.")
    if not (isinstance(rules["max_length"], int) and 3 <= rules["max_length"] <= longest):
        raise LiveError(f"Answers can be 3 to {longest} characters long.")
    return rules


def _fixed(poll: Poll) -> tuple:
    """What cannot change once a poll has run: its kind, items and a scale's range."""
    return poll.kind.value, list(poll.options), (poll.scale["min"], poll.scale["max"]) if poll.kind == PollKind.scale else None


def update_poll(poll: Poll, kind: str, prompt: str, options: list[str], show_live: bool,
                timer_seconds: int | None = None, settings: dict | None = None, predict: bool = False) -> Poll:
    """Edit a poll; its kind, items and a scale's range are fixed once it has votes."""
    settings = poll_settings(kind, settings)
    scale_range = (settings["min"], settings["max"]) if settings else None
    if poll.state != PollState.draft and _fixed(poll) != (kind, options, scale_range):
        raise LiveError("This poll has run: only the wording, labels, live-results and timer settings can change.")
    poll.kind, poll.prompt, poll.options, poll.show_live = PollKind(kind), prompt, options, show_live
    poll.timer_seconds, poll.settings = timer_seconds or None, settings
    poll.predict = bool(predict) and kind == PollKind.verdict.value
    db.session.commit()
    broadcast_poll(poll)
    return poll


def delete_poll(poll: Poll) -> None:
    """Remove a poll and its votes."""
    db.session.delete(poll)
    db.session.commit()


def move_poll(poll: Poll, offset: int) -> None:
    """Move a poll up (-1) or down (+1) in the running order."""
    polls = list_polls(poll.workshop)
    index = polls.index(poll)
    target = index + offset
    if 0 <= target < len(polls):
        polls[index], polls[target] = polls[target], polls[index]
        for position, item in enumerate(polls):
            item.position = position
        db.session.commit()


def copy_polls(source: Workshop, target: Workshop) -> None:
    """Copy poll wording and plans (predict the other side, planned re-run) into another workshop, as drafts
    without votes."""
    for poll in list_polls(source):
        db.session.add(Poll(workshop_id=target.id, kind=poll.kind, prompt=poll.prompt,
                            options=list(poll.options), show_live=poll.show_live, position=poll.position,
                            timer_seconds=poll.timer_seconds, settings=poll.settings and dict(poll.settings),
                            predict=poll.predict, rerun_planned=poll.rerun_planned))


def _copy_polls_of_clone(source: Workshop, copy: Workshop, **_extra) -> None:
    copy_polls(source, copy)


def subscribe() -> None:
    """Connect to the planner's signals (create_app calls it: explicit, never an import's side effect)."""
    workshop_cloned.connect(_copy_polls_of_clone)


# --- participants -------------------------------------------------------------------------

def create_participant(workshop: Workshop, stance: str | None) -> Participant:
    """A new phone in the room with the stance it picked (None: prefer not to say)."""
    if stance and stance not in workshop.stances:
        raise LiveError("Pick one of the listed stances.")
    participant = Participant(workshop_id=workshop.id, stance=stance or None)
    db.session.add(participant)
    db.session.commit()
    return participant


def participant_by_token(workshop_id: int, token: str | None) -> Participant | None:
    """The participant for a cookie/token, only within its own workshop."""
    if not token or not isinstance(token, str) or len(token) > 64 or "\x00" in token:
        return None
    participant = db.session.scalar(select(Participant).where(Participant.token == token))
    return participant if participant and participant.workshop_id == workshop_id else None


def bind_ticket(workshop: Workshop, code: str) -> Participant:
    """Bind a phone to a registration: stance from registration, check-in counts as present."""
    registration = by_ticket(code)
    if registration is None or registration.workshop_id != workshop.id:
        raise LiveError("We could not find that ticket code for this workshop.")
    if registration.status != RegistrationStatus.confirmed:
        raise LiveError("That ticket is not a confirmed place.")
    participant = db.session.scalar(select(Participant).where(Participant.registration_id == registration.id))
    if participant is None:
        participant = Participant(workshop_id=workshop.id, registration_id=registration.id, stance=registration.stance)
        db.session.add(participant)
    check_in_by_phone(registration)  # the phone in the room is proof of presence (committed with the phone)
    db.session.commit()
    log.info("ticket bound participant=%s", participant.id)
    return participant


# --- lifecycle ----------------------------------------------------------------------------

def _transition(poll: Poll, action: str, *args) -> Poll:
    try:
        getattr(poll, action)(*args)
    except IllegalTransition as exc:
        db.session.rollback()
        raise LiveError(str(exc)) from None
    db.session.commit()
    log.info("poll %s workshop=%s poll=%s round=%s", action, poll.workshop_id, poll.id, poll.round)
    if poll.closes_at is not None:
        pulse.mark("timer", poll.id)
    broadcast_poll(poll)
    return poll


def open_poll(poll: Poll, seconds: int | None = None) -> Poll:
    """Open a poll (a closed one re-runs as a new round); any other open poll closes first.

    ``seconds``: a countdown after which the server closes it (None: the poll's planned default; 0: none).
    """
    for other in list_polls(poll.workshop):
        if other.state == PollState.open and other.id != poll.id:
            _transition(other, "close")
    seconds = poll.timer_seconds if seconds is None else seconds
    # Voting again: a who-moved diagram leaves the projector (live/moves.py; committed with the opening).
    db.session.execute(update(Poll).where(Poll.workshop_id == poll.workshop_id, Poll.moves_shown.is_not(None))
                       .values(moves_shown=None))
    return _transition(poll, "open", seconds or 0)


def close_quietly(poll: Poll) -> None:
    """Close a poll whose countdown ran out (nothing to do when a facilitator closed it meanwhile)."""
    try:
        close_poll(poll)
    except LiveError:  # closed meanwhile by a facilitator: nothing left to do
        log.info("timer: poll %s was already closed", poll.id)


def set_timer(poll: Poll, seconds: int) -> Poll:
    """Start, replace (``seconds`` from now) or cancel (0) the countdown of an open poll."""
    return _transition(poll, "start_timer", seconds)


@pulse.on_flush("timer")
def _close_when_due(poll_ids: set) -> None:
    # A poll with a countdown stays marked every tick until it is due (whichever process leads flushes it,
    # so exactly one closes it, within a tick of zero); votes after zero are refused anyway (_check).
    now = utcnow()
    for poll in db.session.scalars(select(Poll).where(Poll.id.in_(poll_ids), Poll.state == PollState.open)):
        if poll.closes_at is None:
            continue
        if poll.time_is_up(now):
            close_quietly(poll)
        else:
            pulse.mark("timer", poll.id)


def close_poll(poll: Poll) -> Poll:
    """Stop taking votes."""
    return _transition(poll, "close")


def reveal_poll(poll: Poll) -> Poll:
    """Show results to the room."""
    return _transition(poll, "reveal")


def hide_results(poll: Poll) -> Poll:
    """Hide results from the room again."""
    return _transition(poll, "hide")


def reset_poll(poll: Poll) -> Poll:
    """Discard the current run's votes and return the poll to draft."""
    db.session.execute(delete(Vote).where(Vote.poll_id == poll.id, Vote.round == poll.round))
    db.session.execute(delete(TextAnswer).where(TextAnswer.poll_id == poll.id, TextAnswer.round == poll.round))
    db.session.execute(delete(Prediction).where(Prediction.poll_id == poll.id, Prediction.round == poll.round))
    return _transition(poll, "reset")


def next_poll(workshop: Workshop) -> Poll | None:
    """Close the open poll and open the next draft one in running order."""
    polls = list_polls(workshop)
    current = current_poll(workshop)
    start = polls.index(current) + 1 if current else 0
    upcoming = next((p for p in polls[start:] if p.state == PollState.draft), None)
    if upcoming is None:
        raise LiveError("There is no further poll in draft.")
    return open_poll(upcoming)


def current_poll(workshop: Workshop) -> Poll | None:
    """The open poll, else the one run most recently (one query: every phone's connect asks)."""
    ran = select(Poll).where(Poll.workshop_id == workshop.id, Poll.state != PollState.draft, Poll.opened_at.is_not(None))
    latest = ran.order_by((Poll.state == PollState.open).desc(), Poll.opened_at.desc(), Poll.id.desc()).limit(1)
    return db.session.scalar(latest)


def start_segment(workshop: Workshop, item_id: int) -> dict | None:
    """Start an agenda segment now and tell every screen; None for an unknown segment."""
    if start_agenda_segment(workshop, item_id) is None:
        return None
    segment = segment_payload(workshop)
    socketio.emit("segment", segment, to=rooms.everyone(workshop.id), namespace=NS)
    return segment
