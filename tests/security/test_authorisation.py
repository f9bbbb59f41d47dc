"""Authorisation matrix: every facilitator page, endpoint and socket event, tried as anonymous,
as a participant and as the facilitator of another workshop. Nothing gets through; nothing is written."""

import pytest

from tests.conftest import login
from tests.security.conftest import fingerprint
from workshop import create_app
from workshop.extensions import db
from workshop.live.events import LiveNamespace
from workshop.questions.events import QuestionsNamespace

PHONE_EVENTS = {"connect", "disconnect", "state", "vote", "ask", "upvote", "answer", "answer_remove", "react", "predict"}
NAMESPACES = {"/live": LiveNamespace, "/questions": QuestionsNamespace}
IDENTITIES = ("anonymous", "participant", "other_facilitator")


def _facilitator_rules() -> list[tuple[str, str]]:
    """(rule, method) for every route under /planner/<slug> - found from the URL map, so new ones are covered."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted((r.rule, m) for r in app.url_map.iter_rules() if r.rule.startswith("/planner/<slug>")
                  for m in sorted(r.methods - {"HEAD", "OPTIONS"}))


def control_events(namespace: str) -> list[str]:
    """Every handler of a namespace that is not a phone/projector event (found by introspection)."""
    cls = NAMESPACES[namespace]
    return sorted(n[3:] for n in dir(cls) if n.startswith("on_") and n[3:] not in PHONE_EVENTS)


FACILITATOR_RULES = _facilitator_rules()


def url_for_rule(rule: str, world, slug: str | None = None) -> str:
    """Fill a rule's placeholders with workshop B's objects."""
    return (rule.replace("<slug>", slug or world.b.slug).replace("<int:poll_id>", str(world.poll.id))
            .replace("<int:item_id>", str(world.item.id)).replace("<int:registration_id>", str(world.registration.id))
            .replace("<action>", "undo" if "door" in rule else "delete"))


def as_identity(app, identity: str, world):
    """An HTTP client that is anonymous, a phone of workshop B, or workshop A's facilitator."""
    client = app.test_client()
    if identity == "participant":
        response = client.post(f"/j/{world.b.join_code}/ticket", data={"ticket": world.registration.ticket_code})
        assert response.status_code == 302, response.data
    elif identity == "other_facilitator":
        login(client, world.alice)
    return client


FORM = {"title": "Hijacked", "slug": "hijacked", "email": "mallory@example.org", "name": "Mallory",
        "password": "x" * 12, "prompt": "p", "kind": "verdict", "minutes": "5", "capacity": "1"}


def test_matrix_covers_every_facilitator_route_and_event():
    assert len(FACILITATOR_RULES) >= 23, FACILITATOR_RULES
    assert {"poll_open", "poll_next", "segment_start"} <= set(control_events("/live"))
    assert {"approve", "dismiss", "merge", "undo", "set_moderation"} <= set(control_events("/questions"))


def _send(client, rule, method, world, slug=None):
    return client.open(url_for_rule(rule, world, slug), method=method, data=FORM if method == "POST" else None)


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_facilitator_route_refused(app, world, identity):
    """One identity against every (route, method): refused, nothing written, no attendee data in the reply."""
    client = as_identity(app, identity, world)
    before = fingerprint()
    for rule, method in FACILITATOR_RULES:
        response = _send(client, rule, method, world)
        if identity == "other_facilitator":
            assert response.status_code == 403, (rule, method)
            assert b"not a facilitator of this workshop" in response.data
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], (rule, method)
        assert world.registration.email.encode() not in response.data
    assert fingerprint() == before


def test_owner_reaches_every_route(app, world):
    """The other side of the matrix: B's facilitator gets through, so the refusals above mean something."""
    client = login(app.test_client(), world.bob)
    for rule, method in FACILITATOR_RULES:
        response = _send(client, rule, method, world)
        assert response.status_code in (200, 302, 400, 404), (rule, method, response.status_code)
        assert response.status_code != 302 or "/login" not in response.headers["Location"]


@pytest.mark.parametrize("path", ["/planner/", "/planner/new"])
def test_planner_needs_sign_in(app, world, path):
    response = as_identity(app, "participant", world).get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("rule", ["/planner/<slug>/polls/<int:poll_id>/<action>",
                                  "/planner/<slug>/door/<int:registration_id>/<action>",
                                  "/planner/<slug>/agenda/<int:item_id>/<action>",
                                  "/planner/<slug>/polls/<int:poll_id>"])
def test_own_slug_with_other_workshops_ids_changes_nothing(app, world, rule):
    client = as_identity(app, "other_facilitator", world)
    before = fingerprint()
    response = client.post(url_for_rule(rule, world, slug=world.a.slug), data=FORM)
    assert response.status_code in (302, 404)
    assert fingerprint() == before


def test_ticket_check_in_page_is_facilitator_only(app, world):
    from workshop.registration import service as registration

    registration.undo_check_in(world.registration)
    for identity in IDENTITIES:
        client = as_identity(app, identity, world) if identity != "participant" else app.test_client()
        response = client.post(f"/t/{world.registration.ticket_code}", data={})
        assert response.status_code == 200 and world.registration.email.encode() not in response.data
    db.session.refresh(world.registration)
    assert world.registration.checked_in_at is None


# --- sockets -------------------------------------------------------------------------------------

def _connect(app, socket_client, namespace, world, identity, role="control"):
    http = as_identity(app, identity, world)
    return socket_client(namespace=namespace, auth={"code": world.b.join_code, "role": role}, http=http)


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_control_connection_refused(app, world, socket_client, namespace, identity):
    sc = _connect(app, socket_client, namespace, world, identity)
    assert not sc.is_connected(namespace)


def payload(world) -> dict:
    """Every id a control event can take, all pointing into workshop B."""
    from workshop.questions.models import ModerationAction

    action = db.session.scalar(db.select(ModerationAction.id).limit(1))
    return {"poll_id": world.poll.id, "item_id": world.item.id, "question_id": world.question.id,
            "into_id": world.other_question.id, "reason": "off-topic", "action_id": action, "mode": "queue"}


def _ack(sc, namespace, event, data):
    return sc.emit(event, data, namespace=namespace, callback=True)


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_control_events_refused_from_phone_and_projector(app, world, socket_client, namespace):
    phone = socket_client(namespace=namespace, auth={"code": world.b.join_code, "role": "phone",
                                                     "token": world.participant.token})
    projector = socket_client(namespace=namespace, auth={"code": world.b.join_code, "role": "projector"})
    before = fingerprint()
    for event in control_events(namespace):
        for sc in (phone, projector):
            assert sc.is_connected(namespace)
            assert _ack(sc, namespace, event, payload(world)) == {"ok": False, "error": "facilitators only"}, event
    assert fingerprint() == before


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_control_events_on_own_workshop_cannot_reach_other_workshop(app, world, socket_client, namespace):
    """Alice controls A; sending B's ids from A's control screen touches nothing of B."""
    http = login(app.test_client(), world.alice)
    sc = socket_client(namespace=namespace, auth={"code": world.a.join_code, "role": "control"}, http=http)
    assert sc.is_connected(namespace)
    b_rows = _rows_of(world.b.id)
    for event in control_events(namespace):
        ack = _ack(sc, namespace, event, payload(world))
        if event not in ("poll_next", "set_moderation", "undo"):  # those act on the socket's own workshop (A)
            assert ack["ok"] is False, (event, ack)
    assert _rows_of(world.b.id) == b_rows


def _rows_of(workshop_id: int) -> dict:
    """Workshop B's own rows (polls, votes, segments, questions, moderation, the workshop itself)."""
    db.session.expire_all()
    prints = fingerprint()
    return {name: rows for name, rows in prints.items() if name != "workshop"} | {
        "b": repr(db.session.execute(db.text("select * from workshop where id = :i"), {"i": workshop_id}).all())}


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_removed_facilitator_loses_control_at_once(app, world, socket_client, namespace):
    http = login(app.test_client(), world.bob)
    sc = socket_client(namespace=namespace, auth={"code": world.b.join_code, "role": "control"}, http=http)
    assert sc.is_connected(namespace)
    world.b.facilitators = [world.alice]
    db.session.commit()
    before = fingerprint()
    for event in control_events(namespace):
        assert _ack(sc, namespace, event, payload(world)) == {"ok": False, "error": "facilitators only"}, event
    assert fingerprint() == before
