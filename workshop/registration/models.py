"""Registration model."""

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import random_code, utcnow


class RegistrationStatus(str, enum.Enum):
    """Where a registration stands."""

    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


def new_ticket_code() -> str:
    """Eight characters that are easy to type at the door."""
    return random_code(8)


class Registration(db.Model):
    """One person's place (or waitlist spot) at a workshop."""

    __table_args__ = (UniqueConstraint("workshop_id", "email", name="uq_registration_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))  # None once purged (retention)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    stance: Mapped[str | None] = mapped_column(String(80))
    needs: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RegistrationStatus] = mapped_column(default=RegistrationStatus.confirmed)
    manage_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(24)
    )
    ticket_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_ticket_code)
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    workshop = relationship("Workshop")

    @property
    def is_confirmed(self) -> bool:
        """True for a confirmed place."""
        return self.status == RegistrationStatus.confirmed
