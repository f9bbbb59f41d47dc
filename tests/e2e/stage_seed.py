"""Put a workshop into a given state for the projector layout tests, through the live service.

Run against the e2e server's database: ``python -m tests.e2e.stage_seed SLUG STATE`` with the server's
environment. STATE is ``<kind>-<stances>x<options>-<voting|results|closed>`` (e.g. ``choice-6x10-results``):
it (re)creates the workshop ``SLUG`` with that many stances, one poll of that kind with that many options,
five phones per stance (so no group is hidden) plus two with no stance, and - for results and closed -
their votes through the same group commit phones use. The projector reads it all on (re)connect.
"""

import sys

from sqlalchemy import select

from workshop import create_app
from workshop.extensions import db
from workshop.live import ballots
from workshop.live import service as live
from workshop.planner.models import Workshop

STANCES = ["Corporate / public sector", "Activist / campaigner", "Both", "Neither", "Journalist", "Clinician"]
OPTIONS = ["Engage more", "No change", "Be more careful", "Not sure", "Hire a community manager", "Leave Twitter",
           "Start a podcast", "Co-run a campaign", "Write a social media policy", "Ask the patients"]
ITEMS = ["The NHS Trust's comms team", "Clinicians on Twitter", "The chief executive's blog"]
PROMPTS = {
    "verdict": "An NHS Trust and a patient campaign group co-run a social marketing campaign.",
    "classic": "Snog, marry or avoid: who should a campaign group get close to?",
    "choice": "After today, which describes you best?",
}


def find_by_slug(slug: str) -> Workshop | None:
    """The workshop with this slug."""
    return db.session.scalar(select(Workshop).where(Workshop.slug == slug))


def reset_workshop(slug: str, stances: int) -> Workshop:
    """A fresh copy of the demo workshop's basics under ``slug`` (join code = slug upper-cased)."""
    old = find_by_slug(slug)
    if old is not None:
        db.session.delete(old)
        db.session.commit()
    demo = find_by_slug("snog-marry-avoid")
    workshop = Workshop(slug=slug, title="Snog, Marry, Avoid?", starts_at=demo.starts_at, ends_at=demo.ends_at,
                        join_code=slug.upper().replace("-", "")[:16], stances=STANCES[:stances])
    workshop.facilitators = list(demo.facilitators)
    db.session.add(workshop)
    db.session.commit()
    return workshop


def choice_for(kind: str, poll, n: int):
    """A spread of answers: the i-th phone's vote."""
    if kind == "classic":
        orders = [["snog", "marry", "avoid"], ["marry", "avoid", "snog"], ["avoid", "snog", "marry"]]
        return orders[n % 3 if n % 5 else 0]
    answers = poll.answers
    return answers[(n * 7 + n // 3) % len(answers)]


QUESTIONS = [
    "How do you stop a comms team from sanitising every clinician's tweet before it goes out?",
    "What happens when a campaign group's hashtag is used against the Trust at 2am on a Saturday?",
    "Would you ever co-sign a petition with campaigners?", "Who moderates Patient Opinion replies?",
    "Is a chief executive's blog ever really written by the chief executive?",
    "Should staff have personal accounts?", "What is the worst thing a campaigner has tweeted about you?",
]


def seed_wall(slug: str) -> None:
    """Seven questions upvoted from both sides, the second highlighted: the projector's question mode."""
    from workshop.questions import moderation
    from workshop.questions import service as questions

    workshop = reset_workshop(slug, 4)
    people = [live.create_participant(workshop, s) for s in workshop.stances for _ in range(3)]
    asked = [questions.ask_question(workshop, people[i], text) for i, text in enumerate(QUESTIONS)]
    for i, question in enumerate(asked):
        for person in people[: 7 - i]:
            if person.id != question.participant_id:
                questions.toggle_upvote(person, question.id)
    moderation.highlight(workshop, asked[1].id)


def seed(slug: str, state: str) -> None:
    """Create the workshop in ``state``."""
    if state == "wall":
        return seed_wall(slug)
    kind, size, phase = state.split("-")
    stances, options = (int(x) for x in size.split("x"))
    workshop = reset_workshop(slug, stances)
    items = {"verdict": [], "classic": ITEMS, "choice": OPTIONS[:options]}[kind]
    poll = live.create_poll(workshop, kind, PROMPTS[kind], items, timer_seconds=90 if phase == "voting" else None)
    people = [live.create_participant(workshop, s) for s in workshop.stances for _ in range(5)]
    people += [live.create_participant(workshop, None) for _ in range(2)]
    live.open_poll(poll)
    if phase == "voting":
        for n, person in enumerate(people[: len(people) // 2]):
            ballots.submit_vote(person.id, poll.id, choice_for(kind, poll, n))
        return
    for n, person in enumerate(people):
        ballots.submit_vote(person.id, poll.id, choice_for(kind, poll, n))
    live.reveal_poll(poll)
    if phase == "closed":
        live.close_poll(poll)


if __name__ == "__main__":
    app = create_app({"LIVE_PULSE": False, "RATELIMIT_ENABLED": False})
    with app.app_context(), app.test_request_context():
        seed(sys.argv[1], sys.argv[2])
