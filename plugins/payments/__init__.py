"""payments — 💳 Пополнить: top-ups through Telegram Payments, Telegram Stars and a provider.

- The menu offers the preset amounts and a custom one within ``min_topup_rub`` ..
  ``max_topup_rub``; opened from "not enough money" (``topup_buttons``), the amount
  missing comes first; anything else (negative, zero, too large, not a number, NaN,
  1e309) gets a message saying what to send.
- An invoice carries a random payload recorded in ``idempotency_records`` with its
  user and amount; ``pre_checkout_query`` is answered ok only when payload, user,
  currency and total all match (the answer rides in the webhook response, well
  within Telegram's 10 s).
- ``successful_payment`` credits once per ``telegram_payment_charge_id`` (the unique
  key of ``payments``), whatever Telegram re-sends.
- ``successful_payment`` credits the invoice's rouble amount exactly, and only when it
  matches an invoice genbot issued to that user (``review.py``): anything else is kept
  for an admin's review (``/settle``). If crediting fails, the update is answered so
  that Telegram sends it again (``core.bot.dispatch``): a payment is never acknowledged
  before its credit committed.
- Stars (``XTR``, no provider token) invoices ask ``ceil(amount / stars_rub_per_star)``
  stars; admins refund a Stars payment with ``/refund <charge id>`` (``refunds.py``).
- ``POST /payments/callback`` takes a signed report from an external provider
  (see ``callback.py``).

Without any table a credit needs (``balances``, ``payment_transactions``, ``payments``,
``idempotency_records``) no top-up is sold: 💳 Пополнить and every step to the invoice
answer "⚠️ База временно недоступна", a ``pre_checkout_query`` is refused with those
words, so Telegram takes no money that could not be credited. Each step checks the
tables itself (one query), so a table dropped a moment ago refuses at once, not at the
next probe; the host then degrades the plugin until ``genbot migrate`` brings it back.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from psycopg2.extras import Json

from genbot import (
    Button,
    ButtonData,
    Callback,
    Command,
    Flow,
    InlineButton,
    InvalidAmount,
    UpdateHandler,
    WebRoute,
    hookimpl,
    inline_keyboard,
    money,
    t,
    to_money,
    unpack_any,
)
from plugins.payments import hooks, refunds, review
from plugins.payments.callback import callback_view
from plugins.payments.credit import credit_payment

log = logging.getLogger("genbot.plugins.payments")

FLOW_AMOUNT = "payments:amount"


# -- the buttons, as their callback data ------------------------------------------------

@dataclass(frozen=True)
class TopupMenu(ButtonData):
    """"💳 Пополнить"; under "not enough money" it carries the shortfall, offered first."""
    code = "pay:menu"
    missing: str | None = None


@dataclass(frozen=True)
class PickAmount(ButtonData):
    code = "pay:a"
    amount: str


@dataclass(frozen=True)
class CustomAmount(ButtonData):
    code = "pay:custom"


@dataclass(frozen=True)
class PayBy(ButtonData):
    code = "pay:m"
    method: str  # card or stars
    amount: str


BUTTONS = (TopupMenu, PickAmount, CustomAmount, PayBy)
INVOICE = "invoice"
# Everything a top-up writes from the invoice to the credit: the invoice's record
# (idempotency_records) and the credit's tables (the core's CREDIT_TABLES).
TOPUP_TABLES = ("idempotency_records", "payments", "balances", "payment_transactions")


def _check_tables(ctx) -> None:
    """``UndefinedTable`` unless a top-up could be credited now: the guard answers it
    with the seed's words (a pre-checkout is refused with them) and degrades the plugin."""
    ctx.app.balances.check_tables(tables=TOPUP_TABLES)


def _methods(settings) -> list[str]:
    methods = []
    if settings["provider_token"]:
        methods.append("card")
    if settings["stars_enabled"] and settings["stars_rub_per_star"] > 0:
        methods.append("stars")
    return methods


_PLAIN_NUMBER = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$")


def check_amount(settings, text: str) -> Decimal:
    """A top-up amount from what the user typed, or ValueError with what to send."""
    cleaned = text.strip().replace(" ", "").replace(",", ".").removesuffix("₽")
    low, high = money(settings["min_topup_rub"]), money(settings["max_topup_rub"])
    if not _PLAIN_NUMBER.match(cleaned):
        raise ValueError(t("pay_amount_bad", low=low, high=high))
    try:
        amount = to_money(cleaned)
    except InvalidAmount:  # zero or negative: a number, just not one we take
        raise ValueError(t("pay_amount_range", low=low, high=high)) from None
    if not settings["min_topup_rub"] <= amount <= settings["max_topup_rub"]:
        raise ValueError(t("pay_amount_range", low=low, high=high))
    return amount


# -- the menu --------------------------------------------------------------------------

def first_amount(settings, missing) -> int | None:
    """What to offer first to someone short of ``missing``: that, in whole roubles,
    within the top-up limits."""
    try:
        amount = math.ceil(Decimal(missing))
    except (ArithmeticError, TypeError, ValueError):
        return None
    amount = max(amount, math.ceil(settings["min_topup_rub"]))
    return amount if amount <= settings["max_topup_rub"] else None


def show_topup(ctx, settings, missing=None) -> None:
    if not _methods(settings):
        ctx.reply(t("payments_unavailable"))
        return
    _check_tables(ctx)
    amounts = [int(a) for a in settings["presets"]]
    first = first_amount(settings, missing) if missing is not None else None
    if first is not None:
        amounts = [first] + [a for a in amounts if a != first]
    presets = [(money(amount), PickAmount(str(amount)).pack()) for amount in amounts]
    rows = [presets[i:i + 2] for i in range(0, len(presets), 2)]
    text = t("pay_menu_missing", missing=money(first)) if first is not None else t("pay_menu")
    ctx.reply(text, inline_keyboard(rows + [[(t("pay_btn_custom"), CustomAmount().pack())]]))


def on_callback(ctx, payload: str, settings) -> None:
    ctx.answer_callback()
    button = unpack_any(f"pay:{payload}", BUTTONS)
    match button:
        case CustomAmount():
            ctx.app.conversations.set(ctx.user_id, FLOW_AMOUNT)
            ctx.reply(t("pay_ask_amount", low=money(settings["min_topup_rub"]),
                        high=money(settings["max_topup_rub"])))
        case TopupMenu(missing=missing):  # under the balance, or under "not enough money"
            show_topup(ctx, settings, missing)
        case PickAmount() | PayBy():
            try:
                amount = check_amount(settings, button.amount)
            except ValueError as exc:
                ctx.reply(str(exc))
                return
            if isinstance(button, PickAmount):
                choose_method(ctx, settings, amount)
            elif button.method in _methods(settings):
                send_invoice(ctx, settings, amount, button.method)
            else:
                ctx.reply(t("stale_button"))
        case _:
            ctx.reply(t("stale_button"))


def choose_method(ctx, settings, amount: Decimal) -> None:
    methods = _methods(settings)
    if len(methods) == 1:
        send_invoice(ctx, settings, amount, methods[0])
        return
    labels = {"card": t("pay_btn_card"), "stars": t("pay_btn_stars", stars=stars_for(settings, amount))}
    ctx.reply(t("pay_choose_method", amount=money(amount)),
              inline_keyboard([[(labels[m], PayBy(m, str(amount)).pack())] for m in methods]))


def on_amount(ctx, settings) -> bool:
    """The amount the user typed after asking to top up by another sum."""
    try:
        amount = check_amount(settings, ctx.text)
    except ValueError as exc:
        ctx.reply(str(exc))
        return True
    ctx.app.conversations.clear(ctx.user_id, FLOW_AMOUNT)
    choose_method(ctx, settings, amount)
    return True


# -- invoices --------------------------------------------------------------------------

def stars_for(settings, amount: Decimal) -> int:
    return max(1, math.ceil(amount / settings["stars_rub_per_star"]))


def send_invoice(ctx, settings, amount: Decimal, method: str) -> None:
    _check_tables(ctx)  # no invoice for money that could not be credited
    payload = secrets.token_hex(16)
    if method == "stars":
        currency, total, token = "XTR", stars_for(settings, amount), ""
    else:
        currency, total, token = "RUB", int(amount * 100), settings["provider_token"]
    ctx.app.db.execute(
        "INSERT INTO idempotency_records (key, scope, user_id, data) VALUES (%s, %s, %s, %s)",
        (f"invoice:{payload}", INVOICE, ctx.user_id,
         Json({"amount_rub": str(amount), "currency": currency, "total": total})))
    ctx.app.send_invoice(
        ctx.chat_id, title=t("pay_invoice_title", amount=money(amount)),
        description=t("pay_invoice_description", amount=money(amount)),
        payload=payload, provider_token=token, currency=currency,
        prices=[(t("pay_invoice_title", amount=money(amount)), total)])


def _invoice(app, payload: str, *, max_age: str | None = "24 hours"):
    """(user id, invoice data) of an invoice genbot issued, or (None, None)."""
    row = app.db.fetch_one("SELECT user_id, data FROM idempotency_records WHERE key = %s "
                           "AND scope = %s AND (%s::interval IS NULL OR created_at > NOW() - %s::interval)",
                           (f"invoice:{payload}", INVOICE, max_age, max_age))
    return (row[0], row[1]) if row else (None, None)


def on_pre_checkout(ctx, settings) -> None:
    # Telegram takes the money after an ok: refuse unless the credit can be written.
    _check_tables(ctx)
    query = ctx.pre_checkout
    user_id, invoice = _invoice(ctx.app, query.invoice_payload or "")
    if invoice is None or user_id != query.from_user.id:
        ctx.answer_pre_checkout(False, t("pay_invoice_stale"))
    elif query.currency != invoice["currency"] or query.total_amount != invoice["total"]:
        log.warning("pre-checkout of user %s refused: %s %s does not match the invoice (%s %s)",
                    user_id, query.total_amount, query.currency, invoice["total"], invoice["currency"])
        ctx.answer_pre_checkout(False, t("pay_invoice_stale"))
    else:
        ctx.answer_pre_checkout(True)


def on_successful_payment(ctx, settings) -> None:
    """Credit the invoice's rouble amount, once per charge id, if the payment matches an
    invoice genbot issued to this user; otherwise record it for review.

    Any failure here propagates: the update is answered so that Telegram re-sends it.
    """
    paid = ctx.message.successful_payment
    charge_id = paid.telegram_payment_charge_id
    source = "stars" if paid.currency == "XTR" else "telegram"
    # No age limit: Telegram may re-send a payment long after its pre-checkout.
    invoice_user, invoice = _invoice(ctx.app, paid.invoice_payload or "", max_age=None)
    problem = review.mismatch(invoice_user, invoice, ctx.user_id, paid)
    if problem is not None:
        if review.record_for_review(ctx.app, source=source, paid=paid, user_id=ctx.user_id,
                                    problem=problem):
            log.error("successful_payment %s of user %s (%s %s) matches no invoice: %s; "
                      "recorded for review, not credited (/settle)", charge_id, ctx.user_id,
                      paid.total_amount, paid.currency, problem)
            ctx.reply(t("pay_under_review", charge=charge_id))
        return
    amount = Decimal(invoice["amount_rub"])  # exactly what was invoiced: no rounding
    balance = credit_payment(ctx.app, source=source, external_id=charge_id, user_id=ctx.user_id,
                             amount_rub=amount, currency=paid.currency, total_amount=paid.total_amount)
    if balance is not None:
        log.info("successful_payment %s credited %s RUB to user %s", charge_id, amount, ctx.user_id)
        ctx.reply(t("pay_credited", amount=money(amount), balance=money(balance)))
    else:
        log.info("successful_payment %s delivered again: credited once already", charge_id)


def refund_command(ctx, args: str, settings) -> None:
    charge_id = args.strip()
    if not charge_id:
        ctx.reply(t("pay_refund_usage"))
        return
    outcome = refunds.refund_stars(ctx.app, charge_id, timeout_s=float(settings["refund_timeout_s"]))
    ctx.reply(t(f"pay_refund_{outcome}", charge=charge_id))


# Top-ups of the last 24 hours for the admins' /stats.
_LAST_DAY = """
SELECT COUNT(*), COALESCE(SUM(amount_rub), 0), COUNT(*) FILTER (WHERE status <> 'credited')
FROM payments WHERE created_at > NOW() - INTERVAL '24 hours'
"""


# -- hooks ---------------------------------------------------------------------------------

@hookimpl
def plugin_tables():
    return list(TOPUP_TABLES)


@hookimpl
def plugin_hookspecs():
    return hooks  # payment_credited, payment_refunded


@hookimpl
def plugin_settings():
    return {"provider_token": "", "stars_enabled": True, "stars_rub_per_star": Decimal("1.50"),
            "presets": [100, 500, 1000, 5000], "min_topup_rub": Decimal("10.00"),
            "max_topup_rub": Decimal("100000.00"), "callback_secret": "",
            "refund_timeout_s": 10.0, "refund_settle_after_s": 60.0,
            "refund_reconcile_max_calls": 50}


@hookimpl
def plugin_texts():
    return {"ru": {
        "btn_topup": "💳 Пополнить",
        "pay_menu": "💳 Пополнение баланса. Выберите сумму:",
        "pay_menu_missing": "💳 Пополнение баланса. Чтобы запустить генерацию, не хватает {missing} — "
                            "эта сумма первая. Выберите сумму:",
        "pay_btn_custom": "Другая сумма",
        "pay_btn_card": "💳 Картой (Telegram Payments)",
        "pay_btn_stars": "⭐ Telegram Stars ({stars} ⭐)",
        "pay_choose_method": "Пополнить на {amount}. Как оплатить?",
        "pay_ask_amount": "Отправьте сумму в рублях от {low} до {high}, например 250. /cancel — отмена.",
        "pay_amount_bad": "Это не сумма. Отправьте число рублей от {low} до {high}, например 250.",
        "pay_amount_range": "Сумма должна быть от {low} до {high}. Отправьте другую.",
        "pay_invoice_title": "Пополнение на {amount}",
        "pay_invoice_description": "Пополнение баланса генераций на {amount}.",
        "pay_invoice_stale": "Счёт устарел или не совпадает. Откройте 💳 Пополнить заново.",
        "pay_credited": "✅ Баланс пополнен на {amount}. Теперь на балансе {balance}. "
                        "Если вы ждали с генерацией — нажмите «Запустить» ещё раз.",
        "pay_refund_usage": "Укажите платёж: /refund <telegram_payment_charge_id>",
        "pay_refund_refunded": "Звёзды по платежу {charge} возвращены, баланс уменьшен.",
        "pay_refund_already": "Платёж {charge} уже возвращён.",
        "pay_refund_unknown": "Платёж Stars {charge} не найден.",
        "pay_refund_spent": "Нельзя вернуть {charge}: на балансе меньше суммы пополнения.",
        "pay_refund_failed": "Telegram отказал в возврате {charge}; баланс восстановлен.",
        "pay_refund_uncertain": ("Telegram не ответил на возврат {charge}. Платёж помечен как "
                                 "возвращаемый; очистка (genbot cleanup) сверит его с записями Telegram."),
        "pay_under_review": ("💳 Платёж получен, но не совпал со счётом. Администратор проверит его "
                             "и зачислит деньги или вернёт их. Номер платежа: {charge}. "
                             "Вопросы — /paysupport."),
        "pay_settle_usage": "Укажите: /settle <charge id> credit <сумма> или /settle <charge id> refund",
        "pay_settle_credited": "Платёж {charge}: зачислено {amount}.",
        "pay_settle_none": "Платежа {charge} среди ожидающих проверки нет (уже решён или не найден).",
        "pay_settle_refund_refunded": "Платёж {charge} возвращён.",
        "pay_settle_refund_manual": ("Платёж {charge} отмечен как возвращённый. Telegram не возвращает "
                                     "оплату картой сам: верните её в кабинете платёжного провайдера."),
        "pay_settle_refund_uncertain": ("Telegram не ответил на возврат {charge}; очистка сверит его "
                                        "с записями Telegram."),
        "pay_settle_refund_failed": "Telegram отказал в возврате {charge}; платёж ждёт проверки.",
        "pay_settle_refund_none": "Платежа {charge} среди ожидающих проверки нет (уже решён или не найден).",
        "pay_settle_refund_already": "Платёж {charge} уже возвращается.",
        "pay_settle_refund_unknown": "Платёж {charge} не найден.",
        "pay_stats": "💳 Пополнения за 24 часа: {count} на {total}; возвращено: {refunded}",
    }, "en": {
        "btn_topup": "💳 Top up",
        "pay_menu": "💳 Top up your balance. Choose an amount:",
        "pay_menu_missing": "💳 Top up your balance. The generation needs {missing} more — that "
                            "amount comes first. Choose an amount:",
        "pay_btn_custom": "Another amount",
        "pay_btn_card": "💳 By card (Telegram Payments)",
        "pay_btn_stars": "⭐ Telegram Stars ({stars} ⭐)",
        "pay_choose_method": "Top up {amount}. How would you like to pay?",
        "pay_ask_amount": "Send the amount in roubles, from {low} to {high}, for example 250. /cancel to stop.",
        "pay_amount_bad": "That is not an amount. Send a number of roubles from {low} to {high}, for example 250.",
        "pay_amount_range": "The amount must be from {low} to {high}. Send another one.",
        "pay_invoice_title": "Top-up of {amount}",
        "pay_invoice_description": "A top-up of your generation balance by {amount}.",
        "pay_invoice_stale": "This invoice is out of date or does not match. Open 💳 Top up again.",
        "pay_credited": "✅ Your balance was topped up by {amount}. It is now {balance}. "
                        "If a generation was waiting, tap “Start” again.",
        "pay_under_review": ("💳 Payment received, but it does not match the invoice. An administrator "
                             "will check it and credit or return the money. Payment number: {charge}. "
                             "Questions: /paysupport."),
        "pay_stats": "💳 Top-ups in the last 24 hours: {count} for {total}; refunded: {refunded}",
    }}


@hookimpl
def topup_buttons(app, settings, user_id, missing):
    """"💳 Пополнить" under the balance and under "not enough money" (the shortfall first)."""
    if not _methods(settings):
        return []
    data = TopupMenu(None if missing is None else f"{Decimal(missing):.2f}")
    return [InlineButton(t("btn_topup"), data)]


@hookimpl
def menu_buttons(app, settings):
    return [Button(t("btn_topup"), lambda ctx: show_topup(ctx, settings), order=75)]


@hookimpl
def callback_handlers(app, settings):
    return [Callback("pay", lambda ctx, payload: on_callback(ctx, payload, settings))]


@hookimpl
def flow_handlers(app, settings):
    return [Flow(FLOW_AMOUNT, lambda ctx, _data: on_amount(ctx, settings))]


@hookimpl
def bot_commands(app, settings):
    return [Command("refund", lambda ctx, args: refund_command(ctx, args, settings), admin_only=True),
            Command("settle", review.settle_command, admin_only=True)]


@hookimpl
def startup_cleanup(app, settings):
    return {"uncertain_refunds_settled":
            refunds.settle_uncertain_refunds(app, float(settings["refund_settle_after_s"]),
                                             int(settings["refund_reconcile_max_calls"]))}


@hookimpl
def admin_stats(app, settings):
    count, total, refunded = app.db.fetch_one(_LAST_DAY)
    return t("pay_stats", count=count, total=money(total), refunded=refunded)


@hookimpl
def update_handlers(app, settings):
    return [UpdateHandler("pre_checkout_query", lambda ctx: on_pre_checkout(ctx, settings)),
            UpdateHandler("successful_payment", lambda ctx: on_successful_payment(ctx, settings))]


@hookimpl
def web_routes(app, settings):
    secret = settings["callback_secret"] or app.secret("PAYMENT_CALLBACK_SECRET")
    if not secret:
        log.warning("PAYMENT_CALLBACK_SECRET is not set: POST /payments/callback refuses every call")

    def notify(user_id, amount, balance):
        # Sent from a background thread: the provider's callback is answered at once.
        app.telegram.send_later("sendMessage", {"chat_id": user_id, "text": t(
            "pay_credited", amount=money(amount), balance=money(balance))})

    return [WebRoute("/payments/callback", callback_view(app, settings, secret, notify),
                     methods=("POST",))]
