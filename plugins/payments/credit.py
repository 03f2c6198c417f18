"""Crediting a payment exactly once, and telling the plugins once it is committed.

The core's ``Balances.credit_payment`` writes the payment's row under its unique
``(source, external_id)``, the balance and the ledger in one statement; a duplicate
credits nothing. Once committed, plugins hear of the payment (``payment_credited``).
"""

from __future__ import annotations

from decimal import Decimal

from genbot import PaymentEvent


def credit_payment(app, *, source: str, external_id: str, user_id: int, amount_rub: Decimal,
                   currency: str = "RUB", total_amount: int | None = None) -> Decimal | None:
    """The new balance if this call credited the payment; None if it was credited before."""
    balance = app.balances.credit_payment(user_id, amount_rub, source=source, external_id=external_id,
                                          currency=currency, total_amount=total_amount)
    if balance is not None:
        announce(app, "payment_credited", PaymentEvent(source, external_id, user_id, amount_rub,
                                                       "credited"))
    return balance


def announce(app, hook: str, payment: PaymentEvent) -> None:
    """Tell the plugins of a committed payment event."""
    app.hook(hook, payment=payment)
