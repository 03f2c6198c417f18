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
