"""Open-text polls in the report (every answer by stance, hidden words and held answers marked), the votes CSV
and the JSON export and import."""

import csv
import io

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import service as live
from workshop.live import texts
from workshop.live.models import HiddenWord, Poll, TextAnswer
from workshop.reports import service, transfer

CORP, ACT = "Corporate / public sector", "Activist / campaigner"


@pytest.fixture
def text_run(app, make_facilitator, make_workshop):
    """Five phones per side answer; one word hidden, one answer held by the word list, one rejected."""
    app.config["MODERATION_WORDS"] = ["rubbish", "awful"]
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = live.create_poll(workshop, "text", "One word?", [], settings={"per_person": 2, "max_length": 20})
    live.open_poll(poll)
    for stance, words in ((CORP, ["Trust", "Reach"]), (ACT, ["Trust", "Greenwashing"])):
        for _ in range(5):
            phone = live.create_participant(workshop, stance)
            for word in words:
                texts.submit_answer(phone.id, poll.id, word)
    phone = live.create_participant(workshop, ACT)
    texts.submit_answer(phone.id, poll.id, "Rubbish")
    rejected = texts.submit_answer(phone.id, poll.id, "Awful")
    texts.moderate_answer(poll, rejected["id"], False)
    texts.hide_word(poll, "reach", host.id)
    live.close_poll(poll)
    return {"host": host, "workshop": workshop, "poll": poll}


def test_report_lists_every_answer_with_hidden_and_held_marked(client, text_run):
    run = service.poll_report(text_run["poll"])["rounds"][0]
    words = {w["key"]: w for w in run["all"]}
    assert words["trust"]["n"] == 10 and words["trust"]["shared"] and words["reach"]["hidden"]
    assert [a["text"] for a in run["held"]] == ["Rubbish"] and [a["text"] for a in run["rejected"]] == ["Awful"]
    login(client, text_run["host"])
    html = client.get(f"/planner/{text_run['workshop'].slug}/report").get_data(as_text=True)
    assert "Hidden by a facilitator" in html and "Held by the word list, never approved" in html
    assert f"Shown, shared by {CORP} and {ACT}" in html and "the words most people gave" in html


def test_votes_csv_has_words_by_stance(client, text_run):
    login(client, text_run["host"])
    body = client.get(f"/planner/{text_run['workshop'].slug}/report/votes.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert ["1", "One word?", "text", "1", "All", "", "trust", "10"] in rows
    assert ["1", "One word?", "text", "1", ACT, "", "greenwashing", "5"] in rows
    assert ["1", "One word?", "text", "1", "All", "hidden by a facilitator", "reach", "5"] in rows
    assert ["1", "One word?", "text", "1", "", "rejected", "Awful", ""] in rows


def test_json_export_and_import_keep_answers_and_hidden_words(text_run):
    data = transfer.export_workshop(text_run["workshop"])
    entry = data["polls"][0]
    assert len(entry["answers"]) == 22 and entry["hidden_words"][0]["key"] == "reach"
    assert {a["status"] for a in entry["answers"]} == {"shown", "held", "rejected"}
    data["workshop"].update(slug="copy", join_code="COPY")
    copy = transfer.import_workshop(data)
    poll = db.session.query(Poll).filter_by(workshop_id=copy.id).one()
    assert db.session.query(TextAnswer).filter_by(poll_id=poll.id).count() == 22
    assert db.session.query(HiddenWord).filter_by(poll_id=poll.id).one().facilitator_id == text_run["host"].id
    assert service.poll_report(poll)["rounds"][0]["all"] == service.poll_report(text_run["poll"])["rounds"][0]["all"]


def test_purge_keeps_the_answers(text_run):
    service.purge_personal_data(text_run["workshop"])
    assert db.session.query(TextAnswer).count() == 22
