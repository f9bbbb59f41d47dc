"""Vote integrity, the voting pass, rate limits with clear messages, and where personal data may appear."""

import json
import time

import pytest
from sqlalchemy.exc import IntegrityError

from tests.conftest import login
from tests.security.conftest import fingerprint
from workshop.extensions import db
from workshop.live import service as live
from workshop.live.models import Participant, Vote
from workshop.models import utcnow
from workshop.realtime.guard import GuardedNamespace
from workshop.registration import service as registration


def _vote(sc, poll, choice="snog"):
    return sc.emit("vote", {"poll_id": poll.id, "choice": choice}, namespace="/live", callback=True)


def _phone_of(app, socket_client, workshop, client=None):
    """A browser phone: joins through the real form; its only identity is the signed session cookie."""
    client = client or app.test_client()
    assert client.post(f"/j/{workshop.join_code}", data={"stance": ""}).status_code == 302
    return client, socket_client(auth={"code": workshop.join_code, "role": "phone"}, http=client)


def test_one_vote_per_participant_per_poll_is_a_database_constraint(app, world):
    live.open_poll(world.poll)
    row = {"poll_id": world.poll.id, "round": world.poll.round, "participant_id": world.participant.id,
           "choice": "snog", "created_at": utcnow(), "updated_at": utcnow()}
    db.session.add(Vote(**row))
    db.session.commit()
    db.session.add(Vote(**row | {"choice": "avoid"}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_voting_again_changes_the_vote_not_the_count(app, world, socket_client):
    live.open_poll(world.poll)
    sc = socket_client(auth={"code": world.b.join_code, "role": "phone", "token": world.participant.token})
    for choice in ("snog", "avoid", "marry", "avoid"):
        assert _vote(sc, world.poll, choice)["ok"]
    assert [v.choice for v in db.session.query(Vote).all()] == ["avoid"]


def test_cleared_cookie_is_a_new_participant_but_the_voting_pass_stops_it(app, world, socket_client):
    live.open_poll(world.poll)
    client, first = _phone_of(app, socket_client, world.b)
    client.delete_cookie("session", domain="workshop.test")
    _, second = _phone_of(app, socket_client, world.b, client)
    assert db.session.query(Participant).filter_by(workshop_id=world.b.id).count() == 4  # 2 in world + 2 here
    assert _vote(first, world.poll)["ok"] and _vote(second, world.poll)["ok"]  # no pass required: both count

    world.b.require_ticket = True
    db.session.commit()
    live.reset_poll(world.poll)
    live.open_poll(world.poll)
    for sc in (first, second):
        ack = _vote(sc, world.poll)
        assert ack == {"ok": False, "error": "This workshop needs a voting pass: bind your phone to your checked-in ticket."}
    ticketed = socket_client(auth={"code": world.b.join_code, "role": "phone", "token": world.participant.token})
    assert _vote(ticketed, world.poll)["ok"]
    registration.undo_check_in(world.registration)
    assert not _vote(ticketed, world.poll)["ok"]  # bound but not checked in: no pass
    assert db.session.query(Vote).filter_by(poll_id=world.poll.id, round=world.poll.round).count() == 1


def test_voting_pass_is_a_workshop_setting(app, world):
    html = login(app.test_client(), world.bob).get(f"/planner/{world.b.slug}").get_data(as_text=True)
    assert 'name="require_ticket"' in html and "Voting pass" in html


# --- rate limits ------------------------------------------------------------------------------------

@pytest.fixture
def limited(app, world):
    """Rate limits on, once the world is built."""
    app.config["RATELIMIT_ENABLED"] = True
    yield app
    app.config["RATELIMIT_ENABLED"] = False


@pytest.fixture
def roomy_sockets(monkeypatch):
    """Socket budgets out of the way (tests/security/test_socket_guard.py covers them): the app's own limits."""
    monkeypatch.setattr(GuardedNamespace, "default_budget", (100.0, 1000.0))
    monkeypatch.setattr(GuardedNamespace, "total_budget", (100.0, 1000.0))


def test_login_is_rate_limited(limited, client, world):
    for _ in range(4):
        assert b"Too many" not in client.post("/login", data={"email": world.bob.email, "password": "wrong" * 3}).data
    assert client.post("/login", data={"email": world.bob.email, "password": "wrong" * 3}).status_code == 429
    response = client.post("/login", data={"email": world.bob.email, "password": "correct horse battery"})
    assert b"Too many sign-in attempts. Try again in 5 minutes." in response.data
    assert response.status_code == 429 and response.headers["Retry-After"]  # not signed in, even with the right password


def test_registration_is_rate_limited(limited, client, world):
    for n in range(21):
        response = client.post(f"/w/{world.b.slug}", data={"name": "Bot", "email": f"bot{n}@example.org",
                                                            "stance": world.b.stances[0], "consent": "y"})
    assert b"Too many registrations from this connection" in response.data
    assert db.session.query(registration.Registration).count() == 21  # world's 1 + 20 allowed


def test_joining_is_rate_limited(limited, app, client, world):
    app.config["JOIN_RATE"] = (12, 60)  # a small limit: the fixed window must not roll over mid-test
    if 60 - time.time() % 60 < 15:
        time.sleep(60 - time.time() % 60 + 0.1)
    statuses = [client.post(f"/j/{world.b.join_code}", data={"stance": ""}).status_code for _ in range(13)]
    assert statuses[:12] == [302] * 12 and statuses[12] == 400
    assert b"Too many joins" in client.post(f"/j/{world.b.join_code}", data={"stance": ""}).data
    api = client.post(f"/api/w/{world.b.join_code}/participants", json={"stance": None})  # the same budget
    assert api.status_code == 429 and api.get_json()["error"] == "too many joins"


def test_voting_asking_and_upvoting_are_rate_limited(limited, world, socket_client, make_participant, roomy_sockets):
    live.open_poll(world.poll)
    sc = socket_client(auth={"code": world.b.join_code, "role": "phone", "token": world.participant.token})
    while time.time() % 10 > 6 or time.time() % 60 > 50:  # fixed windows: start early in one so no count resets
        time.sleep(0.2)
    acks = [_vote(sc, world.poll) for _ in range(31)]
    assert all(a["ok"] for a in acks[:30]) and acks[30] == {"ok": False, "error": "Too many votes: wait a few seconds."}
    qs = socket_client(namespace="/questions", auth={"code": world.b.join_code, "role": "phone",
                                                     "token": world.participant.token})
    asks = [qs.emit("ask", {"text": f"Question {n}?"}, namespace="/questions", callback=True) for n in range(4)]
    assert all(a["ok"] for a in asks[:3]), asks
    assert "questions per 60 seconds" in asks[3]["error"]
    upvotes = [qs.emit("upvote", {"question_id": world.other_question.id}, namespace="/questions", callback=True)
               for _ in range(31)]
    assert all(a["ok"] for a in upvotes[:30]), upvotes[:30]
    assert "Too many upvotes" in upvotes[30]["error"]


# --- personal data -----------------------------------------------------------------------------------

def test_attendee_details_never_reach_public_pages_or_sockets(app, world, socket_client):
    world.registration.needs = "Hearing loop please"
    db.session.commit()
    secrets = [world.registration.email, world.registration.needs]
    public = app.test_client()
    pages = [f"/w/{world.b.slug}", f"/live/{world.b.join_code}/screen", f"/j/{world.b.join_code}", "/"]
    for path in pages:
        body = public.get(path).get_data(as_text=True)
        assert not any(s in body for s in secrets), path
    http = login(app.test_client(), world.bob)
    for role, extra in (("projector", {}), ("phone", {"token": world.participant.token}), ("control", {})):
        for namespace in ("/live", "/questions"):
            sc = socket_client(namespace=namespace, auth={"code": world.b.join_code, "role": role} | extra,
                               http=http if role == "control" else None)
            dump = json.dumps(sc.get_received(namespace))
            assert not any(s in dump for s in secrets), (role, namespace)
    body = http.get(f"/planner/{world.b.slug}/attendees.csv").get_data(as_text=True)
    assert all(s in body for s in secrets)  # the facilitator's export has them


def test_manage_link_deletes_the_attendees_data(app, world, client):
    email = world.registration.email
    assert client.post(f"/r/{world.registration.manage_token}/delete", data={"confirmed": "yes"}).status_code == 302
    assert email not in json.dumps(fingerprint())


def test_the_vote_flood_guard_counts_in_the_process_even_with_redis(limited, app, world, socket_client, roomy_sockets):
    """A phone's socket lives on one process: its vote limit never waits on Redis (here: none listening)."""
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there: a Redis call would fail
    live.open_poll(world.poll)
    sc = socket_client(auth={"code": world.b.join_code, "role": "phone", "token": world.participant.token})
    while time.time() % 10 > 6:  # start early in a fixed 10 s window
        time.sleep(0.2)
    acks = [_vote(sc, world.poll) for _ in range(31)]
    assert all(a["ok"] for a in acks[:30]) and acks[30] == {"ok": False, "error": "Too many votes: wait a few seconds."}
