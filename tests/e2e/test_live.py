"""Live voting in Chromium: projector, control and phones against the gevent server."""


from playwright.sync_api import expect

from tests.e2e.screens import (
    ACTIVIST,
    CORPORATE,
    PROJECTOR_SIZE,
    control_action,
    open_control,
    open_poll,
    open_projector,
    poll_card,
    vote,
)

STAFF = "Staff across the whole organisation using social media, not only the comms team."
LIVE_TWEETING = "Campaigners live-tweeting a Trust board meeting."


def test_phones_vote_projector_counts_reveal_splits_by_stance(server, facilitator_page, new_page, join_phone,
                                                              screenshot):
    control = open_control(facilitator_page, server.slug)
    projector = open_projector(new_page(viewport=PROJECTOR_SIZE), server.code)
    phones = [join_phone(CORPORATE) for _ in range(5)] + [join_phone(ACTIVIST)]

    open_poll(control, STAFF)
    expect(projector.locator("#poll .prompt")).to_have_text(STAFF)
    expect(projector.locator("#count")).to_have_text("0 votes")
    answers = ["snog", "snog", "marry", "avoid", "snog", "marry"]
    for phone, answer in zip(phones, answers, strict=True):
        vote(phone, STAFF, answer.title())
    expect(projector.locator("#count")).to_have_text("6 votes")
    expect(projector.locator("#results")).to_be_empty()  # nothing shown before the reveal
    screenshot(phones[0], "phone-poll")

    control_action(control, STAFF, "Reveal")
    results = projector.locator("#results")
    expect(results.get_by_role("heading", name="Results · 6 votes")).to_be_visible()
    expect(results.locator(".bars").first.locator(".bar-value")).to_have_text(["50% (3)", "33% (2)", "17% (1)"])
    # The one activist is hidden, and so are the five corporates: the overall counts minus theirs would
    # be the activist's vote (the split itself is checked with 20 phones in test_rehearsal.py).
    expect(results.get_by_role("heading", name=f"{ACTIVIST} (1)")).to_have_count(0)
    expect(results.get_by_role("heading", name=f"{CORPORATE} (5)")).to_have_count(0)
    expect(results).to_contain_text("2 groups hidden so no one's vote can be worked out")
    screenshot(projector, "projector-results")
    poll_card(control, STAFF).scroll_into_view_if_needed()
    screenshot(control, "control-results")  # "control" is test_control.py's (1440x900)
    expect(phones[0].locator("#results")).to_contain_text("Results · 6 votes")

    # A phone that reloads finds its vote again.
    phones[2].reload()
    expect(phones[2].locator("#conn")).to_have_text("Live")
    expect(phones[2].get_by_role("button", name="Marry", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(phones[2].get_by_role("button", name="Snog", exact=True)).to_have_attribute("aria-pressed", "false")
    expect(phones[2].locator("#vote-status")).to_have_text("Your vote is in.")
    control_action(control, STAFF, "Close")


def test_long_polling_when_websockets_are_blocked(server, facilitator_page, new_page, join_phone):
    sockets = []
    control = open_control(facilitator_page, server.slug)
    projector = new_page(viewport=PROJECTOR_SIZE)
    projector.on("websocket", lambda ws: sockets.append(ws.url))
    open_projector(projector, server.code, "?transport=polling")
    phone = join_phone(CORPORATE, query="?transport=polling")
    phone.on("websocket", lambda ws: sockets.append(ws.url))
    phone.reload()
    expect(phone.locator("#conn")).to_have_text("Live")

    open_poll(control, LIVE_TWEETING)
    vote(phone, LIVE_TWEETING, "Avoid")
    expect(projector.locator("#count")).to_have_text("1 vote")
    control_action(control, LIVE_TWEETING, "Reveal")
    expect(projector.locator("#results")).to_contain_text("Results · 1 vote")
    assert sockets == [], "the polling pages must not open websockets"
    control_action(control, LIVE_TWEETING, "Close")


# What a phone sees behind a proxy that refuses websockets: every WebSocket fails before it opens.
REFUSE_WEBSOCKETS = """
(() => {
  class Refused extends EventTarget {
    constructor(url) {
      super();
      this.url = url;
      this.readyState = 0;
      window.refusedSockets = (window.refusedSockets || 0) + 1;
      setTimeout(() => {
        this.readyState = 3;
        const error = new Event("error");
        if (this.onerror) this.onerror(error);
        this.dispatchEvent(error);
        const closed = new CloseEvent("close", { code: 1006 });
        if (this.onclose) this.onclose(closed);
        this.dispatchEvent(closed);
      }, 20);
    }
    send() { throw new Error("not open"); }
    close() {}
  }
  Object.assign(Refused, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Refused;
})();
"""


def test_websockets_refused_falls_back_to_long_polling_by_itself(server, facilitator_page, new_page, join_phone):
    control = open_control(facilitator_page, server.slug)
    projector = new_page(viewport=PROJECTOR_SIZE)
    phone = join_phone(ACTIVIST, wait=False)
    for page in (projector, phone):
        page.context.add_init_script(REFUSE_WEBSOCKETS)
    open_projector(projector, server.code)
    phone.reload()
    expect(phone.locator("#conn")).to_have_text("Live")

    open_poll(control, LIVE_TWEETING)
    vote(phone, LIVE_TWEETING, "Marry")
    expect(projector.locator("#count")).to_have_text("1 vote")
    assert phone.evaluate("window.refusedSockets") >= 1 and projector.evaluate("window.refusedSockets") >= 1
    control_action(control, LIVE_TWEETING, "Close")
