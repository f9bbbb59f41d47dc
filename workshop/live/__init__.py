"""The live session: join, participants, polls, projector and control screens."""
