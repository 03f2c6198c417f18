"""Replicate's webhook: ``POST /replicate/webhook/<job_id>``, signed as Replicate documents.

Replicate signs each delivery the Standard Webhooks way
(replicate.com/docs/topics/webhooks/verify-webhook): headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature``; the signed content is
``"{id}.{timestamp}.{raw body}"``; the key is the base64-decoded part of the
``whsec_...`` secret after ``whsec_``; the header lists space-separated ``v1,<base64>``
signatures. A delivery whose signature does not match, or whose timestamp is more than
five minutes away from now, is refused before its body is read.

A verified body is the prediction object. Its ``id`` must be the job's task id; a
terminal status ends the job through ``app.end_job``, which ends a running job once
and answers False for one already ended: a repeated webhook, or one for a job the user
cancelled, changes nothing and is answered 200 so Replicate stops retrying.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time

from genbot import GenerationFailed
from genbot.providers import (
    CALLBACK_DELIVERY_S,
    callback_job,
    hmac_sha256,
    json_object,
    settle,
    signatures_match,
)
from plugins.providers.replicate.provider import TERMINAL

log = logging.getLogger("genbot.plugins.replicate")

TOLERANCE_S = 300  # the Standard Webhooks spec's five minutes


class BadSignature(ValueError):
    pass


def signature_problem(secret: str, headers, body: bytes, *, now: float | None = None) -> str | None:
    """None when the delivery is Replicate's, else why not."""
    webhook_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not webhook_id or not timestamp or not signatures:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not a number"
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_S:
        return f"webhook-timestamp {sent_at} is more than {TOLERANCE_S} s away from now"
    try:
        key = base64.b64decode(secret.split("_", 1)[1] if secret.startswith("whsec_") else secret,
                               validate=True)
    except (binascii.Error, ValueError, IndexError):
        return "the signing secret is not whsec_<base64>"
    expected = hmac_sha256(key, f"{webhook_id}.{timestamp}.".encode() + body)
    for signature in signatures.split():
        version, _, value = signature.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if signatures_match(given, expected):
            return None
    return "no signature matches"


def webhook_handler(app, provider):
    settling: set[int] = set()  # jobs a delivery of this process is ending right now
    lock = threading.Lock()

    def replicate_webhook(request, job_id: str):
        body = request.get_data(cache=False)
        secret = provider.signing_secret()
        if secret is None:
            log.warning("replicate: webhook for job %s: no signing secret to check it with; "
                        "answered 503 so Replicate retries", job_id)
            return 503, {"error": "signing secret unavailable"}
        problem = signature_problem(secret, request.headers, body)
        if problem == "no signature matches" and not provider.configured_secret:
            fresh = provider.signing_secret(refresh=True)  # rotated since it was fetched?
            if fresh and fresh != secret:
                problem = signature_problem(fresh, request.headers, body)
        if problem:
            log.warning("replicate: webhook for job %s refused: %s (from %s)", job_id, problem,
                        request.remote_addr)
            return (401 if problem.startswith("missing") else 403), {"error": "invalid signature"}
        record = json_object(body)
        if record is None or not isinstance(record.get("id"), str):
            return 400, {"error": "the body is not a prediction"}
        job = callback_job(app, job_id, "replicate")
        if job is None:
            return 404, {"error": "unknown job"}
        if job.task_id is None:  # the create's answer is not stored yet: Replicate retries
            return 409, {"error": "the job has no prediction yet; retry"}
        if record["id"] != job.task_id:
            log.info("replicate: job %s: webhook for prediction %s, not its %s: ignored", job.id,
                     record["id"], job.task_id)
            return 200, {"ok": True, "ignored": "another prediction"}
        if record.get("status") not in TERMINAL:
            return 200, {"ok": True}
        if job.status != "running":
            return 200, {"ok": True, "ended": job.status}  # a repeat, or cancelled: nothing
        with lock:
            if job.id in settling:
                return 200, {"ok": True, "ended": "being ended"}
            settling.add(job.id)
        provider.prediction_ended(job.id)  # nothing left to cancel, whoever ends the job
        try:
            model = app.catalog.get(job.model_id)
            try:
                if model is None:
                    raise GenerationFailed("model_unavailable", f"model {job.model_id} left the catalog")
                outcome = provider.outcome(model, record, job_id=job.id,
                                           deadline=time.monotonic() + CALLBACK_DELIVERY_S)
            except GenerationFailed as failure:
                outcome = failure
            ended = settle(app, job.id, outcome, pollers=provider.pollers)
        finally:
            with lock:
                settling.discard(job.id)
        log.info("replicate: job %s: webhook %s, prediction %s %s", job.id,
                 "ended it" if ended else "came after it had ended", record["id"], record.get("status"))
        return 200, {"ok": True}

    return replicate_webhook
