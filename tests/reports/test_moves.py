"""Who moved in the report: the flows of each re-run poll (first run to last), overall and per side, as SVG for
paper with small flows merged; the JSON export and import give the same flows."""

from tests.conftest import login
from tests.reports.conftest import ACT, CORP
from workshop.extensions import db
from workshop.live import ballots, moves
from workshop.live import service as live
from workshop.live.models import Poll
from workshop.reports import service, transfer


def report_html(client, ran):
    login(client, ran["host"])
    return client.get(f"/planner/{ran['workshop'].slug}/report").get_data(as_text=True)


def test_small_room_every_flow_merged_and_small_sides_hidden(client, ran):
    # 14 phones: every flow is under 5 people, so the diagram is one "other moves" band; corporates (6) are the
    # only side big enough to show, activists (5) are hidden with the two smaller groups (the split's rule).
    verdict = service.poll_report(ran["polls"][0])
    flows = verdict["moves"]
    assert (flows["first"], flows["last"], flows["flows"], flows["other"], flows["total"]) == (1, 2, [], 14, 14)
    assert flows["headline"] == "6 people changed their answer; each move too small to show alone"
    assert [(g["stance"], g.get("hidden", False)) for g in flows["by_stance"]] == [
        (CORP, False),
        (ACT, True),
        ("Both", True),
        ("Not stated", True),
    ]
    assert service.poll_report(ran["polls"][1])["moves"] is None  # classic: one answer per item, not per person
    html = report_html(client, ran)
    assert html.count('<svg class="sankey sankey-print"') == 1  # everyone; the corporates' every flow is merged
    assert "Who moved: round 1 to round 2" in html and "Other moves: 14" in html
    assert (
        f"{CORP}: 3 people changed their answer; each move too small to show alone; every flow under 5 people" in html
    )
    assert 'class="count" data-from' not in html  # no single flow is shown
    assert f"{ACT}: hidden so no one's answer can be worked out" in html


def test_big_flows_are_drawn_and_counted_per_side(client, make_facilitator, make_workshop, make_poll):
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = moves.plan_rerun(make_poll(workshop, prompt="Tweet the board?"), True)
    corp = [live.create_participant(workshop, CORP) for _ in range(7)]
    act = [live.create_participant(workshop, ACT) for _ in range(6)]
    for run in (
        {**{p: "avoid" for p in corp}, **{p: "snog" for p in act}},
        {**{p: "snog" for p in corp}, **{p: "snog" for p in act}},
    ):
        live.open_poll(poll)
        for person, choice in run.items():
            ballots.submit_vote(person.id, poll.id, choice)
        live.close_poll(poll)
    flows = service.poll_report(poll)["moves"]
    assert [(f["from"], f["to"], f["n"]) for f in flows["flows"]] == [("avoid", "snog", 7), ("snog", "snog", 6)]
    assert flows["headline"] == "7 people changed their answer; most moved Avoid → Snog (7)"
    login(client, host)
    html = client.get(f"/planner/{workshop.slug}/report").get_data(as_text=True)
    assert html.count('<svg class="sankey sankey-print"') == 3
    assert html.count('data-from="avoid" data-to="snog"><rect') == 2  # everyone and corporates: a count pill each
    assert "● Corporate / public sector: 7 people changed their answer; most moved Avoid → Snog (7)." in html
    assert "▲ Activist / campaigner: Nobody changed their answer." in html

    # The JSON export carries the runs' votes: an imported copy draws the same flows.
    data = transfer.export_workshop(workshop)
    assert data["polls"][0]["rerun_planned"] is True
    data["workshop"].update(slug="copy", join_code="COPY")
    copy = db.session.query(Poll).filter_by(workshop_id=transfer.import_workshop(data).id).one()
    assert copy.rerun_planned
    again = service.poll_report(copy)["moves"]
    for key in ("flows", "other", "by_stance", "headline", "first", "last", "changed"):
        assert again[key] == flows[key], key


def test_the_report_prints_the_flows_within_the_page(client, ran):
    # The print stylesheet keeps charts on the page (tests/reports/test_pdf.py prints it in Chromium): the
    # diagram is a figure.chart like every chart, scaled by its viewBox, never wider than its box.
    html = report_html(client, ran)
    figure = html[html.index('<div class="report-moves"') :]
    assert '<figure class="chart" tabindex="0"><svg class="sankey sankey-print"' in figure
    assert 'viewBox="0 0 640 300"' in figure and 'width="100%"' in figure
