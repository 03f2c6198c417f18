"""One Replicate prediction per job: create, poll (or hear the webhook), fetch the output.

Calls go through ``ServiceClient`` (retries, 429 Retry-After, the deadline, a cancel);
a prediction ends ``succeeded`` (its ``output`` read: file URLs downloaded, text joined),
``failed`` (its ``error`` kept for the operator), ``canceled`` or ``aborted``. When the
job ends elsewhere (the user's ⛔, the sweeper) or runs past its deadline, the
prediction is cancelled on Replicate so nobody pays for a result nobody gets.
"""

from __future__ import annotations

import base64
import binascii
import logging
import mimetypes
import threading
import time
from urllib.parse import unquote, urlsplit

import requests

from genbot import (
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationTimeout,
    OutputFile,
    UrlFetcher,
)
from genbot.providers import Pollers, ServiceClient, error_message, fetch_output, pause
from plugins.providers.replicate.catalog import replicate_inputs, target_of

log = logging.getLogger("genbot.plugins.replicate")

TERMINAL = ("succeeded", "failed", "canceled", "aborted")
# A model's error that is a content refusal: the user should change the request, not retry.
_REFUSAL_WORDS = ("nsfw", "sensitive", "safety", "flagged")
_EXTENSIONS = {"image/webp": ".webp", "image/jpeg": ".jpg", "image/png": ".png", "video/mp4": ".mp4",
               "audio/mpeg": ".mp3", "audio/wav": ".wav", "image/gif": ".gif"}


class MalformedPrediction(ValueError):
    pass


def webhook_path(job_id: int) -> str:
    return f"/replicate/webhook/{job_id}"


class ReplicateProvider:
    name = "replicate"
    offline = False
    needs_file_urls = True  # a user's photo reaches Replicate as a URL genbot serves

    def __init__(self, settings: dict, webhook_base: str | None, fetch_url=None):
        self.api_url = settings["base_url"].rstrip("/")
        self.api_key = settings["api_key"]
        self.webhook_base = (webhook_base or "").rstrip("/") or None
        self.configured_secret = settings["webhook_secret"] or None
        self.poll_initial_s = float(settings["poll_initial_s"])
        self.poll_max_s = float(settings["poll_max_s"])
        self.max_output_bytes = int(settings["max_output_bytes"])
        self.client = ServiceClient(
            "replicate", {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            request_timeout_s=float(settings["request_timeout_s"]), max_retries=int(settings["max_retries"]),
            key_hint="check [replicate] api_key")
        # Output files, never with the key, from public addresses only (app.fetch_url).
        self.fetch_url = fetch_url or UrlFetcher().fetch
        self.pollers = Pollers()
        self._ended_remotely: set[int] = set()  # jobs whose prediction a webhook saw end
        self._lock = threading.Lock()
        self._secret: str | None = None
        self._secret_fetched = 0.0

    # -- one generation ---------------------------------------------------------------

    def generate(self, req) -> GenerationOutput:
        target = target_of(req.model)
        if target is None:  # the start-up check switched such a catalog off; an old job may remain
            raise GenerationFailed("replicate_bad_model", f"provider_model {req.model.provider_model!r} "
                                   "is not owner/name[:version]", "unavailable")
        inputs = replicate_inputs(req.model, req.inputs, lambda value: self._file_url(req, value))
        body = target.body(inputs)
        webhook = self.webhook_url(req.job_id)
        if webhook:
            body.update(webhook=webhook, webhook_events_filter=["completed"])
        prediction_id = None
        try:
            with self.pollers.polling(req.job_id) as wakeup:
                created = self._created(req, self.client.call(
                    req, "POST", self.api_url + target.create_path(), json=body,
                    ok=(200, 201, 202, 404)), target)
                prediction_id = created["id"]
                req.set_task_id(prediction_id)
                log.info("replicate: job %s of user %s: prediction %s of %s created", req.job_id,
                         req.user_id, prediction_id, req.model.provider_model)
                record, wait = created, self.poll_initial_s
                while record.get("status") not in TERMINAL:
                    pause(req, wait, wakeup)
                    wait = min(wait * 1.5, self.poll_max_s)
                    record = self._read(self.client.call(
                        req, "GET", f"{self.api_url}/v1/predictions/{prediction_id}"))
            return self.outcome(req.model, record, job_id=req.job_id, deadline=req.deadline)
        except (FinishedElsewhere, GenerationTimeout):
            if prediction_id is not None:
                with self._lock:
                    ended = req.job_id in self._ended_remotely
                if not ended:
                    self.cancel(prediction_id, req.job_id)
            raise
        finally:
            with self._lock:
                self._ended_remotely.discard(req.job_id)

    def _created(self, req, response: requests.Response, target) -> dict:
        if response.status_code == 404:
            message = error_message(response)
            response.close()
            # A model the account cannot reach: the operator's to fix, not the user's.
            raise GenerationFailed("replicate_404", f"model {target.model} not found ({message}): check "
                                   f"provider_model of catalog model '{req.model.id}'", "account")
        return self._read(response)

    @staticmethod
    def _read(response: requests.Response) -> dict:
        try:
            record = response.json()
        except ValueError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record.get("status"):
            raise GenerationFailed("replicate_bad_response", f"not a prediction: {response.text[:200]!r}",
                                   "unavailable")
        return record

    def _file_url(self, req, value: dict) -> str:
        url = req.file_url(value)
        if not url:  # the core refuses photo models without a public URL; an old job may remain
            raise GenerationFailed("input_unavailable", "no public URL to hand the user's photo to "
                                   "Replicate: set WEBHOOK_URL", "photo")
        return url

    # -- the end of a prediction ---------------------------------------------------------

    def outcome(self, model, record: dict, *, job_id: int, deadline: float | None = None) -> GenerationOutput:
        """What a finished prediction gave: the output, or GenerationFailed."""
        status = record.get("status")
        if status == "succeeded":
            return self.read_output(model, record.get("output"), deadline)
        if status == "failed":
            error = str(record.get("error") or "the prediction failed").strip()[:500]
            lowered = error.lower()
            reason = "rejected" if any(word in lowered for word in _REFUSAL_WORDS) else "failed"
            raise GenerationFailed("replicate_failed", error, reason)
        if status in ("canceled", "aborted"):
            raise GenerationFailed(f"replicate_{status}", f"the prediction {record.get('id')} was {status} on "
                                   "Replicate", "failed")
        raise GenerationFailed("replicate_bad_response", f"unknown status {status!r}", "unavailable")

    def read_output(self, model, output, deadline: float | None = None) -> GenerationOutput:
        kind = model.category
        if kind == "text":
            text = _text_of(output)
            if not text.strip():
                raise GenerationFailed("replicate_no_output", "the prediction succeeded with no text")
            return GenerationOutput("text", text=text)
        links = _links_of(output)
        if not links:
            raise GenerationFailed("replicate_no_output", f"no file in the output: {str(output)[:200]}")
        files, urls = [], []
        for index, link in enumerate(links):
            if link.startswith("data:"):
                files.append(_data_uri_file(link, index))
                continue
            fetched = self._download(link, index, deadline)
            if fetched is None:
                urls.append(link)  # too large or unreachable here: Telegram fetches it itself
            else:
                files.append(fetched)
        return GenerationOutput(kind, files=tuple(files), urls=tuple(urls))

    def _download(self, url: str, index: int, deadline: float | None) -> OutputFile | None:
        """The file while its URL lives (Replicate removes outputs after an hour), within
        ``max_output_bytes``; None when it is larger or cannot be fetched."""
        timeout = self.client.request_timeout_s
        if deadline is not None:
            timeout = max(1.0, min(timeout, deadline - time.monotonic()))
        fetched = fetch_output(self.fetch_url, url, max_bytes=self.max_output_bytes, timeout_s=timeout,
                               service="replicate")
        if fetched is None:
            return None
        data, mime = fetched.data, fetched.content_type
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or f"output-{index}"
        if not mime or mime == "application/octet-stream" or "/" not in mime:
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if "." not in name:
            name += _EXTENSIONS.get(mime, "")
        return OutputFile(name, bytes(data), mime)

    # -- cancel, webhooks -----------------------------------------------------------------

    def cancel(self, prediction_id: str, job_id: int) -> None:
        """Tell Replicate to stop the prediction (once; a failure is only logged)."""
        try:
            response = self.client.session().post(f"{self.api_url}/v1/predictions/{prediction_id}/cancel",
                                                  timeout=min(self.client.request_timeout_s, 10.0))
            status = response.status_code
            response.close()
        except requests.RequestException as exc:
            status = type(exc).__name__
        if status == 200:
            log.info("replicate: job %s ended; prediction %s cancelled", job_id, prediction_id)
        else:
            log.warning("replicate: job %s ended; cancelling prediction %s failed (%s)", job_id,
                        prediction_id, status)

    def webhook_url(self, job_id: int) -> str | None:
        if not self.webhook_base or not job_id:
            return None
        return self.webhook_base + webhook_path(job_id)

    def prediction_ended(self, job_id: int) -> None:
        """A webhook saw this job's prediction end: its poller here will cancel nothing."""
        with self._lock:
            if job_id in self.pollers:
                self._ended_remotely.add(job_id)

    def wake(self, job_id: int) -> None:
        """Cut the poller's pause short (it then sees the job ended, and stops)."""
        self.pollers.wake(job_id)

    def signing_secret(self, *, refresh: bool = False) -> str | None:
        """``webhook_secret``, else the account's, fetched once from Replicate (again on
        ``refresh``, at most once a minute: the secret may have been rotated)."""
        if self.configured_secret:
            return self.configured_secret
        with self._lock:
            if self._secret and not (refresh and time.monotonic() - self._secret_fetched > 60):
                return self._secret
        try:
            response = self.client.session().get(f"{self.api_url}/v1/webhooks/default/secret",
                                                 timeout=min(self.client.request_timeout_s, 10.0))
            key = response.json().get("key") if response.status_code == 200 else None
        except (requests.RequestException, ValueError, AttributeError) as exc:
            log.warning("replicate: the webhook signing secret could not be fetched (%s)", type(exc).__name__)
            return self._secret
        if not isinstance(key, str) or not key.startswith("whsec_"):
            log.error("replicate: GET /v1/webhooks/default/secret gave no whsec_ key (HTTP %s): webhooks "
                      "cannot be verified; set [replicate] webhook_secret", response.status_code)
            return self._secret
        with self._lock:
            self._secret, self._secret_fetched = key, time.monotonic()
        return key


def _text_of(output) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "".join(part if isinstance(part, str) else str(part) for part in output if part is not None)
    if isinstance(output, dict):
        for key in ("text", "output", "content"):
            if isinstance(output.get(key), str):
                return output[key]
    return "" if output is None else str(output)


def _links_of(output) -> list[str]:
    if isinstance(output, str):
        output = [output]
    elif isinstance(output, dict):
        output = list(output.values())
    if not isinstance(output, list):
        return []
    return [item for item in output if isinstance(item, str)
            and item.startswith(("https://", "http://", "data:"))]


def _data_uri_file(uri: str, index: int) -> OutputFile:
    header, _, payload = uri.partition(",")
    mime = header[5:].split(";")[0] or "application/octet-stream"
    try:
        data = base64.b64decode(payload) if ";base64" in header else unquote(payload).encode()
    except (binascii.Error, ValueError):
        raise GenerationFailed("replicate_bad_response", "an output data URI that does not decode") from None
    return OutputFile(f"output-{index}{_EXTENSIONS.get(mime, '')}", data, mime)
