"""Routing an update to its handler: commands, menu buttons, callback data, flows.

``handle_update`` writes the sender unless claiming the update did (``core.bot.updates``),
then hands over to ``Router``, which finds the handler by dictionary lookup: a
command, a menu button, a callback prefix, and for any other message the flow the
user is in (their conversation state, read once per update) — or, in no flow, the
last resort. Every handler runs isolated: a database outage or a missing table
answers the seed's "⚠️ База временно недоступна", any other exception is logged with
the handler's owner and answered politely. Nothing an update carries is left without
an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import psycopg2.errors
from telebot import types, util

from core import logs
from core.accounts.users import UserCache
from core.bot.conversations import Conversations
from core.bot.texts import pick_language, set_language, t
from core.bot.updates import SENDER_FIELDS, Claim, UpdateLedger
from core.db import DEGRADED_ERRORS
from core.telegram.client import TelegramApi

log = logging.getLogger("genbot.dispatch")


class RedeliveryNeeded(Exception):
    """Raised by a ``successful_payment`` handler (or the plugin host, for a degraded
    payments plugin) whose work must not be lost and did not commit: the route turns it
    into ``Context.redelivery``, which ``handle_update`` returns and the pipeline reports
    as ``Handled.send_again`` (the webhook answers 503, the poller stays on the update)."""


class BotApp(Protocol):
    """What the bot floor uses of the application (``core.app.App`` is one): handlers on
    higher floors reach the rest of it through their own floor's view of the same App."""

    telegram: TelegramApi
    conversations: Conversations
    router: Router
    updates: UpdateLedger
    user_cache: UserCache

    def is_admin(self, user_id: int | None) -> bool: ...

    def main_menu(self) -> types.ReplyKeyboardMarkup: ...

    def ensure_user(self, user: types.User) -> bool: ...


@dataclass
class Context:
    """One update as a handler sees it, with the ways to answer."""

    app: BotApp
    user_id: int | None
    chat_id: int | None
    message: types.Message | None = None
    callback: types.CallbackQuery | None = None
    data: dict = field(default_factory=dict)
    pre_checkout: types.PreCheckoutQuery | None = None
    answered: bool = False  # the button press was answered (Telegram takes one answer)
    redelivery: str | None = None  # why Telegram must send this update again, if it must

    @property
    def update_id(self):
        return logs.current("update_id")

    @property
    def conversation(self) -> tuple[str, dict] | None:
        """The user's flow and what it holds, or None: read from the database once per
        update (``Conversations.one_update``), however many handlers ask."""
        return self.app.conversations.get(self.user_id) if self.user_id is not None else None

    @property
    def text(self) -> str:
        return (self.message.text or "") if self.message is not None else ""

    @property
    def user(self) -> types.User | None:
        source = self.callback or self.message or self.pre_checkout
        return source.from_user if source is not None else None

    def reply(self, text: str, markup=None, **extra) -> None:
        """Send a message to this chat (as the webhook response when possible)."""
        if self.chat_id is not None:
            self.app.telegram.reply(self.chat_id, text, markup, **extra)

    def reply_with_menu(self, text: str) -> None:
        self.reply(text, self.app.main_menu())

    @property
    def message_id(self) -> int | None:
        """The message whose button was pressed."""
        message = self.callback.message if self.callback is not None else None
        return message.message_id if message is not None else None

    def can_edit(self) -> bool:
        """A button under a text message: that message can become the next screen."""
        message = self.callback.message if self.callback is not None else None
        return message is not None and getattr(message, "content_type", None) == "text"

    def show(self, text: str, markup=None) -> int | None:
        """The next screen of a flow: the pressed button's message turns into it (one
        message per flow, not one per step); typed input gets a new message. The id of
        the message shown, when known."""
        if self.chat_id is not None and self.message_id is not None and self.can_edit() \
                and self.app.telegram.edit(self.chat_id, self.message_id, text, markup):
            return self.message_id
        self.reply(text, markup)
        return None

    def answer_pre_checkout(self, ok: bool, error: str | None = None) -> None:
        """Telegram waits at most 10 s for this: it travels in the webhook response."""
        assert self.pre_checkout is not None, "no pre-checkout query to answer"
        self.app.telegram.call_or_defer("answerPreCheckoutQuery", {
            "pre_checkout_query_id": self.pre_checkout.id, "ok": ok,
            "error_message": None if ok else error})

    def answer_or_reply(self, text: str) -> None:
        """Answer a button press as an alert (a message if it was answered already), a
        message with a reply."""
        if self.pre_checkout is not None:
            self.answer_pre_checkout(False, text)
        elif self.callback is not None and not self.answered:
            self.answer_callback(text, alert=True)
        else:
            self.reply(text)

    def answer_callback(self, text: str | None = None, alert: bool = False) -> None:
        if self.callback is not None and not self.answered:
            self.answered = True
            self.app.telegram.call_or_defer("answerCallbackQuery", {
                "callback_query_id": self.callback.id, "text": text,
                "show_alert": alert or None})


@dataclass(frozen=True)
class Route:
    handler: Callable
    owner: str  # "core" or a plugin's name: who to blame in the log
    admin_only: bool = False
    needs_db: bool = True  # False: answers even when the sender could not be written
    must_commit: bool = False  # True: on any failure the update is re-sent, not answered


class Router:
    def __init__(self):
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, Route] = {}
        self.callbacks: dict[str, Route] = {}
        self.flows: dict[str, Route] = {}
        self.fallback: Route | None = None
        self.kinds: dict[str, Route] = {}

    def command(self, name: str, handler, owner: str = "core", *, admin_only: bool = False,
                needs_db: bool = True) -> None:
        """``/name args`` goes to ``handler(ctx, args)``; admin-only ones exist for admins alone."""
        self.commands[name.lower().lstrip("/")] = Route(handler, owner, admin_only, needs_db)

    def button(self, label: str, handler, owner: str = "core", *, needs_db: bool = True) -> None:
        self.buttons[label] = Route(handler, owner, needs_db=needs_db)

    def callback(self, prefix: str, handler, owner: str = "core", *, needs_db: bool = True) -> None:
        """Callback data ``prefix`` or ``prefix:payload`` goes to ``handler(ctx, payload)``."""
        if ":" in prefix:
            raise ValueError(f"callback prefix {prefix!r} must not contain ':'")
        self.callbacks[prefix] = Route(handler, owner, needs_db=needs_db)

    def flow(self, name: str, handler, owner: str = "core", *, needs_db: bool = True) -> None:
        """A message (not a command or button) from a user whose conversation state is
        exactly ``name`` goes to ``handler(ctx, data) -> bool``; False hands it on to
        the last resort, as if there were no flow."""
        if name in self.flows:
            raise ValueError(f"flow {name!r} is handled by {self.flows[name].owner} already")
        self.flows[name] = Route(handler, owner, needs_db=needs_db)

    def last_resort(self, handler, owner: str = "core", *, needs_db: bool = False) -> None:
        """What answers a message nothing else took (instead of a bare "not understood")."""
        self.fallback = Route(handler, owner, needs_db=needs_db)

    def on(self, kind: str, handler, owner: str = "core") -> None:
        """The handler of ``pre_checkout_query`` or ``successful_payment`` updates.

        A ``successful_payment`` is money already taken from the user: if its handler
        fails in any way, the update is answered so that Telegram sends it again.
        """
        self.kinds[kind] = Route(handler, owner, must_commit=kind == "successful_payment")

    # -- dispatch --------------------------------------------------------------------

    def dispatch_pre_checkout(self, ctx: Context) -> None:
        route = self.kinds.get("pre_checkout_query")
        if route is None:
            ctx.answer_pre_checkout(False, t("payments_unavailable"))
            return
        self.run(route, ctx)

    def dispatch_message(self, ctx: Context) -> None:
        if ctx.message is not None and ctx.message.successful_payment is not None:
            route = self.kinds.get("successful_payment")
            if route is None:  # money was taken: keep it coming until payments is back
                charge = ctx.message.successful_payment.telegram_payment_charge_id
                log.error("successful_payment %s arrived and no plugin handles payments: asking "
                          "Telegram to send it again", charge)
                ctx.redelivery = f"successful_payment {charge}: no payments plugin"
                return
            self.run(route, ctx)
            return
        text = ctx.text.strip()
        if text.startswith("/"):
            word, _, args = text[1:].partition(" ")
            name = word.split("@", 1)[0].lower()
            route = self.commands.get(name)
            if route is None or route.admin_only and not ctx.app.is_admin(ctx.user_id):
                ctx.reply(t("unknown_command"))
                return
            self.run(route, ctx, args.strip())
            return
        route = self.buttons.get(text)
        if route is not None:
            self.run(route, ctx)
            return
        try:
            state = ctx.conversation
        except Exception:
            log.exception("conversation state of user %s could not be read", ctx.user_id)
            self._apologise(ctx, t("handler_failed"))
            return
        route = self.flows.get(state[0]) if state is not None else None
        if route is not None and state is not None and self.run(route, ctx, state[1]):
            return
        if self.fallback is not None and self.run(self.fallback, ctx):
            return
        ctx.reply_with_menu(t("unknown_text"))

    def dispatch_callback(self, ctx: Context) -> None:
        prefix, _, payload = ((ctx.callback.data if ctx.callback else None) or "").partition(":")
        route = self.callbacks.get(prefix)
        if route is None:
            ctx.answer_callback(t("stale_button"), alert=True)
            return
        self.run(route, ctx, payload)

    def run(self, route: Route, ctx: Context, *args):
        """Run a handler so that whatever it does wrong, the user gets an answer."""
        if route.must_commit:
            return self._run_or_redeliver(route, ctx, *args)
        if route.needs_db and ctx.data.get("db_unavailable"):
            # The sender could not even be written: the database or `users` is gone.
            self._apologise(ctx, t("db_unavailable"))
            return True  # answered: no other handler should try

        try:
            try:
                return route.handler(ctx, *args)
            except psycopg2.errors.ForeignKeyViolation:
                # The user cache outlived the user's row (the table was rebuilt): write
                # the user again and try once more; the failed transaction left nothing.
                ctx.app.user_cache.forget()
                if ctx.user is not None:
                    ctx.app.ensure_user(ctx.user)
                return route.handler(ctx, *args)
        except DEGRADED_ERRORS as exc:
            log.warning("%s handler %s: database unavailable: %s", route.owner,
                        getattr(route.handler, "__name__", route.handler), logs.first_line(exc))
            self._apologise(ctx, t("db_unavailable"))
            return True
        except Exception:
            log.exception("%s handler %s failed", route.owner,
                          getattr(route.handler, "__name__", route.handler))
            self._apologise(ctx, t("handler_failed"))
            return True

    @staticmethod
    def _run_or_redeliver(route: Route, ctx: Context, *args):
        """No apology: the update comes again until its handler succeeds."""
        paid = ctx.message.successful_payment if ctx.message is not None else None
        charge = getattr(paid, "telegram_payment_charge_id", None)
        try:
            if ctx.data.get("db_unavailable"):
                raise RedeliveryNeeded("the sender could not be written: database unavailable")
            return route.handler(ctx, *args)
        except Exception as exc:
            log.error("successful_payment %s of user %s not recorded (%s handler: %s): "
                      "asking Telegram to send it again", charge, ctx.user_id, route.owner,
                      logs.first_line(exc), exc_info=not isinstance(exc, DEGRADED_ERRORS
                                                                    + (RedeliveryNeeded,)))
            ctx.redelivery = f"successful_payment {charge}: {logs.first_line(exc)}"
            return True

    @staticmethod
    def _apologise(ctx: Context, text: str) -> None:
        try:
            ctx.answer_or_reply(text)
        except Exception:
            log.exception("could not tell the user about a failed handler")


def handle_update(app: BotApp, update: types.Update, claim: Claim | None) -> str | None:
    """Write the sender, then route the update; why Telegram must send it again, if it must."""
    part = next((getattr(update, name) for name in SENDER_FIELDS
                 if getattr(update, name, None) is not None), None)
    user = getattr(part, "from_user", None)
    data = _write_sender(app, user, claim) if user is not None else {}
    ctx = None
    with app.conversations.one_update():
        message, call, query = update.message, update.callback_query, update.pre_checkout_query
        if message is not None and message.content_type in util.content_type_media:
            ctx = Context(app, user.id if user else None, message.chat.id, message=message,
                          data=data)
            app.router.dispatch_message(ctx)
        elif call is not None:
            chat_id = call.message.chat.id if call.message is not None else call.from_user.id
            ctx = Context(app, call.from_user.id, chat_id, callback=call, data=data)
            app.router.dispatch_callback(ctx)
        elif query is not None:
            ctx = Context(app, query.from_user.id, query.from_user.id, data=data,
                          pre_checkout=query)
            app.router.dispatch_pre_checkout(ctx)
    return ctx.redelivery if ctx is not None else None


def _write_sender(app: BotApp, user: types.User, claim: Claim | None) -> dict:
    """The sender's language and row, so no handler meets an unknown user; written here
    only when the claim did not write it. The update's ``data``: ``new_user``, and
    ``db_unavailable`` when the sender could not be written."""
    logs.bind(user_id=user.id)
    set_language(pick_language(getattr(user, "language_code", None)))
    if claim is not None and claim.sender_stored:
        return {"new_user": claim.new_user}
    try:
        return {"new_user": app.ensure_user(user)}
    except DEGRADED_ERRORS as exc:
        # Handlers still run: free work does not need the database.
        log.warning("could not write user %s: %s", user.id, logs.first_line(exc))
        return {"new_user": False, "db_unavailable": True}
