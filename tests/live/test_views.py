"""Join pages, phone, projector and control through the test client."""

from tests.conftest import login
from tests.registration.test_views import decode_qr
from workshop.extensions import db
from workshop.live.models import Participant


def test_typed_code_is_forgiving(client, make_workshop):
    make_workshop(join_code="SNOG42")
    response = client.post("/join", data={"code": "  snog 42 "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/j/SNOG42")
    wrong = client.post("/join", data={"code": "nope"})
    assert wrong.status_code == 400 and "No workshop uses that code" in wrong.get_data(as_text=True)


def test_join_with_stance_sets_participant_cookie(client, make_workshop):
    workshop = make_workshop()
    page = client.get(f"/j/{workshop.join_code}").get_data(as_text=True)
    assert "Corporate / public sector" in page and "Prefer not to say" in page
    response = client.post(f"/j/{workshop.join_code}", data={"stance": "Activist / campaigner"})
    assert response.headers["Location"].endswith(f"/live/{workshop.join_code}")
    assert db.session.query(Participant).one().stance == "Activist / campaigner"
    assert client.get(f"/j/{workshop.join_code}").status_code == 302  # already joined: straight to phone
    assert "Activist / campaigner" in client.get(f"/live/{workshop.join_code}").get_data(as_text=True)


def test_unknown_stance_is_refused(client, make_workshop):
    workshop = make_workshop()
    response = client.post(f"/j/{workshop.join_code}", data={"stance": "Hacker"})
    assert response.status_code == 400 and db.session.query(Participant).count() == 0


def test_phone_page_needs_a_join(client, make_workshop):
    workshop = make_workshop()
    assert client.get(f"/live/{workshop.join_code}").headers["Location"].endswith(f"/j/{workshop.join_code}")


def test_bind_ticket_takes_stance_from_registration(client, make_workshop, make_registration):
    workshop = make_workshop()
    registration = make_registration(workshop, stance="Both")
    bad = client.post(f"/j/{workshop.join_code}/ticket", data={"ticket": "WRONG"})
    assert bad.status_code == 400 and "could not find that ticket" in bad.get_data(as_text=True)
    client.post(f"/j/{workshop.join_code}/ticket", data={"ticket": registration.ticket_code})
    participant = db.session.query(Participant).one()
    assert participant.registration_id == registration.id and participant.stance == "Both"


def test_api_join_for_scripts(client, make_workshop):
    workshop = make_workshop()
    response = client.post(f"/api/w/{workshop.join_code}/participants", json={"stance": "Neither"})
    assert response.status_code == 201 and response.get_json()["token"]
    assert client.post(f"/api/w/{workshop.join_code}/participants", json=[1]).status_code == 400
    assert client.post(f"/api/w/{workshop.join_code}/participants", json={"stance": "x"}).status_code == 400


def test_projector_shows_code_short_url_and_qr(client, make_workshop):
    make_workshop(join_code="ROOM1")
    page = client.get("/live/ROOM1/screen").get_data(as_text=True)
    assert 'alt="QR code to join: http://workshop.test/j/ROOM1"' in page
    assert 'workshop.test<wbr><span class="nowrap">/j/ROOM1</span>' in page  # wraps only before the path
    assert '<strong id="join-key">ROOM1</strong>' in page
    svg = client.get("/live/ROOM1/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_control_only_for_its_facilitators(client, make_workshop, make_facilitator):
    host, stranger = make_facilitator(), make_facilitator()
    workshop = make_workshop(host)
    assert client.get(f"/planner/{workshop.slug}/control").status_code == 302
    login(client, stranger)
    assert client.get(f"/planner/{workshop.slug}/control").status_code == 403
    client.post("/logout")
    login(client, host)
    assert client.get(f"/planner/{workshop.slug}/control").status_code == 200


def test_join_qr_png_decodes_to_short_url(app):
    from workshop.registration.tickets import qr_png

    assert decode_qr(qr_png("http://workshop.test/j/SNOG")) == "http://workshop.test/j/SNOG"
