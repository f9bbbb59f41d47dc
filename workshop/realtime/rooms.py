"""Socket.IO room names: one room per workshop and one per role inside it.

Control screens sit in one room per facilitator (``w{id}:control:u{facilitator}``), not one shared
room: signing out closes that facilitator's rooms on every process (python-socketio's message
queue carries ``close_room``), so an open control tab stops receiving held questions and full
results at once, and its actions are refused (the session epoch, accounts/service.py).
"""

from flask_socketio import join_room

from ..extensions import socketio
from . import pulse


def everyone(workshop_id: int) -> str:
    """Phones, projectors and control screens of a workshop."""
    return f"w{workshop_id}"


def phones(workshop_id: int) -> str:
    """Participants' phones."""
    return f"w{workshop_id}:phones"


def screens(workshop_id: int) -> str:
    """Projector screens."""
    return f"w{workshop_id}:screen"


def control_of(workshop_id: int, facilitator_id: int) -> str:
    """One facilitator's control screens of a workshop."""
    return f"w{workshop_id}:control:u{facilitator_id}"


def to_control(event: str, payload: dict, workshop_id: int, namespace: str, hosts) -> None:
    """Emit to the control screens of ``hosts``, the workshop's current facilitators' ids (planner.host_ids: a
    removed co-facilitator's screen goes quiet); nothing without one: an empty ``to`` list would make
    python-socketio broadcast to every client of the namespace."""
    targets = [control_of(workshop_id, facilitator_id) for facilitator_id in hosts]
    if targets:
        socketio.emit(event, payload, to=targets, namespace=namespace)


def close_controls(facilitator_id: int, workshop_ids: list[int], namespaces: tuple[str, ...]) -> None:
    """Take every control screen of this facilitator out of its rooms, on every process."""
    for workshop_id in workshop_ids:
        for namespace in namespaces:
            socketio.close_room(control_of(workshop_id, facilitator_id), namespace=namespace)


def phone_slice(workshop_id: int, slice_: int) -> str:
    """One of the pulse's slices of the phones (see pulse.spread): the 1 Hz fan-out goes a slice per tick."""
    return f"w{workshop_id}:phones:{slice_}"


def to_phone_slice(event: str, payload: dict, workshop_id: int, namespace: str):
    """A pulse.spread sender: ``payload`` to one slice of the workshop's phones (plain values only)."""
    return lambda slice_: socketio.emit(event, payload, to=phone_slice(workshop_id, slice_), namespace=namespace)


def join_for(workshop_id: int, role: str, participant_id: int | None = None, user_id: int | None = None) -> None:
    """Join the calling socket to the workshop room, its role room and, for phones, its slice."""
    join_room(everyone(workshop_id))
    if role == "control":
        join_room(control_of(workshop_id, user_id))
    else:
        join_room({"phone": phones, "projector": screens}[role](workshop_id))
    if participant_id is not None:  # by participant, so every process puts a phone in the same slice
        join_room(phone_slice(workshop_id, participant_id % pulse.SLICES))
