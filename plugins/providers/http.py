"""Talking to a provider's HTTP API within a job: the key, retries, rate limits, the deadline.

Every HTTP provider (openai, replicate, fal) calls its service through a
``ServiceClient``. A call is tried until the service answers or the job must stop:

- 429 waits as long as ``Retry-After`` says (seconds or an HTTP date), else backs off;
- a 5xx, a connection error or a time-out is retried with a growing pause, at most
  ``max_retries`` times, then the job fails as ``unavailable``;
- the operator's account cannot be used — 401/403 (a key refused or revoked, an
  account locked: fal's "User is locked. Reason: Exhausted balance"), 402 (out of
  credit: Replicate's "Insufficient credit"), OpenAI's 429 ``insufficient_quota`` and
  404 ``model_not_found``: the job fails at once as ``account`` (never retried: waiting
  cannot top an account up), and the core logs one ERROR naming the provider; any other
  4xx fails it as ``rejected``, with the service's own message kept for the log;
- every pause ends early when the job is finished elsewhere (``FinishedElsewhere``)
  and never runs past the deadline (``GenerationTimeout``).

A call that may take long (an image drawn while the request waits, a streamed answer)
runs in a thread of its own (``watched``, ``events``), so the job's worker keeps
watching the deadline and the cancel while it waits, and lets go of the call at once.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

import requests
import requests.adapters

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


def error_code(response: requests.Response) -> str:
    """The service's own name for an error: OpenAI-style ``error.code`` or ``error.type``,
    else ``code``; "" when the body names none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    for value in ((error.get("code"), error.get("type")) if isinstance(error, dict) else ()) + (body.get("code"),):
        if isinstance(value, str) and value:
            return value
    return ""


# What an account that cannot be used looks like, besides 401, 402 and 403: OpenAI's
# "Error codes" page (429 "You exceeded your current quota", 404 for a model the key may
# not use).
_ACCOUNT_CODES = {(429, "insufficient_quota"): "the account is out of credit: top it up",
                  (404, "model_not_found"): "the account may not use this model: check provider_model"}


def account_problem(status: int, code: str, key_hint: str) -> str | None:
    """What the operator must fix when an answer says the account cannot be used; None
    when it says something else."""
    if status in KEY_REFUSED:
        return f"the service refused the key or the account: {key_hint}"
    if status == 402:
        return "the account is out of credit: top it up"
    return _ACCOUNT_CODES.get((status, code))


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


def pause(req, seconds: float, wakeup: threading.Event | None = None) -> None:
    """Sleep within the job's deadline (``wakeup`` may cut it short); stop if the job
    was finished elsewhere, before and after."""
    if req.job_id and req.finished():
        raise FinishedElsewhere()
    if req.time_left() <= 0:
        raise GenerationTimeout()
    seconds = max(0.0, min(seconds, req.time_left()))
    if wakeup is None:
        time.sleep(seconds)
    elif wakeup.wait(seconds):
        wakeup.clear()
    if req.job_id and req.finished():
        raise FinishedElsewhere()
    if req.time_left() <= 0:
        raise GenerationTimeout()


class Pollers:
    """The jobs this process is polling, each with its wake-up: a callback or webhook
    heard here cuts its poller's pause short, so the poller sees at once that the job
    ended (or polls now)."""

    def __init__(self):
        self._wakeups: dict[int, threading.Event] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def polling(self, job_id: int) -> Iterator[threading.Event]:
        wakeup = threading.Event()
        with self._lock:
            self._wakeups[job_id] = wakeup
        try:
            yield wakeup
        finally:
            with self._lock:
                self._wakeups.pop(job_id, None)

    def wake(self, job_id: int) -> None:
        """Poll this job now, if this process is polling it."""
        with self._lock:
            wakeup = self._wakeups.get(job_id)
        if wakeup is not None:
            wakeup.set()

    def __contains__(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._wakeups


# How often a worker waiting on a long call asks whether its job ended elsewhere (a
# query) and looks at the deadline (no query).
_FINISHED_EVERY_S = 0.5
_DEADLINE_EVERY_S = 0.1


def _watch(req, waiting: Callable[[float], tuple | None], let_go: Callable[[], None]):
    """Wait on ``waiting(timeout)`` until it answers, the deadline passes or the job is
    finished elsewhere (then ``let_go()`` and raise)."""
    asked = time.monotonic()
    while True:
        answer = waiting(_DEADLINE_EVERY_S)
        if answer is not None:
            return answer
        if req.time_left() <= 0:
            let_go()
            raise GenerationTimeout()
        if req.job_id and time.monotonic() - asked >= _FINISHED_EVERY_S:
            asked = time.monotonic()
            if req.finished():
                let_go()
                raise FinishedElsewhere()


def watched(req, work: Callable[[], object]):
    """``work()``'s result, run in a thread of its own while the job is watched: the
    worker stops waiting at the deadline or a cancel (the thread ends with its call)."""
    answers: queue.Queue = queue.Queue(maxsize=1)

    def run():
        try:
            answers.put((True, work()))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting worker
            answers.put((False, exc))

    threading.Thread(target=run, name=f"provider-call-{req.job_id}", daemon=True).start()

    def waiting(timeout):
        try:
            return answers.get(timeout=timeout)
        except queue.Empty:
            return None

    ok, value = _watch(req, waiting, lambda: None)
    if ok:
        return value
    raise value


def sse_data(chunks: Iterator[bytes]) -> Iterator[str]:
    """The ``data`` of each server-sent event (the WHATWG event-stream format: lines
    ending in LF, CR or CRLF; ``data:`` lines joined by LF; a blank line ends an event;
    ``:`` starts a comment)."""
    buffer, data = "", []
    for chunk in chunks:
        buffer += chunk.decode("utf-8", errors="replace")
        buffer = buffer.replace("\r\n", "\n").replace("\r", "\n")
        *lines, buffer = buffer.split("\n")
        for line in lines:
            if not line:
                if data:
                    yield "\n".join(data)
                    data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def events(req, response, *, done: str = "[DONE]") -> Iterator[dict]:
    """The JSON events of a streamed answer, read in a thread of its own while the job
    is watched; ends at ``done`` or the end of the stream. A cancel or the deadline
    closes the response and raises."""
    items: queue.Queue = queue.Queue()
    stop = threading.Event()

    def read():
        try:
            for data in sse_data(response.iter_content(chunk_size=4096)):
                if stop.is_set() or data.strip() == done:
                    break
                try:
                    event = json.loads(data)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    items.put((True, event))
            items.put((True, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting worker
            items.put((False, exc))

    def waiting(timeout):
        try:
            return items.get(timeout=timeout)
        except queue.Empty:
            return None

    def let_go():
        stop.set()
        response.close()

    threading.Thread(target=read, name=f"provider-stream-{req.job_id}", daemon=True).start()
    try:
        while True:
            ok, value = _watch(req, waiting, let_go)
            if not ok:
                raise value
            if value is None:
                return
            yield value
    finally:
        let_go()


class ServiceClient:
    """One provider's HTTP API: ``service`` names it in logs and codes (``openai_429``)."""

    def __init__(self, service: str, headers: dict, *, request_timeout_s: float = 30.0,
                 max_retries: int = 5, key_hint: str = "check its api_key"):
        self.service = service
        self.headers = dict(headers)
        self.request_timeout_s = request_timeout_s
        self.max_retries = max_retries
        self.key_hint = key_hint
        # One session for every thread: urllib3's pool is thread-safe and keeps the
        # connections open between jobs (a long call runs in a thread of its own, so a
        # session per thread would open a new one each time). No cookies are involved.
        self._session = requests.Session()
        self._session.headers.update(self.headers)
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def session(self) -> requests.Session:
        return self._session

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
                message, code = error_message(response), error_code(response)
                response.close()
                problem = account_problem(status, code, self.key_hint)
                if problem is not None:
                    raise GenerationFailed(f"{self.service}_{code or status}",
                                           f"{problem} ({status} on {method} {path}: {message})", "account")
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
        return GenerationFailed(f"{self.service}_{status}", message, "rejected")


def key_refused(service: str, method: str, url: str, headers: dict, *,
                timeout_s: float = 5.0) -> str | None:
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
