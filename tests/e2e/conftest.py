"""Browser tests: the real server (gunicorn, gevent worker, as in production) + Debian's Chromium via Playwright.

Fixtures other tests reuse:
  server            session-wide LiveServer: .url, .email, .password, .code ("SNOG"), .slug, .log()
  base_url          server.url, so page.goto("/w/...") works
  facilitator_page  a page signed in as the seeded facilitator (one real login per run, reused as storage state)
  new_page(**kw)    a fresh browser context + page (desktop); phone_page(**kw) the same with mobile emulation
  join_phone(stance=None, ticket=None, url=None, query="", wait=True)  a phone that joined through the join form
  screenshot(page, name)  always test-artifacts/e2e/<name>.png; also docs/screenshots/ with --screenshots

Options: --headed (pytest-playwright), --screenshots (refresh docs/screenshots/), --slowmo.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
DOCS_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
EMAIL, PASSWORD = "host@example.org", "e2e password 1234"
PHONE = "Pixel 7"
RAISE_DEMO_CAP = ("from workshop import create_app; from workshop.extensions import db; "
                  "from workshop.planner.models import Workshop\n"
                  "with create_app().app_context():\n"
                  "    db.session.query(Workshop).filter_by(slug='snog-marry-avoid').one().participant_cap = 10_000\n"
                  "    db.session.commit()")
expect.set_options(timeout=20_000)  # the CPU is shared (2 cores, 20+ pages): wait longer than the default 5 s


def pytest_addoption(parser):
    """--screenshots: also write screenshots to docs/screenshots/ (they always go to test-artifacts/)."""
    parser.addoption("--screenshots", action="store_true", default=False,
                     help="write e2e screenshots to docs/screenshots/ as well as test-artifacts/e2e/")


def pytest_collection_modifyitems(items):
    """Mark every test in this folder `e2e`."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    """A running workshop server in a subprocess."""

    url: str
    process: subprocess.Popen
    log_path: Path
    database: str  # its DATABASE_URL
    email: str = EMAIL
    password: str = PASSWORD
    code: str = "SNOG"
    slug: str = "snog-marry-avoid"
    env: dict = field(default_factory=dict)

    def log(self, lines: int = 60) -> str:
        """The tail of the server's log (printed when something fails)."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def flask(self, *args: str) -> str:
        """Run a `flask --app workshop` command against the server's database."""
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "workshop", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout


def _database(tmp: Path):
    """The server's database: a fresh SQLite file, or - in the PostgreSQL pass (DATABASE_URL set) - a fresh
    PostgreSQL database on that server, dropped afterwards. Yields its URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp / 'e2e.sqlite'}"
        return
    import psycopg

    name = f"e2e_{os.getpid()}_{int(time.time())}_{os.urandom(3).hex()}"  # a test may start a server of its own
    admin = url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "REDIS_", "DATABASE_", "PG_"))}
    env.update({
        "DATABASE_URL": database_url,
        "SECRET_KEY": "e2e-secret-key",
        "SOCKETIO_ASYNC_MODE": "gevent",
        "WORKSHOP_ADMIN_EMAIL": EMAIL,
        "WORKSHOP_ADMIN_PASSWORD": PASSWORD,
        "PREFERRED_URL_SCHEME": "http",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the e2e server exited early")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the e2e server did not become healthy in time")


@contextlib.contextmanager
def serve(tmp: Path, extra_env: dict | None = None):
    """`flask setup` (migrations, facilitator, demo workshop) then `gunicorn -k gevent` on a free loopback port;
    ``extra_env`` adds settings (e.g. REACTION_MESSAGE_RATE). Yields the LiveServer; stops it afterwards."""
    databases = _database(tmp)
    env = {**_server_env(next(databases)), **(extra_env or {})}
    setup = subprocess.run([sys.executable, "-m", "flask", "--app", "workshop", "setup"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    # The suite joins well over a hundred phones to the demo, and once test_registration has registered
    # attendees the demo's automatic cap (capacity + 20 % + 10 = 82) would turn later tests' phones away.
    raised = subprocess.run([sys.executable, "-c", RAISE_DEMO_CAP], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert raised.returncode == 0, raised.stdout + raised.stderr
    # Bind port 0 here and hand the listening socket to gunicorn: no race for the port, no unsafe ports.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    port, fd = listener.getsockname()[1], listener.fileno()
    # What a venue sets (README): phones reach the server here. Without it a loopback page offers LAN addresses,
    # which this loopback-only server does not listen on (tests/live/test_addresses.py covers that path).
    env["PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    log_path = tmp / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1", "--worker-connections", "2000", "--no-control-socket",
             "--bind", f"fd://{fd}", "--graceful-timeout", "2", "--timeout", "60", "--log-level", "info", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=(fd,),
        )
    listener.close()
    live = LiveServer(f"http://127.0.0.1:{port}", process, log_path, env["DATABASE_URL"], env=env)
    try:
        _wait_healthy(live.url, process)
    except RuntimeError as exc:
        process.kill()
        databases.close()
        pytest.fail(f"{exc}\n{live.log()}")
    try:
        yield live
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        databases.close()  # drops the PostgreSQL database, if one was made


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The session's server: the demo workshop as it ships, every browser test's default."""
    with serve(tmp_path_factory.mktemp("e2e-server")) as live:
        yield live


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, pytestconfig):
    """Debian's Chromium with the flags that work on this machine (Playwright cannot download browsers here)."""
    need(os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    args = dict(browser_type_launch_args)
    args["executable_path"] = CHROMIUM
    args["args"] = [*args.get("args", []), *CHROMIUM_ARGS, *([] if pytestconfig.getoption("--headed") else ["--headless"])]
    return args


@pytest.fixture(scope="session")
def base_url(server):
    """Relative URLs in page.goto() go to the live server."""
    return server.url


@pytest.fixture(scope="session")
def facilitator_state(browser, server, tmp_path_factory):
    """Sign in once through the real login form (the login rate limit is per address); reuse the cookies."""
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(server.email)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    path = tmp_path_factory.mktemp("e2e-auth") / "facilitator.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


@pytest.fixture
def new_page(browser, server):
    """Factory: a fresh, isolated browser context + page per call (closed at teardown)."""
    contexts = []

    def make(**options):
        options.setdefault("reduced_motion", "reduce")  # no bar animations: less CPU with 20+ pages open
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def phone_page(new_page, playwright):
    """Factory: a page with mobile emulation (Pixel 7: 412 px wide, touch, mobile user agent).

    Rendered at device scale 1 (CSS pixels): layout is the same, twenty phones cost far less CPU.
    """
    device = {k: v for k, v in playwright.devices[PHONE].items() if k != "default_browser_type"}
    device["device_scale_factor"] = 1

    def make(**options):
        return new_page(**{**device, **options})

    return make


@pytest.fixture
def facilitator_page(new_page, facilitator_state):
    """A desktop page signed in as the seeded facilitator."""
    return new_page(storage_state=facilitator_state)


@pytest.fixture
def join_phone(phone_page, server):
    """Factory: a phone that opened the join URL and picked a stance (or used a ticket); returns its page.

    wait=False returns as soon as the phone screen starts loading (pipelines many joins); call
    `expect(page.locator("#conn")).to_have_text("Live")` later.
    """

    def join(stance=None, ticket=None, url=None, query="", wait=True):
        page = phone_page()
        page.goto(url or f"/j/{server.code}", wait_until="commit" if not wait else "load")
        if ticket:
            page.get_by_label("Ticket code", exact=False).fill(ticket)
            page.get_by_role("button", name="Use my ticket").click()
        else:
            page.get_by_label(stance or "Prefer not to say", exact=True).check()
            page.get_by_role("button", name="Join the session").click()
        try:
            page.wait_for_url(f"**/live/{server.code}", wait_until="load" if wait else "commit")
        except Exception as exc:
            raise AssertionError(f"join failed on {page.url}: {page.locator('main').inner_text()[:500]}") from exc
        if query:
            page.goto(f"/live/{server.code}{query}")
        if wait:
            expect(page.locator("#conn")).to_have_text("Live")
        return page

    return join


@pytest.fixture
def screenshot(pytestconfig):
    """Save a screenshot to test-artifacts/e2e/ (always) and docs/screenshots/ (with --screenshots)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shoot(page, name, full_page=None):
        if full_page is None:  # phones: the whole screen; desktop and projector: what fits the window
            full_page = (page.viewport_size or {}).get("width", 1280) < 600
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", scale="css", timeout=30_000)
        if pytestconfig.getoption("--screenshots"):
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")
        return path

    return shoot


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the server log tail to the report."""
    outcome = yield
    report = outcome.get_result()
    live = item.funcargs.get("server") if hasattr(item, "funcargs") else None
    if report.failed and call.when == "call" and isinstance(live, LiveServer):
        report.sections.append(("e2e server log", live.log()))

