"""Planner pages through the test client."""

from datetime import datetime

from tests.conftest import login
from workshop.extensions import db
from workshop.live.models import Poll
from workshop.planner.models import Workshop

DETAILS = {"title": "Snog, Marry, Avoid?", "slug": "sma", "description": "About", "venue": "London",
           "timezone": "Europe/London", "starts_at": "2027-09-28T14:00", "ends_at": "2027-09-28T15:30",
           "capacity": "40", "join_code": "smash", "stances": "Corporate\nActivist\nCorporate",
           "moderation": "queue"}


def test_create_workshop_stores_utc_and_shows_local(client, make_facilitator):
    login(client, make_facilitator())
    response = client.post("/planner/new", data=DETAILS)
    assert response.status_code == 302
    workshop = db.session.query(Workshop).filter_by(slug="sma").one()
    assert workshop.starts_at == datetime(2027, 9, 28, 13, 0)  # BST is UTC+1
    assert workshop.join_code == "SMASH" and workshop.stances == ["Corporate", "Activist"]
    page = client.get("/planner/sma").get_data(as_text=True)
    assert 'value="2027-09-28T14:00"' in page


def test_invalid_workshop_form_shows_messages(client, make_facilitator, make_workshop):
    host = make_facilitator()
    make_workshop(host, slug="taken")
    login(client, host)
    bad = {**DETAILS, "slug": "taken", "ends_at": "2027-09-28T13:00", "timezone": "Mars/Base", "stances": "One"}
    page = client.post("/planner/new", data=bad).get_data(as_text=True)
    for message in ("The end must be after the start.", "Unknown time zone", "between two and eight stances"):
        assert message in page
    assert db.session.query(Workshop).count() == 1


def test_agenda_computes_start_times_and_reorders(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host, starts_at=datetime(2027, 1, 10, 14, 0))
    login(client, host)
    client.post(f"/planner/{workshop.slug}/agenda", data={"title": "Welcome", "kind": "talk", "minutes": "10"})
    client.post(f"/planner/{workshop.slug}/agenda", data={"title": "Poll round", "kind": "poll", "minutes": "15"})
    page = client.get(f"/planner/{workshop.slug}/agenda").get_data(as_text=True)
    assert "<td>14:00</td><td>Welcome</td>" in page and "<td>14:10</td><td>Poll round</td>" in page
    second = workshop.agenda[1]
    client.post(f"/planner/{workshop.slug}/agenda/{second.id}/up")
    db.session.expire_all()
    assert [i.title for i in db.session.get(Workshop, workshop.id).agenda] == ["Poll round", "Welcome"]


def test_polls_validate_items(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    bad = client.post(f"/planner/{workshop.slug}/polls", data={"kind": "classic", "prompt": "Who?", "options": "A\nB"})
    assert "exactly three items" in bad.get_data(as_text=True)
    client.post(f"/planner/{workshop.slug}/polls", data={"kind": "classic", "prompt": "Who?", "options": "A\nB\nC"})
    client.post(f"/planner/{workshop.slug}/polls", data={"kind": "verdict", "prompt": "Trust tweets?"})
    assert [(p.kind.value, p.options) for p in db.session.query(Poll).order_by(Poll.position)] == [
        ("classic", ["A", "B", "C"]), ("verdict", [])]


def test_clone_copies_agenda_and_polls(client, make_facilitator, make_workshop, make_poll):
    host = make_facilitator()
    workshop = make_workshop(host)
    make_poll(workshop)
    login(client, host)
    client.post(f"/planner/{workshop.slug}/agenda", data={"title": "Welcome", "kind": "talk", "minutes": "10"})
    client.post(f"/planner/{workshop.slug}/clone")
    copy = db.session.query(Workshop).filter(Workshop.id != workshop.id).one()
    assert copy.slug == f"{workshop.slug}-2" and copy.join_code != workshop.join_code
    assert [i.title for i in copy.agenda] == ["Welcome"]
    assert db.session.query(Poll).filter_by(workshop_id=copy.id).count() == 1


def test_co_facilitator_can_run_the_workshop(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    page = client.post(f"/planner/{workshop.slug}/facilitators",
                       data={"email": "mark@example.org", "name": "Mark"}, follow_redirects=True)
    assert "Their first password is" in page.get_data(as_text=True)
    assert {f.email for f in db.session.get(Workshop, workshop.id).facilitators} == {host.email, "mark@example.org"}


def test_planner_pages_need_the_right_facilitator(client, make_facilitator, make_workshop):
    workshop = make_workshop(make_facilitator())
    assert client.get(f"/planner/{workshop.slug}").status_code == 302
    login(client, make_facilitator())
    for path in ("", "/agenda", "/polls", "/facilitators", "/door", "/attendees.csv"):
        assert client.get(f"/planner/{workshop.slug}{path}").status_code == 403, path
    assert client.post(f"/planner/{workshop.slug}/clone").status_code == 403
