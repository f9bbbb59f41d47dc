"""The control screen on a 390x844 phone and a 1440x900 desktop: the pinned "now" panel, keyboard shortcuts,
accessible names that say what each button acts on, the reset confirmation, the live count of phones in the
room and the poll countdown the server ends."""

import json
import re
import shutil
import time

import pytest
import requests
import socketio
from playwright.sync_api import Page, expect

from tests.conftest import need
from tests.e2e.checks import axe_violations, horizontal_overflow, vnu_errors, zoom_text
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.screens import card_button, open_control

PHONE_SIZE = {"width": 390, "height": 844}
DESKTOP_SIZE = {"width": 1440, "height": 900}
PRIMARY = ("#now-open", "#now-reveal", "#now-close", "#now-next")
HTML_DIR = ARTIFACTS / "html"
ANSWERS = {"verdict": "snog", "classic": ["snog", "marry", "avoid"], "choice": "0"}


def control_at(new_page, facilitator_state, size) -> Page:
    """A signed-in control screen at this viewport size, connected."""
    return open_control(new_page(viewport=size, storage_state=facilitator_state), "snog-marry-avoid")


def button_names(page: Page, scope: str = "body") -> list[str]:
    """Every button's accessible name, as the accessibility tree has it (Playwright's ARIA snapshot)."""
    names = []
    for line in page.locator(scope).aria_snapshot().splitlines():
        item = line.strip()[2:] if line.strip().startswith("- ") else ""
        if item.startswith("'"):  # YAML single quotes (the name has a colon): '' is one quote, " stays raw
            found = re.match(r'button "(.*)"(?: \[[^\]]*\])*$', item[1:item.rindex("'")].replace("''", "'"))
            names += [found.group(1)] if found else []
        else:
            found = re.match(r'button "((?:[^"\\]|\\.)*)"', item)
            names += [json.loads(f'"{found.group(1)}"')] if found else []
    return names


def in_viewport(page: Page, selector: str) -> bool:
    """True when the element's whole box is inside the viewport (no scrolling needed to see or press it)."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]


def panel_target(page: Page, button: str) -> int | None:
    """The poll number a panel button acts on, from its accessible name ("Open poll 3: ... (shortcut O)")."""
    found = re.search(r"poll (\d+):", page.locator(button).get_attribute("aria-label") or "")
    return int(found.group(1)) if found else None


FOCUS_CONTRAST_JS = """(el) => {
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const lum = (c) => c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ring = lum(rgb(getComputedStyle(el).outlineColor));
  const panel = lum(rgb(getComputedStyle(document.getElementById("now")).backgroundColor));
  return Math.round(100 * (Math.max(ring, panel) + 0.05) / (Math.min(ring, panel) + 0.05)) / 100;
}"""


def poll_count(page: Page) -> int:
    """How many polls the control screen lists, once it has them (the demo has eight)."""
    expect(page.locator("#polls > li").first).to_be_visible()
    return page.locator("#polls > li").count()


def card(page: Page, number: int):
    """The card of poll `number` (1-based, running order)."""
    return page.locator("#polls > li").nth(number - 1)


class Voter:
    """A phone without a browser: joins through the JSON API and votes over Socket.IO (any poll kind)."""

    def __init__(self, url: str, code: str = "SNOG"):
        token = requests.post(f"{url}/api/w/{code}/participants", json={"stance": None}, timeout=10).json()["token"]
        self.sio = socketio.Client(reconnection=False)
        self.sio.connect(url, namespaces=["/live"], transports=["websocket"], wait_timeout=10,
                         auth={"code": code, "role": "phone", "token": token})

    def vote(self, poll_id: int, kind: str) -> dict:
        """The server's ack for a vote on this poll."""
        return self.sio.call("vote", {"poll_id": poll_id, "choice": ANSWERS[kind]}, namespace="/live", timeout=10)

    def close(self) -> None:
        """Leave the room."""
        self.sio.disconnect()


def poll_of(page: Page, number: int) -> tuple[int, str]:
    """(id, kind) of poll `number` as the control screen shows it."""
    item = card(page, number)
    kind = {"Verdict": "verdict", "Classic": "classic", "Multiple choice": "choice"}[
        item.locator(".poll-head .tag").first.inner_text().split(" · ")[0]]
    return int(item.get_attribute("data-poll-id")), kind


def open_last_poll_with_a_vote(page: Page, server):
    """Open (or re-run) the last poll in running order from its card; one phone votes. (number, prompt, voter)."""
    number = poll_count(page)  # the demo's multiple-choice poll
    prompt = card(page, number).locator(".poll-prompt").inner_text()
    label = "Re-run" if card_button(page, prompt, "Re-run").count() else "Open"
    card_button(page, prompt, label).click()
    expect(card(page, number)).to_have_class(re.compile(r"\bpoll-open\b"))
    poll_id, kind = poll_of(page, number)
    voter = Voter(server.url)
    assert voter.vote(poll_id, kind)["ok"]
    return number, prompt, voter


def press(page: Page, key: str) -> None:
    """A shortcut from wherever the focus is not typing (the page body)."""
    page.keyboard.press(key)


@pytest.mark.parametrize("size", [PHONE_SIZE, DESKTOP_SIZE], ids=["phone", "desktop"])
def test_now_panel_primary_actions_fit_without_scrolling(server, new_page, facilitator_state, size):
    page = control_at(new_page, facilitator_state, size)
    for selector in PRIMARY:
        assert in_viewport(page, selector), f"{selector} needs scrolling at {size}"
    # Pinned: still there at the bottom of a long page.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") > 0
    for selector in PRIMARY:
        assert in_viewport(page, selector), f"{selector} scrolled away at {size}"
    panel = page.locator("#now").bounding_box()
    assert panel["height"] <= size["height"] * 0.4, f"the panel takes {panel['height']} px of {size['height']}"
    page.evaluate("window.scrollTo(0, 0)")
    # First in Tab order after the skip link.
    page.locator("body").focus()
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#now-open")).to_be_focused()
    ratio = page.locator("#now-open").evaluate(FOCUS_CONTRAST_JS)
    assert ratio >= 3, f"the focus ring is {ratio}:1 against the panel"
    # "Start" never breaks mid-word: each agenda button's text is one line.
    lines = page.locator("#agenda button").evaluate_all("""(buttons) => buttons.map((b) => {
      const r = document.createRange(); r.selectNodeContents(b);
      return new Set(Array.from(r.getClientRects()).map((x) => Math.round(x.top))).size; })""")
    assert lines and set(lines) == {1}, lines
    assert horizontal_overflow(page) == 0


def test_every_button_names_what_it_acts_on(server, new_page, facilitator_state):
    page = control_at(new_page, facilitator_state, PHONE_SIZE)
    poll_count(page)
    names = button_names(page)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert duplicates == [], duplicates
    for name in button_names(page, "#polls"):
        assert re.match(r"^(Open|Close|Re-run|Reveal results of|Hide results of|Reset votes of) poll \d+: \S", name), name
    for name in button_names(page, "#now"):
        assert re.search(r"\(shortcut [A-Z?]\)$", name), name
    agenda = button_names(page, "#agenda")
    assert agenda and all(re.match(r"^(Start|Restart) segment \d+: \S", n) for n in agenda), agenda
    assert "Start segment 4: Poll round 1: scenarios" in agenda or "Restart segment 4: Poll round 1: scenarios" in agenda
    # Poll tags read as words: "Verdict · draft", never "verdictdraft".
    tag = page.locator("#polls > li .poll-head .tag").first.inner_text()
    assert re.match(r"^(Verdict|Classic|Multiple choice) · (draft|open|closed)", tag), tag


def test_keyboard_shortcuts_alone_run_a_poll(server, new_page, facilitator_state):
    page = control_at(new_page, facilitator_state, DESKTOP_SIZE)
    meta, status, votes = page.locator("#now-meta"), page.locator("#control-status"), page.locator("#now-votes")
    total = poll_count(page)

    # ? lists the shortcuts in a dialog; Escape closes it and focus comes back.
    page.locator("#now-next").focus()
    press(page, "?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Reveal or hide")
    press(page, "Escape")
    expect(help_dialog).to_be_hidden()
    expect(page.locator("#now-next")).to_be_focused()
    page.locator("#now-next").blur()

    if page.locator("#polls > li.poll-open").count():
        press(page, "c")
        expect(page.locator("#polls > li.poll-open")).to_have_count(0)
    if page.locator("#now-open").get_attribute("aria-disabled") == "true":  # no draft left: reset one first
        press(page, "x")
        page.get_by_role("dialog").get_by_role("button", name=re.compile("^Delete")).click()
        expect(page.locator("#now-open")).not_to_have_attribute("aria-disabled", "true")

    # O opens the poll the panel names; a vote comes in; R reveals it.
    target = panel_target(page, "#now-open")
    press(page, "o")
    expect(card(page, target)).to_have_class(re.compile(r"\bpoll-open\b"))
    expect(meta).to_contain_text(f"Poll {target} of {total}")
    poll_id, kind = poll_of(page, target)
    voter = Voter(server.url)
    try:
        assert voter.vote(poll_id, kind)["ok"]
        expect(votes).to_have_text("1 vote")
        press(page, "r")
        expect(meta).to_contain_text("results shown")
        expect(page.locator("#now-reveal")).to_contain_text("Hide")
        press(page, "o")  # a stray O never moves the room on while a poll is open
        expect(status).to_contain_text(f"Poll {target} is already open")
        expect(card(page, target)).to_have_class(re.compile(r"\bpoll-open\b"))

        # X asks first; Cancel (Escape or "Keep the votes") keeps them.
        press(page, "x")
        confirm = page.get_by_role("dialog", name=re.compile(f"Reset poll {target}"))
        expect(confirm).to_be_visible()
        expect(confirm.get_by_role("button", name="Keep the votes")).to_be_focused()
        press(page, "n")  # shortcuts are off while a dialog is open
        confirm.get_by_role("button", name="Keep the votes").click()
        expect(confirm).to_have_count(0)
        expect(status).to_contain_text("Nothing deleted")
        expect(votes).to_have_text("1 vote")
        expect(card(page, target)).to_have_class(re.compile(r"\bpoll-open\b"))

        # Typing in a field never fires a shortcut, nor does a key with Alt, Ctrl or Meta held.
        before = meta.inner_text()
        page.get_by_label("Filter questions").fill("")
        page.get_by_label("Filter questions").press_sequentially("n")
        expect(page.get_by_label("Filter questions")).to_have_value("n")
        page.get_by_label("Filter questions").fill("")
        page.get_by_label("Filter questions").blur()
        for chord in ("Alt+n", "Control+o", "Alt+c"):
            press(page, chord)
        page.wait_for_timeout(500)
        assert meta.inner_text() == before
        expect(card(page, target)).to_have_class(re.compile(r"\bpoll-open\b"))

        # C closes it; N opens the next one in draft (or says there is none).
        press(page, "c")
        expect(card(page, target)).to_have_class(re.compile(r"\bpoll-closed\b"))
        following = panel_target(page, "#now-next")
        press(page, "n")
        if following:
            expect(card(page, following)).to_have_class(re.compile(r"\bpoll-open\b"))
            expect(meta).to_contain_text(f"Poll {following} of {total}")
            press(page, "c")
            expect(card(page, following)).to_have_class(re.compile(r"\bpoll-closed\b"))
        else:
            expect(status).to_have_text("There is no further poll in draft.")
    finally:
        voter.close()


def test_single_key_shortcuts_can_be_turned_off(server, new_page, facilitator_state):
    """WCAG 2.1.4: the list has a switch; off, a key does nothing (the buttons still work); the browser keeps it."""
    page = control_at(new_page, facilitator_state, DESKTOP_SIZE)
    page.locator("#keys-help").click()
    switch = page.get_by_label(re.compile("^Single-key shortcuts on"))
    expect(switch).to_be_checked()
    switch.uncheck()
    press(page, "Escape")
    before = page.locator("#now-meta").inner_text()
    press(page, "n")
    page.wait_for_timeout(500)
    assert page.locator("#now-meta").inner_text() == before
    page.reload()
    expect(page.locator("#conn")).to_have_text("Live")
    page.locator("#keys-help").click()
    expect(page.get_by_label(re.compile("^Single-key shortcuts on"))).not_to_be_checked()
    page.get_by_label(re.compile("^Single-key shortcuts on")).check()  # back on for the other tests


def test_reset_from_a_card_asks_and_confirming_deletes_the_votes(server, new_page, facilitator_state, screenshot):
    page = control_at(new_page, facilitator_state, PHONE_SIZE)
    number, prompt, voter = open_last_poll_with_a_vote(page, server)
    try:
        expect(card(page, number).locator(".count")).to_have_text("1 vote")
        expect(page.locator("#now-votes")).to_have_text("1 vote")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "control-phone", full_page=False)
        card_button(page, prompt, "Reset").click()
        confirm = page.get_by_role("dialog", name=f"Reset poll {number} and delete its votes?")
        expect(confirm).to_contain_text("1 vote")
        press(page, "Escape")
        expect(confirm).to_have_count(0)
        expect(card(page, number).locator(".count")).to_have_text("1 vote")
        card_button(page, prompt, "Reset").click()
        confirm.get_by_role("button", name="Delete 1 vote").click()
        expect(card(page, number)).to_have_class(re.compile(r"\bpoll-draft\b"))
        expect(card(page, number).locator(".count")).to_have_text("0 votes")
    finally:
        voter.close()


def test_phones_in_the_room_count_live(server, new_page, facilitator_state, join_phone):
    page = control_at(new_page, facilitator_state, PHONE_SIZE)
    count = page.locator("#room-count")
    expect(count).to_have_text(re.compile(r"^\d+ phones? in the room$"))
    before = int(count.inner_text().split()[0])
    phone = join_phone()
    started = time.monotonic()
    expect(count).to_have_text(f"{before + 1} phone{'' if before == 0 else 's'} in the room", timeout=5_000)
    joined_after = time.monotonic() - started
    phone.close()
    started = time.monotonic()
    expect(count).to_have_text(f"{before} phone{'' if before == 1 else 's'} in the room", timeout=5_000)
    left_after = time.monotonic() - started
    print(f"room count: join seen after {joined_after:.2f} s, leave after {left_after:.2f} s")


def test_countdown_runs_and_the_server_closes_the_poll_at_zero(server, new_page, facilitator_state, screenshot):
    page = control_at(new_page, facilitator_state, DESKTOP_SIZE)
    number = poll_count(page)
    prompt = card(page, number).locator(".poll-prompt").inner_text()
    label = "Re-run" if card_button(page, prompt, "Re-run").count() else "Open"
    card_button(page, prompt, label).click()
    expect(card(page, number)).to_have_class(re.compile(r"\bpoll-open\b"))
    poll_id, kind = poll_of(page, number)
    # A 3-second countdown: the step field, then T (Tab leaves the field: shortcuts are off while typing).
    page.get_by_label("Countdown step in seconds").fill("3")
    page.get_by_label("Countdown step in seconds").press("t")
    expect(page.locator("#now-timer")).to_be_hidden()
    page.get_by_label("Countdown step in seconds").press("Tab")
    press(page, "t")
    timer = page.locator("#now-timer")
    expect(timer).to_have_text(re.compile(r"^0:0[1-3] left$"))
    expect(page.locator("#now-timer-stop")).to_be_visible()
    voter = Voter(server.url)
    try:
        assert voter.vote(poll_id, kind)["ok"]  # before zero: counted
        expect(page.locator("#now-votes")).to_have_text("1 vote")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "control", full_page=False)
        expect(card(page, number)).to_have_class(re.compile(r"\bpoll-closed\b"), timeout=8_000)
        expect(timer).to_be_hidden()
        late = voter.vote(poll_id, kind)
        assert late["ok"] is False
        assert late["error"] in ("Time is up: voting has closed for this poll.", "Voting is closed for this poll.")
        expect(card(page, number).locator(".count")).to_have_text("1 vote")
    finally:
        voter.close()


def test_control_reflows_at_320px_and_200_percent_text(server, new_page, facilitator_state):
    page = control_at(new_page, facilitator_state, {"width": 320, "height": 640})
    poll_count(page)
    zoom_text(page, 200)
    page.wait_for_timeout(300)
    assert horizontal_overflow(page) == 0
    clipped = page.locator("#now button").evaluate_all(
        "(buttons) => buttons.filter((b) => b.offsetParent && b.scrollWidth > b.clientWidth + 1).map((b) => b.id)")
    assert clipped == []
    # Taller than half the window at this size: the panel scrolls with the page instead of hiding it.
    assert page.locator("#now").evaluate("(el) => getComputedStyle(el).position") == "static"


def test_control_states_pass_axe_and_the_nu_validator(server, new_page, facilitator_state):
    need(shutil.which("java") is not None, "Java is needed for the Nu HTML Checker (apt-get install default-jre)")
    page = new_page(viewport=DESKTOP_SIZE, storage_state=facilitator_state, bypass_csp=True)  # axe is injected
    response = page.goto(f"/planner/{server.slug}/control")
    expect(page.locator("#conn")).to_have_text("Live")
    HTML_DIR.mkdir(parents=True, exist_ok=True)
    files, found = [HTML_DIR / "control-now.html"], {}
    files[0].write_text(response.text())

    def check(name):
        path = HTML_DIR / f"{name}.dom.html"
        path.write_text(page.content())
        files.append(path)
        found[name] = axe_violations(page)

    number, prompt, voter = open_last_poll_with_a_vote(page, server)
    try:
        page.locator("#now-timer-button").click()  # an open poll with a countdown, results revealed
        page.locator("#now-reveal").click()
        expect(page.locator("#now-timer")).to_be_visible()
        expect(card(page, number).locator(".mini-results")).to_contain_text("Results · 1 vote")
        check("control-open-timer")
        press(page, "?")
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        check("control-shortcuts")
        press(page, "Escape")
        press(page, "x")
        expect(page.get_by_role("dialog", name=re.compile("^Reset poll"))).to_be_visible()
        check("control-reset-confirm")
        press(page, "Escape")
        press(page, "c")
        expect(card(page, number)).to_have_class(re.compile(r"\bpoll-closed\b"))
    finally:
        voter.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert vnu_errors(files) == []
