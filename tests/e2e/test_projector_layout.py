"""The projector never scrolls: every poll kind and state, with the stance split, fits 1920x1080 and 1280x720,
and what the room must read is at least 48 px at 1080p (32 px at the floor for the longest polls).

Each state is made by tests/e2e/stage_seed.py through the live service (phones' votes go through the same
group commit), then the projector page is opened as the room sees it and measured in Chromium.
"""

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import axe_violations
from tests.e2e.conftest import ROOT

SIZES = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]
# The demo's shapes (4 stances; 3 verdicts, the classic's 3 items, 4 options): everything at 48 px or more.
FULL_SIZE = ["verdict-4x3-voting", "verdict-4x3-results", "verdict-4x3-closed", "classic-4x3-voting",
             "classic-4x3-results", "choice-4x4-voting", "choice-4x4-results"]
# The longest the planner allows (6 stances, 10 options): may shrink to the 32 px floor or page the stances.
LONGEST = ["verdict-6x3-results", "classic-6x3-results", "choice-6x10-voting", "choice-6x10-results"]

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
    read: {
      answers: sizes('#results .overall .bar-name, #poll .items li, .kind-classic .overall .classic-item h4'),
      values: sizes('#results .bar-value'),
      counts: sizes('#count, #people-count'),
      prompt: sizes('#poll .prompt'),
      code: sizes('#join-key'),
    },
    small: sizes('.split-note, #results-page, .stance > h4, .stage-title'),
  };
}"""


def seed(server, state: str) -> None:
    """Put the workshop `layout` (join code LAYOUT) into ``state`` through the live service."""
    done = subprocess.run([sys.executable, "-m", "tests.e2e.stage_seed", "layout", state], cwd=ROOT, env=server.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def screens(browser):
    """One projector page per screen size, reused across states (reloaded for each)."""
    contexts = [browser.new_context(viewport=size, bypass_csp=True) for size in SIZES]  # axe is injected
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def measure(page, base_url: str, state: str) -> dict:
    page.goto(f"{base_url}/live/LAYOUT/screen")
    expect(page.locator("#conn")).to_have_text("Live")
    if not state.endswith("voting"):
        expect(page.locator("#results .bar-value").first).to_be_visible()
    page.wait_for_timeout(300)  # the fit runs on the first render; let fonts and the QR settle
    return page.evaluate(MEASURE)


def check(found: dict, floor: float, label: str) -> None:
    assert not found["outside"], f"{label}: outside the viewport: {found['outside'][:5]}"
    assert not found["scrolls"] and not found["clipped"], f"{label}: the page or stage would scroll"
    for what, sizes in found["read"].items():
        if what == "values" and "voting" in label:  # results hidden while voting: nothing to read there
            assert not sizes, f"{label}: results shown before the reveal"
            continue
        assert sizes, f"{label}: no {what} shown"
        assert min(sizes) >= floor - 0.01, f"{label}: {what} at {min(sizes)} px (needs {floor})"


@pytest.mark.parametrize("state", FULL_SIZE + LONGEST)
def test_every_state_fits_both_screens_and_reads_from_the_back(server, screens, state, screenshot):
    seed(server, state)
    for page, size in zip(screens, SIZES, strict=True):
        found = measure(page, server.url, state)
        label = f"{state} at {size['width']}x{size['height']}"
        if size["width"] == 1920:
            check(found, 48 if state in FULL_SIZE else 32, label)
            assert min(found["small"]) >= 32, f"{label}: notes and headings under 32 px: {found['small']}"
        else:  # 1280x720: the same layout scaled with the viewport (2/3 of 1080p), still inside it
            check(found, (48 if state in FULL_SIZE else 32) * 2 / 3, label)
    if state in ("verdict-4x3-voting", "classic-4x3-results"):  # the countdown; results with the split
        if state.endswith("voting"):
            expect(screens[0].locator("#timer")).to_contain_text("left")
        assert axe_violations(screens[0]) == []
    shots = {"verdict-4x3-voting": "projector-voting", "verdict-4x3-results": "projector-verdict-results",
             "classic-4x3-results": "projector-classic-results", "choice-6x10-results": "projector-longest-results"}
    if state in shots:
        screenshot(screens[0], shots[state])


def test_question_wall_fits_at_full_size(server, screens, screenshot):
    """A highlighted question takes the stage; the wall shows as many top questions as fit at 48 px."""
    seed(server, "wall")
    for page, size in zip(screens, SIZES, strict=True):
        page.goto(f"{server.url}/live/LAYOUT/screen")
        expect(page.locator("#q-now .q-now-text")).to_contain_text("2am on a Saturday")
        page.wait_for_timeout(300)
        found = page.evaluate(MEASURE)
        label = f"wall at {size['width']}x{size['height']}"
        assert not found["outside"] and not found["scrolls"] and not found["clipped"], (label, found["outside"][:5])
        scale = 1 if size["width"] == 1920 else 2 / 3
        texts = page.evaluate("""() => Array.from(document.querySelectorAll('.q-now-text, #q-top > li:not([hidden]) .q-text'))
          .map(n => parseFloat(getComputedStyle(n).fontSize))""")
        assert len(texts) >= 2 and min(texts) >= 48 * scale - 0.01, (label, texts)
    screenshot(screens[0], "projector-question-wall")


def test_long_split_pages_through_the_stance_groups(server, screens):
    seed(server, "choice-6x10-results")
    page = screens[0]
    measure(page, server.url, "choice-6x10-results")
    note = page.locator("#results-page")
    expect(note).to_contain_text("page 1 of")
    first = page.locator(".split > .stance:not([hidden]) > h4").first.text_content()
    expect(note).to_contain_text("page 2 of", timeout=12_000)
    assert page.locator(".split > .stance:not([hidden]) > h4").first.text_content() != first


def test_answers_read_without_colour(server, screens):
    """Each verdict has its own mark and bar pattern, so the chart reads in greyscale."""
    seed(server, "verdict-4x3-results")
    page = screens[0]
    measure(page, server.url, "verdict-4x3-results")
    page.emulate_media(forced_colors="none")
    marks = page.evaluate("""() => ['snog', 'marry', 'avoid'].map(a => {
      const bar = document.querySelector('#results .overall .answer-' + a);
      return [bar.querySelector('svg.mark-' + a) !== null, getComputedStyle(bar.querySelector('.bar-fill')).backgroundImage];
    })""")
    assert all(has_mark for has_mark, _ in marks)
    patterns = [image for _, image in marks]
    assert len(set(patterns)) == 3, patterns  # solid, stripes, dots: three different fills
