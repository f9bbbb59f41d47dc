"""Join pages, the phone, projector and control screens."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for

from ..auth import facilitator_required
from ..extensions import csrf
from ..planner.service import find_by_code
from ..ratelimit import limit
from ..registration.tickets import qr_svg
from . import service
from .forms import CodeForm, StanceForm, TicketForm
from .service import LiveError

bp = Blueprint("live", __name__)


def _workshop_for(code: str):
    return find_by_code(code) or abort(404, description="No workshop uses that code. Check the code on the screen.")


def _remember(workshop, participant) -> None:
    # The signed session cookie is the participant's only identity: no account, no app.
    tokens = dict(session.get("participants") or {})
    tokens[str(workshop.id)] = participant.token
    session["participants"] = tokens
    session.permanent = True


def current_participant(workshop):
    """The participant this browser is, if it has joined."""
    token = (session.get("participants") or {}).get(str(workshop.id))
    return service.participant_by_token(workshop.id, token)


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Type a code."""
    form = CodeForm()
    if form.validate_on_submit():
        workshop = find_by_code(form.code.data)
        if workshop:
            return redirect(url_for("live.join_code", code=workshop.join_code))
        form.code.errors.append("No workshop uses that code. Check the code on the screen.")
    return render_template("live/join.html", form=form), 200 if not form.errors else 400


@bp.route("/j/<code>", methods=["GET", "POST"])
def join_code(code):
    """The QR target: pick a stance (or use a ticket), then straight to the phone screen."""
    workshop = _workshop_for(code)
    if request.method == "GET" and current_participant(workshop):
        return redirect(url_for("live.phone", code=workshop.join_code))
    form, ticket_form = StanceForm(), TicketForm()
    form.set_stances(workshop.stances)
    if form.validate_on_submit():
        if not limit("join", request.remote_addr or "?", *current_app.config["JOIN_RATE"]):
            form.stance.errors.append("Too many joins from this connection. Wait a minute and try again.")
        else:
            _remember(workshop, service.create_participant(workshop, form.stance.data))
            return redirect(url_for("live.phone", code=workshop.join_code))
    status = 400 if form.errors else 200
    return render_template("live/join_stance.html", workshop=workshop, form=form, ticket_form=ticket_form), status


@bp.route("/j/<code>/ticket", methods=["POST"])
def join_ticket(code):
    """Bind this phone to a ticket: stance from registration, presence from check-in."""
    workshop = _workshop_for(code)
    form, ticket_form = StanceForm(), TicketForm()
    form.set_stances(workshop.stances)
    if ticket_form.validate_on_submit():
        if not limit("ticket", request.remote_addr or "?", 20, 60):
            ticket_form.ticket.errors.append("Too many attempts. Wait a minute and try again.")
        else:
            try:
                _remember(workshop, service.bind_ticket(workshop, ticket_form.ticket.data))
                flash("Your phone is linked to your ticket.", "success")
                return redirect(url_for("live.phone", code=workshop.join_code))
            except LiveError as exc:
                ticket_form.ticket.errors.append(str(exc))
    return render_template("live/join_stance.html", workshop=workshop, form=form, ticket_form=ticket_form), 400


@bp.route("/api/w/<code>/participants", methods=["POST"])
@csrf.exempt  # creates an anonymous identity only; nothing to forge on someone's behalf
def api_join(code):
    """JSON join for non-browser clients (benchmark, kiosks): returns the participant token."""
    workshop = _workshop_for(code)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("stance", ""), (str, type(None))):
        return {"ok": False, "error": "send {\"stance\": \"...\"}"}, 400
    if not limit("join", request.remote_addr or "?", *current_app.config["JOIN_RATE"]):
        return {"ok": False, "error": "too many joins"}, 429
    try:
        participant = service.create_participant(workshop, data.get("stance"))
    except LiveError as exc:
        return {"ok": False, "error": str(exc)}, 400
    return {"ok": True, "token": participant.token, "participant_id": participant.id}, 201


@bp.route("/live/<code>")
def phone(code):
    """The phone screen: vote and ask."""
    workshop = _workshop_for(code)
    participant = current_participant(workshop)
    if participant is None:
        return redirect(url_for("live.join_code", code=workshop.join_code))
    return render_template("live/phone.html", workshop=workshop, participant=participant)


@bp.route("/live/<code>/screen")
def projector(code):
    """The projector: join QR, the poll, results split by stance, the question wall."""
    workshop = _workshop_for(code)
    return render_template("live/projector.html", workshop=workshop, join_url=service.join_url(workshop))


@bp.route("/live/<code>/qr.svg")
def join_qr(code):
    """QR code of the short join URL."""
    workshop = _workshop_for(code)
    return Response(qr_svg(service.join_url(workshop)), mimetype="image/svg+xml")


@bp.route("/planner/<slug>/control")
@facilitator_required
def control(workshop):
    """The facilitator's control screen (works on a phone)."""
    return render_template("live/control.html", workshop=workshop)
