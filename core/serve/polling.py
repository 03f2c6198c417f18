"""``BOT_MODE=polling``: getUpdates instead of a webhook, for local work with a real token.

The poller hands each raw update to the same ``app.pipeline.handle`` the webhook
uses — same handlers, same dedupe by ``update_id`` — and sends the reply a webhook
response would have carried. It deletes any webhook first (Telegram refuses
getUpdates while one is set), keeping pending updates.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from telebot import apihelper

from core import logs

if TYPE_CHECKING:  # the App is built later than this module is imported (serve's metrics)
    from core.app import App

log = logging.getLogger("genbot.polling")


class Poller:
    def __init__(self, app: App, long_poll_s: int = 25):
        self.app = app
        self.long_poll_s = long_poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Poller:
        self._thread = threading.Thread(target=self.run, name="telegram-polling", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        token = self.app.config.bot_token
        try:
            self.app.telegram.stop_webhook()
        except Exception as exc:
            log.warning("deleteWebhook failed: %s", logs.first_line(exc))
        offset, pause = None, 1.0
        log.info("polling Telegram for updates")
        while not self._stop.is_set():
            try:
                updates = apihelper.get_updates(token, offset=offset, limit=100, timeout=self.long_poll_s,
                                                long_polling_timeout=self.long_poll_s)
                pause = 1.0
            except Exception as exc:
                log.warning("getUpdates failed: %s; retrying in %.0f s",
                            logs.first_line(exc), pause)
                self._stop.wait(pause)
                pause = min(pause * 2, 60)
                continue
            for raw in updates or []:
                update_id = raw.get("update_id")
                if type(update_id) is not int:
                    continue
                handled = self.app.pipeline.handle(update_id, raw)
                if handled.send_again is not None:
                    # Not past this update: getUpdates gives it again after the pause.
                    self._stop.wait(pause)
                    pause = min(pause * 2, 60)
                    break
                offset = update_id + 1
                reply = handled.reply
                if reply is not None:
                    method = reply.pop("method")
                    try:
                        self.app.telegram.call(method, reply)
                    except Exception:
                        log.exception("update %s: could not send the reply", update_id)
