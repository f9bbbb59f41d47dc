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


def join_for(workshop_id: int, role: str) -> None:
    """Join the calling socket to the workshop room and its role room."""
    from flask_socketio import join_room

    join_room(everyone(workshop_id))
    join_room({"phone": phones, "projector": screens, "control": control}[role](workshop_id))
