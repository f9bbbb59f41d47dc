"""Question wall service: asking, upvoting, moderation with undo, wall state, counts, rate limits."""

import pytest

from workshop.extensions import db
from workshop.planner.models import Moderation
from workshop.questions import moderation, service
from workshop.questions import wall as question_wall
from workshop.questions.models import ModerationAction, QuestionStatus
from workshop.questions.service import QuestionError

CORP, ACT, BOTH = "Corporate / public sector", "Activist / campaigner", "Both"


@pytest.fixture
def workshop(make_workshop):
    return make_workshop()


@pytest.fixture
def phones(workshop, make_participant):
    """Six phones: three corporate, two activists, one who prefers not to say."""
    return [make_participant(workshop, s) for s in (CORP, CORP, CORP, ACT, ACT, None)]


def wall_ids(workshop, role="phone"):
    return [q["id"] for q in question_wall.wall_state(workshop, role)["questions"]]


def test_ask_posts_to_wall_with_stance_and_no_name_by_default(workshop, phones):
    q = service.ask_question(workshop, phones[0], "  Who funds you?  ", name="Ada")
    assert (q.text, q.stance, q.author_name, q.status) == ("Who funds you?", CORP, None, QuestionStatus.live)
    shown = question_wall.wall_state(workshop)["questions"][0]
    assert shown["text"] == "Who funds you?" and shown["name"] is None and shown["stance"] == CORP


def test_names_only_when_the_workshop_allows_them(workshop, phones):
    workshop.allow_names = True
    q = service.ask_question(workshop, phones[0], "Why?", name="  Ada   Lovelace ")
    assert q.author_name == "Ada Lovelace"
    assert service.ask_question(workshop, phones[0], "And?", name="").author_name is None
    with pytest.raises(QuestionError, match="at most 80"):
        service.ask_question(workshop, phones[0], "Long name", name="x" * 81)


@pytest.mark.parametrize("text, message", [
    ("", "Type a question first."), ("   \n ", "Type a question first."), (None, "Type a question first."),
    (42, "Type a question first."), ("x" * 281, "at most 280 characters (yours has 281)"),
])
def test_bad_text_is_refused_with_a_clear_message(workshop, phones, text, message):
    with pytest.raises(QuestionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        service.ask_question(workshop, phones[0], text)


def test_exactly_280_characters_is_fine(workshop, phones):
    assert len(service.ask_question(workshop, phones[0], "y" * 280).text) == 280


def test_participant_of_another_workshop_cannot_ask(workshop, make_workshop, make_participant):
    stranger = make_participant(make_workshop())
    with pytest.raises(QuestionError, match="Join this workshop first"):
        service.ask_question(workshop, stranger, "Hello?")


def test_queue_mode_holds_questions_off_public_walls(workshop, phones):
    workshop.moderation = Moderation.queue
    db.session.commit()
    q = service.ask_question(workshop, phones[0], "Held?")
    assert q.status == QuestionStatus.pending and q.held_reason == "queue"
    assert wall_ids(workshop, "phone") == [] and wall_ids(workshop, "projector") == []
    assert wall_ids(workshop, "control") == [q.id]
    assert question_wall.wall_state(workshop, "projector")["counts"]["pending"] == 1
    moderation.approve(workshop, q.id)
    assert wall_ids(workshop, "projector") == [q.id]


def test_word_list_holds_matching_questions_even_in_post_mode(app, workshop, phones):
    app.config["MODERATION_WORDS"] = ["badword", "two words"]
    held = service.ask_question(workshop, phones[0], "What about BADWORD here?")
    phrase = service.ask_question(workshop, phones[1], "It has two  words? no, Two words!")
    fine = service.ask_question(workshop, phones[2], "Badwords are not whole words")
    assert held.status == QuestionStatus.pending and held.held_reason == "word list: badword"
    assert phrase.status == QuestionStatus.pending
    assert fine.status == QuestionStatus.live
    assert wall_ids(workshop) == [fine.id]


def test_upvote_toggles_and_counts_once_per_participant(workshop, phones):
    q = service.ask_question(workshop, phones[0], "Q?")
    assert service.toggle_upvote(phones[1], q.id) == {"question_id": q.id, "upvoted": True, "votes": 1}
    assert service.toggle_upvote(phones[2], q.id)["votes"] == 2
    assert service.toggle_upvote(phones[1], q.id) == {"question_id": q.id, "upvoted": False, "votes": 1}
    assert question_wall.wall_state(workshop)["questions"][0]["votes"] == 1


def test_asker_cannot_upvote_own_question(workshop, phones):
    q = service.ask_question(workshop, phones[0], "Mine")
    with pytest.raises(QuestionError, match="cannot upvote your own"):
        service.toggle_upvote(phones[0], q.id)


@pytest.mark.parametrize("bad_id", [None, "1", True, 9999, 1.5])
def test_upvote_of_unknown_question_is_refused(workshop, phones, bad_id):
    with pytest.raises(QuestionError, match="does not exist"):
        service.toggle_upvote(phones[0], bad_id)


def test_cannot_upvote_held_or_other_workshops_questions(workshop, phones, make_workshop, make_participant):
    workshop.moderation = Moderation.queue
    q = service.ask_question(workshop, phones[0], "Held")
    with pytest.raises(QuestionError, match="Only questions on the wall"):
        service.toggle_upvote(phones[1], q.id)
    other = make_participant(make_workshop())
    with pytest.raises(QuestionError, match="does not exist"):
        service.toggle_upvote(other, q.id)


def test_both_sides_badge_needs_three_people_of_two_stances(workshop, phones):
    q = service.ask_question(workshop, phones[5], "Bridge?")
    for p in phones[:3]:
        service.toggle_upvote(p, q.id)
    shown = question_wall.wall_state(workshop)["questions"][0]
    assert shown["votes"] == 3 and shown["both_sides"] is False and shown["bridge"] == 0
    service.toggle_upvote(phones[3], q.id)
    shown = question_wall.wall_state(workshop)["questions"][0]
    assert shown["both_sides"] is True and shown["bridge"] == 1


def test_two_people_of_two_stances_is_not_enough(workshop, phones):
    q = service.ask_question(workshop, phones[5], "Two?")
    service.toggle_upvote(phones[0], q.id)
    service.toggle_upvote(phones[3], q.id)
    assert question_wall.wall_state(workshop)["questions"][0]["both_sides"] is False


def test_sorts_top_new_and_both_sides(workshop, phones, make_participant):
    popular = service.ask_question(workshop, phones[5], "Popular with one side")
    bridge = service.ask_question(workshop, phones[5], "Liked by both")
    new = service.ask_question(workshop, phones[5], "Newest")
    for p in phones[:3]:
        service.toggle_upvote(p, popular.id)
    extra = make_participant(workshop, CORP)
    service.toggle_upvote(extra, popular.id)
    for p in (phones[0], phones[3], phones[4]):
        service.toggle_upvote(p, bridge.id)
    order = question_wall.wall_state(workshop)["order"]
    assert order["top"] == [popular.id, bridge.id, new.id]
    assert order["new"] == [new.id, bridge.id, popular.id]
    assert order["both"] == [bridge.id, popular.id, new.id]


def test_dismiss_needs_a_known_reason_and_is_counted(workshop, phones):
    q = service.ask_question(workshop, phones[0], "Off topic")
    with pytest.raises(QuestionError, match="Pick a reason"):
        moderation.dismiss(workshop, q.id, "because")
    moderation.dismiss(workshop, q.id, "off-topic")
    counts = question_wall.wall_state(workshop)["counts"]
    assert counts["received"] == 1 and counts["dismissed"] == 1 and counts["on_wall"] == 0
    assert counts["dismissed_by_reason"] == {"Off-topic": 1}
    assert wall_ids(workshop) == []
    assert question_wall.mine(phones[0])["questions"][0]["dismiss_label"] == "Off-topic"


def test_merge_combines_votes_without_double_counting(workshop, phones):
    a = service.ask_question(workshop, phones[5], "Original")
    b = service.ask_question(workshop, phones[4], "Duplicate")
    service.toggle_upvote(phones[0], a.id)
    service.toggle_upvote(phones[0], b.id)
    service.toggle_upvote(phones[1], b.id)
    service.toggle_upvote(phones[5], b.id)  # a's asker supported the duplicate: not a vote for their own
    moderation.merge(workshop, b.id, a.id)
    wall = question_wall.wall_state(workshop)
    assert [q["id"] for q in wall["questions"]] == [a.id]
    assert wall["questions"][0]["votes"] == 2 and wall["questions"][0]["merged_ids"] == [b.id]
    with pytest.raises(QuestionError, match="into itself"):
        moderation.merge(workshop, a.id, b.id)  # b now lives inside a
    assert service.toggle_upvote(phones[2], b.id) == {"question_id": a.id, "upvoted": True, "votes": 3}
    service.toggle_upvote(phones[2], a.id)
    # Tapping the merged question's upvote again takes back both upvotes.
    assert service.toggle_upvote(phones[0], a.id) == {"question_id": a.id, "upvoted": False, "votes": 1}


def test_merge_into_itself_is_refused(workshop, phones):
    a = service.ask_question(workshop, phones[0], "A")
    with pytest.raises(QuestionError, match="into itself"):
        moderation.merge(workshop, a.id, a.id)


def test_highlight_is_exclusive_and_answering_clears_it(workshop, phones):
    a = service.ask_question(workshop, phones[0], "A")
    b = service.ask_question(workshop, phones[1], "B")
    moderation.highlight(workshop, a.id)
    moderation.highlight(workshop, b.id)
    wall = question_wall.wall_state(workshop, "projector")
    assert wall["highlighted"]["id"] == b.id
    assert [q["id"] for q in wall["questions"] if q["highlighted"]] == [b.id]
    moderation.mark_answered(workshop, b.id)
    wall = question_wall.wall_state(workshop, "projector")
    assert wall["highlighted"] is None and wall["answered"] == [b.id]
    assert wall["counts"]["answered"] == 1
    with pytest.raises(QuestionError, match="An answered question cannot be highlighted"):
        moderation.highlight(workshop, b.id)


def test_undo_restores_each_step(workshop, phones):
    a = service.ask_question(workshop, phones[0], "A")
    b = service.ask_question(workshop, phones[1], "B")
    moderation.highlight(workshop, a.id)
    moderation.highlight(workshop, b.id)
    moderation.mark_answered(workshop, b.id)
    moderation.undo(workshop)  # answered -> live and highlighted again
    assert (b.status, b.highlighted, b.answered_at) == (QuestionStatus.live, True, None)
    moderation.undo(workshop)  # highlight of b -> a is highlighted again
    assert (a.highlighted, b.highlighted) == (True, False)
    moderation.dismiss(workshop, a.id, "abusive")
    moderation.undo(workshop)
    assert (a.status, a.dismiss_reason, a.highlighted) == (QuestionStatus.live, None, True)


def test_undo_of_merge_and_approve(workshop, phones):
    workshop.moderation = Moderation.queue
    a = service.ask_question(workshop, phones[0], "A")
    b = service.ask_question(workshop, phones[1], "B")
    moderation.approve(workshop, a.id)
    moderation.merge(workshop, b.id, a.id)
    moderation.undo(workshop)
    assert (b.status, b.merged_into_id) == (QuestionStatus.pending, None)
    moderation.undo(workshop)
    assert a.status == QuestionStatus.pending
    with pytest.raises(QuestionError, match="nothing to undo"):
        moderation.undo(workshop)


def test_undo_by_id_only_for_the_latest_step_of_a_question(workshop, phones):
    a = service.ask_question(workshop, phones[0], "A")
    moderation.highlight(workshop, a.id)
    first = db.session.query(ModerationAction).one()
    moderation.mark_answered(workshop, a.id)
    with pytest.raises(QuestionError, match="later steps"):
        moderation.undo(workshop, first.id)
    with pytest.raises(QuestionError, match="cannot be undone"):
        moderation.undo(workshop, 9999)
    with pytest.raises(QuestionError, match="must be a number"):
        moderation.undo(workshop, "x")
    assert question_wall.wall_state(workshop, "control")["last_actions"][str(a.id)]["action"] == "answer"


def test_moderation_of_another_workshops_question_is_refused(workshop, phones, make_workshop):
    q = service.ask_question(workshop, phones[0], "A")
    with pytest.raises(QuestionError, match="does not exist"):
        moderation.approve(make_workshop(), q.id)


def test_question_rate_limit_has_a_clear_message(app, workshop, phones):
    app.config.update(RATELIMIT_ENABLED=True, QUESTION_RATE=(3, 60))
    for n in range(3):
        service.ask_question(workshop, phones[0], f"Question {n}")
    with pytest.raises(QuestionError, match="You can ask 3 questions per 60 seconds"):
        service.ask_question(workshop, phones[0], "One too many")
    service.ask_question(workshop, phones[1], "Someone else is fine")


def test_upvote_rate_limit_has_a_clear_message(app, workshop, phones):
    app.config.update(RATELIMIT_ENABLED=True, UPVOTE_RATE=(4, 60))
    q = service.ask_question(workshop, phones[0], "Q")
    for _ in range(4):
        service.toggle_upvote(phones[1], q.id)
    with pytest.raises(QuestionError, match="Too many upvotes"):
        service.toggle_upvote(phones[1], q.id)


def test_mine_lists_own_questions_with_status(workshop, phones):
    workshop.moderation = Moderation.queue
    held = service.ask_question(workshop, phones[0], "Mine, held")
    service.ask_question(workshop, phones[1], "Not mine")
    mine = question_wall.mine(phones[0])
    assert [(q["id"], q["status"]) for q in mine["questions"]] == [(held.id, "pending")]


def test_set_moderation_switches_mode(workshop, phones):
    service.set_moderation(workshop, "queue")
    assert service.ask_question(workshop, phones[0], "Held").status == QuestionStatus.pending
    with pytest.raises(QuestionError, match="'post' or 'queue'"):
        service.set_moderation(workshop, "maybe")


def test_export_rows_have_votes_stance_mix_and_status(workshop, phones):
    q = service.ask_question(workshop, phones[5], "=HYPERLINK(1)")
    for p in phones[:4]:
        service.toggle_upvote(p, q.id)
    row = list(question_wall.export_rows(workshop))[0]
    header = dict(zip(question_wall.EXPORT_HEADER, row, strict=True))
    assert header["votes"] == 4 and header["status"] == "live" and header["both_sides"] == "yes"
    assert header["stance_mix"] == f"{ACT}: 1; {CORP}: 3"


def test_rate_limits_are_shared_through_redis(app, workshop, phones):
    """With REDIS_URL set the windows live in Redis (every worker process sees the same count)."""
    from workshop.ratelimit import redis_client

    url = "redis://127.0.0.1:6379/9"
    try:
        client = redis_client(url)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no Redis here"
        from tests.conftest import need

        need(False, f"Redis at {url} is not reachable: {exc}")
    for key in client.scan_iter(f"rl:question:{phones[0].id}:*"):
        client.delete(key)
    app.config.update(RATELIMIT_ENABLED=True, REDIS_URL=url, QUESTION_RATE=(2, 3600))  # an hour: no window roll-over mid-test
    service.ask_question(workshop, phones[0], "One")
    service.ask_question(workshop, phones[0], "Two")
    with pytest.raises(QuestionError, match="You can ask 2 questions per 3600 seconds"):
        service.ask_question(workshop, phones[0], "Three")
    assert int(client.get(next(client.scan_iter(f"rl:question:{phones[0].id}:*")))) == 3


def test_undoing_an_old_highlight_leaves_the_current_one_alone(workshop, phones):
    a = service.ask_question(workshop, phones[0], "A")
    b = service.ask_question(workshop, phones[1], "B")
    moderation.highlight(workshop, a.id)
    first = db.session.query(ModerationAction).one()
    moderation.highlight(workshop, b.id)
    moderation.undo(workshop, first.id)
    assert (a.highlighted, b.highlighted) == (False, True)
    assert question_wall.wall_state(workshop, "projector")["highlighted"]["id"] == b.id
