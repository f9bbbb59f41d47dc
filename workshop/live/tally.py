"""Tally a poll run from the database, overall and split by stance (with the under-5 rule)."""

from sqlalchemy import func, select

from ..extensions import db
from .models import VERDICTS, Poll, PollKind, Vote

NOT_STATED = "Not stated"


def count_rows(poll_id: int, round_: int) -> list[tuple[str, str | None, int]]:
    """(choice, stance, n) rows for one run: one aggregate query, no per-vote work."""
    stmt = (
        select(Vote.choice, Vote.stance, func.count())
        .where(Vote.poll_id == poll_id, Vote.round == round_)
        .group_by(Vote.choice, Vote.stance)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def _empty(poll: Poll):
    if poll.kind == PollKind.classic:
        return [{v: 0 for v in VERDICTS} for _ in poll.options]
    return {a: 0 for a in poll.answers}


def _add(poll: Poll, counts, choice: str, n: int) -> None:
    if poll.kind == PollKind.classic:
        for item, verdict in enumerate(choice.split(",")):
            if item < len(counts) and verdict in counts[item]:
                counts[item][verdict] += n
    elif choice in counts:
        counts[choice] += n


def hidden_groups(sizes: dict[str, int], min_group: int) -> set[str]:
    """Stance groups to hide: those under ``min_group`` votes and, while the hidden ones add up to fewer
    than ``min_group``, the next smallest too - the overall counts minus the shown groups are the hidden
    groups' counts, so one small group hidden alone would be worked out by subtraction."""
    hidden = {s for s, n in sizes.items() if n < min_group}
    while hidden and sum(sizes[s] for s in hidden) < min_group and len(hidden) < len(sizes):
        hidden.add(min((s for s in sizes if s not in hidden), key=lambda s: (sizes[s], s)))
    return hidden


def build_tally(poll: Poll, rows, min_group: int = 5) -> dict:
    """Overall counts and per-stance counts; small stance groups are hidden (see hidden_groups)."""
    overall, groups, sizes = _empty(poll), {}, {}
    for choice, stance, n in rows:
        key = stance or NOT_STATED
        _add(poll, overall, choice, n)
        _add(poll, groups.setdefault(key, _empty(poll)), choice, n)
        sizes[key] = sizes.get(key, 0) + n
    order = [*poll.workshop.stances, NOT_STATED]
    hidden = hidden_groups(sizes, min_group)
    by_stance = [
        {"stance": s, "total": sizes[s], "counts": groups[s]} if s not in hidden
        else {"stance": s, "hidden": True}
        for s in sorted(sizes, key=lambda s: order.index(s) if s in order else len(order))
    ]
    return {"total": sum(sizes.values()), "counts": overall, "by_stance": by_stance, "min_group": min_group}


def tally(poll: Poll, round_: int | None = None, min_group: int = 5) -> dict:
    """The full tally of a run (the current one by default)."""
    return build_tally(poll, count_rows(poll.id, round_ or poll.round), min_group)


def vote_count(poll_id: int, round_: int) -> int:
    """Number of votes in a run."""
    stmt = select(func.count()).select_from(Vote).where(Vote.poll_id == poll_id, Vote.round == round_)
    return db.session.scalar(stmt)
