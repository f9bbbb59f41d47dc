"""The /questions Socket.IO namespace: handlers validate, authorise and delegate to the service."""

import logging

from flask import request
from flask_login import current_user
from flask_socketio import emit, join_room

from ..live.events import load_client, resolve_client
from ..realtime.namespace import WorkshopNamespace, error
from . import moderation, service, wall
from .service import QuestionError

log = logging.getLogger("workshop.questions.events")


def _payload(data) -> dict | None:
    """The event payload as a dict (None when it is not an object)."""
    if data is None:
        return {}
    return data if isinstance(data, dict) else None


class QuestionsNamespace(WorkshopNamespace):
    """Ask, upvote and moderate questions."""

    resolve = staticmethod(resolve_client)  # the same rules as /live
    load = staticmethod(load_client)

    def on_connect(self, auth=None):
        """Authorise (same rules as /live), join rooms, send the whole wall (and a phone's own questions)."""
        workshop, client, participant = self.admit(auth)
        loaded = wall.load_wall(workshop.id)
        emit("wall", wall.wall_state(workshop, client.role, loaded), to=request.sid)
        if participant is not None:
            join_room(wall.participant_room(participant.id))
            emit("mine", wall.mine(participant, loaded), to=request.sid)

    def on_state(self, _data=None):
        """Resynchronise: the full wall (and a phone's own questions) as the ack."""
        client, workshop, participant = self.context()
        if refused := self.resync_refusal(client, workshop):
            return refused
        loaded = wall.load_wall(workshop.id)  # once: the wall and the phone's own questions share it
        ack = {"ok": True, "wall": wall.wall_state(workshop, client.role, loaded)}
        if participant is not None:
            ack["mine"] = wall.mine(participant, loaded)
        return ack

    def _phone(self, data):
        client, workshop, participant = self.context()
        if client is None or client.role != "phone" or participant is None or workshop is None:
            return None, None, None, error("only phones that joined the workshop can do this")
        data = _payload(data)
        if data is None:
            return None, None, None, error("payload must be an object")
        return workshop, participant, data, None

    def on_ask(self, data=None):
        """A phone asks {text, name?}: acknowledged with the question once it is saved."""
        workshop, participant, data, refused = self._phone(data)
        if refused:
            return refused
        try:
            question = service.ask_question(workshop, participant, data.get("text"), data.get("name"))
        except QuestionError as exc:
            return error(str(exc))
        return {"ok": True, "question": wall.new_question_payload(question)}

    def on_upvote(self, data=None):
        """A phone toggles its upvote {question_id}."""
        workshop, participant, data, refused = self._phone(data)
        if refused:
            return refused
        try:
            result = service.toggle_upvote(participant, data.get("question_id"))
        except QuestionError as exc:
            return error(str(exc))
        return {"ok": True, **result}

    def _moderate(self, data, action, *fields):
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        try:
            question = getattr(moderation, action)(workshop, *(data.get(f) for f in fields), by=current_user)
        except QuestionError as exc:
            return error(str(exc))
        return {"ok": True, "question": wall.my_question(question)}

    def on_approve(self, data=None):
        """Put a held question on the wall {question_id}."""
        return self._moderate(data, "approve", "question_id")

    def on_dismiss(self, data=None):
        """Dismiss {question_id, reason} (reason: duplicate, off-topic, abusive, answered-elsewhere)."""
        return self._moderate(data, "dismiss", "question_id", "reason")

    def on_merge(self, data=None):
        """Merge a duplicate {question_id, into_id}: votes combine."""
        return self._moderate(data, "merge", "question_id", "into_id")

    def on_highlight(self, data=None):
        """Show {question_id} as 'now answering' on the projector."""
        return self._moderate(data, "highlight", "question_id")

    def on_unhighlight(self, data=None):
        """Stop showing {question_id} as 'now answering'."""
        return self._moderate(data, "unhighlight", "question_id")

    def on_mark_answered(self, data=None):
        """Move {question_id} to the answered list."""
        return self._moderate(data, "mark_answered", "question_id")

    def on_undo(self, data=None):
        """Undo {action_id} or, without it, the workshop's latest moderation step."""
        return self._moderate(data, "undo", "action_id")

    def on_set_moderation(self, data=None):
        """Switch new questions between {mode: "post"} (straight to the wall) and {mode: "queue"}."""
        workshop, data, refused = self.control(data)
        if refused:
            return refused
        try:
            service.set_moderation(workshop, data.get("mode"))
        except QuestionError as exc:
            return error(str(exc))
        return {"ok": True, "moderation": workshop.moderation.value}
