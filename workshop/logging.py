"""Structured (JSON, one object per line) logs with the request id; no personal data is ever passed in."""

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

MARK = "_workshop_json_handler"
SAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def request_id() -> str | None:
    """The HTTP request id (X-Request-Id), or the socket id for a Socket.IO event."""
    if not has_request_context():
        return None
    sid = getattr(request, "sid", None)
    rid = f"sio-{sid}" if sid else g.get("request_id")
    return SAFE.sub("", rid)[:64] if rid else None  # a client-chosen X-Request-Id cannot forge log content


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request id, Socket.IO event (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """One JSON object per record."""
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "msg": record.getMessage(),
                 "request_id": request_id()}
        event = getattr(request, "event", None) if has_request_context() else None
        if isinstance(event, dict):
            entry["event"] = event.get("message")
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr (LOG_FORMAT=text keeps the plain format); installed once per process."""
    root = logging.getLogger()
    if any(getattr(h, MARK, False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    if (app.config.get("LOG_FORMAT") or os.environ.get("LOG_FORMAT") or "json") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    setattr(handler, MARK, True)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
