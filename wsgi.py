"""WSGI entry point for gunicorn (`-k gevent` monkey-patches before importing this)."""

import gc
import os

from workshop import create_app
from workshop.realtime import pulse

if os.environ.get("WORKSHOP_TRACEMALLOC"):  # soak diagnostics only (workshop/memtrace.py)
    from workshop import memtrace

    memtrace.start(os.environ["WORKSHOP_TRACEMALLOC"])

app = create_app()
# What start-up built lives as long as the process: out of the collector's sight, full collections stay
# cheap and come often enough to free the cyclic garbage of ended connections (docs/performance.md, Soak).
gc.freeze()
if app.config.get("REDIS_URL"):
    pulse.start(app)  # every process competes for the flush lease, even before its first vote
