"""Live-session operations: polls, participants, votes. The only place that writes and broadcasts them."""

import hashlib
import hmac
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from urllib.parse import urlencode

from flask import abort, current_app, has_request_context, url_for
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import pulse
from ..extensions import db, socketio
from ..models import IllegalTransition, is_key, utcnow
from ..planner.models import Workshop
from ..planner.service import current_segment
from ..planner.service import start_segment as start_agenda_segment
from ..planner.signals import workshop_cloned, workshop_settings_changed
from ..registration.models import Registration, RegistrationStatus
from ..registration.service import by_ticket
from . import addresses, presence, rooms
from .models import PASS_NEEDED, VERDICTS, Participant, Poll, PollKind, PollState, Vote
from .tally import tally, vote_count

log = logging.getLogger("workshop.live")
NS = "/live"


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
                timer_seconds: int | None = None) -> Poll:
    """Prepare a poll at the end of the list."""
    poll = Poll(workshop_id=workshop.id, kind=PollKind(kind), prompt=prompt, options=options,
                show_live=show_live, timer_seconds=timer_seconds or None, position=len(list_polls(workshop)))
    db.session.add(poll)
    db.session.commit()
    return poll


def update_poll(poll: Poll, kind: str, prompt: str, options: list[str], show_live: bool,
                timer_seconds: int | None = None) -> Poll:
    """Edit a poll; its kind and items are fixed once it has votes."""
    if poll.state != PollState.draft and (kind != poll.kind.value or options != poll.options):
        raise LiveError("This poll has run: only the wording, live-results and timer settings can change.")
    poll.kind, poll.prompt, poll.options, poll.show_live = PollKind(kind), prompt, options, show_live
    poll.timer_seconds = timer_seconds or None
    db.session.commit()
    _broadcast_poll(poll)
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
    """Copy poll wording into another workshop (as drafts, without votes)."""
    for poll in list_polls(source):
        db.session.add(Poll(workshop_id=target.id, kind=poll.kind, prompt=poll.prompt,
                            options=list(poll.options), show_live=poll.show_live, position=poll.position,
                            timer_seconds=poll.timer_seconds))


def _copy_polls_of_clone(source: Workshop, copy: Workshop, **_extra) -> None:
    copy_polls(source, copy)


def _tell_joining(workshop: Workshop, **_extra) -> None:
    joining_changed(workshop)  # the cap or the key rotation may have changed


def subscribe() -> None:
    """Connect to the planner's signals (create_app calls it: explicit, never an import's side effect)."""
    workshop_cloned.connect(_copy_polls_of_clone)
    workshop_settings_changed.connect(_tell_joining)


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
    if registration.checked_in_at is None:
        registration.checked_in_at = utcnow()  # the phone in the room is proof of presence
    db.session.commit()
    log.info("ticket bound participant=%s", participant.id)
    return participant


def join_url(workshop: Workshop, **query) -> str:
    """The short URL the projector's QR code encodes, on an address phones can reach (live/addresses.py)."""
    path = url_for("live.join_code", code=workshop.join_code, **query) if has_request_context() else (
        f"/j/{workshop.join_code}" + (f"?{urlencode(query)}" if query else ""))  # pulse broadcasts: no request
    return addresses.base_url() + path


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
    _broadcast_poll(poll)
    return poll


def open_poll(poll: Poll, seconds: int | None = None) -> Poll:
    """Open a poll (a closed one re-runs as a new round); any other open poll closes first.

    ``seconds``: a countdown after which the server closes it (None: the poll's planned default; 0: none).
    """
    for other in list_polls(poll.workshop):
        if other.state == PollState.open and other.id != poll.id:
            _transition(other, "close")
    seconds = poll.timer_seconds if seconds is None else seconds
    return _transition(poll, "open", seconds or 0)


def _close_quietly(poll: Poll) -> None:
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
            _close_quietly(poll)
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


# --- voting -------------------------------------------------------------------------------

def validate_choice(poll: Poll, choice) -> str:
    """Normalise a choice; classic polls take a list assigning snog/marry/avoid to distinct items."""
    if poll.kind == PollKind.classic:
        if not isinstance(choice, list) or len(choice) != len(poll.options) or sorted(map(str, choice)) != sorted(VERDICTS):
            raise LiveError("Give each item a different answer: one Snog, one Marry, one Avoid.")
        return ",".join(choice)
    if not isinstance(choice, str) or not poll.accepts(choice):
        raise LiveError("That is not one of this poll's answers.")
    return choice


def cast_vote(participant: Participant, poll_id, choice, require_ticket: bool | None = False) -> dict:
    """Record (or change) a vote; returns only after it is committed. ``require_ticket=None``: the workshop's rule."""
    return submit_vote(participant.id, poll_id, choice, require_ticket)


def submit_vote(participant_id: int, poll_id, choice, require_ticket: bool | None = None) -> dict:
    """Queue a vote for the next group commit and wait for it; raises LiveError when refused."""
    ballot = _Ballot(participant_id, poll_id, choice, require_ticket)
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
    require_ticket: bool | None
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
    needs_ticket = rule if ballot.require_ticket is None else ballot.require_ticket
    if needs_ticket and person.checked_in_at is None:
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


def my_vote(poll: Poll | None, participant: Participant | None):
    """The participant's choice in the poll's current run, in the form it was sent."""
    if poll is None or participant is None:
        return None
    choice = db.session.scalar(select(Vote.choice).where(
        Vote.poll_id == poll.id, Vote.round == poll.round, Vote.participant_id == participant.id))
    if choice is None:
        return None
    return choice.split(",") if poll.kind == PollKind.classic else choice


# --- payloads and broadcasts --------------------------------------------------------------

def poll_payload(poll: Poll, full: bool = False) -> dict:
    """A poll as clients see it; results only when visible (or for the control screen)."""

    payload = {
        "at": time.time(),  # read time: a client keeps the newest of poll_state and the (sliced) poll_tally
        "id": poll.id, "kind": poll.kind.value, "prompt": poll.prompt, "options": list(poll.options),
        "answers": poll.answers, "state": poll.state.value, "round": poll.round,
        "show_live": poll.show_live, "revealed": poll.revealed, "results_visible": poll.results_visible,
        "position": poll.position, "timer_seconds": poll.timer_seconds,
        "closes_at": _epoch(poll.closes_at) if poll.state == PollState.open else None,
    }
    if full or poll.results_visible:
        payload["results"] = tally(poll, min_group=current_app.config["STANCE_MIN_GROUP"])
        payload["total"] = payload["results"]["total"]
    else:
        payload["total"] = vote_count(poll.id, poll.round)
    return payload


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


def session_state(workshop: Workshop, role: str, participant: Participant | None = None) -> dict:
    """Everything a (re)connecting client needs, in one message."""
    poll = current_poll(workshop)
    if poll is not None and poll.time_is_up(utcnow()):  # its countdown ended while no process was watching
        _close_quietly(poll)
    full = role == "control"
    state = {
        "role": role, "workshop": workshop_payload(workshop), "segment": segment_payload(workshop),
        "poll": poll_payload(poll, full=full) if poll else None,
    }
    if participant is not None:
        state["me"] = {"participant_id": participant.id, "stance": participant.stance,
                       "has_ticket": participant.has_ticket}
        state["my_vote"] = my_vote(poll, participant)
    if role != "phone":  # joining defences: full status for control, the public part for projectors
        state["joining"] = joining_state(workshop, role)
    if full:
        state["polls"] = [poll_payload(p, full=True) for p in list_polls(workshop)]
        state["agenda"] = [{"id": i.id, "title": i.title, "kind": i.kind.value, "minutes": i.minutes,
                            "started_at": i.started_at and i.started_at.isoformat() + "Z",
                            "ended_at": i.ended_at and i.ended_at.isoformat() + "Z"} for i in workshop.agenda]
        state["participants"] = db.session.query(Participant).filter_by(workshop_id=workshop.id).count()
    if role in ("control", "projector"):
        state["room"] = presence.payload(workshop.id)
    return state


def _broadcast_poll(poll: Poll) -> None:
    public = poll_payload(poll)
    socketio.emit("poll_state", public, to=rooms.phones(poll.workshop_id), namespace=NS)
    socketio.emit("poll_state", public, to=rooms.screens(poll.workshop_id), namespace=NS)
    rooms.to_control("poll_state", poll_payload(poll, full=True), poll.workshop_id, NS)


def start_segment(workshop: Workshop, item_id: int) -> dict | None:
    """Start an agenda segment now and tell every screen; None for an unknown segment."""
    if start_agenda_segment(workshop, item_id) is None:
        return None
    segment = segment_payload(workshop)
    socketio.emit("segment", segment, to=rooms.everyone(workshop.id), namespace=NS)
    return segment


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
        public = full if poll.results_visible else {k: v for k, v in full.items() if k != "results"}
        socketio.emit("poll_tally", public, to=rooms.screens(poll.workshop_id), namespace=NS)
        rooms.to_control("poll_tally", full, poll.workshop_id, NS)
        pulse.spread(("tally", poll.id), rooms.to_phone_slice("poll_tally", public, poll.workshop_id, NS))


# --- joining defences (docs/security.md, "Joining") ---------------------------------------
# Minting a participant is what ballot stuffing needs, so it passes three switchable gates: a pause,
# a key that rotates on the projector every KEY_WINDOW seconds, and a cap on participants. Phones that
# already joined are untouched (their cookie is their identity) and a confirmed ticket always binds.

KEY_WINDOW = 60
KEY_DIGITS = 4  # digits only: a phone's numeric keypad, and "SNOG 4821" reads aloud
PASS_WINDOWS = 5  # a browser that showed a valid key may take this many windows to pick its stance
PAUSED = "Joining is paused by the hosts. Ask them to open it again."
FULL = "This session is full: every place is taken. Ask the hosts if you should be here."


class JoinRefused(LiveError):
    """A refused join; ``reason`` ("paused", "key" or "full") tells scripts which gate said no."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def key_window(at: float | None = None) -> int:
    """The number of the key window containing ``at`` (now by default)."""
    return int((time.time() if at is None else at) // KEY_WINDOW)


def _signed(*parts) -> bytes:
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, ":".join(map(str, parts)).encode(), hashlib.sha256).digest()


def _key_for(workshop_id: int, window: int) -> str:
    # Stateless: every process derives the same key from SECRET_KEY, so nothing is stored or shared.
    number = int.from_bytes(_signed("join-key", workshop_id, window)[:8], "big") % 10 ** KEY_DIGITS
    return f"{number:0{KEY_DIGITS}d}"


def join_key(workshop: Workshop, at: float | None = None) -> str:
    """The key the projector shows for the window containing ``at``."""
    return _key_for(workshop.id, key_window(at))


def key_matches(workshop: Workshop, key, windows: int = 2, at: float | None = None) -> bool:
    """True when ``key`` is the current key or one of the ``windows - 1`` before it."""
    if not isinstance(key, str):
        return False
    typed = re.sub(r"[\s-]+", "", key)[:16].encode()
    now = key_window(at)
    return any(hmac.compare_digest(typed, _key_for(workshop.id, w).encode()) for w in range(now - windows + 1, now + 1))


def screen_token(workshop: Workshop) -> str:
    """The projector link's secret: shows the key on a screen nobody signed in on (changes with the join code)."""
    return _signed("screen", workshop.id, workshop.join_code).hex()[:20]


def screen_allowed(workshop: Workshop, token, user) -> bool:
    """True for a facilitator of the workshop or a projector opened with its screen link."""
    if workshop.is_facilitator(user):
        return True
    return isinstance(token, str) and hmac.compare_digest(token.encode(), screen_token(workshop).encode())


def keyed_join_url(workshop: Workshop, at: float | None = None) -> str:
    """The join URL for the QR: carries the current key when the workshop's key rotates."""
    if not workshop.join_code_rotates:
        return join_url(workshop)
    return join_url(workshop, k=join_key(workshop, at))


def _key_misses(address: str, add: bool = False) -> int:
    # Wrong keys per address per minute, in Redis when several processes share the work: without a
    # budget a script could walk the 10,000 keys at the join rate. (ratelimit.limit always counts a hit,
    # and a correct key after the budget must be refused too, so this counter can be read without a hit.)
    name = f"rl:joinkey-miss:{address}:{int(time.time() // 60)}"
    url = current_app.config.get("REDIS_URL")
    if url:
        from ..ratelimit import redis_client

        client = redis_client(url)
        if not add:
            return int(client.get(name) or 0)
        pipe = client.pipeline()
        pipe.incr(name)
        pipe.expire(name, 61)
        return pipe.execute()[0]
    with _miss_lock:
        if add:
            for stale in [n for n in _misses if not n.endswith(name.rsplit(":", 1)[1])]:
                del _misses[stale]  # one window kept: the dict stays as small as the current minute
            _misses[name] = _misses.get(name, 0) + 1
        return _misses.get(name, 0)


_miss_lock = threading.Lock()
_misses: dict[str, int] = {}


def verify_key(workshop: Workshop, key, address: str = "?") -> None:
    """Raise JoinRefused unless ``key`` is the projector's current or previous key (misses budgeted per address)."""
    budget = current_app.config.get("JOIN_KEY_MISSES", 30)
    limited = current_app.config.get("RATELIMIT_ENABLED", True) is not False
    if limited and _key_misses(address) >= budget:
        raise JoinRefused("Too many wrong keys from this connection. Wait a minute, then type the key on the screen.", "key")
    if not key_matches(workshop, key):
        if limited and isinstance(key, str) and key.strip():  # a forgotten key is no guess
            _key_misses(address, add=True)
        raise JoinRefused("Type the 4-digit key shown on the screen next to the code (it changes every minute).", "key")


def participant_cap(workshop: Workshop) -> int | None:
    """The most participants the workshop takes: its setting, else capacity + 20 % + 10 when it uses registration."""
    if workshop.participant_cap:
        return workshop.participant_cap
    registered = db.session.scalar(select(Registration.id).where(Registration.workshop_id == workshop.id).limit(1))
    return workshop.capacity + -(-workshop.capacity // 5) + 10 if registered is not None else None


def participant_count(workshop: Workshop) -> int:
    """Participants (phones) the workshop has minted so far."""
    return db.session.scalar(select(func.count(Participant.id)).where(Participant.workshop_id == workshop.id))


def joins_last_minute(workshop: Workshop) -> int:
    """New participants in the last 60 seconds."""
    since = utcnow() - timedelta(seconds=60)
    return db.session.scalar(select(func.count(Participant.id)).where(
        Participant.workshop_id == workshop.id, Participant.created_at >= since))


def check_join_allowed(workshop: Workshop, key=None, address: str = "?", passed: bool = False) -> None:
    """Raise JoinRefused unless a new participant may join now; ``passed``: this browser already showed a key."""
    if workshop.join_paused:
        raise JoinRefused(PAUSED, "paused")
    if workshop.join_code_rotates and not passed:
        verify_key(workshop, key, address)
    cap = participant_cap(workshop)
    # Checked before the insert: simultaneous joins may overshoot by a few, which a cap tolerates.
    if cap is not None and participant_count(workshop) >= cap:
        raise JoinRefused(FULL, "full")


def join_notice(workshop: Workshop) -> str | None:
    """Why nobody new can join right now (paused or full), for the join page; None when they can."""
    if workshop.join_paused:
        return PAUSED
    cap = participant_cap(workshop)
    return FULL if cap is not None and participant_count(workshop) >= cap else None


def join_participant(workshop: Workshop, stance: str | None, key=None, address: str = "?", passed: bool = False) -> Participant:
    """Mint a participant through the joining gates (pause, key, cap); raises JoinRefused or LiveError."""
    check_join_allowed(workshop, key, address, passed)
    participant = create_participant(workshop, stance)
    pulse.mark("joining", workshop.id)
    return participant


def join_with_ticket(workshop: Workshop, code: str) -> Participant:
    """Bind a phone to a confirmed ticket: a real attendee, so neither pause nor cap nor key applies."""
    participant = bind_ticket(workshop, code)
    pulse.mark("joining", workshop.id)
    return participant


def joining_status(workshop: Workshop, with_key: bool = True) -> dict:
    """Pause, cap, counts and (for hosts and signed projectors) the current key with its remaining seconds."""
    cap, joined = participant_cap(workshop), participant_count(workshop)
    status = {"paused": workshop.join_paused, "cap": cap, "cap_auto": not workshop.participant_cap,
              "joined": joined, "full": cap is not None and joined >= cap,
              "joins_last_minute": joins_last_minute(workshop), "rotates": workshop.join_code_rotates,
              "key": None, "key_expires_in": None, "join_url": join_url(workshop)}
    if workshop.join_code_rotates:
        status["key_expires_in"] = round(KEY_WINDOW - time.time() % KEY_WINDOW, 1)
        if with_key:
            status["key"], status["join_url"] = join_key(workshop), keyed_join_url(workshop)
    return status


def public_joining(workshop: Workshop) -> dict:
    """What any projector may know: paused, full, whether a key rotates (never the key itself)."""
    status = joining_status(workshop, with_key=False)
    return {k: status[k] for k in ("paused", "full", "rotates", "key_expires_in")}


def joining_state(workshop: Workshop, role: str) -> dict | None:
    """The ``joining`` part of session_state: everything for control, the public part for projectors."""
    if role == "control":
        # Built without url_for(_external): the pulse sends this outside any request (no SERVER_NAME needed).
        screen = f"/live/{workshop.join_code}/screen?{urlencode({'s': screen_token(workshop)})}"
        return {**joining_status(workshop), "screen_url": addresses.base_url() + screen}
    return public_joining(workshop) if role == "projector" else None


def joining_changed(workshop: Workshop) -> None:
    """Tell control screens (full status) and projectors (public part) that joining changed."""
    status = joining_state(workshop, "control")
    rooms.to_control("joining", status, workshop.id, NS)
    socketio.emit("joining", public_joining(workshop), to=rooms.screens(workshop.id), namespace=NS)


def pause_joining(workshop: Workshop, paused: bool) -> dict:
    """Pause or reopen joining (tickets still bind); returns the new status."""
    workshop.join_paused = bool(paused)
    db.session.commit()
    log.info("joining %s workshop=%s", "paused" if paused else "reopened", workshop.id)
    joining_changed(workshop)
    return joining_state(workshop, "control")


@pulse.on_flush("joining", every=10)
def _flush_joining(workshop_ids: set) -> None:
    # Joins move the counts on the control screen: at most once a second per workshop, however many join.
    for workshop in db.session.scalars(select(Workshop).where(Workshop.id.in_(workshop_ids))):
        joining_changed(workshop)
