"""Property tests: arbitrary JSON at every Socket.IO event, from every role. An ack every time, never an
exception, and the database still consistent."""

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
