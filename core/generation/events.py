"""What plugins hear about a generation: one ``GenerationEvent`` per step."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class GenerationEvent:
    """The seed's generation_events columns, as the generation pipeline knows them."""

    user_id: int
    model_id: str
    status: str  # 'started', 'success', 'failed', 'timeout'
    chat_id: int | None = None
    category: str | None = None
    is_free_applied: bool = False
    price_rub: Decimal = Decimal("0")
    request_id: str | None = None
    task_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    duration_ms: int | None = None

    STATUSES = ("started", "success", "failed", "timeout")


@dataclass(frozen=True)
class PaymentEvent:
    """A real payment (Telegram Payments, Stars or the signed provider callback) that was
    credited, or later refunded; never an admin adjustment, a reward or a correction."""

    source: str  # 'telegram', 'stars', 'provider'
    external_id: str  # the charge id or the provider's payment id: unique per source
    user_id: int
    amount_rub: Decimal
    status: str  # 'credited' or 'refunded'
