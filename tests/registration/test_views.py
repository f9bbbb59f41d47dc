"""Registration pages through the test client; email through a real SMTP server."""

import email
import email.policy
import io
import re

from icalendar import Calendar

from tests.conftest import login, need
from workshop.extensions import db
from workshop.registration.models import Registration, RegistrationStatus

FORM = {"name": "Ada Lovelace", "email": "ada@example.org", "organisation": "NHS Trust",
        "stance": "Corporate / public sector", "needs": "Step-free access", "consent": "y"}


def register(client, workshop, **overrides):
    return client.post(f"/w/{workshop.slug}", data={**FORM, **overrides})


def test_workshop_page_shows_details_and_places_but_no_personal_data(client, make_workshop, make_registration):
    workshop = make_workshop(capacity=5)
    make_registration(workshop, email="secret@example.org", needs="wheelchair")
    page = client.get(f"/w/{workshop.slug}").get_data(as_text=True)
    assert workshop.title in page and "4 of 5" in page and "Room 1" in page
    assert "secret@example.org" not in page and "wheelchair" not in page


def test_invalid_form_rerenders_with_messages_and_saves_nothing(client, make_workshop):
    workshop = make_workshop()
    response = register(client, workshop, name="", email="not-an-email", consent="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tell us your name." in page
    assert "That does not look like an email address." in page
    assert "Please agree to the privacy notice" in page
    assert db.session.query(Registration).count() == 0


def test_register_redirects_to_ticket_page(client, make_workshop):
    workshop = make_workshop()
    response = register(client, workshop)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You're registered" in page
    registration = db.session.query(Registration).one()
    assert registration.ticket_code in page and registration.needs == "Step-free access"


def test_full_workshop_puts_people_on_the_waitlist_with_position(client, make_workshop, make_registration):
    workshop = make_workshop(capacity=1)
    make_registration(workshop)
    assert "join the waitlist" in client.get(f"/w/{workshop.slug}").get_data(as_text=True)
    page = client.get(register(client, workshop).headers["Location"]).get_data(as_text=True)
    assert "You're on the waitlist" in page and "number 1 on the waitlist" in page


def test_duplicate_email_gets_clear_message(client, make_workshop):
    workshop = make_workshop()
    register(client, workshop)
    response = register(client, workshop, email="ADA@example.org")
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    assert db.session.query(Registration).count() == 1


def test_cancel_link_frees_the_place_and_emails_the_promoted(client, make_workshop, smtp_server):
    workshop = make_workshop(capacity=1)
    first = register(client, workshop).headers["Location"]
    register(client, workshop, email="bob@example.org", name="Bob")
    smtp_server.wait_for(2)
    token = first.rsplit("/", 1)[-1].split("?")[0]
    client.post(f"/r/{token}/cancel", data={"confirmed": "yes"})
    messages = smtp_server.wait_for(3)
    assert messages[-1].rcpt_tos == ["bob@example.org"]
    assert "You have a place" in email.message_from_bytes(messages[-1].content)["Subject"]
    bob = db.session.query(Registration).filter_by(email="bob@example.org").one()
    assert bob.status == RegistrationStatus.confirmed


def test_confirmation_email_has_ticket_qr_and_calendar(client, make_workshop, smtp_server):
    workshop = make_workshop()
    register(client, workshop)
    message = email.message_from_bytes(smtp_server.wait_for(1)[0].content, policy=email.policy.default)
    assert message["To"] == "ada@example.org"
    parts = {p.get_filename(): p.get_payload(decode=True) for p in message.walk() if p.get_filename()}
    registration = db.session.query(Registration).one()
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert registration.manage_token in body and registration.ticket_code in body
    event = next(c for c in Calendar.from_ical(parts["workshop.ics"]).walk("VEVENT"))
    assert str(event["summary"]) == workshop.title and str(event["location"]) == "Room 1"
    assert event.decoded("dtstart").utcoffset() is not None
    assert decode_qr(parts["ticket.png"]) == f"http://workshop.test/t/{registration.ticket_code}"


def decode_qr(png: bytes) -> str:
    """Decode a QR code image back to text (pyzbar on Debian's libzbar)."""
    try:
        from PIL import Image
        from pyzbar.pyzbar import decode
    except (ImportError, OSError) as exc:
        need(False, f"QR decoding needs pyzbar and libzbar0 (apt-get install zbar-tools): {exc}")
    return decode(Image.open(io.BytesIO(png)))[0].data.decode()


def test_ics_time_is_in_workshop_zone(client, make_workshop):
    workshop = make_workshop()
    token = register(client, workshop).headers["Location"].rsplit("/", 1)[-1].split("?")[0]
    body = client.get(f"/r/{token}/workshop.ics").data
    event = Calendar.from_ical(body).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Europe/London"
    assert start.astimezone(tz=None).timestamp() == workshop.starts_at.replace(tzinfo=__import__("datetime").UTC).timestamp()


def test_ticket_url_checks_in_only_for_the_workshops_facilitator(client, make_workshop, make_facilitator):
    host = make_facilitator()
    workshop = make_workshop(host)
    register(client, workshop)
    registration = db.session.query(Registration).one()
    public = client.get(f"/t/{registration.ticket_code}").get_data(as_text=True)
    assert "Ada" not in public and "ada@example.org" not in public
    stranger = make_facilitator()
    login(client, stranger)
    assert "Ada" not in client.get(f"/t/{registration.ticket_code}").get_data(as_text=True)
    client.post("/logout")
    login(client, host)
    assert "Ada Lovelace" in client.get(f"/t/{registration.ticket_code}").get_data(as_text=True)
    client.post(f"/t/{registration.ticket_code}")
    assert "Checked in at" in client.get(f"/t/{registration.ticket_code}").get_data(as_text=True)
    db.session.refresh(registration)
    assert registration.checked_in_at is not None


def test_door_list_counts_search_and_csv(client, make_workshop, make_facilitator, make_registration):
    host = make_facilitator()
    workshop = make_workshop(host, capacity=1)
    make_registration(workshop, name="Ada", email="ada@example.org")
    make_registration(workshop, name="=HYPERLINK(1)", email="bob@example.org")
    assert client.get(f"/planner/{workshop.slug}/door").status_code == 302  # login first
    login(client, host)
    page = client.get(f"/planner/{workshop.slug}/door?q=ada").get_data(as_text=True)
    assert re.search(r"Registered <strong>1</strong> · Waitlisted <strong>1</strong>", page)
    csv = client.get(f"/planner/{workshop.slug}/attendees.csv").get_data(as_text=True)
    assert "ada@example.org" in csv and "'=HYPERLINK(1)" in csv


def test_delete_my_data(client, make_workshop):
    workshop = make_workshop()
    token = register(client, workshop).headers["Location"].rsplit("/", 1)[-1].split("?")[0]
    client.post(f"/r/{token}/delete", data={"confirmed": "yes"})
    assert db.session.query(Registration).count() == 0
    assert client.get(f"/r/{token}").status_code == 404


def test_cancel_and_delete_ask_first_without_javascript(client, make_workshop):
    """One POST never cancels or deletes: without confirmed=yes the answer is an "Are you sure?" page."""
    workshop = make_workshop()
    token = register(client, workshop).headers["Location"].rsplit("/", 1)[-1].split("?")[0]
    for action, question, keep in [("cancel", "Cancel your place?", "Keep my place"),
                                   ("delete", "Delete your data?", "Keep my data")]:
        page = client.post(f"/r/{token}/{action}")
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and question in body and keep in body
        assert f'action="/r/{token}/{action}"' in body and 'name="confirmed" value="yes"' in body
        assert f'href="/r/{token}"' in body  # the safe way back
    registration = db.session.query(Registration).one()
    assert registration.status == RegistrationStatus.confirmed


def test_manage_page_buttons_carry_the_confirmation(client, make_workshop):
    workshop = make_workshop()
    location = register(client, workshop).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert 'data-confirm="Delete your data?"' in page and 'data-confirm-cancel="Keep my data"' in page
    assert 'data-confirm="Cancel your place?"' in page and 'data-confirm-button="Cancel my place"' in page
    assert "/static/js/confirm.js" in page


def test_consent_names_a_linked_privacy_notice_that_says_what_is_kept(client, make_workshop):
    workshop = make_workshop()
    page = client.get(f"/w/{workshop.slug}").get_data(as_text=True)
    assert 'aria-describedby="consent-hint"' in page and '<a href="/privacy">Read the privacy notice</a>' in page
    notice = client.get("/privacy").get_data(as_text=True)
    for kept in ("name and email address", "stance", "votes", "questions", "Delete my data", "purge"):
        assert kept in notice, kept


def test_error_summary_can_take_the_focus(client, make_workshop):
    """forms.js moves focus to it (no inline script under the CSP): it must be focusable."""
    workshop = make_workshop()
    page = register(client, workshop, name="").get_data(as_text=True)
    assert re.search(r'<div class="error-summary" role="alert" tabindex="-1">', page)
    assert "/static/js/forms.js" in page


def test_favicon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon" and icon.data[:4] == b"\x00\x00\x01\x00"
    assert client.get("/static/favicon.svg").status_code == 200
