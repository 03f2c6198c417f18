"""kie: generations through Kie.ai, spoken the way Kie documents each of its APIs.

A catalog model names its Kie API family and Kie's model id (``provider_options.api``,
``provider_model``); ``families`` has one adapter per family (Market, Flux
Kontext, the old 4o Image API, Veo, Suno, Chat), ``client`` the HTTP side (in-body
error codes, retries, rate limits) and ``webhook`` Kie's callback signature. One job:

1. photos: a Telegram photo is fetched through the Bot API and uploaded with Kie's File
   Upload API, and the ``downloadUrl`` it returns is what Kie gets. A Telegram file URL
   carries the bot token and is never passed on; a URL the user typed is passed as is;
2. the task is created and its id stored with the job, then polled with growing pauses
   that respect the family's per-task limit; a chat answers at once instead;
3. Kie may call back ``POST /kie/callback/<job>/<signature>``: the family's callback
   reader ends the job, and since ending is a conditional transition, the callback and
   the poller end it once between them. A callback that cannot be read wakes the
   poller of this process for an immediate poll. The URL's signature (a secret of
   genbot's, per job) is always checked; with ``webhook_hmac_key`` set, so is Kie's
   own ``X-Webhook-Signature``, and a callback without a valid one changes nothing.

Without ``api_key`` in ``[kie]`` the provider is not offered and the catalog's kie
models are hidden. A kie catalog entry its family would refuse (an unknown family, a
missing model id, an aspect ratio Kie does not take, a prompt longer than Kie allows)
switches the provider off too, with one ERROR line per problem naming the model.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

from genbot import GenerationFailed, GenerationOutput, hookimpl
from genbot.providers import (
    Pollers,
    ProviderRegistry,
    WindowLimiter,
    callback_job,
    job_signature,
    json_object,
    pause,
    settle,
    signatures_match,
    user_photo,
)
from plugins.providers.kie.client import KieClient
from plugins.providers.kie.families import FAMILIES, RENAMED, MalformedAnswer, TaskInputs, family_of
from plugins.providers.kie.webhook import SIGNATURE_HEADER, WebhookRefused, verify

log = logging.getLogger("genbot.plugins.kie")

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}


def callback_signature(secret: str, job_id: int) -> str:
    return job_signature(secret, "kie", job_id)


def model_problems(model) -> list[str]:
    """A kie model's catalog entry checked against its family."""
    family = family_of(model)
    if family is None:
        return [f"provider_options.api must name a Kie API: {', '.join(FAMILIES)}"]
    api = model.provider_options.get("api")
    if api in RENAMED:
        log.warning("kie: model '%s': api '%s' is now called '%s': %s", model.id, api, *RENAMED[api])
    if family.unlisted_model_id(model):
        log.warning("kie: model '%s': Kie's %s documentation lists %s, not '%s'", model.id,
                    family.name, ", ".join(family.model_ids), model.provider_model)
    return family.problems(model)


class KieProvider:
    name = "kie"
    offline = False
    needs_file_urls = False  # photos go to Kie's File Upload API, not through a genbot link

    def __init__(self, settings: dict, callback_base: str | None, fetch_file):
        self.api_url = settings["base_url"].rstrip("/")
        self.upload_url = settings["upload_base_url"].rstrip("/")
        self.upload_path = settings["upload_path"].strip("/") or "genbot"
        self.callback_base = (callback_base or "").rstrip("/") or None
        self.callback_secret = settings["callback_secret"] or hashlib.sha256(
            b"kie-callback:" + settings["api_key"].encode()).hexdigest()
        self.webhook_hmac_key = settings["webhook_hmac_key"] or None  # Kie's, from kie.ai/settings
        self.poll_initial_s = float(settings["poll_initial_s"])
        self.poll_max_s = float(settings["poll_max_s"])
        self.fetch_file = fetch_file  # (telegram file id) -> (bytes, content type)
        self.client = KieClient(
            settings["api_key"], request_timeout_s=float(settings["request_timeout_s"]),
            max_retries=int(settings["max_retries"]),
            creates=WindowLimiter(settings["create_limit"], settings["create_window_s"]),
            polls=WindowLimiter(max(1, round(settings["polls_per_second"])), 1.0))
        self.pollers = Pollers()

    # -- one generation ---------------------------------------------------------------

    def generate(self, req) -> GenerationOutput:
        model = req.model
        family = family_of(model)
        prompt = req.inputs.get("prompt")
        limit = family.prompt_limit(model)
        if isinstance(prompt, str) and limit is not None and len(prompt) > limit:
            # The catalog keeps prompts within the limit; an old job repeated after the
            # catalog changed may not be.
            raise GenerationFailed("prompt_too_long", f"a prompt of {len(prompt)} characters; "
                                   f"Kie's {family.name} API takes {limit}", "too_long")
        callback_url = self.callback_url(req.job_id)
        if family.needs_callback and callback_url is None:
            log.error("kie: model %s (%s API) needs a callback URL: set WEBHOOK_URL or [kie] "
                      "callback_base_url. Job %s of user %s failed; its hold is released",
                      model.id, family.name, req.job_id, req.user_id)
            raise GenerationFailed("kie_no_callback_url", f"the {family.name} API needs a callback "
                                   f"URL: set WEBHOOK_URL or [kie] callback_base_url", "unavailable")
        body = family.body(model, self._task_inputs(req, model), callback_url)
        url = self.api_url + family.path(model)
        if family.synchronous:
            answer = self.client.call(req, "POST", url, purpose="chat", json=body)
            try:
                return family.read_answer(answer)
            except MalformedAnswer as exc:
                raise GenerationFailed("kie_bad_response", str(exc)) from None
        created = self.client.call(req, "POST", url, purpose="create", json=body)
        try:
            task_id = family.task_id(created)
        except MalformedAnswer as exc:
            raise GenerationFailed("kie_bad_response", str(exc)) from None
        req.set_task_id(task_id)
        return self._poll(req, family, task_id)

    def _poll(self, req, family, task_id: str) -> GenerationOutput:
        with self.pollers.polling(req.job_id) as wakeup:
            wait = max(self.poll_initial_s, family.min_poll_interval_s)
            last_poll = time.monotonic()
            unreadable = 0
            while True:
                pause(req, wait, wakeup)
                # A wake-up must not break the per-task query limit either.
                time.sleep(max(0.0, last_poll + family.min_poll_interval_s - time.monotonic()))
                last_poll = time.monotonic()
                record = self.client.call(req, "GET", self.api_url + family.poll_path,
                                          purpose="poll", params={"taskId": task_id})
                try:
                    output = family.read_record(record, req.model)
                except MalformedAnswer as exc:
                    unreadable += 1
                    log.warning("kie: task %s of job %s: unreadable answer (%s), %d of %d",
                                task_id, req.job_id, exc, unreadable, self.client.max_retries + 1)
                    if unreadable > self.client.max_retries:
                        raise GenerationFailed("kie_bad_response", str(exc)) from None
                else:
                    if output is not None:
                        return output
                wait = min(wait * 1.5, max(self.poll_max_s, family.min_poll_interval_s))

    def wake(self, job_id: int) -> None:
        """Poll this job now, if this process is polling it (a callback may cut a pause short)."""
        self.pollers.wake(job_id)

    def callback_url(self, job_id: int) -> str | None:
        if not self.callback_base or not job_id:
            return None
        return f"{self.callback_base}/kie/callback/{job_id}/{callback_signature(self.callback_secret, job_id)}"

    # -- inputs -----------------------------------------------------------------------

    def _task_inputs(self, req, model) -> TaskInputs:
        images, other = [], {}
        for field in model.inputs:
            value = req.inputs.get(field.name)
            if value is None or field.name in ("prompt", "aspect_ratio"):
                continue
            if field.type == "image":
                images.append(self._image_url(req, value, len(images) + 1))
            else:
                other[field.name] = value
        return TaskInputs(req.inputs.get("prompt"), req.inputs.get("aspect_ratio"), tuple(images), other)

    def _image_url(self, req, value: dict, number: int) -> str:
        if value.get("url"):
            return value["url"]  # a link the user typed: Kie fetches it
        data, content_type = user_photo(req, value, self.fetch_file)
        # A fresh name each time: Kie overwrites an upload with the same name.
        name = f"{req.job_id}-{number}-{secrets.token_hex(4)}{_EXTENSIONS.get(content_type, '.jpg')}"
        answer = self.client.call(
            req, "POST", self.upload_url + "/api/file-stream-upload", purpose="upload",
            files={"file": (name, data, content_type)},
            data={"uploadPath": self.upload_path, "fileName": name})
        data = answer.get("data")
        url = data.get("downloadUrl") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GenerationFailed("kie_bad_response", "the File Upload API gave no downloadUrl")
        return url


# -- the callback route ------------------------------------------------------------------

def _callback_handler(app, provider: KieProvider):
    def kie_callback(request, job_id: str, signature: str):
        if not job_id.isdigit() or not signatures_match(
                signature, callback_signature(provider.callback_secret, int(job_id))):
            return 403, {"error": "forbidden"}
        body = json_object(request.get_data(cache=False))
        if body is None:
            return 400, {"error": "malformed body"}
        job = callback_job(app, job_id, "kie")
        model = app.catalog.get(job.model_id) if job is not None else None
        family = family_of(model) if model is not None else None
        if family is None:
            return 404, {"error": "unknown job"}
        if provider.webhook_hmac_key:
            try:
                verify(provider.webhook_hmac_key, request.headers, body)
            except WebhookRefused as exc:
                log.warning("kie: job %s of user %s: callback refused, nothing changed: %s (Kie "
                            "signs with the Webhook HMAC key of https://kie.ai/settings, which "
                            "[kie] webhook_hmac_key must hold)", job.id, job.user_id, exc)
                return 401, {"error": "invalid signature"}
        try:
            task_id, outcome = family.read_callback(body, model)
        except MalformedAnswer as exc:
            log.warning("kie: job %s: unreadable callback (%s); polling now instead", job.id, exc)
            provider.wake(job.id)
            return 200, {"ok": True}
        if job.task_id and task_id and task_id != job.task_id:
            log.info("kie: job %s: callback for task %s, not its task %s: ignored", job.id,
                     task_id, job.task_id)
            return 200, {"ok": True, "ignored": "another task"}
        if outcome is not None:  # None: a progress stage (Suno's text, first)
            settle(app, job.id, outcome, pollers=provider.pollers)
        return 200, {"ok": True}

    return kie_callback


# -- hooks -----------------------------------------------------------------------------

@hookimpl
def plugin_settings():
    return {"api_key": "", "base_url": "https://api.kie.ai",
            "upload_base_url": "https://kieai.redpandaai.co", "upload_path": "genbot",
            "callback_base_url": "", "callback_secret": "", "webhook_hmac_key": "",
            "poll_initial_s": 2.0, "poll_max_s": 15.0, "polls_per_second": 8.0,
            "create_limit": 15, "create_window_s": 10.0,
            "max_retries": 5, "request_timeout_s": 30.0}


def _make(app, settings) -> KieProvider:
    provider = KieProvider(settings, settings["callback_base_url"] or app.public_url, app.download_file)
    if provider.callback_base is None:
        for model in app.catalog.models.values():
            if model.provider == "kie" and family_of(model).needs_callback:
                log.warning("kie: model %s needs a callback URL (Kie requires one for its %s API): "
                            "set WEBHOOK_URL or [kie] callback_base_url", model.id, family_of(model).name)
    elif provider.webhook_hmac_key:
        log.info("kie: callbacks must carry Kie's %s, checked with [kie] webhook_hmac_key, as well "
                 "as the secret in their URL", SIGNATURE_HEADER)
    else:
        log.info("kie: callbacks are checked by the secret in their URL only; to check Kie's %s "
                 "too, generate the Webhook HMAC key at https://kie.ai/settings and set [kie] "
                 "webhook_hmac_key = { env = \"KIE_WEBHOOK_HMAC_KEY\" }", SIGNATURE_HEADER)
    return provider


# One provider per App (None: switched off without an api_key or with a catalog Kie
# would refuse), shared by its workers and its callback route; its hooks are the plugin's.
registry = ProviderRegistry("kie", _make, model_problems=model_problems,
                            callbacks={"/kie/callback/<job_id>/<signature>": _callback_handler})
provider_for = registry.get
catalog_problems = registry.catalog_problems
generation_providers, web_routes = registry.generation_providers, registry.web_routes
