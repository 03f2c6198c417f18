"""The core's own commands and buttons: /start, /help, /balance, /cancel."""

from __future__ import annotations

from decimal import Decimal

from core import admin
from core.dispatch import DEGRADED_ERRORS
from core.texts import t


def _money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ")


def start(ctx, payload: str = "") -> None:
    user = ctx.user
    name = (user.first_name or user.username or "друг") if user else "друг"
    if payload:
        # Plugins read payloads (ref_<id>, ...); whatever they make of it, the user starts.
        ctx.app.plugins.call("start_payload", app=ctx.app, ctx=ctx, payload=payload[:128],
                             new_user=bool(ctx.data.get("new_user")))
    ctx.reply_with_menu(t("welcome", name=name))


def help_(ctx, *_args) -> None:
    ctx.reply_with_menu(t("help"))


def balance(ctx, *_args) -> None:
    amount, held = ctx.app.balances.summary(ctx.user_id)
    if held > 0:
        ctx.reply_with_menu(t("balance_with_held", balance=_money(amount), held=_money(held)))
    else:
        ctx.reply_with_menu(t("balance", balance=_money(amount)))


def cancel(ctx, *_args) -> None:
    try:
        ctx.app.conversations.clear(ctx.user_id)
    except DEGRADED_ERRORS:
        pass  # nothing is stored while the database is away: cancelled all the same
    ctx.reply_with_menu(t("cancelled"))


def register(app) -> None:
    admin.register(app)
    app.router.command("start", start, needs_db=False)
    app.router.command("help", help_, needs_db=False)
    app.router.command("balance", balance)
    app.router.command("cancel", cancel, needs_db=False)
    app.add_button(t("btn_balance"), balance, order=80)
    app.add_button(t("btn_help"), help_, order=90, needs_db=False)
