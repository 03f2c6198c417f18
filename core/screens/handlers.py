"""The core's own commands and buttons: /start, /help, /balance, /cancel, /paysupport, /terms.

/help says what things cost, how many free generations are left today and where to ask;
💰 Баланс shows the balance, what is held, today's free generations, the last changes
and the top-up (the ``topup_buttons`` hook: payments adds "💳 Пополнить"). /paysupport
and /terms are the operator's texts (``PAYSUPPORT_TEXT``, ``TERMS_TEXT``) or the
catalog's, with ``SUPPORT_CONTACT`` in them: Telegram requires both of bots that take
payments.
"""

from __future__ import annotations

import re

from core.bot.menu import inline_keyboard
from core.bot.texts import money, t
from core.db import DEGRADED_ERRORS
from core.generation.buttons import CancelJob, HistoryPage
from core.generation.catalog import title_of
from core.generation.ports import GenerationApp
from core.generation.progress import cancel_keyboard
from core.screens import admin

_GENERATION_REASON = re.compile(r"^generation \d+: (\S+)$")


def start(ctx, payload: str = "") -> None:
    user = ctx.user
    name = (user.first_name or user.username or t("friend")) if user else t("friend")
    if payload:
        # Plugins read payloads (ref_<id>, ...); whatever they make of it, the user starts.
        ctx.app.plugins.call("start_payload", app=ctx.app, ctx=ctx, payload=payload[:128],
                             new_user=bool(ctx.data.get("new_user")))
    ctx.reply_with_menu(t("welcome", name=name))


def _support(app: GenerationApp) -> str:
    return app.config.support_contact or t("support_none")


def _free_line(ctx) -> str | None:
    """Today's free generations, if any model is free; the quota alone without the database."""
    app = ctx.app
    if not app.offer.any_free():
        return None
    try:
        return t("free_left_today", left=app.jobs.free_left(ctx.user_id), quota=app.jobs.free_quota)
    except DEGRADED_ERRORS:
        return t("free_quota", quota=app.jobs.free_quota)


def help_(ctx, *_args) -> None:
    listed = ctx.app.offer.listed
    lines = [t("help_intro"), "", t("help_prices")]
    for category in listed.categories():
        models = listed.in_category(category)
        paid = [m.price_rub for m in models if not m.free]
        name = t(f"cat_{category}")
        if not paid:
            lines.append(t("help_price_free", category=name))
        elif len(paid) < len(models):
            lines.append(t("help_price_free_or_from", category=name, price=money(min(paid))))
        else:
            lines.append(t("help_price_from", category=name, price=money(min(paid))))
    free = _free_line(ctx)
    if free:
        lines += ["", free]
    lines += ["", t("help_commands"), "", t("help_support", support=_support(ctx.app))]
    ctx.reply_with_menu("\n".join(lines))


def _ledger_line(ctx, entry) -> str:
    what = t(f"ledger_{entry.kind}") if entry.kind in ("topup", "deduction", "refund", "referral") \
        else entry.kind
    match = _GENERATION_REASON.match(entry.reason or "")
    if match:
        model = ctx.app.offer.model(match[1])
        what = t("ledger_generation", model=title_of(model, match[1]))
    return t("balance_change", when=ctx.app.history.when(entry.created_at),
             amount=money(entry.amount, signed=True), what=what)


def balance(ctx, *_args) -> None:
    app = ctx.app
    amount, held = app.balances.summary(ctx.user_id)
    lines = [t("balance", balance=money(amount))]
    if held > 0:
        lines.append(t("balance_held", held=money(held)))
    free = _free_line(ctx)
    if free:
        lines.append(free)
    try:
        changes = app.balances.recent_changes(ctx.user_id)
    except DEGRADED_ERRORS:
        changes = []
    if changes:
        lines += ["", t("balance_recent")] + [_ledger_line(ctx, entry) for entry in changes]
    topup = app.plugins.inline_buttons("topup_buttons", app=app, user_id=ctx.user_id, missing=None)
    if not topup:
        lines += ["", t("balance_no_topup", support=_support(app))]
    ctx.reply("\n".join(lines), inline_keyboard([[b] for b in topup] +
                                                [[(t("btn_history"), HistoryPage(0).pack())]]))


def cancel(ctx, *_args) -> None:
    """Leave whatever flow the user is in; offer to stop generations still running."""
    try:
        ctx.app.conversations.clear(ctx.user_id)
        running = ctx.app.jobs.active(ctx.user_id)
    except DEGRADED_ERRORS:
        running = []  # nothing is stored while the database is away: cancelled all the same
    ctx.reply_with_menu(t("cancelled"))
    for job_id, model_id in running:
        title = title_of(ctx.app.offer.model(model_id), model_id)
        ctx.reply(t("cancel_running", model=title), cancel_keyboard(CancelJob(job_id).pack()))


def paysupport(ctx, *_args) -> None:
    text = ctx.app.config.paysupport_text
    ctx.reply_with_menu(text.replace("{support}", _support(ctx.app)) if text
                        else t("paysupport", support=_support(ctx.app)))


def terms(ctx, *_args) -> None:
    text = ctx.app.config.terms_text
    ctx.reply_with_menu(text.replace("{support}", _support(ctx.app)) if text
                        else t("terms", support=_support(ctx.app),
                               quota=ctx.app.jobs.free_quota))


def register(app: GenerationApp) -> None:
    admin.register(app)
    app.router.command("start", start, needs_db=False)
    app.router.command("help", help_, needs_db=False)
    app.router.command("balance", balance)
    app.router.command("cancel", cancel, needs_db=False)
    app.router.command("paysupport", paysupport, needs_db=False)
    app.router.command("terms", terms, needs_db=False)
    app.add_button_in_every_language("btn_balance", balance, order=80)
    app.add_button_in_every_language("btn_help", help_, order=90, needs_db=False)
