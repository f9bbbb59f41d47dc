"""Benchmark harness: a swarm of simulated phones against the real app and a bare baseline (docs/performance.md)."""

import os

# The harness joins thousands of phones from one loopback address within seconds: its servers
# (single process and cluster, which inherit this environment) must not rate-limit that.
os.environ.setdefault("JOIN_RATE", "1000000/60")
