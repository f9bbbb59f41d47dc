"""Who moved on the live screens: showing a re-run poll's flows on the projector (and taking them off again),
what screens are sent of them, and the planner's "planned as a re-run" flag. The only writers of
``Poll.moves_shown`` and ``Poll.rerun_planned``.
"""

import logging

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db, socketio
from ..planner.models import Workshop
from ..planner.service import host_ids
from ..realtime import pulse, rooms
from .flows import mark, poll_flows, side_view
from .models import Poll
from .payloads import NS, broadcast_poll
from .sankey import sankey_svg
from .service import LiveError
from .tally import NOT_STATED

log = logging.getLogger("workshop.live")
EVERYONE = "*"
NOT_RUN_TWICE = "Who moved needs a poll with one answer per person that has votes in two runs: re-run it first."


def min_group() -> int:
    """The smallest group shown (the stance split's rule)."""
    return current_app.config.get("STANCE_MIN_GROUP", 5)


def moves_payload(poll: Poll, side: str | None = None, full: bool = False) -> dict | None:
    """What a screen shows of a poll's flows: one view (everyone, or one stance), its headline and its diagram
    (SVG). ``full`` (control) adds the list of sides to choose from. None when the poll cannot show flows."""
    flows = poll_flows(poll, min_group())
    if flows is None:
        return None
    view = side_view(flows, side if side != EVERYONE else None)
    stances = list(poll.workshop.stances)
    words = flows["labels"]
    side = None if side in (None, EVERYONE) else side
    where = f"{mark(stances, side)} {side}".strip() if side else "Everyone"
    title = f"Who moved from round {flows['first']} to round {flows['last']}: {where}"
    table = {"flows": [], "other": 0} if view.get("hidden") else view
    payload = {
        "poll_id": poll.id,
        "prompt": poll.prompt,
        "first": flows["first"],
        "last": flows["last"],
        "side": side,
        "mark": mark(stances, side) if side else "",
        "hidden": bool(view.get("hidden")),
        "shown": poll.moves_shown == (side or EVERYONE),
        "headline": view["headline"],
        "min_group": flows["min_group"],
        "changed": view.get("changed"),
        "total": view.get("total"),
        "other": table["other"],
        "flows": [{**f, "from_label": words[f["from"]], "to_label": words[f["to"]]} for f in table["flows"]],
        "svg": str(
            sankey_svg(
                f"moves{poll.id}",
                table,
                words,
                flows["answers"],
                "stage",
                title,
                flows["first"],
                flows["last"],
                "Too few people on this side to show" if view.get("hidden") else "Nobody voted in both rounds",
            )
        ),
    }
    if full:
        payload["sides"] = [
            {"stance": g["stance"], "mark": g["mark"], "hidden": bool(g.get("hidden"))} for g in flows["by_stance"]
        ]
    return payload


def shown_moves(workshop: Workshop, full: bool = False) -> dict | None:
    """The flows the projector shows now (for the ``state`` of projectors and control screens), or None."""
    poll = db.session.scalar(select(Poll).where(Poll.workshop_id == workshop.id, Poll.moves_shown.is_not(None)))
    return moves_payload(poll, poll.moves_shown, full) if poll else None


def checked_moves(poll: Poll, side: str | None) -> dict:
    """The control screen's view of a poll's flows; LiveError for an unknown side or a poll without two runs."""
    if side and side not in [*poll.workshop.stances, NOT_STATED]:
        raise LiveError("side must be one of this workshop's stances, or null for everyone")
    payload = moves_payload(poll, side or None, full=True)
    if payload is None:
        raise LiveError(NOT_RUN_TWICE)
    return payload


def show_moves(poll: Poll, shown: bool, side: str | None = None) -> dict:
    """Put a poll's who-moved flows on the projector (everyone, or one stance) or take them off; broadcasts."""
    side = side or None
    payload = checked_moves(poll, side)
    if shown:  # one diagram on the projector at a time
        db.session.execute(
            update(Poll).where(Poll.workshop_id == poll.workshop_id, Poll.id != poll.id).values(moves_shown=None)
        )
    poll.moves_shown = (side or EVERYONE) if shown else None
    db.session.commit()
    log.info(
        "who moved %s workshop=%s poll=%s side=%s", "shown" if shown else "hidden", poll.workshop_id, poll.id, side
    )
    broadcast_moves(poll)
    return {**payload, "shown": shown}


def broadcast_moves(poll: Poll) -> None:
    """Tell projectors and control screens what the projector shows of the flows now."""
    payload = moves_payload(poll, poll.moves_shown, full=True) if poll.moves_shown else None
    public = (
        {"poll_id": poll.id, "shown": False} if payload is None else {k: v for k, v in payload.items() if k != "sides"}
    )
    socketio.emit("moves", public, to=rooms.screens(poll.workshop_id), namespace=NS)
    rooms.to_control("moves", payload or public, poll.workshop_id, NS, host_ids(poll.workshop_id))


@pulse.on_flush("moves", every=10)
def _refresh_moves(poll_ids: set) -> None:
    # Votes arriving while the flows are on the projector (a re-run still open): at most once a second.
    for poll in db.session.scalars(select(Poll).where(Poll.id.in_(poll_ids), Poll.moves_shown.is_not(None))):
        broadcast_moves(poll)


def plan_rerun(poll: Poll, planned: bool) -> Poll:
    """Mark a poll as one the facilitators mean to run again (the control screen offers the re-run)."""
    poll.rerun_planned = bool(planned)
    db.session.commit()
    broadcast_poll(poll)
    return poll
