"""What live screens are sent: poll, segment and workshop payloads, and the broadcasts of polls and tallies."""

import time
from datetime import UTC

from flask import current_app
from sqlalchemy import select

from ..extensions import db, socketio
from ..planner.models import Workshop
from ..planner.service import current_segment, host_ids
from ..realtime import pulse, rooms
from .addresses import join_url
from .models import AnswerStatus, Participant, Poll, PollKind, PollState, TextAnswer, Vote
from .perception import perception, predicts
from .tally import answer_count, tally, vote_count

NS = "/live"
PHONE_WORDS = 15  # words of an open-text cloud a phone lists
CONTROL_ONLY = ("all", "held", "rejected")  # results keys only facilitators get (open-text polls)


def my_vote(poll: Poll | None, participant: Participant | None):
    """The participant's choice in the poll's current run, in the form it was sent."""
    if poll is None or participant is None:
        return None
    if poll.kind == PollKind.text:
        return my_answers(poll, participant)
    choice = db.session.scalar(select(Vote.choice).where(
        Vote.poll_id == poll.id, Vote.round == poll.round, Vote.participant_id == participant.id))
    if choice is None:
        return None
    return choice.split(",") if poll.kind == PollKind.classic else choice


def answer_payload(answer: TextAnswer) -> dict:
    """An open-text answer as its sender sees it."""
    return {"id": answer.id, "poll_id": answer.poll_id, "round": answer.round, "text": answer.text,
            "status": answer.status}


def my_answers(poll: Poll, participant: Participant) -> list[dict]:
    """The phone's answers in an open-text poll's current run (a reload gets them back)."""
    rows = db.session.scalars(select(TextAnswer).where(
        TextAnswer.poll_id == poll.id, TextAnswer.round == poll.round, TextAnswer.participant_id == participant.id,
        TextAnswer.status != AnswerStatus.rejected).order_by(TextAnswer.id))
    return [answer_payload(a) for a in rows]


def poll_payload(poll: Poll, full: bool = False, reuse: bool = False) -> dict:
    """A poll as clients see it; results only when visible (or for the control screen). ``reuse``: a screen
    (re)connecting may share results read up to a tick ago (``recent_results``); broadcasts never do."""

    payload = {
        "at": time.time(),  # read time: a client keeps the newest of poll_state and the (sliced) poll_tally
        "id": poll.id, "kind": poll.kind.value, "prompt": poll.prompt, "options": list(poll.options),
        "answers": poll.answers, "state": poll.state.value, "round": poll.round,
        "show_live": poll.show_live, "revealed": poll.revealed, "results_visible": poll.results_visible,
        "position": poll.position, "timer_seconds": poll.timer_seconds,
        "scale": poll.scale if poll.kind == PollKind.scale else None,
        "text": poll.text_rules if poll.kind == PollKind.text else None,
        "closes_at": _epoch(poll.closes_at) if poll.state == PollState.open else None,
        "rerun_planned": poll.rerun_planned,
        "predict": predicts(poll),
    }
    if full or poll.results_visible:
        if reuse and not full and poll.kind != PollKind.text:  # a cloud's hidden words must leave at once
            payload["at"], payload["results"] = recent_results(poll)
        else:
            payload["results"] = tally(poll, min_group=current_app.config["STANCE_MIN_GROUP"], full=full)
        if predicts(poll) and (full or poll.revealed):  # the perception gap: on reveal (control: always)
            payload["results"]["perception"] = perception(poll, min_group=current_app.config["STANCE_MIN_GROUP"])
        payload["total"] = payload["results"]["total"]
    elif poll.kind == PollKind.text:
        payload["total"] = answer_count(poll.id, poll.round)
    else:
        payload["total"] = vote_count(poll.id, poll.round)
    return payload


RESULTS_REUSE_SECONDS = 0.1  # one projector tick: a reconnect storm of 500 phones counts the votes ~5 times, not 500
_recent: dict[tuple, tuple[float, float, dict]] = {}  # (poll, round, state, revealed) -> (monotonic, at, results)


def recent_results(poll: Poll) -> tuple[float, dict]:
    """The room's view of a run's results and when they were read, shared for up to a tick by every screen
    that (re)connects meanwhile. Only the counts can be that old: the poll itself is read fresh, and a change
    of state or round is another key. Returns (read time, a copy of the results)."""
    key, now = (poll.id, poll.round, poll.state, poll.revealed), time.monotonic()
    hit = _recent.get(key)
    if hit is None or not 0 <= now - hit[0] < RESULTS_REUSE_SECONDS:
        if len(_recent) > 64:  # old runs and states: nothing reads them again
            _recent.clear()
        hit = _recent[key] = (now, time.time(), tally(poll, min_group=current_app.config["STANCE_MIN_GROUP"]))
    return hit[1], dict(hit[2])


def _epoch(value) -> float | None:
    # Naive UTC datetime -> epoch seconds: clients compare it with the payload's own `at`, not their clock.
    return value.replace(tzinfo=UTC).timestamp() if value else None


def segment_payload(workshop: Workshop) -> dict | None:
    """The running agenda segment with its planned length."""
    item = current_segment(workshop)
    if item is None:
        return None
    return {"id": item.id, "title": item.title, "kind": item.kind.value, "minutes": item.minutes,
            "started_at": item.started_at.isoformat() + "Z"}


def workshop_payload(workshop: Workshop) -> dict:
    """Public facts about the workshop for live screens."""
    return {"id": workshop.id, "title": workshop.title, "code": workshop.join_code, "join_url": join_url(workshop),
            "stances": list(workshop.stances), "allow_names": workshop.allow_names,
            "moderation": workshop.moderation.value, "require_ticket": workshop.require_ticket}


def broadcast_poll(poll: Poll) -> None:
    """Send a poll's new state: the public part to phones and projectors, everything to control screens."""
    public = poll_payload(poll)
    socketio.emit("poll_state", public, to=rooms.phones(poll.workshop_id), namespace=NS)
    socketio.emit("poll_state", public, to=rooms.screens(poll.workshop_id), namespace=NS)
    rooms.to_control("poll_state", poll_payload(poll, full=True), poll.workshop_id, NS, host_ids(poll.workshop_id))


def _tally_message(poll: Poll, full: bool) -> dict:
    payload = poll_payload(poll, full=full)
    keys = ("at", "id", "round", "state", "total", "results", "results_visible")
    return {k: payload[k] for k in keys if k in payload}


@pulse.on_flush("tally")
def _flush_tallies(poll_ids: set) -> None:
    # Projector and control: up to 10 Hz, one aggregate query per dirty poll. Phones, the big fan-out,
    # get the latest of these at most once a second, a tenth of the room per tick (pulse.spread).
    for poll in db.session.scalars(select(Poll).where(Poll.id.in_(poll_ids))):
        full = _tally_message(poll, full=True)
        public = {k: v for k, v in full.items() if k != "results"}
        if poll.results_visible:  # an open-text cloud's hidden words and held answers are for control only
            public["results"] = {k: v for k, v in full["results"].items()
                                 if k not in CONTROL_ONLY and (k != "perception" or poll.revealed)}
        socketio.emit("poll_tally", public, to=rooms.screens(poll.workshop_id), namespace=NS)
        rooms.to_control("poll_tally", full, poll.workshop_id, NS, host_ids(poll.workshop_id))
        pulse.spread(("tally", poll.id), rooms.to_phone_slice("poll_tally", _for_phones(poll, public),
                                                              poll.workshop_id, NS))
        if poll.moves_shown:  # its who-moved flows are on the projector: redrawn once a second (live/moves.py)
            pulse.mark("moves", poll.id)


def _for_phones(poll: Poll, public: dict) -> dict:
    # A phone lists an open-text cloud's first PHONE_WORDS words (text.js phoneList): the rest of the cloud,
    # sent to every phone of the room each second, was most of an open-text poll's cost.
    results = public.get("results")
    if poll.kind != PollKind.text or not results or len(results.get("words") or []) <= PHONE_WORDS:
        return public
    return {**public, "results": {**results, "words": results["words"][:PHONE_WORDS]}}
