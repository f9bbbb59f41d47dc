"""Join pages, the phone, projector and control screens."""

import re

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..confirmation import confirm_first
from ..extensions import csrf
from ..planner.access import facilitator_required
from ..planner.service import find_by_code
from ..ratelimit import limit
from ..registration.tickets import qr_svg
from ..web import CSP
from . import addresses, moves, service
from . import joining as gates
from .forms import CodeForm, PollForm, StanceForm, TicketForm, stance_list
from .joining import JoinRefused
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


def _has_pass(workshop) -> bool:
    # A browser that showed a valid key (QR or typed) has a few minutes to pick its stance. The pass is in
    # the signed session cookie, so it is stateless; a script replaying it is still held by the cap.
    window = (session.get("join_pass") or {}).get(str(workshop.id))
    return isinstance(window, int) and 0 <= gates.key_window() - window < gates.PASS_WINDOWS


def _set_pass(workshop, granted: bool) -> None:
    passes = {k: v for k, v in (session.get("join_pass") or {}).items()
              if isinstance(v, int) and gates.key_window() - v < gates.PASS_WINDOWS}  # drop stale passes
    passes.pop(str(workshop.id), None)
    if granted:
        passes[str(workshop.id)] = gates.key_window()
    session["join_pass"] = passes


def _address() -> str:
    return request.remote_addr or "?"


def _typed_code(text: str):
    """The workshop and key in what a person typed: "SNOG", "SNOG 4821" or "snog4821"."""
    workshop = find_by_code(text)
    if workshop:
        return workshop, None
    clean = re.sub(r"[\s-]+", "", text or "")
    digits = gates.KEY_DIGITS
    if len(clean) > digits and clean[-digits:].isdigit():
        return find_by_code(clean[:-digits]), clean[-digits:]
    return None, None


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Type a code (and the key beside it when the workshop's key rotates)."""
    form = CodeForm()
    if form.validate_on_submit():
        workshop, key = _typed_code(form.code.data)
        if workshop is None:
            form.code.errors.append("No workshop uses that code. Check the code on the screen.")
        elif workshop.join_code_rotates and key is not None:
            try:
                gates.verify_key(workshop, key, _address())
            except JoinRefused as exc:
                form.code.errors.append(f"{exc} The screen shows the code and the key, e.g. {workshop.join_code} 1234.")
            else:
                _set_pass(workshop, True)
                return redirect(url_for("live.join_code", code=workshop.join_code))
        else:  # no key typed: the join page asks for it when the workshop needs one
            return redirect(url_for("live.join_code", code=workshop.join_code))
    return render_template("live/join.html", form=form), 200 if not form.errors else 400


def _render_join(workshop, form, ticket_form, status=200):
    needs_key = workshop.join_code_rotates and not _has_pass(workshop)
    return render_template("live/join_stance.html", workshop=workshop, form=form, ticket_form=ticket_form,
                           needs_key=needs_key, notice=gates.join_notice(workshop)), status


@bp.route("/j/<code>", methods=["GET", "POST"])
def join_code(code):
    """The QR target: pick a stance (or use a ticket), then straight to the phone screen."""
    workshop = _workshop_for(code)
    if request.method == "GET" and current_participant(workshop):  # joined phones stay joined, key or not
        return redirect(url_for("live.phone", code=workshop.join_code))
    form, ticket_form = StanceForm(), TicketForm()
    form.set_stances(workshop.stances)
    if request.method == "GET" and workshop.join_code_rotates and request.args.get("k"):
        try:  # the QR's key: remember it, and drop it from the address so the page can be shared harmlessly
            gates.verify_key(workshop, request.args["k"], _address())
            _set_pass(workshop, True)
            return redirect(url_for("live.join_code", code=workshop.join_code))
        except JoinRefused as exc:
            form.key.errors = [str(exc)]  # not validated yet: errors is still an empty tuple
    if form.validate_on_submit():
        if not limit("join", _address(), *current_app.config["JOIN_RATE"]):
            form.stance.errors.append("Too many joins from this connection. Wait a minute and try again.")
        else:
            try:
                participant = gates.join_participant(workshop, form.stance.data, form.key.data, _address(),
                                                       passed=_has_pass(workshop))
            except JoinRefused as exc:
                (form.key if exc.reason == "key" else form.stance).errors.append(str(exc))
            except LiveError as exc:
                form.stance.errors.append(str(exc))
            else:
                _set_pass(workshop, False)
                _remember(workshop, participant)
                return redirect(url_for("live.phone", code=workshop.join_code))
    return _render_join(workshop, form, ticket_form, 400 if request.method == "POST" and form.errors else 200)


@bp.route("/j/<code>/ticket", methods=["POST"])
def join_ticket(code):
    """Bind this phone to a ticket: stance from registration, presence from check-in (allowed while paused or full)."""
    workshop = _workshop_for(code)
    form, ticket_form = StanceForm(), TicketForm()
    form.set_stances(workshop.stances)
    if ticket_form.validate_on_submit():
        if not limit("ticket", _address(), 20, 60):
            ticket_form.ticket.errors.append("Too many attempts. Wait a minute and try again.")
        else:
            try:
                _remember(workshop, gates.join_with_ticket(workshop, ticket_form.ticket.data))
                flash("Your phone is linked to your ticket.", "success")
                return redirect(url_for("live.phone", code=workshop.join_code))
            except LiveError as exc:
                ticket_form.ticket.errors.append(str(exc))
    return _render_join(workshop, form, ticket_form, 400)


@bp.route("/api/w/<code>/participants", methods=["POST"])
@csrf.exempt  # creates an anonymous identity only; nothing to forge on someone's behalf
def api_join(code):
    """JSON join for non-browser clients (benchmark, kiosks): {stance, key?}; returns the participant token."""
    workshop = _workshop_for(code)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not all(isinstance(data.get(k, ""), (str, type(None))) for k in ("stance", "key")):
        return {"ok": False, "error": "send {\"stance\": \"...\", \"key\": \"the key on the screen\"}"}, 400
    if not limit("join", _address(), *current_app.config["JOIN_RATE"]):
        return {"ok": False, "error": "too many joins"}, 429
    try:
        participant = gates.join_participant(workshop, data.get("stance"), data.get("key"), _address())
    except JoinRefused as exc:
        return {"ok": False, "error": str(exc), "reason": exc.reason}, 403
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


def _screen_allowed(workshop) -> bool:
    # The projector page is public (anyone with the code may watch): the rotating key only goes to a
    # facilitator's browser or a screen opened with the control screen's projector link (?s=...).
    return gates.screen_allowed(workshop, request.args.get("s"), current_user)


def _qr_src(workshop) -> str:
    window = gates.key_window() if workshop.join_code_rotates else None  # a new address per key: no stale cache
    return url_for("live.join_qr", code=workshop.join_code, s=request.args.get("s"), w=window)


@bp.route("/live/<code>/screen")
def projector(code):
    """The projector: join QR, the poll, results split by stance, the question wall."""
    workshop = _workshop_for(code)
    keyed = workshop.join_code_rotates and _screen_allowed(workshop)
    page = render_template("live/projector.html", workshop=workshop,
                           join_url=gates.keyed_join_url(workshop) if keyed else addresses.join_url(workshop),
                           join_key=gates.join_key(workshop) if keyed else None, qr_src=_qr_src(workshop),
                           screen_token=request.args.get("s"), preview=bool(request.args.get("preview")))
    return _frameable(page) if request.args.get("preview") else page


def _frameable(page: str) -> Response:
    # ?preview=1: the control screen shows the projector in a same-origin iframe; every other page is DENY.
    response = Response(page)
    response.headers["Content-Security-Policy"] = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/live/<code>/qr.svg")
def join_qr(code):
    """QR code of the short join URL (with the current key for hosts' screens when the key rotates)."""
    workshop = _workshop_for(code)
    keyed = workshop.join_code_rotates and _screen_allowed(workshop)
    response = Response(qr_svg(gates.keyed_join_url(workshop) if keyed else addresses.join_url(workshop)),
                        mimetype="image/svg+xml")
    if workshop.join_code_rotates:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/live/<code>/joining.json")
def joining(code):
    """Joining status for screens: the current key, QR and URL for hosts' screens, the public part otherwise."""
    workshop = _workshop_for(code)
    if _screen_allowed(workshop):
        status = {**gates.joining_status(workshop), "qr_src": _qr_src(workshop)}
    else:
        status = {**gates.public_joining(workshop), "key": None, "qr_src": _qr_src(workshop)}
    return status, 200, {"Cache-Control": "no-store"}


@bp.route("/planner/<slug>/control")
@facilitator_required
def control(workshop):
    """The facilitator's control screen (works on a phone)."""
    return render_template("live/control.html", workshop=workshop, join_warning=addresses.join_warning())


# --- polls prepared ahead of the session ------------------------------------------------

@bp.route("/planner/<slug>/polls", methods=["GET", "POST"])
@facilitator_required
def polls(workshop):
    """Prepare polls."""
    form = PollForm()
    if form.validate_on_submit():
        poll = service.create_poll(workshop, **_poll_data(form))
        if form.rerun_planned.data:
            moves.plan_rerun(poll, True)
        flash("Poll added.", "success")
        return redirect(url_for("live.polls", slug=workshop.slug))
    return render_template("live/polls.html", workshop=workshop, form=form, polls=service.list_polls(workshop))


@bp.route("/planner/<slug>/polls/<int:poll_id>", methods=["GET", "POST"])
@facilitator_required
def edit_poll(workshop, poll_id):
    """Edit a poll's wording."""
    poll = service.get_poll(workshop, poll_id)
    form = PollForm(obj=poll)
    if request.method == "GET":
        form.kind.data, form.options.data = poll.kind.value, "\n".join(poll.options)
        form.fill_scale(poll)
    if form.validate_on_submit():
        try:
            service.update_poll(poll, **_poll_data(form))
        except LiveError as exc:
            form.options.errors.append(str(exc))
        else:
            if form.rerun_planned.data != poll.rerun_planned:
                moves.plan_rerun(poll, form.rerun_planned.data)
            flash("Poll saved.", "success")
            return redirect(url_for("live.polls", slug=workshop.slug))
    return render_template("live/poll_edit.html", workshop=workshop, form=form, poll=poll)


@bp.route("/planner/<slug>/polls/<int:poll_id>/<action>", methods=["POST"])
@facilitator_required
def poll_action(workshop, poll_id, action):
    """Move or delete a poll."""
    poll = service.get_poll(workshop, poll_id)
    if action == "delete":
        back = url_for("live.polls", slug=workshop.slug)
        body = f"“{poll.prompt}” and all its votes are deleted for good."
        if ask := confirm_first("Delete this poll?", body, "Delete poll", back, "Keep poll"):
            return ask
        service.delete_poll(poll)
    elif action in ("up", "down"):
        service.move_poll(poll, -1 if action == "up" else 1)
    return redirect(url_for("live.polls", slug=workshop.slug))


def _poll_data(form: PollForm) -> dict:
    options = stance_list(form.options.data) if form.kind.data in ("classic", "choice") else []
    return {"kind": form.kind.data, "prompt": form.prompt.data.strip(), "options": options,
            "show_live": form.show_live.data, "timer_seconds": form.timer_seconds.data,
            "settings": form.scale_settings() or form.text_settings(),
            "predict": form.predict.data and form.kind.data == "verdict"}


