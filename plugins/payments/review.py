"""Payments that match no invoice: recorded for an admin's review, never credited blindly.

A ``successful_payment`` is credited only when it matches an invoice genbot issued:
same payload, same payer, same currency, same total. Anything else is money Telegram
took for something genbot did not sell at that price. It is recorded in ``payments``
with status ``review`` and what did not match, logged at ERROR, and listed by
``genbot doctor``; an admin settles it once with ``/settle <charge id> credit <amount>``
(credited through the ledger like any payment) or ``/settle <charge id> refund``.
"""

from __future__ import annotations

import logging

from genbot import InvalidAmount, PaymentEvent, money, t, to_money
from plugins.payments.credit import announce
from plugins.payments.refunds import refund_stars

log = logging.getLogger("genbot.plugins.payments")


def mismatch(invoice_user: int | None, invoice: dict | None, payer: int, paid) -> str | None:
    """What makes ``paid`` (a SuccessfulPayment) differ from its invoice, or None."""
    if invoice is None:
        return "no invoice with this payload"
    if invoice_user != payer:
        return f"invoice of user {invoice_user}, paid by user {payer}"
    if paid.currency != invoice["currency"]:
        return f"paid in {paid.currency}, invoiced in {invoice['currency']}"
    if paid.total_amount != invoice["total"]:
        return f"paid {paid.total_amount}, invoiced {invoice['total']} ({paid.currency})"
    return None


def record_for_review(app, *, source: str, paid, user_id: int, problem: str) -> bool:
    """Keep the payment for review; False if it was recorded (or credited) before."""
    return app.db.execute(
        "INSERT INTO payments (source, external_id, user_id, amount_rub, currency, total_amount, "
        "status, review_reason) VALUES (%s, %s, %s, NULL, %s, %s, 'review', %s) "
        "ON CONFLICT (source, external_id) DO NOTHING",
        (source, paid.telegram_payment_charge_id, user_id, paid.currency, paid.total_amount,
         f"{problem}; payload {paid.invoice_payload!r}"[:500])) == 1


def settle_command(ctx, args: str) -> None:
    """``/settle <charge id> credit <amount>`` or ``/settle <charge id> refund``."""
    words = args.split()
    if len(words) < 2 or words[1] not in ("credit", "refund") \
            or (words[1] == "credit") != (len(words) == 3):
        ctx.reply(t("pay_settle_usage"))
        return
    charge_id, action = words[0], words[1]
    if action == "refund":
        ctx.reply(t(f"pay_settle_refund_{settle_by_refund(ctx.app, charge_id)}", charge=charge_id))
        return
    try:
        amount = to_money(words[2].replace(",", "."))
    except InvalidAmount as exc:
        ctx.reply(t("admin_adjust_bad_amount", error=str(exc)))
        return
    credited = settle_by_credit(ctx.app, charge_id, amount, admin_id=ctx.user_id)
    ctx.reply(t("pay_settle_credited" if credited else "pay_settle_none", charge=charge_id,
                amount=money(amount)))


def settle_by_credit(app, charge_id: str, amount, *, admin_id: int) -> bool:
    """Credit a payment under review, once: the row and the ledger in one transaction."""
    with app.db.transaction() as tx:
        tx.execute("UPDATE payments SET status = 'credited', amount_rub = %s, updated_at = NOW(), "
                   "review_reason = review_reason || %s WHERE external_id = %s "
                   "AND status = 'review' RETURNING source, user_id",
                   (amount, f"; credited by admin {admin_id}", charge_id))
        row = tx.fetchone()
        if row is None:
            return False
        source, user_id = row
        app.balances.credit(user_id, amount, reason=f"{source} payment {charge_id} "
                            f"(reviewed by admin {admin_id})"[:200], cur=tx)
        tx.after_commit(lambda: announce(app, "payment_credited", PaymentEvent(
            source, charge_id, user_id, amount, "credited")))
    log.info("payment %s under review credited %s RUB to user %s by admin %s", charge_id, amount,
             user_id, admin_id)
    return True


def settle_by_refund(app, charge_id: str) -> str:
    """Give back a payment under review: 'refunded', 'uncertain', 'failed', 'manual' or 'none'."""
    row = app.db.fetch_one("SELECT source FROM payments WHERE external_id = %s AND status = 'review'",
                           (charge_id,))
    if row is None:
        return "none"
    if row[0] == "stars":
        return refund_stars(app, charge_id, from_status="review")
    # Telegram has no refund call for card payments: the provider's dashboard does it.
    app.db.execute("UPDATE payments SET status = 'refunded', updated_at = NOW(), "
                   "review_reason = review_reason || '; refunded at the payment provider' "
                   "WHERE external_id = %s AND status = 'review'", (charge_id,))
    return "manual"

