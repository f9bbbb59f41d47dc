"""Drive the live screens the way people do: the facilitator's control buttons, phone answer buttons."""

import re

from playwright.sync_api import Page, expect

CORPORATE, ACTIVIST, BOTH = "Corporate / public sector", "Activist / campaigner", "Both"
PROJECTOR_SIZE = {"width": 1920, "height": 1080}


def poll_card(control: Page, prompt: str):
    """The control screen's card for the poll with this prompt."""
    return control.locator("#polls > li", has_text=prompt)


def card_button(control: Page, prompt: str, button: str):
    """A button on a poll's card by its visible word (Open, Close, Reveal, Hide results, Re-run, Reset).

    Accessible names say what they act on ("Reveal results of poll 3: ..."), and always start with that word."""
    name = re.compile(r"^" + re.escape(button) + r"\b")
    return poll_card(control, prompt).get_by_role("button", name=name)


def control_action(control: Page, prompt: str, button: str) -> None:
    """Press a button (Open, Close, Reveal, Re-run, Reset...) on a poll's card and wait for the ack.

    Reset asks first: the helper confirms in the dialog."""
    status = control.locator("#control-status")
    card_button(control, prompt, button).click()
    if button == "Reset":
        dialog = control.get_by_role("dialog")
        dialog.locator("[data-confirm-role=confirm]").click()
        expect(dialog).to_have_count(0)
    expect(status).to_have_attribute("data-ack", "ok")
    control.evaluate("() => { const s = document.getElementById('control-status'); s.textContent = '';"
                     " s.removeAttribute('data-ack'); }")


def open_poll(control: Page, prompt: str) -> None:
    """Open (or re-run) the poll and wait until the control screen shows it open."""
    card = poll_card(control, prompt)
    label = "Re-run" if card_button(control, prompt, "Re-run").count() else "Open"
    control_action(control, prompt, label)
    expect(card).to_have_class(re.compile(r"\bpoll-open\b"))


def vote(phone: Page, prompt: str, answer: str) -> None:
    """Tap an answer on a phone once the poll shows; wait for the server's acknowledgement."""
    expect(phone.locator("#poll .prompt")).to_have_text(prompt)
    phone.locator("#poll").get_by_role("button", name=answer, exact=True).click()
    expect(phone.locator("#vote-status")).to_contain_text("Vote received")


def open_control(page: Page, slug: str) -> Page:
    """The facilitator's control screen, connected."""
    page.goto(f"/planner/{slug}/control")
    expect(page.locator("#conn")).to_have_text("Live")
    return page


def open_projector(page: Page, code: str, query: str = "") -> Page:
    """The projector screen, connected."""
    page.goto(f"/live/{code}/screen{query}")
    expect(page.locator("#conn")).to_have_text("Live")
    return page
