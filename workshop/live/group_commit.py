"""The group commit: what many handlers send at the same moment is written in one round and one COMMIT.

The first caller to find no writer busy writes one round (everything queued), then hands the writer's role
to the oldest caller still waiting, so no handler is held hostage writing other people's rows for long.
Each caller returns only after the commit that wrote (or refused) its item. Votes (ballots.py),
open-text answers (texts.py) and reactions (reactions.py: a round a tick, counted, not one row per tap) each
have one queue.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from ..extensions import db

log = logging.getLogger("workshop.live.group_commit")


@dataclass(eq=False)
class Waiting:
    """One queued item and what its caller is told: ``accept(result)`` or ``refuse(message)``."""

    item: object
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    finished: bool = False
    result: dict | None = None
    error: str | None = None

    def accept(self, result: dict) -> None:
        """The item is written: its caller gets ``result``."""
        self.result, self.finished = result, True

    def refuse(self, message: str) -> None:
        """The item is refused: its caller gets ``message`` as the error."""
        self.error, self.finished = message, True


class GroupCommit:
    """One queue whose rounds ``write(batch)`` writes, accepting or refusing each Waiting item of the batch."""

    def __init__(self, write: Callable[[list[Waiting]], None], failed: str, linger: str = "VOTE_GROUP_WAIT"):
        self.write, self.failed, self.linger = write, failed, linger  # linger: the config key of the round's wait
        self._lock = threading.Lock()
        self._queue: list[Waiting] = []
        self._busy = False

    def submit(self, item) -> Waiting:
        """Queue ``item``; return it once a round wrote or refused it (this caller's round, or another's)."""
        waiting = Waiting(item)
        with self._lock:
            self._queue.append(waiting)
            waiting.lead = not self._busy
            self._busy = True
        if not waiting.lead:
            waiting.done.wait()  # woken with a result, or handed the writer's role
        if not waiting.finished:
            self._write_round()
        return waiting

    def _write_round(self) -> None:
        # Linger a few ms (cooperative under gevent) so what arrives meanwhile joins this round: while a round
        # writes, SQLite blocks the whole process, so without it rounds stay tiny and each pays a full commit.
        time.sleep(current_app.config.get(self.linger, 0.005))
        with self._lock:
            batch, self._queue = self._queue, []
        try:
            self.write(batch)
        except Exception:  # never leave a caller waiting forever
            log.exception("group commit failed")
            db.session.rollback()
            for waiting in batch:
                if not waiting.finished:
                    waiting.refuse(self.failed)
        finally:
            self._hand_over(batch)

    def _hand_over(self, batch: list[Waiting]) -> None:
        with self._lock:
            successor = self._queue[0] if self._queue else None
            self._busy = successor is not None
            if successor:
                successor.lead = True
        for waiting in batch:
            waiting.done.set()
        if successor:
            successor.done.set()
