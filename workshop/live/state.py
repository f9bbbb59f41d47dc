"""The whole state a (re)connecting live screen needs, in one message."""

from ..extensions import db
from ..models import utcnow
from ..planner.models import Workshop
from . import presence
from .joining import joining_state
from .models import Participant
from .moves import shown_moves
from .payloads import my_vote, poll_payload, segment_payload, workshop_payload
from .perception import my_prediction
from .reactions import reactions_payload
from .service import close_quietly, current_poll, list_polls


def session_state(workshop: Workshop, role: str, participant: Participant | None = None) -> dict:
    """Everything a (re)connecting client needs, in one message."""
    poll = current_poll(workshop)
    if poll is not None and poll.time_is_up(utcnow()):  # its countdown ended while no process was watching
        close_quietly(poll)
    full = role == "control"
    state = {
        "role": role, "workshop": workshop_payload(workshop), "segment": segment_payload(workshop),
        "poll": poll_payload(poll, full=full, reuse=True) if poll else None,
        # phones: on/off, the set and their pace; projectors and control: the segment's totals
        "reactions": reactions_payload(
            workshop, totals=role != "phone", phone=participant.id if role == "phone" and participant else None
        ),
    }
    if participant is not None:
        state["me"] = {"participant_id": participant.id, "stance": participant.stance,
                       "has_ticket": participant.has_ticket}
        state["my_vote"] = my_vote(poll, participant)
        state["my_prediction"] = my_prediction(poll, participant)
    if role != "phone":  # joining defences: full status for control, the public part for projectors
        state["joining"] = joining_state(workshop, role)
    if full:
        state["polls"] = [poll_payload(p, full=True) for p in list_polls(workshop)]
        state["agenda"] = [{"id": i.id, "title": i.title, "kind": i.kind.value, "minutes": i.minutes,
                            "started_at": i.started_at and i.started_at.isoformat() + "Z",
                            "ended_at": i.ended_at and i.ended_at.isoformat() + "Z"} for i in workshop.agenda]
        state["participants"] = db.session.query(Participant).filter_by(workshop_id=workshop.id).count()
    if role in ("control", "projector"):
        state["room"] = presence.payload(workshop.id)
        state["moves"] = shown_moves(workshop, full=full)  # who moved, when the projector shows it
    return state
