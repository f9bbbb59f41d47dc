"""Start the Socket.IO-capable server (development: `make run`; production: see `make serve`).

gevent by default (monkey-patched first, as Flask-SocketIO requires); set
SOCKETIO_ASYNC_MODE=threading for a plain-threads development server.
"""

import os

if os.environ.get("SOCKETIO_ASYNC_MODE", "gevent") == "gevent":
    from gevent import monkey

    monkey.patch_all()

from workshop import create_app  # noqa: E402
from workshop.extensions import socketio  # noqa: E402

app = create_app()

if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    print(f" * Serving workshop on http://{host}:{port}/", flush=True)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
