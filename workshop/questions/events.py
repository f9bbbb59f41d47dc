"""The /questions Socket.IO namespace."""

from flask_socketio import Namespace


class QuestionsNamespace(Namespace):
    """Ask, upvote and moderate questions."""
