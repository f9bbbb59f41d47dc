"""workshop: plan a conference workshop, register attendees, run it live."""

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import DEFAULTS, from_environment
from .extensions import csrf, db, login_manager, migrate, socketio
from .realtime.connections import ConnectionBudget, fair_websockets
from .realtime.packets import GuardedPacket, SafeJSON


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory (flaskr style): config, extensions, blueprints, events."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(DEFAULTS)
    app.config.update(from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    _tune_database(app)
    register_extensions(app)
    register_blueprints(app)
    register_socket_namespaces()
    register_signals()
    register_hooks(app)
    register_commands(app)
    return app


def _tune_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        # Long busy timeout: writers queue instead of failing under load.
        options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
    else:
        # Bounded pool: a burst must queue for connections, not storm the server.
        options.setdefault("pool_size", 10)
        options.setdefault("max_overflow", 10)
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL + busy timeout + foreign keys on every SQLite connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def register_extensions(app: Flask) -> None:
    """Bind every extension to this app."""
    from .accounts.service import load_user

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE"),
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config.get("REDIS_NAMESPACE", "workshop") + ":socketio",
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=64 * 1024,
        serializer=GuardedPacket,  # malformed packets become error acks, never tracebacks (realtime/packets.py)
        json=SafeJSON,
        ping_interval=app.config.get("SOCKETIO_PING_INTERVAL", 20),
        ping_timeout=app.config.get("SOCKETIO_PING_TIMEOUT", 20),
    )
    ConnectionBudget(app, socketio.server)  # a flooding connection is closed before its frames are decoded
    fair_websockets(socketio.server)


def register_blueprints(app: Flask) -> None:
    """Attach each area's blueprint."""
    from .accounts.views import bp as accounts_bp
    from .live.views import bp as live_bp
    from .planner.views import bp as planner_bp
    from .questions.views import bp as questions_bp
    from .registration.views import bp as registration_bp
    from .reports.views import bp as reports_bp
    from .views import bp as core_bp

    for bp in (core_bp, accounts_bp, planner_bp, registration_bp, live_bp, questions_bp, reports_bp):
        app.register_blueprint(bp)


def register_socket_namespaces() -> None:
    """Register each area's Socket.IO namespace explicitly (once per process)."""
    from .live.events import LiveNamespace
    from .questions.events import QuestionsNamespace

    # init_app built a fresh server, so registering here never duplicates handlers.
    socketio.on_namespace(LiveNamespace("/live"))
    socketio.on_namespace(QuestionsNamespace("/questions"))


def register_signals() -> None:
    """Connect the areas to the planner's signals (clone, settings saved) and to sign-out; connecting again is a no-op."""
    from .live import events, joining, reactions
    from .live import service as live
    from .questions import service as questions

    live.subscribe()
    joining.subscribe()
    reactions.subscribe()  # reaction set or switch saved in the planner: the room hears it
    questions.subscribe()
    events.subscribe()  # sign-out closes the facilitator's control screens


def register_hooks(app: Flask) -> None:
    """Security headers, request ids, proxy handling, error pages."""
    from .logging import configure_logging
    from .web import init_web

    init_web(app)
    configure_logging(app)


def register_commands(app: Flask) -> None:
    """CLI commands: create-facilitator, seed-demo, backup, import/export, purge."""
    from .cli import register

    register(app)
