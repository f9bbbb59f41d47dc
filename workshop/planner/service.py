"""Planner operations: the only place that writes workshops and their agenda."""

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort
from sqlalchemy import func, select

from ..accounts.service import find_facilitator, generate_password, save_facilitator
from ..extensions import db
from ..models import utcnow
from .models import (
    DEFAULT_MEANINGS,
    DEFAULT_STANCES,
    REACTION_PALETTE,
    AgendaItem,
    Moderation,
    SegmentKind,
    Workshop,
    new_join_code,
    workshop_facilitators,
)
from .signals import workshop_cloned, workshop_settings_changed

__all__ = ["DEFAULT_STANCES", "new_join_code"]

log = logging.getLogger("workshop.planner")

DETAIL_FIELDS = ("title", "slug", "description", "venue", "timezone", "capacity", "stances",
                 "allow_names", "require_ticket", "join_code_rotates", "participant_cap", "reactions_on")
LOCAL_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def to_utc(local: datetime | None, zone: str) -> datetime | None:
    """Naive wall-clock time in ``zone`` -> naive UTC."""
    if local is None:
        return None
    aware = local.replace(tzinfo=ZoneInfo(zone))
    return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def get_workshop(slug: str) -> Workshop:
    """The workshop with this slug, or a 404."""
    workshop = db.session.scalar(select(Workshop).where(Workshop.slug == slug))
    return workshop or abort(404, description="There is no workshop at this address.")


def find_by_code(code: str) -> Workshop | None:
    """The workshop whose join code matches, ignoring case and spaces."""
    clean = re.sub(r"[\s-]+", "", code or "").upper()
    if not clean or len(clean) > 16 or "\x00" in clean:  # PostgreSQL refuses NUL in text
        return None
    return db.session.scalar(select(Workshop).where(Workshop.join_code == clean))


def workshops_for(user) -> list[Workshop]:
    """Workshops this facilitator runs, soonest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    mine = select(Workshop).join(workshop_facilitators).where(workshop_facilitators.c.facilitator_id == user.id)
    return list(db.session.scalars(mine.order_by(Workshop.starts_at)))


def host_ids(workshop_id: int) -> list[int]:
    """Ids of the workshop's current facilitators (one query: whose control screens hear the session)."""
    query = select(workshop_facilitators.c.facilitator_id).where(workshop_facilitators.c.workshop_id == workshop_id)
    return list(db.session.scalars(query))


def slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    """True when another workshop has this slug."""
    query = select(func.count()).select_from(Workshop).where(Workshop.slug == slug, Workshop.id != (exclude_id or 0))
    return db.session.scalar(query) > 0


def code_taken(code: str, exclude_id: int | None = None) -> bool:
    """True when another workshop uses this join code."""
    query = select(func.count()).select_from(Workshop).where(
        Workshop.join_code == code.upper(), Workshop.id != (exclude_id or 0)
    )
    return db.session.scalar(query) > 0


def apply_details(workshop: Workshop, data: dict) -> None:
    """Copy validated form data onto a workshop, converting local times to UTC."""
    for name in DETAIL_FIELDS:
        if name in data:
            setattr(workshop, name, data[name])
    for name in LOCAL_TIMES:
        if name in data:
            setattr(workshop, name, to_utc(data[name], workshop.timezone))
    if "join_code" in data:
        workshop.join_code = data["join_code"].upper()
    if "moderation" in data:
        workshop.moderation = Moderation(data["moderation"])
    if data.get("reaction_set"):  # none ticked (or a form without the field): the set stays as it was
        workshop.reaction_set = [key for key in REACTION_PALETTE if key in data["reaction_set"]]
    if any(f"meaning_{verdict}" in data for verdict in DEFAULT_MEANINGS):
        workshop.verdict_meanings = meanings_from(data)


def meanings_from(data: dict) -> dict:
    """The three verdict meanings from form data; an empty one falls back to the default."""
    return {verdict: (data.get(f"meaning_{verdict}") or "").strip() or default
            for verdict, default in DEFAULT_MEANINGS.items()}


def create_workshop(data: dict, facilitator, *co_hosts) -> Workshop:
    """Create a workshop run by ``facilitator`` (and ``co_hosts``)."""
    workshop = Workshop(timezone=data.get("timezone") or "Europe/London")
    apply_details(workshop, data)
    workshop.facilitators.extend([facilitator, *co_hosts])
    db.session.add(workshop)
    db.session.commit()
    log.info("workshop created id=%s", workshop.id)
    return workshop


def update_workshop(workshop: Workshop, data: dict) -> Workshop:
    """Save edited details; live screens pick up moderation and name settings at once."""
    apply_details(workshop, data)
    db.session.commit()
    log.info("workshop updated id=%s", workshop.id)
    workshop_settings_changed.send(workshop)  # live screens: joining; question walls: moderation, names
    return workshop


def set_join_paused(workshop: Workshop, paused: bool) -> None:
    """Pause or reopen joining (the live area's gate reads it)."""
    workshop.join_paused = bool(paused)
    db.session.commit()


def set_reactions_on(workshop: Workshop, on: bool) -> None:
    """Switch the workshop's reactions on or off (the live area tells the room)."""
    workshop.reactions_on = bool(on)
    db.session.commit()


def set_report_token(workshop: Workshop, token: str | None) -> None:
    """Publish the report at this secret link, or withdraw it (None)."""
    workshop.report_token = token
    db.session.commit()


def clone_workshop(workshop: Workshop, facilitator) -> Workshop:
    """Copy details, agenda and polls into a new draft workshop (no people, no votes)."""
    copy = Workshop(timezone=workshop.timezone, join_code=_free_code(), slug=_free_slug(workshop.slug))
    for name in ("title", "description", "venue", "starts_at", "ends_at", "capacity", "stances",
                 "allow_names", "moderation", "require_ticket", "registration_opens_at",
                 "registration_closes_at", "verdict_meanings", "participant_cap", "join_code_rotates",
                 "reactions_on", "reaction_set"):
        setattr(copy, name, getattr(workshop, name))
    copy.title = f"{workshop.title} (copy)"
    copy.facilitators = list({f.id: f for f in [*workshop.facilitators, facilitator]}.values())
    copy.agenda = [AgendaItem(position=i.position, title=i.title, kind=i.kind, minutes=i.minutes) for i in workshop.agenda]
    db.session.add(copy)
    db.session.flush()
    workshop_cloned.send(workshop, copy=copy)  # the live area copies the polls
    db.session.commit()
    log.info("workshop cloned from=%s to=%s", workshop.id, copy.id)
    return copy


def _free_slug(base: str) -> str:
    for n in range(2, 1000):
        candidate = f"{base[:70]}-{n}"
        if not slug_taken(candidate):
            return candidate
    raise RuntimeError("no free slug")


def _free_code() -> str:
    code = new_join_code()
    while code_taken(code):
        code = new_join_code()
    return code


def add_agenda_item(workshop: Workshop, title: str, kind: str, minutes: int) -> AgendaItem:
    """Append a segment to the run of show."""
    item = AgendaItem(title=title, kind=SegmentKind[kind], minutes=minutes, position=len(workshop.agenda))
    workshop.agenda.append(item)
    db.session.commit()
    return item


def delete_agenda_item(workshop: Workshop, item_id: int) -> None:
    """Remove a segment and renumber the rest."""
    workshop.agenda = [i for i in workshop.agenda if i.id != item_id]
    _renumber(workshop.agenda)
    db.session.commit()


def move_agenda_item(workshop: Workshop, item_id: int, offset: int) -> None:
    """Move a segment up (-1) or down (+1)."""
    items = list(workshop.agenda)
    index = next((n for n, i in enumerate(items) if i.id == item_id), None)
    target = (index or 0) + offset
    if index is not None and 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        _renumber(items)
        db.session.commit()


def _renumber(items) -> None:
    for position, item in enumerate(items):
        item.position = position


def add_cofacilitator(workshop: Workshop, email: str, name: str, password: str | None) -> tuple[object, str | None]:
    """Add a facilitator to the workshop; returns the account and a new password if one was made."""
    user = find_facilitator(email)
    new_password = None
    if user is None:
        new_password = password or generate_password()
        user = save_facilitator(email, new_password, name)
    if not workshop.is_facilitator(user):
        workshop.facilitators.append(user)
    db.session.commit()
    return user, (new_password if not password else None)


def start_segment(workshop: Workshop, item_id: int) -> AgendaItem | None:
    """Mark a segment as started now (and the running one as ended): the agenda as it ran."""
    now = utcnow()
    target = next((i for i in workshop.agenda if i.id == item_id), None)
    if target is None:
        return None
    for item in workshop.agenda:
        if item.started_at and not item.ended_at and item is not target:
            item.ended_at = now
    target.started_at, target.ended_at = now, None
    db.session.commit()
    log.info("segment started workshop=%s item=%s", workshop.id, item_id)
    return target


def current_segment(workshop: Workshop) -> AgendaItem | None:
    """The segment started most recently and not ended (one query: every phone's connect asks)."""
    running = select(AgendaItem).where(AgendaItem.workshop_id == workshop.id, AgendaItem.started_at.is_not(None),
                                       AgendaItem.ended_at.is_(None))
    return db.session.scalar(running.order_by(AgendaItem.started_at.desc(), AgendaItem.id.desc()).limit(1))
