"""Scale polls in Chromium: the projector's histogram, medians per stance and the gap fit 1920x1080 and
1280x720 at reading size; phones answer with the buttons, the slider and the arrow keys."""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import axe_violations
from tests.e2e.conftest import ROOT
from tests.e2e.screens import open_control, open_poll, open_projector

SIZES = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]
CORP, ACT = "Corporate / public sector", "Activist / campaigner"
DEMO_SCALE = "How close should an NHS Trust and a campaign group get? 0 = avoid, 10 = marry"

MEASURE = """() => {
  const outside = [];
  document.querySelectorAll('#app *').forEach(n => {
    if (n.closest('[hidden]')) return;
    const style = getComputedStyle(n);
    if (style.display === 'none' || style.visibility === 'hidden') return;
    const r = n.getBoundingClientRect();
    if (!r.width && !r.height) return;
    if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.left < -0.5 || r.top < -0.5)
      outside.push(`${n.tagName}.${n.getAttribute('class')} "${(n.textContent || '').slice(0, 40)}"`);
  });
  const stage = document.querySelector('.stage');
  const sizes = sel => Array.from(document.querySelectorAll(sel))
    .filter(n => !n.closest('[hidden]') && getComputedStyle(n).display !== 'none' && n.getBoundingClientRect().width > 1)
    .map(n => parseFloat(getComputedStyle(n).fontSize));
  return {
    outside,
    scrolls: document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollWidth > innerWidth,
    clipped: stage.scrollHeight > stage.clientHeight + 2 || stage.scrollWidth > stage.clientWidth + 2,
    read: sizes('.scale-count, .scale-tick, .scale-summary, .scale-stance, .scale-gap, #poll .items li, #poll .prompt'),
  };
}"""


def seed(server, state: str) -> None:
    """Put the workshop `layout` (join code LAYOUT) into ``state`` (tests/e2e/poll_seed.py)."""
    done = subprocess.run([sys.executable, "-m", "tests.e2e.poll_seed", "layout", state], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def screens(browser):
    """One projector page per screen size."""
    contexts = [browser.new_context(viewport=size, bypass_csp=True) for size in SIZES]  # axe is injected
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


@pytest.mark.parametrize("state", ["scale-4-voting", "scale-4-results", "scale-6-results"])
def test_scale_fits_both_screens_and_reads_from_the_back(server, screens, state, screenshot):
    seed(server, state)
    for page, size in zip(screens, SIZES, strict=True):
        page.goto(f"{server.url}/live/LAYOUT/screen")
        expect(page.locator("#conn")).to_have_text("Live")
        if state.endswith("results"):
            expect(page.locator(".scale-gap")).to_have_text(f"{ACT} 2 · {CORP} 7 · gap 5")
        else:
            expect(page.locator("#poll .scale-legend")).to_contain_text("Marry")
        page.wait_for_timeout(300)
        if state.endswith("results"):
            screenshot(page, f"projector-scale-{state.split('-')[1]}-{size['width']}")
        found = page.evaluate(MEASURE)
        label = f"{state} at {size['width']}x{size['height']}"
        assert not found["outside"], f"{label}: outside the viewport: {found['outside'][:5]}"
        assert not found["scrolls"] and not found["clipped"], f"{label}: the page or stage would scroll"
        floor = (48 if state.startswith("scale-4") else 32) * (1 if size["width"] == 1920 else 2 / 3)
        assert found["read"] and min(found["read"]) >= floor - 0.01, f"{label}: text at {min(found['read'])} px"
    if state == "scale-4-results":
        assert axe_violations(screens[0]) == []


def test_scale_results_show_each_stance_median(server, screens):
    seed(server, "scale-4-results")
    page = screens[0]
    page.goto(f"{server.url}/live/LAYOUT/screen")
    expect(page.locator(".scale-summary")).to_contain_text("Median 5 · mean 5 · 25 votes")
    expect(page.locator(".scale-stance")).to_have_count(5)  # the four stances and "Not stated"
    expect(page.locator(".scale-stance", has_text=ACT).locator(".scale-stance-median")).to_have_text("median 2")
    expect(page.locator(".scale-stance", has_text=CORP).locator(".scale-stance-median")).to_have_text("median 7")
    expect(page.locator('.scale-col[data-point="5"]')).to_have_class("scale-col at-median")
    expect(page.locator('.scale-col[data-point="7"] .scale-count')).to_have_text("4")


def test_phones_answer_with_buttons_slider_and_arrows(server, join_phone, facilitator_page, new_page, screenshot):
    control = open_control(facilitator_page, server.slug)
    open_poll(control, DEMO_SCALE)
    projector = open_projector(new_page(viewport={"width": 1920, "height": 1080}), server.code)
    corp, act = join_phone(CORP), join_phone(ACT)
    # A button per point, big enough for a thumb.
    expect(corp.locator("#poll .prompt")).to_have_text(DEMO_SCALE)
    button = corp.get_by_role("button", name="8", exact=True)
    box = button.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    button.click()
    expect(corp.locator("#vote-status")).to_contain_text("Vote received")
    expect(corp.get_by_role("button", name="8", exact=True)).to_have_attribute("aria-pressed", "true")
    # The slider with the keyboard: arrows move it, the value is sent once it rests.
    slider = act.get_by_label("Your answer:")
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")  # 5 -> 2
    expect(act.locator("#scale-value")).to_have_text("2")
    expect(act.locator("#vote-status")).to_contain_text("Vote received")
    expect(act.get_by_role("button", name="2", exact=True)).to_have_attribute("aria-pressed", "true")
    # Arrows along the buttons move the focus; Enter sends the focused point.
    act.get_by_role("button", name="2", exact=True).focus()
    act.keyboard.press("ArrowRight")
    act.keyboard.press("Enter")
    expect(act.get_by_role("button", name="3", exact=True)).to_have_attribute("aria-pressed", "true")
    # A reload gets the phone's own answer back.
    act.reload()
    expect(act.get_by_role("button", name="3", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(act.locator("#scale-value")).to_have_text("3")
    screenshot(act, "phone-scale")
    # The projector while voting: the labels; the control screen counts the votes.
    expect(projector.locator("#poll .scale-legend")).to_contain_text("10= Marry")
    expect(control.locator("#now-votes")).to_have_text("2 votes")
    control.locator("#now-reveal").click()
    expect(projector.locator(".scale-summary")).to_contain_text("Median 5.5")
    expect(projector.locator(".scale-stance")).to_have_count(0)  # two phones: every group hidden
    control.locator("#now-close").click()
    expect(corp.get_by_role("button", name="8", exact=True)).to_be_disabled()


def test_the_poll_form_shows_the_fields_of_the_kind(server, facilitator_page):
    page = facilitator_page
    page.goto(f"/planner/{server.slug}/polls")
    kind = page.get_by_label("Kind")
    scale, text, items = page.locator(".scale-fields"), page.locator(".text-fields"), page.get_by_label("Items or options")
    kind.select_option("scale")
    expect(scale).to_be_visible()
    expect(text).to_be_hidden()
    expect(items).to_be_hidden()
    kind.select_option("text")
    expect(text).to_be_visible()
    expect(scale).to_be_hidden()
    kind.select_option("choice")
    expect(items).to_be_visible()
    expect(scale).to_be_hidden()
