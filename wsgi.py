"""WSGI entry point for gunicorn (`-k gevent` monkey-patches before importing this)."""

from workshop import create_app, pulse

app = create_app()
if app.config.get("REDIS_URL"):
    pulse.start(app)  # every process competes for the flush lease, even before its first vote
