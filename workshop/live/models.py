"""Participants, polls and votes."""

import enum
import secrets
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import IllegalTransition, StateEnum, utcnow

VERDICTS = ("snog", "marry", "avoid")
# One wording for every way of taking part the voting pass covers (votes, questions, upvotes, ...).
PASS_NEEDED = "This workshop needs a voting pass: bind your phone to your checked-in ticket."


class Participant(db.Model):
    """A phone in the room: identified by a signed cookie, no account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(24))
    stance: Mapped[str | None] = mapped_column(String(80))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration = relationship("Registration")

    @property
    def has_ticket(self) -> bool:
        """True when bound to a checked-in registration (the voting pass)."""
        reg = self.registration
        return reg is not None and reg.checked_in_at is not None

    def may_take_part(self, workshop) -> bool:
        """The voting pass rule: when the workshop requires it, only a phone with a checked-in ticket takes part."""
        return not workshop.require_ticket or self.has_ticket


class PollKind(str, enum.Enum):
    """Verdict (one scenario), classic (three items), plain multiple choice or a scale (a point in a range)."""

    verdict = "verdict"
    classic = "classic"
    choice = "choice"
    scale = "scale"
    text = "text"


SCALE_DEFAULTS = {"min": 0, "max": 10, "low": "", "high": "", "mid": ""}
SCALE_LIMITS = (-10, 10, 10)  # lowest point, highest point, most steps: at most 11 buttons on a phone
TEXT_DEFAULTS = {"per_person": 1, "max_length": 25}
TEXT_LIMITS = (3, 40)  # most answers per person, longest answer


class PollState(StateEnum):
    """Poll lifecycle: draft -> open -> closed; closed may re-run (open) or reset (draft)."""

    draft = "draft"
    open = "open"
    closed = "closed"

    @classmethod
    def transitions(cls) -> dict:
        """Legal moves."""
        return {"draft": ("open",), "open": ("closed", "draft"), "closed": ("open", "draft")}


class Poll(db.Model):
    """A prepared question; votes belong to one run (round) of it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[PollKind] = mapped_column(default=PollKind.verdict)
    prompt: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[PollState] = mapped_column(default=PollState.draft)
    round: Mapped[int] = mapped_column(default=1)
    show_live: Mapped[bool] = mapped_column(default=False)
    revealed: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    timer_seconds: Mapped[int | None]  # the planner's default countdown when opened (None: no timer)
    closes_at: Mapped[datetime | None]  # set while open with a countdown: the server closes it then
    settings: Mapped[dict | None] = mapped_column(JSON)  # per kind: a scale's range and labels (SCALE_DEFAULTS)
    # Verdict polls: after voting, phones are asked to predict how the other side voted (live/perception.py).
    predict: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Who moved (live/flows.py): the planner means to run it again (the agenda and control screen offer the
    # re-run); ``moves_shown`` is what the projector shows of its flows ("*": everyone, else a stance; None: off).
    rerun_planned: Mapped[bool] = mapped_column(default=False, server_default=false())
    moves_shown: Mapped[str | None] = mapped_column(String(80))

    workshop = relationship("Workshop")

    def _move(self, target: PollState) -> None:
        if not self.state.can_become(target):
            raise IllegalTransition(f"A {self.state.value} poll cannot become {target.value}.")
        self.state = target

    def open(self, countdown: int = 0) -> None:
        """Open for votes (first run, or a re-run of a closed poll), with a countdown of ``countdown`` s."""
        if self.state == PollState.closed:
            self.round += 1
            self.revealed = False
        self.moves_shown = None  # voting again: the projector goes back to the poll
        self._move(PollState.open)
        self.opened_at, self.closed_at, self.closes_at = utcnow(), None, None
        self.start_timer(countdown)

    def close(self) -> None:
        """Stop accepting votes."""
        self._move(PollState.closed)
        self.closed_at = utcnow()  # closes_at stays: it tells a late voter the countdown ended it

    @property
    def ended_by_countdown(self) -> bool:
        """True when the poll is closed because its countdown reached zero."""
        return self.state == PollState.closed and self.closes_at is not None and self.closed_at >= self.closes_at

    def start_timer(self, seconds: int) -> None:
        """Count down ``seconds`` from now (0: no countdown); only an open poll has one."""
        if self.state != PollState.open:
            raise IllegalTransition("Only an open poll can have a countdown.")
        self.closes_at = utcnow() + timedelta(seconds=seconds) if seconds else None

    def time_is_up(self, now: datetime) -> bool:
        """True once an open poll's countdown has reached zero."""
        return self.state == PollState.open and self.closes_at is not None and now >= self.closes_at

    def reveal(self) -> None:
        """Show results to the room; only once the poll has run."""
        if self.state == PollState.draft:
            raise IllegalTransition("A draft poll has no results to reveal.")
        self.revealed = True

    def hide(self) -> None:
        """Hide results again."""
        self.revealed = False

    def reset(self) -> None:
        """Back to draft; the service discards the current round's votes."""
        self._move(PollState.draft)
        self.revealed, self.opened_at, self.closed_at, self.closes_at = False, None, None, None
        self.moves_shown = None

    @property
    def scale(self) -> dict:
        """A scale poll's range and labels: {"min", "max", "low", "high", "mid"}."""
        return {**SCALE_DEFAULTS, **(self.settings or {})}

    @property
    def text_rules(self) -> dict:
        """An open-text poll's limits: {"per_person": 1-3, "max_length": up to 40}."""
        return {**TEXT_DEFAULTS, **(self.settings or {})}

    @property
    def answers(self) -> list[str]:
        """The answer keys a voter may choose from."""
        if self.kind == PollKind.choice:
            return [str(i) for i in range(len(self.options))]
        if self.kind == PollKind.scale:
            return [str(i) for i in range(self.scale["min"], self.scale["max"] + 1)]
        return list(VERDICTS)

    def accepts(self, answer: str) -> bool:
        """Whether ``answer`` is one of :attr:`answers` (without building the list: it runs per vote)."""
        if self.kind == PollKind.choice:
            return len(answer) <= 4 and answer.isdecimal() and answer == str(int(answer)) and int(answer) < len(self.options)
        if self.kind == PollKind.scale:
            digits = answer.removeprefix("-")
            return (len(answer) <= 3 and digits.isdecimal() and answer == str(int(answer))
                    and self.scale["min"] <= int(answer) <= self.scale["max"])
        return self.kind != PollKind.text and answer in VERDICTS

    @property
    def results_visible(self) -> bool:
        """Whether the room may see results now."""
        return self.revealed or (self.show_live and self.state != PollState.draft)


class Vote(db.Model):
    """One participant's answer in one run of a poll (changeable while open)."""

    __table_args__ = (
        UniqueConstraint("poll_id", "round", "participant_id", name="uq_vote_once"),
        Index("ix_vote_poll_round", "poll_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=1)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    choice: Mapped[str] = mapped_column(String(64))
    stance: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerStatus:
    """An open-text answer: shown in the cloud, held for a facilitator (word list), or rejected by one."""

    shown, held, rejected = "shown", "held", "rejected"


class TextAnswer(db.Model):
    """One short answer to an open-text poll run; ``key`` is its normalised form (what the cloud counts)."""

    __table_args__ = (
        UniqueConstraint("poll_id", "round", "participant_id", "key", name="uq_text_answer_once"),
        Index("ix_text_answer_poll_round", "poll_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=1)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(40))
    stance: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default=AnswerStatus.shown)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HiddenWord(db.Model):
    """A word a facilitator hid from an open-text poll's cloud (every run); removing the row shows it again."""

    __table_args__ = (UniqueConstraint("poll_id", "key", name="uq_hidden_word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("facilitator.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Prediction(db.Model):
    """A phone's guess at how another stance (``target``) voted in one run of a verdict poll (changeable while
    open): ``pick``, the answer it expects that side's majority to give (its shares then 100/0/0), or a split
    (``pick`` None) of three shares summing to 100; ``stance`` is the phone's own, as with votes."""

    __table_args__ = (
        UniqueConstraint("poll_id", "round", "participant_id", name="uq_prediction_once"),
        Index("ix_prediction_poll_round", "poll_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=1)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(80))
    pick: Mapped[str | None] = mapped_column(String(8))
    snog: Mapped[int] = mapped_column(default=0)
    marry: Mapped[int] = mapped_column(default=0)
    avoid: Mapped[int] = mapped_column(default=0)
    stance: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReactionCount(db.Model):
    """How often a reaction was sent in one segment by one stance: counted in memory, added here once a tick.

    ``segment_id`` is the agenda item running when the reactions came (0: none was); ``stance`` is "" for
    phones that preferred not to say. Never one row per tap (live/reactions.py).
    """

    __table_args__ = (UniqueConstraint("workshop_id", "segment_id", "stance", "reaction", name="uq_reaction_count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(default=0)
    stance: Mapped[str] = mapped_column(String(80), default="")
    reaction: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reactor(db.Model):
    """A phone that reacted at least once in a segment: the people behind a stance's reactions (hidden groups)."""

    __table_args__ = (UniqueConstraint("workshop_id", "segment_id", "participant_id", name="uq_reactor_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(default=0)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    stance: Mapped[str] = mapped_column(String(80), default="")
