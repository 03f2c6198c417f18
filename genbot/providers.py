"""The provider toolkit: what every built-in generation provider is made of, public, so a
provider written outside genbot is as short as theirs.

    from genbot.providers import Pollers, ProviderRegistry, ServiceClient, pause, settle

A provider calls its service within the job it was given (``GenerationRequest``): its
deadline, its cancel (``request.finished()``), its user's inputs. The parts:

- ``ServiceClient`` — one service's HTTP API. A call is tried until the service answers
  or the job must stop: a 429 waits as long as ``Retry-After`` says (seconds or an HTTP
  date), else backs off; a 5xx, a connection error or a time-out is retried with a
  growing pause, at most ``max_retries`` times, then the job fails as ``unavailable``;
  an account that cannot be used (``account_problem``: 401/403 a key refused or an
  account locked, 402 out of credit, OpenAI's 429 ``insufficient_quota`` and 404
  ``model_not_found``) fails it at once as ``account`` — waiting cannot top an account
  up, and the core logs one ERROR naming the provider; any other 4xx fails it as
  ``rejected`` with the service's own words kept for the log. A service that answers
  in its own way overrides ``read`` and ``failure`` (kie: error codes inside HTTP 200).
  ``WindowLimiter`` keeps a service's rate limit across a process's threads;
- ``pause`` — sleep within the deadline, stopping when the job was finished elsewhere;
  ``Pollers`` — the jobs this process polls, so a callback heard here wakes its poller;
- ``watched`` and ``events`` — a long call (an image drawn while the request waits, a
  streamed answer) in a thread of its own, so the worker keeps watching the deadline and
  the cancel and lets go at once; ``events`` reads server-sent events (``sse_data``);
- ``key_refused`` — the start-up check of a key (``plugin_settings_check``);
- ``callback_route`` (what ``ProviderRegistry`` makes of its ``callbacks``),
  ``callback_job``, ``json_object``, ``settle`` — a route the service calls when a task
  ends, answered in JSON, ending the job once whoever comes first (the poller or the
  callback); ``hmac_sha256``, ``signatures_match`` (constant time) and
  ``job_signature`` (a per-job secret for a callback URL) for checking who called;
- ``user_photo`` — a user's photo input as bytes (from Telegram, or a link through
  ``app.fetch_url``); ``fetch_output`` — a result file the service links to, fetched
  from public addresses only (``UrlFetcher``, ``UrlRefused``, ``Fetched``);
- ``ProviderRegistry`` — one provider per App, made once from the plugin's settings and
  shared by its workers and its routes, switched off (one ERROR line a problem) by a
  catalog entry it could not run; ``unknown_options`` for that check.

docs/plugins.md ("generation_providers") has a worked example; the built-in providers
(``plugins/providers/``) are the longer ones.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import requests
import requests.adapters
from flask import Response, request

from genbot import (
    Ending,
    Fetched,
    FinishedElsewhere,
    GenerationFailed,
    GenerationTimeout,
    UrlFetcher,
    UrlRefused,
    WebRoute,
    hookimpl,
)

log = logging.getLogger("genbot.plugins.providers")

KEY_REFUSED = (401, 403)
# A service waits a few seconds for a callback's answer (Kie 15, Replicate "a few");
# telling the user from inside it gets this much, and the sweeper retries what does not fit.
CALLBACK_DELIVERY_S = 5.0
MAX_PHOTO_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download


# -- what a service says ------------------------------------------------------------------

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


# -- waiting within the job -----------------------------------------------------------------

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


def _taken(answers: queue.Queue) -> Callable[[float], tuple | None]:
    def waiting(timeout):
        try:
            return answers.get(timeout=timeout)
        except queue.Empty:
            return None
    return waiting


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
    ok, value = _watch(req, _taken(answers), lambda: None)
    if ok:
        return value
    raise value


# -- server-sent events ---------------------------------------------------------------------

def sse_data(chunks: Iterable[bytes]) -> Iterator[str]:
    """The ``data`` of each server-sent event (the WHATWG event-stream format: lines
    ending in LF, CR or CRLF; ``data:`` lines joined by LF; a blank line ends an event;
    ``:`` starts a comment)."""
    buffer = ""
    data: list[str] = []
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


def sse_events(chunks: Iterable[bytes], *, done: str = "[DONE]") -> Iterator[dict]:
    """The JSON objects of a server-sent event stream, up to ``done``; an event that is
    no JSON object is passed over."""
    for data in sse_data(chunks):
        if data.strip() == done:
            return
        try:
            event = json.loads(data)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


def events(req, response, *, done: str = "[DONE]") -> Iterator[dict]:
    """The JSON events of a streamed answer, read in a thread of its own while the job
    is watched; ends at ``done`` or the end of the stream. A cancel or the deadline
    closes the response and raises."""
    items: queue.Queue = queue.Queue()
    stop = threading.Event()

    def read():
        try:
            for event in sse_events(response.iter_content(chunk_size=4096), done=done):
                if stop.is_set():
                    break
                items.put((True, event))
            items.put((True, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting worker
            items.put((False, exc))

    def let_go():
        stop.set()
        response.close()

    threading.Thread(target=read, name=f"provider-stream-{req.job_id}", daemon=True).start()
    try:
        while True:
            ok, value = _watch(req, _taken(items), let_go)
            if not ok:
                raise value
            if value is None:
                return
            yield value
    finally:
        let_go()


# -- the service's HTTP API -------------------------------------------------------------------

@dataclass(frozen=True)
class Refusal:
    """What a service answered instead of what was asked: its status (HTTP, or its own
    code), its name for the error and its words."""
    status: int
    code: str
    message: str


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

    def call(self, req, method: str, url: str, *, stream: bool = False, whole_job: bool = False,
             ok=(200, 201, 202), limiter: WindowLimiter | None = None, **kwargs):
        """The answer to a call the service accepted: the response, when its status is in
        ``ok`` (what ``read`` makes of it, in a subclass).

        ``whole_job``: the call may take as long as the job has left (a streamed or a
        synchronous answer); otherwise each try gets ``request_timeout_s``. ``limiter``:
        each try waits for room in it first."""
        failures, backoff = 0, 1.0
        what = f"{method} {url.split('?', 1)[0]}"
        while True:
            if limiter is not None:
                wait = limiter.wait_time()
                if wait:
                    pause(req, wait)
                    continue
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
                answer = self.read(response, ok)
                if not isinstance(answer, Refusal):
                    return answer
                status, message = answer.status, answer.message
                retry_after = response.headers.get("Retry-After")
                response.close()
                failure = self.failure(answer.status, answer.code, answer.message, what)
                if failure is not None:
                    raise failure
            if status == 429:
                wait = retry_after_seconds(retry_after, backoff)
                log.warning("%s %s: 429 %s (job %s); waiting %.1f s", self.service, what, message,
                            req.job_id, wait)
            else:
                failures += 1
                if failures > self.max_retries:
                    raise GenerationFailed(f"{self.service}_{status or 'unreachable'}",
                                           f"{what}: {status or ''} {message}".replace("  ", " "),
                                           "unavailable")
                wait = retry_after_seconds(retry_after, backoff)
                log.warning("%s %s: %s (job %s, try %d of %d); retrying in %.1f s", self.service,
                            what, f"{status} {message}" if status else message, req.job_id,
                            failures, self.max_retries + 1, wait)
            pause(req, wait)
            backoff = min(backoff * 2, 30.0)

    def read(self, response: requests.Response, ok):
        """The answer of an accepted call, or the ``Refusal`` the response says."""
        if response.status_code in ok:
            return response
        return Refusal(response.status_code, error_code(response), error_message(response))

    def failure(self, status: int, code: str, message: str, what: str) -> GenerationFailed | None:
        """What a refusal means for the job: the failure to raise now, or None to try
        again (429, 5xx)."""
        problem = account_problem(status, code, self.key_hint)
        if problem is not None:
            return GenerationFailed(f"{self.service}_{code or status}",
                                    f"{problem} ({status} on {what}: {message})", "account")
        if status == 429 or status >= 500:
            return None
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


# -- the service calls back -------------------------------------------------------------------

def callback_route(rule: str, handle: Callable[..., tuple[int, dict]]) -> WebRoute:
    """A ``POST`` route a service calls: ``handle(request, **url_arguments)`` (the Flask
    request) returns ``(status, body)``, answered as JSON."""
    def view(**arguments):
        status, body = handle(request, **arguments)
        return Response(json.dumps(body), status, mimetype="application/json")

    view.__name__ = getattr(handle, "__name__", "callback")
    return WebRoute(rule, view, methods=("POST",))


def json_object(raw: bytes) -> dict | None:
    """A callback's body as a JSON object; None when it is not one."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def callback_job(app, job_id: str, provider: str):
    """The job a callback's URL names, when it is one of ``provider``'s; else None."""
    job = app.job(int(job_id)) if job_id.isascii() and job_id.isdigit() else None
    return job if job is not None and job.provider == provider else None


def settle(app, job_id: int, outcome, *, pollers: Pollers | None = None,
           deadline_s: float = CALLBACK_DELIVERY_S) -> bool:
    """End a running job from a callback with its ``outcome`` — a ``GenerationOutput``,
    or the ``GenerationFailed`` saying why there is none — and wake its poller in this
    process (``pollers``), which then stops at once. Ending is one conditional
    transition, so a callback and the poller end a job once between them: True when
    this call ended it."""
    ending = Ending.of(outcome) if isinstance(outcome, GenerationFailed) else Ending.succeeded(outcome)
    ended = app.end_job(job_id, ending, deadline_s=deadline_s)
    if pollers is not None:
        pollers.wake(job_id)
    return ended


def hmac_sha256(key: str | bytes, message: str | bytes) -> bytes:
    """HMAC-SHA256 of ``message`` under ``key`` (text as UTF-8)."""
    key = key.encode() if isinstance(key, str) else key
    message = message.encode() if isinstance(message, str) else message
    return hmac.new(key, message, hashlib.sha256).digest()


def signatures_match(given: str | bytes | None, expected: str | bytes) -> bool:
    """Whether a signature a caller sent is the one expected, compared in constant time
    (a forger learns nothing from how long a refusal took)."""
    if not given:
        return False
    given = given.encode() if isinstance(given, str) else given
    expected = expected.encode() if isinstance(expected, str) else expected
    return hmac.compare_digest(given, expected)


def job_signature(secret: str, provider: str, job_id: int) -> str:
    """A per-job secret of genbot's for a callback URL: only who was given the URL (the
    service, for this job) can call it."""
    return hmac_sha256(secret, f"{provider}-callback:{job_id}").hex()[:32]


# -- files in, files out ----------------------------------------------------------------------

def user_photo(req, value: dict, fetch_file, fetch_url=None, *,
               max_bytes: int = MAX_PHOTO_BYTES) -> tuple[bytes, str]:
    """A photo input's bytes and content type: a Telegram file through ``fetch_file``
    (``app.download_file``), or the link the user typed through ``fetch_url``
    (``app.fetch_url``: public addresses only, at most ``max_bytes``). A photo that
    cannot be had fails the job with reason ``photo``: the user is told to send another."""
    service = req.model.provider
    where = "from Telegram" if value.get("telegram_file_id") else "from the user's link"
    try:
        if value.get("telegram_file_id"):
            data, mime = fetch_file(value["telegram_file_id"])
        elif fetch_url is not None and value.get("url"):
            fetched = fetch_url(value["url"], max_bytes=max_bytes,
                                timeout_s=min(30.0, max(1.0, req.time_left())))
            data, mime = fetched.data, fetched.content_type or "image/jpeg"
        else:
            raise GenerationFailed("input_unavailable", "a photo input with neither a Telegram file "
                                   "nor a link", "photo")
    except UrlRefused as exc:
        logging.getLogger(f"genbot.plugins.{service}").warning(
            "%s: job %s: the link user %s gave was not fetched (%s)", service, req.job_id, req.user_id, exc)
        code = "input_too_large" if exc.why == "too_large" else "input_refused"
        raise GenerationFailed(code, f"the user's photo link was not fetched: {exc}", "photo") from None
    except GenerationFailed:
        raise
    except Exception as exc:  # the Bot API, the network, an expired file
        logging.getLogger(f"genbot.plugins.{service}").warning(
            "%s: job %s: the photo of user %s could not be fetched %s (%s)", service, req.job_id,
            req.user_id, where, type(exc).__name__)
        raise GenerationFailed("input_unavailable", f"the user's photo could not be fetched {where} "
                               f"({type(exc).__name__})", "photo") from None
    if len(data) > max_bytes:
        raise GenerationFailed("input_too_large", f"a photo of {len(data)} bytes", "photo")
    return data, mime


def fetch_output(fetch_url, url: str, *, max_bytes: int, timeout_s: float, service: str) -> Fetched | None:
    """A result file the service links to, fetched while the link lives through
    ``fetch_url`` (``app.fetch_url``: public addresses only, never with the service's
    key); None when it is over ``max_bytes`` or cannot be had — then pass its URL on, for
    Telegram to fetch."""
    try:
        return fetch_url(url, max_bytes=max_bytes, timeout_s=timeout_s)
    except UrlRefused as exc:
        out = logging.getLogger(f"genbot.plugins.{service}")
        if exc.why == "too_large":
            out.info("%s: output %s is over max_output_bytes; passing the URL on", service, url)
        else:
            out.warning("%s: output %s could not be fetched (%s); passing the URL on", service, url, exc)
        return None


# -- one provider per App -----------------------------------------------------------------------

def unknown_options(model, known: Iterable[str]) -> list[str]:
    """A catalog check: the keys of a model's ``provider_options`` the provider does not
    know, as one problem (none: an empty list)."""
    known = tuple(known)
    unknown = sorted(set(model.provider_options or {}) - set(known))
    return [f"provider_options has no {', '.join(unknown)} (known: {', '.join(known)})"] if unknown else []


def _has_api_key(settings: dict) -> bool:
    return bool(settings.get("api_key"))


class ProviderRegistry:
    """A plugin's provider, one per App: made on first use from the plugin's settings by
    ``make(app, settings)``, shared by the App's workers and the routes its service calls
    back (``callbacks``: a rule to ``handler(app, provider)``, which makes the
    ``handle`` of a ``callback_route``).

    It is switched off (``None``) while ``switched_on(settings)`` is false (by default:
    no ``api_key``), and when a catalog model of this provider has problems
    (``model_problems(model)``, one sentence each): each is logged as an ERROR naming
    the model, and the core hides the provider's models.

    Its ``generation_providers`` and ``web_routes`` are the plugin's hooks::

        registry = ProviderRegistry("acme", make, model_problems=model_problems)
        generation_providers = registry.generation_providers
    """

    def __init__(self, name: str, make: Callable[[object, dict], object], *,
                 model_problems: Callable[[object], list[str]] | None = None,
                 callbacks: dict[str, Callable[[object, object], Callable]] | None = None,
                 switched_on: Callable[[dict], bool] = _has_api_key):
        self.name = name
        self.make = make
        self.model_problems = model_problems
        self.callbacks = dict(callbacks or {})
        self.switched_on = switched_on
        self.log = logging.getLogger(f"genbot.plugins.{name}")
        self._providers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.RLock()

    def catalog_problems(self, catalog) -> list[str]:
        """Every problem of this provider's models in ``catalog``, naming the model."""
        if self.model_problems is None:
            return []
        return [f"model '{model.id}': {problem}" for model in catalog.models.values()
                if model.provider == self.name for problem in self.model_problems(model)]

    def get(self, app, settings: dict | None = None):
        """The App's provider, or None when it is switched off; ``settings`` (the plugin's)
        make it on first use."""
        with self._lock:
            if app not in self._providers and settings is not None and self.switched_on(settings):
                problems = self.catalog_problems(app.catalog)
                for problem in problems:
                    self.log.error("%s: catalog %s", self.name, problem)
                if problems:
                    self.log.error("%s: provider off until the catalog is fixed (%d problem(s))",
                                   self.name, len(problems))
                    self._providers[app] = None
                else:
                    self._providers[app] = self.make(app, settings)
            return self._providers.get(app)

    @hookimpl
    def generation_providers(self, app, settings):
        """The hook: the provider, if it is on."""
        provider = self.get(app, settings)
        return [] if provider is None else [provider]

    @hookimpl
    def web_routes(self, app, settings):
        """The hook: the routes its service calls back, if the provider is on."""
        provider = self.get(app, settings)
        if provider is None:
            return []
        return [callback_route(rule, handler(app, provider)) for rule, handler in self.callbacks.items()]


__all__ = [
    # the service's HTTP API
    "ServiceClient", "Refusal", "WindowLimiter", "key_refused", "account_problem", "KEY_REFUSED",
    "retry_after_seconds", "error_code", "error_message",
    # waiting within the job
    "pause", "Pollers", "watched", "events", "sse_data", "sse_events",
    # callbacks
    "callback_route", "callback_job", "json_object", "settle", "CALLBACK_DELIVERY_S",
    "hmac_sha256", "signatures_match", "job_signature",
    # files
    "user_photo", "fetch_output", "MAX_PHOTO_BYTES", "UrlFetcher", "UrlRefused", "Fetched",
    # one provider per App
    "ProviderRegistry", "unknown_options",
]
