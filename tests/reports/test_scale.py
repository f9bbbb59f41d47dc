"""Scale polls in the report (distribution, medians per stance, the median's move between runs), the votes
CSV and the JSON export and import."""

import csv
import io

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import ballots
from workshop.live import service as live
from workshop.live.models import Poll
from workshop.reports import charts, service, transfer

CORP, ACT = "Corporate / public sector", "Activist / campaigner"
FIRST = {CORP: [7, 8, 6, 7, 9], ACT: [1, 2, 2, 3, 0]}
SECOND = {CORP: [6, 6, 5, 7, 6], ACT: [3, 4, 4, 3, 2]}


@pytest.fixture
def scale_run(app, make_facilitator, make_workshop):
    """A scale poll run twice by five phones per side: activists move up, corporates down."""
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = live.create_poll(workshop, "scale", "How close?", [],
                            settings={"min": 0, "max": 10, "low": "Avoid", "high": "Marry", "mid": "Snog"})
    phones = {s: [live.create_participant(workshop, s) for _ in range(5)] for s in FIRST}
    for run in (FIRST, SECOND):
        live.open_poll(poll)
        for stance, points in run.items():
            for phone, point in zip(phones[stance], points, strict=True):
                ballots.submit_vote(phone.id, poll.id, str(point))
        live.close_poll(poll)
    return {"host": host, "workshop": workshop, "poll": poll}


def test_report_has_distribution_medians_and_their_move(scale_run):
    report = service.poll_report(scale_run["poll"])
    first, last = report["rounds"]
    assert first["counts"]["7"] == 2 and first["median"] == 4.5 and last["median"] == 4.5
    assert {g["stance"]: g["median"] for g in first["by_stance"]} == {CORP: 7, ACT: 2}
    assert report["labels"]["0"] == "0 (Avoid)" and report["labels"]["5"] == "5 (Snog)" and report["labels"]["4"] == "4"
    shift = report["shift"]
    assert shift["median"] == {"first": 4.5, "last": 4.5, "moved": 0}
    assert {g["stance"]: g["median"] for g in shift["by_stance"]} == {
        CORP: {"first": 7, "last": 6, "moved": -1}, ACT: {"first": 2, "last": 3, "moved": 1}}


def test_scale_charts_print_medians_in_words(scale_run):
    report = service.poll_report(scale_run["poll"])
    drawn = charts.round_charts(report, report["rounds"][0])
    assert "median 4.5, mean 4.5" in drawn["overall"] and "0 (Avoid): 1" in drawn["overall"]
    assert f"{CORP}: median 7" in drawn["by_stance"] and f"{ACT}: median 2" in drawn["by_stance"]
    assert f"{ACT}: 2 → 3" in charts.shift_chart(report)


def test_report_page_and_votes_csv(client, scale_run):
    login(client, scale_run["host"])
    slug = scale_run["workshop"].slug
    html = client.get(f"/planner/{slug}/report").get_data(as_text=True)
    assert "Median moved" in html and "2 → 3 (+1)" in html and "7 → 6 (-1)" in html
    rows = list(csv.reader(io.StringIO(client.get(f"/planner/{slug}/report/votes.csv").get_data(as_text=True))))
    assert ["1", "How close?", "scale", "1", ACT, "", "2", "2"] in rows
    assert ["1", "How close?", "scale", "2", "All", "", "10 (Marry)", "0"] in rows


def test_json_export_and_import_keep_scale_polls(scale_run):
    data = transfer.export_workshop(scale_run["workshop"])
    entry = data["polls"][0]
    assert entry["kind"] == "scale" and entry["settings"]["high"] == "Marry" and len(entry["votes"]) == 20
    data["workshop"].update(slug="copy", join_code="COPY")
    copy = transfer.import_workshop(data)
    poll = db.session.query(Poll).filter_by(workshop_id=copy.id).one()
    assert poll.scale == scale_run["poll"].scale
    assert service.poll_report(poll)["shift"]["median"] == {"first": 4.5, "last": 4.5, "moved": 0}
