"""Who moved: how many people went from each answer to each answer between two runs of a re-run poll.

One query reads a row per person - (participant, answer in the earlier run, answer in the later run, stance) -
and the rest are pure functions over those rows, overall and per stance. People who voted in one of the two
runs only come in as ``joined`` (later run only: they flow from "Joined") or ``left`` (earlier run only: they
flow to "Left").

Small flows are never shown alone (the same rule as the stance split, live/tally.py ``hidden_groups``): a flow
of fewer than ``min_group`` people is merged into "other moves", and more flows are merged until no sum the room
can see gives a hidden one away:
- per table (overall, and each shown stance): in every *line* - each earlier answer (its total is that run's
  public tally), each later answer, the whole table, the people who stayed and the people who changed (the
  headline says how many) - the hidden flows add up to 0 or at least ``min_group``; otherwise the next smallest
  shown flow of that line is hidden too;
- a flow hidden overall is hidden on every side (else the sides' flows would add up to it);
- per flow shown overall, the overall count minus the sides' shown counts (hidden sides and hidden flows) is 0
  or at least ``min_group``; otherwise the smallest shown side flow of that kind is hidden too.
The rules only ever hide more, so repeating them until nothing changes ends.
"""

from collections import Counter

from sqlalchemy import case, func, select

from ..extensions import db
from .models import Poll, PollKind, Vote
from .tally import NOT_STATED, hidden_groups

JOINED, LEFT = "+joined", "+left"  # the answer "keys" of people who voted in one of the two runs only
KINDS = (PollKind.verdict, PollKind.choice, PollKind.scale)  # one answer per person: a flow per person
MARKS = ("●", "▲", "■", "◆", "▼", "★")  # each stance's shape, in the order of the workshop's stances
VERDICT_LABELS = {"snog": "Snog", "marry": "Marry", "avoid": "Avoid"}

Cell = tuple[str, str]


# --- reading ---------------------------------------------------------------------------------


def runs_with_votes(poll_id: int) -> list[int]:
    """The runs of a poll that received votes, in order."""
    return list(db.session.scalars(select(Vote.round).where(Vote.poll_id == poll_id).distinct().order_by(Vote.round)))


def flow_rows(poll_id: int, first: int, last: int) -> list[tuple[int, str | None, str | None, str | None]]:
    """(participant, answer in ``first``, answer in ``last``, stance) per person who voted in either: one query.
    The stance is the later vote's snapshot (the earlier one's for people who left)."""

    def at(run, column):
        return func.max(case((Vote.round == run, column)))

    stmt = (
        select(
            Vote.participant_id,
            at(first, Vote.choice),
            at(last, Vote.choice),
            func.coalesce(at(last, Vote.stance), at(first, Vote.stance)),
        )
        .where(Vote.poll_id == poll_id, Vote.round.in_((first, last)))
        .group_by(Vote.participant_id)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


# --- counting (pure) -------------------------------------------------------------------------


def count_flows(rows) -> tuple[Counter, dict[str, Counter]]:
    """People per (from, to), overall and per stance ('Not stated' for none); one-run voters joined / left."""
    overall, sides = Counter(), {}
    for _pid, before, after, stance in rows:
        cell = (before or JOINED, after or LEFT)
        overall[cell] += 1
        sides.setdefault(stance or NOT_STATED, Counter())[cell] += 1
    return overall, sides


def lines(counts: Counter) -> list[list[Cell]]:
    """The sums of flows a viewer can know: per earlier answer, per later answer, the whole table, the people
    who stayed and the people who changed."""
    cells = sorted(c for c, n in counts.items() if n > 0)
    rows, cols = {}, {}
    for cell in cells:
        rows.setdefault(cell[0], []).append(cell)
        cols.setdefault(cell[1], []).append(cell)
    stayed = [c for c in cells if c[0] == c[1]]
    changed = [c for c in cells if c[0] != c[1] and JOINED not in c and LEFT not in c]
    return [*rows.values(), *cols.values(), cells, stayed, changed]


def secure(counts: Counter, hidden: set, min_group: int) -> set:
    """Flows to hide in one table: the small ones, then more until every line's hidden flows add up to 0 or
    at least ``min_group`` (a line's total minus its shown flows must not give a small flow away)."""
    hidden = set(hidden) | {c for c, n in counts.items() if 0 < n < min_group}
    grew = True
    while grew:
        grew = False
        for line in lines(counts):
            if 0 < sum(counts[c] for c in line if c in hidden) < min_group:
                shown = [c for c in line if c not in hidden]
                if shown:
                    hidden.add(min(shown, key=lambda c: (counts[c], c)))
                    grew = True
    return {c for c in hidden if counts.get(c, 0) > 0}


def suppress(overall: Counter, sides: dict[str, Counter], min_group: int) -> tuple[set, dict[str, set], set]:
    """(flows hidden overall, flows hidden per shown side, sides hidden whole) - see the module's rules."""
    hidden_sides = hidden_groups({s: sum(c.values()) for s, c in sides.items()}, min_group)
    shown_sides = [s for s in sides if s not in hidden_sides]
    all_hidden = secure(overall, set(), min_group)
    per_side = {s: secure(sides[s], set(), min_group) for s in shown_sides}
    while True:
        before = (len(all_hidden), sum(len(h) for h in per_side.values()))
        for s in shown_sides:  # hidden overall -> hidden on every side
            per_side[s] = secure(sides[s], per_side[s] | (all_hidden & set(sides[s])), min_group)
        for cell, n in overall.items():  # overall minus the sides' shown flows: 0 or at least min_group
            if cell in all_hidden:
                continue
            while 0 < _residue(cell, n, sides, per_side) < min_group:
                candidates = [s for s in per_side if sides[s][cell] > 0 and cell not in per_side[s]]
                if not candidates:
                    all_hidden.add(cell)
                    break
                side = min(candidates, key=lambda s: (sides[s][cell], s))
                per_side[side] = secure(sides[side], per_side[side] | {cell}, min_group)
        all_hidden = secure(overall, all_hidden, min_group)
        if before == (len(all_hidden), sum(len(h) for h in per_side.values())):
            return all_hidden, per_side, hidden_sides


def _residue(cell: Cell, n: int, sides: dict[str, Counter], per_side: dict[str, set]) -> int:
    return n - sum(sides[s][cell] for s, hidden in per_side.items() if cell not in hidden)


def table(counts: Counter, hidden: set) -> dict:
    """A table as shown: its flows (most people first), 'other moves' (the hidden ones, one total) and totals."""
    flows = [{"from": a, "to": b, "n": n} for (a, b), n in counts.items() if n > 0 and (a, b) not in hidden]
    flows.sort(key=lambda f: (-f["n"], f["from"], f["to"]))
    changed = sum(n for (a, b), n in counts.items() if a != b and JOINED not in (a, b) and LEFT not in (a, b))
    return {
        "total": sum(counts.values()),
        "flows": flows,
        "other": sum(counts[c] for c in hidden),
        "changed": changed,
        "stayed": sum(n for (a, b), n in counts.items() if a == b),
        "joined": sum(n for (a, _), n in counts.items() if a == JOINED),
        "left": sum(n for (_, b), n in counts.items() if b == LEFT),
    }


def build_flows(rows, stances: list[str], min_group: int) -> dict:
    """Overall and per-stance tables from the rows (pure: the tests call it with made-up rows)."""
    overall, sides = count_flows(rows)
    all_hidden, per_side, hidden_sides = suppress(overall, sides, min_group)
    order = [*stances, NOT_STATED]
    by_stance = [
        {"stance": s, "mark": mark(stances, s), **table(sides[s], per_side[s])}
        if s not in hidden_sides
        else {"stance": s, "mark": mark(stances, s), "hidden": True}
        for s in sorted(sides, key=lambda s: (order.index(s) if s in order else len(order), s))
    ]
    return {**table(overall, all_hidden), "by_stance": by_stance, "min_group": min_group}


def mark(stances: list[str], stance: str) -> str:
    """A stance's shape (● ▲ ■ ◆ ▼ ★ in the workshop's order); none for 'Not stated'."""
    return MARKS[stances.index(stance) % len(MARKS)] if stance in stances else ""


# --- words -----------------------------------------------------------------------------------


def scale_bands(poll: Poll) -> list[tuple[str, str, int, int]]:
    """A scale's points in three bands, low, middle and high ((key, label, lowest, highest)): eleven points on
    each side would not fit the projector at reading size, and would split the room into flows too small to show.
    0 to 10 gives "0–3 Avoid", "4–6 Snog", "7–10 Marry" (the scale's own words, when it has them)."""
    low, high = poll.scale["min"], poll.scale["max"]
    span, words = high - low + 1, (poll.scale["low"], poll.scale["mid"], poll.scale["high"])
    cuts = [low + round(span * k / 3) for k in range(4)]
    bands = []
    for k in range(3):
        first, last = cuts[k], cuts[k + 1] - 1
        if first <= last:
            label = f"{first}–{last}" if first != last else str(first)
            bands.append((f"{first}..{last}", f"{label} {words[k]}".strip(), first, last))
    return bands


def banded(poll: Poll, rows: list) -> list:
    """A scale's rows with each point replaced by its band's key (other kinds: unchanged)."""
    if poll.kind != PollKind.scale:
        return rows
    band = {str(p): key for key, _, first, last in scale_bands(poll) for p in range(first, last + 1)}
    return [
        (pid, band.get(before, before) if before else None, band.get(after, after) if after else None, stance)
        for pid, before, after, stance in rows
    ]


def answer_keys(poll: Poll) -> list[str]:
    """The answers a diagram's nodes stand for, in order (a scale's bands)."""
    return [b[0] for b in scale_bands(poll)] if poll.kind == PollKind.scale else list(poll.answers)


def labels(poll: Poll) -> dict[str, str]:
    """Answer key -> the word shown: Snog/Marry/Avoid, an option's text, a scale's band; Joined and Left."""
    if poll.kind == PollKind.choice:
        words = {str(i): text for i, text in enumerate(poll.options)}
    elif poll.kind == PollKind.scale:
        words = {key: label for key, label, _, _ in scale_bands(poll)}
    else:
        words = dict(VERDICT_LABELS)
    return {**words, JOINED: "Joined", LEFT: "Left"}


def headline(result: dict, words: dict[str, str]) -> str:
    """One line for the room: '14 people changed their answer; most moved Avoid → Snog (6)'."""
    if result.get("hidden"):
        return f"Too few people on this side to show who moved (under {result.get('min_group', 5)})"
    changed = result["changed"]
    if not changed:
        return "Nobody changed their answer"
    people = "1 person" if changed == 1 else f"{changed} people"
    moves = [
        f
        for f in result["flows"]
        if f["from"] != f["to"] and JOINED not in (f["from"], f["to"]) and LEFT not in (f["from"], f["to"])
    ]
    if not moves:
        return f"{people} changed their answer; each move too small to show alone"
    top = moves[0]
    return f"{people} changed their answer; most moved {words.get(top['from'], top['from'])} → {words.get(top['to'], top['to'])} ({top['n']})"


# --- a poll ----------------------------------------------------------------------------------


def poll_flows(poll: Poll, min_group: int, first: int | None = None, last: int | None = None) -> dict | None:
    """Who moved between two runs of a poll (default: the last two with votes); None when it cannot be drawn
    (a kind with more than one answer per person, or fewer than two runs with votes)."""
    if poll.kind not in KINDS:
        return None
    if first is None or last is None:
        runs = runs_with_votes(poll.id)
        if len(runs) < 2:
            return None
        first, last = runs[-2], runs[-1]
    stances = list(poll.workshop.stances)
    result = build_flows(banded(poll, flow_rows(poll.id, first, last)), stances, min_group)
    words = labels(poll)
    result.update(
        {
            "prompt": poll.prompt,
            "kind": poll.kind.value,
            "first": first,
            "last": last,
            "answers": [*answer_keys(poll), JOINED, LEFT],
            "labels": words,
            "headline": headline(result, words),
        }
    )
    for group in result["by_stance"]:
        group["headline"] = headline({**group, "min_group": min_group}, words)
    return result


def side_view(flows: dict, side: str | None) -> dict:
    """The table a screen shows: overall (``side`` None) or one stance's (hidden stays hidden; a side none of whose
    people voted is hidden too: too few people)."""
    if not side:
        return flows
    hidden = {
        "stance": side,
        "hidden": True,
        "headline": headline({"hidden": True, "min_group": flows["min_group"]}, {}),
    }
    return next((g for g in flows["by_stance"] if g["stance"] == side), hidden)
