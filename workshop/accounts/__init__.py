"""Facilitator accounts: login, password hashing, CLI."""
