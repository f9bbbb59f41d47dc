"""Public workshop page, registration, tickets and the door."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..confirmation import confirm_first
from ..exports import csv_response
from ..models import utcnow
from ..planner.access import facilitator_required
from ..planner.service import get_workshop
from ..ratelimit import limit
from . import service
from .forms import CancelForm, CheckInForm, RegistrationForm
from .tickets import calendar_file, qr_svg

bp = Blueprint("registration", __name__)


@bp.route("/w/<slug>", methods=["GET", "POST"])
def workshop_page(slug):
    """What, when, where, places left, and the registration form."""
    workshop = get_workshop(slug)
    form = RegistrationForm()
    form.set_stances(workshop.stances)
    is_open = workshop.registration_is_open(utcnow())
    if is_open and form.validate_on_submit():
        if not limit("register", request.remote_addr or "?", 20, 600):
            form.email.errors.append("Too many registrations from this connection. Wait a few minutes and try again.")
        else:
            return _register(workshop, form)
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template(
        "registration/workshop.html", workshop=workshop, form=form, is_open=is_open,
        places_left=service.places_left(workshop), schedule=workshop.schedule(),
    ), status


def _register(workshop, form):
    try:
        registration = service.register_attendee(workshop, form.data)
    except service.DuplicateRegistration:
        # Same message whether confirmed or waitlisted: do not reveal more than needed.
        form.email.errors.append(
            "This email is already registered. Use the link in your confirmation email to manage it."
        )
        return render_template(
            "registration/workshop.html", workshop=workshop, form=form, is_open=True,
            places_left=service.places_left(workshop), schedule=workshop.schedule(),
        ), 400
    return redirect(url_for("registration.manage", token=registration.manage_token, new=1))


@bp.route("/r/<token>", methods=["GET"])
def manage(token):
    """The attendee's private page: ticket, calendar file, cancel, delete."""
    registration = service.by_token(token) or abort(404, description="This registration link is not valid (it may have been deleted).")
    return render_template(
        "registration/manage.html", registration=registration, workshop=registration.workshop,
        position=service.waitlist_position(registration), form=CancelForm(), is_new=bool(request.args.get("new")),
        ticket_url=service.ticket_url(registration),
    )


CANCEL = ("Cancel your place?", "Your place goes to the next person on the waitlist. You cannot take it back, only "
          "register again if places are left.", "Cancel my place", "Keep my place")
DELETE = ("Delete your data?", "This removes your name, email, ticket and everything you told us, for good. This link "
          "stops working.", "Delete my data", "Keep my data")


def _confirmed(token: str, question: tuple[str, str, str, str], act, done: str):
    """Ask first (``question``: title, body, yes, no) from the manage link; once confirmed, ``act`` and flash ``done``.

    Returns the confirmation page to show, or None when there is nothing to ask.
    """
    registration = service.by_token(token) or abort(404)
    title, body, yes, no = question
    if ask := confirm_first(title, body, yes, url_for("registration.manage", token=token), no):
        return ask
    if CancelForm().validate_on_submit():
        act(registration)
        flash(done, "success")
    return None


@bp.route("/r/<token>/cancel", methods=["POST"])
def cancel(token):
    """Cancel a place (frees it for the waitlist)."""
    done = "Your registration is cancelled. Thank you for letting us know."
    return _confirmed(token, CANCEL, service.cancel_registration, done) or redirect(
        url_for("registration.manage", token=token))


@bp.route("/r/<token>/delete", methods=["POST"])
def delete(token):
    """Erase this registration's personal data."""
    slug = (service.by_token(token) or abort(404)).workshop.slug
    done = "Your registration and personal details have been deleted."
    return _confirmed(token, DELETE, service.delete_registration, done) or redirect(
        url_for("registration.workshop_page", slug=slug))


@bp.route("/r/<token>/ticket.svg")
def ticket_qr(token):
    """The ticket's QR code (encodes the check-in URL)."""
    registration = service.by_token(token) or abort(404)
    if not registration.is_confirmed:
        abort(404, description="Only confirmed places have a ticket.")
    return Response(qr_svg(service.ticket_url(registration)), mimetype="image/svg+xml")


@bp.route("/r/<token>/workshop.ics")
def ics(token):
    """An iCalendar file for the workshop."""
    registration = service.by_token(token) or abort(404)
    body = calendar_file(registration.workshop, service.manage_url(registration), f"registration-{token}@workshop")
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": "attachment; filename=workshop.ics"})


@bp.route("/t/<code>", methods=["GET", "POST"])
def ticket(code):
    """What a phone camera opens from the ticket QR: one-tap check-in for facilitators."""
    registration = service.by_ticket(code) or abort(404, description="Unknown ticket.")
    workshop = registration.workshop
    if not workshop.is_facilitator(current_user):
        return render_template("registration/ticket_public.html", workshop=workshop)
    form = CheckInForm()
    if form.validate_on_submit():
        if service.check_in(registration):
            flash(f"{registration.name} is checked in.", "success")
        else:
            flash("This ticket is not a confirmed place (waitlisted or cancelled).", "error")
        return redirect(url_for("registration.ticket", code=code))
    return render_template("registration/ticket.html", registration=registration, workshop=workshop, form=form)


@bp.route("/planner/<slug>/door")
@facilitator_required
def door(workshop):
    """Door list with search and counts."""
    query = request.args.get("q", "")[:100]
    return render_template(
        "registration/door.html", workshop=workshop, registrations=service.door_list(workshop, query),
        counts=service.counts(workshop), query=query, form=CheckInForm(),
    )


@bp.route("/planner/<slug>/door/<int:registration_id>/<action>", methods=["POST"])
@facilitator_required
def door_action(workshop, registration_id, action):
    """Check in or undo from the door list."""
    registration = next((r for r in service.door_list(workshop) if r.id == registration_id), None) or abort(404)
    if CheckInForm().validate_on_submit():
        if action == "undo":
            service.undo_check_in(registration)
        elif not service.check_in(registration):
            flash("Only confirmed places can be checked in.", "error")
    return redirect(url_for("registration.door", slug=workshop.slug, q=request.args.get("q", "")))


@bp.route("/planner/<slug>/attendees.csv")
@facilitator_required
def attendees_csv(workshop):
    """All registrations as CSV (facilitators only: contains personal data)."""
    header = ["name", "email", "organisation", "stance", "needs", "status", "ticket", "registered_at", "checked_in_at"]
    rows = ((r.name, r.email, r.organisation, r.stance, r.needs, r.status.value, r.ticket_code,
             r.created_at.isoformat(), r.checked_in_at.isoformat() if r.checked_in_at else "")
            for r in service.door_list(workshop))
    return csv_response(f"{workshop.slug}-attendees.csv", header, rows)
