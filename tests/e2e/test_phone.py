"""The phone in a dark room, confirmations before anything destructive, and the small things everywhere.

Phones are 390x844 (an iPhone 12-14 screen), held in one hand, often on another tab or reading the question wall.
"""

import re

from playwright.sync_api import expect

from tests.e2e.checks import axe_violations, contrast_report, vnu_errors
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.screens import CORPORATE, card_button, control_action, open_control, open_poll

PHONE_SIZE = {"width": 390, "height": 844}
BLOG = "A chief executive's blog answering campaigners' challenging comments in public."
REPLYING = "A Trust replying on Patient Opinion to negative feedback within the hour."
CLASSIC = "Snog, marry or avoid: who should a campaign group get close to?"
MEANINGS = ["Snog: work together now and then", "Marry: merge", "Avoid: keep apart"]
# navigator.vibrate is a no-op in headless Chromium: record the calls instead.
RECORD_VIBRATE = "navigator.vibrate = (pattern) => { (window.__vibrated = window.__vibrated || []).push(pattern); return true; };"
HIDE_PAGE = """(hidden) => {
  Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});
  Object.defineProperty(document, 'visibilityState', {value: hidden ? 'hidden' : 'visible', configurable: true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
LUMINANCE = """(el) => {
  const m = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g).map(Number);
  return m.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
}"""


def _phone(phone_page, server, scheme="dark", record_vibrate=False):
    page = phone_page(viewport=PHONE_SIZE, color_scheme=scheme, bypass_csp=True)
    if record_vibrate:
        page.add_init_script(RECORD_VIBRATE)
    page.goto(f"/j/{server.code}")
    page.get_by_label(CORPORATE, exact=True).check()
    page.get_by_role("button", name="Join the session").click()
    expect(page.locator("#conn")).to_have_text("Live")
    return page


def _low_contrast(page):
    return [c for c in contrast_report(page) if c["ratio"] < c["needed"]]


def test_dark_phone_with_a_poll_its_marks_and_meanings(server, phone_page, facilitator_page, screenshot):
    control = open_control(facilitator_page, server.slug)
    open_poll(control, BLOG)
    for scheme in ("dark", "light"):  # dark by default: a light-mode phone in a dark room stays dark too
        phone = _phone(phone_page, server, scheme)
        expect(phone.locator("#poll .prompt")).to_have_text(BLOG)
        assert phone.locator("body").evaluate(LUMINANCE) < 0.02, scheme  # near-black background
        for verdict in ("Snog", "Marry", "Avoid"):  # a mark besides the colour, the word as the name
            button = phone.locator("#poll").get_by_role("button", name=verdict, exact=True)
            expect(button.locator("svg.mark")).to_have_count(1)
        expect(phone.locator("#meanings .meaning")).to_have_text(MEANINGS)
        expect(phone.get_by_role("button", name="Marry", exact=True)).to_have_accessible_description("Marry: merge")
        phone.get_by_role("button", name="Marry", exact=True).click()
        expect(phone.locator("#vote-status")).to_contain_text("Vote received")
        assert _low_contrast(phone) == [], scheme
        assert axe_violations(phone) == [], scheme
        if scheme == "dark":
            screenshot(phone, "phone-dark")
            (ARTIFACTS / "html").mkdir(parents=True, exist_ok=True)
            dom = ARTIFACTS / "html" / "phone-dark.dom.html"
            dom.write_text(phone.content())
            assert vnu_errors([dom]) == []
    control_action(control, BLOG, "Close")


def test_new_poll_notice_when_reading_the_wall_and_on_another_tab(server, phone_page, facilitator_page, screenshot):
    control = open_control(facilitator_page, server.slug)
    phone = _phone(phone_page, server, record_vibrate=True)
    title = phone.title()
    # Reading the question wall, far below the poll.
    phone.locator("a[href='#questions-section']").click()
    phone.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    open_poll(control, REPLYING)
    notice = phone.get_by_role("button", name=re.compile(r"^New poll: .* Vote now$"))
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(REPLYING)
    expect(phone.locator("#poll-announce")).to_have_text(f"New poll: {REPLYING}")
    expect(phone.locator("#poll-announce")).to_have_attribute("aria-live", "polite")
    expect(phone).to_have_title(f"● Vote now · {title}")
    assert phone.evaluate("window.__vibrated") == [200]
    screenshot(phone, "phone-new-poll-notice", full_page=False)
    notice.click()  # takes them to the poll: scrolled there, focus on its prompt
    expect(phone.locator("#poll-prompt")).to_be_focused()
    expect(phone.locator("#poll-prompt")).to_be_in_viewport()
    expect(notice).to_be_hidden()
    expect(phone).to_have_title(title)

    # On another tab: the page is hidden when the next poll opens.
    phone.evaluate(HIDE_PAGE, True)
    open_poll(control, BLOG)
    expect(phone.locator("#poll-announce")).to_have_text(f"New poll: {BLOG}")
    expect(phone).to_have_title(f"● Vote now · {title}")
    expect(phone.locator("#poll-notice")).to_be_visible()
    assert phone.evaluate("window.__vibrated") == [200, 200]
    phone.evaluate(HIDE_PAGE, False)  # back on the tab, the poll in view: all cleared
    expect(phone).to_have_title(title)
    expect(phone.locator("#poll-notice")).to_be_hidden()

    # Results revealed while reading the wall: told too, without a vibration.
    phone.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    control_action(control, BLOG, "Reveal")
    expect(phone.get_by_role("button", name=re.compile(r"^Results: .* See results$"))).to_be_visible()
    assert phone.evaluate("window.__vibrated") == [200, 200]
    control_action(control, BLOG, "Close")


def test_classic_poll_says_what_to_do_and_why_send_waits(server, phone_page, facilitator_page):
    control = open_control(facilitator_page, server.slug)
    phone = _phone(phone_page, server)
    open_poll(control, CLASSIC)
    expect(phone.locator("#poll .prompt")).to_have_text(CLASSIC)
    expect(phone.locator("#classic-how")).to_have_text("Give each item a different verdict: one Snog, one Marry, one Avoid.")
    send = phone.get_by_role("button", name="Send my verdicts")
    expect(send).to_be_disabled()
    expect(send).to_have_accessible_description(re.compile(r"^Pick 3 more to send"))
    phone.locator("#poll fieldset").nth(0).get_by_role("button", name="Snog", exact=True).click()
    expect(send).to_have_accessible_description(re.compile(r"^Pick 2 more to send"))
    phone.locator("#poll fieldset").nth(1).get_by_role("button", name="Marry", exact=True).click()
    phone.locator("#poll fieldset").nth(2).get_by_role("button", name="Avoid", exact=True).click()
    expect(send).to_be_enabled()
    expect(send).to_have_accessible_description("Ready: send your verdicts.")
    expect(phone.locator("#meanings .meaning")).to_have_text(MEANINGS)
    assert _low_contrast(phone) == []
    assert axe_violations(phone) == []
    control_action(control, CLASSIC, "Reset")  # back to draft: the rehearsal runs it for real


def _register(page, server, email):
    page.goto(f"/w/{server.slug}")
    page.get_by_label("Your name").fill("Dot Dialog")
    page.get_by_label("Email").fill(email)
    page.get_by_label(CORPORATE, exact=True).check()
    page.get_by_label("I agree to the privacy notice").check()
    page.get_by_role("button", name=re.compile("^(Register|Join the waitlist)$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^You're"))


def test_cancel_and_delete_ask_first_and_keeping_keeps(server, new_page, screenshot):
    page = new_page(viewport=PHONE_SIZE, bypass_csp=True)
    _register(page, server, "dot.dialog@example.org")
    manage = page.url
    page.get_by_role("button", name="Delete my data").click()
    dialog = page.get_by_role("dialog", name="Delete your data?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("for good")
    expect(dialog.get_by_role("button", name="Keep my data")).to_be_focused()  # the safe choice has the focus
    assert axe_violations(page) == []
    (ARTIFACTS / "html").mkdir(parents=True, exist_ok=True)
    dom = ARTIFACTS / "html" / "confirm-dialog.dom.html"
    dom.write_text(page.content())
    assert vnu_errors([dom]) == []
    screenshot(page, "confirm-delete", full_page=False)
    page.keyboard.press("Escape")  # Escape keeps
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("button", name="Delete my data")).to_be_focused()  # focus back where it was
    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("dialog").get_by_role("button", name="Keep my data").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.get_by_role("button", name="Cancel my place").click()
    page.get_by_role("dialog", name="Cancel your place?").get_by_role("button", name="Keep my place").click()
    page.reload()
    expect(page.get_by_role("heading", name="Your ticket")).to_be_visible()  # kept: still a confirmed place

    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete my data").click()
    expect(page.get_by_role("status")).to_contain_text("personal details have been deleted")
    assert page.goto(manage).status == 404


def test_without_javascript_the_server_asks_first(server, browser):
    context = browser.new_context(base_url=server.url, java_script_enabled=False, viewport=PHONE_SIZE)
    try:
        page = context.new_page()
        _register(page, server, "no.script@example.org")
        manage = page.url
        page.get_by_role("button", name="Cancel my place").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your place?")
        (ARTIFACTS / "html").mkdir(parents=True, exist_ok=True)
        html = ARTIFACTS / "html" / "confirm-no-js.html"
        html.write_text(page.content())
        assert vnu_errors([html]) == []
        page.get_by_role("link", name="Keep my place").click()
        expect(page.get_by_role("heading", name="Your ticket")).to_be_visible()
        page.get_by_role("button", name="Cancel my place").click()
        page.get_by_role("button", name="Cancel my place").click()  # the confirmation page's button
        expect(page.get_by_role("status")).to_contain_text("Your registration is cancelled.")
        assert page.url.split("?")[0] == manage.split("?")[0]
    finally:
        context.close()


def test_planner_sets_the_meanings_and_delete_asks_first(server, facilitator_page, screenshot):
    page = facilitator_page
    page.goto(f"/planner/{server.slug}")
    expect(page.get_by_label("Snog means")).to_have_value("work together now and then")  # the demo's, from the announcement
    expect(page.get_by_label("Marry means")).to_have_value("merge")
    expect(page.get_by_label("Avoid means")).to_have_value("keep apart")
    page.get_by_role("group", name="What Snog, Marry and Avoid mean here").scroll_into_view_if_needed()
    screenshot(page, "planner-meanings", full_page=False)
    page.goto(f"/planner/{server.slug}/polls")
    polls = page.locator("ol.polls > li")
    before = polls.count()
    delete = page.get_by_role("button", name=re.compile(r"^Delete poll 1: "))
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete poll 1?")
    expect(dialog).to_contain_text("all its votes are deleted for good")
    expect(dialog.get_by_role("button", name="Keep poll")).to_be_focused()
    dialog.get_by_role("button", name="Keep poll").click()
    page.reload()
    expect(polls).to_have_count(before)
    page.goto(f"/planner/{server.slug}/agenda")
    segments = page.locator("tbody tr")
    before = segments.count()
    page.get_by_role("button", name=re.compile(r"^Delete segment: Break")).click()
    page.get_by_role("dialog", name="Delete this segment?").get_by_role("button", name="Keep segment").click()
    page.reload()
    expect(segments).to_have_count(before)


def test_failed_registration_focuses_the_error_summary_and_links_the_privacy_notice(server, new_page, screenshot):
    page = new_page(viewport=PHONE_SIZE)
    page.goto(f"/w/{server.slug}")
    consent = page.get_by_label("I agree to the privacy notice")
    expect(consent).to_have_accessible_description(re.compile("Read the privacy notice"))
    page.get_by_role("button", name="Register").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    screenshot(page, "registration-error-focus", full_page=False)
    page.get_by_role("link", name="Read the privacy notice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")


def test_privacy_page_favicon_and_focus_ring(server, new_page, screenshot):
    page = new_page(bypass_csp=True, viewport=PHONE_SIZE)
    response = page.goto("/privacy")
    assert response.ok
    assert axe_violations(page) == []
    screenshot(page, "privacy")
    (ARTIFACTS / "html").mkdir(parents=True, exist_ok=True)
    html = ARTIFACTS / "html" / "privacy.html"
    html.write_text(response.text())
    assert vnu_errors([html]) == []
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert page.request.get(page.locator("link[rel=icon][type='image/svg+xml']").get_attribute("href")).ok
    # The focus ring: black inside, yellow outside; one of them is >= 3:1 against any background.
    page.keyboard.press("Tab")
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                         " return [s.outlineColor, s.outlineWidth, s.boxShadow]; }")
    assert ring[0] == "rgb(11, 12, 12)" and ring[1] == "3px" and "rgb(255, 221, 0)" in ring[2], ring


def test_phone_counts_down_with_the_room(server, phone_page, facilitator_page):
    control = open_control(facilitator_page, server.slug)
    phone = _phone(phone_page, server)
    if card_button(control, REPLYING, "Close").count():
        control_action(control, REPLYING, "Close")
    open_poll(control, REPLYING)
    expect(phone.locator("#poll .prompt")).to_have_text(REPLYING)
    control.get_by_label("Countdown step in seconds").fill("45")
    control.locator("#now-timer-button").click()
    expect(phone.get_by_role("timer")).to_have_text(re.compile(r"^(4[0-5]|3\d) s left to vote$"))
    assert _low_contrast(phone) == []
    control_action(control, REPLYING, "Close")
    expect(phone.get_by_role("timer")).to_be_hidden()
