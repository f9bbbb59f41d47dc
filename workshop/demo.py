"""The demo workshop: "Snog, Marry, Avoid?" at Social Media Week London."""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from .extensions import db
from .live import moves
from .live import service as live
from .live.models import PollKind
from .planner import service as planner
from .planner.models import DEFAULT_STANCES, SegmentKind, Workshop

SLUG = "snog-marry-avoid"

# The hosts' own words (the announcement): "snog (work together now and then), marry (merge) or avoid".
MEANINGS = {"snog": "work together now and then", "marry": "merge", "avoid": "keep apart"}

DESCRIPTION = """Should corporates and activists snog (work together now and then), marry (merge) \
or avoid each other on social media?

Social media are both exhilarating and nerve-wracking for institutions. An NHS Trust gets a hard time \
on Twitter, negative feedback on Patient Opinion and challenging comments on the chief executive's blog; \
campaigning groups use the same channels to raise concerns in public and get a quick response. Yet there is \
common ground too: social marketing campaigns where both sides share a cause.

Hosted from both sides of the fence - a communications lead at an NHS Trust and a campaigner - this \
workshop asks the room to vote, live, on real scenarios: snog, marry or avoid? Bring your phone: results \
are split by the side you come from, so corporates and activists can see where they agree."""

AGENDA = [
    ("Welcome: why snog, marry or avoid?", SegmentKind.talk, 10),
    ("The corporate view: a steep learning curve at an NHS Trust", SegmentKind.talk, 10),
    ("The activist view: exhilarating and nerve-wracking", SegmentKind.talk, 10),
    ("Poll round 1: scenarios", SegmentKind.poll, 15),
    ("Break", SegmentKind.break_, 5),
    ("Poll round 2: the classic game", SegmentKind.poll, 10),
    ("Questions from the room", SegmentKind.qa, 20),
    ("Poll round 3: re-run - has anyone changed their mind?", SegmentKind.poll, 5),
    ("Wrap-up: snog, avoid, but never marry?", SegmentKind.talk, 5),
]

POLLS = [
    (PollKind.verdict, "An NHS Trust and a patient campaign group co-run a social marketing campaign.", []),
    (PollKind.verdict, "Clinicians tweeting to people who use, or might use, their services.", []),
    (PollKind.verdict, "A chief executive's blog answering campaigners' challenging comments in public.", []),
    (PollKind.verdict, "A Trust replying on Patient Opinion to negative feedback within the hour.", []),
    (PollKind.verdict, "Campaigners live-tweeting a Trust board meeting.", []),
    (PollKind.verdict, "Staff across the whole organisation using social media, not only the comms team.", []),
    (PollKind.classic, "Snog, marry or avoid: who should a campaign group get close to?",
     ["The NHS Trust's comms team", "Clinicians on Twitter", "The chief executive's blog"]),
    (PollKind.scale, "How close should an NHS Trust and a campaign group get? 0 = avoid, 10 = marry", [],
     {"min": 0, "max": 10, "low": "Avoid", "high": "Marry", "mid": "Snog"}),
    (PollKind.text, "One word for a brand that joins a campaign hashtag", [], {"per_person": 3, "max_length": 30}),
    (PollKind.choice, "After today, which describes you best?",  # the last poll: how the room leaves
     ["I'll engage more", "No change", "I'll be more careful", "Not sure"]),
]


# Verdict polls that ask phones, after voting, how the other side voted (the perception gap on reveal).
PREDICTED = {POLLS[0][1], POLLS[1][1]}
# The poll planned as a re-run (agenda: "Poll round 3: re-run - has anyone changed their mind?"): the control
# screen offers to run it again, then shows who moved (live/moves.py).
RERUN = POLLS[2][1]


def next_28_september(now: datetime) -> datetime:
    """The next 28 September at 14:00 London time (today counts if still ahead)."""
    zone = ZoneInfo("Europe/London")
    local_now = now.astimezone(zone)
    candidate = datetime(local_now.year, 9, 28, 14, 0)
    if candidate.replace(tzinfo=zone) <= local_now:
        candidate = candidate.replace(year=local_now.year + 1)
    return candidate


def seed_demo(facilitators: list) -> Workshop | None:
    """Create the demo workshop once, through the planner's and live area's services; None when it exists."""
    if db.session.scalar(select(Workshop).where(Workshop.slug == SLUG)):
        return None
    start = next_28_september(datetime.now(ZoneInfo("UTC")))
    details = {
        "slug": SLUG, "title": "Snog, Marry, Avoid?", "description": DESCRIPTION,
        "venue": "Social Media Week London, Hub Westminster, New Zealand House, 80 Haymarket, London SW1Y 4TE",
        "timezone": "Europe/London", "starts_at": start, "ends_at": start.replace(hour=15, minute=30),
        "capacity": 60, "join_code": "SNOG", "stances": list(DEFAULT_STANCES), "allow_names": True,
        "reactions_on": True,  # the default set: 👏 ❤️ 😂 🤔 😮
        **{f"meaning_{verdict}": meaning for verdict, meaning in MEANINGS.items()},
    }
    workshop = planner.create_workshop(details, *facilitators)
    for title, kind, minutes in AGENDA:
        planner.add_agenda_item(workshop, title, kind.name, minutes)
    for kind, prompt, options, *settings in POLLS:
        live.create_poll(workshop, kind.value, prompt, options, settings=settings[0] if settings else None,
                         predict=prompt in PREDICTED)
    for poll in live.list_polls(workshop):
        if poll.prompt == RERUN:
            moves.plan_rerun(poll, True)
    return workshop
