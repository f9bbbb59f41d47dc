"""Votes: the group commit that writes them, under the poll's state, its countdown and the ticket rule.

Every vote waiting at the same moment is written by one INSERT .. ON CONFLICT executemany and one COMMIT.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import is_key, utcnow
from ..planner.models import Workshop
from ..realtime import pulse
from ..registration.models import Registration
from .models import PASS_NEEDED, VERDICTS, Participant, Poll, PollKind, PollState, Vote
from .service import TIME_UP, LiveError

log = logging.getLogger("workshop.live.ballots")


def validate_choice(poll: Poll, choice) -> str:
    """Normalise a choice; classic polls take a list assigning snog/marry/avoid to distinct items."""
    if poll.kind == PollKind.classic:
        if not isinstance(choice, list) or len(choice) != len(poll.options) or sorted(map(str, choice)) != sorted(VERDICTS):
            raise LiveError("Give each item a different answer: one Snog, one Marry, one Avoid.")
        return ",".join(choice)
    if poll.kind == PollKind.scale:
        return _scale_point(poll, choice)
    if not isinstance(choice, str) or not poll.accepts(choice):
        raise LiveError("That is not one of this poll's answers.")
    return choice


def _scale_point(poll: Poll, choice) -> str:
    """A scale's point as its key ("7"): a whole number (or its text) inside the poll's range."""
    low, high = poll.scale["min"], poll.scale["max"]
    if isinstance(choice, int) and not isinstance(choice, bool):
        choice = str(choice)
    if (not isinstance(choice, str) or not choice.removeprefix("-").isdecimal() or len(choice) > 3
            or choice != str(int(choice))):
        raise LiveError(f"Send a whole number from {low} to {high}.")
    if not poll.accepts(choice):
        raise LiveError(f"{choice} is outside this scale: pick a point from {low} to {high}.")
    return choice


def submit_vote(participant_id: int, poll_id, choice) -> dict:
    """Record (or change) a vote under the workshop's rules (the ticket rule too); returns after the commit.

    Queued for the next group commit and acknowledged once it is written; raises LiveError when refused.
    """
    ballot = _Ballot(participant_id, poll_id, choice)
    with _queue_lock:
        _queue.append(ballot)
        ballot.lead = not _writer["busy"]
        _writer["busy"] = True
    if not ballot.lead:
        ballot.done.wait()  # woken with a result, or handed the writer's role
    if not ballot.finished:
        _write_round()
    if ballot.error:
        raise LiveError(ballot.error)
    return ballot.result


# --- group commit -------------------------------------------------------------------------
# Every vote waiting at the same moment is written by one INSERT .. ON CONFLICT executemany and one
# COMMIT; each voter is acknowledged after that commit. The first voter to find no writer busy writes
# one round (everything queued), then hands the role to the oldest voter still waiting, so no
# handler is held hostage writing other people's votes for long. Poll state, the workshop's ticket rule
# and participants are read once per round, inside the writing transaction: never per vote, never stale.

@dataclass(eq=False)
class _Ballot:
    participant_id: int
    poll_id: object
    choice: object
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    finished: bool = False
    result: dict | None = None
    error: str | None = None


_queue_lock = threading.Lock()
_queue: list[_Ballot] = []
_writer = {"busy": False}


def _write_round() -> None:
    # Linger a few ms (cooperative under gevent) so the votes arriving meanwhile join this round: while a
    # round writes, SQLite blocks the whole process, so without it rounds stay tiny and each pays a full commit.
    time.sleep(current_app.config.get("VOTE_GROUP_WAIT", 0.005))
    with _queue_lock:
        batch = _queue[:]
        _queue.clear()
    try:
        _write_batch(batch)
    except Exception:  # never leave a voter waiting forever
        log.exception("vote group commit failed")
        db.session.rollback()
        for ballot in batch:
            if not ballot.finished:
                ballot.error, ballot.finished = "Your vote could not be saved: please try again.", True
    finally:
        with _queue_lock:
            successor = _queue[0] if _queue else None
            _writer["busy"] = successor is not None
            if successor:
                successor.lead = True
        for ballot in batch:
            ballot.done.set()
        if successor:
            successor.done.set()


def _refuse(ballot: _Ballot, message: str) -> None:
    ballot.error, ballot.finished = message, True


def _write_batch(batch: list[_Ballot]) -> None:
    poll_ids = {b.poll_id for b in batch if is_key(b.poll_id)}
    polls = {poll.id: (poll, rule) for poll, rule in db.session.execute(
        select(Poll, Workshop.require_ticket).join(Workshop, Workshop.id == Poll.workshop_id)
        .where(Poll.id.in_(poll_ids)).execution_options(populate_existing=True))} if poll_ids else {}
    people = {row.id: row for row in db.session.connection().execute(  # Core rows: no ORM work per voter
        select(Participant.id, Participant.workshop_id, Participant.stance, Registration.checked_in_at)
        .outerjoin(Registration, Registration.id == Participant.registration_id)
        .where(Participant.id.in_({b.participant_id for b in batch})))}
    rows, accepted, now = {}, [], utcnow()
    for ballot in batch:
        poll, rule = polls.get(ballot.poll_id, (None, False)) if is_key(ballot.poll_id) else (None, False)
        person = people.get(ballot.participant_id)
        try:
            value = _check(ballot, poll, rule, person)
        except LiveError as exc:
            _refuse(ballot, str(exc))
            continue
        rows[(poll.id, poll.round, person.id)] = {  # one participant twice in a round: the later vote wins
            "poll_id": poll.id, "round": poll.round, "participant_id": person.id, "choice": value,
            "stance": person.stance, "created_at": now, "updated_at": now}
        accepted.append((ballot, poll.id, poll.round))  # plain values: the commit expires the Poll objects
    if rows:
        _upsert_votes(list(rows.values()))
    for ballot, poll_id, round_ in accepted:
        ballot.result, ballot.finished = {"poll_id": poll_id, "round": round_, "choice": ballot.choice}, True
    for poll_id in {poll_id for _, poll_id, _ in accepted}:
        pulse.mark("tally", poll_id)


def _check(ballot: _Ballot, poll: Poll | None, rule: bool, person) -> str:
    if poll is None or person is None or poll.workshop_id != person.workshop_id:
        raise LiveError("That poll does not exist.")
    if poll.time_is_up(utcnow()) or poll.ended_by_countdown:
        raise LiveError(TIME_UP)
    if poll.state != PollState.open:
        raise LiveError("Voting is closed for this poll.")
    if rule and person.checked_in_at is None:
        raise LiveError(PASS_NEEDED)  # the rule of Participant.may_take_part, on the round's plain rows
    return validate_choice(poll, ballot.choice)


_UPSERTS: dict = {}  # dialect name -> the vote upsert, built once (building it showed in the profile)


def _upsert_statement(dialect: str):
    # One statement, race-free: the unique constraint makes a second vote a change, not a duplicate.
    if dialect not in _UPSERTS:
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(Vote.__table__)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["poll_id", "round", "participant_id"],
            set_={"choice": stmt.excluded.choice, "updated_at": stmt.excluded.updated_at})
    return _UPSERTS[dialect]


def _upsert_votes(rows: list[dict]) -> None:
    connection = db.session.connection()  # the session's transaction, without the ORM's bulk-insert path
    connection.execute(_upsert_statement(connection.dialect.name), rows)
    db.session.commit()
