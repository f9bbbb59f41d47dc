"""Benchmark harness: a swarm of simulated phones against the real app and a bare baseline (docs/performance.md)."""
