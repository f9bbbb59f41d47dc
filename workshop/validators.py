"""Validators shared by every area: form fields, and the moderation word list for text people send."""

import re

from flask import current_app
from wtforms.validators import StopValidation


def answered(message: str):
    """Like InputRequired, but an empty value counts ("Prefer not to say" is a real answer)."""

    def check(form, field):
        if not field.raw_data:
            field.errors[:] = []  # replaces "Not a valid choice.", as InputRequired does
            raise StopValidation(message)

    return check


def matched_word(text: str) -> str | None:
    """The first word of the MODERATION_WORDS list found in ``text`` (whole words, any case)."""
    lowered = text.lower()
    for word in current_app.config.get("MODERATION_WORDS") or []:
        if re.search(r"(?<!\w)" + re.escape(word) + r"(?!\w)", lowered):
            return word
    return None
