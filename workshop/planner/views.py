"""Planner pages for facilitators."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..confirmation import confirm_first
from . import service
from .access import facilitator_required
from .forms import AgendaItemForm, CoFacilitatorForm, WorkshopForm, stance_list

bp = Blueprint("planner", __name__, url_prefix="/planner")


@bp.route("/")
@login_required
def index():
    """The facilitator's workshops."""
    return render_template("planner/index.html", workshops=service.workshops_for(current_user))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Create a workshop."""
    form = WorkshopForm()
    if request.method == "GET":
        form.stances.data = "\n".join(service.DEFAULT_STANCES)
        form.join_code.data = service.new_join_code()
    if form.validate_on_submit() and _unique(form):
        workshop = service.create_workshop(_details(form), current_user)
        flash("Workshop created. Add the agenda and polls next.", "success")
        return redirect(url_for("planner.edit", slug=workshop.slug))
    return render_template("planner/edit.html", form=form, workshop=None)


@bp.route("/<slug>", methods=["GET", "POST"])
@facilitator_required
def edit(workshop):
    """Edit a workshop's details."""
    form = WorkshopForm(obj=workshop)
    if request.method == "GET":
        _fill_local(form, workshop)
    if form.validate_on_submit() and _unique(form, workshop.id):
        service.update_workshop(workshop, _details(form))
        flash("Saved.", "success")
        return redirect(url_for("planner.edit", slug=workshop.slug))
    return render_template("planner/edit.html", form=form, workshop=workshop)


@bp.route("/<slug>/clone", methods=["POST"])
@facilitator_required
def clone(workshop):
    """Copy a workshop to run it again."""
    copy = service.clone_workshop(workshop, current_user)
    flash(f"Copied to “{copy.title}”. Set the new date before opening registration.", "success")
    return redirect(url_for("planner.edit", slug=copy.slug))


@bp.route("/<slug>/agenda", methods=["GET", "POST"])
@facilitator_required
def agenda(workshop):
    """The run of show: add, remove and reorder segments."""
    form = AgendaItemForm()
    if form.validate_on_submit():
        service.add_agenda_item(workshop, form.title.data, form.kind.data, form.minutes.data)
        flash("Segment added.", "success")
        return redirect(url_for("planner.agenda", slug=workshop.slug))
    return render_template("planner/agenda.html", workshop=workshop, form=form)


@bp.route("/<slug>/agenda/<int:item_id>/<action>", methods=["POST"])
@facilitator_required
def agenda_action(workshop, item_id, action):
    """Move or delete a segment."""
    if action == "delete":
        item = next((i for i in workshop.agenda if i.id == item_id), None) or abort(404)
        back = url_for("planner.agenda", slug=workshop.slug)
        body = f"“{item.title}” is removed from the run of show."
        if ask := confirm_first("Delete this segment?", body, "Delete segment", back, "Keep segment"):
            return ask
        service.delete_agenda_item(workshop, item_id)
    elif action in ("up", "down"):
        service.move_agenda_item(workshop, item_id, -1 if action == "up" else 1)
    return redirect(url_for("planner.agenda", slug=workshop.slug))


@bp.route("/<slug>/facilitators", methods=["GET", "POST"])
@facilitator_required
def facilitators(workshop):
    """Co-facilitators of this workshop."""
    form = CoFacilitatorForm()
    if form.validate_on_submit():
        user, password = service.add_cofacilitator(workshop, form.email.data, form.name.data, form.password.data)
        note = f" Their first password is {password} - pass it on privately." if password else ""
        flash(f"{user.name} can now run this workshop.{note}", "success")
        return redirect(url_for("planner.facilitators", slug=workshop.slug))
    return render_template("planner/facilitators.html", workshop=workshop, form=form)


def _details(form: WorkshopForm) -> dict:
    data = {k: v for k, v in form.data.items() if k not in ("submit", "csrf_token")}
    data["stances"] = stance_list(form.stances.data)
    return data


def _unique(form: WorkshopForm, exclude_id: int | None = None) -> bool:
    ok = True
    if service.slug_taken(form.slug.data, exclude_id):
        form.slug.errors.append("Another workshop already uses this address.")
        ok = False
    if service.code_taken(form.join_code.data, exclude_id):
        form.join_code.errors.append("Another workshop already uses this join code.")
        ok = False
    return ok


def _fill_local(form: WorkshopForm, workshop) -> None:
    for name in service.LOCAL_TIMES:
        value = workshop.local(getattr(workshop, name))
        getattr(form, name).data = value.replace(tzinfo=None) if value else None
    form.stances.data = "\n".join(workshop.stances)
    form.moderation.data = workshop.moderation.value
    for verdict, meaning in workshop.meanings.items():
        getattr(form, f"meaning_{verdict}").data = meaning
