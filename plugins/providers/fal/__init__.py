"""fal: generations through fal.ai's Queue API (see docs/providers/fal.md).

A catalog model names fal's endpoint id (``provider_model = "fal-ai/flux/dev"``) and,
in ``provider_options``, the inputs fal gets: ``params`` (fixed), ``inputs`` (a genbot
input's fal field name) and ``values`` (a choice's fal value). ``provider`` holds one
job's way through the queue; ``results`` reads fal's output shapes; ``signatures``
checks fal's webhook signatures.

Without ``api_key`` in ``[fal]`` the provider is not offered and the catalog's fal
models are hidden; a key that is not fal's ``key_id:key_secret`` (or that
``key_check_url`` refuses) fails the plugin with the reason. A fal catalog entry that
cannot work switches the provider off, one ERROR line per problem.

fal may call back ``POST /fal/webhook/<job>``: the signature is checked against fal's
JWKS (forgery → 401, unreadable → 400), the request id must be the job's, and the job
is settled once — ending is a conditional transition, so the poller and the webhook end
it once between them, and a job the user cancelled stays cancelled.
"""

from __future__ import annotations

import logging
import re

from genbot import GenerationFailed, hookimpl
from genbot.providers import (
    ProviderRegistry,
    callback_job,
    callback_route,
    json_object,
    key_refused,
    settle,
)
from plugins.providers.fal.provider import FalProvider
from plugins.providers.fal.results import MalformedAnswer, model_problems, read_output
from plugins.providers.fal.signatures import HEADERS, WebhookVerifier

log = logging.getLogger("genbot.plugins.fal")

# fal keys are "key_id:key_secret" (fal_client: FAL_KEY, or FAL_KEY_ID and FAL_KEY_SECRET).
KEY_FORMAT = re.compile(r"^[^\s:]+:[^\s:]+$")


# -- the webhook route -----------------------------------------------------------------------

def _failure(body: dict) -> GenerationFailed:
    error = str(body.get("error") or "fal reported an error")
    payload = body.get("payload")
    detail = payload.get("detail") if isinstance(payload, dict) else None
    message = f"{error}: {detail}" if detail else error
    code = re.search(r"\b([45]\d\d)\b", error)
    status = int(code[1]) if code else 0
    reason = "rejected" if 400 <= status < 500 else "failed"
    return GenerationFailed(f"fal_{status}" if status else "fal_error", message[:500], reason)


def _webhook_handler(app, provider: FalProvider):
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
            settle(app, job.id, _failure(body))
        else:
            try:
                output = read_output(body.get("payload"), model, max_bytes=provider.max_output_bytes,
                                     timeout_s=provider.request_timeout_s, fetch_url=provider.fetch_url)
            except (MalformedAnswer, GenerationFailed) as exc:
                # fal's "payload errors": no payload in the webhook; the result is still at
                # the response URL, which the poller reads now.
                log.warning("fal: job %s: webhook without a usable result (%s); polling now",
                            job.id, exc)
                provider.wake(job.id)
                return 200, {"ok": True}
            settle(app, job.id, output)
        provider.wake(job.id)  # its poller here stops at once
        return 200, {"ok": True}

    return fal_webhook


# -- hooks --------------------------------------------------------------------------------------

@hookimpl
def plugin_settings():
    return {"api_key": "", "queue_url": "https://queue.fal.run",
            "jwks_url": "https://rest.alpha.fal.ai/.well-known/jwks.json",
            "webhook_base_url": "", "key_check_url": "",
            "poll_initial_s": 1.0, "poll_max_s": 10.0, "request_timeout_s": 30.0,
            "max_retries": 5, "max_output_bytes": 20_000_000}


@hookimpl
def plugin_settings_check(settings):
    key = settings["api_key"]
    if not key:
        return
    if not KEY_FORMAT.match(key):
        raise ValueError("api_key is not a fal key: fal keys look like key_id:key_secret "
                         "(fal.ai/dashboard/keys)")
    for name in ("poll_initial_s", "poll_max_s", "request_timeout_s"):
        if float(settings[name]) <= 0:
            raise ValueError(f"{name} must be above 0")
    if settings["key_check_url"]:
        refused = key_refused("fal", "GET", settings["key_check_url"], {"Authorization": f"Key {key}"})
        if refused:
            raise ValueError(refused)


def _make(app, settings) -> FalProvider:
    provider = FalProvider(settings, settings["webhook_base_url"] or app.public_url, app.download_file,
                           WebhookVerifier(settings["jwks_url"]), app.fetch_url)
    if provider.webhook_base is None:
        log.info("fal: no public URL (WEBHOOK_URL): jobs are finished by polling")
    return provider


# One provider per App (None: switched off), shared by its workers and its webhook route.
registry = ProviderRegistry("fal", _make, model_problems=model_problems)
provider_for = registry.get


@hookimpl
def generation_providers(app, settings):
    return registry.offered(app, settings)


@hookimpl
def web_routes(app, settings):
    return registry.routes(app, settings, lambda provider: [
        callback_route("/fal/webhook/<job_id>", _webhook_handler(app, provider))])
