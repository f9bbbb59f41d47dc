"""Report figures: attendance, poll results and opinion shift, the question wall, the agenda as it ran.

Everything here is aggregate (no names, emails or free-text needs), so the same data serves the
facilitators' report and the shareable one. The only writers are ``share_report``/``unshare_report``
and ``purge_personal_data``.
"""

import logging
import secrets
from collections import Counter

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..live.flows import poll_flows
from ..live.models import VERDICTS, Participant, Poll, PollKind, PollState, ReactionCount, Reactor, TextAnswer, Vote
from ..live.perception import perception, predicts
from ..live.tally import NOT_STATED, hidden_groups, scale_stats, tally
from ..planner.models import REACTION_PALETTE, Workshop
from ..planner.service import set_report_token
from ..questions.models import DISMISS_REASONS, Question, QuestionStatus
from ..questions.service import erase_author_names
from ..questions.wall import load_wall, support_stats
from ..registration.models import Registration
from ..registration.service import erase_registrations

log = logging.getLogger("workshop.reports")

VERDICT_LABELS = {"snog": "Snog", "marry": "Marry", "avoid": "Avoid"}
TOP_QUESTIONS = 5
PERSONAL_REGISTRATION_FIELDS = ("name", "email", "organisation", "needs")


def min_group() -> int:
    """The smallest stance group whose results may be shown (the under-5 rule)."""
    return current_app.config.get("STANCE_MIN_GROUP", 5)


def stance_order(workshop: Workshop) -> list[str]:
    """The workshop's stances in their listed order, then 'Not stated'."""
    return [*workshop.stances, NOT_STATED]


def _sorted_stances(workshop: Workshop, keys) -> list[str]:
    order = stance_order(workshop)
    return sorted(keys, key=lambda s: (order.index(s) if s in order else len(order), s))


# --- attendance -----------------------------------------------------------------------------

def attendance(workshop: Workshop) -> dict:
    """Registered, waitlisted, cancelled, checked in and joined live: in total and by stance."""
    rows = db.session.execute(
        select(Registration.stance, Registration.status, func.count(), func.count(Registration.checked_in_at))
        .where(Registration.workshop_id == workshop.id).group_by(Registration.stance, Registration.status)
    ).all()
    phones = db.session.execute(
        select(Participant.stance, func.count()).where(Participant.workshop_id == workshop.id).group_by(Participant.stance)
    ).all()
    groups: dict[str, Counter] = {}
    for stance, status, n, checked in rows:
        group = groups.setdefault(stance or NOT_STATED, Counter())
        group[status.value] += n
        group["checked_in"] += checked
    for stance, n in phones:
        groups.setdefault(stance or NOT_STATED, Counter())["joined_live"] += n
    keys = ("confirmed", "waitlisted", "cancelled", "checked_in", "joined_live")
    by_stance = [{"stance": s, **{k: groups[s][k] for k in keys}} for s in _sorted_stances(workshop, groups)]
    totals = {k: sum(g[k] for g in groups.values()) for k in keys}
    return {**totals, "by_stance": by_stance}


# --- polls ------------------------------------------------------------------------------------

def answer_labels(poll: Poll) -> dict[str, str]:
    """Answer key -> label: Snog/Marry/Avoid, or the option text of a multiple-choice poll."""
    if poll.kind == PollKind.choice:
        return {str(i): text for i, text in enumerate(poll.options)}
    if poll.kind == PollKind.scale:
        scale, middle = poll.scale, (poll.scale["min"] + poll.scale["max"] + 1) // 2
        words = {scale["min"]: scale["low"], scale["max"]: scale["high"], middle: scale["mid"]}
        return {a: f"{a} ({words[int(a)]})" if words.get(int(a)) else a for a in poll.answers}
    return dict(VERDICT_LABELS)


def rounds_with_votes(poll: Poll) -> list[int]:
    """The runs of a poll that received votes, in order."""
    model = TextAnswer if poll.kind == PollKind.text else Vote
    stmt = select(model.round).where(model.poll_id == poll.id).distinct().order_by(model.round)
    return list(db.session.scalars(stmt))


def _items(poll: Poll, choice: str) -> list[tuple[int, str]]:
    """(item index, answer) pairs of one vote: one pair, or one per item of a classic poll."""
    if poll.kind == PollKind.classic:
        return [(i, v) for i, v in enumerate(choice.split(",")) if i < len(poll.options) and v in VERDICTS]
    return [(0, choice)]


def opinion_shift(poll: Poll, first: int, last: int) -> dict:
    """Who changed their answer between two runs (people who voted in both), overall and by stance."""
    earlier = {pid: (choice, stance) for pid, choice, stance in db.session.execute(
        select(Vote.participant_id, Vote.choice, Vote.stance).where(Vote.poll_id == poll.id, Vote.round == first))}
    later = dict(db.session.execute(
        select(Vote.participant_id, Vote.choice).where(Vote.poll_id == poll.id, Vote.round == last)).all())
    overall, groups, sizes = Counter(), {}, Counter()
    for pid, (before, stance) in earlier.items():
        if pid not in later:
            continue
        key = stance or NOT_STATED
        sizes[key] += 1
        for (item, was), (_, now) in zip(_items(poll, before), _items(poll, later[pid]), strict=False):
            overall[(item, was, now)] += 1
            groups.setdefault(key, Counter())[(item, was, now)] += 1
    hidden = hidden_groups(sizes, min_group())
    by_stance = [
        {"stance": s, "total": sizes[s], "moves": _moves(poll, groups[s])} if s not in hidden
        else {"stance": s, "hidden": True}
        for s in _sorted_stances(poll.workshop, sizes)
    ]
    shift = {"first": first, "last": last, "total": sum(sizes.values()), "moves": _moves(poll, overall),
             "by_stance": by_stance, "min_group": min_group()}
    if poll.kind == PollKind.scale:
        shift["median"] = _median_move(overall)
        for group in by_stance:
            if not group.get("hidden"):
                group["median"] = _median_move(groups[group["stance"]])
    return shift


def _median_move(counter: Counter) -> dict:
    """A scale's median in the first and the last run (of the people in both) and how far it moved."""
    before, after = Counter(), Counter()
    for (_, was, now), n in counter.items():
        before[was] += n
        after[now] += n
    first, last = scale_stats(before)["median"], scale_stats(after)["median"]
    moved = None if first is None or last is None else last - first
    return {"first": first, "last": last, "moved": int(moved) if moved is not None and moved == int(moved) else moved}


def _moves(poll: Poll, counter: Counter) -> list[dict]:
    """Transition counts as sorted rows; ``changed`` marks people who moved."""
    labels = answer_labels(poll)
    order = list(labels)
    rows = [{"item": poll.options[item] if poll.kind == PollKind.classic else None, "item_index": item,
             "from": was, "to": now, "from_label": labels.get(was, was), "to_label": labels.get(now, now),
             "count": n, "changed": was != now}
            for (item, was, now), n in counter.items()]
    rank = {k: i for i, k in enumerate(order)}
    return sorted(rows, key=lambda r: (r["item_index"], rank.get(r["from"], 99), rank.get(r["to"], 99)))


def poll_report(poll: Poll) -> dict:
    """One poll: every run's tally (overall and by stance) and the shift from first to last run."""
    runs = rounds_with_votes(poll)
    report = {
        "id": poll.id, "position": poll.position, "kind": poll.kind.value, "prompt": poll.prompt,
        "options": list(poll.options), "labels": answer_labels(poll), "state": poll.state.value,
        "scale": poll.scale if poll.kind == PollKind.scale else None,
        "rounds": [{"round": r, **tally(poll, r, min_group(), full=True)} for r in runs], "shift": None,
    }
    report["moves"] = None  # who moved from the first run to the last (live/flows.py): re-run polls, one answer each
    if len(runs) >= 2 and poll.kind != PollKind.text:
        report["shift"] = opinion_shift(poll, runs[0], runs[-1])
        report["moves"] = poll_flows(poll, min_group(), runs[0], runs[-1])  # None for classic polls
    if predicts(poll):  # the perception gap of every run (live/perception.py: the projector's figures and rule)
        for run in report["rounds"]:
            run["perception"] = perception(poll, run["round"], min_group())
    return report


def polls_report(workshop: Workshop) -> list[dict]:
    """Every poll that ran (or has votes), in running order."""
    polls = db.session.scalars(select(Poll).where(Poll.workshop_id == workshop.id).order_by(Poll.position, Poll.id))
    reports = [poll_report(p) for p in polls]
    return [r for r in reports if r["rounds"] or r["state"] != PollState.draft.value]


# --- questions --------------------------------------------------------------------------------

def question_wall(workshop: Workshop) -> dict:
    """Counts by status, dismissals by reason, top questions and questions backed from both sides."""
    questions, support = load_wall(workshop.id)  # supporters and "both sides" counted as on the wall
    stats = {q.id: support_stats(support[q.id]) for q in questions}
    status = Counter(q.status.value for q in questions)
    reasons = Counter(q.dismiss_reason or "none given" for q in questions if q.status == QuestionStatus.dismissed)
    visible = [q for q in questions if q.status in (QuestionStatus.live, QuestionStatus.answered)]

    def entry(q: Question) -> dict:
        return {"text": q.text, "status": q.status.value, "upvotes": stats[q.id]["votes"],
                "stances": _sorted_stances(workshop, stats[q.id]["by_stance"]),
                "answered": q.status == QuestionStatus.answered, "both_sides": stats[q.id]["both_sides"]}

    ranked = [entry(q) for q in sorted(visible, key=lambda q: (-stats[q.id]["votes"], q.created_at, q.id))]
    return {
        "total": len(questions), "answered": status["answered"], "open": status["live"],
        "pending": status["pending"], "dismissed": status["dismissed"], "merged": status["merged"],
        "dismissed_by_reason": [{"reason": r, "label": DISMISS_REASONS.get(r, r.capitalize()), "count": n}
                                for r, n in sorted(reasons.items())],
        "upvotes": sum(s["votes"] for s in stats.values()),
        "top": [e for e in ranked[:TOP_QUESTIONS] if e["upvotes"]],
        "both_sides": [e for e in ranked if e["both_sides"]],
    }


# --- reactions --------------------------------------------------------------------------------

OUTSIDE_AGENDA = "Before or between segments"


def reactions_report(workshop: Workshop) -> dict | None:
    """Reaction totals per segment (everyone) and per stance over the session (None: nobody reacted).

    A stance's row follows the split's hidden-group rule on the people who reacted (live/reactions.py records
    them), not on the taps: a group of fewer than min_group people, and the next smallest while the hidden add
    up to fewer, is hidden, so the overall totals minus the shown rows never single anyone out.
    """
    rows = db.session.execute(select(ReactionCount.segment_id, ReactionCount.stance, ReactionCount.reaction,
                                     func.sum(ReactionCount.count)).where(ReactionCount.workshop_id == workshop.id)
                              .group_by(ReactionCount.segment_id, ReactionCount.stance, ReactionCount.reaction)).all()
    if not rows:
        return None
    keys = [r["key"] for r in workshop.reactions]
    keys += sorted({reaction for _, _, reaction, _ in rows if reaction not in keys and reaction in REACTION_PALETTE})
    segments, stances = {}, {}
    for segment_id, stance, reaction, n in rows:
        if reaction in keys:
            counts = segments.setdefault(segment_id, Counter())
            counts[reaction] += int(n)
            stances.setdefault(stance or NOT_STATED, Counter())[reaction] += int(n)
    return {"reactions": [{"key": k, "emoji": REACTION_PALETTE[k][0], "name": REACTION_PALETTE[k][1]} for k in keys],
            "segments": _reaction_segments(workshop, segments, keys), "by_stance": _reaction_stances(workshop, stances, keys),
            "total": sum(sum(c.values()) for c in segments.values()), "min_group": min_group()}


def _reaction_segments(workshop: Workshop, segments: dict, keys: list[str]) -> list[dict]:
    titles = {item.id: item.title for item in workshop.agenda}
    order = [0, *titles, *sorted(set(segments) - {0} - set(titles))]  # outside the agenda first, removed ones last
    return [{"title": OUTSIDE_AGENDA if sid == 0 else titles.get(sid, "A segment since removed"),
             "counts": {k: segments[sid].get(k, 0) for k in keys}, "total": sum(segments[sid].values())}
            for sid in order if sid in segments]


def _reaction_stances(workshop: Workshop, stances: dict, keys: list[str]) -> list[dict]:
    people = dict(db.session.execute(select(Reactor.stance, func.count(func.distinct(Reactor.participant_id)))
                                     .where(Reactor.workshop_id == workshop.id).group_by(Reactor.stance)).all())
    sizes = {(stance or NOT_STATED): int(n) for stance, n in people.items()}
    sizes.update({s: sizes.get(s, 0) for s in stances})
    hidden = hidden_groups(sizes, min_group())
    return [{"stance": s, "hidden": True} if s in hidden else
            {"stance": s, "people": sizes[s], "counts": {k: stances[s].get(k, 0) for k in keys},
             "total": sum(stances[s].values())}
            for s in _sorted_stances(workshop, stances)]


# --- agenda ----------------------------------------------------------------------------------

def agenda_as_run(workshop: Workshop) -> list[dict]:
    """Planned start and length against actual start and length (from the control screen)."""
    rows = []
    for item, planned in workshop.schedule():
        actual = workshop.local(item.started_at)
        minutes = None
        if item.started_at and item.ended_at:
            minutes = round((item.ended_at - item.started_at).total_seconds() / 60, 1)
        rows.append({"title": item.title, "kind": item.kind.label, "planned_start": planned.strftime("%H:%M"),
                     "planned_minutes": item.minutes, "actual_start": actual.strftime("%H:%M") if actual else None,
                     "actual_minutes": minutes,
                     "late_minutes": round((actual - planned).total_seconds() / 60) if actual else None,
                     "planned_offset": (planned - workshop.local(workshop.starts_at)).total_seconds() / 60,
                     "actual_offset": (actual - workshop.local(workshop.starts_at)).total_seconds() / 60
                     if actual else None})
    return rows


# --- the whole report -------------------------------------------------------------------------

def build_report(workshop: Workshop) -> dict:
    """Everything the report page shows: aggregates only."""
    return {
        "title": workshop.title, "starts_at": workshop.local(workshop.starts_at),
        "ends_at": workshop.local(workshop.ends_at), "venue": workshop.venue,
        "stances": list(workshop.stances), "min_group": min_group(),
        "attendance": attendance(workshop), "polls": polls_report(workshop),
        "questions": question_wall(workshop), "agenda": agenda_as_run(workshop),
        "reactions": reactions_report(workshop),
        "purged": is_purged(workshop),
    }


def workshop_by_report_token(token: str) -> Workshop | None:
    """The workshop shared at this secret link."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Workshop).where(Workshop.report_token == token))


def share_report(workshop: Workshop) -> str:
    """Publish the report at a new secret link (replacing any old one)."""
    set_report_token(workshop, secrets.token_urlsafe(24))
    log.info("report shared workshop=%s", workshop.id)
    return workshop.report_token


def unshare_report(workshop: Workshop) -> None:
    """Withdraw the secret link."""
    set_report_token(workshop, None)
    log.info("report unshared workshop=%s", workshop.id)


# --- retention --------------------------------------------------------------------------------

def is_purged(workshop: Workshop) -> bool:
    """True once personal data has been erased (registrations exist but carry no names)."""
    names = db.session.scalars(select(Registration.name).where(Registration.workshop_id == workshop.id)).all()
    return bool(names) and not any(names)


def purge_personal_data(workshop: Workshop) -> dict:
    """Erase names, emails, organisations, free-text needs and question author names; keep every aggregate."""
    registrations = erase_registrations(workshop)  # each area erases its own tables; one commit for both
    questions = erase_author_names(workshop)
    db.session.commit()
    log.info("personal data purged workshop=%s registrations=%s questions=%s", workshop.id, registrations, questions)
    return {"registrations": registrations, "questions": questions}
