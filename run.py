"""Start the Socket.IO-capable server (development: `make run`; production: see `make serve`).

gevent by default (monkey-patched first, as Flask-SocketIO requires); set
SOCKETIO_ASYNC_MODE=threading for a plain-threads development server.

`python run.py --check-port [TARGET]` only checks that HOST:PORT is free (`make run` before `flask setup`,
`make serve` before gunicorn; the message names `make TARGET`).
"""

import errno
import os
import socket
import sys


def port_problem(host: str, port: int, command: str = "make run") -> str | None:
    """Why the server could not listen on host:port (one line), or None when it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does: TIME_WAIT is no obstacle
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"port {port} on {host} is already in use; choose another: {command} PORT={port + 1}"
        return f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another: {command} HOST=127.0.0.1 PORT=5001"
    return None


if __name__ == "__main__":
    HOST, PORT = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    CHECK_ONLY = "--check-port" in sys.argv[1:]  # --check-port [make target named in the message]
    target = sys.argv[sys.argv.index("--check-port") + 1:][:1] if CHECK_ONLY else []
    if problem := port_problem(HOST, PORT, f"make {(target or ['run'])[0]}"):
        print(f"workshop: {problem}", file=sys.stderr)
        sys.exit(1)
    if CHECK_ONLY:
        sys.exit(0)

if os.environ.get("SOCKETIO_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey

    monkey.patch_all()

from workshop import create_app  # noqa: E402
from workshop.extensions import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    print(f" * Serving workshop on http://{HOST}:{PORT}/", flush=True)
    socketio.run(app, host=HOST, port=PORT, allow_unsafe_werkzeug=True)
