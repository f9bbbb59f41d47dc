"""WSGI entry point for gunicorn (`-k gevent` monkey-patches before importing this)."""

import os

from workshop import create_app
from workshop.realtime import pulse

if os.environ.get("WORKSHOP_TRACEMALLOC"):  # soak diagnostics only (workshop/memtrace.py)
    from workshop import memtrace

    memtrace.start(os.environ["WORKSHOP_TRACEMALLOC"])

app = create_app()
if app.config.get("REDIS_URL"):
    pulse.start(app)  # every process competes for the flush lease, even before its first vote
