"""Talking to a provider's HTTP API within a job: the key, retries, rate limits, the deadline.

Every HTTP provider (openai, replicate, fal) calls its service through a
``ServiceClient``. A call is tried until the service answers or the job must stop:

- 429 waits as long as ``Retry-After`` says (seconds or an HTTP date), else backs off;
- a 5xx, a connection error or a time-out is retried with a growing pause, at most
  ``max_retries`` times, then the job fails as ``unavailable``;
- 401/403 fail the job as ``unavailable`` with one ERROR line for the operator (the
  key is wrong: not the user's doing); any other 4xx fails it as ``rejected``, with
  the service's own message kept for the log;
- every pause ends early when the job is finished elsewhere (``FinishedElsewhere``)
  and never runs past the deadline (``GenerationTimeout``).
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time

import requests

from genbot import FinishedElsewhere, GenerationFailed, GenerationTimeout

log = logging.getLogger("genbot.plugins.providers")

KEY_REFUSED = (401, 403)


def retry_after_seconds(value: str | None, default: float) -> float:
    """Retry-After as seconds or an HTTP date; ``default`` when absent or unreadable."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def error_message(response: requests.Response) -> str:
    """The service's own words for an error: ``error.message``, ``error``, ``detail``,
    ``message`` or ``title`` of a JSON body, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        for value in (error.get("message") if isinstance(error, dict) else error,
                      body.get("detail"), body.get("message"), body.get("title")):
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
            if isinstance(value, list) and value:  # FastAPI-style validation errors
                return str(value)[:500]
    return (response.text or f"HTTP {response.status_code}").strip()[:200]


def pause(req, seconds: float) -> None:
    """Sleep within the job's deadline; stop if the job was finished elsewhere."""
    if req.job_id and req.finished():
        raise FinishedElsewhere()
    if req.time_left() <= 0:
        raise GenerationTimeout()
    time.sleep(max(0.0, min(seconds, req.time_left())))
    if req.time_left() <= 0:
        raise GenerationTimeout()


class ServiceClient:
    """One provider's HTTP API: ``service`` names it in logs and codes (``openai_429``)."""

    def __init__(self, service: str, headers: dict, *, request_timeout_s: float = 30.0,
                 max_retries: int = 5, key_hint: str = "check its api_key"):
        self.service = service
        self.headers = dict(headers)
        self.request_timeout_s = request_timeout_s
        self.max_retries = max_retries
        self.key_hint = key_hint
        self._local = threading.local()

    def session(self) -> requests.Session:
        """This thread's session (connections are kept per worker thread)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers.update(self.headers)
        return session

    def call(self, req, method: str, url: str, *, stream: bool = False,
             whole_job: bool = False, ok=(200, 201, 202), **kwargs) -> requests.Response:
        """The response of a call the service accepted (a status in ``ok``).

        ``whole_job``: the call may take as long as the job has left (a streamed or a
        synchronous answer); otherwise each try gets ``request_timeout_s``."""
        failures, backoff = 0, 1.0
        path = url.split("?", 1)[0]
        while True:
            left = req.time_left()
            if left <= 0:
                raise GenerationTimeout()
            if req.job_id and req.finished():
                raise FinishedElsewhere()
            timeout = left if whole_job else min(self.request_timeout_s, left)
            try:
                response = self.session().request(method, url, timeout=max(0.5, timeout),
                                                  stream=stream, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                status, message, retry_after = None, f"{type(exc).__name__} calling {self.service}", None
            else:
                if response.status_code in ok:
                    return response
                status, retry_after = response.status_code, response.headers.get("Retry-After")
                message = error_message(response)
                response.close()
            if status is not None and status != 429 and status < 500:
                raise self.refusal(req, status, message, f"{method} {path}")
            if status == 429:
                wait = retry_after_seconds(retry_after, backoff)
                log.warning("%s %s %s: 429 %s (job %s); waiting %.1f s", self.service, method,
                            path, message, req.job_id, wait)
            else:
                failures += 1
                if failures > self.max_retries:
                    raise GenerationFailed(f"{self.service}_{status or 'unreachable'}",
                                           f"{method} {path}: {status or ''} {message}".replace("  ", " "),
                                           "unavailable")
                wait = retry_after_seconds(retry_after, backoff)
                log.warning("%s %s %s: %s (job %s, try %d of %d); retrying in %.1f s", self.service,
                            method, path, f"{status} {message}" if status else message, req.job_id,
                            failures, self.max_retries + 1, wait)
            pause(req, wait)
            backoff = min(backoff * 2, 30.0)

    def refusal(self, req, status: int, message: str, what: str) -> GenerationFailed:
        code = f"{self.service}_{status}"
        if status in KEY_REFUSED:
            log.error("%s refused the key (%s: %s): %s. Job %s of user %s failed on %s; its hold "
                      "is released", self.service, status, message, self.key_hint, req.job_id,
                      req.user_id, what)
            return GenerationFailed(code, message, "unavailable")
        return GenerationFailed(code, message, "rejected")


def key_refused(service: str, method: str, url: str, headers: dict, *,
                timeout_s: float = 10.0) -> str | None:
    """At start: the service's words if it refuses the key (401/403), else None — also
    when it cannot be reached, which is no reason to switch a provider off."""
    try:
        response = requests.request(method, url, headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        log.warning("%s: the key could not be checked (%s); going on", service, type(exc).__name__)
        return None
    if response.status_code in KEY_REFUSED:
        return f"{service} refused the key ({response.status_code}: {error_message(response)})"
    return None
