"""Facilitator account operations."""

import hashlib
import logging
import secrets

from sqlalchemy import select

from ..extensions import db
from ..ratelimit import clear_failures, locked_for, record_failure
from .models import Facilitator, dummy_hash, verify_password

log = logging.getLogger("workshop.accounts")


def load_user(user_id: str) -> Facilitator | None:
    """Flask-Login user loader: "<id>:<epoch>" from the session, refused once that epoch was signed out."""
    user_key, _, epoch = str(user_id).partition(":")
    try:
        user = db.session.get(Facilitator, int(user_key))
        return user if user is not None and user.session_epoch == int(epoch) else None
    except (TypeError, ValueError):
        return None


def sign_out(user: Facilitator) -> None:
    """End every session of this account: this browser's, other devices', and open control sockets'."""
    user.session_epoch += 1
    db.session.commit()
    log.info("facilitator signed out everywhere id=%s", user.id)


def find_facilitator(email: str) -> Facilitator | None:
    """Look a facilitator up by email (case-insensitive)."""
    return db.session.scalar(select(Facilitator).where(Facilitator.email == email.strip().lower()))


def authenticate(email: str, password: str) -> Facilitator | None:
    """Return the facilitator when the credentials match; the same hashing work whether the email exists or not."""
    user = find_facilitator(email)
    if user is None:
        verify_password(dummy_hash(), password)  # else the answer's timing tells which emails have accounts
        return None
    return user if user.check_password(password) else None


# Sign-in limits: failures per account (whatever the address: guesses spread over many addresses) and per
# address (one address trying many accounts), each locking for 5 minutes, doubling with every lock of the
# day up to an hour. The address limit is looser: a venue's Wi-Fi puts every facilitator behind one address.
ACCOUNT_LIMIT = {"allowed": 5, "window": 300, "lock": 300, "max_lock": 3600}
ADDRESS_LIMIT = {"allowed": 20, "window": 300, "lock": 300, "max_lock": 3600}


def _account_key(email: str) -> str:
    # Hashed: rate-limit keys (in Redis) carry no email address.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:24]


def sign_in_wait(email: str, address: str) -> int:
    """Seconds before this account or this address may try to sign in again (0: now)."""
    return max(locked_for("login-account", _account_key(email)), locked_for("login-address", address))


def sign_in_failed(email: str, address: str) -> int:
    """Count a failed sign-in for the account and the address; the lock it started, in seconds (0: none)."""
    return max(record_failure("login-account", _account_key(email), **ACCOUNT_LIMIT),
               record_failure("login-address", address, **ADDRESS_LIMIT))


def sign_in_succeeded(email: str) -> None:
    """A successful sign-in clears the account's recent failures."""
    clear_failures("login-account", _account_key(email))


def save_facilitator(email: str, password: str, name: str | None = None) -> Facilitator:
    """Create a facilitator, or update the password of an existing one."""
    user = find_facilitator(email)
    if user is None:
        user = Facilitator(email=email.strip().lower(), name=name or email.split("@")[0])
        db.session.add(user)
    elif name:
        user.name = name
    user.set_password(password)
    db.session.commit()
    log.info("facilitator saved id=%s", user.id)
    return user


def generate_password() -> str:
    """A readable random password for first start."""
    return secrets.token_urlsafe(12)
