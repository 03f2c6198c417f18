"""kie: a provider for Kie.ai-style task APIs.

``POST /api/v1/jobs/createTask`` with ``{model, input, callBackUrl}`` and a bearer key
answers a ``taskId``; ``GET /api/v1/jobs/recordInfo?taskId=`` reports ``state``
(``waiting``, ``success`` or ``fail``) with ``resultJson`` (``resultUrls``) or
``failCode``/``failMsg``. The provider polls with growing pauses, and the API may
also call back ``POST /kie/callback/<job>/<signature>``: whichever comes first
finishes the job, and the other finds it finished (one result message). HTTP 429 is
honoured with its Retry-After, 5xx, time-outs and malformed answers are retried a
few times, and all calls of one process share a per-account rate limit.

Without ``api_key`` in ``[kie]`` of plugins.toml the provider is not offered, and the
catalog's kie models are hidden.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import logging
import threading
import time
import weakref

import requests
from flask import Response, request

from core.hookspecs import WebRoute, hookimpl
from core.providers import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationTimeout,
)

log = logging.getLogger("genbot.plugins.kie")

_KINDS = {"image": "image", "video": "video", "audio": "audio", "text": "text"}


class RateLimiter:
    """A token bucket shared by the threads of one process."""

    def __init__(self, per_second: float):
        self.per_second = max(per_second, 0.01)
        self.tokens = self.per_second
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def wait_time(self) -> float:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.per_second, self.tokens + (now - self.updated) * self.per_second)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.per_second


def retry_after_seconds(value: str | None, default: float) -> float:
    """Retry-After as seconds or an HTTP date; ``default`` when absent or unreadable."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def callback_signature(secret: str, job_id: int) -> str:
    return hmac.new(secret.encode(), f"kie-callback:{job_id}".encode(), hashlib.sha256).hexdigest()[:32]


def output_from_record(record: dict, category: str) -> GenerationOutput:
    raw = record.get("resultJson")
    try:
        result = json.loads(raw) if isinstance(raw, str) else (raw or {})
    except ValueError:
        raise GenerationFailed("kie_bad_result", "resultJson is not JSON") from None
    if not isinstance(result, dict):
        raise GenerationFailed("kie_bad_result", "resultJson is not an object")
    kind = _KINDS.get(category, "image")
    if kind == "text":
        text = result.get("text") or result.get("resultText")
        if not isinstance(text, str) or not text:
            raise GenerationFailed("kie_bad_result", "no text in the result")
        return GenerationOutput("text", text=text)
    urls = result.get("resultUrls")
    if not isinstance(urls, list) or not urls or not all(
            isinstance(u, str) and u.startswith(("https://", "http://")) for u in urls):
        raise GenerationFailed("kie_bad_result", "no result URLs in the result")
    return GenerationOutput(kind, urls=tuple(urls[:10]))


class KieProvider:
    name = "kie"
    offline = False
    needs_file_urls = True

    def __init__(self, settings: dict, callback_base: str | None):
        self.base_url = settings["base_url"].rstrip("/")
        self.api_key = settings["api_key"]
        self.callback_base = (callback_base or "").rstrip("/") or None
        self.callback_secret = settings["callback_secret"] or hashlib.sha256(
            b"kie-callback:" + self.api_key.encode()).hexdigest()
        self.poll_initial_s = float(settings["poll_initial_s"])
        self.poll_max_s = float(settings["poll_max_s"])
        self.max_retries = int(settings["max_retries"])
        self.request_timeout_s = float(settings["request_timeout_s"])
        self.limiter = RateLimiter(float(settings["requests_per_second"]))
        self._local = threading.local()

    # -- one generation ---------------------------------------------------------------

    def generate(self, req) -> GenerationOutput:
        model = req.model
        payload = {"model": model.provider_model or model.id, "input": self._input(req)}
        if self.callback_base and req.job_id:
            payload["callBackUrl"] = (f"{self.callback_base}/kie/callback/{req.job_id}/"
                                      f"{callback_signature(self.callback_secret, req.job_id)}")
        created = self._call(req, "POST", "/api/v1/jobs/createTask", json=payload)
        task_id = created.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise GenerationFailed("kie_bad_response", "createTask gave no taskId")
        req.set_task_id(task_id)
        pause = self.poll_initial_s
        while True:
            self._sleep(req, pause)
            record = self._call(req, "GET", "/api/v1/jobs/recordInfo", params={"taskId": task_id})
            state = record.get("state")
            if state == "success":
                return output_from_record(record, model.category)
            if state == "fail":
                raise GenerationFailed(str(record.get("failCode") or "kie_fail"),
                                       str(record.get("failMsg") or "the provider failed the task"))
            pause = min(pause * 1.5, self.poll_max_s)

    @staticmethod
    def _input(req) -> dict:
        out = {}
        for key, value in req.inputs.items():
            if isinstance(value, dict):  # an image input: a URL the API can fetch
                url = req.file_url(value)
                if url is None:
                    raise GenerationFailed("input_unavailable", f"input {key} cannot be passed as a URL")
                out[f"{key}_url"] = url
                continue
            out[key] = value
        return out

    # -- HTTP -------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.api_key}"
        return session

    def _sleep(self, req, seconds: float) -> None:
        until = time.monotonic() + seconds
        while True:
            if req.job_id and req.finished():
                raise FinishedElsewhere()
            left = min(until - time.monotonic(), req.time_left())
            if req.time_left() <= 0:
                raise GenerationTimeout()
            if left <= 0:
                return
            time.sleep(min(left, 0.25))

    def _call(self, req, method: str, path: str, **kwargs) -> dict:
        failures = 0
        backoff = 0.5
        while True:
            wait = self.limiter.wait_time()
            if wait:
                self._sleep(req, wait)
                continue
            if req.time_left() <= 0:
                raise GenerationTimeout()
            problem = None
            try:
                response = self._session().request(
                    method, self.base_url + path,
                    timeout=max(0.5, min(self.request_timeout_s, req.time_left())), **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = ("kie_unreachable", f"{type(exc).__name__} calling {path}")
            else:
                if response.status_code == 429:
                    self._sleep(req, retry_after_seconds(response.headers.get("Retry-After"), backoff))
                    backoff = min(backoff * 2, 30)
                    continue
                if response.status_code in (401, 403):
                    raise GenerationFailed("kie_auth", f"the API refused the key (HTTP {response.status_code})")
                if response.status_code >= 500:
                    problem = (f"kie_http_{response.status_code}", f"HTTP {response.status_code} from {path}")
                elif response.status_code >= 400:
                    raise GenerationFailed(f"kie_http_{response.status_code}",
                                           f"HTTP {response.status_code} from {path}: {response.text[:200]}")
                else:
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
                        code = body.get("code") if isinstance(body, dict) else None
                        if isinstance(code, int) and code != 200:
                            raise GenerationFailed(f"kie_{code}", str(body.get("msg") or "the API refused"))
                        problem = ("kie_bad_response", f"malformed answer from {path}")
                    elif body.get("code") not in (None, 200):
                        raise GenerationFailed(f"kie_{body.get('code')}", str(body.get("msg") or "the API refused"))
                    else:
                        return body["data"]
            failures += 1
            log.warning("kie %s %s: %s (attempt %d of %d)", method, path, problem[1], failures,
                        self.max_retries + 1)
            if failures > self.max_retries:
                raise GenerationFailed(*problem)
            self._sleep(req, backoff)
            backoff = min(backoff * 2, 30)


# -- the callback route ------------------------------------------------------------------

def _callback_view(app, provider: KieProvider):
    def kie_callback(job_id: str, signature: str):
        if not job_id.isdigit() or not hmac.compare_digest(
                signature.encode(), callback_signature(provider.callback_secret, int(job_id)).encode()):
            return Response('{"error": "forbidden"}', 403, mimetype="application/json")
        try:
            body = json.loads(request.get_data(cache=False) or b"null")
            record = body.get("data") if isinstance(body, dict) else None
            if not isinstance(record, dict):
                raise ValueError("no data")
        except ValueError:
            return Response('{"error": "malformed body"}', 400, mimetype="application/json")
        job = app.jobs.get(int(job_id))
        if job is None or job.provider != "kie" or (
                job.task_id and record.get("taskId") and record["taskId"] != job.task_id):
            return Response('{"error": "unknown job"}', 404, mimetype="application/json")
        state = record.get("state")
        if state == "success":
            model = app.catalog.get(job.model_id)
            try:
                output = output_from_record(record, model.category if model else "image")
            except GenerationFailed as exc:
                app.generation.finish(job.id, "failed", error_code=exc.code, error_message=exc.message)
            else:
                app.generation.finish(job.id, "succeeded", output=output)
        elif state == "fail":
            app.generation.finish(job.id, "failed", error_code=str(record.get("failCode") or "kie_fail"),
                                  error_message=str(record.get("failMsg") or "the provider failed the task"))
        return Response('{"ok": true}', 200, mimetype="application/json")

    return kie_callback


@hookimpl
def plugin_settings():
    return {"api_key": "", "base_url": "https://api.kie.ai", "callback_base_url": "",
            "callback_secret": "", "poll_initial_s": 2.0, "poll_max_s": 15.0,
            "requests_per_second": 10.0, "max_retries": 4, "request_timeout_s": 30.0}


# One provider per App, shared by its workers and its callback route.
_providers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def provider_for(app, settings=None) -> KieProvider | None:
    """The App's kie provider (None without an api_key)."""
    if app not in _providers and settings is not None and settings["api_key"]:
        _providers[app] = KieProvider(settings, settings["callback_base_url"] or app.config.webhook_url)
    return _providers.get(app)


@hookimpl
def generation_providers(app, settings):
    provider = provider_for(app, settings)
    return [provider] if provider else []


@hookimpl
def web_routes(app, settings):
    provider = provider_for(app, settings)
    if provider is None:
        return []
    return [WebRoute("/kie/callback/<job_id>/<signature>", _callback_view(app, provider),
                     methods=("POST",))]
