"""An App wired to a test database and the Bot API stand-in, served in-process."""

from __future__ import annotations

from core.app import App
from core.config import load_config
from core.web import create_web_app

TOKEN = "123456789:AAH-test-token-for-genbot-0123456789abc"
SECRET = "test-webhook-secret"


def make_app(db_settings, bot_api, **env):
    config = load_config({"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET,
                          "TELEGRAM_API_URL": bot_api.url, "DB_POOL_MIN": "1", **env})
    app = App(config, db_settings)
    return app, create_web_app(app).test_client()


def post_update(client, update: dict, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhook", json=update, headers=headers)
