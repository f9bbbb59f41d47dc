"""Report figures for a session built through the service layer, checked against counts made here."""

from collections import Counter

from tests.reports.conftest import ACT, BOTH, CHOICE, CLASSIC, CORP, VERDICTS
from workshop.extensions import db
from workshop.live.tally import NOT_STATED
from workshop.questions.models import Question
from workshop.registration.models import Registration
from workshop.reports import service


def expected_split(pairs, answers):
    """Overall and per-stance counts, small stance groups hidden: computed without the app."""
    overall = Counter(choice for _, choice in pairs)
    groups = {}
    for stance, choice in pairs:
        groups.setdefault(stance or NOT_STATED, Counter())[choice] += 1
    sizes = {s: sum(c.values()) for s, c in groups.items()}
    hidden = [s for s in sizes if sizes[s] < 5]
    while hidden and sum(sizes[s] for s in hidden) < 5 and len(hidden) < len(sizes):  # not worked out by subtraction
        hidden.append(sorted((n, s) for s, n in sizes.items() if s not in hidden)[0][1])
    by_stance = {s: ({a: c[a] for a in answers} if s not in hidden else "hidden") for s, c in groups.items()}
    return {a: overall[a] for a in answers}, by_stance


def as_dict(by_stance):
    return {g["stance"]: ("hidden" if g.get("hidden") else g["counts"]) for g in by_stance}


def test_attendance_counts_each_state_and_stance(ran):
    report = service.attendance(ran["workshop"])
    regs = ran["people"]
    assert (report["confirmed"], report["waitlisted"], report["cancelled"]) == (8, 1, 1)
    assert report["checked_in"] == 6
    assert report["joined_live"] == len(VERDICTS)
    corp = next(g for g in report["by_stance"] if g["stance"] == CORP)
    corp_regs = [r for r in regs if r.stance == CORP]
    assert corp["confirmed"] == sum(r.status.value == "confirmed" for r in corp_regs)
    assert corp["checked_in"] == sum(r.checked_in_at is not None for r in corp_regs)
    assert corp["joined_live"] == sum(s == CORP for s, _, _ in VERDICTS)
    assert [g["stance"] for g in report["by_stance"]] == [CORP, ACT, BOTH, NOT_STATED]


def test_every_run_of_a_poll_overall_and_by_stance_with_under_5_rule(ran):
    verdict = service.poll_report(ran["polls"][0])
    assert [r["round"] for r in verdict["rounds"]] == [1, 2]
    for run, column in zip(verdict["rounds"], (1, 2), strict=True):
        pairs = [(s, v[column - 1]) for s, *v in VERDICTS if v[column - 1]]
        overall, by_stance = expected_split(pairs, ["snog", "marry", "avoid"])
        assert run["total"] == len(pairs)
        assert run["counts"] == overall
        assert as_dict(run["by_stance"]) == by_stance
    assert as_dict(verdict["rounds"][0]["by_stance"])[BOTH] == "hidden"


def test_classic_and_choice_polls(ran):
    classic = service.poll_report(ran["polls"][1])
    run = classic["rounds"][0]
    for item in range(3):
        assert run["counts"][item] == {v: sum(c[item] == v for c in CLASSIC) for v in ("snog", "marry", "avoid")}
    assert all(g.get("hidden") for g in run["by_stance"])  # 3 voters: nothing split out
    choice = service.poll_report(ran["polls"][2])
    assert choice["rounds"][0]["counts"] == {"0": CHOICE.count("0"), "1": CHOICE.count("1"), "2": CHOICE.count("2")}
    assert choice["labels"]["2"] == "Careful"
    assert choice["shift"] is None


def test_opinion_shift_counts_who_moved_per_stance(ran):
    shift = service.poll_report(ran["polls"][0])["shift"]
    both = [(s, a, b) for s, a, b in VERDICTS if b]
    assert shift["total"] == len(both)
    moved = Counter((a, b) for _, a, b in both if a != b)
    got = {(m["from"], m["to"]): m["count"] for m in shift["moves"] if m["changed"]}
    assert got == dict(moved)
    groups = {g["stance"]: g for g in shift["by_stance"]}
    corp_moves = Counter((a, b) for s, a, b in both if s == CORP and a != b)
    assert {(m["from"], m["to"]): m["count"] for m in groups[CORP]["moves"] if m["changed"]} == dict(corp_moves)
    assert corp_moves[("avoid", "snog")] == 2
    assert groups[BOTH] == {"stance": BOTH, "hidden": True}
    assert groups[NOT_STATED]["hidden"]


def test_question_wall_outcomes_top_and_both_sides(ran):
    wall = service.question_wall(ran["workshop"])
    assert (wall["total"], wall["answered"], wall["open"], wall["dismissed"], wall["merged"], wall["pending"]) == (6, 1, 1, 2, 1, 1)
    assert [(r["label"], r["count"]) for r in wall["dismissed_by_reason"]] == [("Abusive", 1), ("Off-topic", 1)]
    # Root question: 4 upvoters + 2 via the merged duplicate (its asker counts on the root); the asker's own never.
    assert [(q["text"], q["upvotes"]) for q in wall["top"]] == [("Both sides like this one", 6), ("Corporates only", 3)]
    assert [q["text"] for q in wall["both_sides"]] == ["Both sides like this one"]
    assert wall["both_sides"][0]["stances"] == [CORP, ACT]
    assert wall["upvotes"] == 9


def test_agenda_planned_against_actual(ran):
    rows = service.agenda_as_run(ran["workshop"])
    assert [(r["title"], r["planned_minutes"], r["late_minutes"], r["actual_minutes"]) for r in rows] == [
        ("Welcome", 10, 3, 12.0), ("Poll round", 15, 5, None), ("Wrap-up", 5, None, None)]


def test_report_holds_no_personal_data(ran):
    text = repr(service.build_report(ran["workshop"]))
    for reg in ran["people"]:
        assert reg.name not in text and reg.email not in text and reg.needs not in text
    assert "Asker" not in text and "Hilda" not in text


def test_purge_keeps_aggregates_and_erases_personal_fields(ran):
    workshop = ran["workshop"]
    before = service.build_report(workshop)
    assert before["purged"] is False
    service.purge_personal_data(workshop)
    db.session.expire_all()
    after = service.build_report(workshop)
    assert after.pop("purged") is True
    before.pop("purged")
    assert after == before
    assert_no_personal_data(workshop)


def assert_no_personal_data(workshop):
    """Every personal field of every registration and question is empty."""
    regs = db.session.query(Registration).filter_by(workshop_id=workshop.id).all()
    assert regs and all(not (r.name or r.email or r.organisation or r.needs) for r in regs)
    questions = db.session.query(Question).filter_by(workshop_id=workshop.id).all()
    assert questions and all(not q.author_name for q in questions)


def test_share_link_is_secret_and_revocable(ran):
    workshop = ran["workshop"]
    token = service.share_report(workshop)
    assert len(token) >= 32 and service.workshop_by_report_token(token) == workshop
    assert service.share_report(workshop) != token  # a new link replaces the old
    assert service.workshop_by_report_token(token) is None
    service.unshare_report(workshop)
    assert workshop.report_token is None
