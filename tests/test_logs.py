"""Log lines: tagged, JSON when asked, and never a secret."""

from __future__ import annotations

import io
import json
import logging

from core import logs


def capture(secrets=(), json_format=False, monkeypatch=None):
    stream = io.StringIO()
    if json_format:
        monkeypatch.setenv("LOG_FORMAT", "json")
    logs.setup_logging("INFO", secrets, stream=stream)
    return stream


def test_text_lines_carry_request_update_and_user(monkeypatch):
    stream = capture(monkeypatch=monkeypatch)
    with logs.bound(request_id="r1", update_id=42, user_id=7):
        logging.getLogger("genbot.test").info("hello")
    assert "[req=r1 upd=42 user=7] hello" in stream.getvalue()


def test_json_lines(monkeypatch):
    stream = capture(json_format=True, monkeypatch=monkeypatch)
    with logs.bound(request_id="r2", update_id=43):
        logging.getLogger("genbot.test").warning("json %s", "line")
    entry = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert entry["message"] == "json line" and entry["update_id"] == 43 and entry["level"] == "WARNING"


def test_secrets_and_token_shapes_are_redacted(monkeypatch):
    secret = "s3cret-" + "value"  # not spelled out: the traceback quotes this file's lines
    stream = capture(secrets=[secret], monkeypatch=monkeypatch)
    log = logging.getLogger("genbot.test")
    log.info("url https://api.telegram.org/bot123456789:AAHxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/sendMessage")
    log.info("password is %s", secret)
    try:
        raise RuntimeError(f"boom with {secret} inside")
    except RuntimeError:
        log.exception("failed")
    text = stream.getvalue()
    assert "s3cret-value" not in text and "AAHxxxx" not in text and text.count("***") >= 3
