"""Public registration form."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..validators import answered


class RegistrationForm(FlaskForm):
    """Name, email, organisation, stance, needs and consent."""

    name = StringField("Your name", validators=[DataRequired(message="Tell us your name."), Length(max=120)])
    email = EmailField(
        "Email",
        validators=[DataRequired(message="We need an email to send your ticket."), Email(message="That does not look like an email address."), Length(max=254)],
    )
    organisation = StringField("Organisation (optional)", validators=[Optional(), Length(max=200)])
    stance = RadioField(
        "Which side do you come from?",
        validators=[answered("Pick the stance closest to yours (or 'Prefer not to say').")],
    )
    needs = TextAreaField("Accessibility or other needs (optional, only the hosts see this)", validators=[Optional(), Length(max=1000)])
    consent = BooleanField(
        "I agree to the privacy notice: the hosts keep my details to run this workshop and delete them afterwards.",
        validators=[DataRequired(message="Please agree to the privacy notice to register.")],
    )
    submit = SubmitField("Register")

    def set_stances(self, stances: list[str]) -> None:
        """Offer the workshop's stances plus 'prefer not to say'."""
        self.stance.choices = [(s, s) for s in stances] + [("", "Prefer not to say")]


class CancelForm(FlaskForm):
    """Confirm cancelling or deleting (CSRF-protected POST)."""

    submit = SubmitField("Cancel my place")


class CheckInForm(FlaskForm):
    """One-tap check-in at the door."""

    submit = SubmitField("Check in")
