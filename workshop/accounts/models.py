"""Facilitator accounts."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import utcnow
from ..offload import in_thread


class Facilitator(UserMixin, db.Model):
    """A person who plans and runs workshops."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of the login session's id: signing out bumps it, which ends every session of the account,
    # including the copies Socket.IO keeps for open control screens (docs/security.md).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def get_id(self) -> str:
        """Flask-Login's session id: "<id>:<epoch>", so a sign-out can end sessions held elsewhere."""
        return f"{self.id}:{self.session_epoch}"

    def set_password(self, password: str) -> None:
        """Hash with scrypt (werkzeug's current default)."""
        self.password_hash = in_thread(generate_password_hash, password, "scrypt")

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return verify_password(self.password_hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against a hash on gevent's threadpool (scrypt takes ~100 ms of CPU)."""
    return in_thread(check_password_hash, password_hash, password)


_dummy: list[str] = []


def dummy_hash() -> str:
    """A hash of a random password made like every real one, checked for unknown emails (equal timing)."""
    if not _dummy:
        _dummy.append(in_thread(generate_password_hash, secrets.token_urlsafe(16), "scrypt"))
    return _dummy[0]
