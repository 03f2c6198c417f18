"""An App wired to a test database and the Bot API stand-in, served in-process.

``Bot`` is the short way: a user sends an update, the test reads everything the bot
sent for it — the webhook's answer and the Bot API calls — as dicts of the Bot API's
parameters with a ``method``::

    bot = Bot(db_settings, bot_api, plugins_toml="[notes]\nmax_length = 50\n")
    [reply] = bot.say(42, "/notes")
    assert reply["text"] == "📝 Заметок пока нет."

``make_app`` and ``exchange`` are the parts it is made of.
"""

from __future__ import annotations

from core.app import App
from core.config import load_config
from core.host.plugin_host import PluginHost
from core.serve.web import create_web_app
from genbot.testing import updates

TOKEN = "123456789:AAH-test-token-for-genbot-0123456789abc"
SECRET = "test-webhook-secret"


def make_app(db_settings, bot_api, *, extra_plugins=(), plugins_toml: str | None = None,
             tmp_path=None, **env):
    """An App on ``db_settings``; ``plugins_toml`` is written to a file it reads."""
    if plugins_toml is not None:
        path = tmp_path / "plugins.toml"
        path.write_text(plugins_toml, encoding="utf-8")
        env["PLUGINS_FILE"] = str(path)
    env.setdefault("PLUGINS_FILE", "/nonexistent/plugins.toml")
    config = load_config({"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET,
                          "TELEGRAM_API_URL": bot_api.url, "DB_POOL_MIN": "1",
                          "PLUGIN_PROBE_INTERVAL": "0", **env})
    host = PluginHost(config.plugins_file, env=env).load(extra=tuple(extra_plugins))
    app = App(config, db_settings, plugins=host)
    return app, create_web_app(app).test_client()


def post_update(client, update: dict, secret: str | None = SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhook", json=update, headers=headers)


def exchange(client, bot_api, update: dict) -> list[dict]:
    """Everything the bot sent for one update: the webhook response and any Bot API calls."""
    before = len(bot_api.calls)
    response = client.post("/webhook", json=update,
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200
    sent = [dict(params, method=method) for method, params in bot_api.calls[before:]]
    if response.data:
        sent.append(response.get_json())
    return sent


def messages(sent: list[dict]) -> list[dict]:
    return [m for m in sent if m.get("method") == "sendMessage"]


def texts(sent: list[dict]) -> list[str]:
    return [m["text"] for m in messages(sent)]


def shown(sent: list[dict]) -> list[str]:
    """What the user read: new messages and messages the bot changed in place."""
    return [m["text"] for m in sent if m.get("method") in ("sendMessage", "editMessageText")]


def inline_buttons(message: dict) -> dict[str, str]:
    """label -> callback_data of a sent message's inline keyboard."""
    import json as _json
    markup = message.get("reply_markup")
    if isinstance(markup, str):
        markup = _json.loads(markup)
    return {b["text"]: b.get("callback_data") for row in (markup or {}).get("inline_keyboard", [])
            for b in row}


class Bot:
    """The App with its webhook, for tests that talk to it as Telegram users do."""

    def __init__(self, db_settings, bot_api, *, extra_plugins=(), plugins_toml: str | None = None,
                 tmp_path=None, **env):
        self.bot_api = bot_api
        self.app, self.client = make_app(db_settings, bot_api, extra_plugins=extra_plugins,
                                         plugins_toml=plugins_toml, tmp_path=tmp_path, **env)

    def send(self, update: dict) -> list[dict]:
        """Everything the bot sent for ``update`` (built with ``genbot.testing.updates``)."""
        return exchange(self.client, self.bot_api, update)

    def say(self, user_id: int, text: str, **user_fields) -> list[dict]:
        """A user sends a text (a command, a menu button's label, anything)."""
        return self.send(updates.message(user_id, text, **user_fields))

    def tap(self, user_id: int, callback_data: str, **user_fields) -> list[dict]:
        """A user presses an inline button."""
        return self.send(updates.callback(user_id, callback_data, **user_fields))

    def close(self) -> None:
        self.app.close()
