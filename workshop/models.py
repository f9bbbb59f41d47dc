"""Shared model helpers: UTC timestamps and a state-machine base."""

import enum
import secrets
from datetime import UTC, datetime

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read aloud and type


def utcnow() -> datetime:
    """Naive UTC now: every timestamp in the database is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def is_key(value) -> bool:
    """True for an int a database id column can hold (not a bool, not beyond 64 bits): safe to look up."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def random_code(length: int) -> str:
    """A random code from an unambiguous alphabet (join codes, ticket codes)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class IllegalTransition(ValueError):
    """Raised when a state change is not allowed from the current state."""


class StateEnum(str, enum.Enum):
    """A str enum whose members list the states they may move to."""

    def can_become(self, target: "StateEnum") -> bool:
        """True when ``target`` is a legal next state."""
        return target.value in self.transitions().get(self.value, ())

    @classmethod
    def transitions(cls) -> dict:
        """Mapping of state value to the values it may move to."""
        raise NotImplementedError
