"""The bare baseline: Flask-SocketIO in the same async mode, votes counted in memory, the same coalesced
10 Hz projector broadcast (1 Hz to phones, with the split by stance for the verdict poll), nothing else. It speaks just enough of the /live and
/questions protocol for the swarm. Run: `gunicorn -c deploy/gunicorn.conf.py bench.baseline_server:app`.
"""

import itertools
import secrets
import time

from flask import Flask, request
from flask_socketio import SocketIO, emit, join_room

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", ping_interval=20, ping_timeout=20)
OPTIONS = 48
VERDICTS = ("snog", "marry", "avoid")
MIN_GROUP = 5  # the app's STANCE_MIN_GROUP: smaller stance groups are hidden in the split
# Poll 1: the multiple-choice poll of the ladder; poll 2: a verdict poll split by stance (the live-results scenario).
polls = {1: {"id": 1, "kind": "choice", "round": 1, "state": "draft"},
         2: {"id": 2, "kind": "verdict", "round": 1, "state": "draft"}}
votes: dict[int, dict[int, str]] = {1: {}, 2: {}}  # poll id -> participant id -> choice, current round
state = {"dirty": set(), "dirty_wall": False, "owed": {}}
tokens: dict[str, int] = {}
stances: dict[int, str | None] = {}  # participant id -> the stance it joined with
clients: dict[str, tuple[str, int | None]] = {}
questions: dict[int, set] = {}  # question id -> participant ids who upvoted
reactions: dict[str, int] = {}  # reaction -> taps
ids = itertools.count(1)
SLICES = 10  # phones are split into 10 rooms; one room gets the tally per tick, so each phone has it at 1 Hz
slices = itertools.count()


def counts(poll_id: int, choices) -> dict:
    """Counts per answer."""
    keys = VERDICTS if polls[poll_id]["kind"] == "verdict" else [str(n) for n in range(OPTIONS)]
    result = dict.fromkeys(keys, 0)
    for choice in choices:
        result[choice] += 1
    return result


def by_stance(poll_id: int) -> list[dict]:
    """The split: counts per stance group, small groups hidden as the app hides them."""
    groups: dict[str, list[str]] = {}
    for participant, choice in votes[poll_id].items():
        groups.setdefault(stances.get(participant) or "Not stated", []).append(choice)
    hidden, shown = set(), sorted(groups, key=lambda g: len(groups[g]))
    for group in shown:
        if len(groups[group]) < MIN_GROUP or (hidden and sum(len(groups[h]) for h in hidden) < MIN_GROUP):
            hidden.add(group)
    return [{"stance": g, "hidden": True} if g in hidden else
            {"stance": g, "total": len(groups[g]), "counts": counts(poll_id, groups[g])} for g in groups]


def tally(poll_id: int) -> dict:
    """A poll's tally message; ``at`` is read before counting, as the app does."""
    poll, at = polls[poll_id], time.time()
    results = {"total": len(votes[poll_id]), "min_group": MIN_GROUP, "counts": counts(poll_id, votes[poll_id].values())}
    if poll["kind"] == "verdict":
        results["by_stance"] = by_stance(poll_id)
    return {"at": at, **{k: poll[k] for k in ("id", "round", "state")}, "total": results["total"], "results": results}


@app.post("/api/w/<code>/participants")
def join(code):
    """Hand out a participant token."""
    token = secrets.token_urlsafe(24)
    tokens[token] = participant = len(tokens) + 1
    stances[participant] = (request.get_json(silent=True) or {}).get("stance")
    return {"ok": True, "token": token, "participant_id": participant}, 201


@app.get("/bench/state")
def bench_state():
    """What the baseline holds (the harness's stand-in for the database); ``?poll_id=2`` for the verdict poll."""
    poll_id = request.args.get("poll_id", 1, type=int)
    mine = votes[poll_id]
    return {"poll": polls[poll_id], "votes": len(mine), "counts": counts(poll_id, mine.values()),
            "sum": sum(int(c) for c in mine.values()) if polls[poll_id]["kind"] == "choice" else None,
            "questions": len(questions), "upvotes": sum(len(v) for v in questions.values())}


@socketio.on("connect", namespace="/live")
def live_connect(auth):
    """Phones, projectors and the control screen: no checks."""
    role = (auth or {}).get("role", "phone")
    participant = tokens.get((auth or {}).get("token"))
    if role == "phone" and participant is None:
        return False
    clients[request.sid] = (role, participant)
    join_room(role)
    if role == "phone":
        join_room(f"phone:{next(slices) % SLICES}")
    poll = next((p for p in polls.values() if p["state"] == "open"), polls[1])
    my_vote = votes[poll["id"]].get(participant) if participant else None
    emit("state", {"role": role, "poll": {**poll, "total": len(votes[poll["id"]])}, "my_vote": my_vote})


@socketio.on("disconnect", namespace="/live")
def live_disconnect(reason=None):
    """Forget the socket."""
    clients.pop(request.sid, None)


@socketio.on("vote", namespace="/live")
def vote(data):
    """Count in memory, mark dirty, ack."""
    role, participant = clients.get(request.sid, (None, None))
    poll = polls.get(data.get("poll_id"))
    if role != "phone" or poll is None or poll["state"] != "open":
        return {"ok": False, "error": "Voting is closed for this poll."}
    votes[poll["id"]][participant] = str(data["choice"])
    state["dirty"].add(poll["id"])
    return {"ok": True, "vote": {"poll_id": poll["id"], "round": poll["round"], "choice": data["choice"]}}


def _poll_action(poll_id: int, action: str) -> dict:
    poll = polls[poll_id]
    if action == "open":
        for other in polls.values():  # one poll open at a time, as in the app
            if other["state"] == "open" and other is not poll:
                other["state"] = "closed"
        if poll["state"] == "closed":
            poll["round"] += 1
        poll["state"] = "open"
        votes[poll_id].clear()
    else:
        poll["state"] = "closed"
    payload = {**poll, "total": len(votes[poll_id])}
    for room in ("phone", "projector", "control"):
        socketio.emit("poll_state", payload, to=room, namespace="/live")
    return {"ok": True, "poll": payload}


@socketio.on("poll_open", namespace="/live")
def poll_open(data):
    """Open (a re-run starts a new round)."""
    return _poll_action(data.get("poll_id", 1), "open")


@socketio.on("poll_close", namespace="/live")
def poll_close(data):
    """Close."""
    return _poll_action(data.get("poll_id", 1), "close")


@socketio.on("react", namespace="/live")
def react(data):
    """A reaction tap: counted in memory, acknowledged (the floor a tap costs the stack)."""
    role, participant = clients.get(request.sid, (None, None))
    if role != "phone" or not isinstance(data, dict):
        return {"ok": False, "error": "phones only"}
    reactions[data.get("reaction")] = reactions.get(data.get("reaction"), 0) + 1
    return {"ok": True, "reaction": data.get("reaction")}


@socketio.on("connect", namespace="/questions")
def questions_connect(auth):
    """Phones and projectors on the wall."""
    role = (auth or {}).get("role", "phone")
    clients[request.sid] = (role, tokens.get((auth or {}).get("token")))
    join_room(role)


@socketio.on("ask", namespace="/questions")
def ask(data):
    """A new question, held in memory."""
    question_id = next(ids)
    questions[question_id] = set()
    state["dirty_wall"] = True
    return {"ok": True, "question": {"id": question_id, "text": data.get("text"), "status": "live"}}


@socketio.on("upvote", namespace="/questions")
def upvote(data):
    """Toggle an upvote."""
    _, participant = clients.get(request.sid, (None, None))
    voters = questions.get(data.get("question_id"))
    if voters is None:
        return {"ok": False, "error": "no such question"}
    voters ^= {participant}
    state["dirty_wall"] = True
    return {"ok": True, "question_id": data["question_id"], "upvoted": participant in voters, "votes": len(voters)}


def pulse() -> None:
    """10 Hz: the projector gets a poll's tally when votes came in; phones once a second, a tenth per tick."""
    tick = 0
    while True:
        socketio.sleep(0.1)
        tick += 1
        for poll_id in list(state["dirty"]):
            state["dirty"].discard(poll_id)
            socketio.emit("poll_tally", tally(poll_id), to="projector", namespace="/live")
            state["owed"][poll_id] = set(range(SLICES))
        for poll_id, owed in state["owed"].items():
            if tick % SLICES in owed:
                owed.discard(tick % SLICES)
                socketio.emit("poll_tally", tally(poll_id), to=f"phone:{tick % SLICES}", namespace="/live")
        if state["dirty_wall"]:
            state["dirty_wall"] = False
            wall = [{"id": q, "votes": len(v)} for q, v in questions.items()]
            socketio.emit("wall", {"questions": wall}, to="projector", namespace="/questions")


socketio.start_background_task(pulse)
