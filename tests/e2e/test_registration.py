"""Registration through the real form in Chromium."""

import re

from playwright.sync_api import expect

from tests.e2e.checks import decode_qr
from tests.e2e.screens import ACTIVIST, CORPORATE


def test_errors_re_render_then_confirmation_shows_the_ticket_qr(server, new_page, screenshot):
    page = new_page()
    page.goto(f"/w/{server.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Snog, Marry, Avoid?")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("not-an-email")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Register").click()
    assert posted.value.status == 400

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Please fix the following")
    expect(summary.get_by_role("link")).to_have_text([
        "That does not look like an email address.",
        "Pick the stance closest to yours (or 'Prefer not to say').",
        "Please agree to the privacy notice to register.",
    ])
    expect(page.get_by_label("Your name")).to_have_value("Ada Lovelace")  # what was typed survives
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email")).to_have_accessible_description(re.compile("does not look like an email"))
    summary.get_by_role("link", name="Pick the stance").click()  # the summary links to the field
    expect(page.get_by_label(CORPORATE)).to_be_focused()
    screenshot(page, "registration-errors")

    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label(ACTIVIST).check()
    page.get_by_label("I agree to the privacy notice").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You're registered")
    code = page.locator("#ticket-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{4,20}", code), code
    ticket_url = decode_qr(page, "img.qr")
    assert ticket_url == f"{server.url}/t/{code}"
    screenshot(page, "registration-confirmation")
