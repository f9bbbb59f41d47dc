"""Property tests: arbitrary strings in every field of every form. A form message or a redirect every time,
never a 500, and the database still consistent."""

from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import login
from tests.reliability.conftest import FUZZ_EXAMPLES


class Forms(HTMLParser):
    """Collect each POST form of a page: its action and its fields with their current values."""

    def __init__(self, page: str):
        super().__init__()
        self.page, self.forms, self.current = page, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = {"action": attrs.get("action") or self.page, "fields": {}}
            self.forms.append(self.current)
        elif self.current is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            fields = self.current["fields"]
            if attrs.get("type") != "radio" or attrs.get("checked") is not None or attrs["name"] not in fields:
                fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def pages(world) -> list[tuple[str, bool]]:
    """(page, as facilitator) for every page with a form."""
    b, slug = world.b, world.b.slug
    public = ["/login", "/join", f"/j/{b.join_code}", f"/w/{slug}", f"/r/{world.registration.manage_token}"]
    hosted = ["/planner/new", f"/planner/{slug}", f"/planner/{slug}/agenda", f"/planner/{slug}/polls",
              f"/planner/{slug}/polls/{world.poll.id}", f"/planner/{slug}/facilitators", f"/planner/{slug}/door",
              f"/planner/{slug}/report", f"/t/{world.registration.ticket_code}"]
    return [(p, False) for p in public] + [(p, True) for p in hosted]


_FOUND: list = []


def discover(app, world) -> list[tuple[str, bool, str, dict]]:
    """Every (page, as facilitator, action, fields) reachable from the pages above, minus sign-out.

    Every test builds the same world (same ids), so the crawl is done once per session."""
    if not _FOUND:
        tokens = {world.registration.manage_token: "{manage}", world.registration.ticket_code: "{ticket}"}
        for page, hosted, action, fields in _crawl(app, world):
            for token, name in tokens.items():
                page, action = page.replace(token, name), action.replace(token, name)
            _FOUND.append((page, hosted, action, fields))
    ids = {"manage": world.registration.manage_token, "ticket": world.registration.ticket_code}
    return [(page.format(**ids), hosted, action.format(**ids), fields) for page, hosted, action, fields in _FOUND]


def _crawl(app, world) -> list[tuple[str, bool, str, dict]]:
    found = {}
    for page, hosted in pages(world):
        client = login(app.test_client(), world.bob) if hosted else app.test_client()
        response = client.get(page)
        assert response.status_code == 200, page
        parser = Forms(page)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = form["action"].replace("http://workshop.test", "")
            if action != "/logout" and form["fields"]:
                found.setdefault((action, hosted), (page, form["fields"]))
    return [(page, hosted, action, fields) for (action, hosted), (page, fields) in sorted(found.items())]


def field_values(fields: dict):
    """Each field: its real value, empty, or any string (control characters and NUL included)."""
    return st.fixed_dictionaries({name: st.sampled_from([value, "", "\x00", value + "\x00"]) | st.text(max_size=300)
                                  for name, value in fields.items() if name != "csrf_token"})


FORMS = 23  # forms the crawler finds; one fuzz test each (a new form must raise this, never be left out)


def test_every_form_is_found(app, world):
    forms = discover(app, world)
    assert len({action for _, _, action, _ in forms}) >= 20
    assert len(forms) == FORMS, "set FORMS to the number of forms so each gets its fuzz test"


@pytest.mark.parametrize("index", range(FORMS))
def test_arbitrary_strings_in_every_field(app, world, consistent, index):
    forms = discover(app, world)
    page, hosted, action, fields = forms[index]
    client = login(app.test_client(), world.bob) if hosted else app.test_client()
    statuses = []

    @settings(max_examples=FUZZ_EXAMPLES if set(fields) - {"csrf_token"} else 1, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=field_values(fields))
    def run(data):
        response = client.post(action, data=data)
        statuses.append(response.status_code)
        assert response.status_code in (200, 302, 400, 404, 409, 429), (action, data, response.status_code)
        if response.status_code != 302:  # not accepted: the page says why
            body = response.get_data(as_text=True)
            # ... or asks first: a destructive POST without confirmed=yes answers "Are you sure?" (confirmation.py)
            said = any(mark in body for mark in ('class="error', "error-summary", 'class="flash', "confirm-page"))
            assert said or (response.status_code >= 400 and "<h1>" in body), (action, data)

    run()
    consistent()
    print(f"\nFUZZ form {action} (from {page}): {len(statuses)} cases, statuses {sorted(set(statuses))}")


def test_huge_ids_in_urls_are_404(app, world):
    client = login(app.test_client(), world.bob)
    for path in (f"/planner/{world.b.slug}/polls/{2**70}", f"/planner/{world.b.slug}/polls/{2**63}"):
        assert client.get(path).status_code == 404, path
        assert client.post(path + "/delete").status_code == 404, path
    for path in (f"/planner/{world.b.slug}/door/{2**70}/undo", f"/planner/{world.b.slug}/agenda/{2**70}/delete"):
        assert client.post(path).status_code in (302, 404), path


def test_nul_bytes_are_a_clear_400_not_a_500(app, world, socket_client):
    """PostgreSQL cannot store NUL: refused up front with a message (this was a 500 on PostgreSQL)."""
    client = login(app.test_client(), world.bob)
    for path, data in [(f"/w/{world.b.slug}", {"name": "a\x00b", "email": "x@example.org", "consent": "y"}),
                       ("/join", {"code": "AB\x00"}), (f"/planner/{world.b.slug}/agenda", {"title": "t\x00"})]:
        response = client.post(path, data=data)
        assert response.status_code == 400 and b"Text cannot contain NUL characters." in response.data
    assert client.get(f"/planner/{world.b.slug}/door?q=a%00").status_code == 400
    assert client.get("/w/a%00b").status_code == 400
    assert not socket_client(auth={"code": "SN\x00OG", "role": "projector"}).is_connected("/live")
    phone = socket_client(namespace="/questions", auth={"code": world.b.join_code, "role": "phone",
                                                         "token": world.participant.token})
    ack = phone.emit("ask", {"text": "why\x00?", "name": "A\x00"}, namespace="/questions", callback=True)
    assert ack["ok"] and ack["question"]["text"] == "why?"
