"""Reactions in Chromium: twelve phones from both sides tap the demo's reaction bar, the projector's totals for
the segment count every acknowledged tap and a burst floats up in its own lane; a second tap within the second
gets the gentle "one a second" state; the facilitator switches reactions off from the control screen with the
keyboard and every phone's bar and the projector's totals and lane go at once (and come back when switched on).
The projector with a burst in flight and revealed results fits 1920x1080 and 1280x720 without scrolling, the
burst never over the results or the QR code, the totals at 48 px at 1080p. In a big room (a server of its own
that counts every room as big) a phone gathers its taps and sends them together at its pace, and the projector
counts every one."""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, serve
from tests.e2e.screens import open_control, open_projector
from tests.e2e.test_projector_layout import seed

CORP, ACT = "Corporate / public sector", "Activist / campaigner"
SIZES = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]
NAMES = ["Applause", "Love it", "Funny", "Hmm, thinking", "Surprised"]  # the demo's set: 👏 ❤️ 😂 🤔 😮

LAYOUT = """() => {
  const box = sel => { const n = document.querySelector(sel); if (!n) return null;
    const r = n.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const apart = (a, b) => !a || !b || a.right <= b.left + 0.5 || b.right <= a.left + 0.5 || a.bottom <= b.top + 0.5 || b.bottom <= a.top + 0.5;
  const stage = document.querySelector('.stage');
  const lane = box('#reaction-lane'), totals = box('#reaction-totals');
  return {
    scrolls: document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollWidth > innerWidth,
    clipped: stage.scrollHeight > stage.clientHeight + 2 || stage.scrollWidth > stage.clientWidth + 2,
    lane, totals, flying: document.querySelectorAll('#reaction-lane .flying').length,
    laneClear: apart(lane, box('.stage')) && apart(lane, box('.join-panel')) && apart(lane, box('#results')),
    totalsClear: apart(totals, box('.people')) && apart(totals, box('.join-panel')) && apart(totals, box('.stage')),
    inside: totals.right <= innerWidth + 0.5 && lane.right <= innerWidth + 0.5 && lane.bottom <= innerHeight + 0.5,
    numbers: Array.from(document.querySelectorAll('#reaction-totals .reaction-count')).map(n => parseFloat(getComputedStyle(n).fontSize)),
  };
}"""


def totals(projector) -> dict[str, int]:
    counts = projector.locator("#reaction-totals .reaction-total")
    return {
        item.get_attribute("data-reaction"): int(item.locator(".reaction-count").inner_text()) for item in counts.all()
    }


def tap(phone, name: str) -> None:
    phone.locator("#reaction-bar").get_by_role("button", name=name, exact=True).click()
    expect(phone.locator("#reaction-status")).to_have_text(f"{name} sent.")


def switch(control, key: str, on: bool) -> None:
    """Operate the control screen's switch from the keyboard (Space or Enter on the focused switch)."""
    toggle = control.get_by_role("switch", name=re.compile("Reactions on phones and projector"))
    toggle.focus()
    toggle.press(key)
    expect(toggle).to_have_attribute("aria-checked", "true" if on else "false")
    expect(control.locator("#reactions-control-status")).to_have_attribute("data-ack", "ok")


def test_twelve_phones_react_the_projector_counts_and_the_facilitator_switches_them_off(
    server, join_phone, facilitator_page, new_page, screenshot
):
    control = open_control(facilitator_page, server.slug)
    toggle = control.get_by_role("switch", name=re.compile("Reactions on phones and projector"))
    if toggle.get_attribute("aria-checked") != "true":  # the demo starts with reactions on; another test may not
        switch(control, "Enter", True)
    projector = open_projector(new_page(viewport=SIZES[0], reduced_motion="no-preference"), server.code)
    expect(projector.locator("#reaction-totals .reaction-total")).to_have_count(5)
    before = totals(projector)
    still = open_projector(new_page(viewport=SIZES[1]), server.code)  # prefers-reduced-motion: reduce
    phones = [join_phone([CORP, ACT][n % 2], wait=False) for n in range(12)]
    for phone in phones:
        expect(phone.locator("#conn")).to_have_text("Live")
        expect(phone.locator("#reaction-bar")).to_be_visible()
        expect(phone.locator("#reaction-bar").get_by_role("button")).to_have_count(5)
    for button, name in zip(phones[0].locator("#reaction-bar").get_by_role("button").all(), NAMES, strict=True):
        expect(button).to_have_accessible_name(name)  # what a screen reader says: the name, not the emoji
    taps = {"clap": 0, "heart": 0}
    for n, phone in enumerate(phones):
        key, name = ("clap", "Applause") if n < 7 else ("heart", "Love it")
        tap(phone, name)
        taps[key] += 1
    expect(projector.locator("#reaction-lane .flying").first).to_be_attached()  # the burst is in flight
    projector.screenshot(path=str(ARTIFACTS / "projector-reactions-in-flight-demo.png"), animations="allow")
    assert projector.locator("#reaction-lane .flying").count() <= 30
    # A second tap within the second: the gentle state, nothing sent; after it the phone reacts again.
    first = phones[0]
    tap(first, "Funny")
    first.locator("#reaction-bar").get_by_role("button", name="Surprised").click()
    expect(first.locator("#reaction-status")).to_have_text("One a second – just a moment.")
    expect(first.locator("#reaction-bar")).to_have_class(re.compile(r"\bresting\b"))
    screenshot(first, "phone-reactions")
    first.wait_for_timeout(1100)
    tap(first, "Surprised")
    expect(still.locator('#reaction-totals [data-reaction="wow"]')).to_have_class(re.compile(r"\bgrew\b"))
    taps.update(laugh=1, wow=1)
    want = {key: before.get(key, 0) + n for key, n in taps.items()}
    for key, n in want.items():
        expect(projector.locator(f'#reaction-totals [data-reaction="{key}"] .reaction-count')).to_have_text(str(n))
        expect(still.locator(f'#reaction-totals [data-reaction="{key}"] .reaction-count')).to_have_text(str(n))
    # Reduced motion: the same totals, nothing flies (no lane at all); a total that grew was outlined (above).
    expect(still.locator("#reaction-lane")).to_be_hidden()
    assert still.locator("#reaction-lane .flying").count() == 0
    expect(projector.locator('#reaction-totals [data-reaction="clap"]')).to_contain_text(
        "Applause"
    )  # the name, for screen readers
    screenshot(projector, "projector-reactions")
    expect(control.locator('#reaction-totals [data-reaction="clap"] .reaction-count')).to_have_text(str(want["clap"]))
    # Switched off live from the control screen (keyboard): bars and the projector's totals and lane go at once.
    switch(control, "Space", False)
    for phone in phones:
        expect(phone.locator("#reaction-bar")).to_be_hidden()
    expect(projector.locator("#app")).to_have_attribute("data-reactions", "off")
    expect(projector.locator("#reaction-totals")).to_be_hidden()
    expect(projector.locator("#reaction-lane")).to_be_hidden()
    screenshot(phones[1], "phone-reactions-off")
    # A phone that reloads hears the switch in its state.
    phones[2].reload()
    expect(phones[2].locator("#conn")).to_have_text("Live")
    expect(phones[2].locator("#reaction-bar")).to_be_hidden()
    switch(control, "Enter", True)  # back on: other tests on this server see the demo as it ships
    expect(phones[2].locator("#reaction-bar")).to_be_visible()
    expect(projector.locator("#reaction-totals")).to_be_visible()
    screenshot(control, "control-reactions")


@pytest.mark.parametrize("size", SIZES, ids=["1920", "1280"])
def test_projector_with_results_and_a_burst_in_flight_fits_without_scrolling(
    server, size, facilitator_page, phone_page, new_page, screenshot
):
    seed(server, "verdict-4x3-results")  # the workshop `layout` (stage_seed.py), reactions off as created
    control = open_control(facilitator_page, "layout")
    switch(control, "Enter", True)
    projector = open_projector(new_page(viewport=size, reduced_motion="no-preference"), "LAYOUT")
    expect(projector.locator("#results .bar").first).to_be_visible()
    for n in range(4):
        phone = phone_page()
        phone.goto("/j/LAYOUT")
        phone.get_by_label([CORP, ACT][n % 2], exact=True).check()
        phone.get_by_role("button", name="Join the session").click()
        expect(phone.locator("#conn")).to_have_text("Live")
        tap(phone, NAMES[n % 5])
    expect(projector.locator("#reaction-lane .flying").first).to_be_attached()
    measured = projector.evaluate(LAYOUT)
    # The fixture's screenshots stop animations (the burst would be over): this one catches it in flight.
    projector.screenshot(path=str(ARTIFACTS / f"projector-reactions-in-flight-{size['width']}.png"), animations="allow")
    screenshot(projector, f"projector-reactions-burst-{size['width']}")
    label = f"{size['width']}x{size['height']}"
    assert not measured["scrolls"] and not measured["clipped"], f"{label}: the projector would scroll: {measured}"
    assert 0 < measured["flying"] <= 30, measured
    assert measured["laneClear"], f"{label}: the burst's lane overlaps the stage, results or QR code: {measured}"
    assert measured["totalsClear"] and measured["inside"], f"{label}: totals overlap or leave the screen: {measured}"
    floor = 48 * size["width"] / 1920
    assert min(measured["numbers"]) >= floor - 0.5, f"{label}: totals under {floor} px: {measured['numbers']}"


@pytest.fixture(scope="module")
def big_room(tmp_path_factory):
    """A server of its own that counts every room as big: a process may take a quarter of a reaction message
    a second, so each phone gathers its taps for the longest pace, here 4 s (REACTION_PACE_MAX)."""
    settings = {"REACTION_MESSAGE_RATE": "0.25", "REACTION_PACE_MAX": "4"}
    with serve(tmp_path_factory.mktemp("e2e-big-room"), settings) as live:
        yield live


def react_frames(page) -> list[list[str]]:
    """Record the taps of every `react` message the page sends on its websocket (one list per message)."""
    sent: list[list[str]] = []

    def on_frame(payload):
        text = payload if isinstance(payload, str) else payload.decode(errors="replace")
        if text.startswith("42/live,") and '["react",' in text:
            body = json.loads(text[text.index("[") :])[1]
            sent.append(body.get("reactions") or [body["reaction"]])

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


def test_in_a_big_room_a_phone_gathers_its_taps_and_the_projector_counts_every_one(
    big_room, phone_page, new_page, screenshot
):
    projector = new_page(viewport=SIZES[0], reduced_motion="no-preference")
    projector.goto(f"{big_room.url}/live/{big_room.code}/screen")
    expect(projector.locator("#conn")).to_have_text("Live")
    phones = []
    for stance in (CORP, ACT):
        page = phone_page()
        frames = react_frames(page)
        page.goto(f"{big_room.url}/j/{big_room.code}")
        page.get_by_label(stance, exact=True).check()
        page.get_by_role("button", name="Join the session").click()
        expect(page.locator("#conn")).to_have_text("Live")
        phones.append((page, frames))
    (mine, sent), (theirs, _) = phones
    # Four taps a little over a second apart: each pops at once and says it is on its way, none is refused.
    for name in ("Applause", "Love it", "Funny", "Surprised"):
        mine.locator("#reaction-bar").get_by_role("button", name=name, exact=True).click()
        expect(mine.locator("#reaction-status")).to_have_text(f"{name} – on its way to the screen.")
        mine.wait_for_timeout(1100)
    theirs.locator("#reaction-bar").get_by_role("button", name="Applause", exact=True).click()
    # The projector counts every tap once the gathered messages arrive (within a pace and a half of each).
    for key, n in {"clap": 2, "heart": 1, "laugh": 1, "wow": 1}.items():
        expect(projector.locator(f'#reaction-totals [data-reaction="{key}"] .reaction-count')).to_have_text(str(n))
    expect(mine.locator("#reaction-status")).to_have_text(re.compile(r"^(\d reactions|Surprised) sent\.$"))
    assert sorted(tap for message in sent for tap in message) == ["clap", "heart", "laugh", "wow"]
    assert len(sent) < 4 and max(len(message) for message in sent) >= 2, sent  # gathered: fewer messages than taps
    screenshot(mine, "phone-reactions-gathered", full_page=False)  # the bar as the phone shows it: at the bottom
