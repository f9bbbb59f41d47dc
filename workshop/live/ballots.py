"""Votes: the group commit that writes them, under the poll's state, its countdown and the ticket rule.

Every vote waiting at the same moment is written by one INSERT .. ON CONFLICT executemany and one COMMIT.
"""

from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import is_key, utcnow
from ..realtime import pulse
from .group_commit import GroupCommit, Waiting
from .models import PASS_NEEDED, VERDICTS, Poll, PollKind, PollState, Vote
from .service import TIME_UP, LiveError, round_people, round_polls


def validate_choice(poll: Poll, choice) -> str:
    """Normalise a choice; classic polls take a list assigning snog/marry/avoid to distinct items."""
    if poll.kind == PollKind.classic:
        if not isinstance(choice, list) or len(choice) != len(poll.options) or sorted(map(str, choice)) != sorted(VERDICTS):
            raise LiveError("Give each item a different answer: one Snog, one Marry, one Avoid.")
        return ",".join(choice)
    if poll.kind == PollKind.scale:
        return _scale_point(poll, choice)
    if poll.kind == PollKind.text:
        raise LiveError("This poll takes written answers, not votes.")
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
    waiting = _votes.submit(_Ballot(participant_id, poll_id, choice))
    if waiting.error:
        raise LiveError(waiting.error)
    return waiting.result


# --- the group commit (group_commit.py) -----------------------------------------------------------
# Every vote waiting at the same moment is written by one INSERT .. ON CONFLICT executemany and one COMMIT.
# Poll state, the workshop's ticket rule and participants are read once per round, inside the writing
# transaction: never per vote, never stale.

@dataclass(frozen=True)
class _Ballot:
    participant_id: int
    poll_id: object
    choice: object


def _write_batch(batch: list[Waiting]) -> None:
    poll_ids = {w.item.poll_id for w in batch if is_key(w.item.poll_id)}
    polls = {poll_id: (poll, rule) for poll_id, (poll, rule, _) in round_polls(poll_ids).items()}
    people = round_people({w.item.participant_id for w in batch})  # Core rows: no ORM work per voter
    rows, accepted, now = {}, [], utcnow()
    for waiting in batch:
        ballot = waiting.item
        poll, rule = polls.get(ballot.poll_id, (None, False)) if is_key(ballot.poll_id) else (None, False)
        person = people.get(ballot.participant_id)
        try:
            value = _check(ballot, poll, rule, person)
        except LiveError as exc:
            waiting.refuse(str(exc))
            continue
        rows[(poll.id, poll.round, person.id)] = {  # one participant twice in a round: the later vote wins
            "poll_id": poll.id, "round": poll.round, "participant_id": person.id, "choice": value,
            "stance": person.stance, "created_at": now, "updated_at": now}
        accepted.append((waiting, poll.id, poll.round))  # plain values: the commit expires the Poll objects
    if rows:
        _upsert_votes(list(rows.values()))
    for waiting, poll_id, round_ in accepted:
        waiting.accept({"poll_id": poll_id, "round": round_, "choice": waiting.item.choice})
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


_votes = GroupCommit(_write_batch, "Your vote could not be saved: please try again.")
