"""Form validators shared by every area."""

from wtforms.validators import StopValidation


def answered(message: str):
    """Like InputRequired, but an empty value counts ("Prefer not to say" is a real answer)."""

    def check(form, field):
        if not field.raw_data:
            field.errors[:] = []  # replaces "Not a valid choice.", as InputRequired does
            raise StopValidation(message)

    return check
