"""Coalesced broadcasts: writes mark keys dirty; a loop flushes them at ~10 Hz.

However many votes arrive, each dirty poll (or wall) is broadcast at most once per tick, so
2,000 phones voting at once cause a handful of broadcasts, not 2,000.

Embedded (no ``REDIS_URL``): dirty keys live in this process and its own loop flushes them.
Several processes (``REDIS_URL`` set): dirty keys live in Redis sets and only the process holding
the leader lease (a Redis key with a short TTL, renewed every tick) flushes them, so each poll has
exactly one broadcast stream; the Socket.IO message queue carries it to clients on every process.
Handlers recompute from the database, so a broadcast includes the votes taken by every process.
A killed leader's lease expires within ``LEASE_MS`` and another process takes over.
"""

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from flask import Flask, current_app

from ..extensions import socketio

log = logging.getLogger("workshop.pulse")

LEASE_MS = 2000
# Phones are split into SLICES rooms and a phone broadcast goes to one slice per tick, so each phone
# still hears at most once a second (10 Hz / 10) but the server sends 1/10 of the room per tick
# instead of the whole room in one go (2,000 messages at once stalled every other socket).
SLICES = 10
# Renew the lease if this process holds it, else take it when it is free: one atomic step.
_LEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

_lock = threading.Lock()
_dirty: dict[str, set] = {}
_pushed: dict[str, set] = {}  # with Redis: keys already added to the shared dirty sets this tick
_pending: dict[str, set] = {}  # with Redis: keys marked again since, added at the next tick
_handlers: dict[str, tuple[Callable[[set], None], int]] = {}
_loops: dict[int, bool] = {}
_identity: dict[int, str] = {}
_spreads: dict[object, tuple[Callable[[int], None], set[int]]] = {}  # key -> (send to a slice, slices owed)


def on_flush(name: str, every: int = 1):
    """Register ``fn(keys)`` to run for the keys marked under ``name`` every ``every`` ticks."""

    def register(fn):
        _handlers[name] = (fn, every)
        return fn

    return register


def mark(name: str, key) -> None:
    """Note that ``key`` changed; it is broadcast on the next tick (by whichever process leads)."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        _mark_shared(app, name, key)
    else:
        with _lock:
            _dirty.setdefault(name, set()).add(key)
    if app.config.get("LIVE_PULSE", True) and id(app) not in _loops:
        _start(app)


def start(app: Flask) -> None:
    """Start ``app``'s flush loop now (servers with REDIS_URL: any process may become the leader)."""
    if app.config.get("LIVE_PULSE", True):
        _start(app)


def _start(app: Flask) -> None:
    with _lock:
        if id(app) in _loops:
            return
        _loops[id(app)] = True
    socketio.start_background_task(_run, app)


def _run(app: Flask) -> None:
    interval, tick = app.config["TALLY_INTERVAL"], 0
    due = time.monotonic()
    while _loops.get(id(app)):
        due = max(due + interval, time.monotonic())  # fixed rate: a slow tick does not stretch the next
        socketio.sleep(due - time.monotonic())
        tick += 1
        try:
            with app.app_context():
                _push_pending(app)
                _flush(tick, shared=is_leader(app))
                _spread_tick(tick % SLICES)
        except Exception:  # the loop must survive a bad tick
            log.exception("pulse tick failed")
    _release(app)


def flush(tick: int | None = None) -> None:
    """Run handlers for dirty keys (every handler when ``tick`` is None). Needs an app context."""
    shared = bool(current_app.config.get("REDIS_URL"))
    if shared:
        _push_pending(current_app)
    _flush(tick, shared)
    for slice_ in range(SLICES) if tick is None else ():  # an explicit full flush delivers every slice now
        _spread_tick(slice_)


def spread(key, send: Callable[[int], None]) -> None:
    """Deliver a broadcast to every slice over the next SLICES ticks: ``send(slice)`` once per slice.

    A newer ``send`` for the same key replaces an undelivered one, so each slice gets only the latest.
    """
    with _lock:
        _spreads[key] = (send, set(range(SLICES)))


def _spread_tick(slice_: int) -> None:
    with _lock:
        due = [(key, send) for key, (send, owed) in _spreads.items() if slice_ in owed]
        for key, _send in due:
            _spreads[key][1].discard(slice_)
            if not _spreads[key][1]:
                del _spreads[key]
    for key, send in due:
        try:
            send(slice_)
        except Exception:  # one failing broadcast must not stop the others
            log.exception("pulse: spread %r failed", key)


def _flush(tick: int | None, shared: bool) -> None:
    due = [name for name, (_, every) in _handlers.items() if tick is None or not tick % every]
    popped = _shared_pop(current_app, due) if shared and due else {}
    for name in due:
        with _lock:
            keys = _dirty.pop(name, set())
        keys |= popped.get(name, set())
        if keys:
            _handlers[name][0](keys)


def stop(app: Flask) -> None:
    """Stop the loop of ``app`` (tests); it gives up the leader lease on its way out."""
    _loops.pop(id(app), None)


# --- shared state in Redis (several processes) ---------------------------------------------

def _client(url: str):
    from ..ratelimit import redis_client

    return redis_client(url)


def _key(app: Flask, *parts: str) -> str:
    return ":".join((app.config.get("REDIS_NAMESPACE") or "workshop", "pulse", *parts))


def _mark_shared(app: Flask, name: str, key) -> None:
    # The first mark of a key per tick goes to Redis at once; repeats wait for this process's next
    # tick (one write per tick instead of one per vote). Every process ticks once between two
    # flushes of the leader, so a repeat still reaches the leader's next flush.
    with _lock:
        fresh = key not in _pushed.setdefault(name, set())
        (_pushed[name] if fresh else _pending.setdefault(name, set())).add(key)
    if fresh:
        _shared_add(app, {name: {key}})


def _push_pending(app: Flask) -> None:
    with _lock:
        pending = {name: keys for name, keys in _pending.items() if keys}
        _pending.clear()
        _pushed.clear()
    if pending:
        _shared_add(app, pending)


def _shared_add(app: Flask, marks: dict[str, set]) -> None:
    import redis

    pipe = _client(app.config["REDIS_URL"]).pipeline(transaction=False)
    for name, keys in marks.items():
        pipe.sadd(_key(app, "dirty", name), *(json.dumps(k) for k in keys))
    try:
        pipe.execute()
    except redis.RedisError:  # Redis away: this process broadcasts what it knows itself
        log.warning("pulse: Redis unavailable, marking %s locally", ", ".join(marks), exc_info=True)
        with _lock:
            for name, keys in marks.items():
                _dirty.setdefault(name, set()).update(keys)


def _shared_pop(app: Flask, names: list[str]) -> dict[str, set]:
    import redis

    pipe = _client(app.config["REDIS_URL"]).pipeline(transaction=True)
    for name in names:
        pipe.smembers(_key(app, "dirty", name))
        pipe.delete(_key(app, "dirty", name))
    try:
        replies = pipe.execute()
    except redis.RedisError:
        log.warning("pulse: Redis unavailable, flush skipped", exc_info=True)
        return {}
    return {name: {json.loads(m) for m in members} for name, members in zip(names, replies[::2], strict=True)}


def identity(app: Flask) -> str:
    """This process's name in the leader lease (host:pid:random)."""
    if id(app) not in _identity:
        _identity[id(app)] = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return _identity[id(app)]


def is_leader(app: Flask) -> bool:
    """Take or renew the flush lease; True when this process may flush the shared dirty keys."""
    url = app.config.get("REDIS_URL")
    if not url:
        return False
    import redis

    try:
        return bool(_client(url).eval(_LEASE_SCRIPT, 1, _key(app, "leader"), identity(app), LEASE_MS))
    except redis.RedisError:
        log.warning("pulse: Redis unavailable, no leader lease", exc_info=True)
        return False


def leader(app: Flask) -> str | None:
    """Who holds the flush lease now (None: nobody)."""
    value = _client(app.config["REDIS_URL"]).get(_key(app, "leader"))
    return value.decode() if value else None


def _release(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        try:
            _client(url).eval(_RELEASE_SCRIPT, 1, _key(app, "leader"), identity(app))
        except Exception:  # best effort: the lease expires anyway
            log.warning("pulse: could not release the lease", exc_info=True)
