"""Workshop and agenda models."""

import enum
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import random_code, utcnow

# What Snog, Marry and Avoid mean in a workshop: one line under the phone's verdict buttons.
DEFAULT_MEANINGS = {
    "snog": "work together now and then",
    "marry": "merge: one voice, one campaign",
    "avoid": "keep your distance",
}

DEFAULT_STANCES = [
    "Corporate / public sector",
    "Activist / campaigner",
    "Both",
    "Neither",
]

# Reactions a facilitator may offer (docs/realtime.md, "Reactions"): key -> (emoji, the name screen readers and
# the report use). Stored and sent by key; phones and the projector show the emoji with its name.
REACTION_PALETTE = {
    "clap": ("👏", "Applause"),
    "heart": ("❤️", "Love it"),
    "laugh": ("😂", "Funny"),
    "think": ("🤔", "Hmm, thinking"),
    "wow": ("😮", "Surprised"),
    "agree": ("👍", "Agree"),
    "disagree": ("👎", "Disagree"),
    "fire": ("🔥", "Fire"),
    "idea": ("💡", "Good idea"),
    "question": ("❓", "Question"),
}
DEFAULT_REACTIONS = ["clap", "heart", "laugh", "think", "wow"]
MAX_REACTIONS = 6  # buttons in the phone's bar: one thumb-wide row

workshop_facilitators = Table(
    "workshop_facilitators",
    db.metadata,
    Column("workshop_id", ForeignKey("workshop.id", ondelete="CASCADE"), primary_key=True),
    Column("facilitator_id", ForeignKey("facilitator.id", ondelete="CASCADE"), primary_key=True),
)


class Moderation(str, enum.Enum):
    """How new questions reach the wall."""

    post = "post"
    queue = "queue"


def new_join_code() -> str:
    """A short join code for the projector."""
    return random_code(6)


class Workshop(db.Model):
    """One workshop session: details, registration window and live settings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(default=30)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    join_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_join_code)
    stances: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_STANCES))
    allow_names: Mapped[bool] = mapped_column(default=False)
    moderation: Mapped[Moderation] = mapped_column(default=Moderation.post)
    require_ticket: Mapped[bool] = mapped_column(default=False)
    verdict_meanings: Mapped[dict | None] = mapped_column(JSON, default=lambda: dict(DEFAULT_MEANINGS))
    # Joining defences (docs/security.md): pause new joins, cap participants, rotate the projector's code.
    join_paused: Mapped[bool] = mapped_column(default=False)
    participant_cap: Mapped[int | None]
    join_code_rotates: Mapped[bool] = mapped_column(default=False)
    report_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Reactions: off for new workshops (formal settings); the set is REACTION_PALETTE keys in the bar's order.
    reactions_on: Mapped[bool] = mapped_column(default=False)
    reaction_set: Mapped[list | None] = mapped_column(JSON, default=lambda: list(DEFAULT_REACTIONS))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Loaded when asked for (planner pages, control sockets), not with every phone's workshop lookup.
    facilitators = relationship("Facilitator", secondary=workshop_facilitators)
    agenda = relationship(
        "AgendaItem",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
        back_populates="workshop",
    )

    @property
    def zone(self) -> ZoneInfo:
        """The workshop's time zone."""
        return ZoneInfo(self.timezone)

    def local(self, value: datetime | None) -> datetime | None:
        """Convert a naive-UTC timestamp to the workshop's zone."""
        if value is None:
            return None
        return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.zone)

    @property
    def meanings(self) -> dict:
        """What Snog, Marry and Avoid mean here (workshops from before the setting get the defaults)."""
        return {**DEFAULT_MEANINGS, **(self.verdict_meanings or {})}

    @property
    def reactions(self) -> list[dict]:
        """The reaction set in the bar's order: [{"key", "emoji", "name"}] (unknown keys dropped)."""
        keys = [k for k in (self.reaction_set or DEFAULT_REACTIONS) if k in REACTION_PALETTE]
        return [{"key": k, "emoji": REACTION_PALETTE[k][0], "name": REACTION_PALETTE[k][1]} for k in keys]

    def is_facilitator(self, user) -> bool:
        """True when ``user`` is one of this workshop's facilitators."""
        return bool(getattr(user, "is_authenticated", False)) and any(
            f.id == user.id for f in self.facilitators
        )

    def registration_is_open(self, now: datetime) -> bool:
        """True inside the registration window."""
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        closes = self.registration_closes_at or self.starts_at
        return now < closes

    def schedule(self) -> list[tuple["AgendaItem", datetime]]:
        """Agenda items with their planned local start times."""
        start = self.local(self.starts_at)
        rows = []
        for item in self.agenda:
            rows.append((item, start))
            start = start + timedelta(minutes=item.minutes)
        return rows


class SegmentKind(str, enum.Enum):
    """What happens in an agenda segment."""

    talk = "talk"
    poll = "poll"
    qa = "qa"
    break_ = "break"

    @property
    def label(self) -> str:
        """Human label."""
        return {"talk": "Talk", "poll": "Poll round", "qa": "Q&A", "break": "Break"}[self.value]


class AgendaItem(db.Model):
    """A segment of the run of show; actual times are set from the control screen."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SegmentKind] = mapped_column(default=SegmentKind.talk)
    minutes: Mapped[int] = mapped_column(default=10)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    workshop = relationship("Workshop", back_populates="agenda")
