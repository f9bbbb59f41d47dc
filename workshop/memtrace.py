"""Memory growth diagnostics for soak runs: ``WORKSHOP_TRACEMALLOC=FILE`` (read by wsgi.py).

Off by default (tracemalloc slows every allocation). When on, the process takes a snapshot a minute after
start, then every minute appends to FILE the allocation sites that grew most since that first snapshot,
with their tracebacks: what `make bench-soak BENCH_ARGS=--tracemalloc` uses to tell a leak from data.
"""

import threading
import time
import tracemalloc

IGNORED = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]


def start(path: str, first_after: float = 60.0, every: float = 60.0, frames: int = 12, top: int = 15) -> None:
    """Trace allocations and report the biggest growth to ``path`` every ``every`` seconds."""
    tracemalloc.start(frames)
    thread = threading.Thread(target=_report, args=(path, first_after, every, top), daemon=True,
                              name="memtrace")
    thread.start()


def _snapshot() -> tracemalloc.Snapshot:
    return tracemalloc.take_snapshot().filter_traces(IGNORED)


def _report(path: str, first_after: float, every: float, top: int) -> None:
    time.sleep(first_after)
    base, started = _snapshot(), time.monotonic()
    while True:
        time.sleep(every)
        stats = _snapshot().compare_to(base, "traceback")
        grown = sum(stat.size_diff for stat in stats)
        lines = [f"== {time.monotonic() - started:.0f} s after the first snapshot: {grown / 2**20:+.2f} MiB traced"]
        for stat in stats[:top]:
            lines.append(f"{stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks")
            lines.extend("    " + line for line in stat.traceback.format(limit=8))
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
