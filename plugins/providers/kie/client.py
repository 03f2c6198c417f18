"""Talking to Kie.ai over HTTP: the key, the rate limits, and Kie's ways of saying no.

Kie reports most errors inside the body, with HTTP 200: ``{"code": 402, "msg": …}``
(the code enums of every generation page, https://docs.kie.ai). Some come as real
HTTP statuses: 429 from the task-creation limit ("rejected with HTTP 429", Getting
Started), and the File Upload and Chat APIs answer 4xx/5xx. Both are read the same
way: the body's ``code`` when it has one, else the HTTP status; the message from
``msg``, ``message`` (the recordInfo page's spelling) or an OpenAI-style
``error.message``.

What a code means for the job:
- 429, 455 (maintenance) and 5xx other than 501/505: Kie is busy or down; the call is
  retried with backoff inside the job's deadline (429 honours Retry-After);
- 401/403 (the key), 402 (the account is out of credits), 433 (the key's usage cap),
  505 (feature disabled): the operator's to fix, an ``account`` failure: the job fails
  at once, the core logs one ERROR naming the provider, and the user is told the
  service is unavailable, not that they erred;
- anything else (422 validation, 400 content policy, 404, 501 generation failed): the
  job fails with Kie's own message kept for the log; the user is told the service
  refused the request (a 4xx) or could not do it (anything else), in their language.

Task creation and polling have separate limits, shared by the threads of a process:
Kie allows 20 new tasks per 10 s per account and 10 queries per second per key.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque

import requests

from genbot import GenerationFailed, GenerationTimeout
from plugins.providers.http import pause, retry_after_seconds

log = logging.getLogger("genbot.plugins.kie")

OPERATOR_CODES = {401: "Kie.ai refused the API key: check [kie] api_key",
                  403: "Kie.ai refused the API key: check [kie] api_key",
                  402: "the Kie.ai account is out of credits: top it up at https://kie.ai",
                  433: "the Kie.ai key reached its usage limit: raise it at https://kie.ai/api-key",
                  505: "Kie.ai has switched this feature off"}


def is_retryable(code: int) -> bool:
    """Busy or down (429, 455, 5xx), as opposed to a refusal; 501 is "generation
    failed" and 505 "feature disabled": retrying them changes nothing."""
    return code in (429, 455) or (500 <= code < 600 and code not in (501, 505))


class KieRefused(GenerationFailed):
    """Kie said no, with ``kie_code``."""

    def __init__(self, kie_code: int, message: str, *, reason: str | None = None):
        super().__init__(f"kie_{kie_code}", message, reason or reason_for(kie_code))
        self.kie_code = kie_code
        self.kie_message = message


def reason_for(kie_code) -> str:
    """The user's reason for a Kie code: a 4xx refused this request; the rest failed."""
    try:
        code = int(kie_code)
    except (TypeError, ValueError):
        return "failed"
    if code in OPERATOR_CODES:
        return "account"
    if is_retryable(code):
        return "unavailable"
    return "rejected" if 400 <= code < 500 else "failed"


class WindowLimiter:
    """At most ``count`` calls in any ``window_s`` seconds, across a process's threads."""

    def __init__(self, count: int, window_s: float):
        self.count = max(1, int(count))
        self.window_s = float(window_s)
        self.calls: deque[float] = deque()
        self.lock = threading.Lock()

    def wait_time(self) -> float:
        """0.0 (and the call is counted), or how long to wait before asking again."""
        with self.lock:
            now = time.monotonic()
            while self.calls and self.calls[0] <= now - self.window_s:
                self.calls.popleft()
            if len(self.calls) < self.count:
                self.calls.append(now)
                return 0.0
            return self.calls[0] + self.window_s - now


def _message(body, fallback: str) -> str:
    if isinstance(body, dict):
        error = body.get("error")
        for value in (body.get("msg"), body.get("message"),
                      error.get("message") if isinstance(error, dict) else None):
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    return fallback


def _sse_events(text: str) -> list:
    """The JSON events of a server-sent event stream (``data: {…}`` lines)."""
    events = []
    for line in text.splitlines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload and payload != "[DONE]":
                try:
                    events.append(json.loads(payload))
                except ValueError:
                    continue
    return events


class KieClient:
    def __init__(self, api_key: str, *, request_timeout_s: float, max_retries: int,
                 creates: WindowLimiter, polls: WindowLimiter):
        self.api_key = api_key
        self.request_timeout_s = request_timeout_s
        self.max_retries = max_retries
        self.limiters = {"create": creates, "poll": polls, "chat": creates}
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {self.api_key}"
        return session

    def call(self, req, method: str, url: str, *, purpose: str, **kwargs):
        """The decoded answer of a call Kie accepted (a dict, or ``{"events": […]}`` for a
        stream). ``purpose`` (create, poll, upload, chat) picks the rate limit and the
        time-out: a chat answer may take as long as the job has left."""
        limiter = self.limiters.get(purpose)
        failures = 0
        backoff = 1.0
        while True:
            if limiter is not None:
                wait = limiter.wait_time()
                if wait:
                    pause(req, wait)
                    continue
            left = req.time_left()
            if left <= 0:
                raise GenerationTimeout()
            timeout = left if purpose == "chat" else min(self.request_timeout_s, left)
            try:
                response = self._session().request(method, url, timeout=max(0.5, timeout), **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                code, message, retry_after = None, f"{type(exc).__name__} calling Kie.ai", None
            else:
                outcome = self._read(response)
                if not isinstance(outcome, tuple):
                    return outcome
                code, message = outcome
                retry_after = response.headers.get("Retry-After")
            path = url.split("?", 1)[0]
            if code is not None and not is_retryable(code):
                raise self.refusal(req, code, message, path)
            if code == 429:
                # Kie is asking us to slow down: wait as long as the deadline allows.
                wait = retry_after_seconds(retry_after, backoff)
                log.warning("kie %s %s: 429 %s (job %s); waiting %.1f s", method, path, message,
                            req.job_id, wait)
            else:
                failures += 1
                if failures > self.max_retries:
                    raise GenerationFailed(f"kie_{code}" if code else "kie_unreachable",
                                           f"{method} {path}: {code} {message}" if code
                                           else f"{method} {path}: {message}", "unavailable")
                wait = retry_after_seconds(retry_after, backoff)
                log.warning("kie %s %s: %s (job %s, try %d of %d); retrying in %.1f s", method,
                            path, f"{code} {message}" if code else message, req.job_id, failures,
                            self.max_retries + 1, wait)
            pause(req, wait)
            backoff = min(backoff * 2, 30.0)

    @staticmethod
    def _read(response):
        """The answer, or (code, message) when Kie said no or the answer is unreadable."""
        if "text/event-stream" in response.headers.get("Content-Type", ""):
            if response.status_code >= 400:
                return response.status_code, f"HTTP {response.status_code}"
            return {"events": _sse_events(response.text)}
        try:
            body = response.json()
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        if isinstance(code, int) and not isinstance(code, bool) and code != 200:
            return code, _message(body, f"code {code}")
        if response.status_code >= 400:
            return response.status_code, _message(body, f"HTTP {response.status_code}")
        if not isinstance(body, dict):
            return 502, "an answer that is not a JSON object"  # a proxy's page: retried
        return body

    @staticmethod
    def refusal(req, code: int, message: str, what: str) -> KieRefused:
        if code in OPERATOR_CODES:  # the core logs it once, naming the provider
            return KieRefused(code, f"{OPERATOR_CODES[code]} (code {code} on {what}: {message})")
        return KieRefused(code, message)
