"""Open-text polls: phones send short answers, facilitators hide words and approve held answers.

The only code that writes TextAnswer and HiddenWord rows. Answers are normalised here (case, surrounding
punctuation, whitespace; several words stay one phrase), checked against a stop-word list and the workshop's
moderation word list (a match waits for a facilitator), and every change marks the poll on the pulse, so the
cloud reaches the screens coalesced like a tally.
"""

import logging
import re
import unicodedata

from sqlalchemy import delete, insert, select, update

from ..extensions import db
from ..models import is_key, utcnow
from ..ratelimit import limit
from ..realtime import pulse
from ..validators import matched_word
from .group_commit import GroupCommit, Waiting
from .models import (
    PASS_NEEDED,
    TEXT_LIMITS,
    AnswerStatus,
    HiddenWord,
    Participant,
    Poll,
    PollKind,
    PollState,
    TextAnswer,
)
from .payloads import answer_payload
from .service import TIME_UP, LiveError, round_people, round_polls

log = logging.getLogger("workshop.live.texts")

# Words too common to say anything on their own (an answer of several words keeps them: "on the fence").
STOP_WORDS = frozenset("""
a an and are as at be but by for from has have he her his i if in into is it its me my no not of on or our
she so than that the their them then there these they this to too us was we were what when which who will
with would you your yes ok okay
""".split())


def normalise(text) -> tuple[str, str]:
    """(shown text, key): whitespace collapsed, punctuation around it removed; the key also folds case."""
    if not isinstance(text, str):
        raise LiveError("Send your answer as text.")
    text = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", unicodedata.normalize("NFC", text)).split())
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PSZ":
        end -= 1
    text = text[start:end]
    return text, text.casefold()


def submit_answer(participant_id: int, poll_id, text) -> dict:
    """Record one short answer (held when it matches the word list); returns it after the commit.

    What the phone's own input decides is checked here; the rest (the poll open and of this kind, the voting
    pass, the poll's length limit, the per-person limit) once per group-commit round inside the writing
    transaction, on plain rows, as votes are (ballots.py): never a query per answer.
    """
    shown, key = normalise(text)
    if not key:
        raise LiveError("Type a word or a short phrase first.")
    if len(shown) > TEXT_LIMITS[1]:
        raise LiveError(f"Keep it to {TEXT_LIMITS[1]} characters (yours has {len(shown)}).")
    if key in STOP_WORDS:
        raise LiveError(f"“{shown}” is too common to show: try a word that says more.")
    if not limit("answer", str(participant_id), 20, 10, shared=False):
        raise LiveError("Too many answers: wait a few seconds.")
    status = AnswerStatus.held if matched_word(shown) else AnswerStatus.shown
    db.session.rollback()  # end this handler's read transaction: the writer's transaction is the one that counts
    waiting = _answers.submit({"poll_id": poll_id, "participant_id": participant_id, "text": shown, "key": key,
                               "status": status})
    if waiting.error:
        raise LiveError(waiting.error)
    return waiting.result


# --- the group commit (group_commit.py, as votes are) ------------------------------------------------------

def _write_batch(batch: list[Waiting]) -> None:
    people = {p.item["participant_id"] for p in batch}
    # Lock the phones first (SQLite's write lock, PostgreSQL row locks): no other process counts them meanwhile.
    db.session.execute(update(Participant).where(Participant.id.in_(people)).values(id=Participant.id))
    poll_ids = {p.item["poll_id"] for p in batch if is_key(p.item["poll_id"])}
    polls = {poll_id: (poll, rule) for poll_id, (poll, rule, _) in round_polls(poll_ids).items()}
    persons = round_people(people)  # Core rows: no ORM work per phone
    sent = _sent(list(polls), people)
    accepted, now = [], utcnow()
    for pending in batch:
        row = pending.item
        poll, rule = polls.get(row["poll_id"], (None, False)) if is_key(row["poll_id"]) else (None, False)
        person = persons.get(row["participant_id"])
        try:
            _admit(poll, rule, person, sent, row, now)
        except LiveError as exc:
            pending.refuse(str(exc))
            continue
        accepted.append((pending, {**row, "stance": person.stance, "round": poll.round, "created_at": now}))
    _insert(accepted)


def _sent(poll_ids: list, people: set) -> dict[tuple, list[str]]:
    # Each phone's earlier answers in each poll's runs: (poll, round, participant) -> keys.
    sent: dict[tuple, list[str]] = {}
    for poll_id, round_, pid, key in db.session.execute(
            select(TextAnswer.poll_id, TextAnswer.round, TextAnswer.participant_id, TextAnswer.key)
            .where(TextAnswer.poll_id.in_(poll_ids), TextAnswer.participant_id.in_(people),
                   TextAnswer.status != AnswerStatus.rejected)):
        sent.setdefault((poll_id, round_, pid), []).append(key)
    return sent


def _insert(accepted: list) -> None:
    if not accepted:
        db.session.rollback()
        return
    rows = [row for _, row in accepted]
    ids = db.session.execute(insert(TextAnswer).returning(TextAnswer.id, sort_by_parameter_order=True), rows).scalars().all()
    db.session.commit()
    for (pending, row), answer_id in zip(accepted, ids, strict=True):
        pending.accept({"id": answer_id, "poll_id": row["poll_id"], "round": row["round"], "text": row["text"],
                        "status": row["status"]})
    for poll_id in {row["poll_id"] for _, row in accepted}:
        pulse.mark("tally", poll_id)


def _admit(poll: Poll | None, rule: bool, person, sent: dict, row: dict, now) -> None:
    """The round's checks: the poll exists, is open and takes text; the voting pass; limits per answer and person."""
    if poll is None or person is None or poll.workshop_id != person.workshop_id or poll.kind != PollKind.text:
        raise LiveError("That open-text poll does not exist.")
    if poll.time_is_up(now) or poll.ended_by_countdown:
        raise LiveError(TIME_UP)
    if poll.state != PollState.open:
        raise LiveError("Answers are closed for this poll.")
    if rule and person.checked_in_at is None:
        raise LiveError(PASS_NEEDED)  # the rule of Participant.may_take_part, on the round's plain rows
    rules, mine = poll.text_rules, sent.setdefault((poll.id, poll.round, person.id), [])
    if len(row["text"]) > rules["max_length"]:
        raise LiveError(f"Keep it to {rules['max_length']} characters (yours has {len(row['text'])}).")
    if row["key"] in mine:
        raise LiveError(f"You already sent “{row['text']}”.")
    if len(mine) >= rules["per_person"]:
        many = "one answer" if rules["per_person"] == 1 else f"{rules['per_person']} answers"
        raise LiveError(f"This poll takes {many} per person: remove one to send another.")
    mine.append(row["key"])


def remove_answer(participant_id: int, answer_id) -> dict:
    """Take back one of the phone's own answers while its poll is open."""
    answer = db.session.get(TextAnswer, answer_id) if is_key(answer_id) else None
    if answer is None or answer.participant_id != participant_id:
        raise LiveError("That answer is not yours or no longer exists.")
    poll = db.session.get(Poll, answer.poll_id)
    if poll.state != PollState.open or poll.round != answer.round:
        raise LiveError("Answers are closed for this poll: it can no longer be removed.")
    payload = answer_payload(answer)
    db.session.delete(answer)
    db.session.commit()
    pulse.mark("tally", poll.id)
    return payload


# --- facilitators ---------------------------------------------------------------------------

def hide_word(poll: Poll, key, facilitator_id: int | None) -> dict:
    """Hide a word from the cloud (every run); undone by show_word."""
    key = _word(poll, key)
    if db.session.scalar(select(HiddenWord.id).where(HiddenWord.poll_id == poll.id, HiddenWord.key == key)) is None:
        db.session.add(HiddenWord(poll_id=poll.id, key=key, facilitator_id=facilitator_id))
        db.session.commit()
        log.info("word hidden poll=%s", poll.id)
    pulse.mark("tally", poll.id)
    return {"poll_id": poll.id, "key": key, "hidden": True}


def show_word(poll: Poll, key) -> dict:
    """Show a hidden word again."""
    key = _word(poll, key)
    db.session.execute(delete(HiddenWord).where(HiddenWord.poll_id == poll.id, HiddenWord.key == key))
    db.session.commit()
    pulse.mark("tally", poll.id)
    return {"poll_id": poll.id, "key": key, "hidden": False}


def _word(poll: Poll, key) -> str:
    if poll.kind != PollKind.text:
        raise LiveError("Only open-text polls have words to hide.")
    if not isinstance(key, str) or not key or len(key) > 40:
        raise LiveError("word must be one of the poll's words")
    return normalise(key)[1]


def moderate_answer(poll: Poll, answer_id, approve: bool) -> dict:
    """Approve a held answer (it joins the cloud) or reject it (kept for the report, never shown)."""
    answer = db.session.get(TextAnswer, answer_id) if is_key(answer_id) else None
    if answer is None or answer.poll_id != poll.id:
        raise LiveError("no such answer")
    if answer.status != AnswerStatus.held:
        raise LiveError("That answer is not waiting for a facilitator.")
    answer.status = AnswerStatus.shown if approve else AnswerStatus.rejected
    db.session.commit()
    pulse.mark("tally", poll.id)
    return answer_payload(answer)


_answers = GroupCommit(_write_batch, "Your answer could not be saved: please try again.")
