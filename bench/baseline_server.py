"""The bare baseline: Flask-SocketIO in the same async mode, votes counted in memory, the same coalesced
10 Hz projector broadcast (1 Hz to phones), nothing else. It speaks just enough of the /live and
/questions protocol for the swarm. Run: `gunicorn -c deploy/gunicorn.conf.py bench.baseline_server:app`.
"""

import itertools
import secrets

from flask import Flask, request
from flask_socketio import SocketIO, emit, join_room

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", ping_interval=20, ping_timeout=20)
OPTIONS = 48
state = {"poll": {"id": 1, "round": 1, "state": "draft"}, "dirty": False, "dirty_wall": False}
votes: dict[int, str] = {}  # participant id -> choice, current round
tokens: dict[str, int] = {}
clients: dict[str, tuple[str, int | None]] = {}
questions: dict[int, set] = {}  # question id -> participant ids who upvoted
ids = itertools.count(1)
SLICES = 10  # phones are split into 10 rooms; one room gets the tally per tick, so each phone has it at 1 Hz
slices = itertools.count()


def counts() -> dict:
    """Counts per answer for the current round."""
    result = {str(n): 0 for n in range(OPTIONS)}
    for choice in votes.values():
        result[choice] += 1
    return result


def tally() -> dict:
    """The projector's tally message."""
    return {**{k: state["poll"][k] for k in ("id", "round", "state")}, "total": len(votes),
            "results": {"total": len(votes), "counts": counts()}}


@app.post("/api/w/<code>/participants")
def join(code):
    """Hand out a participant token."""
    token = secrets.token_urlsafe(24)
    tokens[token] = len(tokens) + 1
    return {"ok": True, "token": token, "participant_id": tokens[token]}, 201


@app.get("/bench/state")
def bench_state():
    """What the baseline holds (the harness's stand-in for the database)."""
    return {"poll": state["poll"], "votes": len(votes), "sum": sum(int(c) for c in votes.values()),
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
    my_vote = votes.get(participant) if participant else None
    emit("state", {"role": role, "poll": {**state["poll"], "total": len(votes)}, "my_vote": my_vote})


@socketio.on("disconnect", namespace="/live")
def live_disconnect(reason=None):
    """Forget the socket."""
    clients.pop(request.sid, None)


@socketio.on("vote", namespace="/live")
def vote(data):
    """Count in memory, mark dirty, ack."""
    role, participant = clients.get(request.sid, (None, None))
    if role != "phone" or state["poll"]["state"] != "open":
        return {"ok": False, "error": "Voting is closed for this poll."}
    votes[participant] = str(data["choice"])
    state["dirty"] = True
    return {"ok": True, "vote": {"poll_id": data["poll_id"], "round": state["poll"]["round"], "choice": data["choice"]}}


def _poll_action(action: str) -> dict:
    poll = state["poll"]
    if action == "open":
        if poll["state"] == "closed":
            poll["round"] += 1
        poll["state"] = "open"
        votes.clear()
    else:
        poll["state"] = "closed"
    payload = {**poll, "total": len(votes)}
    for room in ("phone", "projector", "control"):
        socketio.emit("poll_state", payload, to=room, namespace="/live")
    return {"ok": True, "poll": payload}


@socketio.on("poll_open", namespace="/live")
def poll_open(data):
    """Open (a re-run starts a new round)."""
    return _poll_action("open")


@socketio.on("poll_close", namespace="/live")
def poll_close(data):
    """Close."""
    return _poll_action("close")


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
    """10 Hz: the projector gets the tally when votes came in; phones once a second."""
    tick = 0
    while True:
        socketio.sleep(0.1)
        tick += 1
        if state["dirty"]:
            state["dirty"] = False
            socketio.emit("poll_tally", tally(), to="projector", namespace="/live")
            state["owed"] = set(range(SLICES))
        if tick % SLICES in state.get("owed", ()):
            state["owed"].discard(tick % SLICES)
            socketio.emit("poll_tally", tally(), to=f"phone:{tick % SLICES}", namespace="/live")
        if state["dirty_wall"]:
            state["dirty_wall"] = False
            wall = [{"id": q, "votes": len(v)} for q, v in questions.items()]
            socketio.emit("wall", {"questions": wall}, to="projector", namespace="/questions")


socketio.start_background_task(pulse)
