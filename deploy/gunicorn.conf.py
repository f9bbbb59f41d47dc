"""gunicorn settings for one app process (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Flask-SocketIO needs ONE worker per process (its sessions live in memory): scale out by running
more processes on more ports behind nginx (deploy/nginx.conf, scripts/cluster.sh), not with -w.
"""

import os
import re
from pathlib import Path

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}")
workers = 1
worker_class = "gevent"
# The gevent worker's default of 1,000 connections caps the phones per process: raise it.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
backlog = 2048
timeout = 60
graceful_timeout = 20
keepalive = 75
accesslog = os.environ.get("ACCESS_LOG") or None  # off by default: one line per poll request is noise
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = os.environ.get("PROC_NAME", "workshop")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each process its own control socket (`gunicornc -s PATH`): gunicorn's default is one path per user
# (~/.gunicorn/gunicorn.ctl), which every process on the machine would take over from the previous one
# and the first to stop would delete. Default: instance/gunicorn-<bind address>.ctl.
control_socket = os.environ.get("CONTROL_SOCKET") or str(
    Path(__file__).resolve().parents[1] / "instance" / f"gunicorn-{re.sub(r'[^A-Za-z0-9.]+', '-', bind)}.ctl")

# Thousands of long-lived sockets make every older-generation collection walk a big heap, and each
# Socket.IO event leaves a little cyclic garbage (werkzeug's URL matcher): with Python's default
# thresholds (700, 10, 10) the collector paused the process so often that p99 vote latency at
# 1,500 votes/s was 0.56 s; with these it was 0.12 s (docs/performance.md). Young collections stay
# short when little of what they find is garbage: the group-commit rounds build their statements once
# (live/service.py round_people), because statements built per round left cyclic garbage that made
# single young collections pause 50-70 ms with 2,500 phones connected and 2,000 reacting. 5,000 kept
# those pauses shorter but cost throughput at 2,000 votes/s (more objects promoted, more full
# collections): "Reactions while the room votes". Full collections are left to Python's own "heap grew
# by 25 %" rule, and what the app loaded at start-up is frozen out of the collector's sight.
GC_THRESHOLDS = tuple(int(n) for n in os.environ.get("GC_THRESHOLDS", "20000,20,1000").split(","))


def post_worker_init(worker):
    """Tune the garbage collector once the app is loaded in the worker."""
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
