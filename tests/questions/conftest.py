"""Question wall fixtures."""

import pytest

from workshop import ratelimit


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """In-memory rate-limit windows are per process: start every test with none."""
    ratelimit._memory.clear()
    yield
    ratelimit._memory.clear()
