"""Structured logs: every state change is one JSON line with a request id, and no personal data."""

import io
import json
import logging

import pytest

from tests.conftest import login
from workshop.logging import JsonFormatter
from workshop.registration.models import Registration

ATTENDEE = {"name": "Zebedee Quintessa", "email": "zebedee.q@example.org", "organisation": "Campaign Collective",
            "needs": "step-free access please", "consent": "y"}


@pytest.fixture
def log_lines():
    """JSON lines the app writes while the test runs (the same formatter as production)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("workshop")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_state_changes_logged_as_json_with_request_ids_and_no_personal_data(app, world, socket_client, log_lines):
    client = app.test_client()
    response = client.post(f"/w/{world.b.slug}", data=ATTENDEE | {"stance": world.b.stances[0]},
                           headers={"X-Request-Id": "req-register-1"})
    assert response.status_code == 302
    registration = Registration.query.filter_by(email=ATTENDEE["email"]).one()
    client.post(f"/r/{registration.manage_token}/cancel", data={"confirmed": "yes"}, headers={"X-Request-Id": "req-cancel-1"})
    http = login(app.test_client(), world.bob)
    control = socket_client(auth={"code": world.b.join_code, "role": "control"}, http=http)
    assert control.emit("poll_open", {"poll_id": world.poll.id}, namespace="/live", callback=True)["ok"]
    moderator = socket_client(namespace="/questions", auth={"code": world.b.join_code, "role": "control"}, http=http)
    ack = moderator.emit("dismiss", {"question_id": world.question.id, "reason": "off-topic"},
                         namespace="/questions", callback=True)
    assert ack["ok"], ack

    lines = log_lines()
    by_msg = {line["msg"].split(" id=")[0].split(" workshop=")[0]: line for line in lines}
    assert by_msg["registration created"]["request_id"] == "req-register-1"
    assert by_msg["registration cancelled"]["request_id"] == "req-cancel-1"
    assert by_msg["poll open"]["request_id"].startswith("sio-") and by_msg["poll open"]["event"] == "poll_open"
    assert by_msg["question dismiss"]["request_id"].startswith("sio-")
    text = json.dumps(lines)
    for value in (ATTENDEE["name"], ATTENDEE["email"], ATTENDEE["needs"], "Zebedee", world.registration.email,
                  world.registration.name, registration.manage_token, world.participant.token):
        assert value not in text, value


def test_forged_request_id_cannot_inject_log_content(app, log_lines):
    with app.test_request_context(headers={"X-Request-Id": 'abc", "level": "CRITICAL'}):
        app.preprocess_request()
        logging.getLogger("workshop").info("probe")
    (line,) = log_lines()
    assert line["level"] == "INFO" and line["request_id"] == "abclevel:CRITICAL"
