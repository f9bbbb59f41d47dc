"""Below the namespaces: a budget per Engine.IO connection, and websocket readers that take turns.

``ConnectionBudget`` counts every message of an Engine.IO connection before it is decoded or given a task,
and closes a connection that sends far more than any page does (the namespaces' own limits act first; this
is what keeps a flood of tens of thousands of frames from costing the process seconds). Under gevent,
``fair_websockets`` makes each websocket reader yield after every message it buffers, and lets Engine.IO
give the websocket's socket its ping timeout.
"""

import logging
import sys
import time
from collections.abc import Callable

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

log = logging.getLogger("workshop.sockets")


def after_urgent_work() -> None:
    """Under gevent, wait until every greenlet ready to run has run (votes, acks, broadcasts): for work that
    can wait, such as a reaction, so that it never holds up a vote. Elsewhere (threads, tests) return at once."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("socket"):
        import gevent

        gevent.idle()


class ConnectionBudget:
    """One token bucket per Engine.IO connection, for all its messages, counted before anything decodes them.

    A page sends a handful of messages a second on all its namespaces together (each namespace lets a phone
    about 8 events a second through); ``rate``/``burst`` are several times that. A connection past it is
    closed at once and its remaining frames are dropped unread: a flooder costs a counter per frame, not a
    decode, a task and a refusal. Follows RATELIMIT_ENABLED like the namespaces.
    """

    rate, burst = 40.0, 100.0

    def __init__(self, app, server):
        self.app, self.eio = app, server.eio
        self._levels: dict[str, tuple[float, float]] = {}  # eio sid -> (tokens, last refill)
        self._closed: set[str] = set()
        self._on_message: Callable = self.eio.handlers["message"]
        self._on_disconnect: Callable = self.eio.handlers["disconnect"]
        self.eio.on("message", self.message)
        self.eio.on("disconnect", self.disconnect)

    def message(self, eio_sid, data):
        """Pass a message on to Socket.IO, or drop it and close a connection past its budget."""
        if eio_sid in self._closed:
            return None
        if self._take(eio_sid) or self.app.config.get("RATELIMIT_ENABLED", True) is False:
            return self._on_message(eio_sid, data)
        self._closed.add(eio_sid)
        log.warning("connection closed for flooding eio_sid=%s", eio_sid)
        self.eio.disconnect(eio_sid)
        return None

    def disconnect(self, eio_sid, *reason):
        """Forget a closed connection's bucket, then let Socket.IO run its disconnect handlers."""
        self._levels.pop(eio_sid, None)
        self._closed.discard(eio_sid)
        return self._on_disconnect(eio_sid, *reason)

    def _take(self, eio_sid) -> bool:
        # No lock: under gevent nothing here yields, and with threads a lost update only errs by a token.
        now = time.monotonic()
        tokens, last = self._levels.get(eio_sid, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        self._levels[eio_sid] = (tokens - 1, now) if tokens >= 1 else (tokens, now)
        return tokens >= 1


def fair_websockets(server) -> None:
    """Under gevent, have each websocket's reader yield after every message it buffers.

    simple-websocket's reader loops recv -> parse every frame -> recv, and gevent's recv does not yield
    while data is waiting: a phone that keeps its socket full kept the whole process to itself, the
    guards above included. Yielding on each message lets the Engine.IO handler count it at once.
    """
    eio = server.eio
    websocket = eio._async.get("websocket")
    if eio.async_mode != "gevent" or not isinstance(websocket, type) or not issubclass(websocket, SimpleWebSocketWSGI):
        return  # threading (tests, dev server) or gevent-websocket: readers are threads or yield already
    import gevent
    import gevent.event

    class YieldingEvent(gevent.event.Event):
        def set(self):
            super().set()
            gevent.sleep(0)

    class FairWebSocket(websocket):
        def __init__(self, handler, server):
            super().__init__(handler, server)
            self.server_args["event_class"] = YieldingEvent

        @property
        def _sock(self):
            # Engine.IO gives a websocket's socket a timeout of ping interval + ping timeout when it can
            # find it (here it could not): a phone that vanished without closing (out of Wi-Fi) then
            # frees its reader, handler and socket at that timeout instead of holding them forever.
            return self.ws.sock

    eio._async = {**eio._async, "websocket": FairWebSocket}  # this server's copy; the driver's stays as it is
