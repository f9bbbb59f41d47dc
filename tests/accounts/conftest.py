"""Account fixtures: in-memory sign-in limits start empty for every test."""

import pytest

from workshop import ratelimit


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """In-memory failure counts and locks are per process: start every test with none."""
    ratelimit._memory.clear()
    yield
    ratelimit._memory.clear()
