"""Configuration from the environment (12-factor); embedded defaults otherwise."""

import os
import secrets
from pathlib import Path


def load_secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, or one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Build the config mapping from environment variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "workshop.sqlite")
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Prefix of shared Redis keys and the Socket.IO channel: one per deployment sharing a Redis.
        "REDIS_NAMESPACE": os.environ.get("REDIS_NAMESPACE") or "workshop",
        "SOCKETIO_ASYNC_MODE": os.environ.get("SOCKETIO_ASYNC_MODE") or None,
        # Seconds between the server's pings, and how long a pong may take: a phone silent for both is gone.
        "SOCKETIO_PING_INTERVAL": int(os.environ.get("SOCKETIO_PING_INTERVAL") or 20),
        "SOCKETIO_PING_TIMEOUT": int(os.environ.get("SOCKETIO_PING_TIMEOUT") or 20),
        "CORS_ALLOWED_ORIGINS": _origins(os.environ.get("CORS_ALLOWED_ORIGINS")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "workshop@localhost"),
        # The address phones use for the join QR code and URL (README: Running it in a room).
        "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        # Behind TLS every cookie is Secure (the session and Flask-Login's remember-me cookie); behind a
        # proxy, web.py also marks cookies Secure on any request that came in over https.
        "SESSION_COOKIE_SECURE": os.environ.get("PREFERRED_URL_SCHEME") == "https",
        "REMEMBER_COOKIE_SECURE": os.environ.get("PREFERRED_URL_SCHEME") == "https",
        "BEHIND_PROXY": _bool("BEHIND_PROXY"),
        "MODERATION_WORDS": _words(os.environ.get("MODERATION_WORDS", "")),
        **({"JOIN_RATE": _rate(os.environ["JOIN_RATE"])} if os.environ.get("JOIN_RATE") else {}),
        # Reactions in a big room (DEFAULTS below): messages a second per process, and the longest a phone gathers.
        **{name: float(os.environ[name]) for name in ("REACTION_MESSAGE_RATE", "REACTION_PACE_MAX") if os.environ.get(name)},
    }


def _rate(value: str) -> tuple[int, int]:
    # "2000/60": at most 2,000 per 60 seconds.
    count, _, seconds = value.partition("/")
    return int(count), int(seconds or 60)


def _origins(value):
    # None lets Flask-SocketIO accept only same-origin requests (its default check).
    if not value:
        return None
    return [o.strip() for o in value.split(",") if o.strip()]


def _words(value: str) -> list[str]:
    return [w.strip().lower() for w in value.split(",") if w.strip()]


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "TALLY_INTERVAL": 0.1,
    "QUESTION_RATE": (3, 60),
    # Joins per address per minute: a whole venue's Wi-Fi can share one public address, so this only
    # stops a script from minting participants. Env: JOIN_RATE=2000/60.
    "JOIN_RATE": (2000, 60),
    "UPVOTE_RATE": (30, 60),
    "STANCE_MIN_GROUP": 5,
    # Reactions (live/reactions.py): a phone reacts at most once per REACTION_GAP seconds; taps wait up to
    # REACTION_GROUP_WAIT for one counted write (a round a tick) and are acknowledged after its commit.
    # Votes (live/ballots.py): the first voter of a group-commit round waits this long so the votes arriving
    # meanwhile share its COMMIT. 5 ms left rounds of 1-2 votes at 300 votes/s, each paying two SELECTs, an
    # upsert and a COMMIT: 20 ms cut the server's CPU at that rate from ~55 % to ~40 % for +12 ms of p99.
    "VOTE_GROUP_WAIT": 0.02,
    "REACTION_GAP": 1.0,
    # A process spends as much on a message of one tap as of eight: once its phones of a room could send more
    # than REACTION_MESSAGE_RATE messages a second, each phone gathers its taps for phones/rate seconds (at most
    # REACTION_PACE_MAX) and sends them in one (live/reactions.py pace; docs/performance.md). 0: never gather.
    "REACTION_MESSAGE_RATE": 250,
    "REACTION_PACE_MAX": 10.0,
    "REACTION_GROUP_WAIT": 0.1,
}
