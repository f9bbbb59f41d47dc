"""Run a blocking call that releases the GIL (password hashing) on a native thread under gevent.

Under gevent every greenlet shares one OS thread: a 100 ms scrypt during a facilitator's sign-in
froze every phone's socket for 100 ms (seen by gevent's blocking monitor during the benchmark).
hashlib releases the GIL while it hashes, so on gevent's native threadpool the hub keeps serving.
"""

from collections.abc import Callable


def in_thread(fn: Callable, *args):
    """``fn(*args)`` on gevent's threadpool when gevent has patched this process, else inline."""
    try:
        from gevent import get_hub, monkey
    except ImportError:  # gevent is optional outside production
        return fn(*args)
    if not monkey.is_module_patched("threading"):
        return fn(*args)
    return get_hub().threadpool.apply(fn, args)
