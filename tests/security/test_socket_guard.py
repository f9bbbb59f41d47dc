"""Socket.IO guards (workshop/realtime/: guard.py, packets.py, connections.py): every client event is limited per socket, a socket that keeps
flooding is disconnected, and malformed packets of every shape get an error ack, never an exception."""

import logging
import time

import pytest

from tests.conftest import login
from workshop.extensions import socketio
from workshop.live import service as live
from workshop.realtime.guard import GuardedNamespace
from workshop.realtime.packets import TOO_MANY, SafeJSON

NAMESPACES = ("/live", "/questions")


@pytest.fixture
def limited(app, world):
    """Rate limits on, once the world is built."""
    app.config["RATELIMIT_ENABLED"] = True
    yield app
    app.config["RATELIMIT_ENABLED"] = False


def _phone(socket_client, workshop, participant, namespace="/live"):
    return socket_client(namespace=namespace, auth={"code": workshop.join_code, "role": "phone",
                                                    "token": participant.token})


def _raw(sc, text: str, namespace: str):
    """Send an encoded Socket.IO packet as a client would, and return the ack (None when there is none)."""
    sc.acks = None
    socketio.server._handle_eio_message(sc.eio_sid, text)
    ack = sc.acks
    sc.acks = None
    return ack and (ack["args"][0] if len(ack["args"]) == 1 else ack["args"])


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_state_flood_is_refused_then_disconnected_while_other_phones_vote(
        limited, world, socket_client, make_participant, namespace, caplog):
    live.open_poll(world.poll)
    flooding_phone = make_participant(world.b)
    flooder_id = flooding_phone.id
    flooder = _phone(socket_client, world.b, flooding_phone, namespace)
    voter = _phone(socket_client, world.b, world.participant)
    acks = []
    with caplog.at_level(logging.WARNING, logger="workshop.sockets"):
        for n in range(1_000):
            if not flooder.is_connected(namespace):
                break
            acks.append(flooder.emit("state", {}, namespace=namespace, callback=True))
            if n % 50 == 0:  # another phone keeps voting all along
                assert voter.emit("vote", {"poll_id": world.poll.id, "choice": "snog"}, namespace="/live",
                                  callback=True)["ok"]
    assert [a["ok"] for a in acks[:3]] == [True, True, True]  # a burst of resyncs is fine
    refused = [a for a in acks if not a["ok"]]
    assert refused and all(a == {"ok": False, "error": TOO_MANY} for a in refused)
    assert not flooder.is_connected(namespace)
    assert len(acks) < 3 + GuardedNamespace.max_refusals + 5  # cut off after a few dozen, not 1,000
    assert len([r for r in caplog.records if "disconnected for flooding" in r.getMessage()]) == 1  # logged once
    assert voter.emit("vote", {"poll_id": world.poll.id, "choice": "avoid"}, namespace="/live", callback=True)["ok"]
    budgets = socketio.server.namespace_handlers[namespace]._budgets
    assert set(budgets) <= {f"p{world.participant.id}", f"p{flooder_id}"}  # by phone, not by socket

    again = _phone(socket_client, world.b, flooding_phone, namespace)  # reconnecting at once
    assert not again.is_connected(namespace)  # refused while the ban lasts, before any state is built
    other = _phone(socket_client, world.b, world.participant, namespace)
    assert other.is_connected(namespace)  # another phone connects as usual
    handler = socketio.server.namespace_handlers[namespace]
    handler._banned.clear()  # a new token or cookie: the ban by participant still holds
    again = _phone(socket_client, world.b, flooding_phone, namespace)
    assert again.is_connected(namespace)
    assert again.emit("state", {}, namespace=namespace, callback=True) == {"ok": False, "error": TOO_MANY}
    assert not again.is_connected(namespace)  # cut off at its first event
    assert isinstance(handler, GuardedNamespace)
    assert len([r for r in caplog.records if "disconnected for flooding" in r.getMessage()]) == 1


@pytest.mark.parametrize("namespace,event,payload", [
    ("/live", "vote", {"poll_id": 0, "choice": "snog"}),
    ("/live", "poll_open", {"poll_id": 1}),
    ("/questions", "upvote", {"question_id": 0}),
    ("/questions", "approve", {"question_id": 0}),
    ("/questions", "no_such_event", {}),
])
def test_any_event_flood_ends_in_a_disconnect(limited, world, socket_client, namespace, event, payload):
    flooder = _phone(socket_client, world.b, world.participant, namespace)
    acks = []
    while flooder.is_connected(namespace) and len(acks) < 1_000:
        acks.append(flooder.emit(event, payload, namespace=namespace, callback=True))
    assert not flooder.is_connected(namespace) and len(acks) < 100
    assert acks[-1]["ok"] is False and all(isinstance(a["error"], str) for a in acks)
    assert TOO_MANY in {a["error"] for a in acks} or event == "no_such_event"


def test_a_phone_used_by_a_person_is_never_limited(limited, world, socket_client):
    live.open_poll(world.poll)
    phone = _phone(socket_client, world.b, world.participant)
    wall = _phone(socket_client, world.b, world.participant, "/questions")
    for choice in ("snog", "marry", "avoid") * 3:  # nine quick changes of mind, as fast as a thumb can
        assert phone.emit("vote", {"poll_id": world.poll.id, "choice": choice}, namespace="/live", callback=True)["ok"]
    for n in range(12):  # then voting and upvoting at a person's pace for a few seconds
        assert phone.emit("vote", {"poll_id": world.poll.id, "choice": "snog"}, namespace="/live", callback=True)["ok"]
        ack = wall.emit("upvote", {"question_id": world.other_question.id}, namespace="/questions", callback=True)
        assert ack["ok"] or ack["error"] != TOO_MANY, ack
        if n % 4 == 0:
            assert wall.emit("state", {}, namespace="/questions", callback=True)["ok"]
        time.sleep(0.25)


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_malformed_packets_get_an_error_ack_never_an_exception(app, world, socket_client, namespace):
    phone = _phone(socket_client, world.b, world.participant, namespace)
    deep = "[" * 20_000 + "]" * 20_000
    cases = {
        f'2{namespace},1["state",{deep}]': "That message could not be read.",
        f'2{namespace},2["vote",{{"poll_id":{"[" * 40}1{"]" * 40}}}]': "That message could not be read.",
        f'2{namespace},3{deep}': "That message could not be read.",
        f'2{namespace},4["connect",{{"code":"X"}}]': "That event name is reserved.",
        f'2{namespace},5["disconnect","client namespace disconnect"]': "That event name is reserved.",
        f'2{namespace},6{{"a":1}}': "That message could not be read.",
        f'2{namespace},7[]': "That message could not be read.",
        f'2{namespace},8[7,{{}}]': "That message could not be read.",
        f'2{namespace},9["no_such_event",{{}}]': "Unknown event.",
        f'2{namespace},10["__init__",{{}}]': "Unknown event.",
        f'2{namespace},11["state",': "That message could not be read.",
        f'2{namespace},12["vote",{{"poll_id":1{"0" * 200}}}]': "That message could not be read.",
        f"4{namespace},13[]": "That message could not be read.",  # CONNECT_ERROR is the server's to send
        f"7{namespace},14[]": "That message could not be read.",  # no such packet type
    }
    for text, error in cases.items():
        assert _raw(phone, text, namespace) == {"ok": False, "error": error}, text[:60]
    for junk in ("9", "[[[[", "x", "2/nowhere,1[\"state\"]", "2" + "1" * 200):
        assert _raw(phone, junk, namespace) is None  # nothing to answer, and no exception
    assert phone.is_connected(namespace)
    assert phone.emit("state", {}, namespace=namespace, callback=True)["ok"]  # still served


def test_binary_events_are_refused_with_an_ack(app, world, socket_client):
    phone = _phone(socket_client, world.b, world.participant)
    socketio.server._handle_eio_message(phone.eio_sid, '51-/live,1["vote",{"_placeholder":true,"num":0}]')
    phone.acks = None
    socketio.server._handle_eio_message(phone.eio_sid, b"\x00\x01binary")
    assert phone.acks["args"] == [{"ok": False, "error": "Binary messages are not accepted."}]
    socketio.server._handle_eio_message(phone.eio_sid, '52-/live,2["vote",{"_placeholder":true,"num":7}]')
    phone.acks = None
    socketio.server._handle_eio_message(phone.eio_sid, b"a")
    socketio.server._handle_eio_message(phone.eio_sid, b"b")
    assert phone.acks["args"] == [{"ok": False, "error": "Binary messages are not accepted."}]
    assert phone.emit("state", {}, namespace="/live", callback=True)["ok"]


def test_a_client_connect_event_cannot_reconnect_or_forget_the_socket(app, world, socket_client):
    control = socket_client(auth={"code": world.b.join_code, "role": "control"},
                            http=login(app.test_client(), world.bob))
    phone = _phone(socket_client, world.b, world.participant)
    as_control = {"code": world.b.join_code, "role": "control"}
    assert phone.emit("connect", as_control, namespace="/live", callback=True)["ok"] is False
    assert phone.emit("disconnect", "client namespace disconnect", namespace="/live", callback=True)["ok"] is False
    assert phone.emit("vote", {"poll_id": world.poll.id, "choice": "snog"}, namespace="/live",
                      callback=True)["error"] == "Voting is closed for this poll."  # still a known phone
    assert phone.emit("poll_open", {"poll_id": world.poll.id}, namespace="/live", callback=True)["ok"] is False
    assert control.emit("poll_open", {"poll_id": world.poll.id}, namespace="/live", callback=True)["ok"]


def test_safe_json_refuses_deep_documents_and_reads_normal_ones():
    assert SafeJSON.loads('["vote",{"poll_id":1,"choice":["a","b",[1,[2]]]}]')[1]["poll_id"] == 1
    for deep in ("[" * 20_000 + "]" * 20_000, "[" * 40 + "]" * 40, '{"a":' * 33 + "1" + "}" * 33):
        with pytest.raises(ValueError):
            SafeJSON.loads(deep)
    assert SafeJSON.loads("[" * 32 + "]" * 32) is not None
    assert SafeJSON.loads('"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["') == "[" * 40  # brackets in text are text
