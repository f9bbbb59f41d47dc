"""The set-up the /live and /questions namespaces share: who each socket is, the connect, the role checks.

The base knows no area: a subclass says how a connect is authorised (``resolve``) and how a socket's
workshop and participant are loaded (``load``); live/events.py supplies both for the two namespaces.
"""

from dataclasses import dataclass

from flask import request
from flask_login import current_user

from . import rooms
from .guard import GuardedNamespace


@dataclass
class Client:
    """What the server remembers about one connected socket."""

    role: str
    workshop_id: int
    participant_id: int | None = None
    user_id: int | None = None  # control screens: the facilitator signed in when it connected


def error(message: str) -> dict:
    """The error ack every handler returns for refused input."""
    return {"ok": False, "error": message}


FACILITATORS_ONLY = "facilitators only"


class WorkshopNamespace(GuardedNamespace):
    """A namespace of one workshop's phones, projectors and control screens (one ``clients`` map per subclass)."""

    clients: dict[str, Client] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.clients = {}

    @staticmethod
    def resolve(auth):
        """Check connect auth; returns (workshop, Client, participant or None) or raises ConnectionRefusedError."""
        raise NotImplementedError

    @staticmethod
    def load(client: Client):
        """The socket's workshop and participant (None for either that is gone)."""
        raise NotImplementedError

    def admit(self, auth):
        """Authorise a connect, remember the socket and join its rooms; returns what ``resolve`` found."""
        workshop, client, participant = self.resolve(auth)
        self.clients[request.sid] = client
        rooms.join_for(workshop.id, client.role, client.participant_id, client.user_id)
        return workshop, client, participant

    def on_disconnect(self, reason=None):
        """Forget the socket."""
        self.forget()

    def forget(self) -> Client | None:
        """Drop the calling socket's Client; returns it (None when it never connected)."""
        return self.clients.pop(request.sid, None)

    def context(self):
        """(client, workshop, participant) of the calling socket; None for what it does not have."""
        client = self.clients.get(request.sid)
        return (client, *self.load(client)) if client else (None, None, None)

    def resync_refusal(self, client: Client | None, workshop) -> dict | None:
        """Why a ``state`` request is refused: not connected, or a control screen whose host signed out."""
        if workshop is None:
            return error("not connected to a workshop")
        if client.role == "control" and not workshop.is_facilitator(current_user):
            return error(FACILITATORS_ONLY)
        return None

    def control(self, data):
        """(workshop, payload, None) for a facilitator's control screen, else (None, None, error ack).

        Every control event re-checks the facilitator against the workshop on the server.
        """
        client, workshop, _ = self.context()
        if client is None or client.role != "control" or workshop is None or not workshop.is_facilitator(current_user):
            return None, None, error(FACILITATORS_ONLY)
        data = {} if data is None else data
        if not isinstance(data, dict):
            return None, None, error("payload must be an object")
        return workshop, data, None
