"""The questions CSV export: facilitators only, votes and stance mix, text stays text."""

import csv
import io

from tests.conftest import login
from workshop.questions import moderation, service


def rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_export_lists_questions_with_votes_stance_mix_and_status(client, make_facilitator, make_workshop,
                                                                 make_participant):
    host = make_facilitator()
    workshop = make_workshop(facilitator=host)
    asker = make_participant(workshop, "Both")
    voters = [make_participant(workshop, s) for s in ("Both", "Neither", "Neither")]
    xss = service.ask_question(workshop, asker, "<script>alert(1)</script>")
    formula = service.ask_question(workshop, asker, "=HYPERLINK(\"http://evil\")")
    for v in voters:
        service.toggle_upvote(v, xss.id)
    moderation.dismiss(workshop, formula.id, "off-topic")
    response = login(client, host).get(f"/planner/{workshop.slug}/questions.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment; filename=questions-{workshop.slug}.csv"
    first, second = rows(response)
    assert first["text"] == "<script>alert(1)</script>"
    assert (first["votes"], first["stance_mix"], first["both_sides"], first["status"]) == (
        "3", "Both: 1; Neither: 2", "yes", "live")
    assert first["stance"] == "Both" and first["name"] == ""
    assert second["text"] == "'=HYPERLINK(\"http://evil\")"  # formula neutralised
    assert (second["status"], second["dismiss_reason"]) == ("dismissed", "Off-topic")


def test_export_needs_a_signed_in_facilitator_of_this_workshop(client, make_facilitator, make_workshop):
    workshop = make_workshop()
    anonymous = client.get(f"/planner/{workshop.slug}/questions.csv")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    stranger = make_facilitator()
    response = login(client, stranger).get(f"/planner/{workshop.slug}/questions.csv")
    assert response.status_code == 403
    assert b"not a facilitator" in response.data


def test_export_of_unknown_workshop_is_404(client, make_facilitator):
    response = login(client, make_facilitator()).get("/planner/nope/questions.csv")
    assert response.status_code == 404


def test_control_screen_offers_the_question_panel_and_export(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(facilitator=host)
    page = login(client, host).get(f"/planner/{workshop.slug}/control").get_data(as_text=True)
    assert 'id="questions-control"' in page
    assert f"/planner/{workshop.slug}/questions.csv" in page
    assert "js/questions-control.js" in page


def test_phone_and_projector_include_the_wall(client, make_workshop):
    workshop = make_workshop(allow_names=False)
    client.post(f"/j/{workshop.join_code}", data={"stance": workshop.stances[0]})
    phone = client.get(f"/live/{workshop.join_code}").get_data(as_text=True)
    assert 'id="questions-section"' in phone and "js/questions-phone.js" in phone
    assert "Questions are anonymous" in phone
    screen = client.get(f"/live/{workshop.join_code}/screen").get_data(as_text=True)
    assert 'id="q-projector"' in screen and "js/questions-projector.js" in screen
