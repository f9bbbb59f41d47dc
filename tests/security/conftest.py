"""Security fixtures: two workshops with different facilitators, and a database fingerprint."""

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from workshop import ratelimit
from workshop.extensions import db
from workshop.live import service as live
from workshop.planner import service as planner
from workshop.questions import moderation
from workshop.questions import service as questions


@dataclass
class World:
    """Workshop A (run by alice) and workshop B (run by bob) with something in every table of B."""

    alice: object
    bob: object
    a: object
    b: object
    poll: object
    item: object
    registration: object
    participant: object
    question: object
    other_question: object


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """In-memory rate-limit windows are per process: start every test with none."""
    ratelimit._memory.clear()
    yield
    ratelimit._memory.clear()


@pytest.fixture
def world(app, make_facilitator, make_workshop, make_poll, make_registration, make_participant):
    """Two workshops; B has a poll, a segment, a registration, a ticket-bound phone and questions."""
    alice, bob = make_facilitator(), make_facilitator()
    a, b = make_workshop(alice), make_workshop(bob)
    poll = make_poll(b)
    item = planner.add_agenda_item(b, "Welcome", "talk", 10)
    registration = make_registration(b)
    participant = live.bind_ticket(b, registration.ticket_code)
    question = questions.ask_question(b, participant, "Why does the company sponsor this?")
    other = questions.ask_question(b, make_participant(b), "Who decides the budget?")
    moderation.approve(b, question.id, by=bob) if question.status.value == "held" else None
    return World(alice, bob, a, b, poll, item, registration, participant, question, other)


def fingerprint() -> dict:
    """Every row of every table: equal fingerprints mean nothing was written."""
    db.session.expire_all()
    return {t.name: sorted(map(repr, db.session.execute(select(t)).all())) for t in db.metadata.sorted_tables}
