"""Join forms."""

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..validators import answered


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
