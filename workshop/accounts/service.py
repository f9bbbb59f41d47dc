"""Facilitator account operations."""

import logging
import secrets

from sqlalchemy import select

from ..extensions import db
from .models import Facilitator

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
    """Return the facilitator when the credentials match."""
    user = find_facilitator(email)
    return user if user and user.check_password(password) else None


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
