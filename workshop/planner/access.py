"""Per-workshop authorisation for facilitator pages (every area's pages under /planner/<slug>)."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from .service import get_workshop


def facilitator_required(view):
    """Load ``slug`` as ``workshop``; only that workshop's facilitators get through."""

    @wraps(view)
    @login_required
    def wrapped(slug, **kwargs):
        workshop = get_workshop(slug)
        if not workshop.is_facilitator(current_user):
            abort(403, description="You are not a facilitator of this workshop.")
        return view(workshop, **kwargs)

    return wrapped
