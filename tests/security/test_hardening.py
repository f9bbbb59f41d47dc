"""Hardening (issue 16): sign-in limits per account and per address with backoff, the remember-me holder never
locked out, equal hashing work for unknown emails, the password policy, Secure cookies and HSTS behind TLS,
the voting pass on the question wall, and CSV cells that no spreadsheet reads as a formula."""

import csv
import io
import re

import pytest
from flask import g
from werkzeug import security

from tests.conftest import PASSWORD, login
from workshop import create_app
from workshop.accounts import models as account_models
from workshop.accounts.passwords import password_problem
from workshop.accounts.service import find_facilitator
from workshop.exports import csv_response, safe_cell
from workshop.extensions import db
from workshop.live import ballots
from workshop.live import service as live
from workshop.live.models import PASS_NEEDED
from workshop.questions import service as questions
from workshop.questions.models import Question, Upvote


@pytest.fixture
def limited(app, world):
    """Rate limits on, once the world is built."""
    app.config["RATELIMIT_ENABLED"] = True
    yield app
    app.config["RATELIMIT_ENABLED"] = False


def _forget_user() -> None:
    # Requests in a test share the test's app context, where Flask-Login caches the signed-in user.
    g.pop("_login_user", None)


def _sign_in(client, email, password, address="198.51.100.7", remember=False):
    data = {"email": email, "password": password} | ({"remember": "y"} if remember else {})
    _forget_user()
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


# --- sign-in limits ----------------------------------------------------------------------------------

def test_guesses_at_one_account_from_many_addresses_lock_that_account_only(limited, app, world):
    client = app.test_client()
    statuses = [_sign_in(client, world.bob.email, "wrong guess!!", f"203.0.113.{n}").status_code for n in range(10)]
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}  # the 5th failure locks, whatever the address
    response = _sign_in(client, world.bob.email, PASSWORD, "203.0.113.99")
    assert response.status_code == 429 and 240 < int(response.headers["Retry-After"]) <= 300
    assert "Too many sign-in attempts. Try again in 5 minutes." in response.get_data(as_text=True)
    assert "<form" in response.get_data(as_text=True)  # the form again, with the message
    assert _sign_in(app.test_client(), world.alice.email, PASSWORD, "203.0.113.1").status_code == 302  # others fine


def test_one_address_trying_many_accounts_is_locked_and_the_lock_grows(limited, app, world):
    client = app.test_client()
    statuses = [_sign_in(client, f"guess{n}@example.org", "wrong guess!!").status_code for n in range(20)]
    assert statuses[:19] == [200] * 19 and statuses[19] == 429
    assert _sign_in(client, world.bob.email, PASSWORD).status_code == 429  # this address waits
    assert _sign_in(client, world.bob.email, PASSWORD, "192.0.2.50").status_code == 302  # another address: fine
    first = int(_sign_in(client, "x@example.org", "wrong guess!!").headers["Retry-After"])
    from workshop import ratelimit

    ratelimit._memory.pop("rl:login-address:198.51.100.7:lock")  # the first lock has run out
    for n in range(20):
        response = _sign_in(client, f"again{n}@example.org", "wrong guess!!")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > first + 200  # doubled


def test_a_signed_in_facilitator_is_never_locked_out_by_someone_elses_failures(limited, app, world):
    own = app.test_client()
    assert _sign_in(own, world.bob.email, PASSWORD, remember=True).status_code == 302
    remember = own.get_cookie("remember_token", domain="workshop.test")
    assert remember is not None
    for n in range(30):  # someone on the same venue Wi-Fi guesses bob's password
        _sign_in(app.test_client(), world.bob.email, f"wrong guess {n}")
    assert _sign_in(app.test_client(), world.bob.email, PASSWORD).status_code == 429  # the account is locked

    device = app.test_client()  # bob's laptop the next morning: the session has gone, remember-me has not
    device.set_cookie("remember_token", remember.value, domain="workshop.test")
    _forget_user()
    assert device.get("/login").status_code == 302  # no login form at all
    _forget_user()
    assert device.get("/planner/").status_code == 200
    response = _sign_in(device, world.bob.email, PASSWORD)  # signing in again on it passes the account limit
    assert response.status_code == 302 and "Retry-After" not in response.headers


def test_unknown_and_known_emails_cost_the_same_hashing(app, world, monkeypatch):
    checked = []

    def counting(password_hash, password):
        checked.append(password_hash)
        return security.check_password_hash(password_hash, password)

    monkeypatch.setattr(account_models, "check_password_hash", counting)
    client = app.test_client()
    _sign_in(client, "nobody@example.org", "a wrong password")
    _sign_in(client, world.bob.email, "a wrong password")
    assert len(checked) == 2  # one scrypt verification each
    unknown, known = checked
    assert unknown == account_models.dummy_hash() and known == world.bob.password_hash
    assert unknown.split("$")[0] == known.split("$")[0]  # same method and cost parameters


# --- password policy ----------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["hunter2", "elevenchars", "password1234", "123456789012", " Password1234 ",
                                      "qwertyuiop123"])
def test_short_and_common_passwords_are_refused(runner, password):
    result = runner.invoke(args=["create-facilitator", "--email", "new@example.org"],
                           input=f"{password}\n{password}\n")
    assert result.exit_code != 0 and password_problem(password) in result.output
    assert find_facilitator("new@example.org") is None


def test_a_long_uncommon_password_is_accepted(runner):
    result = runner.invoke(args=["create-facilitator", "--email", "new@example.org"],
                           input="plum kettle orbit\nplum kettle orbit\n")
    assert result.exit_code == 0, result.output


def test_setup_refuses_a_weak_admin_password(runner, monkeypatch):
    monkeypatch.setenv("WORKSHOP_ADMIN_EMAIL", "host@nhs.example")
    monkeypatch.setenv("WORKSHOP_ADMIN_PASSWORD", "password1234")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "most common" in result.output


def test_the_planner_refuses_a_weak_first_password_for_a_co_host(client, world):
    login(client, world.bob)
    for weak in ("short-one", "password1234"):
        response = client.post(f"/planner/{world.b.slug}/facilitators",
                               data={"email": "co@example.org", "name": "Co", "password": weak})
        assert response.status_code == 200 and password_problem(weak) in response.get_data(as_text=True)
    assert find_facilitator("co@example.org") is None


# --- HTTPS --------------------------------------------------------------------------------------------

def _https_app(monkeypatch, tmp_path, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.sqlite'}",
                      "WTF_CSRF_ENABLED": False, "REDIS_URL": None})
    with app.app_context():
        db.create_all()
        from workshop.accounts.service import save_facilitator

        save_facilitator("tls@example.org", PASSWORD, "T")
    return app


def _cookies_after_sign_in(client, **kwargs):
    response = client.post("/login", data={"email": "tls@example.org", "password": PASSWORD, "remember": "y"},
                           **kwargs)
    assert response.status_code == 302
    return response, {c.split("=")[0]: c for c in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("env,request_kwargs", [
    ({"PREFERRED_URL_SCHEME": "https"}, {"base_url": "https://workshop.example.org"}),
    ({"BEHIND_PROXY": "1"}, {"headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}}),
])
def test_behind_tls_every_cookie_is_secure_and_hsts_is_sent(monkeypatch, tmp_path, env, request_kwargs):
    app = _https_app(monkeypatch, tmp_path, **env)
    response, cookies = _cookies_after_sign_in(app.test_client(), **request_kwargs)
    assert {"session", "remember_token"} <= set(cookies)
    for name, cookie in cookies.items():
        assert re.search(r";\s*Secure", cookie), name
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    page = app.test_client().get("/", **request_kwargs)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_plain_http_gets_no_hsts_and_no_secure_flag(monkeypatch, tmp_path):
    monkeypatch.delenv("PREFERRED_URL_SCHEME", raising=False)
    app = _https_app(monkeypatch, tmp_path, BEHIND_PROXY="1")  # a proxy speaking plain http (make cluster)
    response, cookies = _cookies_after_sign_in(app.test_client(), headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in response.headers
    assert not any("Secure" in c for c in cookies.values())


# --- the voting pass covers the question wall ----------------------------------------------------------

def test_the_voting_pass_covers_questions_and_upvotes(app, world, socket_client, make_participant):
    world.b.require_ticket = True
    db.session.commit()
    no_pass = make_participant(world.b)
    phone = socket_client(namespace="/questions", auth={"code": world.b.join_code, "role": "phone",
                                                         "token": no_pass.token})
    before = (db.session.query(Question).count(), db.session.query(Upvote).count())
    for _ in range(10):
        ack = phone.emit("upvote", {"question_id": world.question.id}, namespace="/questions", callback=True)
        assert ack == {"ok": False, "error": PASS_NEEDED}
    ack = phone.emit("ask", {"text": "Can I ask without a ticket?"}, namespace="/questions", callback=True)
    assert ack == {"ok": False, "error": PASS_NEEDED}
    assert (db.session.query(Question).count(), db.session.query(Upvote).count()) == before

    with_pass = socket_client(namespace="/questions", auth={"code": world.b.join_code, "role": "phone",
                                                           "token": world.participant.token})
    assert world.participant.has_ticket  # bound to a checked-in ticket: the pass
    assert with_pass.emit("upvote", {"question_id": world.other_question.id}, namespace="/questions",
                          callback=True)["ok"]
    assert with_pass.emit("ask", {"text": "And with one?"}, namespace="/questions", callback=True)["ok"]


def test_votes_and_the_wall_refuse_with_one_wording(app, world, make_participant):
    world.b.require_ticket = True
    db.session.commit()
    live.open_poll(world.poll)
    no_pass = make_participant(world.b)
    with pytest.raises(questions.QuestionError, match=re.escape(PASS_NEEDED)):
        questions.toggle_upvote(no_pass, world.question.id)
    with pytest.raises(live.LiveError, match="voting pass: bind your phone to your checked-in ticket"):
        ballots.submit_vote(no_pass.id, world.poll.id, "snog")


# --- CSV exports ----------------------------------------------------------------------------------------

HOSTILE = ["Ann;=HYPERLINK(\"http://evil.example\",\"x\")", "Ann,=1+2", "Ann\t=cmd|' /C calc'!A0", "=SUM(A1)",
           "+1", "-1", "@SUM(1)", "\t=1", "\r=1", "Ann; +1", "a;b,c\t@d", "x\n=1", " =1", "a;\t=1", "a\t\t=1"]


def _formula(field: str) -> bool:
    return field.lstrip(" \t\r\"").startswith(("=", "+", "-", "@"))


def _assert_no_formula(text: str, separator: str) -> None:
    # How a spreadsheet in that locale reads it (quote-aware), and a naive split of each line.
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator):
        assert not any(_formula(f) for f in row), (separator, row)
    for line in re.split(r"[\r\n]", text):
        assert not any(_formula(part) for part in line.split(separator)), (separator, line)


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_no_csv_cell_reads_as_a_formula_whatever_the_separator(app, separator):
    with app.test_request_context():
        body = csv_response("x.csv", ["id", "name", "note"], [[n, cell, "ok"] for n, cell in enumerate(HOSTILE)])
    text = body.get_data(as_text=True)
    _assert_no_formula(text, separator)
    cells = [r[1] for r in csv.reader(io.StringIO(text, newline=""))][1:]
    assert cells == [safe_cell(c) for c in HOSTILE] and all(c.startswith("'") for c in cells)  # marked as text
    assert [c[1:].replace("'", "") for c in cells] == [c.replace("'", "") for c in HOSTILE]  # nothing else changed


def test_harmless_cells_are_unchanged():
    for cell in ("Ann", "Ann; Bob", "Corporate: 2; Activist: 3", "2026-09-28T13:30:00", "x=1", "a-b", "", "a, b"):
        assert safe_cell(cell) == cell
    assert safe_cell(None) == "" and safe_cell(-3) == "'-3"


def test_every_export_neutralises_a_hostile_name(app, world, client):
    world.registration.name = "Ann;=HYPERLINK(\"http://evil.example\")"
    world.b.allow_names = True
    db.session.commit()
    phone = live.participant_by_token(world.b.id, world.participant.token)
    questions.ask_question(world.b, phone, "A question?", "Bo;=HYPERLINK(1)")
    login(client, world.bob)
    for path in (f"/planner/{world.b.slug}/attendees.csv", f"/planner/{world.b.slug}/questions.csv"):
        text = client.get(path).get_data(as_text=True)
        assert "HYPERLINK" in text
        for separator in (",", ";", "\t"):
            _assert_no_formula(text, separator)


def test_sign_in_locks_are_shared_through_redis(limited, app, world):
    """With REDIS_URL set, failures and locks live in Redis: every process behind the proxy sees them."""
    from tests.conftest import need
    from workshop.accounts.service import _account_key
    from workshop.ratelimit import _memory, redis_client

    url = "redis://127.0.0.1:6379/9"
    try:
        client = redis_client(url)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no Redis here"
        need(False, f"Redis at {url} is not reachable: {exc}")

    def clean():
        for key in [*client.scan_iter("rl:login-account:*"), *client.scan_iter("rl:login-address:*")]:
            client.delete(key)

    clean()
    app.config["REDIS_URL"] = url
    try:
        for n in range(5):
            _sign_in(app.test_client(), world.bob.email, "wrong guess!!", f"203.0.113.{n}")
        assert _memory == {}  # nothing counted in this process
        assert 0 < client.ttl(f"rl:login-account:{_account_key(world.bob.email)}:lock") <= 300
        assert world.bob.email not in str(list(client.scan_iter("rl:login-*")))  # keys carry no email
        assert _sign_in(app.test_client(), world.bob.email, PASSWORD, "203.0.113.200").status_code == 429
    finally:
        app.config["REDIS_URL"] = None
        clean()
