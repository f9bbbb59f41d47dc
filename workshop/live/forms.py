"""Live forms: joining, and the polls prepared ahead of the session."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..planner.forms import stance_list
from ..validators import answered
from .models import PollKind


class CodeForm(FlaskForm):
    """Type the join code shown on the screen."""

    # With a rotating key the screen shows "SNOG 4821": the code and the key typed together, spaces optional.
    code = StringField("Code on the screen", validators=[DataRequired(message="Type the code shown on the screen."), Length(max=24)],
                       render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    submit = SubmitField("Join")


class StanceForm(FlaskForm):
    """Pick the stance you came with."""

    key = StringField("Key shown on the screen next to the code", validators=[Optional(), Length(max=12)],
                      render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4})
    stance = RadioField("Which side do you come from?", validators=[answered("Pick one (or 'Prefer not to say').")])
    submit = SubmitField("Join the session")

    def set_stances(self, stances: list[str]) -> None:
        """The workshop's stances plus 'prefer not to say'."""
        self.stance.choices = [(s, s) for s in stances] + [("", "Prefer not to say")]


class TicketForm(FlaskForm):
    """Bind this phone to a registration."""

    ticket = StringField("Ticket code (from your confirmation email)", validators=[DataRequired(message="Type your ticket code."), Length(max=20)])
    submit = SubmitField("Use my ticket")


class PollForm(FlaskForm):
    """A poll prepared ahead of the session."""

    kind = SelectField(
        "Kind",
        choices=[
            (PollKind.verdict.value, "Verdict: one scenario, Snog / Marry / Avoid"),
            (PollKind.classic.value, "Classic: three items, assign Snog, Marry and Avoid"),
            (PollKind.choice.value, "Multiple choice (2-10 options)"),
            (PollKind.scale.value, "Scale: a point in a range, e.g. 0 = avoid to 10 = marry"),
            (PollKind.text.value, "Open text: short answers shown as a word cloud coloured by stance"),
        ],
    )
    prompt = TextAreaField("Prompt", validators=[DataRequired(), Length(max=500)])
    options = TextAreaField("Items or options (one per line)", validators=[Length(max=2000)])
    show_live = BooleanField("Show results live while voting (otherwise reveal when ready)")
    predict = BooleanField("Ask phones to predict the other side (verdict polls)")
    rerun_planned = BooleanField("Planned as a re-run: run it again later and show who moved")
    timer_seconds = IntegerField(
        "Countdown in seconds (optional)",
        validators=[Optional(), NumberRange(5, 3600, "A countdown is between 5 and 3600 seconds.")],
    )
    scale_min = IntegerField("Scale from", default=0, validators=[Optional(), NumberRange(-10, 10, "Between -10 and 10.")])
    scale_max = IntegerField("Scale to", default=10, validators=[Optional(), NumberRange(-10, 10, "Between -10 and 10.")])
    scale_low = StringField("Label at the low end (e.g. Avoid)", validators=[Length(max=40)])
    scale_high = StringField("Label at the high end (e.g. Marry)", validators=[Length(max=40)])
    scale_mid = StringField("Label in the middle (optional, e.g. Snog)", validators=[Length(max=40)])
    text_per_person = IntegerField("Answers per person", default=1,
                                   validators=[Optional(), NumberRange(1, 3, "Between 1 and 3 answers.")])
    text_max_length = IntegerField("Longest answer (characters)", default=25,
                                   validators=[Optional(), NumberRange(3, 40, "Between 3 and 40 characters.")])
    submit = SubmitField("Save poll")

    def validate_scale_max(self, field):
        """A scale runs upwards, at most ten steps (eleven buttons on a phone)."""
        if self.kind.data != PollKind.scale.value:
            return
        low = 0 if self.scale_min.data is None else self.scale_min.data
        high = 10 if field.data is None else field.data
        if not low < high <= low + 10:
            raise ValidationError("The scale goes up from its start, at most 10 steps (e.g. 0 to 10, or 1 to 5).")

    def scale_settings(self) -> dict | None:
        """A scale's range and labels from the form (None for the other kinds)."""
        if self.kind.data != PollKind.scale.value:
            return None
        return {"min": 0 if self.scale_min.data is None else self.scale_min.data,
                "max": 10 if self.scale_max.data is None else self.scale_max.data,
                "low": (self.scale_low.data or "").strip(), "high": (self.scale_high.data or "").strip(),
                "mid": (self.scale_mid.data or "").strip()}

    def text_settings(self) -> dict | None:
        """An open-text poll's limits from the form (None for the other kinds)."""
        if self.kind.data != PollKind.text.value:
            return None
        return {"per_person": self.text_per_person.data or 1, "max_length": self.text_max_length.data or 25}

    def fill_scale(self, poll) -> None:
        """Show a scale poll's saved range and labels, an open-text poll's limits."""
        rules = poll.text_rules
        self.text_per_person.data, self.text_max_length.data = rules["per_person"], rules["max_length"]
        scale = poll.scale
        self.scale_min.data, self.scale_max.data = scale["min"], scale["max"]
        self.scale_low.data, self.scale_high.data, self.scale_mid.data = scale["low"], scale["high"], scale["mid"]

    def validate_options(self, field):
        """Classic polls take exactly three items; multiple choice 2-10 options (what a projector shows at 48 px)."""
        items = stance_list(field.data)
        if self.kind.data == PollKind.classic.value and len(items) != 3:
            raise ValidationError("A classic poll needs exactly three items, one per line.")
        if self.kind.data == PollKind.choice.value and not 2 <= len(items) <= 10:
            raise ValidationError("A multiple-choice poll needs between two and ten options.")
        if any(len(i) > 120 for i in items):
            raise ValidationError("Keep each item under 120 characters.")
