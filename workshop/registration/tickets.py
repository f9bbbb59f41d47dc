"""Ticket QR codes and iCalendar files."""

import io

import qrcode
import qrcode.image.svg
from icalendar import Calendar, Event


def qr_svg(data: str) -> bytes:
    """An SVG QR code (scales crisply on screens and paper)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_png(data: str) -> bytes:
    """A PNG QR code (for email clients that do not show SVG)."""
    image = qrcode.make(data, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def calendar_file(workshop, url: str, uid: str) -> bytes:
    """A real iCalendar event in the workshop's own time zone."""
    calendar = Calendar()
    calendar.add("prodid", "-//workshop//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("summary", workshop.title)
    event.add("dtstart", workshop.local(workshop.starts_at))
    event.add("dtend", workshop.local(workshop.ends_at))
    event.add("dtstamp", workshop.local(workshop.created_at))
    event.add("location", workshop.venue)
    event.add("description", f"{workshop.description[:500]}\n\nYour registration: {url}")
    event.add("url", url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
