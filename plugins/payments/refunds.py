"""Stars refunds that never guess.

A refund moves a ``payments`` row ``credited → refunding → refunded``:

1. One transaction marks the payment ``refunding`` and takes its roubles off the
   balance (with its ledger row). It commits before Telegram is called, so a crash
   from here on leaves a record of what was under way.
2. ``refundStarPayment``. ``True`` or ``CHARGE_ALREADY_REFUNDED``: ``refunded``. Any
   other error answer from Telegram (400, 403, …) is a definite no: the payment goes
   back to ``credited`` and the balance is restored. No answer at all (timeout, lost
   connection, 429, 5xx): nobody knows, so nothing is assumed — the payment stays
   ``refunding``.
3. ``settle_uncertain_refunds`` (startup cleanup, ``genbot cleanup``) reads Telegram's
   own record, ``getStarTransactions``, for every payment ``refunding`` for longer than
   ``refund_settle_after_s``: an outgoing transaction with the charge id means it was
   refunded; none means it was not, and the balance is restored. The user never keeps
   both the Stars and the roubles, and no payment stays ``refunding``.

A payment under review (never credited) refunds the same way with no balance to move.
"""

from __future__ import annotations

import logging

from telebot.apihelper import ApiTelegramException

from genbot import InsufficientFunds, PaymentEvent, first_line
from plugins.payments.credit import announce

log = logging.getLogger("genbot.plugins.payments")

_PAGE = 100  # getStarTransactions' largest page
_MAX_PAGES = 1000


def refund_stars(app, charge_id: str, *, from_status: str = "credited", timeout_s: float = 10.0) -> str:
    """Refund a Stars payment once: 'refunded', 'already', 'unknown', 'spent', 'failed'
    (Telegram said no: nothing changed) or 'uncertain' (no answer: cleanup settles it)."""
    try:
        with app.db.transaction() as tx:
            tx.execute("UPDATE payments SET status = 'refunding', updated_at = NOW() "
                       "WHERE source = 'stars' AND external_id = %s AND status = %s "
                       "RETURNING user_id, amount_rub", (charge_id, from_status))
            row = tx.fetchone()
            if row is None:
                tx.execute("SELECT 1 FROM payments WHERE source = 'stars' AND external_id = %s",
                           (charge_id,))
                return "unknown" if tx.fetchone() is None else "already"
            user_id, amount = row
            if amount is not None and from_status == "credited":
                app.balances.debit(user_id, amount, reason=f"refund of Stars payment {charge_id}",
                                   cur=tx)
    except InsufficientFunds:
        return "spent"  # the whole transaction rolled back: the payment stays credited
    try:
        app.telegram.call("refundStarPayment", {"user_id": user_id, "telegram_payment_charge_id":
                                                charge_id, "timeout": timeout_s})
    except ApiTelegramException as exc:
        if "CHARGE_ALREADY_REFUNDED" in str(exc.description):
            finish_refund(app, charge_id)
            return "refunded"
        if exc.error_code == 429 or exc.error_code >= 500:
            return _uncertain(charge_id, exc)
        log.error("refundStarPayment %s refused: %s; the payment stays credited", charge_id,
                  exc.description)
        undo_refund(app, charge_id, f"Telegram refused the refund: {exc.description}")
        return "failed"
    except Exception as exc:  # timeout, lost connection, a 502 page: the outcome is unknown
        return _uncertain(charge_id, exc)
    finish_refund(app, charge_id)
    return "refunded"


def _uncertain(charge_id: str, exc: Exception) -> str:
    log.error("refundStarPayment %s: no clear answer (%s); the payment stays 'refunding' until "
              "cleanup reads Telegram's record (genbot cleanup)", charge_id, first_line(exc))
    return "uncertain"


def finish_refund(app, charge_id: str) -> bool:
    """``refunding`` → ``refunded``; plugins hear of it (a referral reward is taken back)."""
    row = app.db.fetch_one("UPDATE payments SET status = 'refunded', updated_at = NOW() "
                           "WHERE source = 'stars' AND external_id = %s AND status = 'refunding' "
                           "RETURNING user_id, amount_rub", (charge_id,))
    if row is None:
        return False
    log.info("Stars payment %s refunded", charge_id)
    if row[1] is not None:
        announce(app, "payment_refunded", PaymentEvent("stars", charge_id, row[0], row[1], "refunded"))
    return True


def undo_refund(app, charge_id: str, why: str) -> bool:
    """The refund did not happen: back to what the payment was, the balance restored."""
    with app.db.transaction() as tx:
        tx.execute("UPDATE payments SET updated_at = NOW(), status = CASE WHEN amount_rub IS NULL "
                   "THEN 'review' ELSE 'credited' END WHERE source = 'stars' AND external_id = %s "
                   "AND status = 'refunding' RETURNING user_id, amount_rub", (charge_id,))
        row = tx.fetchone()
        if row is None:
            return False
        if row[1] is not None:
            app.balances.credit(row[0], row[1], kind="refund",
                                reason=f"Stars refund {charge_id} did not happen: {why}"[:200], cur=tx)
    log.warning("Stars payment %s was not refunded (%s): balance restored", charge_id, why)
    return True


def refunded_at_telegram(app) -> set[str]:
    """Charge ids Telegram's own record shows refunded: outgoing transactions to a user
    carry the id of the payment they refund."""
    refunded: set[str] = set()
    for page in range(_MAX_PAGES):
        result = app.telegram.call("getStarTransactions", {"offset": page * _PAGE, "limit": _PAGE})
        transactions = (result or {}).get("transactions", [])
        for transaction in transactions:
            if (transaction.get("receiver") or {}).get("type") == "user":
                refunded.add(str(transaction.get("id")))
        if len(transactions) < _PAGE:
            break
    return refunded


def settle_uncertain_refunds(app, settle_after_s: float) -> int:
    """Settle every refund left ``refunding`` from Telegram's record; returns how many."""
    rows = app.db.fetch_all("SELECT external_id FROM payments WHERE source = 'stars' "
                            "AND status = 'refunding' AND updated_at < NOW() - make_interval(secs => %s) "
                            "ORDER BY id LIMIT 500", (settle_after_s,))
    if not rows:
        return 0
    try:
        refunded = refunded_at_telegram(app)
    except Exception as exc:
        log.error("getStarTransactions failed (%s): %d refund(s) stay unsettled", first_line(exc),
                  len(rows))
        return 0
    settled = 0
    for (charge_id,) in rows:
        if charge_id in refunded:
            settled += finish_refund(app, charge_id)
        else:
            settled += undo_refund(app, charge_id, "Telegram's record shows no refund")
    return settled
