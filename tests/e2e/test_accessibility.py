"""Accessibility and validity of every page kind: axe-core, the Nu HTML Checker, keyboard, zoom, contrast.

One walk (module fixture) visits every page kind once as a visitor, a phone, the projector and a facilitator,
keeping each page's server HTML, its DOM after the scripts ran, and axe-core's serious/critical violations.
"""

import csv
import io
import shutil
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from tests.conftest import need
from tests.e2e.checks import VNU_JAR, axe_violations, contrast_report, horizontal_overflow, vnu_errors, zoom_text
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.e2e.screens import (
    BOTH,
    CORPORATE,
    PROJECTOR_SIZE,
    card_button,
    control_action,
    open_control,
    open_poll,
    open_projector,
    poll_card,
    vote,
)

VERDICT = "A Trust replying on Patient Opinion to negative feedback within the hour."
CLASSIC = "Snog, marry or avoid: who should a campaign group get close to?"
CHOICE = "After today, which describes you best?"
HTML_DIR = ARTIFACTS / "html"


@dataclass
class Walk:
    """What the walk saw: axe violations and HTML files per page kind."""

    violations: dict = field(default_factory=dict)
    html: list = field(default_factory=list)
    missing: list = field(default_factory=list)

    def check(self, page, name, response=None, dom=False):
        """Keep the server's HTML (and the scripted DOM) for vnu, then run axe on the page as it stands."""
        HTML_DIR.mkdir(parents=True, exist_ok=True)
        if response is not None:
            path = HTML_DIR / f"{name}.html"
            path.write_text(response.text())
            self.html.append(path)
        if dom:
            path = HTML_DIR / f"{name}.dom.html"
            path.write_text(page.content())
            self.html.append(path)
        self.violations[name] = axe_violations(page)


def _goto(page, url, name, walk, dom=False):
    response = page.goto(url)
    assert response.ok, f"{url}: {response.status}"
    walk.check(page, name, response, dom)
    return response


@pytest.fixture(scope="module")
def walk(browser, server, facilitator_state, playwright):
    """Visit every page kind once; record HTML and axe results."""
    walk = Walk()
    device = {k: v for k, v in playwright.devices[PHONE].items() if k != "default_browser_type"}
    device["device_scale_factor"] = 1
    visitor_ctx = browser.new_context(base_url=server.url, bypass_csp=True)
    phone_ctx = browser.new_context(base_url=server.url, bypass_csp=True, **device)
    host_ctx = browser.new_context(base_url=server.url, bypass_csp=True, storage_state=facilitator_state)
    screen_ctx = browser.new_context(base_url=server.url, bypass_csp=True, viewport=PROJECTOR_SIZE)
    for context in (visitor_ctx, phone_ctx, host_ctx, screen_ctx):
        context.set_default_timeout(20_000)
    try:
        visitor, phone, host, screen = (c.new_page() for c in (visitor_ctx, phone_ctx, host_ctx, screen_ctx))
        _visitor_pages(visitor, server, walk)
        _live_pages(phone, host, screen, server, walk)
        _facilitator_pages(host, server, walk)
        yield walk
    finally:
        for context in (visitor_ctx, phone_ctx, host_ctx, screen_ctx):
            context.close()


def _visitor_pages(page, server, walk):
    _goto(page, "/", "home", walk)
    _goto(page, "/login", "login", walk)
    _goto(page, "/privacy", "privacy", walk)
    _goto(page, f"/w/{server.slug}", "workshop", walk)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_be_visible()
    walk.check(page, "registration-errors", dom=True)
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email").fill("grace@example.org")
    page.get_by_label(BOTH, exact=True).check()
    page.get_by_label("I agree to the privacy notice").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're registered")
    walk.check(page, "confirmation", page.request.get(page.url))
    page.get_by_role("button", name="Delete my data").click()  # asks first: the dialog is a state of its own
    expect(page.get_by_role("dialog", name="Delete your data?")).to_be_visible()
    walk.check(page, "confirm-dialog", dom=True)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    _goto(page, f"/t/{page.locator('#ticket-code').inner_text()}", "ticket-public", walk)
    _goto(page, "/join", "join-code", walk)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("alert")).to_be_visible()
    walk.check(page, "join-code-errors", dom=True)
    _goto(page, f"/j/{server.code}", "join", walk)
    page.get_by_role("button", name="Join the session").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Ticket code", exact=False).fill("NO-SUCH")
    page.get_by_role("button", name="Use my ticket").click()
    expect(page.get_by_role("alert")).to_contain_text("We could not find that ticket code")
    walk.check(page, "join-errors", dom=True)
    page.goto("/login")
    page.get_by_label("Email").fill(server.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    walk.check(page, "login-errors", dom=True)
    page.goto("/w/no-such-workshop")
    walk.check(page, "not-found", page.request.get(page.url))


def _live_pages(phone, host, screen, server, walk):
    phone.goto(f"/j/{server.code}")
    phone.get_by_label(CORPORATE, exact=True).check()
    phone.get_by_role("button", name="Join the session").click()
    expect(phone.locator("#conn")).to_have_text("Live")
    walk.check(phone, "phone-waiting", phone.request.get(phone.url), dom=True)
    control = open_control(host, server.slug)
    open_projector(screen, server.code)
    open_poll(control, VERDICT)
    vote(phone, VERDICT, "Snog")
    walk.check(phone, "phone-poll", dom=True)
    control_action(control, VERDICT, "Reveal")
    expect(phone.locator("#results")).to_contain_text("Results · 1 vote")
    expect(screen.locator("#results")).to_contain_text("Results · 1 vote")
    walk.check(phone, "phone-results", dom=True)
    walk.check(screen, "projector", screen.request.get(screen.url), dom=True)
    walk.check(host, "control", host.request.get(host.url), dom=True)
    host.keyboard.press("?")  # the shortcut list over the control screen
    expect(host.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    walk.check(host, "control-help", dom=True)
    host.keyboard.press("Escape")
    expect(host.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    open_poll(control, CLASSIC)
    expect(phone.locator("#poll .prompt")).to_have_text(CLASSIC)
    walk.check(phone, "phone-classic", dom=True)
    card_button(control, CLASSIC, "Reset").click()  # Reset asks first: check that dialog too
    expect(control.get_by_role("dialog")).to_be_visible()
    walk.check(control, "control-confirm", dom=True)
    control.get_by_role("dialog").get_by_role("button", name="Keep the votes").click()
    control_action(control, CLASSIC, "Reset")  # back to draft: the rehearsal runs it for real
    if phone.locator("#questions-section").count():
        phone.locator("a[href='#questions-section']").click()
        walk.check(phone, "phone-questions", dom=True)
    else:
        walk.missing.append("phone-questions (templates/questions/_phone.html not there yet)")


def _facilitator_pages(page, server, walk):
    slug = server.slug
    for url, name in [("/planner/", "planner"), (f"/planner/{slug}", "planner-edit"),
                      (f"/planner/{slug}/agenda", "planner-agenda"), (f"/planner/{slug}/polls", "planner-polls"),
                      (f"/planner/{slug}/facilitators", "planner-facilitators"), (f"/planner/{slug}/door", "door")]:
        _goto(page, url, name, walk)
    confirmation = walk_ticket_url(page, server)
    _goto(page, confirmation, "ticket-check-in", walk)
    response = page.goto(f"/planner/{slug}/report")
    if response.ok:
        walk.check(page, "report", response)
    else:
        walk.missing.append(f"report (HTTP {response.status}: workshop/reports is not ready yet)")


def walk_ticket_url(page, server):
    """The check-in URL of Grace's ticket, from the attendee CSV a facilitator downloads."""
    text = page.request.get(f"/planner/{server.slug}/attendees.csv").text()
    row = next(row for row in csv.reader(io.StringIO(text)) if row and row[0] == "Grace Hopper")  # cells are quoted
    return f"/t/{row[6]}"


def test_axe_finds_no_serious_or_critical_violations_on_any_page_kind(walk):
    assert walk.missing == []
    assert len(walk.violations) >= 24, sorted(walk.violations)
    found = {name: v for name, v in walk.violations.items() if v}
    assert not found, "\n".join(f"{name}:\n  " + "\n  ".join(v) for name, v in found.items())


def test_every_rendered_page_is_valid_html(walk):
    need(shutil.which("java") is not None, "Java is needed for the Nu HTML Checker (apt-get install default-jre)")
    need(VNU_JAR.exists() or shutil.which("npm") is not None, "npm is needed once to fetch vnu-jar")
    errors = vnu_errors(walk.html)
    assert not errors, "\n".join(errors)


def _tab_to(page, selector, limit=60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_registration(server, new_page):
    page = new_page()
    page.goto(f"/w/{server.slug}")
    _tab_to(page, "#name")
    page.keyboard.type("Katherine Johnson")
    page.keyboard.press("Tab")
    page.keyboard.type("katherine@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("NASA")
    page.keyboard.press("Tab")  # into the stance radio group
    page.keyboard.press("ArrowDown")  # arrow keys move the choice within the group
    expect(page.get_by_label("Activist / campaigner")).to_be_checked()
    _tab_to(page, "#consent")
    page.keyboard.press("Space")
    _tab_to(page, "#submit")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're registered")


def test_keyboard_only_voting(server, facilitator_page, phone_page):
    prompt = "A chief executive's blog answering campaigners' challenging comments in public."
    page = phone_page()
    page.goto(f"/j/{server.code}")
    _tab_to(page, "input[name=stance]")
    page.keyboard.press("Space")
    _tab_to(page, "#submit")
    page.keyboard.press("Enter")
    expect(page.locator("#conn")).to_have_text("Live")
    control = open_control(facilitator_page, server.slug)
    card = poll_card(control, prompt)  # the facilitator uses the keyboard too: focus survives the re-render
    card.get_by_role("button", name="Re-run" if card.get_by_role("button", name="Re-run").count() else "Open").focus()
    control.keyboard.press("Enter")
    expect(card.get_by_role("button", name="Close")).to_be_focused()
    expect(page.locator("#poll .prompt")).to_have_text(prompt)
    _tab_to(page, ".answer-marry")
    page.keyboard.press("Enter")
    expect(page.locator("#vote-status")).to_contain_text("Vote received")
    marry = page.get_by_role("button", name="Marry", exact=True)
    expect(marry).to_have_attribute("aria-pressed", "true")
    expect(marry).to_be_focused()  # the re-rendered buttons keep the keyboard focus
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Avoid", exact=True)).to_have_attribute("aria-pressed", "true")
    control_action(control, prompt, "Reveal")
    expect(page.locator("#results")).to_contain_text("Results")
    control_action(control, prompt, "Close")


def test_phone_pages_at_320px_and_200_percent_text_without_horizontal_scrolling(server, phone_page, facilitator_page):
    narrow = {"viewport": {"width": 320, "height": 640}}
    page = phone_page(**narrow)
    pages = {"join": f"/j/{server.code}", "workshop": f"/w/{server.slug}", "join-code": "/join", "home": "/"}
    overflow = {}
    for name, url in pages.items():
        page.goto(url)
        overflow[name] = horizontal_overflow(page)
        zoom_text(page, 200)
        overflow[f"{name} @200%"] = horizontal_overflow(page)
    phone = _narrow_phone(phone_page, server, narrow)
    control = open_control(facilitator_page, server.slug)
    open_poll(control, CHOICE)
    vote(phone, CHOICE, "I'll be more careful")
    control_action(control, CHOICE, "Reveal")
    expect(phone.locator("#results")).to_contain_text("Results")
    overflow["phone results"] = horizontal_overflow(phone)
    zoom_text(phone, 200)
    overflow["phone results @200%"] = horizontal_overflow(phone)
    if phone.locator("#questions-section").count():
        phone.locator("a[href='#questions-section']").click()
        overflow["phone questions @200%"] = horizontal_overflow(phone)
    control_action(control, CHOICE, "Close")
    assert {name: px for name, px in overflow.items() if px > 0} == {}


def _narrow_phone(phone_page, server, options):
    page = phone_page(**options)
    page.goto(f"/j/{server.code}")
    page.get_by_label(CORPORATE, exact=True).check()
    page.get_by_role("button", name="Join the session").click()
    expect(page.locator("#conn")).to_have_text("Live")
    return page


def test_projector_text_meets_wcag_aa_contrast(server, new_page, facilitator_page, join_phone):
    page = open_projector(new_page(viewport=PROJECTOR_SIZE), server.code)
    phone = join_phone(CORPORATE)
    control = open_control(facilitator_page, server.slug)
    open_poll(control, CHOICE)
    vote(phone, CHOICE, "No change")
    expect(page.locator("#count")).to_have_text("1 vote")
    voting = contrast_report(page)  # the big join panel, the prompt, its options, votes against phones
    control_action(control, CHOICE, "Reveal")
    expect(page.locator("#results")).to_contain_text("By stance")
    report = voting + contrast_report(page)
    texts = " ".join(r["text"] for r in report)
    for seen in ("Join on your phone", "Vote now", CHOICE, "1 vote", "in the room", "Results", "No change", "Code"):
        assert seen in texts, f"{seen!r} was not measured"
    failing = [r for r in report if r["ratio"] < r["needed"]]
    control_action(control, CHOICE, "Close")
    assert failing == []
