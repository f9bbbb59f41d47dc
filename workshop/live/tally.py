"""Tally a poll run from the database, overall and split by stance (with the under-5 rule)."""

from sqlalchemy import func, select

from ..extensions import db
from .models import VERDICTS, AnswerStatus, HiddenWord, Poll, PollKind, TextAnswer, Vote

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
    result = {"total": sum(sizes.values()), "counts": overall, "by_stance": by_stance, "min_group": min_group}
    return add_scale_stats(result) if poll.kind == PollKind.scale else result


def scale_stats(counts: dict[str, int]) -> dict:
    """Median and mean of a scale's counts per point ({"7": 3, ...}); None for no votes."""
    points = sorted((int(k), n) for k, n in counts.items() if n)
    total = sum(n for _, n in points)
    if not total:
        return {"median": None, "mean": None}

    def nth(index: int) -> int:  # the value at a 0-based position in the sorted votes
        for value, n in points:
            if index < n:
                return value
            index -= n
        return points[-1][0]

    median = (nth((total - 1) // 2) + nth(total // 2)) / 2
    mean = sum(v * n for v, n in points) / total
    return {"median": int(median) if median == int(median) else median, "mean": round(mean, 1)}


def add_scale_stats(result: dict) -> dict:
    """A scale tally's median and mean, overall and per shown stance group, and the gap between the
    medians furthest apart ({"low": stance, "high": stance, "value": n}; None under two shown groups)."""
    result.update(scale_stats(result["counts"]))
    shown = [g for g in result["by_stance"] if not g.get("hidden")]
    for group in shown:
        group.update(scale_stats(group["counts"]))
    ranked = sorted((g for g in shown if g["median"] is not None and g["stance"] != NOT_STATED),
                    key=lambda g: g["median"])
    gap = ranked[-1]["median"] - ranked[0]["median"] if len(ranked) >= 2 else None
    result["gap"] = None if gap is None else {"low": ranked[0]["stance"], "high": ranked[-1]["stance"],
                                              "value": int(gap) if gap == int(gap) else gap}
    return result


def tally(poll: Poll, round_: int | None = None, min_group: int = 5, full: bool = False) -> dict:
    """The full tally of a run (the current one by default); an open-text poll's is its word cloud."""
    if poll.kind == PollKind.text:
        return word_tally(poll, round_ or poll.round, min_group, full)
    return build_tally(poll, count_rows(poll.id, round_ or poll.round), min_group)


CLOUD_WORDS = 60  # the most words a cloud shows (the projector fits what it can read)


def word_tally(poll: Poll, round_: int, min_group: int = 5, full: bool = False) -> dict:
    """An open-text run as a cloud: per word, how many people gave it and from which stances; words given by
    two or more stances are ``shared``. Groups under ``min_group`` people (hidden_groups) are never named:
    a word only they gave has no side. ``full`` (control, report) adds hidden words and held answers."""
    # Counted by the database (it runs 10 times a second while answers arrive): people per stance, and per
    # word and stance the people who gave it (a phone cannot send the same word twice in a run).
    run = (TextAnswer.poll_id == poll.id, TextAnswer.round == round_)
    sizes: dict[str, int] = {}
    for stance, n in db.session.execute(
            select(TextAnswer.stance, func.count(func.distinct(TextAnswer.participant_id)))
            .where(*run, TextAnswer.status != AnswerStatus.rejected).group_by(TextAnswer.stance)):
        sizes[stance or NOT_STATED] = sizes.get(stance or NOT_STATED, 0) + n
    hidden_keys = set(db.session.scalars(select(HiddenWord.key).where(HiddenWord.poll_id == poll.id)))
    hidden = hidden_groups(sizes, min_group)
    words: dict[str, dict] = {}
    for key, stance, n in db.session.execute(
            select(TextAnswer.key, TextAnswer.stance, func.count())
            .where(*run, TextAnswer.status == AnswerStatus.shown).group_by(TextAnswer.key, TextAnswer.stance)):
        word = words.setdefault(key, {"key": key, "n": 0, "by_stance": {}, "other": 0})
        word["n"] += n
        stance = stance or NOT_STATED
        if stance in hidden:
            word["other"] += n
        else:
            word["by_stance"][stance] = word["by_stance"].get(stance, 0) + n
    order = [*poll.workshop.stances, NOT_STATED]
    for word in words.values():
        word["sides"] = sorted((s for s in word["by_stance"] if s != NOT_STATED), key=order.index)
        word["shared"] = len(word["sides"]) >= 2
        word["hidden"] = word["key"] in hidden_keys
    ranked = sorted(words.values(), key=lambda w: (-w["n"], w["key"]))
    result = {
        "total": sum(sizes.values()), "answers": sum(w["n"] for w in ranked), "min_group": min_group,
        "stances": list(poll.workshop.stances),  # each stance's colour follows its place in this list
        "words": [w for w in ranked if not w["hidden"]][:CLOUD_WORDS],
        "hidden_words": sum(1 for w in ranked if w["hidden"]),
        "by_stance": [{"stance": s, "total": sizes[s]} if s not in hidden else {"stance": s, "hidden": True}
                      for s in sorted(sizes, key=lambda s: order.index(s) if s in order else len(order))],
    }
    if full:
        result["all"] = ranked
        waiting = db.session.execute(select(TextAnswer.id, TextAnswer.text, TextAnswer.status).where(
            *run, TextAnswer.status.in_((AnswerStatus.held, AnswerStatus.rejected))).order_by(TextAnswer.id)).all()
        for status, name in ((AnswerStatus.held, "held"), (AnswerStatus.rejected, "rejected")):
            result[name] = [{"id": r.id, "text": r.text} for r in waiting if r.status == status]
    return result


def vote_count(poll_id: int, round_: int) -> int:
    """Number of votes in a run."""
    stmt = select(func.count()).select_from(Vote).where(Vote.poll_id == poll_id, Vote.round == round_)
    return db.session.scalar(stmt)


def answer_count(poll_id: int, round_: int) -> int:
    """People who answered an open-text run (held answers count: they took part; rejected ones do not)."""
    stmt = select(func.count(func.distinct(TextAnswer.participant_id))).where(
        TextAnswer.poll_id == poll_id, TextAnswer.round == round_, TextAnswer.status != AnswerStatus.rejected)
    return db.session.scalar(stmt)
