"""Reactions: phones tap an emoji, the projector shows the room's mood; never a row or a broadcast per tap.

A tap is refused at once when it is not a known reaction or the phone taps faster than one a REACTION_GAP
(a token bucket in this process: a phone's socket lives on one). The rest is checked once per round inside the
writing transaction, like votes: the workshop's switch and set, the voting pass. A round (group_commit.py,
lingering REACTION_GROUP_WAIT, a tick) adds what it accepted to one counter row per (workshop, segment,
stance, reaction) and records who reacted per segment (the hidden-group rule needs people, not taps), in one
COMMIT; each tap is acknowledged after it. The round marks the workshop on the pulse; the process that
flushes reads the segment's totals from the database (every process's taps) and sends projectors and control
screens one ``reaction_tally`` per tick: the totals and what they grew by since the last one.

In a big room a phone gathers its taps and sends them together, one message per ``pace`` (the ack says how
long): the taps keep their one-a-second rate, the messages a process handles stay under REACTION_MESSAGE_RATE.
"""

import logging
import math
import threading
import time
from collections import Counter

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db, socketio
from ..models import utcnow
from ..planner.models import REACTION_PALETTE, Workshop
from ..planner.service import current_segment, host_ids, set_reactions_on
from ..planner.signals import workshop_settings_changed
from ..realtime import pulse, rooms
from . import presence
from .group_commit import GroupCommit, Waiting
from .models import PASS_NEEDED, ReactionCount, Reactor
from .service import LiveError, round_people

log = logging.getLogger("workshop.live.reactions")
NS = "/live"
TOO_FAST = "One reaction a second: wait a moment."
OFF = "Reactions are switched off."
UNKNOWN = "That reaction is not on offer here."
BURST = 1.5  # the bucket's size in taps: half a tap of slack for the network's jitter
# A phone waits between half and one and a half of its pace before each message (static/js/reactions.js), so
# phones that started together drift apart instead of sending in step; the bucket holds that longest wait.
SPREAD = 1.5

_lock = threading.Lock()


def _memory(name: str) -> dict | set:
    """This app's (this process's) state: "taps": participant -> (tokens, when counted; monotonic);
    "shown": workshop -> ((segment, workshop created at), totals) last broadcast; "known": (workshop, segment,
    participant) stored as a Reactor."""
    return current_app.extensions.setdefault("reactions", {"taps": {}, "shown": {}, "known": set()})[name]


def reactions_payload(workshop: Workshop, totals: bool = False, phone: int | None = None) -> dict:
    """Whether reactions are on and the set ({"on", "set": [{"key", "emoji", "name"}]}), with the totals or,
    for the phone of participant ``phone``, its pace (``pace_ms``: its first message waits a random part of
    it, so a room told "react now!" spreads its first taps over the pace instead of sending them at once)."""
    payload = {"on": workshop.reactions_on, "set": workshop.reactions}
    if phone is not None:
        payload["pace_ms"] = int(_tell(phone, pace_for(workshop.id)) * 1000)
    if totals:
        segment = current_segment(workshop)
        payload["segment_id"] = segment.id if segment else 0
        payload["totals"] = segment_totals(workshop.id, payload["segment_id"])
    return payload


def segment_totals(workshop_id: int, segment_id: int) -> dict[str, int]:
    """Reactions so far in one segment: {reaction: count} (one aggregate query)."""
    rows = db.session.execute(
        select(ReactionCount.reaction, func.sum(ReactionCount.count))
        .where(ReactionCount.workshop_id == workshop_id, ReactionCount.segment_id == segment_id)
        .group_by(ReactionCount.reaction)
    )
    return {reaction: int(n) for reaction, n in rows}


def react(participant_id: int, reaction, workshop_id: int | None = None) -> dict:
    """Count a phone's taps: one key, or a list of the taps it made since its last message (its pace).

    Returns {"reaction", "counted", "segment_id", "pace_ms"} after the commit that counted them; ``pace_ms`` is
    how long the phone should gather taps before its next message (``pace``; 0 while the room is small).
    """
    keys = _keys(reaction)
    pace_s = pace_for(workshop_id) if workshop_id is not None else 0.0
    _take_turn(participant_id, len(keys), pace_s)
    waiting = _taps.submit((participant_id, keys))
    if waiting.error:
        raise LiveError(waiting.error)
    return {**waiting.result, "pace_ms": int(pace_s * 1000)}


def _keys(reaction) -> tuple[str, ...]:
    """One key or a list of them, each a palette key, at most a full bucket's worth."""
    keys = (reaction,) if isinstance(reaction, str) else reaction
    if not isinstance(keys, (list, tuple)) or not keys:
        raise LiveError(UNKNOWN)
    if len(keys) > max_batch():
        raise LiveError(f"Send at most {max_batch()} reactions at once.")
    if not all(isinstance(key, str) and key in REACTION_PALETTE for key in keys):
        raise LiveError(UNKNOWN)
    return tuple(keys)


def max_batch() -> int:
    """The most taps one message may carry: a whole bucket at the longest pace."""
    gap = current_app.config.get("REACTION_GAP", 1.0) or 1.0
    return int(BURST + SPREAD * current_app.config.get("REACTION_PACE_MAX", 10.0) / gap)


def pace_for(workshop_id: int) -> float:
    """Seconds a phone of this room gathers its taps before sending them, so that this process's phones of the
    room send at most REACTION_MESSAGE_RATE messages a second: 0 (every tap at once) while they are few.

    Every message costs the server the same whether it carries one tap or eight (docs/performance.md,
    "Reactions while the room votes"): in a big room the taps keep their rate and the messages do not grow.
    """
    rate, gap = current_app.config.get("REACTION_MESSAGE_RATE", 0), current_app.config.get("REACTION_GAP", 1.0)
    phones = presence.local_count(workshop_id)
    if not rate or gap <= 0 or phones / gap <= rate:
        return 0.0
    return min(current_app.config.get("REACTION_PACE_MAX", 10.0), math.ceil(10 * phones / rate) / 10)


def _tell(participant_id: int, pace_s: float) -> float:
    """Remember the pace a phone was told: its bucket holds what the phone may gather meanwhile."""
    with _lock:
        tokens, at, told = _memory("taps").get(participant_id, (None, time.monotonic(), 0.0))
        _memory("taps")[participant_id] = (tokens, at, max(told, pace_s))
    return pace_s


def _take_turn(participant_id: int, taps: int = 1, pace_s: float = 0.0) -> None:
    """At most one tap a REACTION_GAP per phone: a token bucket refilled one a gap.

    It holds BURST taps, plus the taps of the longest wait the phone was told (SPREAD times its pace: a phone
    gathering taps sends them together), and starts full (a phone's first message may carry what it gathered
    since it connected). A phone tapping once a second always passes though the network bunches its messages
    (up to half a gap early); a second tap within half a gap of the first never does. Refused taps take nothing.
    """
    now, gap, memory = time.monotonic(), current_app.config.get("REACTION_GAP", 1.0), _memory("taps")
    if gap <= 0:
        return
    with _lock:
        tokens, at, told = memory.get(participant_id, (None, now, 0.0))
        told = max(told, pace_s)
        size = BURST + SPREAD * told / gap
        tokens = size if tokens is None else min(size, tokens + (now - at) / gap)
        if tokens < taps:
            raise LiveError(TOO_FAST)
        memory[participant_id] = (tokens - taps, now, told)
        if len(memory) > 20_000:  # phones that stopped tapping (a full bucket is the same as none)
            for pid in [p for p, (_, at, told) in memory.items() if now - at > BURST * gap + SPREAD * told]:
                del memory[pid]


def switch_reactions(workshop: Workshop, on: bool) -> dict:
    """Switch reactions on or off for the room now; returns what every screen is told."""
    set_reactions_on(workshop, on)
    log.info("reactions %s workshop=%s", "on" if on else "off", workshop.id)
    broadcast_reactions(workshop)
    return reactions_payload(workshop)


def broadcast_reactions(workshop: Workshop, **_extra) -> None:
    """Tell phones, projectors and control screens whether reactions are on and which (``reactions``)."""
    socketio.emit("reactions", reactions_payload(workshop), to=rooms.everyone(workshop.id), namespace=NS)


def subscribe() -> None:
    """Connect to the planner's saved settings (create_app calls it: explicit, never an import's side effect)."""
    workshop_settings_changed.connect(broadcast_reactions)


# --- the group commit: one counted write per round ----------------------------------------------------


_ROUND_WORKSHOPS = (  # built once, as service.round_people: no cyclic garbage per round
    select(Workshop).where(Workshop.id.in_(bindparam("ids", expanding=True))).execution_options(populate_existing=True)
)


def _write_batch(batch: list[Waiting]) -> None:
    people = {w.item[0] for w in batch}
    persons = round_people(people)  # Core rows: no ORM work per phone
    workshops = {
        w.id: w
        for w in db.session.scalars(_ROUND_WORKSHOPS, {"ids": list({p.workshop_id for p in persons.values()})})
    }
    segments = {wid: getattr(current_segment(w), "id", 0) for wid, w in workshops.items()}
    counts, reactors, accepted, known = Counter(), {}, [], _memory("known")
    for waiting in batch:
        participant_id, keys = waiting.item
        person = persons.get(participant_id)
        workshop = workshops.get(person.workshop_id) if person else None
        try:
            _admit(workshop, person, keys)
        except LiveError as exc:
            waiting.refuse(str(exc))
            continue
        segment, stance = segments[workshop.id], person.stance or ""
        for key in keys:
            counts[(workshop.id, segment, stance, key)] += 1
        if (workshop.id, segment, participant_id) not in known:  # only a phone's first tap of a segment
            reactors[(workshop.id, segment, participant_id)] = stance
        accepted.append((waiting, workshop.id, segment))
    _store(counts, reactors)
    for waiting, _, segment in accepted:
        keys = waiting.item[1]
        waiting.accept({"reaction": keys[0], "counted": len(keys), "segment_id": segment})
    for workshop_id in {workshop_id for _, workshop_id, _ in accepted}:
        pulse.mark("reactions", workshop_id)


def _admit(workshop: Workshop | None, person, keys: tuple[str, ...]) -> None:
    """The round's checks: the phone is in the workshop, reactions are on and offer this one, the voting pass."""
    if workshop is None:
        raise LiveError("Join the workshop first.")
    if not workshop.reactions_on:
        raise LiveError(OFF)
    if not set(keys) <= {offered["key"] for offered in workshop.reactions}:
        raise LiveError(UNKNOWN)
    if workshop.require_ticket and person.checked_in_at is None:
        raise LiveError(PASS_NEEDED)  # the rule of Participant.may_take_part, on the round's plain rows


_STATEMENTS: dict = {}  # dialect name -> (count upsert, reactor insert), built once


def _statements(dialect: str) -> tuple:
    # Built once: each build made ~100 objects of cyclic garbage (the upsert's `excluded` alias copies the
    # table), and with 2,000 phones reacting the young collections that freed them paused the voters.
    if dialect not in _STATEMENTS:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = insert(ReactionCount.__table__)
        count_upsert = stmt.on_conflict_do_update(
            index_elements=["workshop_id", "segment_id", "stance", "reaction"],
            set_={
                "count": ReactionCount.__table__.c.count + stmt.excluded["count"],
                "updated_at": stmt.excluded.updated_at,
            },
        )
        reactor_insert = insert(Reactor.__table__).on_conflict_do_nothing(
            index_elements=["workshop_id", "segment_id", "participant_id"]
        )
        _STATEMENTS[dialect] = (count_upsert, reactor_insert)
    return _STATEMENTS[dialect]


def _store(counts: Counter, reactors: dict) -> None:
    """Add the round's counts and new reactors (race-free upserts), then one COMMIT."""
    if not counts:
        db.session.rollback()
        return
    connection, now = db.session.connection(), utcnow()
    count_upsert, reactor_insert = _statements(connection.dialect.name)
    connection.execute(
        count_upsert,
        [
            {"workshop_id": w, "segment_id": s, "stance": st, "reaction": r, "count": n, "updated_at": now}
            for (w, s, st, r), n in sorted(counts.items())
        ],
    )  # sorted: concurrent rounds lock rows in one order
    if reactors:
        connection.execute(
            reactor_insert,
            [
                {"workshop_id": w, "segment_id": s, "participant_id": p, "stance": st}
                for (w, s, p), st in sorted(reactors.items())
            ],
        )
    db.session.commit()
    known = _memory("known")
    with _lock:
        if len(known) > 200_000:
            known.clear()
        known.update(reactors)  # stored: later taps of the segment skip the row


_taps = GroupCommit(_write_batch, "Your reaction could not be counted: please try again.", linger="REACTION_GROUP_WAIT")


# --- the broadcast: one reaction_tally per workshop and tick ---------------------------------------------


@pulse.on_flush("reactions")
def _flush_reactions(workshop_ids: set) -> None:
    # Totals from the database (every process's taps); the tick's counts are what they grew by since this
    # process last sent them (a new leader's first message bursts the whole segment, capped on screen).
    for workshop in db.session.scalars(select(Workshop).where(Workshop.id.in_(workshop_ids))):
        segment = getattr(current_segment(workshop), "id", 0)
        totals = segment_totals(workshop.id, segment)
        run = (segment, workshop.created_at)  # a workshop deleted and made again may get the same id (SQLite)
        shown_run, before = _memory("shown").get(workshop.id, (run, {}))
        before = before if shown_run == run else {}
        _memory("shown")[workshop.id] = (run, totals)
        tick = {key: n - before.get(key, 0) for key, n in totals.items() if n > before.get(key, 0)}
        message = {"at": time.time(), "segment_id": segment, "tick": tick, "totals": totals}
        socketio.emit("reaction_tally", message, to=rooms.screens(workshop.id), namespace=NS)
        rooms.to_control("reaction_tally", message, workshop.id, NS, host_ids(workshop.id))
