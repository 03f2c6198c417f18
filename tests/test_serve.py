"""`run.py serve` as a real process, spoken to over HTTP, with a stand-in Bot API."""

from __future__ import annotations

import pytest
import requests

from core.config import derived_webhook_secret
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN
from genbot.testing.postgres import url_for
from tests.support.serve import ServeProcess, base_env, run_cli, serve_env

pytestmark = pytest.mark.slow


def test_serve_answers_start_once_and_guards_the_webhook(db_settings, bot_api, tmp_path):
    server = ServeProcess(serve_env(db_settings, bot_api, WEB_THREADS=4), cwd=tmp_path)
    try:
        server.wait_ready()
        update = updates.message(601, "/start", first_name="Вера")
        first = server.webhook(update)
        assert first.status_code == 200
        body = first.json()
        assert body["method"] == "sendMessage" and body["chat_id"] == 601
        assert "Вера" in body["text"]
        assert "💰 Баланс" in [b["text"] for row in body["reply_markup"]["keyboard"] for b in row]
        again = server.webhook(update)
        assert again.status_code == 200 and again.content == b""
        assert server.webhook(updates.message(602, "/start"), secret="wrong").status_code == 403
        assert server.webhook(updates.message(602, "/start"), secret=None).status_code == 403
        malformed = requests.post(server.url + "/webhook", data=b"{not json",
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
        assert malformed.status_code == 400
        assert requests.get(server.url + "/readyz", timeout=5).json()["status"] == "ready"
        assert bot_api.calls_to("sendMessage") == []
    finally:
        assert server.stop() == 0


def test_serve_sets_the_webhook_with_its_secret_and_keeps_pending_updates(db_settings, bot_api, tmp_path):
    env = serve_env(db_settings, bot_api, WEBHOOK_SECRET=None, WEBHOOK_URL="https://bot.example.com/")
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        call = bot_api.wait_for("setWebhook")[0]
        assert call["url"] == "https://bot.example.com/webhook"
        assert call["secret_token"] == derived_webhook_secret(TOKEN)
        assert call.get("drop_pending_updates") in (None, "False", "false")
        # and the webhook accepts exactly that secret
        assert server.webhook(updates.message(603, "/help"),
                    secret=derived_webhook_secret(TOKEN)).status_code == 200
    finally:
        server.stop()
    assert TOKEN not in server.log()


def test_serve_refuses_to_start_without_the_users_table(empty_db_settings, tmp_path):
    result = run_cli("serve", env=base_env(DATABASE_URL=url_for(empty_db_settings)), cwd=tmp_path,
                     timeout=60)
    assert result.returncode == 1
    assert "genbot migrate" in result.stderr


def test_auto_migrate_builds_the_schema_then_serves(empty_db_settings, tmp_path):
    env = base_env(DATABASE_URL=url_for(empty_db_settings), AUTO_MIGRATE=1, WEB_CONCURRENCY=1,
                   DB_POOL_MIN=1)
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready(path="/readyz")
    finally:
        assert server.stop() == 0
