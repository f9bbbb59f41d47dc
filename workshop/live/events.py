"""The /live Socket.IO namespace: handlers validate, authorise and delegate to the service."""

import logging

from flask import request, session
from flask_login import current_user, user_logged_out
from flask_socketio import ConnectionRefusedError

from ..extensions import db
from ..models import is_key
from ..planner import service as planner
from ..planner.models import Workshop
from ..ratelimit import limit
from ..realtime import rooms
from ..realtime.connections import after_urgent_work
from ..realtime.namespace import Client, WorkshopNamespace, error
from . import ballots, joining, moves, payloads, predictions, presence, reactions, service, texts
from . import state as live_state
from .models import Participant
from .service import LiveError

log = logging.getLogger("workshop.live.events")
ROLES = ("phone", "projector", "control")


SECONDS_ERROR = "seconds must be a whole number from 0 to 3600"


def valid_seconds(value) -> bool:
    """A countdown length: a whole number of seconds, at most an hour (0: no countdown)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3600


def participant_token(workshop_id: int, auth: dict) -> str | None:
    """Token from the connect auth (scripts) or the signed participant cookie (browsers)."""
    token = auth.get("token") if isinstance(auth.get("token"), str) else None
    return token or (session.get("participants") or {}).get(str(workshop_id))


def resolve_client(auth) -> tuple[Workshop, Client, Participant | None]:
    """Check connect auth and the caller's right to the role; raises ConnectionRefusedError."""
    auth = auth if isinstance(auth, dict) else {}
    role, code = auth.get("role", "phone"), auth.get("code")
    workshop = planner.find_by_code(code) if isinstance(code, str) else None
    if workshop is None or role not in ROLES:
        raise ConnectionRefusedError("unknown workshop code or role")
    participant = None
    if role == "control" and not workshop.is_facilitator(current_user):
        raise ConnectionRefusedError("facilitators of this workshop only")
    if role == "phone":
        participant = service.participant_by_token(workshop.id, participant_token(workshop.id, auth))
        if participant is None:
            raise ConnectionRefusedError("join the workshop first")
    user_id = current_user.id if role == "control" else None
    return workshop, Client(role, workshop.id, participant and participant.id, user_id), participant


def load_client(client: Client) -> tuple[Workshop | None, Participant | None]:
    """A socket's workshop and participant, read again for each event (None for either that is gone)."""
    workshop = db.session.get(Workshop, client.workshop_id)
    participant = db.session.get(Participant, client.participant_id) if client.participant_id else None
    return workshop, participant


def close_control_screens(_app, user, **_extra) -> None:
    """A facilitator signed out: their open control screens, on every process, stop hearing the session."""
    rooms.close_controls(user.id, [w.id for w in planner.workshops_for(user)], ("/live", "/questions"))


def subscribe() -> None:
    """Connect to flask-login's sign-out (create_app calls it: explicit, never an import's side effect)."""
    user_logged_out.connect(close_control_screens)


class LiveNamespace(WorkshopNamespace):
    """Phones vote, projectors watch, control screens run the session."""

    resolve = staticmethod(resolve_client)
    load = staticmethod(load_client)

    def on_connect(self, auth=None):
        """Authorise, join rooms, send the whole state in one message."""
        workshop, client, participant = self.admit(auth)
        if client.role == "phone":
            presence.phone_joined(workshop.id)
        self.emit("state", live_state.session_state(workshop, client.role, participant), room=request.sid)

    def on_disconnect(self, reason=None):
        """Forget the socket (a phone leaves the room's count)."""
        client = self.forget()
        if client is not None and client.role == "phone":
            presence.phone_left(client.workshop_id)

    def on_state(self, _data=None):
        """Resynchronise: the full state as the ack."""
        client, workshop, participant = self.context()
        if refused := self.resync_refusal(client, workshop):
            return refused
        return {"ok": True, "state": live_state.session_state(workshop, client.role, participant)}

    light_events = frozenset({"vote", "react"})

    def on_vote(self, data=None):
        """A phone's vote (served by ``light_vote`` through the guard's light path; this is its name)."""
        return self.light_vote(request.sid, data)

    def light_vote(self, sid: str, data=None):
        """A phone's vote: acknowledged only after it is committed (group commit, see ballots.submit_vote)."""
        client = self.clients.get(sid)
        if client is None or client.role != "phone":
            return error("only phones can vote")
        if not isinstance(data, dict):
            return error("send {poll_id, choice}")
        if not limit("vote", str(client.participant_id), 30, 10, shared=False):  # this socket's flood guard
            return error("Too many votes: wait a few seconds.")
        try:  # no per-vote queries here: the group commit checks poll, ticket rule and voter once per round
            vote = ballots.submit_vote(client.participant_id, data.get("poll_id"), data.get("choice"))
        except LiveError as exc:
            return error(str(exc))
        return {"ok": True, "vote": vote}

    def on_predict(self, data=None):
        """A phone's prediction of the other side: {poll_id, pick} or {poll_id, shares}, optional target;
        acknowledged after the commit (group commit, see predictions.submit_prediction)."""
        client = self.clients.get(request.sid)
        if client is None or client.role != "phone":
            return error("only phones can predict")
        if not isinstance(data, dict):
            return error("send {poll_id, pick} or {poll_id, shares}")
        if not limit("predict", str(client.participant_id), 20, 10, shared=False):  # this socket's flood guard
            return error("Too many predictions: wait a few seconds.")
        try:
            guess = predictions.submit_prediction(client.participant_id, data.get("poll_id"), data.get("target"),
                                                  data.get("pick"), data.get("shares"))
        except LiveError as exc:
            return error(str(exc))
        return {"ok": True, "prediction": guess}

    def _poll_action(self, data, action, *args, invalid: str | None = None):
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        if invalid:  # payload refused, said only to a facilitator (others learn nothing about the event)
            return error(invalid)
        poll_id = data.get("poll_id")
        if not is_key(poll_id):
            return error("poll_id must be a number")
        poll = db.session.get(service.Poll, poll_id)
        if poll is None or poll.workshop_id != workshop.id:
            return error("no such poll")
        try:
            poll = getattr(service, action)(poll, *args)
        except LiveError as exc:
            return error(str(exc))
        return {"ok": True, "poll": payloads.poll_payload(poll, full=True)}

    def on_poll_open(self, data=None):
        """Open (or re-run) a poll; optional ``seconds``: a countdown (default: the poll's planned one, 0: none)."""
        seconds = data.get("seconds") if isinstance(data, dict) else None
        bad = seconds is not None and not valid_seconds(seconds)
        return self._poll_action(data, "open_poll", seconds, invalid=SECONDS_ERROR if bad else None)

    def on_poll_timer(self, data=None):
        """Start, replace or cancel (``seconds`` 0) the countdown of the open poll."""
        seconds = data.get("seconds") if isinstance(data, dict) else None
        invalid = None if valid_seconds(seconds) else SECONDS_ERROR
        return self._poll_action(data, "set_timer", seconds, invalid=invalid)

    def on_poll_close(self, data=None):
        """Close a poll."""
        return self._poll_action(data, "close_poll")

    def on_poll_reveal(self, data=None):
        """Reveal results."""
        return self._poll_action(data, "reveal_poll")

    def on_poll_hide(self, data=None):
        """Hide results."""
        return self._poll_action(data, "hide_results")

    def on_poll_reset(self, data=None):
        """Discard the current run and go back to draft."""
        return self._poll_action(data, "reset_poll")

    def on_poll_next(self, data=None):
        """Close the open poll and open the next draft."""
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        try:
            poll = service.next_poll(workshop)
        except LiveError as exc:
            return error(str(exc))
        return {"ok": True, "poll": payloads.poll_payload(poll, full=True)}

    def on_segment_start(self, data=None):
        """Start an agenda segment (records the agenda as it ran)."""
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        item_id = data.get("item_id")
        segment = service.start_segment(workshop, item_id) if isinstance(item_id, int) else None
        if segment is None:
            return error("no such agenda segment")
        return {"ok": True, "segment": segment}

    def on_join_pause(self, data=None):
        """Pause or reopen joining: {paused: bool} (tickets still bind while paused)."""
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        paused = data.get("paused")
        if not isinstance(paused, bool):
            return error("paused must be true or false")
        return {"ok": True, "joining": joining.pause_joining(workshop, paused)}

    # --- reactions (live/reactions.py) -------------------------------------------------------

    def on_react(self, data=None):
        """A phone's reaction (served by ``light_react`` through the guard's light path; this is its name)."""
        return self.light_react(request.sid, data)

    def light_react(self, sid: str, data=None):
        """A phone's taps: {reaction: "clap"} or {reactions: [...]} (gathered over its pace); at most one a second,
        acknowledged after the counted commit."""
        client = self.clients.get(sid)
        if client is None or client.role != "phone":
            return error("only phones can react")
        if not isinstance(data, dict):
            return error("send {reaction} or {reactions}")
        taps = data.get("reactions", data.get("reaction"))
        after_urgent_work()  # a reaction can wait for the room's votes (docs/performance.md)
        try:
            return {"ok": True, "reaction": reactions.react(client.participant_id, taps, client.workshop_id)}
        except LiveError as exc:
            return error(str(exc))

    def on_reactions_switch(self, data=None):
        """Switch the room's reactions on or off now: {on: bool}."""
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        on = data.get("on")
        if not isinstance(on, bool):
            return error("on must be true or false")
        return {"ok": True, "reactions": reactions.switch_reactions(workshop, on)}

    # --- open-text polls (live/texts.py) ----------------------------------------------------

    def on_answer(self, data=None):
        """A phone's short answer to an open-text poll: {poll_id, text}; acknowledged after the commit."""
        client = self.clients.get(request.sid)
        if client is None or client.role != "phone":
            return error("only phones can answer")
        if not isinstance(data, dict):
            return error("send {poll_id, text}")
        try:
            return {"ok": True, "answer": texts.submit_answer(client.participant_id, data.get("poll_id"), data.get("text"))}
        except LiveError as exc:
            return error(str(exc))

    def on_answer_remove(self, data=None):
        """A phone takes back one of its answers while the poll is open: {answer_id}."""
        client = self.clients.get(request.sid)
        if client is None or client.role != "phone":
            return error("only phones can remove their answers")
        if not isinstance(data, dict):
            return error("send {answer_id}")
        try:
            return {"ok": True, "answer": texts.remove_answer(client.participant_id, data.get("answer_id"))}
        except LiveError as exc:
            return error(str(exc))

    def _text_action(self, data, act):
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        poll_id = data.get("poll_id")
        poll = db.session.get(service.Poll, poll_id) if is_key(poll_id) else None
        if poll is None or poll.workshop_id != workshop.id:
            return error("no such poll")
        try:
            return {"ok": True, **act(poll, data)}
        except LiveError as exc:
            return error(str(exc))

    def on_word_hide(self, data=None):
        """Hide a word from an open-text poll's cloud: {poll_id, word} (undone by word_show)."""
        return self._text_action(data, lambda poll, d: {"word": texts.hide_word(poll, d.get("word"), current_user.id)})

    def on_word_show(self, data=None):
        """Show a hidden word again: {poll_id, word}."""
        return self._text_action(data, lambda poll, d: {"word": texts.show_word(poll, d.get("word"))})

    def on_answer_approve(self, data=None):
        """Let a held answer (word list) into the cloud: {poll_id, answer_id}."""
        return self._text_action(data, lambda poll, d: {"answer": texts.moderate_answer(poll, d.get("answer_id"), True)})

    def on_answer_reject(self, data=None):
        """Keep a held answer out of the cloud for good (the report still lists it): {poll_id, answer_id}."""
        return self._text_action(data, lambda poll, d: {"answer": texts.moderate_answer(poll, d.get("answer_id"), False)})

    # --- who moved (live/flows.py, live/moves.py) ------------------------------------------------

    def _moves_action(self, data, act):
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        poll_id, side = data.get("poll_id"), data.get("side")
        if not is_key(poll_id):
            return error("poll_id must be a number")
        if side is not None and not isinstance(side, str):
            return error("side must be one of this workshop's stances, or null for everyone")
        poll = db.session.get(service.Poll, poll_id)
        if poll is None or poll.workshop_id != workshop.id:
            return error("no such poll")
        try:
            return {"ok": True, "moves": act(poll, side, data)}
        except LiveError as exc:
            return error(str(exc))

    def on_moves_show(self, data=None):
        """Show a re-run poll's who-moved flows on the projector, or take them off: {poll_id, shown, side}."""
        def act(poll, side, d):
            if not isinstance(d.get("shown"), bool):
                raise LiveError("shown must be true or false")
            return moves.show_moves(poll, d["shown"], side)
        return self._moves_action(data, act)

    def on_moves_get(self, data=None):
        """A poll's who-moved flows for the control screen's panel: {poll_id, side}."""
        return self._moves_action(data, lambda poll, side, _d: moves.checked_moves(poll, side))
