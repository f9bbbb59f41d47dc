"""Coalesced broadcasts: writes mark keys dirty; one loop per process flushes them at ~10 Hz.

However many votes arrive, each dirty poll (or wall) is broadcast at most once per tick, so
2,000 phones voting at once cause a handful of broadcasts, not 2,000.
"""

import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app

from .extensions import socketio

log = logging.getLogger("workshop.pulse")

_lock = threading.Lock()
_dirty: dict[str, set] = {}
_handlers: dict[str, tuple[Callable[[set], None], int]] = {}
_loops: dict[int, bool] = {}


def on_flush(name: str, every: int = 1):
    """Register ``fn(keys)`` to run for the keys marked under ``name`` every ``every`` ticks."""

    def register(fn):
        _handlers[name] = (fn, every)
        return fn

    return register


def mark(name: str, key) -> None:
    """Note that ``key`` changed; it is broadcast on the next tick."""
    with _lock:
        _dirty.setdefault(name, set()).add(key)
    app = current_app._get_current_object()
    if app.config.get("LIVE_PULSE", True) and id(app) not in _loops:
        _start(app)


def _start(app: Flask) -> None:
    with _lock:
        if id(app) in _loops:
            return
        _loops[id(app)] = True
    socketio.start_background_task(_run, app)


def _run(app: Flask) -> None:
    interval, tick = app.config["TALLY_INTERVAL"], 0
    while _loops.get(id(app)):
        socketio.sleep(interval)
        tick += 1
        try:
            with app.app_context():
                flush(tick)
        except Exception:  # the loop must survive a bad tick
            log.exception("pulse tick failed")


def flush(tick: int | None = None) -> None:
    """Run handlers for dirty keys (every handler when ``tick`` is None). Needs an app context."""
    for name, (fn, every) in list(_handlers.items()):
        if tick is not None and tick % every:
            continue
        with _lock:
            keys = _dirty.pop(name, set())
        if keys:
            fn(keys)


def stop(app: Flask) -> None:
    """Stop the loop of ``app`` (tests)."""
    _loops.pop(id(app), None)
