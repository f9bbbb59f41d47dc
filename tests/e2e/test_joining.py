"""Joining defences in Chromium: the projector's rotating key in its QR (and its turn), the control screen's pause switch."""

import re

from playwright.sync_api import expect

from tests.e2e.checks import decode_qr
from tests.e2e.screens import PROJECTOR_SIZE, open_control, open_projector

CODE, SLUG = "ROTA", "rotating-key"


def make_workshop(page):
    """A workshop of its own (the shared demo one keeps rotation off for the other tests)."""
    page.goto("/planner/new")
    for label, value in (("Title", "Rotating key"), ("Web address (slug)", SLUG), ("Starts", "2030-01-01T10:00"),
                         ("Ends", "2030-01-01T12:00"), ("Join code", CODE), ("Participant cap", "2")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Stances (one per line)").fill("Corporate\nActivist")
    page.get_by_label(re.compile("^Rotating join key")).check()
    page.get_by_role("button", name="Save workshop").click()
    page.wait_for_url(f"**/planner/{SLUG}")


def test_key_in_qr_pause_and_cap(server, facilitator_page, new_page, phone_page):
    make_workshop(facilitator_page)
    control = open_control(facilitator_page, SLUG)
    joining = control.locator("#joining")
    expect(joining).to_contain_text("Joining is open.")
    expect(joining.locator("#joining-key")).to_contain_text(re.compile(rf"{CODE} \d{{4}}"))
    key = joining.locator("#joining-key strong").inner_text().split()[-1]

    projector = open_projector(new_page(viewport=PROJECTOR_SIZE, storage_state=facilitator_page.context.storage_state()), CODE)
    expect(projector.locator("#join-key")).to_have_text(f"{CODE} {key}")
    url = decode_qr(projector, "#join-qr")
    assert url == f"{server.url}/j/{CODE}?k={key}"
    anonymous = open_projector(new_page(viewport=PROJECTOR_SIZE), CODE)
    assert "?k=" not in decode_qr(anonymous, "#join-qr")  # a stranger's copy of the screen has no key

    phone = phone_page()
    phone.goto(url)
    expect(phone.get_by_label("Key shown on the screen", exact=False)).to_have_count(0)  # the QR filled it in
    phone.get_by_label("Corporate", exact=True).check()
    phone.get_by_role("button", name="Join the session").click()
    phone.wait_for_url(f"**/live/{CODE}")
    expect(joining.locator("#joins-minute")).to_have_text("1")

    typed = phone_page()  # without the QR: the page asks for the key
    typed.goto(f"/j/{CODE}")
    typed.get_by_label("Key shown on the screen", exact=False).fill(key)
    typed.get_by_label("Activist", exact=True).check()
    typed.get_by_role("button", name="Join the session").click()
    typed.wait_for_url(f"**/live/{CODE}")
    expect(joining.locator("#joined-cap")).to_contain_text("2 phones, cap 2 – full")

    pause = joining.get_by_role("button", name="Pause joining")
    expect(pause).to_have_attribute("aria-pressed", "false")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "true")
    expect(joining).to_contain_text("Joining is paused")
    late = phone_page()
    late.goto(url)
    expect(late.locator("#join-notice")).to_have_text("Joining is paused by the hosts. Ask them to open it again.")
    pause.click()
    expect(pause).to_have_attribute("aria-pressed", "false")
    late.goto(f"/j/{CODE}")
    expect(late.locator("#join-notice")).to_contain_text("This session is full")
    # The key turns within a minute: the projector's key, QR and address follow without a reload, and the
    # phone that joined with the old key stays joined.
    expect(projector.locator("#join-key")).not_to_have_text(f"{CODE} {key}", timeout=75_000)
    new_key = projector.locator("#join-key").inner_text().split()[-1]
    expect(projector.locator("#join-url")).to_have_text(re.compile(rf"/j/{CODE}\?k={new_key}$"))
    assert decode_qr(projector, "#join-qr") == f"{server.url}/j/{CODE}?k={new_key}"
    expect(joining.locator("#joining-key strong")).to_have_text(f"{CODE} {new_key}")
    phone.reload()
    expect(phone.locator("#conn")).to_have_text("Live")
