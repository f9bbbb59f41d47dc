"""Planner forms: workshop details, agenda segments, co-facilitators."""

import re
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.passwords import StrongPassword
from .models import DEFAULT_MEANINGS, DEFAULT_REACTIONS, MAX_REACTIONS, REACTION_PALETTE, Moderation, SegmentKind

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class WorkshopForm(FlaskForm):
    """Create or edit a workshop; times are entered in the workshop's zone."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Web address (slug)",
        validators=[DataRequired(), Length(max=80), Regexp(SLUG, message="Use lower-case letters, digits and dashes.")],
    )
    description = TextAreaField("Description", validators=[Length(max=5000)])
    venue = StringField("Venue", validators=[Length(max=300)])
    timezone = StringField("Time zone", default="Europe/London", validators=[DataRequired(), Length(max=64)])
    starts_at = DateTimeLocalField("Starts", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField("Ends", format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    capacity = IntegerField("Capacity", default=30, validators=[DataRequired(), NumberRange(1, 100_000)])
    registration_opens_at = DateTimeLocalField("Registration opens", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    registration_closes_at = DateTimeLocalField("Registration closes", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    join_code = StringField(
        "Join code",
        validators=[DataRequired(), Length(4, 12), Regexp(r"^[A-Za-z0-9]+$", message="Letters and digits only.")],
    )
    stances = TextAreaField("Stances (one per line)", validators=[DataRequired(), Length(max=2000)])
    allow_names = BooleanField("Allow names on questions")
    moderation = SelectField(
        "New questions",
        choices=[(Moderation.post.value, "Post straight to the wall"), (Moderation.queue.value, "Hold for approval")],
    )
    require_ticket = BooleanField("Voting pass: only checked-in attendees with a ticket-bound phone vote")
    join_code_rotates = BooleanField("Rotating join key: joining needs a 4-digit key the projector changes every minute")
    participant_cap = IntegerField("Participant cap", validators=[Optional(), NumberRange(1, 100_000)])
    # What each verdict means in this workshop: one line under the phone's buttons (empty: the default).
    meaning_snog = StringField("Snog means", default=DEFAULT_MEANINGS["snog"], validators=[Optional(), Length(max=120)])
    meaning_marry = StringField("Marry means", default=DEFAULT_MEANINGS["marry"], validators=[Optional(), Length(max=120)])
    meaning_avoid = StringField("Avoid means", default=DEFAULT_MEANINGS["avoid"], validators=[Optional(), Length(max=120)])
    reactions_on = BooleanField("Reactions: phones get a small emoji bar and the projector shows the room's reactions")
    reaction_set = SelectMultipleField(
        "Reactions offered", default=list(DEFAULT_REACTIONS),
        choices=[(key, f"{emoji} {name}") for key, (emoji, name) in REACTION_PALETTE.items()],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    submit = SubmitField("Save workshop")

    def validate_reaction_set(self, field):
        """At most MAX_REACTIONS reactions from the palette (the phone's bar is one row); none keeps the set as it was."""
        if len(field.data or []) > MAX_REACTIONS:
            raise ValidationError(f"Pick at most {MAX_REACTIONS} reactions: the phone's bar is one row.")

    def validate_timezone(self, field):
        """Must be an IANA zone name."""
        if field.data not in available_timezones():
            raise ValidationError("Unknown time zone; use a name like Europe/London.")

    def validate_ends_at(self, field):
        """Ends after it starts."""
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError("The end must be after the start.")

    def validate_stances(self, field):
        """Two to eight distinct, short stances."""
        items = stance_list(field.data)
        if not 2 <= len(items) <= 8:
            raise ValidationError("Give between two and eight stances, one per line.")
        if any(len(s) > 80 for s in items):
            raise ValidationError("Keep each stance under 80 characters.")


def stance_list(text: str) -> list[str]:
    """Split the stances textarea into a de-duplicated list."""
    seen = []
    if isinstance(text, (list, tuple)):  # a POST without the field keeps the workshop's stored list
        text = "\n".join(map(str, text))
    for line in re.split(r"[\r\n]+", text or ""):
        if line.strip() and line.strip() not in seen:
            seen.append(line.strip())
    return seen


class AgendaItemForm(FlaskForm):
    """One segment of the run of show."""

    title = StringField("Segment", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=[(k.name, k.label) for k in SegmentKind])
    minutes = IntegerField("Minutes", default=10, validators=[DataRequired(), NumberRange(1, 600)])
    submit = SubmitField("Add segment")


class CoFacilitatorForm(FlaskForm):
    """Add a co-facilitator by email (an account is created if needed)."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    password = StringField("Initial password (new accounts only)",
                           validators=[Optional(), Length(max=200), StrongPassword()])
    submit = SubmitField("Add co-facilitator")
