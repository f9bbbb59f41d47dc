"""The question wall in Chromium: phones ask and upvote, the facilitator moderates, the projector follows."""

import re
import secrets

from playwright.sync_api import Page, expect

from tests.e2e.screens import ACTIVIST, BOTH, CORPORATE, PROJECTOR_SIZE, open_control, open_projector

XSS = '<script>alert("xss")</script><img src=x onerror=alert(2)>'


def card(page: Page, where: str, text: str):
    """The list item of the question with this text (not merely mentioning it, as merge menus do)."""
    return page.locator(f"{where} > li").filter(has=page.locator(".q-text", has_text=text))


def ask(phone: Page, text: str, name: str = "") -> None:
    """Type a question on a phone and wait for the server's answer."""
    phone.get_by_label("Your question").fill(text)
    if name:
        phone.get_by_label("Your name (optional)").fill(name)
    phone.locator("#q-ask").get_by_role("button", name="Ask").click()
    expect(phone.locator("#q-ask-status")).not_to_have_text("Sending…")


def upvote(phone: Page, text: str) -> None:
    """Tap the upvote button of a question on the wall."""
    phone.locator("#q-wall > li", has_text=text).get_by_role("button", name="Upvote").click()
    expect(phone.locator("#q-vote-status")).to_have_text("Upvoted.")


def moderate(control: Page, text: str, button: str, done: str, where: str = "#q-wall") -> None:
    """Press a moderation button on a question of the control screen and wait for the ack."""
    card(control, where, text).get_by_role("button", name=re.compile(r"^" + re.escape(button) + r"\b")).click()
    expect(control.locator("#q-control-status")).to_have_text(done)
    control.evaluate("document.getElementById('q-control-status').textContent = ''")


def test_phones_ask_and_upvote_facilitator_moderates_projector_follows(server, facilitator_page, new_page,
                                                                        join_phone, screenshot):
    tag = secrets.token_hex(3)
    question = f"Who checks the facts before the Trust tweets? {tag}"
    alerts = []
    control = open_control(facilitator_page, server.slug)
    projector = open_projector(new_page(viewport=PROJECTOR_SIZE), server.code)
    asker, corp, activist, both = (join_phone(s) for s in (CORPORATE, CORPORATE, ACTIVIST, BOTH))
    for page in (control, projector, asker, corp, activist, both):
        page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    for page in (control, projector, asker):
        expect(page.locator("#q-counts")).to_contain_text("Questions:")

    ask(asker, question, name="Ada")
    expect(asker.locator("#q-ask-status")).to_have_text("Your question is on the wall.")
    ask(both, f"{XSS} {tag}")
    top = projector.locator("#q-top")
    expect(top.locator("li", has_text=question)).to_contain_text("– Ada")
    expect(top.locator("li", has_text=XSS)).to_contain_text(BOTH)  # the asker's stance, shown as text
    expect(asker.locator("#q-wall > li", has_text=XSS).locator(".q-text")).to_have_text(f"{XSS} {tag}")

    # Own question: no upvote button. Three people of two stances: the badge.
    expect(asker.locator("#q-wall > li", has_text=question).get_by_role("button")).to_have_count(0)
    expect(asker.locator("#q-wall > li", has_text=question)).to_contain_text("Your question")
    for phone in (corp, activist, both):
        upvote(phone, question)
    card = top.locator("li", has_text=question)
    expect(card).to_contain_text("3 votes")
    expect(card).to_contain_text("Both sides want this")
    both.locator("#q-wall > li", has_text=question).get_by_role("button", name="Take back upvote").click()
    expect(both.locator("#q-vote-status")).to_have_text("Upvote taken back.")
    expect(card).to_contain_text("2 votes")
    expect(card).not_to_contain_text("Both sides want this")
    upvote(both, question)
    expect(card).to_contain_text("Both sides want this")

    # A reload (reconnect) gets the whole wall back, with this phone's upvote still pressed.
    activist.reload()
    expect(activist.locator("#conn")).to_have_text("Live")
    pressed = activist.locator("#q-wall > li", has_text=question).get_by_role("button")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    expect(pressed).to_have_text("▲ Upvoted")

    # Sort tabs: newest first, then the both-sides ranking.
    wall = corp.locator("#q-wall > li .q-text")
    corp.get_by_role("button", name="New", exact=True).click()
    expect(wall.first).to_have_text(f"{XSS} {tag}")
    corp.get_by_role("button", name="Both sides", exact=True).click()
    expect(corp.locator("#q-sort-hint")).to_contain_text("smaller side")
    expect(wall.first).to_have_text(question)

    # Highlight: large on the projector; answered: off the stage, into the phones' answered list; undo.
    moderate(control, question, "Highlight", "Now answering on the projector.")
    expect(projector.locator("#q-now .q-now-text")).to_have_text(question)
    expect(asker.locator("#q-mine > li", has_text=question)).to_contain_text("On the wall – now answering")
    screenshot(projector, "projector-question-wall")
    moderate(control, question, "Mark answered", "Marked answered.")
    expect(projector.locator("#q-now")).to_be_empty()
    expect(corp.locator("#q-answered")).to_contain_text(question)
    expect(asker.locator("#q-mine > li", has_text=question)).to_contain_text("Answered")
    control.get_by_role("button", name="Undo last step").click()
    expect(projector.locator("#q-now .q-now-text")).to_have_text(question)
    moderate(control, question, "Mark answered", "Marked answered.")
    expect(projector.locator("#q-now")).to_be_empty()
    screenshot(control, "control-question-wall")
    screenshot(asker, "phone-question-wall")

    # The XSS payload was text everywhere: no dialog, no injected element.
    assert alerts == []
    for page in (control, projector, asker):
        expect(page.locator("#main img[src=x]")).to_have_count(0)
        expect(page.locator("#main script")).to_have_count(0)


def test_queue_mode_keeps_held_questions_off_public_screens(server, facilitator_page, new_page, join_phone):
    held = f"Is the board minuted in public? {secrets.token_hex(3)}"
    control = open_control(facilitator_page, server.slug)
    projector = open_projector(new_page(viewport=PROJECTOR_SIZE), server.code)
    asker, other = join_phone(ACTIVIST), join_phone(CORPORATE)
    control.get_by_label("Hold new questions for approval").check()
    expect(control.locator("#q-control-status")).to_have_text("New questions now wait for approval.")
    try:
        expect(asker.locator("#q-queue-hint")).to_be_visible()
        ask(asker, held)
        expect(asker.locator("#q-ask-status")).to_contain_text("A facilitator will review your question")
        expect(asker.locator("#q-mine > li", has_text=held)).to_contain_text("Waiting for approval")
        expect(card(control, "#q-queue", held)).to_contain_text("Held: approval queue")
        expect(other.locator("#q-counts")).to_contain_text("1 awaiting approval")
        expect(projector.locator("#q-counts")).to_contain_text("1 awaiting approval")
        for page in (projector, other, asker):
            expect(page.locator("#q-projector, #q-wall").first).not_to_contain_text(held)
        moderate(control, held, "Approve", "Approved: on the wall.", where="#q-queue")
        expect(projector.locator("#q-top")).to_contain_text(held)
        expect(other.locator("#q-wall")).to_contain_text(held)
        expect(asker.locator("#q-mine > li", has_text=held)).to_contain_text("On the wall")
    finally:
        control.get_by_label("Hold new questions for approval").uncheck()
        expect(control.locator("#q-control-status")).to_have_text("New questions now go straight to the wall.")
