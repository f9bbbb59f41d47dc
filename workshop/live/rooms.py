"""Socket.IO room names: one room per workshop and one per role inside it."""


def everyone(workshop_id: int) -> str:
    """Phones, projectors and control screens of a workshop."""
    return f"w{workshop_id}"


def phones(workshop_id: int) -> str:
    """Participants' phones."""
    return f"w{workshop_id}:phones"


def screens(workshop_id: int) -> str:
    """Projector screens."""
    return f"w{workshop_id}:screen"


def control(workshop_id: int) -> str:
    """Facilitators' control screens."""
    return f"w{workshop_id}:control"


def phone_slice(workshop_id: int, slice_: int) -> str:
    """One of the pulse's slices of the phones (see pulse.spread): the 1 Hz fan-out goes a slice per tick."""
    return f"w{workshop_id}:phones:{slice_}"


def to_phone_slice(event: str, payload: dict, workshop_id: int, namespace: str):
    """A pulse.spread sender: ``payload`` to one slice of the workshop's phones (plain values only)."""
    from ..extensions import socketio

    return lambda slice_: socketio.emit(event, payload, to=phone_slice(workshop_id, slice_), namespace=namespace)


def join_for(workshop_id: int, role: str, participant_id: int | None = None) -> None:
    """Join the calling socket to the workshop room, its role room and, for phones, its slice."""
    from flask_socketio import join_room

    from .. import pulse

    join_room(everyone(workshop_id))
    join_room({"phone": phones, "projector": screens, "control": control}[role](workshop_id))
    if participant_id is not None:  # by participant, so every process puts a phone in the same slice
        join_room(phone_slice(workshop_id, participant_id % pulse.SLICES))
