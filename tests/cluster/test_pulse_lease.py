"""The flush lease in Redis (workshop/realtime/pulse.py): one leader at a time, shared dirty keys, hand-over."""

import uuid

import pytest
import redis

from tests.cluster.conftest import REDIS_URL, redis_available
from tests.conftest import need
from workshop.live import ballots
from workshop.live import service as live
from workshop.realtime import pulse

seen: list[set] = []


@pulse.on_flush("test_lease")
def _record(keys: set) -> None:
    seen.append(keys)


@pytest.fixture
def shared(app):
    """The test app with Redis shared state in a namespace of its own, plus a second 'process' identity."""
    need(redis_available(), "Redis is not reachable at 127.0.0.1:6379")
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=REDIS_URL, REDIS_NAMESPACE=namespace)
    seen.clear()
    yield app
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{namespace}:*"):
        client.delete(key)
    pulse._identity.pop(id(app), None)


def test_one_leader_at_a_time_and_a_free_lease_is_taken_over(shared):
    """A second process cannot take a held lease; once it lapses, it can."""
    assert pulse.is_leader(shared) is True
    assert pulse.is_leader(shared) is True  # renewing
    first = pulse.identity(shared)
    pulse._identity[id(shared)] = "other-host:1:abcd"  # now speak as another process
    assert pulse.is_leader(shared) is False
    assert pulse.leader(shared) == first
    redis.Redis.from_url(REDIS_URL).delete(f"{shared.config['REDIS_NAMESPACE']}:pulse:leader")  # lease expired
    assert pulse.is_leader(shared) is True
    assert pulse.leader(shared) == "other-host:1:abcd"


def test_marks_from_every_process_are_flushed_once(shared):
    """Dirty keys live in Redis: the leader's flush gets every key once, the next flush nothing."""
    pulse.mark("test_lease", 7)
    pulse.mark("test_lease", 7)
    pulse.mark("test_lease", 8)
    assert redis.Redis.from_url(REDIS_URL).scard(f"{shared.config['REDIS_NAMESPACE']}:pulse:dirty:test_lease") == 2
    pulse.flush()
    pulse.flush()
    assert [keys for keys in seen] == [{7, 8}]


def test_a_vote_marks_its_poll_in_redis(shared, make_workshop, make_participant, make_poll):
    """The live service's marks go to the shared sets when REDIS_URL is set."""
    workshop = make_workshop()
    poll = make_poll(workshop)
    live.open_poll(poll)
    ballots.submit_vote(make_participant(workshop).id, poll.id, "snog")
    members = redis.Redis.from_url(REDIS_URL).smembers(f"{shared.config['REDIS_NAMESPACE']}:pulse:dirty:tally")
    assert members == {str(poll.id).encode()}
