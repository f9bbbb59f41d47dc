"""People in the room: how many phones are connected to a workshop right now.

Each process counts its own phone sockets. Embedded, that count is the answer. With ``REDIS_URL`` each
process also writes its count into one Redis hash per workshop (field: the process, value:
``count:written-at``) and rewrites it every ``REFRESH`` seconds, so the sum over fresh fields is the
room, and a killed process's phones drop out of it within ``STALE`` seconds. Changes are marked on the
pulse: projectors and control screens hear a coalesced ``room`` event within a tick of a join or leave.
"""

import logging
import threading
import time

from flask import Flask, current_app

from ..extensions import socketio
from ..planner.service import host_ids
from ..realtime import pulse, rooms

log = logging.getLogger("workshop.live.presence")
NS = "/live"
REFRESH, STALE = 10, 30

_lock = threading.Lock()
_local: dict[int, int] = {}
_refreshers: set[int] = set()


def phone_joined(workshop_id: int) -> None:
    """A phone socket of this workshop connected to this process."""
    _change(workshop_id, +1)


def phone_left(workshop_id: int) -> None:
    """A phone socket of this workshop disconnected from this process."""
    _change(workshop_id, -1)


def count(workshop_id: int) -> int:
    """Phones connected to the workshop now, over every process."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return _local.get(workshop_id, 0)
    now, total = time.time(), 0
    for value in _client(url).hvals(_key(current_app, workshop_id)):
        phones, _, written = value.decode().partition(":")
        total += int(phones) if now - float(written or 0) < STALE else 0
    return total


def local_count(workshop_id: int) -> int:
    """Phones of the workshop connected to this process (what this process's work grows with)."""
    return _local.get(workshop_id, 0)


def payload(workshop_id: int) -> dict:
    """The ``room`` event's body."""
    return {"phones": count(workshop_id), "at": time.time()}


@pulse.on_flush("room")
def _flush_room(workshop_ids: set) -> None:
    for workshop_id in workshop_ids:
        message = payload(workshop_id)
        socketio.emit("room", message, to=rooms.screens(workshop_id), namespace=NS)
        rooms.to_control("room", message, workshop_id, NS, host_ids(workshop_id))


def _change(workshop_id: int, step: int) -> None:
    with _lock:
        _local[workshop_id] = max(0, _local.get(workshop_id, 0) + step)
        phones = _local[workshop_id]
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        _write(app, workshop_id, phones)
        _keep_fresh(app)
    pulse.mark("room", workshop_id)


def _write(app: Flask, workshop_id: int, phones: int) -> None:
    import redis

    try:
        _client(app.config["REDIS_URL"]).hset(_key(app, workshop_id), pulse.identity(app), f"{phones}:{time.time()}")
    except redis.RedisError:  # the count is a display: a missed write is corrected at the next refresh
        log.warning("presence: Redis unavailable", exc_info=True)


def _keep_fresh(app: Flask) -> None:
    with _lock:
        if id(app) in _refreshers:
            return
        _refreshers.add(id(app))
    socketio.start_background_task(_refresh_forever, app)


def _refresh_forever(app: Flask) -> None:
    while True:
        socketio.sleep(REFRESH)
        with _lock:
            counts = dict(_local)
        for workshop_id, phones in counts.items():
            _write(app, workshop_id, phones)


def _client(url: str):
    from ..ratelimit import redis_client

    return redis_client(url)


def _key(app: Flask, workshop_id: int) -> str:
    return ":".join((app.config.get("REDIS_NAMESPACE") or "workshop", "presence", f"w{workshop_id}"))
