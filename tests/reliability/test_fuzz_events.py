"""Property tests: arbitrary JSON at every Socket.IO event, from every role. An ack every time, never an
exception, and the database still consistent."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from tests.reliability.conftest import FUZZ_EXAMPLES
from tests.security.test_authorisation import NAMESPACES
from workshop.live import service as live

KEYS = ["poll_id", "choice", "item_id", "question_id", "into_id", "reason", "action_id", "mode", "text", "name"]
EVENTS = [(ns, n[3:]) for ns, cls in sorted(NAMESPACES.items()) for n in sorted(dir(cls))
          if n.startswith("on_") and n[3:] not in ("connect", "disconnect")]


def json_values(ids: list[int]):
    """Any JSON value, with the real ids and answers mixed in so handlers get past the first checks."""
    leaves = (st.none() | st.booleans() | st.integers() | st.sampled_from(ids + [0, -1, 2**63, 2**70])
              | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50)
              | st.sampled_from(["snog", "marry", "avoid", "0", "1", "queue", "post", "duplicate", "off-topic", "a\x00"]))
    values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
    objects = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), values, max_size=5)
    likely = {"choice": st.sampled_from(["snog", "marry", "avoid", "0", ["avoid", "snog", "marry"]]),
              "text": st.text(min_size=1, max_size=300), "name": st.text(max_size=100),
              "reason": st.sampled_from(["duplicate", "off-topic", "abusive", "answered-elsewhere"]),
              "mode": st.sampled_from(["post", "queue"])}
    plausible = st.fixed_dictionaries({}, optional={
        k: st.sampled_from(ids) if k.endswith("id") else (likely[k] | values if k in likely else values) for k in KEYS})
    return plausible | objects | values


def _sockets(app, world, socket_client, namespace):
    """A phone, a projector and the owner's control screen, all on workshop B."""
    code = world.b.join_code
    control = socket_client(namespace=namespace, auth={"code": code, "role": "control"},
                            http=login(app.test_client(), world.bob))
    phone = socket_client(namespace=namespace, auth={"code": code, "role": "phone", "token": world.participant.token})
    projector = socket_client(namespace=namespace, auth={"code": code, "role": "projector"})
    for sc in (control, phone, projector):
        assert sc.is_connected(namespace)
    return control, phone, projector


@pytest.mark.parametrize("namespace,event", EVENTS)
def test_arbitrary_json_gets_an_ack(app, world, socket_client, make_poll, consistent, namespace, event):
    classic = make_poll(world.b, kind="classic")
    live.open_poll(world.poll)
    sockets = _sockets(app, world, socket_client, namespace)
    ids = [world.poll.id, classic.id, world.item.id, world.question.id, world.other_question.id, 1, 2]
    seen, errors = [], set()

    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(payload=json_values(ids))
    def run(payload):
        for sc in sockets:
            ack = sc.emit(event, payload, namespace=namespace, callback=True)
            assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (payload, ack)
            if not ack["ok"]:
                assert isinstance(ack.get("error"), str) and ack["error"], ack
                assert "could not be saved" not in ack["error"], (payload, ack)  # a server failure, not a refusal
            seen.append(ack["ok"])
            errors.add(ack.get("error"))
            sc.get_received(namespace)  # drop pushed broadcasts
        consistent()

    run()
    assert len(seen) >= 3 * FUZZ_EXAMPLES * 0.8
    print(f"\nFUZZ {namespace} {event}: {len(seen)} cases, {seen.count(True)} accepted, {seen.count(False)} refused", sorted(map(str, errors))[:8])


def nested(depth: int, leaf="1") -> str:
    """A JSON document ``depth`` lists deep."""
    return "[" * depth + leaf + "]" * depth


def raw_packets(namespace: str, ids: list[int]):
    """Encoded Socket.IO packets of every shape a hostile client can send: any event name (reserved
    ``connect``/``disconnect``, unknown, not a string), any payload (deep nesting up to 20,000 levels,
    wrong types), binary events with attachments, broken JSON and unknown packet types."""
    known = sorted({name for ns, name in EVENTS if ns == namespace})
    names = st.sampled_from(known + ["connect", "disconnect", "connect_error", "message", "__init__", "no_such"]) \
        | st.text(max_size=12)
    payloads = json_values(ids).map(json.dumps) \
        | st.integers(0, 20_000).map(nested) | st.sampled_from(["{", "[1,", "\"x", "1" * 200, "NaN"])
    event = st.builds(lambda n, p, i: f'2{namespace},{i}[{json.dumps(n)},{p}]', names, payloads,
                      st.integers(1, 10**6))
    not_a_list = st.builds(lambda p, i: f"2{namespace},{i}{p}", payloads, st.integers(1, 10**6))
    odd_type = st.builds(lambda t, i: f"{t}{namespace},{i}[\"state\"]", st.sampled_from("4789"), st.integers(1, 99))
    binary = st.builds(lambda n, k: (f'5{k}-{namespace},1[{json.dumps(n)},'
                                     f'{{"_placeholder":true,"num":{k - 1}}}]', [b"\x00\xff"] * k),
                       names, st.integers(1, 3))
    return event | not_a_list | odd_type | binary


@pytest.mark.parametrize("namespace", sorted(NAMESPACES))
def test_malformed_packets_get_an_ack_never_an_exception(app, world, socket_client, consistent, namespace):
    """Packets python-socketio decodes before any handler runs: no exception, an error ack when the packet
    asked for one, and the socket keeps working (rate limits are off here: the flood tests cover those)."""
    from workshop.extensions import socketio

    live.open_poll(world.poll)
    sockets = _sockets(app, world, socket_client, namespace)
    ids = [world.poll.id, world.item.id, world.question.id, 1]
    answered = []

    @settings(max_examples=FUZZ_EXAMPLES * 5, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(packet=raw_packets(namespace, ids))
    def run(packet):
        text, attachments = packet if isinstance(packet, tuple) else (packet, [])
        for sc in sockets:
            sc.acks = None
            socketio.server._handle_eio_message(sc.eio_sid, text)  # raises if decoding or a handler fails
            for attachment in attachments:
                socketio.server._handle_eio_message(sc.eio_sid, attachment)
            if sc.acks is not None:
                ack = sc.acks["args"][0]
                assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (text[:80], ack)
                answered.append(ack["ok"])
            sc.acks = None
            sc.get_received(namespace)
            assert sc.is_connected(namespace), text[:80]
        consistent()

    run()
    for sc in sockets:
        assert sc.emit("state", {}, namespace=namespace, callback=True)["ok"]
    assert answered, "no packet was answered"
