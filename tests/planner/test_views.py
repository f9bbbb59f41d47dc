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
    poll = make_poll(workshop)
    poll.predict, poll.rerun_planned = True, True  # the plans travel with the wording
    db.session.commit()
    login(client, host)
    client.post(f"/planner/{workshop.slug}/agenda", data={"title": "Welcome", "kind": "talk", "minutes": "10"})
    client.post(f"/planner/{workshop.slug}/clone")
    copy = db.session.query(Workshop).filter(Workshop.id != workshop.id).one()
    assert copy.slug == f"{workshop.slug}-2" and copy.join_code != workshop.join_code
    assert [i.title for i in copy.agenda] == ["Welcome"]
    copied = db.session.query(Poll).filter_by(workshop_id=copy.id).one()
    assert (copied.prompt, copied.predict, copied.rerun_planned, copied.state.value) == (
        poll.prompt, True, True, "draft")


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


def test_verdict_meanings_are_set_in_the_details_form_and_reach_the_phone(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    form = client.get(f"/planner/{workshop.slug}").get_data(as_text=True)
    assert 'value="work together now and then"' in form  # the defaults, ready to edit
    data = {**DETAILS, "slug": workshop.slug, "join_code": workshop.join_code,
            "meaning_snog": "  a fling  ", "meaning_marry": "one campaign", "meaning_avoid": ""}
    assert client.post(f"/planner/{workshop.slug}", data=data).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Workshop, workshop.id)
    assert saved.meanings == {"snog": "a fling", "marry": "one campaign", "avoid": "keep your distance"}  # empty: default
    client.post(f"/planner/{workshop.slug}/clone")
    copy = db.session.query(Workshop).filter(Workshop.id != workshop.id).one()
    assert copy.meanings == saved.meanings
    # The phone page carries them as JSON for static/js/phone.js, escaped for its attribute.
    client.post(f"/j/{workshop.join_code}", data={"stance": ""})
    phone = client.get(f"/live/{workshop.join_code}").get_data(as_text=True)
    assert """data-meanings='{"avoid": "keep your distance", "marry": "one campaign", "snog": "a fling"}'""" in phone


def test_too_long_meaning_is_refused_with_a_message(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    data = {**DETAILS, "slug": workshop.slug, "join_code": workshop.join_code, "meaning_snog": "x" * 121}
    page = client.post(f"/planner/{workshop.slug}", data=data).get_data(as_text=True)
    assert "error-summary" in page and "120 characters" in page


def test_planner_deletes_ask_first_without_javascript(client, make_facilitator, make_workshop, make_poll):
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = make_poll(workshop, prompt="Trust tweets?")
    login(client, host)
    client.post(f"/planner/{workshop.slug}/agenda", data={"title": "Welcome", "kind": "talk", "minutes": "10"})
    item = db.session.get(Workshop, workshop.id).agenda[0]
    for path, question in [(f"/planner/{workshop.slug}/polls/{poll.id}/delete", "Delete this poll?"),
                           (f"/planner/{workshop.slug}/agenda/{item.id}/delete", "Delete this segment?")]:
        page = client.post(path)
        assert page.status_code == 200 and question in page.get_data(as_text=True)
        assert f'action="{path}"' in page.get_data(as_text=True) and 'name="confirmed" value="yes"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Poll, poll.id) is not None and len(db.session.get(Workshop, workshop.id).agenda) == 1
    assert client.post(f"/planner/{workshop.slug}/polls/{poll.id}/delete", data={"confirmed": "yes"}).status_code == 302
    assert client.post(f"/planner/{workshop.slug}/agenda/{item.id}/delete", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Poll, poll.id) is None and db.session.get(Workshop, workshop.id).agenda == []
    assert client.post(f"/planner/{workshop.slug}/agenda/{2**31}/delete").status_code == 404
