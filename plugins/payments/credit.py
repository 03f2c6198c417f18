"""Crediting a payment exactly once: the dedupe row, the balance and the ledger together.

``credit_payment`` hands the core's ``Balances.credit_once`` the insert of the payment
under its unique ``(source, external_id)``; only if that insert makes a new row are
the balance and the ledger moved, in the same statement. A concurrent duplicate waits
on the unique index until the first commits, then finds the row and credits nothing.
Once committed, plugins hear of the payment (``payment_credited``).
"""

from __future__ import annotations

from decimal import Decimal

from core.events import PaymentEvent
from core.metrics import PAYMENTS

_CLAIM = ("INSERT INTO payments (source, external_id, user_id, amount_rub, currency, total_amount) "
          "VALUES (%(source)s, %(external_id)s, %(user_id)s, %(amount)s, %(currency)s, %(total)s) "
          "ON CONFLICT (source, external_id) DO NOTHING RETURNING 1")


def credit_payment(app, *, source: str, external_id: str, user_id: int, amount_rub: Decimal,
                   currency: str = "RUB", total_amount: int | None = None) -> Decimal | None:
    """The new balance if this call credited the payment; None if it was credited before."""
    balance = app.balances.credit_once(
        user_id, amount_rub, claim=_CLAIM, reason=f"{source} payment {external_id}"[:200],
        claim_params={"source": source, "external_id": external_id, "currency": currency,
                      "total": total_amount})
    PAYMENTS.labels(source, "duplicate" if balance is None else "credited").inc()
    if balance is not None:
        announce(app, "payment_credited", PaymentEvent(source, external_id, user_id, amount_rub,
                                                       "credited"))
    return balance


def announce(app, hook: str, payment: PaymentEvent) -> None:
    """Tell the plugins of a committed payment event."""
    app.plugins.call(hook, app=app, payment=payment)
