"""Reactions in the report (per segment, per stance under the hidden-group rule), the CSV and the JSON export and
import."""

import csv
import io
import re

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import reactions
from workshop.live import service as live
from workshop.live.models import ReactionCount, Reactor
from workshop.planner import service as planner
from workshop.planner.models import DEFAULT_REACTIONS
from workshop.reports import service, transfer

CORP, ACT, BOTH = "Corporate / public sector", "Activist / campaigner", "Both"


@pytest.fixture
def reacted(app, make_facilitator, make_workshop):
    """Six corporates and six activists react in two segments; two 'Both' phones react a lot (a small group)."""
    app.config["REACTION_GAP"] = 0
    host = make_facilitator()
    workshop = make_workshop(host, reactions_on=True)
    talk = planner.add_agenda_item(workshop, "The corporate view", "talk", 10)
    debate = planner.add_agenda_item(workshop, "Poll round 1", "poll", 10)
    corp = [live.create_participant(workshop, CORP) for _ in range(6)]
    act = [live.create_participant(workshop, ACT) for _ in range(6)]
    both = [live.create_participant(workshop, BOTH) for _ in range(2)]
    reactions.react(corp[0].id, "wow")  # before the agenda started
    planner.start_segment(workshop, talk.id)
    for person in corp:
        reactions.react(person.id, "clap")
    for person in act:
        reactions.react(person.id, "think")
    planner.start_segment(workshop, debate.id)
    for person in act:
        reactions.react(person.id, "clap")
        reactions.react(person.id, "laugh")
    for person in both:
        for _ in range(5):
            reactions.react(person.id, "heart")
    return {"host": host, "workshop": workshop, "talk": talk, "debate": debate}


def test_totals_per_segment_and_per_stance_hide_small_groups_against_subtraction(reacted):
    report = service.reactions_report(reacted["workshop"])
    assert [r["key"] for r in report["reactions"]] == ["clap", "heart", "laugh", "think", "wow"]
    assert [(s["title"], s["total"]) for s in report["segments"]] == [
        (service.OUTSIDE_AGENDA, 1),
        ("The corporate view", 12),
        ("Poll round 1", 22),
    ]
    assert report["segments"][2]["counts"] == {"clap": 6, "heart": 10, "laugh": 6, "think": 0, "wow": 0}
    assert report["total"] == 35
    groups = {g["stance"]: g for g in report["by_stance"]}
    # Two "Both" people (10 hearts) are under 5: hidden, and so is the next smallest group (6 activists; the tie
    # with the corporates goes by name), else everyone's hearts minus the shown groups' would be those two people's.
    assert groups[BOTH] == {"stance": BOTH, "hidden": True}
    assert groups[ACT] == {"stance": ACT, "hidden": True}
    assert groups[CORP]["people"] == 6 and groups[CORP]["counts"] == {
        "clap": 6,
        "heart": 0,
        "laugh": 0,
        "think": 0,
        "wow": 1,
    }
    overall = {k: sum(s["counts"][k] for s in report["segments"]) for k in groups[CORP]["counts"]}
    left = {k: overall[k] - groups[CORP]["counts"][k] for k in overall}  # the attack: all minus what is shown
    assert left == {"clap": 6, "heart": 10, "laugh": 6, "think": 6, "wow": 0}  # 8 people's together, no one's alone
    people_hidden = db.session.query(Reactor.participant_id).filter(Reactor.stance.in_([BOTH, ACT])).distinct().count()
    assert people_hidden >= service.min_group()  # what subtraction reveals is the sum of at least min_group people


def test_report_page_charts_and_tables(client, reacted, make_workshop):
    login(client, reacted["host"])
    html = client.get(f"/planner/{reacted['workshop'].slug}/report").get_data(as_text=True)
    assert 'data-chart="reactions-segments"' in html and 'data-chart="reactions-stance"' in html
    svg = re.search(r'<svg[^>]*data-chart="reactions-segments".*?</svg>', html, re.S).group(0)
    assert "Applause" in svg and "Love it" in svg and "<path" in svg  # names and textures: prints in black and white
    assert "The corporate view: Applause 6" in svg  # the chart's description for screen readers
    assert "Hidden so no one&#39;s reactions can be worked out" in html
    assert "<strong>35</strong> reactions" in html
    quiet = make_workshop(reacted["host"])
    assert "Nobody reacted (reactions were off)" in client.get(f"/planner/{quiet.slug}/report").get_data(as_text=True)


def test_reactions_csv(client, reacted):
    login(client, reacted["host"])
    body = client.get(f"/planner/{reacted['workshop'].slug}/report/reactions.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["segment", "stance", "people", "reaction", "name", "count"]
    assert ["Poll round 1", "All", "", "❤️", "Love it", "10"] in rows
    assert ["Whole session", CORP, "6", "👏", "Applause", "6"] in rows
    assert not [r for r in rows if r[1] == BOTH and r[5]]  # the small group: one row saying it is hidden, no numbers
    assert any(r[1] == BOTH and "hidden" in r[4] for r in rows)


def test_json_export_and_import_keep_reactions(reacted):
    workshop = reacted["workshop"]
    data = transfer.export_workshop(workshop)
    assert data["workshop"]["reactions_on"] is True and data["workshop"]["reaction_set"] == DEFAULT_REACTIONS
    assert {(c["segment"], c["stance"], c["reaction"], c["count"]) for c in data["reactions"]["counts"]} >= {
        (None, CORP, "wow", 1),
        (1, BOTH, "heart", 10),
        (0, CORP, "clap", 6),
    }
    assert len(data["reactions"]["reactors"]) == 1 + 12 + 8
    data["workshop"].update(slug="copy", join_code="COPY")
    copy = transfer.import_workshop(data)
    assert copy.reactions_on and db.session.query(ReactionCount).filter_by(workshop_id=copy.id).count() == 6
    mine, theirs = service.reactions_report(workshop), service.reactions_report(copy)
    assert theirs == mine
    older = transfer.export_workshop(workshop)
    older.pop("reactions")  # a file from before reactions imports as before
    older["workshop"].update(slug="older", join_code="OLDER")
    assert service.reactions_report(transfer.import_workshop(older)) is None
