"""Question wall pages: the CSV export for facilitators."""

from flask import Blueprint

from ..exports import csv_response
from ..planner.access import facilitator_required
from . import wall

bp = Blueprint("questions", __name__)


@bp.route("/planner/<slug>/questions.csv")
@facilitator_required
def export(workshop):
    """Every question with votes, stance mix and status (formulas neutralised, text as text)."""
    return csv_response(f"questions-{workshop.slug}.csv", wall.EXPORT_HEADER, wall.export_rows(workshop))
