"""``POST /payments/callback``: an external payment provider reports a payment.

The body is ``{"payment_id": str, "user_id": int, "amount_rub": "decimal string",
"status": str}``; the header ``X-Signature`` is the hex HMAC-SHA256 of the raw body
under ``PAYMENT_CALLBACK_SECRET``. Answers: 403 for a missing or wrong signature
(checked first, in constant time, before the body is parsed), 400 for a malformed
body or amount or an unknown status, 200 otherwise — and only ``succeeded`` credits,
once per ``payment_id``: a replay answers 200 and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

from flask import Response, request

from genbot import InvalidAmount, to_money
from plugins.payments.credit import credit_payment

log = logging.getLogger("genbot.plugins.payments")

KNOWN_STATUSES = {"succeeded", "pending", "waiting_for_capture", "canceled", "cancelled", "failed"}
_PAYMENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def _answer(status: int, body: dict) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json")


def signature_of(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse(body: bytes, max_amount):
    """The four fields, checked; raises ValueError with what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    payment_id, user_id = data.get("payment_id"), data.get("user_id")
    amount, status = data.get("amount_rub"), data.get("status")
    if not isinstance(payment_id, str) or not _PAYMENT_ID.match(payment_id):
        raise ValueError("payment_id must be 1-128 of A-Z a-z 0-9 _ . : -")
    if type(user_id) is not int or not 0 < user_id < 2**63:
        raise ValueError("user_id must be a positive integer")
    if not isinstance(amount, str):
        raise ValueError("amount_rub must be a decimal string like \"150.00\"")
    try:
        amount = to_money(amount)
    except InvalidAmount as exc:
        raise ValueError(f"amount_rub: {exc}") from None
    if amount > max_amount:
        raise ValueError(f"amount_rub must not exceed {max_amount}")
    if status not in KNOWN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(sorted(KNOWN_STATUSES))}")
    return payment_id, user_id, amount, status


def callback_view(app, settings, secret: str, notify):
    def payments_callback():
        body = request.get_data(cache=False)
        given = request.headers.get("X-Signature", "").strip().lower()
        if not secret or not hmac.compare_digest(given.encode(), signature_of(secret, body).encode()):
            log.warning("payment callback with a wrong or missing signature from %s", request.remote_addr)
            return _answer(403, {"error": "bad signature"})
        try:
            payment_id, user_id, amount, status = parse(body, settings["max_topup_rub"])
        except ValueError as exc:
            return _answer(400, {"error": str(exc)})
        if status != "succeeded":
            log.info("payment %s for user %s is %s: nothing to credit", payment_id, user_id, status)
            return _answer(200, {"ok": True, "credited": False})
        balance = credit_payment(app, source="provider", external_id=payment_id, user_id=user_id,
                                 amount_rub=amount)
        if balance is not None:
            log.info("payment %s credited %s RUB to user %s", payment_id, amount, user_id)
            notify(user_id, amount, balance)
        else:
            log.info("payment %s seen before: not credited again", payment_id)
        return _answer(200, {"ok": True, "credited": balance is not None})

    return payments_callback
