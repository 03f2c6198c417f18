"""Kie's webhook signature, checked the way Kie documents it.

"Webhook Security Verification" (https://docs.kie.ai/common-api/webhook-verification):
once the account's Webhook HMAC key is generated and switched on at
https://kie.ai/settings, every callback carries two headers:

- ``X-Webhook-Timestamp``: the Unix time, in seconds, the callback was sent;
- ``X-Webhook-Signature``: ``base64(HMAC-SHA256(taskId + "." + timestamp, webhookHmacKey))``,
  the key used as its UTF-8 bytes, ``taskId`` "the task ID from the callback body".

The signature covers the task id and the time, not the rest of the body. So genbot acts
only on the task id it verified (a body naming two different task ids is refused) and
only within ``TOLERANCE_S`` of the signed time: Kie names no tolerance, and five minutes
either way is what genbot's other signed webhooks allow. Where the task id sits differs
by API: ``data.taskId`` in the Market, Flux Kontext, 4o Image and Veo callbacks,
``data.task_id`` in Suno's (the verification page's own code reads ``data.task_id``),
and the page's example request also has a top-level ``taskId``; genbot reads all three.
"""

from __future__ import annotations

import base64
import time

from genbot.providers import hmac_sha256, signatures_match

TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"
TOLERANCE_S = 300


class WebhookRefused(Exception):
    """A callback whose signature does not hold, with the reason in words."""


def sign(key: str, task_id: str, timestamp) -> str:
    return base64.b64encode(hmac_sha256(key, f"{task_id}.{timestamp}")).decode()


def signed_task_id(body) -> str | None:
    """The task id a callback body names, wherever its API puts it; None without one."""
    data = body.get("data") if isinstance(body, dict) else None
    data = data if isinstance(data, dict) else {}
    found = {value for value in (body.get("taskId") if isinstance(body, dict) else None,
                                 data.get("taskId"), data.get("task_id"))
             if isinstance(value, str) and value}
    if len(found) > 1:
        raise WebhookRefused(f"the body names {len(found)} different task ids")
    return found.pop() if found else None


def verify(key: str, headers, body, now: float | None = None) -> str:
    """The task id Kie signed; raises WebhookRefused when the headers do not prove it."""
    timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise WebhookRefused(f"no {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers")
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookRefused(f"{TIMESTAMP_HEADER} is not a whole number of seconds")
    skew = (time.time() if now is None else now) - int(timestamp)
    if abs(skew) > TOLERANCE_S:
        raise WebhookRefused(f"signed {abs(skew):.0f} s {'ago' if skew > 0 else 'ahead'}, "
                             f"more than the {TOLERANCE_S} s allowed")
    task_id = signed_task_id(body)
    if task_id is None:
        raise WebhookRefused("the body names no task id to check the signature against")
    if not signatures_match(signature, sign(key, task_id, timestamp)):
        raise WebhookRefused(f"{SIGNATURE_HEADER} does not match task {task_id}")
    return task_id
