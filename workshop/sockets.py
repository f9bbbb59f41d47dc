"""Socket.IO guards: a budget of events per socket, and packets that can never raise.

Two layers, both before any handler or Flask request context runs (a refusal costs microseconds):

- ``GuardedPacket`` (the server's packet class) and ``SafeJSON`` (its JSON module) turn whatever a client
  sends - JSON nested 20,000 deep, a bad packet, a binary frame, an event called ``connect`` - into an
  ordinary event that ``GuardedNamespace`` answers with an error ack. python-socketio decodes packets
  outside any handler, so an exception there was a logged traceback and no ack.
- ``GuardedNamespace`` gives each socket a token bucket per event (``state`` about once a second, the
  rest a handful a second); beyond it the socket gets "Too many requests: slow down.", and a socket that
  keeps going is disconnected (logged once). Buckets live in this process: a socket lives in one.
"""

import logging
import threading
import time

from engineio import json as engineio_json
from flask_socketio import Namespace
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
    """One socket's token buckets (event -> (tokens, last refill)) and its recent refusals."""

    __slots__ = ("buckets", "refusals", "window", "closed")

    def __init__(self):
        self.buckets: dict[str, tuple[float, float]] = {}
        self.refusals, self.window, self.closed = 0, 0.0, False


class GuardedNamespace(Namespace):
    """A namespace whose client events are refused when unknown, and limited per socket.

    ``budgets`` maps an event to (events per second, burst); others get ``default_budget``.
    More than ``max_refusals`` refusals within ``refusal_window`` seconds disconnect the socket.
    The limits follow the app's RATELIMIT_ENABLED (tests turn them off); unknown events are always refused.
    """

    # A phone taps a handful of times a second; the burst sits above the app's own limits (30 votes per
    # 10 s, 30 upvotes a minute), so those keep their messages. A resync is needed about once a second.
    budgets: dict[str, tuple[float, float]] = {"state": (1.0, 3.0)}
    default_budget: tuple[float, float] = (5.0, 40.0)
    max_refusals = 20
    refusal_window = 10.0

    def __init__(self, namespace=None):
        super().__init__(namespace)
        self._sockets: dict[str, Budget] = {}
        self._lock = threading.Lock()

    def trigger_event(self, event, *args):
        """Route an event to its handler, after the checks; the server's own connect/disconnect pass."""
        sid = args[0] if args else None
        if event == "connect" and len(args) > 1 and args[1] is self.server.get_environ(sid, self.namespace):
            return super().trigger_event(event, *args)
        if event == "disconnect" and not self.server.manager.is_connected(sid, self.namespace):
            self._sockets.pop(sid, None)  # the server's disconnect (pending: no longer "connected")
            return super().trigger_event(event, *args)
        refused = self._admit(event, sid)
        return refused if refused is not None else super().trigger_event(event, *args)

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

    def _take(self, sid, event: str) -> bool:
        rate, burst = self.budgets.get(event, self.default_budget)
        now = time.monotonic()
        with self._lock:
            budget = self._sockets.setdefault(sid, Budget())
            tokens, last = budget.buckets.get(event, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            allowed = tokens >= 1
            budget.buckets[event] = (tokens - 1 if allowed else tokens, now)
        return allowed

    def _refuse(self, sid, message: str, event) -> dict:
        if self._limits_on(sid) and self._strike(sid):
            log.warning("socket disconnected for flooding namespace=%s sid=%s event=%r", self.namespace, sid,
                        event if isinstance(event, str) else type(event).__name__)
            self.disconnect(sid)
        return {"ok": False, "error": message}

    def _strike(self, sid) -> bool:
        # True once: the refusal that takes this socket past the limit.
        now = time.monotonic()
        with self._lock:
            budget = self._sockets.setdefault(sid, Budget())
            if now - budget.window > self.refusal_window:
                budget.refusals, budget.window = 0, now
            budget.refusals += 1
            if budget.closed or budget.refusals <= self.max_refusals:
                return False
            budget.closed = True
        return True
