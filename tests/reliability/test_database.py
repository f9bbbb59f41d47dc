"""The database under concurrency: capacity with real threads, online backup while writing, restore."""

import shutil
import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from workshop import create_app
from workshop.extensions import db
from workshop.live import service as live
from workshop.live.models import Participant
from workshop.registration import service as registration
from workshop.registration.models import Registration, RegistrationStatus

THREADS, CAPACITY = 40, 10


def _in_threads(app, count: int, work) -> list:
    """Run work(n) in ``count`` real threads released together; returns each outcome (result or exception)."""
    barrier, outcomes = threading.Barrier(count), [None] * count

    def run(n: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcomes[n] = work(n)
            except Exception as exc:  # noqa: BLE001 - the outcome is what we check
                outcomes[n] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def _register(app, workshop_id: int, email: str):
    workshop = db.session.get(registration.Workshop, workshop_id)
    data = {"name": "Racer", "email": email, "organisation": "", "stance": None, "needs": ""}
    with app.test_request_context():
        return registration.register_attendee(workshop, data).status


def test_capacity_holds_under_concurrent_registrations(app, make_workshop, capsys):
    workshop_id = make_workshop(capacity=CAPACITY).id  # read here: threads must not touch this session
    outcomes = _in_threads(app, THREADS, lambda n: _register(app, workshop_id, f"racer{n}@example.org"))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    confirmed = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.workshop_id == workshop_id, Registration.status == RegistrationStatus.confirmed))
    assert confirmed == CAPACITY == outcomes.count(RegistrationStatus.confirmed)
    assert outcomes.count(RegistrationStatus.waitlisted) == THREADS - CAPACITY
    with capsys.disabled():
        print(f"\nCAPACITY ({db.engine.dialect.name}): {THREADS} simultaneous registrations, capacity {CAPACITY}: "
              f"{confirmed} confirmed, {THREADS - confirmed} waitlisted, 0 errors")


def test_same_email_twice_at_once_registers_once(app, make_workshop):
    workshop_id = make_workshop(capacity=CAPACITY).id
    outcomes = _in_threads(app, 8, lambda n: _register(app, workshop_id, "twin@example.org"))
    assert outcomes.count(RegistrationStatus.confirmed) == 1
    assert all(isinstance(o, registration.DuplicateRegistration) for o in outcomes if o is not RegistrationStatus.confirmed)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def _sqlite_file(app) -> str:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        pytest.skip("SQLite only (PostgreSQL: pg_dump, docs/reliability.md)")
    return uri.removeprefix("sqlite:///")


@pytest.mark.sqlite_only
def test_backup_while_writing_is_consistent_and_restores(app, runner, make_workshop, tmp_path):
    _sqlite_file(app)
    workshop_id = make_workshop().id
    stop, written = threading.Event(), []

    def writer() -> None:
        with app.app_context():
            ws = db.session.get(registration.Workshop, workshop_id)
            while not stop.is_set():
                written.append(live.create_participant(ws, None).id)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        for n in range(3):
            target = tmp_path / f"backup-{n}.sqlite"
            result = runner.invoke(args=["backup", str(target)])
            assert result.exit_code == 0 and "Backed up" in result.output, result.output
            copies.append((target, len(written)))
    finally:
        stop.set()
        thread.join(30)
    assert len(written) > 0
    for target, _ in copies:
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            rows = conn.execute("SELECT count(*) FROM participant").fetchone()[0]
        assert rows <= len(written)  # a snapshot: never more than was written, never torn

    # Restore as docs/reliability.md says: stop the server, copy the backup over the database file, start.
    restored = tmp_path / "restored.sqlite"
    shutil.copy(copies[-1][0], restored)
    restored_app = create_app({"SECRET_KEY": "r", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{restored}",
                               "SOCKETIO_ASYNC_MODE": "threading"})
    with restored_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Participant))
        with sqlite3.connect(copies[-1][0]) as conn:
            assert count == conn.execute("SELECT count(*) FROM participant").fetchone()[0]
        db.session.remove()


def test_backup_refuses_postgresql(app, runner):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://x@127.0.0.1/none"
    result = runner.invoke(args=["backup", "/tmp/never.sqlite"])
    assert result.exit_code != 0 and "pg_dump" in result.output


@pytest.mark.sqlite_only
@pytest.mark.parametrize("pragma,expected", [("journal_mode", "wal"), ("busy_timeout", 30000), ("foreign_keys", 1)])
def test_sqlite_runs_in_wal_with_busy_timeout(app, pragma, expected):
    _sqlite_file(app)
    assert db.session.execute(db.text(f"PRAGMA {pragma}")).scalar() == expected
