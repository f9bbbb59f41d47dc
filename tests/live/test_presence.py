"""People in the room: the live count of connected phones on projector and control screens."""

import pytest

from tests.conftest import need
from workshop.live import presence
from workshop.realtime import pulse


def rooms_heard(sc):
    return [m["args"][0]["phones"] for m in sc.get_received("/live") if m["name"] == "room"]


def phone(socket_client, workshop, participant):
    return socket_client(auth={"code": workshop.join_code, "role": "phone", "token": participant.token})


def test_projector_hears_phones_join_and_leave(socket_client, make_workshop, make_participant):
    workshop = make_workshop()
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    first = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "state"][0]
    assert first["room"]["phones"] == 0
    phones = [phone(socket_client, workshop, make_participant(workshop)) for _ in range(3)]
    pulse.flush()
    assert rooms_heard(projector) == [3]  # three joins in one tick: one coalesced message
    phones[0].disconnect("/live")
    pulse.flush()
    assert rooms_heard(projector) == [2]


def test_screens_do_not_count_as_people(socket_client, make_workshop):
    workshop = make_workshop()
    socket_client(auth={"code": workshop.join_code, "role": "projector"})
    assert presence.count(workshop.id) == 0


@pytest.fixture
def redis_app(app):
    from workshop.ratelimit import redis_client

    try:
        redis_client("redis://127.0.0.1:6379/0").ping()
    except Exception:  # noqa: BLE001 - any failure means no Redis here
        need(False, "Redis on 127.0.0.1:6379 is needed for the shared count")
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", REDIS_NAMESPACE=f"test-presence-{id(app)}")
    yield app
    redis_client("redis://127.0.0.1:6379/0").delete(presence._key(app, 1))


def test_with_redis_the_count_is_the_sum_over_fresh_processes(redis_app):
    from workshop.ratelimit import redis_client

    key = presence._key(redis_app, 1)
    client = redis_client("redis://127.0.0.1:6379/0")
    import time

    client.hset(key, mapping={"other-process": f"40:{time.time()}", "dead-process": f"99:{time.time() - 60}"})
    presence._write(redis_app, 1, 2)
    assert presence.count(1) == 42  # the dead process's phones no longer count
