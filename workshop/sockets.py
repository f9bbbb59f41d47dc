"""Socket.IO guards: a budget of events per socket, and packets that can never raise.

Two layers, both before any handler or Flask request context runs (a refusal costs microseconds):

- ``GuardedPacket`` (the server's packet class) and ``SafeJSON`` (its JSON module) turn whatever a client
  sends - JSON nested 20,000 deep, a bad packet, a binary frame, an event called ``connect`` - into an
  ordinary event that ``GuardedNamespace`` answers with an error ack. python-socketio decodes packets
  outside any handler, so an exception there was a logged traceback and no ack.
- ``GuardedNamespace`` gives each socket a token bucket per event (``state`` about once a second, the
  rest a handful a second); beyond it the socket gets "Too many requests: slow down.", and a socket that
  keeps going is disconnected (logged once). Buckets live in this process: a socket lives in one.

Below both, ``ConnectionBudget`` counts every message of an Engine.IO connection before it is decoded or
given a task, and closes a connection that sends far more than any page does (the namespaces' own limits
act first; this is what keeps a flood of tens of thousands of frames from costing the process seconds).
Under gevent, ``FairWebSocket`` makes the websocket reader yield after each message it buffers.
"""

import logging
import threading
import time
from collections.abc import Callable

from engineio import json as engineio_json
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from flask_socketio import ConnectionRefusedError, Namespace
from socketio import packet

log = logging.getLogger("workshop.sockets")

MAX_DEPTH = 32  # the deepest payload the app sends or expects is 4 levels
MAX_ATTACHMENTS = 10
MALFORMED = "\x00malformed"  # what a packet that could not be read becomes: an event nobody handles
BINARY = "\x00binary"  # the app never uses binary attachments
RESERVED = "\x00reserved"  # a client-sent connect/disconnect event
CLIENT_RESERVED = {"connect", "disconnect", "connect_error"}
ERRORS = {MALFORMED: "That message could not be read.", BINARY: "Binary messages are not accepted.",
          RESERVED: "That event name is reserved."}
TOO_MANY = "Too many requests: slow down."
CLIENT_PACKETS = {packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK, packet.BINARY_EVENT,
                  packet.BINARY_ACK}


class SafeJSON:
    """The JSON module for Socket.IO packets: refuses documents nested deeper than MAX_DEPTH."""

    dumps = staticmethod(engineio_json.dumps)

    @staticmethod
    def loads(text, **kwargs):
        """engineio's loads (it refuses huge integers), raising ValueError for overly deep documents."""
        try:
            value = engineio_json.loads(text, **kwargs)
        except RecursionError as exc:  # the C decoder's own limit (about 1,000 levels)
            raise ValueError("JSON nested too deeply") from exc
        brackets = text.count("[") + text.count("{") if isinstance(text, str) else MAX_DEPTH + 1
        if brackets > MAX_DEPTH and _too_deep(value):  # fewer brackets than the limit cannot be too deep
            raise ValueError("JSON nested too deeply")
        return value


def _too_deep(value) -> bool:
    # Iterative, so a deep value cannot exhaust the stack while it is measured.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


class GuardedPacket(packet.Packet):
    """A Socket.IO packet whose decoding never raises: bad input becomes an event answered with an error ack."""

    json = SafeJSON

    def decode(self, encoded_packet):
        """Decode; a malformed or reserved client packet becomes an event the namespace refuses."""
        # Yield first: the reader of a websocket decodes every frame it has buffered without yielding, so a
        # flooding phone kept the whole (gevent) process to itself, the guard that refuses it included.
        time.sleep(0)  # gevent.sleep(0) once monkey-patched; lets other greenlets run between frames
        try:
            count = super().decode(encoded_packet)
        except (ValueError, TypeError, IndexError, RecursionError):
            return self._refuse(MALFORMED)
        if self.packet_type not in CLIENT_PACKETS:
            return self._refuse(MALFORMED)
        if self.packet_type == packet.CONNECT:
            if self.data is not None and not isinstance(self.data, dict):
                self.data = None  # refused by the connect handler with its usual message
            return count
        if self.packet_type in (packet.EVENT, packet.BINARY_EVENT):
            if not (isinstance(self.data, list) and self.data and isinstance(self.data[0], str)):
                return self._refuse(MALFORMED)
            if self.data[0] in CLIENT_RESERVED:
                return self._refuse(RESERVED)
        if count and count > MAX_ATTACHMENTS:
            return self._refuse(MALFORMED)
        return count

    def add_attachment(self, attachment):
        """Collect a binary attachment; the complete event is refused (the app never uses binary)."""
        try:
            done = super().add_attachment(attachment)
        except (ValueError, TypeError, IndexError, KeyError, RecursionError):
            done = True
        if done:
            self.data = [BINARY]  # stays a BINARY_EVENT/BINARY_ACK, so the server routes it as one
        return done

    def _refuse(self, event: str) -> int:
        # Namespace and id, when they were read, are kept: the error ack reaches the client.
        if self.packet_type == packet.CONNECT:
            self.data = None
        else:
            self.packet_type, self.data = packet.EVENT, [event]
        self.attachment_count = 0
        return 0


class Budget:
    """The token buckets (event -> (tokens, last refill)) and recent refusals of one phone or socket."""

    __slots__ = ("buckets", "refusals", "window", "banned_until", "used")

    def __init__(self):
        self.buckets: dict[str, tuple[float, float]] = {}
        self.refusals, self.window, self.banned_until, self.used = 0, 0.0, 0.0, 0.0


class GuardedNamespace(Namespace):
    """A namespace whose client events are refused when unknown, and limited per socket.

    ``budgets`` maps an event to (events per second, burst); others get ``default_budget``; all events of a
    socket also share ``total_budget``. More than ``max_refusals`` refusals within ``refusal_window`` seconds
    disconnect the socket (and close its connection, other namespaces included) and ban the phone for that
    long: any socket of it is cut off at its next event, and a connect with the same token or cookies is
    refused before the handler runs. A phone's budget is kept by participant (the
    subclass's ``clients[sid].participant_id``), so reconnecting does not refill it; other sockets by sid.
    The limits follow the app's RATELIMIT_ENABLED (tests turn them off); unknown events are always refused.
    """

    # A person taps a handful of times a second, and a page resyncs about once a second. Every event a
    # socket lets through may cost the server queries, so the bursts are small and all events together
    # share one more budget (a flooder gets about 20 handler runs, not 20 per kind of event).
    budgets: dict[str, tuple[float, float]] = {"state": (1.0, 3.0)}
    default_budget: tuple[float, float] = (5.0, 10.0)
    total_budget: tuple[float, float] = (8.0, 20.0)
    max_refusals = 20
    refusal_window = 10.0
    max_budgets = 20_000  # idle phones' budgets are swept beyond this

    def __init__(self, namespace=None):
        super().__init__(namespace)
        self._budgets: dict[str, Budget] = {}
        self._lock = threading.Lock()
        self._credentials: dict[str, tuple[str, ...]] = {}  # sid -> what it connected with (token, cookie)
        self._banned: dict[str, float] = {}  # such a credential -> until when its connects are refused

    def trigger_event(self, event, *args):
        """Route an event to its handler, after the checks; the server's own connect/disconnect pass."""
        sid = args[0] if args else None
        if event == "connect" and len(args) > 1 and args[1] is self.server.get_environ(sid, self.namespace):
            return self._connect(event, *args)
        if not self.server.manager.is_connected(sid, self.namespace):
            if event == "disconnect":  # the server's own (a disconnecting socket no longer counts as connected)
                self._forget(sid)
                return super().trigger_event(event, *args)
            return {"ok": False, "error": "Not connected."}  # queued before a disconnect: nothing to keep for it
        refused = self._admit(event, sid)
        return refused if refused is not None else super().trigger_event(event, *args)

    def _connect(self, event, sid, environ, auth=None, *rest):
        # A banned phone reconnecting is refused before the handler builds and sends it the whole state.
        token = auth.get("token") if isinstance(auth, dict) and isinstance(auth.get("token"), str) else None
        credentials = tuple(c for c in (token and "t:" + token[:128],
                                        environ.get("HTTP_COOKIE") and "c:" + environ["HTTP_COOKIE"][:4096]) if c)
        now = time.monotonic()
        if any(self._banned.get(c, 0.0) > now for c in credentials) and self._limits_on(sid):
            raise ConnectionRefusedError(TOO_MANY)
        self._credentials[sid] = credentials
        return super().trigger_event(event, sid, environ, auth, *rest)

    def _admit(self, event, sid) -> dict | None:
        # None lets the event through; else the error ack.
        if not isinstance(event, str) or event in CLIENT_RESERVED or not event.isidentifier() \
                or not hasattr(self, "on_" + event):
            message = ERRORS.get(event, "Unknown event.") if isinstance(event, str) else "Unknown event."
            if event in CLIENT_RESERVED:
                message = ERRORS[RESERVED]
            return self._refuse(sid, message, event)
        if not self._limits_on(sid) or self._take(sid, event):
            return None
        return self._refuse(sid, TOO_MANY, event)

    def _limits_on(self, sid) -> bool:
        environ = self.server.get_environ(sid, self.namespace) or {}
        app = environ.get("flask.app")
        return app is None or app.config.get("RATELIMIT_ENABLED", True) is not False

    def _key(self, sid) -> str:
        client = getattr(self, "clients", {}).get(sid)
        participant = getattr(client, "participant_id", None)
        return f"p{participant}" if participant else sid

    def _budget(self, sid, now: float) -> Budget:
        # Called with the lock held.
        budget = self._budgets.get(key := self._key(sid))
        if budget is None:
            if len(self._budgets) >= self.max_budgets:
                self._sweep(now)
            budget = self._budgets[key] = Budget()
        budget.used = now
        return budget

    def _sweep(self, now: float) -> None:
        idle = now - 60
        for key in [k for k, b in self._budgets.items() if b.used < idle and b.banned_until < now]:
            del self._budgets[key]

    def _forget(self, sid) -> None:
        # A socket's own budget goes with it; a phone's stays (swept when idle), so reconnecting refills nothing.
        with self._lock:
            self._budgets.pop(sid, None)
            self._credentials.pop(sid, None)

    def _take(self, sid, event: str) -> bool:
        # One token from the event's bucket and one from the phone's total; a banned phone gets none.
        now = time.monotonic()
        with self._lock:
            budget = self._budget(sid, now)
            if budget.banned_until > now:
                return False
            limits = ((event, self.budgets.get(event, self.default_budget)), ("*", self.total_budget))
            levels = {}
            for name, (rate, burst) in limits:
                tokens, last = budget.buckets.get(name, (burst, now))
                levels[name] = min(burst, tokens + (now - last) * rate)
            allowed = all(tokens >= 1 for tokens in levels.values())
            for name, tokens in levels.items():
                budget.buckets[name] = (tokens - 1 if allowed else tokens, now)
        return allowed

    def _refuse(self, sid, message: str, event) -> dict:
        if self._limits_on(sid) and (first := self._strike(sid)) is not None:
            if first:
                log.warning("socket disconnected for flooding namespace=%s sid=%s event=%r", self.namespace, sid,
                            event if isinstance(event, str) else type(event).__name__)
            self._cut_off(sid)
        return {"ok": False, "error": message}

    def _cut_off(self, sid) -> None:
        # The namespace first (its disconnect handler runs), then the whole connection: a flooder has
        # thousands of frames in flight, and each would still cost the server a task and a decode.
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        self.disconnect(sid)
        if eio_sid is not None and eio_sid in self.server.eio.sockets:
            self.server.eio.disconnect(eio_sid)

    def _strike(self, sid) -> bool | None:
        # None: keep the socket. True: it just went past the limit (log it). False: a socket of a phone that
        # already did, within the window (disconnected again at its first refusal, not logged again).
        now = time.monotonic()
        with self._lock:
            budget = self._budget(sid, now)
            if budget.banned_until > now:
                return False
            if now - budget.window > self.refusal_window:
                budget.refusals, budget.window = 0, now
            budget.refusals += 1
            if budget.refusals <= self.max_refusals:
                return None
            budget.banned_until, budget.refusals = now + self.refusal_window, 0
            if len(self._banned) > self.max_budgets:
                self._banned = {c: until for c, until in self._banned.items() if until > now}
            for credential in self._credentials.get(sid, ()):
                self._banned[credential] = budget.banned_until
        return True


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
