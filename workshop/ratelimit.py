"""Fixed-window rate limits shared by HTTP views and socket events.

Counts live in Redis when ``REDIS_URL`` is set (shared by every process), in memory otherwise.
A limit called with ``shared=False`` always counts in this process: the per-vote flood guard, because
a phone's socket lives on one process and a Redis round trip per vote cost the scaled-out stack a
quarter of its throughput (docs/performance.md).
"""

import threading
import time

from flask import current_app

_lock = threading.Lock()
_memory: dict[str, tuple[int, float]] = {}
_clients: dict[str, object] = {}
_swept = [0.0]  # when expired counters were last dropped


def limit(scope: str, key: str, count: int, seconds: int, shared: bool = True) -> bool:
    """Record one hit; False when ``key`` exceeded ``count`` hits in the window (of every process when shared)."""
    if current_app.config.get("RATELIMIT_ENABLED", True) is False:
        return True
    name = f"rl:{scope}:{key}:{int(time.time() // seconds)}"
    url = current_app.config.get("REDIS_URL") if shared else None
    hits = _redis_hit(url, name, seconds) if url else _memory_hit(name, seconds)
    return hits <= count


def _memory_hit(name: str, seconds: int) -> int:
    now = time.monotonic()
    with _lock:
        hits, expires = _memory.get(name, (0, now + seconds))
        if expires < now:
            hits, expires = 0, now + seconds
        _memory[name] = (hits + 1, expires)
        if now > _swept[0] + 60 or len(_memory) > 50_000:
            _sweep(now)
        return hits + 1


def _sweep(now: float) -> None:
    # Once a minute: keys of sockets and phones that are gone would otherwise pile up for a whole day.
    _swept[0] = now
    for name in [n for n, (_, exp) in _memory.items() if exp < now]:
        del _memory[name]


def _redis_hit(url: str, name: str, seconds: int) -> int:
    client = redis_client(url)
    pipe = client.pipeline()
    pipe.incr(name)
    pipe.expire(name, seconds + 1)
    return pipe.execute()[0]


def redis_client(url: str):
    """One bounded-pool Redis client per URL (unbounded pools storm under gevent)."""
    if url not in _clients:
        import redis

        pool = redis.BlockingConnectionPool.from_url(url, max_connections=32, timeout=5)
        _clients[url] = redis.Redis(connection_pool=pool)
    return _clients[url]


# --- failures with a growing lock (sign-in) -------------------------------------------------

def locked_for(scope: str, key: str) -> int:
    """Seconds until ``key`` may try again (0: not locked); shared through Redis when REDIS_URL is set."""
    if current_app.config.get("RATELIMIT_ENABLED", True) is False:
        return 0
    name = f"rl:{scope}:{key}:lock"
    url = current_app.config.get("REDIS_URL")
    if url:
        return max(0, redis_client(url).ttl(name))
    with _lock:
        _, expires = _memory.get(name, (0, 0.0))
    return max(0, int(expires - time.monotonic() + 0.999))


def record_failure(scope: str, key: str, allowed: int, window: int, lock: int, max_lock: int) -> int:
    """Count a failure; the ``allowed``-th within ``window`` s locks ``key`` for ``lock`` s, doubling with each
    lock in the past day up to ``max_lock``. Returns the lock's length (0 when not locked now)."""
    if current_app.config.get("RATELIMIT_ENABLED", True) is False:
        return 0
    base = f"rl:{scope}:{key}"
    url = current_app.config.get("REDIS_URL")
    failures = _redis_hit(url, base + ":fails", window) if url else _memory_hit(base + ":fails", window)
    if failures < allowed:
        return 0
    strikes = _redis_hit(url, base + ":strikes", 86_400) if url else _memory_hit(base + ":strikes", 86_400)
    seconds = min(max_lock, lock * 2 ** (strikes - 1))
    if url:
        client = redis_client(url)
        client.pipeline().set(base + ":lock", strikes, ex=seconds).delete(base + ":fails").execute()
    else:
        with _lock:
            _memory[base + ":lock"] = (strikes, time.monotonic() + seconds)
            _memory.pop(base + ":fails", None)
    return seconds


def clear_failures(scope: str, key: str) -> None:
    """Forget ``key``'s failures (a successful sign-in); its lock history stays for the day."""
    name = f"rl:{scope}:{key}:fails"
    url = current_app.config.get("REDIS_URL")
    if url:
        redis_client(url).delete(name)
    else:
        with _lock:
            _memory.pop(name, None)
