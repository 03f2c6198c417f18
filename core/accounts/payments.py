"""What a user paid: the ``payments`` rows, read as ``PaymentRecord`` s.

``Balances.credit_payment`` writes a payment's row together with its credit; the
payments plugin moves it through review and refunds. Other plugins read it only here
(``app.payments_of``): the referrals plugin, for the payments its rewards stand on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.db import Database, in_transaction


@dataclass(frozen=True)
class PaymentRecord:
    """One payment as it stands now (``PaymentEvent`` is what was announced)."""

    source: str  # 'telegram', 'stars', 'provider'
    external_id: str  # unique per source
    user_id: int
    amount_rub: Decimal | None  # None while under review (never credited)
    status: str  # 'review', 'credited', 'refunding', 'refunded'

    @property
    def key(self) -> tuple[str, str]:
        return self.source, self.external_id


def payments_of(db: Database, *user_ids: int, cur=None) -> list[PaymentRecord]:
    """Every payment of these users, oldest first; read in ``cur``'s transaction when
    given, so it sees what that transaction's locks hold still."""
    if not user_ids:
        return []
    with in_transaction(db, cur) as tx:
        tx.execute("SELECT source, external_id, user_id, amount_rub, status FROM payments "
                   "WHERE user_id = ANY(%s) ORDER BY id", ([int(u) for u in user_ids],))
        return [PaymentRecord(*row) for row in tx.fetchall()]
