"""Put a workshop into a scale (or open-text) poll state for the projector tests, through the live service.

``python -m tests.e2e.poll_seed SLUG STATE`` with the server's environment. STATE is
``scale-<stances>-<voting|results>``: the workshop ``SLUG`` (re)created with that many stances, a 0-10 scale
poll, five phones per stance voting around a centre that differs per stance, five without one.
``predict-<stances>-results``: a verdict poll whose phones (five per stance) predicted another side, revealed.
``text-<stances>-<results|many>``: an open-text poll, five phones per stance (two answers each: words their
side shares with others, and words of their own), but three for "Neither" and two without a stance (together
five: hidden, their words never attributed); ``many``: 45 more different words.
"""

import sys

from workshop import create_app
from workshop.live import ballots, predictions, texts
from workshop.live import service as live

from .stage_seed import reset_workshop

SCALE_PROMPT = "How close should an NHS Trust and a campaign group get? 0 = avoid, 10 = marry"
SCALE = {"min": 0, "max": 10, "low": "Avoid", "high": "Marry", "mid": "Snog"}
CENTRES = [7, 2, 5, 4, 6, 5]  # per stance, in the order of stage_seed.STANCES (corporates high, activists low)
SPREAD = [0, -1, 1, 0, 2]


def seed_scale(slug: str, stances: int, phase: str) -> None:
    """A scale poll: voting (half the phones in) or results (everyone in, revealed)."""
    workshop = reset_workshop(slug, stances)
    poll = live.create_poll(workshop, "scale", SCALE_PROMPT, [], settings=SCALE,
                            timer_seconds=90 if phase == "voting" else None)
    people = [(live.create_participant(workshop, s), CENTRES[i]) for i, s in enumerate(workshop.stances) for _ in range(5)]
    people += [(live.create_participant(workshop, None), 5) for _ in range(5)]
    live.open_poll(poll)
    voters = people[: len(people) // 2] if phase == "voting" else people
    for n, (person, centre) in enumerate(voters):
        ballots.submit_vote(person.id, poll.id, str(max(0, min(10, centre + SPREAD[n % 5]))))
    if phase == "results":
        live.reveal_poll(poll)


TEXT_PROMPT = "One word for a brand that joins a campaign hashtag"
# Per stance (stage_seed.STANCES order): each phone's two answers, by phone.
WORDS = [
    [("trust", "reach"), ("trust", "reach"), ("trust", "brand safety"), ("opportunist", "reach"), ("trust", "exposure")],
    [("trust", "greenwashing"), ("greenwashing", "solidarity"), ("greenwashing", "trust"), ("cringe", "solidarity"),
     ("greenwashing", "hijack")],
    [("trust", "opportunist"), ("courage", "trust"), ("opportunist", "listen"), ("trust", "courage"), ("listen", "brave")],
    [("cringe", "reach"), ("cringe", "noise"), ("noise", "trust"), ("cringe", "meh"), ("noise", "fine")],
    [("trust", "care"), ("care", "evidence"), ("evidence", "trust"), ("care", "listen"), ("evidence", "safety")],
    [("safety", "trust"), ("evidence", "safety"), ("safety", "care"), ("trust", "patients"), ("patients", "safety")],
]


def seed_text(slug: str, stances: int, phase: str) -> None:
    """An open-text poll with answers from every side, revealed."""
    workshop = reset_workshop(slug, stances)
    poll = live.create_poll(workshop, "text", TEXT_PROMPT, [], settings={"per_person": 3, "max_length": 30})
    live.open_poll(poll)
    for i, stance in enumerate(workshop.stances):
        for pair in WORDS[i][: 3 if stance == "Neither" else 5]:  # with the two below: groups too small to name
            person = live.create_participant(workshop, stance)
            for word in pair:
                texts.submit_answer(person.id, poll.id, word)
    for word in ("hashtag", "trust"):  # two phones without a stance: a group too small to name
        texts.submit_answer(live.create_participant(workshop, None).id, poll.id, word)
    if phase == "many":  # a long tail: far more words than a screen shows at reading size
        for n in range(45):
            texts.submit_answer(live.create_participant(workshop, workshop.stances[n % stances]).id, poll.id, f"word{n:02d}")
    live.reveal_poll(poll)


PREDICT_PROMPT = "An NHS Trust and a patient campaign group co-run a social marketing campaign."
VERDICTS = ["snog", "marry", "avoid"]


def seed_predict(slug: str, stances: int, phase: str) -> None:
    """A verdict poll that asks for predictions: five phones per stance vote (stance i mostly the i-th verdict)
    and each guesses the next stance in the list would mostly choose the verdict two after its own; revealed."""
    workshop = reset_workshop(slug, stances)
    poll = live.create_poll(workshop, "verdict", PREDICT_PROMPT, [], predict=True)
    live.open_poll(poll)
    for i, stance in enumerate(workshop.stances):
        target = workshop.stances[(i + 1) % stances]
        for n in range(5):
            person = live.create_participant(workshop, stance)
            ballots.submit_vote(person.id, poll.id, VERDICTS[(i + (n == 4)) % 3])
            predictions.submit_prediction(person.id, poll.id, target, VERDICTS[(i + 2) % 3], None)
    live.close_poll(poll)
    live.reveal_poll(poll)


def seed(slug: str, state: str) -> None:
    """Create the workshop in ``state``."""
    kind, stances, phase = state.split("-")
    if kind == "scale":
        seed_scale(slug, int(stances), phase)
    if kind == "text":
        seed_text(slug, int(stances), phase)
    if kind == "predict":
        seed_predict(slug, int(stances), phase)


if __name__ == "__main__":
    app = create_app({"LIVE_PULSE": False, "RATELIMIT_ENABLED": False})
    with app.app_context(), app.test_request_context():
        seed(sys.argv[1], sys.argv[2])
