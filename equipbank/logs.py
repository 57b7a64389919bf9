"""Logs: Flask's text lines by default; `LOG_FORMAT=json`, one JSON object a line.

A JSON line holds the time, level, logger and message and, inside a request, its method,
path (never the query string), the signed-in user's id and, on the line each request ends
with, its status and duration. No email, name or query string: an address that slips into a
message is replaced, and an exception gives its type and frames, not its message (a
database error quotes the values it was given).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from equipbank.timing import time_requests

EMAIL = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+")

request_log = logging.getLogger("equipbank.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": EMAIL.sub("[email]", record.getMessage()),
        }
        if has_request_context():
            entry["method"] = request.method
            entry["path"] = request.path
            entry["user_id"] = _user_id()
        for key in ("status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, ensure_ascii=False)


def _user_id() -> int | None:
    """The user Flask-Login already loaded for this request; never loaded for the log."""
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


def init_app(app: Flask) -> None:
    """With `LOG_FORMAT=json`, the JSON handler and a line at the end of each request;
    with text, Flask's own lines and nothing around the requests."""
    log_format = app.config.get("LOG_FORMAT", "text")
    if log_format not in {"text", "json"}:
        raise RuntimeError(f"LOG_FORMAT={log_format!r} inconnu ; valeurs possibles : text, json")
    if log_format != "json":
        return
    configure_json()
    app.logger.removeHandler(default_handler)

    time_requests(app, _log_request)


def _log_request(response: Response, seconds: float) -> None:
    request_log.info(
        "request",
        extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 1)},
    )


def configure_json(stream=None) -> logging.Handler:
    """One JSON handler on the root logger (once per process); every logger goes through it."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "equipbank_json", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.equipbank_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return handler
