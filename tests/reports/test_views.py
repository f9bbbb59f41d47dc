"""Report pages, share link, purge button and CSV/JSON exports, as a facilitator (or a stranger) sees them."""

import csv
import io
import json
import re

from tests.conftest import login
from tests.reports.conftest import CORP, VERDICTS

CHARTS_PER_REPORT = 3 + 2 * 4 + 1  # attendance, questions, agenda; 2 per poll run (4 runs); 1 opinion shift


def report_url(ran):
    return f"/planner/{ran['workshop'].slug}/report"


def figure(html: str, name: str) -> str:
    return re.search(rf'id="fig-{name}">([^<]*)<', html).group(1)


def test_report_needs_a_facilitator_of_this_workshop(client, ran, make_facilitator):
    assert client.get(report_url(ran)).status_code == 302
    login(client, make_facilitator())
    assert client.get(report_url(ran)).status_code == 403


def test_report_shows_the_numbers_and_every_chart(client, ran):
    login(client, ran["host"])
    html = client.get(report_url(ran)).get_data(as_text=True)
    assert (figure(html, "registered"), figure(html, "waitlisted"), figure(html, "checked-in")) == ("8", "1", "6")
    assert figure(html, "joined") == str(len(VERDICTS))
    assert (figure(html, "questions"), figure(html, "answered"), figure(html, "dismissed")) == ("6", "1", "2")
    assert html.count('<svg class="chart-svg"') == CHARTS_PER_REPORT
    assert "Hidden so no one&#39;s vote can be worked out (groups under 5 votes)" in html
    assert "Round 2:" in html and "Who moved</a>, below (moves of fewer than 5 people merged)" in html
    assert "3 min late" in html
    assert "reggie" not in html.lower() and "Step-free" not in html and "Asker" not in html


def test_planner_nav_links_to_the_report(client, ran):
    login(client, ran["host"])
    html = client.get(f"/planner/{ran['workshop'].slug}/agenda").get_data(as_text=True)
    assert f'href="/planner/{ran["workshop"].slug}/report"' in html


def test_shared_link_shows_aggregates_without_login_until_withdrawn(client, ran):
    login(client, ran["host"])
    response = client.post(f"{report_url(ran)}/share", follow_redirects=True)
    link = re.search(r'id="share-link" href="([^"]+)"', response.get_data(as_text=True)).group(1)
    client.post("/logout")
    public = client.get(link)
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and public.headers["X-Robots-Tag"].startswith("noindex")
    assert figure(html, "registered") == "8" and html.count('<svg class="chart-svg"') == CHARTS_PER_REPORT
    assert "Erase personal data" not in html and "attendees.csv" not in html
    for reg in ran["people"]:
        assert reg.name not in html and reg.email not in html and reg.needs not in html
    assert "Hilda" not in html  # facilitator names are not published either
    login(client, ran["host"])
    client.post(f"{report_url(ran)}/share", data={"action": "unshare"})
    assert client.get(link).status_code == 404


def test_purge_button_needs_confirmation_then_erases(client, ran):
    login(client, ran["host"])
    page = client.post(f"{report_url(ran)}/purge", follow_redirects=True).get_data(as_text=True)
    assert "Tick the box to confirm" in page
    assert ran["people"][1].name  # untouched
    before = re.sub(r'<section class="card no-print report-tools".*?</section>', "", page, flags=re.S)
    page = client.post(f"{report_url(ran)}/purge", data={"confirm": "yes"}, follow_redirects=True).get_data(as_text=True)
    assert "Personal data erased from 10 registrations and 6 questions" in page
    door = client.get(f"/planner/{ran['workshop'].slug}/door").get_data(as_text=True)
    assert "Reggie" not in door
    for name in ("registered", "checked-in", "joined", "questions", "upvotes"):
        assert figure(page, name) == figure(before, name)


def test_votes_csv_is_aggregated_per_poll_round_and_stance(client, ran):
    login(client, ran["host"])
    response = client.get(f"{report_url(ran)}/votes.csv")
    assert response.headers["Content-Disposition"].endswith("-votes.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    corp_round1 = {r["answer"]: int(r["votes"]) for r in rows if r["poll"] == "1" and r["round"] == "1" and r["stance"] == CORP}
    assert corp_round1 == {a.capitalize(): sum(1 for s, v, _ in VERDICTS if s == CORP and v == a) for a in ("snog", "marry", "avoid")}
    hidden = [r for r in rows if r["poll"] == "1" and r["round"] == "1" and r["stance"] == "Both"]
    assert hidden == [{**hidden[0], "answer": "(hidden so no one's vote can be worked out: groups under 5 votes)", "votes": ""}]
    classic = [r for r in rows if r["poll"] == "2" and r["stance"] == "All"]
    assert {r["item"] for r in classic} == {"Comms", "Clinicians", "Blog"}


def test_exports_need_a_facilitator(client, ran):
    slug = ran["workshop"].slug
    for path in (f"/planner/{slug}/report/votes.csv", f"/planner/{slug}/report/workshop.json", f"/planner/{slug}/attendees.csv"):
        assert client.get(path).status_code == 302, path


def test_json_export_downloads_the_whole_workshop(client, ran):
    login(client, ran["host"])
    response = client.get(f"{report_url(ran)}/workshop.json")
    assert response.headers["Content-Disposition"] == f"attachment; filename={ran['workshop'].slug}.json"
    data = json.loads(response.data)
    assert data["format"] == "workshop-export" and data["version"] == 1
    assert len(data["polls"]) == 3 and len(data["questions"]) == 6 and len(data["registrations"]) == 10
    assert sum(len(p["votes"]) for p in data["polls"]) == len(VERDICTS) * 2 - 1 + 3 + 4


def test_unknown_share_link_is_a_friendly_404(client, app):
    response = client.get("/report/not-a-real-token")
    assert response.status_code == 404 and b"not valid" in response.data


def test_report_of_a_workshop_that_has_not_run(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    html = client.get(f"/planner/{workshop.slug}/report").get_data(as_text=True)
    assert "No poll was run." in html and "No agenda." in html and figure(html, "registered") == "0"
