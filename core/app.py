"""The application object: what one serve process holds, and what plugins are given.

``App`` ties the pieces together — configuration, the database pool, the user cache,
balances, the Bot API client and the router — and processes one update:
``process_update(payload)`` returns the Bot API call to carry in the webhook
response, if any.
"""

from __future__ import annotations

import logging

from telebot import types

from core import dispatch, handlers, logs
from core.balances import Balances
from core.config import Config, DatabaseSettings
from core.conversations import Conversations
from core.db import Database
from core.menu import Menu
from core.plugins import PluginHost
from core.telegram import TelegramApi
from core.updates import UpdateLedger
from core.users import UserCache, ensure_user_exists

log = logging.getLogger("genbot.app")


# Update fields whose object carries the sender as "from".
_SENDER_FIELDS = ("message", "callback_query", "edited_message", "pre_checkout_query",
                  "shipping_query", "inline_query", "chosen_inline_result", "my_chat_member")


def sender_of(payload: dict) -> dict | None:
    """The ``from`` of an update as Telegram sent it, or None."""
    for name in _SENDER_FIELDS:
        part = payload.get(name)
        if isinstance(part, dict) and isinstance(part.get("from"), dict):
            return part["from"]
    return None


class App:
    def __init__(self, config: Config, database: DatabaseSettings, *, local_sink=None,
                 plugins: PluginHost | None = None):
        self.config = config
        self.db = Database(database, minconn=config.db_pool_min, maxconn=config.db_pool_max,
                           wait_s=config.db_pool_wait_s,
                           statement_timeout_ms=config.db_statement_timeout_ms)
        self.user_cache = UserCache(ttl_s=config.user_cache_ttl_s)
        self.balances = Balances(self.db, self.user_cache)
        self.updates = UpdateLedger(self.db, self.user_cache)
        self.conversations = Conversations(self.db)
        self.telegram = TelegramApi(config.bot_token, config.telegram_api_url,
                                    local_sink=local_sink)
        self.router = dispatch.Router()
        self.menu = Menu()
        handlers.register(self)
        self.plugins = plugins or PluginHost(config.plugins_file).load()
        self.plugins.on_users_table_back = self.user_cache.forget
        self.plugins.install(self)
        self.balances.listeners.append(self._tell_plugins_of_balance_change)
        self.plugins.start_probing(self.db, config.plugin_probe_interval_s)
        dispatch.install(self, self.telegram.bot)

    def _tell_plugins_of_balance_change(self, change) -> None:
        self.plugins.call("balance_changed", app=self, change=change)

    # -- what handlers and plugins use -------------------------------------------------

    def ensure_user(self, user: types.User) -> bool:
        return ensure_user_exists(self.db, self.user_cache, user.id, user.username,
                                  user.first_name, user.last_name)

    def add_button(self, label: str, handler, *, order: int = 100, owner: str = "core",
                   needs_db: bool = True) -> None:
        """Put a button in the main menu together with the handler that answers it."""
        self.router.button(label, handler, owner, needs_db=needs_db)
        self.menu.add(label, order, owner)

    def main_menu(self):
        return self.menu.keyboard()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.config.admin_ids

    # -- one update --------------------------------------------------------------------

    def process_update(self, payload: dict) -> dict | None:
        """Handle one update; return the call to put in the webhook response, if any."""
        update = types.Update.de_json(payload)
        self.telegram.open_outbox()
        try:
            self.telegram.bot.process_new_updates([update])
        finally:
            response = self.telegram.close_outbox()
        return response

    def handle_webhook_update(self, update_id: int, payload: dict) -> dict | None:
        """Dedupe, then process; a handler's exception is logged, never re-raised."""
        with logs.bound(update_id=update_id):
            if not self.updates.claim(update_id, sender_of(payload)):
                log.info("update %s already processed: dropped", update_id)
                return None
            try:
                return self.process_update(payload)
            except Exception:
                log.exception("update %s failed", update_id)
                return None

    def close(self) -> None:
        self.plugins.stop()
        self.db.close()
