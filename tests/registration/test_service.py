"""Registration rules, straight through the service layer."""

import threading

import pytest

from workshop.extensions import db
from workshop.registration import service
from workshop.registration.models import Registration, RegistrationStatus


def test_confirms_until_capacity_then_waitlists_with_position(make_workshop, make_registration):
    workshop = make_workshop(capacity=2)
    first, second = make_registration(workshop), make_registration(workshop)
    third, fourth = make_registration(workshop), make_registration(workshop)
    assert [r.status for r in (first, second)] == [RegistrationStatus.confirmed] * 2
    assert [r.status for r in (third, fourth)] == [RegistrationStatus.waitlisted] * 2
    assert service.waitlist_position(third) == 1 and service.waitlist_position(fourth) == 2
    assert service.places_left(workshop) == 0


def test_duplicate_email_is_refused_case_insensitively(make_workshop, make_registration):
    workshop = make_workshop()
    original = make_registration(workshop, email="ann@example.org")
    with pytest.raises(service.DuplicateRegistration) as caught:
        make_registration(workshop, email=" ANN@example.org ")
    assert caught.value.registration.id == original.id
    assert db.session.query(Registration).count() == 1


def test_cancel_promotes_first_on_waitlist(make_workshop, make_registration, app):
    workshop = make_workshop(capacity=1)
    confirmed = make_registration(workshop)
    waiting = make_registration(workshop)
    later = make_registration(workshop)
    with app.test_request_context():
        promoted = service.cancel_registration(confirmed)
    assert promoted.id == waiting.id
    assert waiting.status == RegistrationStatus.confirmed
    assert later.status == RegistrationStatus.waitlisted and service.waitlist_position(later) == 1
    assert confirmed.status == RegistrationStatus.cancelled


def test_cancelling_a_waitlisted_place_promotes_nobody(make_workshop, make_registration, app):
    workshop = make_workshop(capacity=1)
    make_registration(workshop)
    waiting = make_registration(workshop)
    with app.test_request_context():
        assert service.cancel_registration(waiting) is None
    assert service.counts(workshop)["confirmed"] == 1


def test_delete_erases_the_row_and_promotes(make_workshop, make_registration, app):
    workshop = make_workshop(capacity=1)
    gone = make_registration(workshop, email="gone@example.org")
    waiting = make_registration(workshop)
    with app.test_request_context():
        service.delete_registration(gone)
    assert db.session.query(Registration).filter_by(email="gone@example.org").count() == 0
    assert waiting.status == RegistrationStatus.confirmed


def test_check_in_only_confirmed(make_workshop, make_registration):
    workshop = make_workshop(capacity=1)
    confirmed, waiting = make_registration(workshop), make_registration(workshop)
    assert service.check_in(confirmed) and confirmed.checked_in_at is not None
    assert not service.check_in(waiting)
    assert service.counts(workshop)["checked_in"] == 1


def test_capacity_holds_under_concurrent_registrations(app, make_workshop):
    """Real threads, real database: 40 people race for 10 places."""
    workshop = make_workshop(capacity=10)
    workshop_id, errors = workshop.id, []
    barrier = threading.Barrier(40)

    def register(n):
        with app.app_context(), app.test_request_context():
            try:
                barrier.wait(timeout=30)
                target = db.session.get(type(workshop), workshop_id)
                service.register_attendee(target, {"name": f"P{n}", "email": f"p{n}@example.org"})
            except Exception as exc:  # any failure is a test failure
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = service.counts(workshop)
    assert counts["confirmed"] == 10 and counts["waitlisted"] == 30


def test_door_list_search(make_workshop, make_registration):
    workshop = make_workshop()
    make_registration(workshop, name="Ada Lovelace", organisation="NHS Trust")
    make_registration(workshop, name="Grace Hopper", organisation="Campaign")
    assert [r.name for r in service.door_list(workshop, "nhs")] == ["Ada Lovelace"]
    assert len(service.door_list(workshop)) == 2
