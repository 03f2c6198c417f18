"""fal's webhook: ``POST /fal/webhook/<job_id>``, as fal documents its deliveries
(https://docs.fal.ai/model-endpoints/webhooks).

The signature is checked against fal's JWKS first (``signatures``: forgery → 401), then
the body (``{"request_id", "status": "OK" | "ERROR", "payload", "error"}``, unreadable →
400); the request id must be the job's task id. A running job is settled once — ending
is a conditional transition, so the poller and the webhook end it once between them,
and a job the user cancelled stays cancelled. A webhook whose payload cannot be read
(fal's "payload errors") leaves the job to its poller, woken to read the result now.
"""

from __future__ import annotations

import logging
import re

from genbot import GenerationFailed
from genbot.providers import callback_job, json_object, settle
from plugins.providers.fal.results import MalformedAnswer, read_output
from plugins.providers.fal.signatures import HEADERS

log = logging.getLogger("genbot.plugins.fal")


def failure_of(body: dict) -> GenerationFailed:
    """An ``ERROR`` delivery as the job's failure: fal's error and the model's detail; a
    4xx in the error is the model refusing the request."""
    error = str(body.get("error") or "fal reported an error")
    payload = body.get("payload")
    detail = payload.get("detail") if isinstance(payload, dict) else None
    message = f"{error}: {detail}" if detail else error
    code = re.search(r"\b([45]\d\d)\b", error)
    status = int(code[1]) if code else 0
    reason = "rejected" if 400 <= status < 500 else "failed"
    return GenerationFailed(f"fal_{status}" if status else "fal_error", message[:500], reason)


def webhook_handler(app, provider):
    def fal_webhook(request, job_id: str):
        raw = request.get_data(cache=False)
        problem = provider.verifier.problem(request.headers, raw)
        if problem is not None:
            log.warning("fal: webhook for job %s refused: %s", job_id, problem)
            return 401, {"error": "forbidden"}
        body = json_object(raw)
        request_id = request.headers.get(HEADERS[0])
        if body is None or body.get("status") not in ("OK", "ERROR") \
                or body.get("request_id", request_id) != request_id:
            return 400, {"error": "malformed body"}
        job = callback_job(app, job_id, "fal")
        model = app.catalog.get(job.model_id) if job is not None else None
        if model is None:
            return 404, {"error": "unknown job"}
        if job.task_id != request_id:
            log.info("fal: job %s: webhook for request %s, not its request %s: ignored", job.id,
                     request_id, job.task_id)
            return 200, {"ok": True, "ignored": "another request"}
        if job.status != "running":
            return 200, {"ok": True}  # a repeat, or a job that ended (cancelled) here
        provider.finished_at_fal(request_id)
        if body["status"] == "ERROR":
            outcome = failure_of(body)
        else:
            try:
                outcome = read_output(body.get("payload"), model, max_bytes=provider.max_output_bytes,
                                      timeout_s=provider.request_timeout_s, fetch_url=provider.fetch_url)
            except (MalformedAnswer, GenerationFailed) as exc:
                # fal's "payload errors": no payload in the webhook; the result is still at
                # the response URL, which the poller reads now.
                log.warning("fal: job %s: webhook without a usable result (%s); polling now",
                            job.id, exc)
                provider.wake(job.id)
                return 200, {"ok": True}
        settle(app, job.id, outcome, pollers=provider.pollers)
        return 200, {"ok": True}

    return fal_webhook
