"""Predictions of the other side: written like votes, through a group commit (live/group_commit.py).

Every prediction waiting at the same moment is checked on plain rows read once per round (poll, workshop
rule, phone, its vote in the run) and written by one INSERT .. ON CONFLICT DO UPDATE and one COMMIT: one
prediction per person per run, changeable while the poll is open, acknowledged after the commit.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import is_key, utcnow
from ..realtime import pulse
from .group_commit import GroupCommit, Waiting
from .models import PASS_NEEDED, VERDICTS, Poll, PollState, Prediction, Vote
from .perception import default_target, other_sides, predicts
from .service import TIME_UP, LiveError, round_people, round_polls

SPLIT_ERROR = "Give three whole-number shares for Snog, Marry and Avoid that add up to 100."


def submit_prediction(participant_id: int, poll_id, target, pick, shares) -> dict:
    """Record (or change) a phone's prediction of another side; returns after the commit, raises LiveError.

    ``pick``: the answer it expects that side's majority to give; or ``shares``: {"snog", "marry", "avoid"}.
    ``target``: the stance predicted (None: the phone's default side, perception.default_target).
    """
    waiting = _predictions.submit(_Guess(participant_id, poll_id, target, *validate_guess(pick, shares)))
    if waiting.error:
        raise LiveError(waiting.error)
    return waiting.result


def validate_guess(pick, shares) -> tuple[str | None, tuple[int, int, int]]:
    """A quick pick (one verdict) or a split (three shares from 0 to 100 summing to 100), as (pick, shares)."""
    if pick is not None and shares is not None:
        raise LiveError("Send either a quick pick or a split, not both.")
    if pick is not None:
        if not isinstance(pick, str) or pick not in VERDICTS:
            raise LiveError("Pick Snog, Marry or Avoid.")
        return pick, tuple(100 if v == pick else 0 for v in VERDICTS)
    if not isinstance(shares, dict) or set(shares) != set(VERDICTS):
        raise LiveError(SPLIT_ERROR)
    values = tuple(shares[v] for v in VERDICTS)
    if not all(isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= 100 for x in values) or sum(values) != 100:
        raise LiveError(SPLIT_ERROR)
    return None, values


@dataclass(frozen=True)
class _Guess:
    participant_id: int
    poll_id: object
    target: object
    pick: str | None
    shares: tuple


def _write_batch(batch: list[Waiting]) -> None:
    poll_ids = {w.item.poll_id for w in batch if is_key(w.item.poll_id)}
    polls = round_polls(poll_ids)
    person_ids = {w.item.participant_id for w in batch}
    people = round_people(person_ids)
    voted = (
        set(
            db.session.connection().execute(  # (poll, round, participant) of this round's voters
                select(Vote.poll_id, Vote.round, Vote.participant_id).where(
                    Vote.poll_id.in_(poll_ids), Vote.participant_id.in_(person_ids)
                )
            )
        )
        if poll_ids
        else set()
    )
    rows, accepted, now = {}, [], utcnow()
    for waiting in batch:
        guess = waiting.item
        poll, rule, stances = (
            polls.get(guess.poll_id, (None, False, [])) if is_key(guess.poll_id) else (None, False, [])
        )
        person = people.get(guess.participant_id)
        try:
            target = _check(guess, poll, rule, stances, person, voted)
        except LiveError as exc:
            waiting.refuse(str(exc))
            continue
        snog, marry, avoid = guess.shares
        rows[(poll.id, poll.round, person.id)] = {
            "poll_id": poll.id,
            "round": poll.round,
            "participant_id": person.id,
            "target": target,
            "pick": guess.pick,
            "snog": snog,
            "marry": marry,
            "avoid": avoid,
            "stance": person.stance,
            "created_at": now,
            "updated_at": now,
        }
        accepted.append((waiting, rows[(poll.id, poll.round, person.id)]))
    if rows:
        connection = db.session.connection()
        connection.execute(_upsert_statement(connection.dialect.name), list(rows.values()))
        db.session.commit()
    for waiting, row in accepted:
        waiting.accept(
            {
                "poll_id": row["poll_id"],
                "round": row["round"],
                "target": row["target"],
                "pick": row["pick"],
                "shares": {"snog": row["snog"], "marry": row["marry"], "avoid": row["avoid"]},
            }
        )
    for poll_id in {row["poll_id"] for _, row in accepted}:
        pulse.mark("tally", poll_id)  # control screens count predictions; a revealed poll's gap follows


def _check(guess: _Guess, poll: Poll | None, rule: bool, stances: list, person, voted: set) -> str:
    if poll is None or person is None or poll.workshop_id != person.workshop_id:
        raise LiveError("That poll does not exist.")
    if not predicts(poll):
        raise LiveError("This poll does not ask for predictions.")
    if poll.time_is_up(utcnow()) or poll.ended_by_countdown:
        raise LiveError(TIME_UP)
    if poll.state != PollState.open:
        raise LiveError("Predictions are closed for this poll.")
    if rule and person.checked_in_at is None:
        raise LiveError(PASS_NEEDED)
    if (poll.id, poll.round, person.id) not in voted:
        raise LiveError("Vote first, then predict the other side.")
    target = default_target(stances, person.stance) if guess.target is None else guess.target
    if target not in other_sides(stances, person.stance):
        raise LiveError("Predict one of the other sides.")
    return target


_UPSERTS: dict = {}  # dialect name -> the prediction upsert, built once


def _upsert_statement(dialect: str):
    if dialect not in _UPSERTS:
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(Prediction.__table__)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=["poll_id", "round", "participant_id"],
            set_={c: stmt.excluded[c] for c in ("target", "pick", "snog", "marry", "avoid", "updated_at")},
        )
    return _UPSERTS[dialect]


_predictions = GroupCommit(_write_batch, "Your prediction could not be saved: please try again.")
