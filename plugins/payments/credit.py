"""Crediting a payment exactly once: the dedupe row, the balance and the ledger together.

``credit_payment`` inserts the payment under its unique ``(source, external_id)`` and,
only if that insert made a new row, credits the balance through the core (which
writes the ledger row) — all in one transaction. A concurrent duplicate waits on the
unique index until the first commits, then finds the row and credits nothing.
"""

from __future__ import annotations

from decimal import Decimal

from core.users import ensure_user_id


def credit_payment(app, *, source: str, external_id: str, user_id: int, amount_rub: Decimal,
                   currency: str = "RUB", total_amount: int | None = None) -> bool:
    """True if this call credited the payment; False if it had been credited before."""
    ensure_user_id(app.db, app.user_cache, user_id)  # a payer we never saw is written first
    with app.db.transaction() as tx:
        tx.execute("INSERT INTO payments (source, external_id, user_id, amount_rub, currency, "
                   "total_amount) VALUES (%s, %s, %s, %s, %s, %s) "
                   "ON CONFLICT (source, external_id) DO NOTHING RETURNING id",
                   (source, external_id, user_id, amount_rub, currency, total_amount))
        if tx.fetchone() is None:
            return False
        app.balances.credit(user_id, amount_rub, kind="topup",
                            reason=f"{source} payment {external_id}"[:200], cur=tx)
    return True
