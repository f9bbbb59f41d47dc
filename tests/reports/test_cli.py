"""export-workshop / import-workshop (a real round trip into an empty database) and purge-personal-data."""

import json

from sqlalchemy import select

from tests.reports.test_service import assert_no_personal_data
from workshop.extensions import db
from workshop.planner.service import get_workshop
from workshop.questions.models import ModerationAction, Question
from workshop.reports import service


def strip_ids(value):
    """The report without database ids (they are renumbered by an import)."""
    if isinstance(value, dict):
        return {k: strip_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [strip_ids(v) for v in value]
    return value


def empty_database():
    db.session.remove()
    db.drop_all()
    db.create_all()


def test_round_trip_reproduces_every_poll_result_and_question(runner, ran, tmp_path):
    workshop = ran["workshop"]
    slug = workshop.slug
    before = strip_ids(service.build_report(workshop))
    target = tmp_path / "export.json"
    result = runner.invoke(args=["export-workshop", slug, str(target)])
    assert result.exit_code == 0, result.output
    assert "3 polls, 6 questions, 10 registrations" in result.output
    empty_database()
    result = runner.invoke(args=["import-workshop", str(target)])
    assert result.exit_code == 0, result.output
    imported = get_workshop(slug)
    after = strip_ids(service.build_report(imported))
    assert after["polls"] == before["polls"]
    assert after["questions"] == before["questions"]
    assert after == before
    assert imported.facilitators[0].email == ran["host"].email
    merge = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "merge"))
    root = db.session.scalar(select(Question).where(Question.text == "Both sides like this one"))
    assert merge.before["others"] == [root.id]  # ids inside undo snapshots follow the renumbering
    again = json.loads(target.read_text())
    assert len(again["polls"][0]["votes"]) == len(ran["phones"]) * 2 - 1


def test_import_refuses_bad_files_with_a_reason(runner, ran, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(args=["import-workshop", str(bad)])
    assert result.exit_code == 1 and "Cannot read" in result.output
    bad.write_text(json.dumps({"format": "something-else"}))
    assert "not a workshop export" in runner.invoke(args=["import-workshop", str(bad)]).output
    good = tmp_path / "good.json"
    runner.invoke(args=["export-workshop", ran["workshop"].slug, str(good)])
    result = runner.invoke(args=["import-workshop", str(good)])  # the workshop is still here
    assert result.exit_code == 1 and "already exists" in result.output
    data = json.loads(good.read_text())
    data["workshop"]["slug"], data["workshop"]["join_code"] = "other", "OTHER1"
    good.write_text(json.dumps(data))
    result = runner.invoke(args=["import-workshop", str(good)])  # same ticket codes as the workshop here
    assert result.exit_code == 1 and "clashes with data already here" in result.output
    data["registrations"] = []
    for participant in data["participants"]:
        participant["registration_id"] = None
    data["polls"][0]["votes"][0]["participant_id"] = 99999
    good.write_text(json.dumps(data))
    result = runner.invoke(args=["import-workshop", str(good)])
    assert result.exit_code == 1 and "points at nothing" in result.output
    assert db.session.query(type(ran["workshop"])).count() == 1  # nothing half-imported


def test_unknown_slug_is_a_clear_error(runner, app, tmp_path):
    result = runner.invoke(args=["export-workshop", "nope", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "no workshop with the slug 'nope'" in result.output
    assert runner.invoke(args=["purge-personal-data", "nope", "--yes"]).exit_code == 1


def test_purge_command_keeps_aggregates_and_erases_personal_fields(runner, ran):
    workshop = ran["workshop"]
    before = service.build_report(workshop)
    assert runner.invoke(args=["purge-personal-data", workshop.slug], input="n\n").exit_code == 1  # declined
    assert ran["people"][1].email
    result = runner.invoke(args=["purge-personal-data", workshop.slug, "--yes"])
    assert result.exit_code == 0 and "10 registrations and 6 questions" in result.output
    db.session.expire_all()
    after = service.build_report(workshop)
    assert (after.pop("purged"), before.pop("purged")) == (True, False)
    assert after == before
    assert_no_personal_data(workshop)


def test_documented_schema_lists_exactly_the_exported_fields(runner, ran, tmp_path):
    """docs/export-format.md stays in step with the exporter."""
    import pathlib
    import re

    doc = (pathlib.Path(__file__).parents[2] / "docs" / "export-format.md").read_text()
    schema = json.loads(re.search(r"```json\n(.*?)```", doc, re.S).group(1))
    runner.invoke(args=["export-workshop", ran["workshop"].slug, str(tmp_path / "e.json")])
    data = json.loads((tmp_path / "e.json").read_text())
    props = schema["properties"]

    def keys(name, sub=None):
        node = props[name]["items"] if props[name]["type"] == "array" else props[name]
        node = node["properties"][sub]["items"] if sub else node
        return set(node["properties"])

    assert set(props) == set(data)
    assert keys("workshop") == set(data["workshop"])
    for name in ("facilitators", "agenda", "registrations", "participants"):
        assert keys(name) == set(data[name][0]), name
    assert keys("polls") == set(data["polls"][0]) and keys("polls", "votes") == set(data["polls"][0]["votes"][0])
    q = next(q for q in data["questions"] if q["upvotes"])
    assert keys("questions") == set(q) and keys("questions", "upvotes") == set(q["upvotes"][0])
    m = next(q for q in data["questions"] if q["moderation"])["moderation"][0]
    assert keys("questions", "moderation") == set(m)


def test_import_beside_another_workshop_renumbers_every_reference(runner, ran, tmp_path):
    original = strip_ids(service.build_report(ran["workshop"]))
    path = tmp_path / "copy.json"
    runner.invoke(args=["export-workshop", ran["workshop"].slug, str(path)])
    data = json.loads(path.read_text())
    data["workshop"]["slug"], data["workshop"]["join_code"] = "copy", "COPY1"
    for n, reg in enumerate(data["registrations"]):
        reg["ticket_code"], reg["manage_token"] = f"COPY{n:04d}", f"copy-token-{n}"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["import-workshop", str(path)])
    assert result.exit_code == 0, result.output
    copy = get_workshop("copy")
    report = strip_ids(service.build_report(copy))
    assert report["polls"] == original["polls"] and report["questions"] == original["questions"]
    root = db.session.scalar(select(Question).where(Question.workshop_id == copy.id, Question.text == "Both sides like this one"))
    merged = db.session.scalar(select(Question).where(Question.workshop_id == copy.id, Question.status == "merged"))
    action = db.session.scalar(select(ModerationAction).where(ModerationAction.question_id == merged.id))
    assert merged.merged_into_id == root.id and action.before["others"] == [root.id] and root.id > 6
