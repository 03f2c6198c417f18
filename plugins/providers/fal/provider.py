"""One fal job through fal's Queue API (https://docs.fal.ai/model-endpoints/queue).

1. ``POST {queue_url}/{endpoint id}`` with ``Authorization: Key <key>`` and the inputs as
   JSON (plus ``?fal_webhook=<url>`` when the bot has a public URL); the answer's
   ``request_id`` is stored as the job's task id;
2. the answer's ``status_url`` is polled with growing pauses (fal answers 202 while
   IN_QUEUE / IN_PROGRESS, 200 once COMPLETED) — always the URLs fal returned, since
   they drop the endpoint's sub-path;
3. ``response_url`` holds the result: the output, or the model's error (``detail``);
4. a job that ends while fal works (the user's ⛔, a webhook) stops polling and, unless
   fal already finished it, ``PUT``s the ``cancel_url``.

A user's photo goes to fal as a data URI (fal documents data URIs for file inputs): it
needs no public URL, and neither the bot token nor a genbot link reaches fal. A URL the
user typed is passed as is.
"""

from __future__ import annotations

import logging
import threading

import requests

from genbot import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationTimeout,
    UrlFetcher,
)
from genbot.providers import Pollers, ServiceClient, error_message, pause, user_photo
from plugins.providers.fal.results import MalformedAnswer, data_uri, fal_body, read_output

log = logging.getLogger("genbot.plugins.fal")

CANCEL_TIMEOUT_S = 5.0
# A failed request's result is the model's own answer, whatever its status (a 429 is
# still the queue being busy).
MODEL_ANSWERS = tuple(code for code in range(200, 600) if code != 429)


class FalProvider:
    name = "fal"
    offline = False
    needs_file_urls = False  # photos go as data URIs

    def __init__(self, settings: dict, webhook_base: str | None, fetch_file, verifier, fetch_url=None):
        self.queue_url = settings["queue_url"].rstrip("/")
        self.webhook_base = (webhook_base or "").rstrip("/") or None
        self.poll_initial_s = float(settings["poll_initial_s"])
        self.poll_max_s = float(settings["poll_max_s"])
        self.max_output_bytes = int(settings["max_output_bytes"])
        self.request_timeout_s = float(settings["request_timeout_s"])
        self.fetch_file = fetch_file  # (telegram file id) -> (bytes, content type)
        self.fetch_url = fetch_url or UrlFetcher().fetch  # outputs: public addresses only
        self.verifier = verifier
        self.client = ServiceClient("fal", {"Authorization": f"Key {settings['api_key']}"},
                                    request_timeout_s=self.request_timeout_s,
                                    max_retries=int(settings["max_retries"]),
                                    key_hint="check [fal] api_key (FAL_KEY)")
        self.pollers = Pollers()
        self._done: set[str] = set()  # request ids fal told us (by webhook) are finished
        self._lock = threading.Lock()

    # -- one generation -----------------------------------------------------------------

    def generate(self, req) -> GenerationOutput:
        model = req.model
        body = fal_body(model, req.inputs, lambda value: self._image(req, value))
        webhook = self.webhook_url(req.job_id)
        params = {"fal_webhook": webhook} if webhook else None
        answer = self.client.call(req, "POST", f"{self.queue_url}/{model.provider_model}",
                                  json=body, params=params)
        submitted = self._json(answer)
        request_id = submitted.get("request_id")
        urls = [submitted.get(k) for k in ("status_url", "response_url", "cancel_url")]
        if not isinstance(request_id, str) or not all(isinstance(u, str) and u for u in urls):
            raise GenerationFailed("fal_bad_response", "the queue's answer lacks request_id or its URLs")
        req.set_task_id(request_id)
        status_url, response_url, cancel_url = urls
        log.info("fal: job %s of user %s: request %s queued on %s", req.job_id, req.user_id,
                 request_id, model.provider_model)
        try:
            completed = self._poll(req, request_id, status_url)
            return self._result(req, completed, response_url)
        except (FinishedElsewhere, GenerationTimeout):
            if not self._finished_at_fal(request_id):
                self.cancel(req, request_id, cancel_url)
            raise
        finally:
            with self._lock:
                self._done.discard(request_id)

    def _poll(self, req, request_id: str, status_url: str) -> dict:
        with self.pollers.polling(req.job_id) as wakeup:
            wait, unreadable = self.poll_initial_s, 0
            while True:
                pause(req, wait, wakeup)
                status = self._json(self.client.call(req, "GET", status_url, ok=(200, 202)), soft=True)
                state = status.get("status") if isinstance(status, dict) else None
                if state == "COMPLETED":
                    return status
                if state not in ("IN_QUEUE", "IN_PROGRESS"):
                    unreadable += 1
                    log.warning("fal: request %s of job %s: unreadable status %r (%d of %d)", request_id,
                                req.job_id, state, unreadable, self.client.max_retries + 1)
                    if unreadable > self.client.max_retries:
                        raise GenerationFailed("fal_bad_response", f"status {state!r} from the queue")
                wait = min(wait * 1.5, self.poll_max_s)

    def _result(self, req, status: dict, response_url: str) -> GenerationOutput:
        if status.get("error"):
            # The model failed: its answer is the error (a 4xx it refused, a 5xx it broke),
            # not a service to retry.
            answer = self.client.call(req, "GET", response_url, ok=MODEL_ANSWERS)
            if answer.status_code >= 300:
                raise self.failure(req, answer.status_code, error_message(answer), status)
        else:
            answer = self.client.call(req, "GET", response_url, ok=(200,))
        try:
            return read_output(self._json(answer), req.model, max_bytes=self.max_output_bytes,
                               timeout_s=self.request_timeout_s, fetch_url=self.fetch_url)
        except MalformedAnswer as exc:
            raise GenerationFailed("fal_bad_response", str(exc)) from None

    def failure(self, req, http_status: int, message: str, status: dict) -> GenerationFailed:
        error_type = status.get("error_type") or ""
        detail = f"{status.get('error')}: {message}" + (f" ({error_type})" if error_type else "")
        # The account, or the model's refusal (a 4xx), as any call's; a 5xx is the model
        # breaking, not the service to retry.
        return self.client.failure(http_status, "", detail, "GET result") \
            or GenerationFailed(f"fal_{http_status}", detail, "failed")

    def cancel(self, req, request_id: str, cancel_url: str) -> None:
        """Ask fal to drop the request: 202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED."""
        try:
            response = self.client.session().put(cancel_url, timeout=CANCEL_TIMEOUT_S)
        except requests.RequestException as exc:
            log.warning("fal: request %s of job %s could not be cancelled (%s)", request_id,
                        req.job_id, type(exc).__name__)
            return
        try:
            said = response.json().get("status")
        except (ValueError, AttributeError):
            said = None
        log.info("fal: job %s ended here; cancelling request %s: %s %s", req.job_id, request_id,
                 response.status_code, said or error_message(response))

    # -- the webhook's side ---------------------------------------------------------------

    def webhook_url(self, job_id: int) -> str | None:
        if not self.webhook_base or not job_id:
            return None
        return f"{self.webhook_base}/fal/webhook/{job_id}"

    def finished_at_fal(self, request_id: str) -> None:
        with self._lock:
            self._done.add(request_id)

    def _finished_at_fal(self, request_id: str) -> bool:
        with self._lock:
            return request_id in self._done

    def wake(self, job_id: int) -> None:
        """Poll this job now, if this process is polling it."""
        self.pollers.wake(job_id)

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _json(response, *, soft: bool = False):
        try:
            data = response.json()
        except ValueError:
            if soft:
                return None
            raise GenerationFailed("fal_bad_response", f"not JSON: {response.text[:200]!r}") from None
        if not isinstance(data, dict) and not soft:
            raise GenerationFailed("fal_bad_response", "the answer is not a JSON object")
        return data

    def _image(self, req, value: dict) -> str:
        if value.get("url"):
            return value["url"]  # a link the user typed: fal fetches it
        return data_uri(*user_photo(req, value, self.fetch_file))
