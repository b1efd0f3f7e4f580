"""Logging: one handler on the root logger, writing to standard output.

Every line carries the request id (`-` outside a request). Production writes
one JSON object a line (`LOG_FORMAT=json`); development writes plain text.
A redaction filter masks bearer tokens, JWT-looking strings and password,
token and secret values, as a safety net behind code that never logs them.

`app.access` logs one line per request (method, path without the query
string, status, duration in milliseconds), the same under `flask run` and
gunicorn. `gunicorn_logconfig` gives gunicorn's own loggers the same handler.

Named `logging_setup` so that it never shadows the standard `logging` module.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from flask import Flask, Response, g, request
from flask.logging import default_handler

from app.http.request_id import current_request_id

NO_REQUEST_ID = "-"
MASK = "[REDACTED]"
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

access_logger = logging.getLogger("app.access")

# A JWT is three base64url parts; its header always starts with `{"`, which
# is `eyJ` in base64. Other three-part tokens need longer parts to count, so
# that dotted names (app.schema.view) stay readable.
_BASE64URL = r"[A-Za-z0-9_-]"
_JWT = re.compile(
    rf"\beyJ{_BASE64URL}*\.{_BASE64URL}+\.{_BASE64URL}*"
    rf"|\b{_BASE64URL}{{16,}}\.{_BASE64URL}{{16,}}\.{_BASE64URL}{{16,}}"
)
_BEARER = re.compile(r"(?i)\bbearer\s+[^\s\"',;]+")
# `password=...`, `"password": "..."`, `newPassword: ...`, `Authorization:
# Basic ...`, `refresh_token=...`: the value after the key, quoted or not.
_SECRET_KEY = (
    r"[\w-]*(?:password|passwd|secret|authorization|api[_-]?key)[\w-]*"
    r"|[\w-]*token\b"
)
_SECRET_VALUE = re.compile(
    rf"(?i)(?P<key>[\"']?\b(?:{_SECRET_KEY})(?:\\?[\"'])?\s*[:=]\s*)"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
    r"|(?:(?:bearer|basic)\s+)?(?:\[REDACTED\]|[^\s,;&}\]\)]+))"
)


def redact(text: str) -> str:
    """`text` with tokens and password-like values replaced by [REDACTED]."""
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(f"Bearer {MASK}", text)
    return _SECRET_VALUE.sub(_mask_value, text)


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match.group('key')}{quote}{MASK}{quote}"


class RequestIdFilter(logging.Filter):
    """Sets `record.request_id`: the current request's id, else "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(getattr(record, "request_id", None), str):
            record.request_id = current_request_id() or NO_REQUEST_ID
        return True


class RedactionFilter(logging.Filter):
    """Replaces the message with its redacted form (and drops the arguments
    it was built from), so no later handler sees a token or password."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message`, traceback redacted too."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = NO_REQUEST_ID
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message,
    request_id, the access fields when present, and exc_info as a string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),  # RedactionFilter has redacted it
            "request_id": getattr(record, "request_id", NO_REQUEST_ID),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exc_info"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc_info"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack_info"] = redact(self.formatStack(record.stack_info))
        try:
            return orjson.dumps(entry, default=str).decode()
        except TypeError:  # what orjson refuses: a lone surrogate, a huge int
            return json.dumps(entry, ensure_ascii=False, default=str)


class StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stdout` is at the time of each record, so
    that a replaced stdout (pytest's capture) is never written after it is
    closed."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def make_handler(log_format: str) -> logging.Handler:
    """The handler every log line goes through: request id, redaction, and
    the JSON or text formatter. Marked so a later call can replace it."""
    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}")
    handler = StdoutHandler()
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactionFilter())
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    handler.setFormatter(formatter)
    handler._contacts_api = True  # type: ignore[attr-defined]
    return handler


def log_format_for(settings: Any) -> str:
    """`LOG_FORMAT` when set, else json in production and text elsewhere."""
    default = "json" if settings.get("ENV_NAME") == "production" else "text"
    log_format: str = (settings.get("LOG_FORMAT") or default).strip().lower()
    return log_format


def install_root_handler(log_format: str, level: str | int) -> logging.Handler:
    """Replace the handler an earlier call installed (one app after another
    in a test run, or the app after gunicorn's master) with a fresh one.
    Other handlers, such as pytest's caplog, are left alone."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_contacts_api", False):
            root.removeHandler(old)
    handler = make_handler(log_format)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def configure_logging(app: Flask) -> None:
    """Root handler by LOG_FORMAT and LOG_LEVEL, and the access log."""
    install_root_handler(log_format_for(app.config), app.config["LOG_LEVEL"])
    # Flask's own stderr handler on `app` would print app.* lines twice.
    logging.getLogger(app.name).removeHandler(default_handler)
    if app.config.get("ACCESS_LOG", True):
        app.before_request(start_timer)
        app.after_request(log_access)


def start_timer() -> None:
    g.request_started = time.perf_counter()


def log_access(response: Response) -> Response:
    """One `app.access` line per request. The path leaves out the query
    string, where a GET request's variables (a password) would be."""
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    access_logger.info(
        "%s %s %s %sms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
        },
    )
    return response


def gunicorn_logconfig(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A `logconfig_dict` for gunicorn: its master's and workers' own lines
    (gunicorn.error) go through the same handler as the app's. gunicorn's
    access log stays off: the app writes the access line (`app.access`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {
                "level": "WARNING",
                "handlers": [],
                "propagate": False,
            },
        },
        "handlers": {
            "stdout": {
                "()": "app.logging_setup.make_handler",
                "log_format": log_format,
            }
        },
        "formatters": {},
    }
