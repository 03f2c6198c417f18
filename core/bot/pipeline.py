"""One update's way through, whatever door it came in by (the webhook, polling, the
console): claim its ``update_id``, parse it, route it, and say what became of it.

``handle`` returns ``Handled``: the Bot API call to carry in the webhook response (the
first reply of an update rides there: ``core.telegram.client``'s outbox), or why
Telegram must send the update again (``send_again``: a ``successful_payment`` whose
credit did not commit). Each door maps that to its own terms: the webhook to a 200 with
the reply or a 503, the poller to staying on the update, the console to printing it.

Updates are claimed before they are handled, so Telegram's re-sends and concurrent
copies are handled once. A payment is never claimed: its charge id is its dedupe key,
committed with its credit, so a re-sent payment is always handled again. A handler's
exception is logged and the update answered (a poison update must not come back
forever).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telebot import types

from core import logs, metrics
from core.bot import dispatch
from core.bot.dispatch import BotApp
from core.bot.texts import DEFAULT_LANGUAGE, set_language
from core.bot.updates import sender_of, update_type

log = logging.getLogger("genbot.app")


@dataclass(frozen=True)
class Handled:
    """What became of one update."""

    reply: dict | None = None  # the call to carry in the webhook response, if any
    send_again: str | None = None  # why Telegram must send it again, if it must


def _is_payment(payload: dict) -> bool:
    message = payload.get("message")
    return isinstance(message, dict) and "successful_payment" in message


class Pipeline:
    """The way in for one App: its update ledger, its Bot API client, its router (through
    ``core.bot.dispatch``, which builds each handler's ``Context`` around ``app``)."""

    def __init__(self, app: BotApp):
        self.app = app

    def handle(self, update_id: int, payload: dict) -> Handled:
        kind = update_type(payload)
        with logs.bound(update_id=update_id):
            claim = None if _is_payment(payload) else self.app.updates.claim(update_id, sender_of(payload))
            if claim is not None and not claim.first:
                log.info("update %s already processed: dropped", update_id)
                metrics.UPDATES.labels(kind, "duplicate").inc()
                return Handled()
            set_language(DEFAULT_LANGUAGE)  # until the router reads the sender's
            telegram = self.app.telegram
            telegram.open_outbox()
            try:
                send_again = dispatch.handle_update(self.app, types.Update.de_json(payload), claim)
            except Exception:
                log.exception("update %s failed", update_id)
                metrics.UPDATES.labels(kind, "error").inc()
                return Handled()
            finally:
                reply = telegram.close_outbox()
            if send_again is not None:
                metrics.UPDATES.labels(kind, "redelivery").inc()
                return Handled(send_again=send_again)
            metrics.UPDATES.labels(kind, "processed").inc()
            return Handled(reply=reply)
