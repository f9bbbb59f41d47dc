"""Password hashing must not freeze a gevent server's other sockets."""

import subprocess
import sys
import textwrap

from werkzeug.security import check_password_hash, generate_password_hash

from workshop.offload import in_thread


def test_inline_without_gevent_patching():
    digest = in_thread(generate_password_hash, "correct horse", "scrypt")
    assert in_thread(check_password_hash, digest, "correct horse") is True


def test_under_gevent_other_greenlets_keep_running_while_a_password_hashes():
    # A fresh interpreter: monkey-patching must come first, as in gunicorn's gevent worker.
    script = textwrap.dedent("""
        from gevent import monkey; monkey.patch_all()
        import gevent, time
        from werkzeug.security import generate_password_hash
        from workshop.offload import in_thread
        ticks = []
        def ticker():
            while True:
                ticks.append(time.perf_counter()); gevent.sleep(0.005)
        gevent.spawn(ticker); gevent.sleep(0.02)
        start = time.perf_counter()
        in_thread(generate_password_hash, "correct horse", "scrypt:131072:8:1")
        took = time.perf_counter() - start
        during = [b - a for a, b in zip(ticks, ticks[1:]) if a >= start]
        print(round(took, 3), round(max(during), 3), len(during))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    took, longest_gap, ticks = float(out[0]), float(out[1]), int(out[2])
    assert took > 0.1  # the hashing was real work...
    assert longest_gap < took / 2 and ticks >= 5  # ...and the hub kept switching meanwhile (inline: one gap = took)
