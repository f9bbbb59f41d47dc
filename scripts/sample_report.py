"""Render docs/sample-report.pdf: the demo workshop with a simulated session, printed by Chromium.

    .venv/bin/python scripts/sample_report.py [docs/sample-report.pdf]

Everything goes through the service layer (registrations, check-in, phones, polls, votes) on a throwaway
SQLite database (questions through the question service); only segment times are written directly, on a
simulated clock.
"""

import random
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from workshop import create_app  # noqa: E402
from workshop.accounts.service import save_facilitator  # noqa: E402
from workshop.demo import seed_demo  # noqa: E402
from workshop.extensions import db  # noqa: E402
from workshop.live import ballots, texts  # noqa: E402
from workshop.live import service as live  # noqa: E402
from workshop.live.models import Vote  # noqa: E402
from workshop.planner.service import get_workshop  # noqa: E402
from workshop.questions import moderation
from workshop.questions import service as questions  # noqa: E402
from workshop.registration import service as registration  # noqa: E402
from workshop.reports import service as reports  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Leaning of each stance: weights for snog / marry / avoid.
LEANING = {"Corporate / public sector": (5, 2, 4), "Activist / campaigner": (4, 1, 6), "Both": (6, 3, 2),
           "Neither": (3, 2, 3), None: (3, 1, 3)}
# Open text: the words each side reaches for (shared ones in several lists).
WORDS = {"Corporate / public sector": ["reach", "trust", "brand safety", "opportunity", "risk"],
         "Activist / campaigner": ["greenwashing", "trust", "solidarity", "hijack", "opportunist"],
         "Both": ["trust", "courage", "listen", "opportunity"], "Neither": ["noise", "cringe", "risk", "listen"],
         None: ["trust", "hashtag", "noise"]}
QUESTIONS = [
    ("How do you handle a campaign that turns abusive on Twitter?", "answered", 14),
    ("Should clinicians ever reply to complaints in public?", "answered", 11),
    ("Who owns the relationship when the comms lead leaves?", "live", 9),
    ("Can a Trust fund a campaign group and still be challenged by it?", "answered", 8),
    ("What does 'marry' look like in practice - joint accounts?", "live", 5),
    ("Is Patient Opinion more useful than Twitter?", "live", 3),
    ("Follow our page for free followers", "dismiss:off-topic", 0),
    ("What do you do when a campaign gets abusive online?", "merge:0", 2),
    ("You are all sell-outs", "dismiss:abusive", 0),
]


def simulate(app, rng: random.Random) -> str:
    """Run the demo session with ~50 people; returns the workshop slug."""
    with app.test_request_context():
        host = save_facilitator("host@example.org", "demo-password-1", "Host")
        co = save_facilitator("markoneinfour@example.org", "demo-password-2", "Mark (co-host)")
        workshop = seed_demo([host, co])
        stances = [*workshop.stances, None]
        people = []
        for n in range(64):
            stance = rng.choices(stances, weights=(10, 9, 4, 2, 1))[0]
            reg = registration.register_attendee(workshop, {"name": f"Attendee {n}", "email": f"a{n}@example.org",
                                                            "organisation": "Org", "stance": stance, "needs": ""})
            people.append(reg)
        for reg in people[:3]:
            registration.cancel_registration(reg)
        phones = []
        for reg in people[3:]:
            if reg.is_confirmed and rng.random() < 0.8:
                registration.check_in(reg)
                if rng.random() < 0.85:
                    phones.append(live.bind_ticket(workshop, reg.ticket_code))
        phones += [live.create_participant(workshop, rng.choice(stances)) for _ in range(4)]
        polls = live.list_polls(workshop)
        for poll in polls:
            _run(poll, phones, rng, shift=False)
        _run(polls[0], phones, rng, shift=True)  # the re-run: has anyone changed their mind?
        _questions(workshop, phones, rng, host)
        _agenda(workshop, rng)
        return workshop.slug


def _run(poll, phones, rng, shift: bool) -> None:
    earlier = {v.participant_id: v.choice for v in db.session.scalars(select(Vote).where(Vote.poll_id == poll.id))}
    live.open_poll(poll)
    for phone in phones:
        if rng.random() < 0.1:
            continue
        weights = LEANING[phone.stance]
        if shift and phone.id in earlier and rng.random() < 0.7:
            ballots.submit_vote(phone.id, poll.id, earlier[phone.id])  # most people stick to their answer
            continue
        if shift:
            weights = (weights[0] + 4, weights[1], max(weights[2] - 2, 1))
        if poll.kind.value == "text":  # open text: a word or two from the side's vocabulary
            for word in rng.sample(WORDS[phone.stance], rng.randint(1, 2)):
                texts.submit_answer(phone.id, poll.id, word)
            continue
        if poll.kind.value == "scale":  # a point around the side's centre
            centre = {"Corporate / public sector": 6, "Activist / campaigner": 3}.get(phone.stance, 5)
            ballots.submit_vote(phone.id, poll.id, str(max(0, min(10, round(rng.gauss(centre + (2 if shift else 0), 1.5))))))
            continue
        if poll.kind.value == "classic":
            choice = rng.sample(["snog", "marry", "avoid"], 3)
        elif poll.kind.value == "choice":
            choice = str(rng.choices(range(len(poll.options)), weights=(5, 3, 2, 1))[0])
        else:
            choice = rng.choices(["snog", "marry", "avoid"], weights=weights)[0]
        ballots.submit_vote(phone.id, poll.id, choice)
    live.close_poll(poll)
    live.reveal_poll(poll)


def _questions(workshop, phones, rng, host) -> None:
    """Questions through the question service: asked, upvoted, answered, dismissed, merged."""
    asked = []
    for text, outcome, votes in QUESTIONS:
        asker = rng.choice(phones)
        question = questions.ask_question(workshop, asker, text)
        asked.append(question)
        for phone in rng.sample([p for p in phones if p.id != asker.id], votes):
            questions.toggle_upvote(phone, question.id)
        action, _, arg = outcome.partition(":")
        if action == "answered":
            moderation.mark_answered(workshop, question.id, by=host)
        elif action == "dismiss":
            moderation.dismiss(workshop, question.id, arg, by=host)
        elif action == "merge":
            moderation.merge(workshop, question.id, asked[int(arg)].id, by=host)


def _agenda(workshop, rng) -> None:
    clock = workshop.starts_at + timedelta(minutes=4)  # started four minutes late
    for item in workshop.agenda:
        item.started_at = clock
        clock += timedelta(minutes=item.minutes + rng.randint(-3, 5))
        item.ended_at = clock
    db.session.commit()


def print_pdf(url: str, target: str) -> None:
    """Print a page to PDF with Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        page.emulate_media(media="print")
        page.pdf(path=target, format="A4", print_background=True, display_header_footer=True,
                 header_template="<span></span>",
                 footer_template='<div style="font-size:8px;width:100%;text-align:center">'
                                 '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
                 margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
        browser.close()


def main(target: str) -> None:
    """Simulate, share the report, print it."""
    tmp = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/sample.sqlite", "SECRET_KEY": "sample",
                      "SOCKETIO_ASYNC_MODE": "threading", "LIVE_PULSE": False, "RATELIMIT_ENABLED": False,
                      "MAIL_SERVER": None, "REDIS_URL": None})
    with app.app_context():
        db.create_all()
        slug = simulate(app, random.Random(28))
        token = reports.share_report(get_workshop(slug))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        print_pdf(f"http://127.0.0.1:{server.server_port}/report/{token}", target)
    finally:
        server.shutdown()
    print(f"Wrote {target}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/sample-report.pdf")
