"""Registration operations: capacity, waitlist, cancel, delete, check-in."""

import logging
import secrets

from flask import url_for
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..mail import Attachment, Email, send_email
from ..models import utcnow
from ..planner.models import Workshop
from .models import Registration, RegistrationStatus
from .tickets import calendar_file, qr_png

log = logging.getLogger("workshop.registration")


class DuplicateRegistration(Exception):
    """This email already has a registration for the workshop."""

    def __init__(self, registration: Registration):
        super().__init__("already registered")
        self.registration = registration


def counts(workshop: Workshop) -> dict:
    """Registered (confirmed), waitlisted, checked in and cancelled totals."""
    rows = db.session.execute(
        select(Registration.status, func.count(), func.count(Registration.checked_in_at))
        .where(Registration.workshop_id == workshop.id)
        .group_by(Registration.status)
    ).all()
    result = {s.value: 0 for s in RegistrationStatus} | {"checked_in": 0}
    for status, total, checked in rows:
        result[status.value] = total
        result["checked_in"] += checked
    return result


def places_left(workshop: Workshop) -> int:
    """Confirmed places still free."""
    return max(0, workshop.capacity - counts(workshop)["confirmed"])


def _lock_workshop(workshop_id: int) -> None:
    # A no-op UPDATE as the transaction's first statement: on SQLite it takes the write lock
    # (writers queue on busy_timeout), on PostgreSQL a row lock - so the capacity check
    # below cannot race another process's registration.
    db.session.execute(update(Workshop).where(Workshop.id == workshop_id).values(capacity=Workshop.capacity))


def _confirmed_count(workshop_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.workshop_id == workshop_id, Registration.status == RegistrationStatus.confirmed
        )
    )


def find_registration(workshop: Workshop, email: str) -> Registration | None:
    """A live (not cancelled) registration for this email."""
    return db.session.scalar(
        select(Registration).where(Registration.workshop_id == workshop.id, Registration.email == email.strip().lower())
    )


def register_attendee(workshop: Workshop, data: dict) -> Registration:
    """Confirm a place, or waitlist when full; raises DuplicateRegistration for a repeat email."""
    email = data["email"].strip().lower()
    db.session.commit()  # end any read transaction so the lock is the first statement
    _lock_workshop(workshop.id)
    if existing := find_registration(workshop, email):
        db.session.rollback()
        raise DuplicateRegistration(existing)
    full = _confirmed_count(workshop.id) >= workshop.capacity
    registration = Registration(
        workshop_id=workshop.id, email=email, name=data["name"].strip(), organisation=(data.get("organisation") or "").strip(),
        stance=data.get("stance") or None, needs=(data.get("needs") or "").strip(),
        status=RegistrationStatus.waitlisted if full else RegistrationStatus.confirmed,
    )
    db.session.add(registration)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DuplicateRegistration(find_registration(workshop, email)) from None
    log.info("registration created id=%s status=%s", registration.id, registration.status.value)
    send_confirmation(registration)
    return registration


def waitlist_position(registration: Registration) -> int | None:
    """1-based position on the waitlist, or None when not waitlisted."""
    if registration.status != RegistrationStatus.waitlisted:
        return None
    ahead = db.session.scalar(
        select(func.count()).select_from(Registration).where(
            Registration.workshop_id == registration.workshop_id,
            Registration.status == RegistrationStatus.waitlisted,
            Registration.id < registration.id,
        )
    )
    return ahead + 1


def cancel_registration(registration: Registration) -> Registration | None:
    """Cancel; a freed place goes to the first on the waitlist, who is emailed. Returns them."""
    if registration.status == RegistrationStatus.cancelled:
        return None
    db.session.commit()
    _lock_workshop(registration.workshop_id)
    was_confirmed = registration.status == RegistrationStatus.confirmed
    registration.status, registration.cancelled_at = RegistrationStatus.cancelled, utcnow()
    promoted = _promote_next(registration.workshop) if was_confirmed else None
    db.session.commit()
    log.info("registration cancelled id=%s promoted=%s", registration.id, promoted and promoted.id)
    if promoted:
        send_promotion(promoted)
    return promoted


def _promote_next(workshop: Workshop) -> Registration | None:
    if _confirmed_count(workshop.id) >= workshop.capacity:
        return None
    first = db.session.scalar(
        select(Registration).where(
            Registration.workshop_id == workshop.id, Registration.status == RegistrationStatus.waitlisted
        ).order_by(Registration.id).limit(1)
    )
    if first:
        first.status = RegistrationStatus.confirmed
    return first


def delete_registration(registration: Registration) -> None:
    """Cancel (promoting the waitlist) and erase this person's data."""
    cancel_registration(registration)
    db.session.delete(registration)
    db.session.commit()
    log.info("registration deleted")


def check_in(registration: Registration) -> bool:
    """Mark a confirmed attendee present; False when not confirmed."""
    if registration.status != RegistrationStatus.confirmed:
        return False
    if check_in_by_phone(registration):
        db.session.commit()
        log.info("checked in id=%s", registration.id)
    return True


def check_in_by_phone(registration: Registration) -> bool:
    """Note the check-in time once (a ticket bound to a phone proves presence); the caller commits it."""
    if registration.checked_in_at is not None:
        return False
    registration.checked_in_at = utcnow()
    return True


def undo_check_in(registration: Registration) -> None:
    """Take a check-in back (a mis-tap at the door)."""
    registration.checked_in_at = None
    db.session.commit()


def by_token(token: str) -> Registration | None:
    """The registration with this private manage token."""
    return db.session.scalar(select(Registration).where(Registration.manage_token == token)) if token else None


def by_ticket(code: str) -> Registration | None:
    """The registration with this ticket code (case-insensitive)."""
    clean = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not clean or len(clean) > 16:
        return None
    return db.session.scalar(select(Registration).where(Registration.ticket_code == clean))


def door_list(workshop: Workshop, query: str = "") -> list[Registration]:
    """Registrations for the door, optionally filtered by name, organisation or ticket."""
    stmt = select(Registration).where(Registration.workshop_id == workshop.id).order_by(Registration.name)
    if query.strip():
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            func.lower(Registration.name).like(like) | func.lower(Registration.organisation).like(like)
            | func.lower(Registration.email).like(like) | func.lower(Registration.ticket_code).like(like)
        )
    return list(db.session.scalars(stmt))


def ticket_url(registration: Registration) -> str:
    """The check-in URL encoded in the ticket's QR code."""
    return url_for("registration.ticket", code=registration.ticket_code, _external=True)


def manage_url(registration: Registration) -> str:
    """The private link to view, cancel or delete a registration."""
    return url_for("registration.manage", token=registration.manage_token, _external=True)


def _attachments(registration: Registration) -> list[Attachment]:
    ics = calendar_file(registration.workshop, manage_url(registration), f"registration-{registration.manage_token}@workshop")
    return [
        Attachment("ticket.png", qr_png(ticket_url(registration)), "image", "png"),
        Attachment("workshop.ics", ics, "text", "calendar"),
    ]


def send_confirmation(registration: Registration) -> None:
    """Email the ticket (or waitlist notice) with the calendar file and manage link."""
    workshop = registration.workshop
    when = workshop.local(workshop.starts_at).strftime("%A %d %B %Y at %H:%M")
    if registration.is_confirmed:
        subject = f"Your place at {workshop.title}"
        lead = f"You have a place at {workshop.title}, {when}, {workshop.venue}.\n\nYour ticket code: {registration.ticket_code}\nShow the attached QR code at the door."
    else:
        subject = f"You are on the waitlist for {workshop.title}"
        lead = f"{workshop.title} is full. You are number {waitlist_position(registration)} on the waitlist; we will email you if a place frees up."
    body = f"Hello {registration.name},\n\n{lead}\n\nManage or cancel your registration: {manage_url(registration)}\n"
    send_email(Email(registration.email, subject, body, _attachments(registration) if registration.is_confirmed else []))


def send_promotion(registration: Registration) -> None:
    """Tell a waitlisted person they now have a place."""
    workshop = registration.workshop
    body = (
        f"Hello {registration.name},\n\nA place has freed up: you now have a confirmed place at {workshop.title}.\n\n"
        f"Your ticket code: {registration.ticket_code}\nManage or cancel: {manage_url(registration)}\n"
    )
    send_email(Email(registration.email, f"You have a place at {workshop.title}", body, _attachments(registration)))


def erase_registrations(workshop: Workshop) -> int:
    """Erase names, emails, organisations and needs of every registration (the report's purge commits it)."""
    registrations = list(db.session.scalars(select(Registration).where(Registration.workshop_id == workshop.id)))
    for r in registrations:
        r.name, r.email, r.organisation, r.needs = "", None, "", ""
        r.manage_token = secrets.token_urlsafe(24)  # old emailed links stop working
    return len(registrations)
