"""Predict the other side in the report: the perception gap per run (chart that prints, table), the predictions
CSV, and the JSON export and import of predictions."""

import csv
import io

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import ballots, predictions
from workshop.live import service as live
from workshop.live.models import Poll, Prediction
from workshop.reports import charts, service, transfer

CORP, ACT = "Corporates", "Activists"
PROMPT = "A Trust and a campaign group share one account."
LINES = [
    "Activists thought Corporates would Marry: 61 %. Corporates chose Snog: 58 %.",
    "Corporates thought Activists would Avoid: 100 %. Activists chose Marry: 60 %.",
]


@pytest.fixture
def gap_run(app, make_facilitator, make_workshop):
    """Corporates 7 Snog 4 Marry 1 Avoid, all guessing activists would Avoid; activists 6 Marry 3 Avoid 1 Snog,
    all splitting corporates 24/61/15; three of "Both" and two without a stance (hidden groups) guess too."""
    host = make_facilitator()
    workshop = make_workshop(host, stances=[CORP, ACT, "Both"])
    poll = live.create_poll(workshop, "verdict", PROMPT, [], predict=True)
    live.open_poll(poll)
    names = {"s": "snog", "m": "marry", "a": "avoid"}
    for stance, votes, pick, shares in (
        (CORP, "sssssssmmmma", "avoid", None),
        (ACT, "mmmmmmaaas", None, {"snog": 24, "marry": 61, "avoid": 15}),
        ("Both", "sss", "snog", None),
        (None, "ss", "snog", None),
    ):
        for letter in votes:
            phone = live.create_participant(workshop, stance)
            ballots.submit_vote(phone.id, poll.id, names[letter])
            target = CORP if stance in (None, "Both") else None
            predictions.submit_prediction(phone.id, poll.id, target, pick, shares)
    live.close_poll(poll)
    return {"host": host, "workshop": workshop, "poll": poll}


def test_report_has_the_gap_per_side_without_hidden_groups(gap_run):
    run = service.poll_report(gap_run["poll"])["rounds"][0]
    gap = run["perception"]
    assert gap["predictions"] == 27
    assert [s.get("line") for s in gap["sides"]] == [*LINES, None]
    assert gap["sides"][2] == {"stance": "Both", "hidden": True}
    # "Both" (3) and "Not stated" (2) are hidden: their Snog guesses about corporates are in no figure.
    assert gap["sides"][0]["predicted"]["shares"] == {"snog": 24, "marry": 61, "avoid": 15}


def test_gap_chart_prints_in_black_and_white_with_the_lines(gap_run):
    report = service.poll_report(gap_run["poll"])
    chart = charts.round_charts(report, report["rounds"][0])["perception"]
    assert chart.startswith("<svg") and "predict the other side" in chart
    for line in LINES:
        assert line in chart  # the description and the wrapped text say it in words
    assert ">Predicted<" in chart and "12 votes" in chart and "10 guesses" in chart
    assert "1 group hidden so no one" in chart
    assert 'stroke="#111"' in chart and "<path" in chart  # outlined, textured segments: no colour needed
    assert "\u25cf Corporates" in chart and "\u25b2 Activists" in chart


def test_no_chart_when_nobody_predicted(app, make_workshop):
    workshop = make_workshop(stances=[CORP, ACT])
    poll = live.create_poll(workshop, "verdict", PROMPT, [], predict=True)
    live.open_poll(poll)
    for stance in (CORP, ACT):
        for _ in range(5):
            ballots.submit_vote(live.create_participant(workshop, stance).id, poll.id, "snog")
    report = service.poll_report(poll)
    assert report["rounds"][0]["perception"]["sides"][0]["too_few"]
    assert charts.round_charts(report, report["rounds"][0])["perception"] is None


def test_report_page_and_predictions_csv(client, gap_run):
    login(client, gap_run["host"])
    slug = gap_run["workshop"].slug
    html = client.get(f"/planner/{slug}/report").get_data(as_text=True)
    assert "Predict the other side: 27 predictions" in html and LINES[0] in html
    assert "predictions.csv" in html
    text = client.get(f"/planner/{slug}/report/predictions.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["poll", "prompt", "round", "side"]
    assert rows[1] == [
        "1",
        PROMPT,
        "1",
        CORP,
        "12",
        "snog",
        "58",
        "58",
        "33",
        "8",
        ACT,
        "10",
        "marry",
        "61",
        "24",
        "61",
        "15",
        LINES[0],
    ]
    assert rows[2][3] == ACT and rows[2][-1] == LINES[1]
    assert rows[3][3:6] == ["Both", "", "(hidden so no one's vote or prediction can be worked out)"]
    assert len(rows) == 4 and "snog" not in rows[3]


def test_json_export_and_import_keep_predictions(gap_run):
    data = transfer.export_workshop(gap_run["workshop"])
    entry = data["polls"][0]
    assert entry["predict"] is True and len(entry["predictions"]) == 27
    guess = next(g for g in entry["predictions"] if g["stance"] == CORP)
    assert guess["pick"] == "avoid" and guess["target"] == ACT and (guess["snog"], guess["avoid"]) == (0, 100)
    data["workshop"].update(slug="copy", join_code="COPY")
    copy = transfer.import_workshop(data)
    poll = db.session.query(Poll).filter_by(workshop_id=copy.id).one()
    assert poll.predict and db.session.query(Prediction).filter_by(poll_id=poll.id).count() == 27
    before = service.poll_report(gap_run["poll"])["rounds"][0]["perception"]
    assert service.poll_report(poll)["rounds"][0]["perception"] == before


def test_older_exports_without_predictions_still_import(gap_run):
    data = transfer.export_workshop(gap_run["workshop"])
    for entry in data["polls"]:
        entry.pop("predict")
        entry.pop("predictions")
    data["workshop"].update(slug="old", join_code="OLD")
    copy = transfer.import_workshop(data)
    poll = db.session.query(Poll).filter_by(workshop_id=copy.id).one()
    assert poll.predict is False and db.session.query(Prediction).filter_by(poll_id=poll.id).count() == 0
