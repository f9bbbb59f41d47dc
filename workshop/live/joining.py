"""Joining defences (docs/security.md, "Joining"): a pause, a rotating key and a cap on participants.

Minting a participant is what ballot stuffing needs, so it passes three switchable gates: a pause,
a key that rotates on the projector every KEY_WINDOW seconds, and a cap on participants. Phones that
already joined are untouched (their cookie is their identity) and a confirmed ticket always binds.
"""

import hashlib
import hmac
import logging
import re
import threading
import time
from datetime import timedelta
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db, socketio
from ..models import utcnow
from ..planner.models import Workshop
from ..planner.service import host_ids, set_join_paused
from ..planner.signals import workshop_settings_changed
from ..realtime import pulse, rooms
from ..registration.models import Registration
from . import addresses
from .addresses import join_url
from .models import Participant
from .payloads import NS
from .service import LiveError, bind_ticket, create_participant

log = logging.getLogger("workshop.live.joining")


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
    rooms.to_control("joining", status, workshop.id, NS, host_ids(workshop.id))
    socketio.emit("joining", public_joining(workshop), to=rooms.screens(workshop.id), namespace=NS)


def pause_joining(workshop: Workshop, paused: bool) -> dict:
    """Pause or reopen joining (tickets still bind); returns the new status."""
    set_join_paused(workshop, paused)
    log.info("joining %s workshop=%s", "paused" if paused else "reopened", workshop.id)
    joining_changed(workshop)
    return joining_state(workshop, "control")


@pulse.on_flush("joining", every=10)
def _flush_joining(workshop_ids: set) -> None:
    # Joins move the counts on the control screen: at most once a second per workshop, however many join.
    for workshop in db.session.scalars(select(Workshop).where(Workshop.id.in_(workshop_ids))):
        joining_changed(workshop)


def _tell_joining(workshop: Workshop, **_extra) -> None:
    joining_changed(workshop)  # the cap or the key rotation may have changed


def subscribe() -> None:
    """Connect to the planner's saved settings (create_app calls it: explicit, never an import's side effect)."""
    workshop_settings_changed.connect(_tell_joining)
