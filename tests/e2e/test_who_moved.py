"""Who moved in Chromium: sixteen phones from both sides vote, the facilitator re-runs the poll the demo plans as a
re-run, some phones change their answer, and the projector shows the flows the room may see - the small ones
merged into "other moves" - at reading size, without scrolling, at 1920x1080 and 1280x720, also after a reload."""

import re

from playwright.sync_api import expect

from tests.e2e.checks import axe_violations
from tests.e2e.screens import (
    ACTIVIST,
    CORPORATE,
    card_button,
    control_action,
    open_control,
    open_poll,
    open_projector,
    vote,
)

RERUN = "A chief executive's blog answering campaigners' challenging comments in public."  # demo.RERUN
SIZES = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]
HEADLINE = "11 people changed their answer; most moved Avoid → Snog (6)"

# Every label the room reads on the diagram (counts and answer words), its size on screen; the page never scrolls.
MEASURE = """() => {
  const stage = document.querySelector('.stage');
  const outside = [...document.querySelectorAll('#app *')].filter(n => {
    if (n.closest('[hidden]') || getComputedStyle(n).display === 'none') return false;
    const r = n.getBoundingClientRect();
    return (r.width || r.height) && (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.left < -0.5 || r.top < -0.5);
  }).map(n => n.tagName + '.' + n.getAttribute('class'));
  const px = n => parseFloat(n.getAttribute('font-size')) * n.getScreenCTM().a;
  return {
    outside,
    scrolls: document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollWidth > innerWidth,
    clipped: stage.scrollHeight > stage.clientHeight + 2 || stage.scrollWidth > stage.clientWidth + 2,
    labels: [...document.querySelectorAll('#moves-figure .count text, #moves-figure .node-label, #moves-figure .round-label')].map(px),
    headline: parseFloat(getComputedStyle(document.getElementById('moves-headline')).fontSize),
  };
}"""


def counts(projector) -> dict:
    """The counts written on the diagram's bands: {"avoid>snog": "6", ..., "other": "Other moves: 5"}."""
    return projector.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#moves-figure .count')].map(g =>
      [g.classList.contains('other-count') ? 'other' : g.dataset.from + '>' + g.dataset.to, g.textContent.trim()]))""")


def test_a_rerun_shows_who_moved_on_the_projector(server, facilitator_state, new_page, join_phone, screenshot):
    # bypass_csp: axe-core is injected into the control screen and the projector (tests/e2e/checks.py)
    control = open_control(new_page(storage_state=facilitator_state, bypass_csp=True), server.slug)
    big = open_projector(new_page(viewport=SIZES[0], bypass_csp=True), server.code)
    small = open_projector(new_page(viewport=SIZES[1]), server.code)
    card = control.locator("#polls > li", has_text=RERUN)
    expect(card.locator(".rerun-tag")).to_have_text("Re-run planned")  # the demo plans this poll as a re-run
    if card_button(control, RERUN, "Close").count():  # left open by an earlier test
        control_action(control, RERUN, "Close")

    # Nine corporates, seven activists; three of them only vote in the re-run (they "joined").
    corp = [join_phone(CORPORATE, wait=False) for _ in range(9)]
    act = [join_phone(ACTIVIST, wait=False) for _ in range(7)]
    for phone in corp + act:
        expect(phone.locator("#conn")).to_have_text("Live")
    first = {"Avoid": corp[:3] + act[:3], "Snog": corp[3:6] + act[3:5], "Marry": corp[6:8]}
    second = {"Snog": corp[:3] + act[:3], "Avoid": corp[3:6] + act[3:5], "Marry": corp[6:9] + act[5:7]}

    open_poll(control, RERUN)
    for answer, phones in first.items():
        for phone in phones:
            vote(phone, RERUN, answer)
    control_action(control, RERUN, "Close")
    expect(card_button(control, RERUN, "Re-run")).to_have_class(re.compile(r"\bprimary\b"))
    open_poll(control, RERUN)  # the re-run: a new round
    for answer, phones in second.items():
        for phone in phones:
            vote(phone, RERUN, answer)
    control_action(control, RERUN, "Close")

    # The control screen's panel: the flows between the two runs, and the button (by keyboard).
    panel = control.locator("#moves-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("#moves-headline")).to_contain_text(HEADLINE)
    expect(control.get_by_role("button", name=re.compile("^Show who moved on the projector"))).to_be_visible()
    toggle = control.locator("#moves-toggle")
    toggle.focus()
    control.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_contain_text("Take who moved off the projector")

    # The projector: the headline, the two flows of five or more, everything smaller merged into one band.
    for projector in (big, small):
        expect(projector.locator("#app")).to_have_attribute("data-mode", "moves")
        expect(projector.locator("#moves-headline")).to_have_text(HEADLINE)
        expect(projector.locator("#moves-figure .other-count")).to_have_text("Other moves: 5")
    assert counts(big) == {"avoid>snog": "6", "snog>avoid": "5", "other": "Other moves: 5"}
    labels = big.locator("#moves-figure .node-label").all_text_contents()
    assert sorted(labels) == ["Avoid", "Avoid", "Snog", "Snog"]  # Marry and Joined only moved in small flows
    for page, size in ((big, SIZES[0]), (small, SIZES[1])):
        screenshot(page, "projector-who-moved" + ("" if size["width"] == 1920 else f"-{size['width']}"))
        found = page.evaluate(MEASURE)
        label = f"{size['width']}x{size['height']}"
        assert not found["outside"] and not found["scrolls"] and not found["clipped"], (label, found)
        floor = 48 * size["width"] / 1920
        assert found["labels"] and min(found["labels"]) >= floor - 0.01, (label, found["labels"])
        assert found["headline"] >= floor - 0.01, (label, found["headline"])
    panel.scroll_into_view_if_needed()
    screenshot(control, "control-who-moved")
    assert axe_violations(big) == []
    assert axe_violations(control, "#moves-panel") == []

    # A reload (a projector reconnecting) gets the same view from the state message.
    big.reload()
    expect(big.locator("#conn")).to_have_text("Live")
    expect(big.locator("#moves-headline")).to_have_text(HEADLINE)

    # One side: activists. Each of their moves is under five people: all merged, and the headline says so.
    control.get_by_label("Side").select_option(ACTIVIST)
    expect(big.locator("#moves-what")).to_contain_text(f"▲ {ACTIVIST}")
    expect(big.locator("#moves-headline")).to_have_text(
        "5 people changed their answer; each move too small to show alone"
    )
    assert counts(big) == {"other": "Other moves: 7"}
    screenshot(big, "projector-who-moved-side")

    # Off again (the button, by keyboard): the projector goes back to the poll.
    toggle.focus()
    control.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(big.locator("#moves")).to_be_hidden()
    expect(big.locator("#app")).not_to_have_attribute("data-mode", "moves")
