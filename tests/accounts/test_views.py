"""Login, password hashing and the facilitator CLI."""

from tests.conftest import PASSWORD
from workshop.accounts.models import Facilitator
from workshop.accounts.service import find_facilitator
from workshop.extensions import db
from workshop.planner.models import Workshop


def test_password_is_hashed_with_scrypt(make_facilitator):
    user = make_facilitator()
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


def test_wrong_password_gets_a_message(client, make_facilitator):
    user = make_facilitator()
    response = client.post("/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 200 and "do not match" in response.get_data(as_text=True)


def test_login_rate_limited(client, app, make_facilitator):
    app.config["RATELIMIT_ENABLED"] = True
    user = make_facilitator()
    for _ in range(10):
        client.post("/login", data={"email": user.email, "password": "nope"})
    page = client.post("/login", data={"email": user.email, "password": PASSWORD}).get_data(as_text=True)
    assert "Too many sign-in attempts" in page


def test_next_is_never_an_open_redirect(client, make_facilitator):
    user = make_facilitator()
    response = client.post("/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/planner/"


def test_create_facilitator_cli(runner):
    result = runner.invoke(args=["create-facilitator", "--email", "New@Example.org", "--name", "New"],
                           input="secret-passphrase\nsecret-passphrase\n")
    assert result.exit_code == 0, result.output
    assert find_facilitator("new@example.org").check_password("secret-passphrase")


def test_setup_seeds_demo_with_two_hosts_once(runner, monkeypatch):
    monkeypatch.setenv("WORKSHOP_ADMIN_EMAIL", "host@nhs.example")
    monkeypatch.setenv("WORKSHOP_ADMIN_PASSWORD", "a-long-password")
    db.drop_all()  # setup migrates from scratch
    db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()
    result = runner.invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    demo = db.session.query(Workshop).filter_by(slug="snog-marry-avoid").one()
    assert demo.title == "Snog, Marry, Avoid?" and len(demo.facilitators) == 2
    assert demo.starts_at.month == 9 and demo.starts_at.day == 28 and len(demo.agenda) >= 5
    assert runner.invoke(args=["setup"]).exit_code == 0
    assert db.session.query(Workshop).count() == 1 and db.session.query(Facilitator).count() == 2
    assert find_facilitator("host@nhs.example").check_password("a-long-password")


def test_create_facilitator_says_when_the_account_exists_and_the_environment_owns_it(runner, monkeypatch):
    monkeypatch.setenv("WORKSHOP_ADMIN_EMAIL", "Host@NHS.example")
    monkeypatch.setenv("WORKSHOP_ADMIN_PASSWORD", "a-long-password")
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # setup's ensure_admin creates the account
    result = runner.invoke(args=["create-facilitator", "--email", "host@nhs.example"],
                           input="plum kettle orbit\nplum kettle orbit\n")
    assert result.exit_code == 0, result.output
    assert "already existed" in result.output and "WORKSHOP_ADMIN_PASSWORD" in result.output
    assert find_facilitator("host@nhs.example").check_password("plum kettle orbit")
    fresh = runner.invoke(args=["create-facilitator", "--email", "other@example.org"],
                          input="plum kettle orbit\nplum kettle orbit\n")
    assert "created" in fresh.output and "WORKSHOP_ADMIN" not in fresh.output
