"""Password policy: at least 12 characters and none of the most common passwords."""

from wtforms.validators import ValidationError

MIN_LENGTH = 12

# The most common passwords of 12 characters or more (breach corpora: SecLists, HIBP top lists) and
# a few this app invites (its own name, the demo's words). Compared without case or surrounding spaces.
COMMON = frozenset("""
123456789012 1234567890123 12345678901234 123456789123 1234567890qwe 123456123456 123123123123
111111111111 000000000000 123412341234 121212121212 112233445566 1q2w3e4r5t6y 1qaz2wsx3edc
qwertyuiop12 qwertyuiop123 qwertyuiopas qwerty123456 123456qwerty qwertyqwerty qwerty12345678
asdfghjkl123 zxcvbnm12345 1234567890qw 1qazxsw23edc qazwsxedcrfv q1w2e3r4t5y6 a1b2c3d4e5f6
password1234 password12345 password123456 passwordpassword password1234! password123! password2024
password2025 password2026 p@ssword1234 p@ssw0rd1234 passw0rd1234 mypassword123 mypassword1234
newpassword1 newpassword123 changeme1234 changeme123456 letmein12345 letmein123456 welcome12345
welcome123456 welcome2024! iloveyou1234 iloveyou12345 sunshine1234 football1234 baseball1234
superman1234 batman123456 princess1234 starwars1234 trustno1trustno1 monkey123456 dragon123456
abcdefghijkl abcdefghijklm abcd12345678 abc123456789 aaaaaaaaaaaa administrator admin1234567
admin12345678 administrator1 administrator123 adminadmin12 rootroot1234 computer1234 internet1234
secret123456 secretpassword qwertyuiopasdfgh correcthorsebatterystaple facilitator1 facilitator123
workshop1234 workshop12345 workshop2026 snogmarryavoid snogmarryavoid1 socialmediaweek conference2026
london123456 iloveyou123456 football12345 1234qwerasdf qwer1234asdf 987654321098 098765432109
""".split()) | {"correct horse battery staple", "snog marry avoid", "social media week"}


def password_problem(password: str | None) -> str | None:
    """Why ``password`` is refused, or None when it is acceptable."""
    if password is None or len(password) < MIN_LENGTH:
        return f"Use a password of at least {MIN_LENGTH} characters."
    if password.strip().lower() in COMMON:
        return "That password is one of the most common ones: choose another."
    return None


class StrongPassword:
    """WTForms validator applying the password policy (empty fields are left to Optional/DataRequired)."""

    def __call__(self, form, field) -> None:
        if field.data and (problem := password_problem(field.data)):
            raise ValidationError(problem)
