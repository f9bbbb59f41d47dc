"""Memory growth diagnostics for soak runs: ``WORKSHOP_TRACEMALLOC=FILE`` (read by wsgi.py).

Off by default. When on, the process counts its live objects by type a minute after start, then every
minute appends to FILE the types whose counts grew most since then, and how many greenlets are alive:
what tells a leak (objects that pile up, e.g. greenlets of connections that ended) from data. Counting
walks the heap (a few hundred ms for a 150 MiB process): a pause a minute, for diagnostics only.
``WORKSHOP_TRACEMALLOC_FRAMES=N`` also traces allocation sites with tracemalloc (N frames each), which
slows the process several times over: use it on a short, small run.
"""

import gc
import os
import threading
import time
import tracemalloc
from collections import Counter

IGNORED = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]


def start(path: str, first_after: float = 60.0, every: float = 60.0, top: int = 25) -> None:
    """Report object-count growth (and allocation sites, when asked) to ``path`` every ``every`` seconds."""
    frames = int(os.environ.get("WORKSHOP_TRACEMALLOC_FRAMES") or 0)
    if frames:
        tracemalloc.start(frames)
    threading.Thread(target=_report, args=(path, first_after, every, top), daemon=True, name="memtrace").start()


def count_types() -> Counter:
    """Live objects tracked by the collector, by type name; classes also by their own name ("class X")."""
    counts = Counter()
    for obj in gc.get_objects():
        counts[type(obj).__qualname__] += 1
        if isinstance(obj, type):
            counts[f"class {getattr(obj, '__module__', '?')}.{obj.__qualname__}"] += 1
    return counts


def _report(path: str, first_after: float, every: float, top: int) -> None:
    time.sleep(first_after)
    base, started = count_types(), time.monotonic()
    base_snapshot = tracemalloc.take_snapshot().filter_traces(IGNORED) if tracemalloc.is_tracing() else None
    while True:
        time.sleep(every)
        counts = count_types()
        grown = sorted(((counts[t] - base[t], t) for t in counts), reverse=True)[:top]
        lines = [f"== {time.monotonic() - started:.0f} s after the first count: "
                 f"{sum(counts.values()) - sum(base.values()):+d} objects; greenlets {counts['Greenlet']}, "
                 f"Thread {counts['Thread']}, simple_websocket Server {counts['Server']}"]
        lines += [f"{diff:+8d} {name}" for diff, name in grown if diff > 0]
        if base_snapshot is not None:
            stats = tracemalloc.take_snapshot().filter_traces(IGNORED).compare_to(base_snapshot, "traceback")
            for stat in stats[:10]:
                lines.append(f"{stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks")
                lines.extend("    " + line for line in stat.traceback.format(limit=8))
        with open(path, "a", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
