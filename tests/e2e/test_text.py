"""Open-text polls in Chromium: the projector's word cloud (d3-cloud) fits 1920x1080 and 1280x720 with every
word at reading size, coloured by the side that gave it, shared words in the shared colour and in the middle;
twelve phones from both sides answer, see and remove what they sent; the control screen hides a word and the
projector drops it; colour is never alone: each side's words and legend entry start with the side's shape
(● corporates, ▲ activists), shared words with ✚; the same phones answer the scale poll and the projector shows each side's median."""

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.checks import axe_violations
from tests.e2e.conftest import ROOT
from tests.e2e.screens import open_control, open_poll, open_projector, poll_card

SIZES = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]
CORP, ACT = "Corporate / public sector", "Activist / campaigner"
MARK = {CORP: "\u25cf", ACT: "\u25b2", "shared": "\u271a"}  # ● ▲ ✚ (static/js/text.js MARKS)
DEMO_TEXT = "One word for a brand that joins a campaign hashtag"
DEMO_SCALE = "How close should an NHS Trust and a campaign group get? 0 = avoid, 10 = marry"

WORDS = """() => Array.from(document.querySelectorAll('.cloud-word')).map(t => {
  const r = t.getBoundingClientRect(), box = document.querySelector('.cloud-box').getBoundingClientRect();
  return {word: t.dataset.word, text: t.textContent, cls: t.getAttribute('class'), size: parseFloat(getComputedStyle(t).fontSize),
          fill: getComputedStyle(t).fill, deco: getComputedStyle(t).textDecorationLine,
          inside: r.left >= -0.5 && r.top >= -0.5 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5,
          dx: (r.left + r.right) / 2 - (box.left + box.right) / 2, dy: (r.top + r.bottom) / 2 - (box.top + box.bottom) / 2};
})"""
FITS = """() => {
  const stage = document.querySelector('.stage');
  return !(document.scrollingElement.scrollHeight > innerHeight || document.scrollingElement.scrollWidth > innerWidth ||
           stage.scrollHeight > stage.clientHeight + 2 || stage.scrollWidth > stage.clientWidth + 2);
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


def cloud_words(page) -> dict:
    expect(page.locator(".cloud-word").first).to_be_visible()
    page.wait_for_timeout(300)
    return {w["word"]: w for w in page.evaluate(WORDS)}


@pytest.mark.parametrize("state", ["text-4-results", "text-6-results", "text-4-many"])
def test_cloud_fits_both_screens_colours_by_side_shared_in_the_middle(server, screens, state, screenshot):
    seed(server, state)
    for page, size in zip(screens, SIZES, strict=True):
        page.goto(f"{server.url}/live/LAYOUT/screen")
        expect(page.locator("#conn")).to_have_text("Live")
        words = cloud_words(page)
        screenshot(page, f"projector-cloud-{state.split('-', 1)[1]}-{size['width']}")
        label = f"{state} at {size['width']}x{size['height']}"
        assert page.evaluate(FITS), f"{label}: the page or stage would scroll"
        floor = 48 * (1 if size["width"] == 1920 else 2 / 3)
        assert all(w["inside"] for w in words.values()), f"{label}: a word outside the screen"
        assert min(w["size"] for w in words.values()) >= floor - 0.5, f"{label}: a word under {floor} px"
        # trust: every side; greenwashing: activists only; reach: corporates (and "Neither", too small to name);
        # hashtag: only the two phones without a stance, also unnamed: the neutral colour.
        assert "shared" in words["trust"]["cls"] and "underline" in words["trust"]["deco"]
        assert "side-0" in words["reach"]["cls"] and "shared" in words["opportunist"]["cls"]
        assert "side-1" in words["greenwashing"]["cls"] and "underline" not in words["greenwashing"]["deco"]
        assert "neutral" in words["hashtag"]["cls"]
        assert words["trust"]["size"] == max(w["size"] for w in words.values())  # the most people gave it
        assert words["greenwashing"]["fill"] != words["trust"]["fill"] != words["hashtag"]["fill"]
        # Colour never alone: the side's shape before each word, the same shape before its name in the legend.
        assert words["reach"]["text"] == f"{MARK[CORP]}\u2009reach", words["reach"]
        assert words["greenwashing"]["text"] == f"{MARK[ACT]}\u2009greenwashing"
        assert words["trust"]["text"] == f"{MARK['shared']}\u2009trust" and words["hashtag"]["text"] == "hashtag"
        legend = page.locator(".cloud-legend li")
        for name, glyph in ((CORP, MARK[CORP]), (ACT, MARK[ACT]), ("shared", MARK["shared"])):
            expect(legend.filter(has_text=name).locator(".cloud-mark")).to_have_text(glyph)
        # Shared words are laid out first, from the centre: the most shared word sits in the middle.
        assert abs(words["trust"]["dx"]) < 60 and abs(words["trust"]["dy"]) < 60, words["trust"]
        expect(page.locator(".cloud-legend")).to_contain_text(CORP)
        expect(page.locator(".cloud-list")).to_contain_text(f"trust: 11 people, shared by {CORP}, {ACT} and Both"
                                                            if state.startswith("text-4") else "trust: ")
        if state.endswith("many"):
            expect(page.locator(".cloud-more")).to_contain_text("more")
    if state == "text-4-results":
        assert axe_violations(screens[0]) == []


def test_phones_answer_see_remove_and_a_hidden_word_leaves_the_projector(server, join_phone, facilitator_page,
                                                                          new_page, screenshot):
    control = open_control(facilitator_page, server.slug)
    open_poll(control, DEMO_TEXT)
    projector = open_projector(new_page(viewport={"width": 1920, "height": 1080}), server.code)
    phones = [join_phone([CORP, ACT][n % 2], wait=False) for n in range(12)]
    words = {CORP: ["Trust", "Reach"], ACT: ["trust!", "Greenwashing"]}
    for n, phone in enumerate(phones):
        expect(phone.locator("#conn")).to_have_text("Live")
        stance = [CORP, ACT][n % 2]
        expect(phone.locator("#poll .prompt")).to_have_text(DEMO_TEXT)
        box = phone.get_by_label("Your answer")
        for word in words[stance]:
            box.fill(word)
            box.press("Enter")
            expect(phone.locator("#vote-status")).to_contain_text("Sent")
        expect(phone.locator(".text-sent li")).to_have_count(2)
    first = phones[0]
    expect(first.locator(".text-count")).to_contain_text("2 of 3 sent")
    # A phone cannot send the same word twice, nor an empty answer: a clear message, nothing written.
    first.get_by_label("Your answer").fill("TRUST")
    first.get_by_role("button", name="Send").click()
    expect(first.locator("#vote-status")).to_have_text("You already sent “TRUST”.")
    # Remove one, reload: the phone gets its own answers back.
    first.get_by_role("button", name="Remove “Reach”").click()
    expect(first.locator(".text-sent li")).to_have_count(1)
    first.reload()
    expect(first.locator(".text-sent li")).to_have_count(1)
    expect(first.locator(".text-sent-word")).to_have_text(["Trust"])
    screenshot(first, "phone-text")
    # The control screen reveals; the projector shows the cloud with the shared word in the shared colour.
    card = poll_card(control, DEMO_TEXT)
    expect(card.locator(".text-table")).to_contain_text("greenwashing")
    control.locator("#now-reveal").click()
    cloud = cloud_words(projector)
    assert "shared" in cloud["trust"]["cls"] and "side-1" in cloud["greenwashing"]["cls"]
    assert "side-0" in cloud["reach"]["cls"]
    assert cloud["reach"]["text"].startswith(MARK[CORP]) and cloud["greenwashing"]["text"].startswith(MARK[ACT])
    assert cloud["trust"]["text"].startswith(MARK["shared"])
    expect(projector.locator(".text-summary")).to_contain_text("12 people answered")
    # Hide a word: it leaves the projector, the public count says one word is hidden; show it again.
    card.get_by_role("button", name="Hide “greenwashing”").click()
    expect(control.locator("#control-status")).to_have_text("Hidden: “greenwashing”.")
    expect(projector.locator('.cloud-word[data-word="greenwashing"]')).to_have_count(0)
    expect(projector.locator(".text-summary")).to_contain_text("1 word hidden by the facilitators")
    screenshot(projector, "projector-cloud-live")
    card.get_by_role("button", name="Show “greenwashing”").click()
    expect(projector.locator('.cloud-word[data-word="greenwashing"]')).to_have_count(1)
    control.locator("#now-close").click()
    expect(phones[1].get_by_label("Your answer")).to_be_disabled()
    # The same twelve phones answer the scale poll: the projector shows each side's median and the gap.
    open_poll(control, DEMO_SCALE)
    points = {CORP: ["7", "7", "7", "8", "8", "6"], ACT: ["2", "2", "2", "3", "3", "1"]}
    for n, phone in enumerate(phones):
        stance = [CORP, ACT][n % 2]
        expect(phone.locator("#poll .prompt")).to_have_text(DEMO_SCALE)
        phone.get_by_role("button", name=points[stance][n // 2], exact=True).click()
        expect(phone.locator("#vote-status")).to_contain_text("Vote received")
    control.locator("#now-reveal").click()
    expect(projector.locator(".scale-stance", has_text=CORP).locator(".scale-stance-median")).to_have_text("median 7")
    expect(projector.locator(".scale-stance", has_text=ACT).locator(".scale-stance-median")).to_have_text("median 2")
    expect(projector.locator(".scale-gap")).to_have_text(f"{ACT} 2 · {CORP} 7 · gap 5")
    expect(projector.locator(".scale-summary")).to_contain_text("12 votes")
    control.locator("#now-close").click()  # other tests on this server re-run it from a closed state
    expect(poll_card(control, DEMO_SCALE)).to_have_class(re.compile(r"\bpoll-closed\b"))


def test_control_lists_every_word_by_stance_and_phones_see_the_top_words(server, facilitator_page, phone_page,
                                                                          screenshot):
    seed(server, "text-4-results")
    control = facilitator_page
    control.set_viewport_size({"width": 1280, "height": 900})
    open_control(control, "layout")
    card = poll_card(control, "One word for a brand")
    table = card.locator(".text-table")
    expect(table.locator('tr[data-word="trust"] th')).to_have_text("trust")
    expect(table.locator("thead th")).to_have_text(["Word", "People", CORP, ACT, "Both", "On screen"])
    expect(table.locator('tr[data-word="trust"] td').first).to_have_text("11")
    expect(card.locator(".text-summary")).to_contain_text("20 people answered")
    card.scroll_into_view_if_needed()
    screenshot(control, "control-text-answers")
    phone = phone_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    phone.goto("/j/LAYOUT")
    phone.get_by_label(ACT, exact=True).check()
    phone.get_by_role("button", name="Join the session").click()
    expect(phone.locator("#conn")).to_have_text("Live")
    expect(phone.locator("#results .text-words li").first).to_contain_text("trust – 11 people · shared by")
    screenshot(phone, "phone-text-results")
