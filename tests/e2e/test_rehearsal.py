"""The whole session, rehearsed in Chromium against the production-mode (gevent) server.

Login and preparation; three registrations (waitlist, cancellation, promotion); check-in by the ticket QR;
the projector; 20 phones joining by the projector's QR (mixed stances, two bound to tickets); two verdict polls
and a classic poll with reveal and the stance split; questions asked, upvoted, highlighted and answered; a phone
offline and back; the report's figures. Figures are compared as differences from a snapshot taken first, so the
test does not depend on what other tests left in the shared server.
"""

from playwright.sync_api import Page, expect

from tests.e2e.checks import decode_qr
from tests.e2e.screens import (
    ACTIVIST,
    BOTH,
    CORPORATE,
    PROJECTOR_SIZE,
    control_action,
    open_poll,
    open_projector,
    vote,
)
from tests.e2e.test_question_wall import ask, moderate, upvote

CO_RUN = "An NHS Trust and a patient campaign group co-run a social marketing campaign."
CLINICIANS = "Clinicians tweeting to people who use, or might use, their services."
CLASSIC = "Snog, marry or avoid: who should a campaign group get close to?"
ITEMS = ["The NHS Trust's comms team", "Clinicians on Twitter", "The chief executive's blog"]
NOT_SAY = "Prefer not to say"
FIGURES = ["registered", "waitlisted", "cancelled", "checked-in", "joined", "questions", "answered", "upvotes"]

# 20 phones: 2 bound to tickets (one corporate, one activist), then 6 + 6 + 3 + 3 by stance.
STANCES = [CORPORATE, ACTIVIST] + [CORPORATE] * 6 + [ACTIVIST] * 6 + [BOTH] * 3 + [NOT_SAY] * 3
CORP = [0, *range(2, 8)]
ACT = [1, *range(8, 14)]
OTHERS = list(range(14, 20))


def co_run_answer(i: int) -> str:
    """Corporate 5 snog 2 marry; activist 2 snog 1 marry 4 avoid; both marry; not stated avoid."""
    if i in CORP:
        return "Snog" if CORP.index(i) < 5 else "Marry"
    if i in ACT:
        return ["Snog", "Snog", "Marry", "Avoid", "Avoid", "Avoid", "Avoid"][ACT.index(i)]
    return "Marry" if i < 17 else "Avoid"


def classic_answer(i: int) -> list[str]:
    """Verdicts for the three items, by stance group."""
    if i in CORP:
        return ["Marry", "Snog", "Avoid"]
    if i in ACT:
        return ["Avoid", "Snog", "Marry"]
    return ["Snog", "Marry", "Avoid"]


def figures(page: Page, slug: str) -> dict:
    """The report's headline figures."""
    page.goto(f"/planner/{slug}/report")
    return {name: int(page.locator(f"#fig-{name}").inner_text()) for name in FIGURES}


def register(page: Page, slug: str, name: str, email: str, stance: str, button: str = "Register") -> str:
    """Fill in the public registration form; returns the confirmation page's heading."""
    page.goto(f"/w/{slug}")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label(stance, exact=True).check()
    page.get_by_label("I agree to the privacy notice").check()
    page.get_by_role("button", name=button).click()
    return page.get_by_role("heading", level=1).inner_text()


def vote_classic(phone: Page, verdicts: list[str]) -> None:
    """Give each item its verdict, then send."""
    expect(phone.locator("#poll .prompt")).to_have_text(CLASSIC)
    for item, verdict in zip(ITEMS, verdicts, strict=True):
        phone.locator("#poll fieldset", has_text=item).get_by_role("button", name=verdict, exact=True).click()
    phone.get_by_role("button", name="Send my verdicts").click()
    expect(phone.locator("#vote-status")).to_contain_text("Vote received")


def test_rehearsal(server, new_page, join_phone, screenshot):
    slug, code = server.slug, server.code
    # A facilitator signs in and prepares the demo workshop: two places left, the first poll segment.
    host = new_page()
    host.goto("/login")
    host.get_by_label("Email").fill(server.email)
    host.get_by_label("Password").fill(server.password)
    host.get_by_role("button", name="Sign in").click()
    expect(host.get_by_role("link", name="My workshops")).to_be_visible()
    before = figures(host, slug)
    host.goto(f"/planner/{slug}")
    host.get_by_label("Capacity").fill(str(before["registered"] + 2))
    cap = host.get_by_label("Participant cap").input_value()  # put back at the end (conftest raises the demo's)
    # 20 phones for 2 places: above the automatic cap (capacity + 20 % + 10), whatever the tests before joined.
    host.get_by_label("Participant cap").fill(str(before["joined"] + 60))
    host.get_by_role("button", name="Save workshop").click()
    expect(host.get_by_role("status")).to_contain_text("Saved.")

    # Three people register; the third lands on the waitlist; one cancels; the waitlisted one is promoted.
    ann, bob, cat = new_page(), new_page(), new_page()
    assert register(ann, slug, "Ann Corporate", "ann@example.org", CORPORATE) == "You're registered"
    assert register(bob, slug, "Bob Both", "bob@example.org", BOTH) == "You're registered"
    assert register(cat, slug, "Cat Activist", "cat@example.org", ACTIVIST, "Join the waitlist") == \
        "You're on the waitlist"
    expect(cat.locator("#waitlist-position")).to_contain_text("number 1 on the waitlist")
    screenshot(cat, "registration-waitlist")
    bob.get_by_role("button", name="Cancel my place").click()
    bob.get_by_role("dialog", name="Cancel your place?").get_by_role("button", name="Cancel my place").click()
    expect(bob.get_by_role("status")).to_contain_text("Your registration is cancelled.")
    cat.reload()
    expect(cat.get_by_role("heading", name="Your ticket")).to_be_visible()
    ann_ticket, cat_ticket = ann.locator("#ticket-code").inner_text(), cat.locator("#ticket-code").inner_text()

    # At the door: the facilitator's phone camera opens Ann's ticket QR URL; one tap checks her in.
    door = new_page(storage_state=host.context.storage_state())
    door.goto(decode_qr(ann, "img.qr"))
    door.get_by_role("button", name="Check in").click()
    expect(door.locator("#checkin-status")).to_contain_text("Checked in")

    # The projector and the control screen open; the segment starts.
    projector = open_projector(new_page(viewport=PROJECTOR_SIZE), code)
    control = host
    control.goto(f"/planner/{slug}/control")
    expect(control.locator("#conn")).to_have_text("Live")
    control.locator("#agenda li", has_text="Poll round 1: scenarios").get_by_role("button", name="Start").click()
    expect(projector.locator("#segment")).to_have_text("Now: Poll round 1: scenarios")
    screenshot(projector, "projector-join")

    # 20 phones join by the projector's QR code: two with tickets, the rest pick a stance.
    join_url = decode_qr(projector, "img.join-qr")
    assert join_url == f"{server.url}/j/{code}"
    phones = [join_phone(url=join_url, ticket=ann_ticket, wait=False), join_phone(url=join_url, ticket=cat_ticket, wait=False)]
    phones += [join_phone(stance, url=join_url, wait=False) for stance in STANCES[2:]]
    for phone in phones:
        expect(phone.locator("#conn")).to_have_text("Live")
    expect(phones[0].locator("#app")).to_contain_text(f"You joined as {CORPORATE} with your ticket")
    screenshot(phones[5], "phone-joined")

    # Verdict poll 1: everyone votes; the projector counts; reveal shows the split (small groups hidden).
    open_poll(control, CO_RUN)
    for i, phone in enumerate(phones):
        vote(phone, CO_RUN, co_run_answer(i))
    expect(projector.locator("#count")).to_have_text("20 votes")
    control_action(control, CO_RUN, "Reveal")
    results = projector.locator("#results")
    expect(results.locator(".bars").first.locator(".bar-value")).to_have_text(["35% (7)", "30% (6)", "35% (7)"])
    expect(results.locator(".stance", has_text=CORPORATE).locator(".bar-value")).to_have_text(
        ["71% (5)", "29% (2)", "0% (0)"])
    expect(results.locator(".stance", has_text=ACTIVIST).locator(".bar-value")).to_have_text(
        ["29% (2)", "14% (1)", "57% (4)"])
    expect(results).to_contain_text("2 groups hidden so no one's vote can be worked out")
    screenshot(projector, "projector-verdict-results")

    # Verdict poll 2: a phone votes, drops off the network, misses the reveal, comes back and finds its state.
    open_poll(control, CLINICIANS)
    offline = phones[9]
    for i, phone in enumerate(phones):
        vote(phone, CLINICIANS, "Avoid" if i in ACT else "Snog")
    expect(projector.locator("#count")).to_have_text("20 votes")
    offline.context.set_offline(True)
    expect(offline.locator("#conn")).not_to_have_text("Live", timeout=30_000)
    control_action(control, CLINICIANS, "Reveal")
    expect(projector.locator("#results .bars").first.locator(".bar-value")).to_have_text(
        ["65% (13)", "0% (0)", "35% (7)"])
    expect(offline.locator("#results")).to_be_empty()
    offline.context.set_offline(False)
    expect(offline.locator("#conn")).to_have_text("Live", timeout=20_000)
    expect(offline.locator("#results")).to_contain_text("Results · 20 votes")
    expect(offline.get_by_role("button", name="Avoid", exact=True)).to_have_attribute("aria-pressed", "true")

    # The classic game: each phone gives the three items one verdict each.
    open_poll(control, CLASSIC)
    for i, phone in enumerate(phones):
        vote_classic(phone, classic_answer(i))
    expect(projector.locator("#count")).to_have_text("20 votes")
    control_action(control, CLASSIC, "Reveal")
    overall = projector.locator("#results .overall .classic-item")
    expect(overall.nth(0).locator(".bar-value")).to_have_text(["30% (6)", "35% (7)", "35% (7)"])
    expect(overall.nth(1).locator(".bar-value")).to_have_text(["70% (14)", "30% (6)", "0% (0)"])
    expect(overall.nth(2).locator(".bar-value")).to_have_text(["0% (0)", "35% (7)", "65% (13)"])
    expect(projector.locator("#results .stance > h4")).to_have_text([f"{CORPORATE} (7)", f"{ACTIVIST} (7)"])
    screenshot(projector, "projector-classic-results")
    screenshot(phones[1], "phone-classic")
    control_action(control, CLASSIC, "Close")

    # Questions: three are asked, one gets five upvotes from two sides, is highlighted, then answered.
    question = "Who answers the Trust's Twitter account at the weekend?"
    ask(phones[2], question)
    ask(phones[8], "Can campaigners see the moderation rules?")
    ask(phones[14], "What happens to our votes after today?")
    for phone in (phones[3], phones[4], phones[10], phones[11], phones[15]):
        upvote(phone, question)
    expect(projector.locator("#q-top li", has_text=question)).to_contain_text("5 votes")
    moderate(control, question, "Highlight", "Now answering on the projector.")
    expect(projector.locator("#q-now .q-now-text")).to_have_text(question)
    expect(projector.locator("#q-now .q-now-text")).to_be_in_viewport(ratio=1)  # a projector cannot scroll
    screenshot(projector, "projector-questions")
    phones[3].locator("a[href='#questions-section']").click()
    screenshot(phones[3], "phone-questions")
    control.locator("#q-wall > li.q-highlighted").scroll_into_view_if_needed()
    screenshot(control, "control-questions")
    moderate(control, question, "Mark answered", "Marked answered.")
    expect(projector.locator("#q-now")).to_be_empty()
    expect(phones[5].locator("#q-answered")).to_contain_text(question)

    # The report: the numbers this rehearsal added.
    after = figures(control, slug)
    assert {k: after[k] - before[k] for k in FIGURES} == {
        "registered": 2, "waitlisted": 0, "cancelled": 1, "checked-in": 2, "joined": 20,
        "questions": 3, "answered": 1, "upvotes": 5,
    }
    for poll in (1, 2, 7):
        expect(control.locator(f"#poll-{poll} .run-total").last).to_have_text("20")
    expect(control.locator("#top-questions li").first).to_contain_text(question)
    expect(control.locator("#both-sides")).to_contain_text(question)
    screenshot(control, "report")

    # Tidy up for other tests sharing the server: the demo workshop gets its 60 places and its cap back.
    control.goto(f"/planner/{slug}")
    control.get_by_label("Capacity").fill("60")
    control.get_by_label("Participant cap").fill(cap)
    control.get_by_role("button", name="Save workshop").click()
    expect(control.get_by_role("status")).to_contain_text("Saved.")
