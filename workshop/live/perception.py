"""Predict the other side: who a phone predicts, and the perception gap a verdict poll's run shows.

The rule a facilitator says in one sentence: after voting, each phone guesses how the other side voted -
with two stances the other one, with more the phone chooses which (the first other stance in the workshop's
list until it changes it); a phone that preferred not to say may guess any stance, or skip.

The gap, per side T (a stance that voted): what T chose (its majority answer and that answer's share of T's
votes) next to what the phones of other stances predicted for T (each prediction as three shares, a quick
pick being 100 % for its answer; their mean; the predicted majority is the answer with the highest mean).
Hidden groups follow the split's rule (tally.hidden_groups on the run's votes): no side is shown about a
hidden group, and predictions from a hidden group are left out of every figure; a side's predictions are
shown only when at least ``min_group`` phones of shown groups made them (one mean per side, never per
predicting group, so no figure can be subtracted from another).
"""

from sqlalchemy import func, select

from ..extensions import db
from .models import VERDICTS, Participant, Poll, PollKind, Prediction
from .tally import NOT_STATED, count_rows, hidden_groups

LABELS = {"snog": "Snog", "marry": "Marry", "avoid": "Avoid"}
RULE = "Each side guessed how the other side voted."


def predicts(poll: Poll) -> bool:
    """Whether a poll asks phones to predict the other side (verdict polls with the planner's switch on)."""
    return poll.kind == PollKind.verdict and bool(poll.predict)


def other_sides(stances: list[str], own: str | None) -> list[str]:
    """The stances a phone may predict: every stance but its own (all of them for "Not stated")."""
    return [s for s in stances if s != own]


def default_target(stances: list[str], own: str | None) -> str | None:
    """The side a phone predicts unless it chooses another: the first other stance in the workshop's list."""
    sides = other_sides(stances, own)
    return sides[0] if sides else None


def prediction_payload(prediction: Prediction | None) -> dict | None:
    """A stored prediction as its phone sees it (and gets back after a reconnect)."""
    if prediction is None:
        return None
    return {
        "poll_id": prediction.poll_id,
        "round": prediction.round,
        "target": prediction.target,
        "pick": prediction.pick,
        "shares": shares_of(prediction),
    }


def shares_of(prediction: Prediction) -> dict:
    """A prediction's three shares (a quick pick is 100 % for its answer)."""
    return {"snog": prediction.snog, "marry": prediction.marry, "avoid": prediction.avoid}


def my_prediction(poll: Poll | None, participant: Participant | None) -> dict | None:
    """The phone's prediction in the poll's current run (None when it made none or the poll takes none)."""
    if poll is None or participant is None or not predicts(poll):
        return None
    return prediction_payload(
        db.session.scalar(
            select(Prediction).where(
                Prediction.poll_id == poll.id,
                Prediction.round == poll.round,
                Prediction.participant_id == participant.id,
            )
        )
    )


def prediction_count(poll_id: int, round_: int) -> int:
    """How many phones predicted in a run (control screen and report: a count, never whose)."""
    return db.session.scalar(
        select(func.count()).select_from(Prediction).where(Prediction.poll_id == poll_id, Prediction.round == round_)
    )


def _majority(values: dict) -> str:
    # The answer with the most (ties: the first in Snog, Marry, Avoid order).
    return max(VERDICTS, key=lambda v: (values.get(v, 0), -VERDICTS.index(v)))


def gap_line(by: str, side: str, predicted: str, predicted_pct: int, chose: str, chose_pct: int) -> str:
    """The one line the room reads, e.g. "Activists thought Corporates would Marry: 61 %. Corporates chose
    Snog: 58 %." """
    return (
        f"{by} thought {side} would {LABELS[predicted]}: {predicted_pct} %. "
        f"{side} chose {LABELS[chose]}: {chose_pct} %."
    )


def perception(poll: Poll, round_: int | None = None, min_group: int = 5) -> dict:
    """The perception gap of a run: per side, what it chose and what the others predicted (see module doc)."""
    round_ = round_ or poll.round
    sizes, chosen = {}, {}
    for choice, stance, n in count_rows(poll.id, round_):
        key = stance or NOT_STATED
        sizes[key] = sizes.get(key, 0) + n
        counts = chosen.setdefault(key, {v: 0 for v in VERDICTS})
        if choice in counts:
            counts[choice] += n
    hidden = hidden_groups(sizes, min_group)
    pools: dict[str, dict] = {}  # target -> {"n", "sums", "by"}: predictions from shown groups only
    total = 0
    for stance, target, n, snog, marry, avoid in db.session.execute(
        select(
            Prediction.stance,
            Prediction.target,
            func.count(),
            func.sum(Prediction.snog),
            func.sum(Prediction.marry),
            func.sum(Prediction.avoid),
        )
        .where(Prediction.poll_id == poll.id, Prediction.round == round_)
        .group_by(Prediction.stance, Prediction.target)
    ):
        total += n
        source = stance or NOT_STATED
        if source in hidden or source == target:
            continue
        pool = pools.setdefault(target, {"n": 0, "sums": {v: 0 for v in VERDICTS}, "by": set()})
        pool["n"] += n
        pool["by"].add(source)
        for verdict, value in zip(VERDICTS, (snog, marry, avoid), strict=True):
            pool["sums"][verdict] += value or 0
    sides = []
    for side in poll.workshop.stances:
        if side not in sizes:
            continue
        if side in hidden:
            sides.append({"stance": side, "hidden": True})
            continue
        sides.append(_side(side, sizes[side], chosen[side], pools.get(side), poll.workshop.stances, min_group))
    return {"rule": RULE, "predictions": total, "min_group": min_group, "sides": sides}


def _side(side: str, voted: int, counts: dict, pool: dict | None, stances: list[str], min_group: int) -> dict:
    chose = _majority(counts)
    entry = {
        "stance": side,
        "mark": stances.index(side),
        "votes": voted,
        "chose": {"answer": chose, "pct": round(100 * counts[chose] / voted)},
        "shares": {v: round(100 * counts[v] / voted) for v in VERDICTS},
        "predicted": None,
        "by": None,
        "line": None,
    }
    if pool is None or pool["n"] < min_group:
        entry["too_few"] = True  # fewer than min_group predictions about this side: none shown
        return entry
    mean = {v: round(pool["sums"][v] / pool["n"]) for v in VERDICTS}
    guess = _majority(pool["sums"])
    by = next(iter(pool["by"])) if len(pool["by"]) == 1 else "The other sides"
    by = "People who did not say" if by == NOT_STATED else by
    entry.update(
        {
            "predicted": {"answer": guess, "pct": mean[guess], "shares": mean, "n": pool["n"]},
            "by": by,
            "line": gap_line(by, side, guess, mean[guess], chose, entry["chose"]["pct"]),
        }
    )
    return entry
