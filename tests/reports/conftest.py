"""A workshop that has run, built through the service layer; the raw choices are kept for independent checks."""

from datetime import timedelta

import pytest

from workshop.extensions import db
from workshop.live import ballots
from workshop.live import service as live
from workshop.planner import service as planner
from workshop.questions.models import ModerationAction, Question, QuestionStatus, Upvote
from workshop.registration import service as registration

CORP, ACT, BOTH = "Corporate / public sector", "Activist / campaigner", "Both"
# (stance, round-1 verdict, round-2 verdict or None when the phone skipped the re-run)
VERDICTS = [
    (CORP, "avoid", "snog"), (CORP, "avoid", "snog"), (CORP, "avoid", "avoid"), (CORP, "snog", "snog"),
    (CORP, "marry", "avoid"), (CORP, "snog", None),
    (ACT, "avoid", "avoid"), (ACT, "avoid", "snog"), (ACT, "snog", "snog"), (ACT, "avoid", "avoid"),
    (ACT, "marry", "marry"),
    (BOTH, "snog", "snog"), (BOTH, "avoid", "snog"),
    (None, "marry", "avoid"),
]
CLASSIC = [["snog", "marry", "avoid"], ["avoid", "marry", "snog"], ["snog", "avoid", "marry"]]
CHOICE = ["0", "1", "0", "2"]


@pytest.fixture
def ran(app, make_facilitator, make_workshop, make_registration, make_poll):
    """Run a small session: registrations, check-ins, phones, three polls (one re-run), questions, agenda."""
    host = make_facilitator(name="Hilda Host")
    workshop = make_workshop(host, capacity=8)
    people = [make_registration(workshop, name=f"Reggie {n}", email=f"reggie{n}@example.org",
                                stance=[CORP, ACT, BOTH][n % 3], needs=f"Step-free access {n}") for n in range(10)]
    registration.cancel_registration(people[0])  # promotes the first waitlisted person
    for reg in people[1:7]:
        registration.check_in(reg)
    phones = [live.bind_ticket(workshop, people[3].ticket_code)]  # a ticket-bound phone: stance from the ticket
    phones += [live.create_participant(workshop, stance) for stance, _, _ in VERDICTS[1:]]

    verdict = make_poll(workshop, "verdict", "Co-run a campaign?")
    classic = make_poll(workshop, "classic", "Who to get close to?", ["Comms", "Clinicians", "Blog"])
    choice = make_poll(workshop, "choice", "After today?", ["Engage more", "No change", "Careful"])
    live.open_poll(verdict)
    for phone, (_, first, _) in zip(phones, VERDICTS, strict=True):
        ballots.submit_vote(phone.id, verdict.id, first)
    live.close_poll(verdict)
    live.open_poll(classic)
    for phone, choices in zip(phones, CLASSIC, strict=False):
        ballots.submit_vote(phone.id, classic.id, choices)
    live.close_poll(classic)
    live.open_poll(choice)
    for phone, answer in zip(phones, CHOICE, strict=False):
        ballots.submit_vote(phone.id, choice.id, answer)
    live.close_poll(choice)
    live.open_poll(verdict)  # the re-run: round 2
    for phone, (_, _, second) in zip(phones, VERDICTS, strict=True):
        if second:
            ballots.submit_vote(phone.id, verdict.id, second)
    live.close_poll(verdict)

    questions = _questions(workshop, phones)
    _agenda(workshop)
    return {"workshop": workshop, "people": people, "phones": phones, "polls": (verdict, classic, choice),
            "questions": questions, "host": host}


def _questions(workshop, phones):
    """Questions and upvotes (the question service is another area's: rows written directly, as it would)."""
    spec = [("Both sides like this one", "answered", None, [1, 2, 7, 8]),
            ("Corporates only", "live", None, [2, 3, 4]),
            ("Off topic thing", "dismissed", "off-topic", []),
            ("Rude thing", "dismissed", "abusive", []),
            ("A duplicate of the first", "merged", None, [9]),
            ("Waiting for approval", "pending", None, [])]
    made = []
    for n, (text, status, reason, voters) in enumerate(spec):
        asker = phones[n]
        q = Question(workshop_id=workshop.id, participant_id=asker.id, text=text, stance=asker.stance,
                     author_name=f"Asker {n}", status=QuestionStatus(status), dismiss_reason=reason)
        db.session.add(q)
        db.session.flush()
        made.append(q)
        for v in voters + [n]:  # the asker's own upvote never counts
            db.session.add(Upvote(question_id=q.id, participant_id=phones[v].id, stance=phones[v].stance))
    made[4].merged_into_id = made[0].id
    snapshot = {"status": "live", "dismiss_reason": None, "merged_into_id": None, "highlighted": False, "answered_at": None}
    db.session.add(ModerationAction(question_id=made[2].id, action="dismiss", before=snapshot))
    db.session.add(ModerationAction(question_id=made[4].id, action="merge", before={**snapshot, "others": [made[0].id]}))
    db.session.commit()
    return made


def _agenda(workshop):
    """Two segments started on the control screen: 3 minutes late, then run 12 minutes instead of 10."""
    first = planner.add_agenda_item(workshop, "Welcome", "talk", 10)
    second = planner.add_agenda_item(workshop, "Poll round", "poll", 15)
    planner.add_agenda_item(workshop, "Wrap-up", "talk", 5)
    planner.start_segment(workshop, first.id)
    planner.start_segment(workshop, second.id)
    first.started_at = workshop.starts_at + timedelta(minutes=3)
    first.ended_at = second.started_at = workshop.starts_at + timedelta(minutes=15)
    db.session.commit()
