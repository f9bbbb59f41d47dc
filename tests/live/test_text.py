"""Open-text polls: normalising, limits, the word list, removal, the cloud by stance, hiding words, sockets."""

import time

import pytest

from tests.conftest import login
from workshop.extensions import db
from workshop.live import service, texts
from workshop.live import state as live_state
from workshop.live.models import Poll, TextAnswer
from workshop.live.service import LiveError
from workshop.live.tally import tally
from workshop.realtime import pulse

CORP, ACT, BOTH = "Corporate / public sector", "Activist / campaigner", "Both"
PROMPT = "One word for a brand that joins a campaign hashtag"


def text_poll(workshop, per_person=2, max_length=20):
    return service.create_poll(workshop, "text", PROMPT, [], settings={"per_person": per_person, "max_length": max_length})


def answer(workshop, poll, stance, *words):
    person = service.create_participant(workshop, stance)
    for word in words:
        texts.submit_answer(person.id, poll.id, word)
    return person


def test_normalise_case_punctuation_and_space():
    assert texts.normalise("  Greenwashing!! ") == ("Greenwashing", "greenwashing")
    assert texts.normalise("#Bandwagon") == ("Bandwagon", "bandwagon")
    assert texts.normalise("“Jumping   on the\tband-wagon…”") == ("Jumping on the band-wagon", "jumping on the band-wagon")
    assert texts.normalise("?!") == ("", "")


def test_settings_are_checked(make_workshop):
    workshop = make_workshop()
    assert text_poll(workshop).text_rules == {"per_person": 2, "max_length": 20}
    assert service.create_poll(workshop, "text", "Defaults", []).text_rules == {"per_person": 1, "max_length": 25}
    for bad in ({"per_person": 4}, {"per_person": 0}, {"max_length": 41}, {"max_length": "20"}):
        with pytest.raises(LiveError):
            service.create_poll(workshop, "text", "Bad", [], settings=bad)


def test_bad_answers_get_clear_errors_and_nothing_is_written(make_workshop, make_participant):
    workshop = make_workshop()
    poll, phone = text_poll(workshop, per_person=2, max_length=20), make_participant(workshop, CORP)
    with pytest.raises(LiveError, match="closed"):
        texts.submit_answer(phone.id, poll.id, "early")
    service.open_poll(poll)
    for bad, message in (("", "Type a word"), ("  ...  ", "Type a word"), (None, "as text"), (42, "as text"),
                         ("x" * 21, "20 characters"), ("The", "too common")):
        with pytest.raises(LiveError, match=message):
            texts.submit_answer(phone.id, poll.id, bad)
    texts.submit_answer(phone.id, poll.id, "Trust")
    with pytest.raises(LiveError, match="already sent"):
        texts.submit_answer(phone.id, poll.id, "trust!")
    texts.submit_answer(phone.id, poll.id, "Reach")
    with pytest.raises(LiveError, match="2 answers per person"):
        texts.submit_answer(phone.id, poll.id, "Third")
    assert sorted(a.key for a in db.session.query(TextAnswer)) == ["reach", "trust"]
    with pytest.raises(LiveError, match="does not exist"):
        texts.submit_answer(phone.id, 10**9, "x")


def test_remove_own_answer_while_open_only(make_workshop, make_participant):
    workshop = make_workshop()
    poll = text_poll(workshop, per_person=1)
    service.open_poll(poll)
    mine, other = make_participant(workshop, CORP), make_participant(workshop, ACT)
    sent = texts.submit_answer(mine.id, poll.id, "Opportunist")
    with pytest.raises(LiveError, match="not yours"):
        texts.remove_answer(other.id, sent["id"])
    texts.remove_answer(mine.id, sent["id"])
    texts.submit_answer(mine.id, poll.id, "Brave")  # the slot is free again
    assert [a["text"] for a in live_state.session_state(workshop, "phone", mine)["my_vote"]] == ["Brave"]
    service.close_poll(poll)
    with pytest.raises(LiveError, match="closed"):
        texts.remove_answer(mine.id, db.session.query(TextAnswer).one().id)


def test_cloud_counts_people_per_word_by_stance_shared_and_small_groups(make_workshop):
    workshop = make_workshop()
    poll = text_poll(workshop)
    service.open_poll(poll)
    for n in range(5):
        answer(workshop, poll, CORP, "Trust", "Reach" if n < 3 else "Brand")
        answer(workshop, poll, ACT, "trust", "Greenwashing")
    for _ in range(2):
        answer(workshop, poll, BOTH, "Solidarity")  # two people: a hidden group, never named
    for _ in range(3):
        answer(workshop, poll, None, "Solidarity", "Trust")  # hidden too: with "Both" they make five
    cloud = tally(poll)
    words = {w["key"]: w for w in cloud["words"]}
    assert cloud["total"] == 15 and words["trust"]["n"] == 13
    assert words["trust"]["by_stance"] == {CORP: 5, ACT: 5} and words["trust"]["shared"] and words["trust"]["other"] == 3
    assert words["reach"]["sides"] == [CORP] and not words["reach"]["shared"]
    assert words["greenwashing"]["sides"] == [ACT]
    assert words["solidarity"]["sides"] == [] and words["solidarity"]["by_stance"] == {} and words["solidarity"]["other"] == 5
    assert [w["key"] for w in cloud["words"]][:3] == ["trust", "greenwashing", "solidarity"]
    assert {g["stance"]: g.get("hidden", False) for g in cloud["by_stance"]} == {
        CORP: False, ACT: False, BOTH: True, "Not stated": True}


def test_word_list_holds_answers_until_a_facilitator_approves(app, make_workshop, make_participant):
    app.config["MODERATION_WORDS"] = ["rubbish"]
    workshop = make_workshop()
    poll = text_poll(workshop)
    service.open_poll(poll)
    phone = make_participant(workshop, CORP)
    held = texts.submit_answer(phone.id, poll.id, "Rubbish!")
    assert held["status"] == "held" and tally(poll)["words"] == []
    assert tally(poll, full=True)["held"] == [{"id": held["id"], "text": "Rubbish"}]
    with pytest.raises(LiveError, match="not waiting"):
        texts.moderate_answer(poll, texts.submit_answer(phone.id, poll.id, "Fine")["id"], True)
    texts.moderate_answer(poll, held["id"], True)
    assert {w["key"] for w in tally(poll)["words"]} == {"rubbish", "fine"}


def test_hidden_words_leave_the_cloud_counted_and_come_back(make_workshop):
    workshop = make_workshop()
    poll = text_poll(workshop)
    service.open_poll(poll)
    answer(workshop, poll, CORP, "Cringe", "Bold")
    texts.hide_word(poll, "CRINGE", None)
    texts.hide_word(poll, "cringe", None)  # twice: still one hidden word
    cloud = tally(poll, full=True)
    assert [w["key"] for w in cloud["words"]] == ["bold"] and cloud["hidden_words"] == 1
    assert {w["key"]: w["hidden"] for w in cloud["all"]} == {"bold": False, "cringe": True}
    texts.show_word(poll, "cringe")
    assert {w["key"] for w in tally(poll)["words"]} == {"bold", "cringe"}


def test_reset_discards_the_run_and_rerun_starts_empty(make_workshop):
    workshop = make_workshop()
    poll = text_poll(workshop)
    service.open_poll(poll)
    answer(workshop, poll, CORP, "One")
    service.close_poll(poll)
    service.open_poll(poll)  # round 2
    assert tally(poll)["total"] == 0
    answer(workshop, poll, CORP, "Two")
    service.reset_poll(poll)
    assert [a.key for a in db.session.query(TextAnswer)] == ["one"]


def test_answers_over_the_socket_reach_the_projector(socket_client, make_workshop, make_participant, make_facilitator, client):
    host = make_facilitator()
    workshop = make_workshop(host)
    poll = text_poll(workshop)
    service.open_poll(poll)
    service.reveal_poll(poll)
    projector = socket_client(auth={"code": workshop.join_code, "role": "projector"})
    sc = socket_client(auth={"code": workshop.join_code, "role": "phone", "token": make_participant(workshop, CORP).token})
    ack = sc.emit("answer", {"poll_id": poll.id, "text": " Trust. "}, namespace="/live", callback=True)
    assert ack["ok"] and ack["answer"]["text"] == "Trust" and ack["answer"]["status"] == "shown"
    assert db.session.query(TextAnswer).count() == 1  # committed before the ack
    for payload, message in (({"poll_id": poll.id, "text": ""}, "Type a word"), ("trust", "send {poll_id, text}"),
                             ({"poll_id": poll.id, "text": "x" * 30}, "20 characters")):
        bad = sc.emit("answer", payload, namespace="/live", callback=True)
        assert bad["ok"] is False and message in bad["error"]
    projector.get_received("/live")
    pulse.flush()
    tallies = [m["args"][0] for m in projector.get_received("/live") if m["name"] == "poll_tally"]
    assert tallies[-1]["results"]["words"][0]["key"] == "trust" and "all" not in tallies[-1]["results"]
    removed = sc.emit("answer_remove", {"answer_id": ack["answer"]["id"]}, namespace="/live", callback=True)
    assert removed["ok"] and db.session.query(TextAnswer).count() == 0
    # Facilitators only: hide and show a word.
    assert sc.emit("word_hide", {"poll_id": poll.id, "word": "trust"}, namespace="/live", callback=True)["ok"] is False
    login(client, host)
    control = socket_client(auth={"code": workshop.join_code, "role": "control"}, http=client)
    hid = control.emit("word_hide", {"poll_id": poll.id, "word": "Trust"}, namespace="/live", callback=True)
    assert hid == {"ok": True, "word": {"poll_id": poll.id, "key": "trust", "hidden": True}}
    shown = control.emit("word_show", {"poll_id": poll.id, "word": "trust"}, namespace="/live", callback=True)
    assert shown["ok"] and shown["word"]["hidden"] is False
    assert control.emit("answer_approve", {"poll_id": poll.id, "answer_id": 99}, namespace="/live",
                        callback=True) == {"ok": False, "error": "no such answer"}


def test_planner_form_creates_open_text_polls(client, make_facilitator, make_workshop):
    host = make_facilitator()
    workshop = make_workshop(host)
    login(client, host)
    bad = client.post(f"/planner/{workshop.slug}/polls", data={"kind": "text", "prompt": PROMPT, "text_per_person": "5"})
    assert "Between 1 and 3 answers." in bad.get_data(as_text=True)
    client.post(f"/planner/{workshop.slug}/polls", data={"kind": "text", "prompt": PROMPT, "text_per_person": "3",
                                                          "text_max_length": "30"})
    poll = db.session.query(Poll).one()
    assert poll.kind.value == "text" and poll.text_rules == {"per_person": 3, "max_length": 30}
    page = client.get(f"/planner/{workshop.slug}/polls/{poll.id}").get_data(as_text=True)
    assert 'value="30"' in page


def test_voting_pass_and_flood_limit_apply_to_answers(app, make_workshop, make_participant):
    workshop = make_workshop(require_ticket=True)
    poll = text_poll(workshop, per_person=3)
    service.open_poll(poll)
    with pytest.raises(LiveError, match="voting pass"):
        texts.submit_answer(make_participant(workshop, CORP).id, poll.id, "Trust")
    workshop.require_ticket = False
    db.session.commit()
    app.config["RATELIMIT_ENABLED"] = True
    phone = make_participant(workshop, CORP)
    if (left := 10 - time.time() % 10) < 4:  # the limit counts per 10 s window: start in a fresh one
        time.sleep(left + 0.05)
    for n in range(20):  # send and take back: 20 answers in 10 s, then a clear refusal
        texts.remove_answer(phone.id, texts.submit_answer(phone.id, poll.id, f"word {n}")["id"])
    with pytest.raises(LiveError, match="Too many answers"):
        for n in range(20, 23):
            texts.submit_answer(phone.id, poll.id, f"word {n}")
    assert db.session.query(TextAnswer).count() <= 3


def answer_together(app, answers: list[tuple[int, int, str]]) -> list:
    """Submit every (participant_id, poll_id, text) from its own thread at once; results or errors in order."""
    import threading

    gate, results = threading.Barrier(len(answers)), [None] * len(answers)

    def run(index, participant_id, poll_id, text):
        with app.app_context():
            gate.wait()
            try:
                results[index] = texts.submit_answer(participant_id, poll_id, text)
            except LiveError as exc:
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, *a)) for i, a in enumerate(answers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_answers_arriving_together_share_one_commit_and_keep_the_limits(app, make_workshop, make_participant):
    workshop = make_workshop()
    poll = text_poll(workshop, per_person=2)
    service.open_poll(poll)
    phones = [make_participant(workshop, CORP).id for _ in range(12)]
    greedy = make_participant(workshop, ACT).id
    batch = [(p, poll.id, f"word {n}") for n, p in enumerate(phones)]
    batch += [(greedy, poll.id, w) for w in ("one", "two", "three", "two")]  # a phone sending too much at once
    results = answer_together(app, batch)
    assert all(isinstance(r, dict) and r["status"] == "shown" for r in results[:12])
    assert len({r["id"] for r in results[:12]}) == 12
    refused = [str(r) for r in results[12:] if isinstance(r, LiveError)]
    assert len(refused) == 2 and all("per person" in m or "already sent" in m for m in refused)
    db.session.expire_all()
    assert db.session.query(TextAnswer).count() == 14
    assert db.session.query(TextAnswer).filter_by(participant_id=greedy).count() == 2


def test_a_vote_on_an_open_text_poll_is_refused(make_workshop, make_participant):
    from workshop.live import ballots

    workshop = make_workshop()
    poll = text_poll(workshop)
    service.open_poll(poll)
    with pytest.raises(LiveError, match="written answers"):
        ballots.submit_vote(make_participant(workshop, CORP).id, poll.id, "snog")
    assert not poll.accepts("snog")
