"""A budget of events per socket: ``GuardedNamespace``, the base of every namespace (via ``WorkshopNamespace``).

Each socket gets a token bucket per event (``state`` about once a second, the rest a handful a second);
beyond it the socket gets "Too many requests: slow down.", and a socket that keeps going is disconnected
(logged once) and its phone banned for a while. Checked before any handler or Flask request context runs
(a refusal costs microseconds). Buckets live in this process: a socket lives in one.
"""

import logging
import threading
import time

from flask_socketio import ConnectionRefusedError, Namespace

from .packets import CLIENT_RESERVED, ERRORS, RESERVED, TOO_MANY

log = logging.getLogger("workshop.sockets")
LIGHT_FAILED = "Something went wrong on our side: please try again."


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

    # Events served in an app context only, by ``light_<event>(sid, data)``: no request context, so no
    # ``flask.request`` (the sid is an argument), no session, no current_user. Phones' hot path only.
    light_events: frozenset = frozenset()

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
        if refused is not None:
            return refused
        if event in self.light_events:
            return self._light(event, sid, *args[1:])
        return super().trigger_event(event, *args)

    def _light(self, event: str, sid: str, *args):
        # The events a full room sends most (a vote) need the app (config, database) and the sid, not
        # Flask-SocketIO's request context per event (a Request, a URL adapter, the session swap): at
        # 1,000 votes/s that was ~9 % of the server's CPU. Anything unexpected still gets an error ack.
        app = (self.server.get_environ(sid, self.namespace) or {}).get("flask.app")
        with app.app_context():
            try:
                return getattr(self, "light_" + event)(sid, *args)
            except Exception:
                log.exception("socket event failed namespace=%s event=%s", self.namespace, event)
                return {"ok": False, "error": LIGHT_FAILED}

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
