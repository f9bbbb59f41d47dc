"""The question wall: ask, upvote, moderate, project."""
