"""gunicorn settings for one app process (`gunicorn -c deploy/gunicorn.conf.py wsgi:app`).

Flask-SocketIO needs ONE worker per process (its sessions live in memory): scale out by running
more processes on more ports behind nginx (deploy/nginx.conf, scripts/cluster.sh), not with -w.
"""

import os

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

# Thousands of long-lived sockets make each full garbage collection walk a big heap: with Python's
# default thresholds the collector paused the process often enough to dominate p99 vote latency
# (docs/performance.md). Collect the young generation every 100,000 allocations, not 700, and move
# everything loaded at start-up out of the collector's sight.
GC_THRESHOLDS = tuple(int(n) for n in os.environ.get("GC_THRESHOLDS", "100000,50,100").split(","))


def post_worker_init(worker):
    """Tune the garbage collector once the app is loaded in the worker."""
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
