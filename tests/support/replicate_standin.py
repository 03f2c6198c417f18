"""A stand-in for Replicate's HTTP API over real HTTP, written from Replicate's documentation.

Two listeners, as Replicate has two hosts: ``url`` (api.replicate.com) and
``delivery_url`` (replicate.delivery, where output files live, fetched without the
key). Routes, bodies, statuses and headers come from these sources (read in 2026):

- HTTP API reference, https://replicate.com/docs/reference/http (``account.get``,
  ``predictions.create``, ``models.predictions.create``, ``predictions.get``,
  ``predictions.cancel``, ``webhooks.default.secret.get``):
  ``GET /v1/account`` → ``{"type", "username", "name", "github_url"}``;
  ``POST /v1/models/{owner}/{name}/predictions`` (official models) and
  ``POST /v1/predictions`` with ``version`` → **201** and the prediction object;
  ``GET /v1/predictions/{id}`` → the prediction: ``id, model, version, input, logs,
  output, data_removed, error, status, created_at, started_at, completed_at, source,
  metrics {predict_time, total_time}, urls {web, get, cancel, stream}``; status
  ``starting`` → ``processing`` → ``succeeded`` | ``failed`` | ``canceled`` (Replicate
  has since added ``aborted``); files in ``output`` are HTTPS URLs on replicate.delivery;
  ``POST /v1/predictions/{id}/cancel`` → 200 and the prediction, ``canceled``;
  ``GET /v1/webhooks/default/secret`` → ``{"key": "whsec_..."}``.
  The request schema (``schemas_prediction_request``): ``input``, ``webhook``,
  ``webhook_events_filter`` (start, output, logs, completed), ``stream`` (deprecated);
  ``additionalProperties: false``. Files as HTTP URLs or data URLs ("a small file
  <= 256kb").
- Recorded answers in replicate-python's test cassettes
  (github.com/replicate/replicate-python, tests/cassettes/predictions-create.yaml,
  predictions-cancel.yaml, models-predictions-create.yaml, run__invalid-token.yaml,
  file-prediction.yaml): the exact create/get/cancel bodies, the 401 problem body
  ``{"title":"Unauthenticated","detail":"You did not pass a valid authentication
  token","status":401}`` as ``application/problem+json`` (RFC 7807, as the client's
  ``ReplicateError`` reads it), and output files fetched with no Authorization.
- Rate limits, https://replicate.com/docs/topics/predictions/rate-limits: 600 creates
  a minute; 429 with ``{"detail":"Request was throttled. Your rate limit resets in
  ~30s."}`` (the stand-in adds ``Retry-After``, which replicate-python's retrying
  transport honours).
- 422 and 402 bodies as Replicate sends them (quoted in public bug reports):
  ``{"detail":"- input: prompt is required\\n","status":422,"title":"Input validation
  failed","invalid_fields":[{"type":"required","field":"input","description":"prompt
  is required"}]}``, ``{"title":"Invalid version or not permitted",...,"status":422}``,
  ``{"title":"Insufficient credit","detail":"You have insufficient credit to run this
  model. Go to https://replicate.com/account/billing#billing to purchase
  credit.","status":402}``.
- Webhooks, https://replicate.com/docs/topics/webhooks/receive-webhook and
  /verify-webhook, and the Standard Webhooks spec
  (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md): a POST of
  the prediction object (as ``predictions.get``) to the ``webhook`` URL for each event in
  ``webhook_events_filter``; headers ``webhook-id`` (the same on a retry),
  ``webhook-timestamp`` (seconds), ``webhook-signature`` ``v1,<base64 HMAC-SHA256 of
  "{id}.{timestamp}.{body}" keyed by the base64-decoded part of whsec_...>``; retried
  on a non-2xx answer; no redirects followed.

The models it knows (``MODELS``) carry the input schemas of their model pages' API tab
(replicate.com/black-forest-labs/flux-schnell, /flux-kontext-pro,
/meta/meta-llama-3-8b-instruct, /stability-ai/sdxl): an input the schema lacks, a
value outside an enum or a range, or a missing required input is a 422 "Input
validation failed". Assumptions, not documented: an unknown model answers 404 with a
problem body; ``Prefer: wait`` is ignored (allowed: Replicate may answer before the
prediction ends).

Scripting (``script``): ``succeed``, ``fail`` (the prediction ends ``failed``),
``refuse`` (the create is a 422), ``hang`` (never ends), ``busy`` (one 429 with
Retry-After, then as usual), ``down`` (one 503, then as usual). ``refuse(route,
*codes)`` queues statuses for a route (create, get, cancel, account, secret). A
prediction moves one stage every ``stage_s`` seconds; ``poll_lag_s`` hides its end
from GETs that long, so a test can tell a webhook from a poll. Every request is kept in
``log``; ``cancelled`` lists the predictions a cancel reached; ``webhooks`` every
delivery attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import struct
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests

from genbot.testing.standin import HttpStandIn, Reply, Request

PROBLEM = "application/problem+json"
TERMINAL = ("succeeded", "failed", "canceled", "aborted")
EVENTS = ("start", "output", "logs", "completed")


def tiny_png(seed: int = 0) -> bytes:
    """A real 2x2 PNG (so a file looks like what its name says)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes([(seed * 40 + y * 60) % 256, 80, 160, (seed * 40 + 90) % 256, 80, 160])
                   for y in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


MIMES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "mp4": "video/mp4",
         "mp3": "audio/mpeg", "wav": "audio/wav"}


# -- the models and their input schemas -------------------------------------------------------

def _string(value):
    return None if isinstance(value, str) else "Invalid type. Expected: string"


def _integer(low=None, high=None):
    def check(value):
        if not isinstance(value, int) or isinstance(value, bool):
            return "Invalid type. Expected: integer"
        if low is not None and value < low:
            return f"Must be greater than or equal to {low}"
        if high is not None and value > high:
            return f"Must be less than or equal to {high}"
        return None
    return check


def _number(value):
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else \
        "Invalid type. Expected: number"


def _boolean(value):
    return None if isinstance(value, bool) else "Invalid type. Expected: boolean"


def _enum(*allowed):
    def check(value):
        if value in allowed:
            return None
        return "must be one of the following: " + ", ".join(f'"{a}"' for a in allowed)
    return check


def _uri(value):
    if isinstance(value, str) and (value.startswith(("http://", "https://", "data:"))):
        return None
    return "Does not match format 'uri'"


@dataclass(frozen=True)
class StandinModel:
    name: str  # owner/name
    official: bool
    version: str
    required: dict
    optional: dict
    output: str  # "uris" (a list of file URLs), "uri" (one), "tokens" (a list of strings)
    extension: str = "webp"


ASPECTS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
MODELS = {m.name: m for m in (
    StandinModel("black-forest-labs/flux-schnell", True, "dp-flux-schnell-0001", {"prompt": _string},
                 {"aspect_ratio": _enum(*ASPECTS), "num_outputs": _integer(1, 4),
                  "num_inference_steps": _integer(1, 4), "seed": _integer(),
                  "output_format": _enum("webp", "jpg", "png"), "output_quality": _integer(0, 100),
                  "disable_safety_checker": _boolean, "go_fast": _boolean,
                  "megapixels": _enum("1", "0.25")}, "uris"),
    StandinModel("black-forest-labs/flux-kontext-pro", True, "dp-flux-kontext-pro-0001",
                 {"prompt": _string},
                 {"input_image": _uri, "aspect_ratio": _enum("match_input_image", *ASPECTS, "2:1", "1:2"),
                  "output_format": _enum("jpg", "png"), "safety_tolerance": _integer(0, 6),
                  "seed": _integer(), "prompt_upsampling": _boolean}, "uri", "jpg"),
    StandinModel("meta/meta-llama-3-8b-instruct", True, "dp-a557b7387b4940df25b23f779dc534c4",
                 {"prompt": _string},
                 {"system_prompt": _string, "max_tokens": _integer(1), "min_tokens": _integer(-1),
                  "temperature": _number, "top_p": _number, "top_k": _integer(), "stop_sequences": _string,
                  "presence_penalty": _number, "frequency_penalty": _number,
                  "prompt_template": _string}, "tokens"),
    StandinModel("stability-ai/sdxl", False,
                 "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b", {"prompt": _string},
                 {"negative_prompt": _string, "image": _uri, "mask": _uri, "width": _integer(),
                  "height": _integer(), "num_outputs": _integer(1, 4), "seed": _integer(),
                  "scheduler": _string, "num_inference_steps": _integer(1, 500),
                  "guidance_scale": _number, "prompt_strength": _number, "refine": _string,
                  "apply_watermark": _boolean}, "uris", "png"),
)}


def input_problems(model: StandinModel, given) -> list[dict]:
    """``invalid_fields`` as Replicate lists them."""
    if not isinstance(given, dict):
        return [{"type": "invalid_type", "field": "input", "description": "Invalid type. Expected: object"}]
    problems = [{"type": "required", "field": "input", "description": f"{name} is required"}
                for name in model.required if name not in given]
    checks = {**model.required, **model.optional}
    for name, value in given.items():
        if name not in checks:
            problems.append({"type": "additional_property_not_allowed", "field": "input",
                             "description": f"Additional property {name} is not allowed"})
            continue
        problem = checks[name](value)
        if problem:
            problems.append({"type": "invalid", "field": f"input.{name}",
                             "description": f"{name} {problem}" if problem.startswith("must") else problem})
    return problems


# -- predictions -----------------------------------------------------------------------------

@dataclass
class Prediction:
    id: str
    model: StandinModel
    version: str
    input: dict
    created: float
    outcome: str | None  # succeeded, failed, or None (never ends)
    webhook: str | None
    events: tuple
    error: str = ""
    output_count: int = 1
    canceled_at: float | None = None
    sent_events: set = field(default_factory=set)
    webhook_id: str = field(default_factory=lambda: "msg_" + secrets.token_hex(12))
    polled_final: bool = False

    def stage(self, stage_s: float, now: float) -> str:
        if self.canceled_at is not None:
            return "canceled"
        elapsed = now - self.created
        if elapsed < stage_s:
            return "starting"
        if self.outcome is None or elapsed < 2 * stage_s:
            return "processing"
        return self.outcome

    def end_time(self, stage_s: float) -> float | None:
        return None if self.outcome is None else self.created + 2 * stage_s


def iso(at: float | None) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_MODEL_CREATE = re.compile(r"^/v1/models/([^/]+)/([^/]+)/predictions$")
_GET = re.compile(r"^/v1/predictions/([a-z0-9]+)$")
_CANCEL = re.compile(r"^/v1/predictions/([a-z0-9]+)/cancel$")


class ReplicateStandIn(HttpStandIn):
    def __init__(self, key: str = "r8_test-key", *, stage_s: float = 0.15):
        super().__init__()
        self.key = key
        self.stage_s = stage_s
        self.webhook_key = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        self.outcome: str | None = "succeeded"
        self.fail_error = "CUDA error: out of memory"
        self.poll_lag_s = 0.0
        self.retry_after = "1"
        self.output_bytes: bytes | None = None  # None: a tiny PNG (or bytes named by extension)
        self.text_tokens = ["Fuzzy", ", gentle", " soul\n", "Llama", "'s soft", " eyes"]
        self.webhook_attempts = 3
        self.webhook_retry_s = 0.2
        self.webhook_sender = self._post_webhook  # (url, body bytes, headers) -> status
        self.predictions: dict[str, Prediction] = {}
        self.files: dict[str, tuple[bytes, str]] = {}  # delivery path -> (data, mime)
        self.webhooks: list[dict] = []  # url, event, status, headers, body
        self.cancelled: list[str] = []
        self.refusals: dict[str, deque] = {}
        self._timers: list[threading.Timer] = []
        self.url = self.listen("api")
        self.delivery_url = self.listen("delivery")

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().stop()

    # -- knobs ------------------------------------------------------------------------

    def script(self, behaviour: str) -> None:
        """One of the conformance behaviours (see the module's docstring)."""
        self.outcome = {"fail": "failed", "hang": None}.get(behaviour, "succeeded")
        if behaviour == "busy":
            self.refuse("create", 429)
        elif behaviour == "down":
            self.refuse("create", 503)
        elif behaviour == "refuse":
            self.refuse("create", 422)
        elif behaviour not in ("succeed", "fail", "hang"):
            raise ValueError(f"unknown behaviour {behaviour!r}")

    def refuse(self, route: str, *codes: int) -> None:
        with self.lock:
            self.refusals.setdefault(route, deque()).extend(codes)

    @property
    def cancel_arrived(self) -> bool:
        with self.lock:
            return bool(self.cancelled)

    def requests_to(self, method: str, path_start: str) -> list[Request]:
        with self.lock:
            return [c for c in self.log if c.method == method and c.path.startswith(path_start)]

    def creates(self) -> list[Request]:
        with self.lock:
            return [c for c in self.log if c.method == "POST" and c.path.endswith("/predictions")
                    and c.host == "api"]

    def sign(self, webhook_id: str, timestamp: int, body: bytes, key: str | None = None) -> str:
        """``webhook-signature`` as Replicate writes it."""
        secret = base64.b64decode((key or self.webhook_key).split("_", 1)[1])
        digest = hmac.new(secret, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()

    # -- HTTP -------------------------------------------------------------------------

    def serve(self, request: Request, reply: Reply) -> None:
        status, answer, content_type, headers = self._route(request)
        reply.send(status, answer, content_type, headers)

    def _route(self, call: Request):
        if call.host == "delivery":
            found = self.files.get(call.path) if call.method == "GET" else None
            if found is None:
                return 404, b"Not Found", "text/plain", {}
            return 200, found[0], found[1], {}
        auth = call.header("Authorization", "")
        if auth not in (f"Bearer {self.key}", f"Token {self.key}"):
            return 401, {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token",
                         "status": 401}, PROBLEM, {}
        if call.method == "GET" and call.path == "/v1/account":
            return self._refused("account") or (200, {"type": "user", "username": "genbot-test",
                                                      "name": "genbot test", "github_url": None},
                                                "application/json", {})
        if call.method == "GET" and call.path == "/v1/webhooks/default/secret":
            return self._refused("secret") or (200, {"key": self.webhook_key}, "application/json", {})
        if call.method == "POST" and call.path == "/v1/predictions":
            return self._refused("create") or self._create(call, None)
        if call.method == "POST" and (match := _MODEL_CREATE.match(call.path)):
            return self._refused("create") or self._create(call, f"{match.group(1)}/{match.group(2)}")
        if call.method == "GET" and (match := _GET.match(call.path)):
            return self._refused("get") or self._get(match.group(1))
        if call.method == "POST" and (match := _CANCEL.match(call.path)):
            return self._refused("cancel") or self._cancel(match.group(1))
        return 404, {"title": "Not found", "detail": "The requested resource could not be found.",
                     "status": 404}, PROBLEM, {}

    def _refused(self, route: str):
        with self.lock:
            pending = self.refusals.get(route)
            code = pending.popleft() if pending else None
        if code is None:
            return None
        if code == 429:
            return 429, {"detail": f"Request was throttled. Your rate limit resets in ~{self.retry_after}s."}, \
                "application/json", {"Retry-After": self.retry_after}
        if code >= 502:  # Cloudflare in front of Replicate
            return code, b"<html><body>bad gateway</body></html>", "text/html", {}
        bodies = {
            402: {"title": "Insufficient credit", "detail": "You have insufficient credit to run this model. "
                  "Go to https://replicate.com/account/billing#billing to purchase credit.", "status": 402},
            422: {"detail": "- input.prompt: prompt contains flagged words\n", "status": 422,
                  "title": "Input validation failed", "invalid_fields": [
                      {"type": "invalid", "field": "input.prompt", "description": "prompt contains flagged words"}]},
            401: {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token",
                  "status": 401},
            403: {"title": "Forbidden", "detail": "You do not have permission to perform this action.",
                  "status": 403},
            500: {"title": "Internal Server Error", "detail": "Something went wrong.", "status": 500},
        }
        return code, bodies.get(code, {"title": "Error", "status": code}), PROBLEM, {}

    def _create(self, call: Request, official: str | None):
        try:
            body = json.loads(call.body) if call.body else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return 400, {"title": "Bad request", "detail": "The request body is not a JSON object.",
                         "status": 400}, PROBLEM, {}
        allowed = {"input", "webhook", "webhook_events_filter", "stream", "webhook_completed"}
        problems = []
        if official is None:
            allowed.add("version")
            if "version" not in body:
                problems.append({"type": "required", "field": "", "description": "version is required"})
        if "input" not in body:
            problems.append({"type": "required", "field": "", "description": "input is required"})
        problems += [{"type": "additional_property_not_allowed", "field": "",
                      "description": f"Additional property {k} is not allowed"} for k in body if k not in allowed]
        events = body.get("webhook_events_filter", list(EVENTS))
        if not isinstance(events, list) or any(e not in EVENTS for e in events):
            problems.append({"type": "enum", "field": "webhook_events_filter",
                             "description": "webhook_events_filter items must be one of the following: "
                                            + ", ".join(f'"{e}"' for e in EVENTS)})
        webhook = body.get("webhook")
        if webhook is not None and (not isinstance(webhook, str) or not webhook.startswith(("https://", "http://"))):
            problems.append({"type": "format", "field": "webhook", "description": "Does not match format 'uri'"})
        if problems:
            return self._invalid(problems)
        if official is not None:
            model = MODELS.get(official)
            if model is None or not model.official:
                return 404, {"title": "Not found", "detail": f"Model {official} not found or it is not an "
                             "official model; create the prediction with a version.", "status": 404}, PROBLEM, {}
            version = model.version
        else:
            version = body["version"]
            if isinstance(version, str) and ":" in version:  # "owner/name:version" is taken too
                version = version.split(":", 1)[1]
            model = next((m for m in MODELS.values() if m.version == version), None)
            if model is None:
                return 422, {"title": "Invalid version or not permitted", "detail": "The specified version "
                             "does not exist (or perhaps you don't have permission to use it?)",
                             "status": 422}, PROBLEM, {}
        problems = input_problems(model, body["input"])
        if problems:
            return self._invalid(problems)
        with self.lock:
            prediction = Prediction(
                id="".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(26)),
                model=model, version=version, input=body["input"], created=time.time(),
                outcome=self.outcome, webhook=webhook, events=tuple(events), error=self.fail_error,
                output_count=int(body["input"].get("num_outputs", 1)))
            self.predictions[prediction.id] = prediction
            self.lock.notify_all()
        if webhook:
            if "start" in prediction.events:
                self._later(self.stage_s, prediction, "start")
            end = prediction.end_time(self.stage_s)
            if end is not None:
                self._later(end - prediction.created, prediction, "completed")
        return 201, self.record(prediction, created=True), "application/json", {}

    def _invalid(self, problems: list[dict]):
        detail = "".join(f"- {p['field'] + ': ' if p['field'] else ''}{p['description']}\n" for p in problems)
        return 422, {"detail": detail, "status": 422, "title": "Input validation failed",
                     "invalid_fields": problems}, PROBLEM, {}

    def _get(self, prediction_id: str):
        prediction = self.predictions.get(prediction_id)
        if prediction is None:
            return 404, {"title": "Not found", "detail": "Not found.", "status": 404}, PROBLEM, {}
        record = self.record(prediction, lag=self.poll_lag_s)
        if record["status"] in TERMINAL:
            prediction.polled_final = True
        return 200, record, "application/json", {}

    def _cancel(self, prediction_id: str):
        prediction = self.predictions.get(prediction_id)
        if prediction is None:
            return 404, {"title": "Not found", "detail": "Not found.", "status": 404}, PROBLEM, {}
        with self.lock:
            self.cancelled.append(prediction_id)
            if prediction.stage(self.stage_s, time.time()) not in TERMINAL:
                prediction.canceled_at = time.time()
                send = bool(prediction.webhook) and "completed" in prediction.events
            else:  # "If a prediction is completed, it cannot be canceled": returned as it is
                send = False
            self.lock.notify_all()
        if send:
            self._later(0.0, prediction, "completed")
        return 200, self.record(prediction), "application/json", {}

    # -- the prediction object ----------------------------------------------------------

    def record(self, prediction: Prediction, *, created: bool = False, lag: float = 0.0) -> dict:
        now = time.time()
        status = prediction.stage(self.stage_s, now - lag)
        base = self.url + "/v1/predictions/" + prediction.id
        urls = {"cancel": base + "/cancel", "get": base, "web": f"https://replicate.com/p/{prediction.id}"}
        if prediction.model.output == "tokens":
            urls["stream"] = f"{self.url}/v1/streams/{prediction.id}"  # present, never used here
        record = {"id": prediction.id, "model": prediction.model.name, "version": prediction.version,
                  "input": prediction.input, "logs": "", "output": None, "data_removed": False,
                  "error": None, "status": status, "created_at": iso(prediction.created), "urls": urls}
        if created:
            return record
        started = prediction.created + self.stage_s
        record.update(source="api", started_at=iso(started) if status != "starting" else None,
                      completed_at=None, metrics={})
        if status in TERMINAL:
            ended = prediction.canceled_at or prediction.end_time(self.stage_s)
            record.update(completed_at=iso(ended), metrics={"predict_time": round(ended - started, 6),
                                                             "total_time": round(ended - prediction.created, 6)})
        if status == "failed":
            record["error"] = prediction.error
            record["logs"] = f"Traceback (most recent call last):\n{prediction.error}\n"
        elif status == "succeeded":
            record["output"] = self._output(prediction)
        elif status == "processing" and prediction.model.output == "tokens":
            record["output"] = self.text_tokens[:2]
        return record

    def _output(self, prediction: Prediction):
        model = prediction.model
        if model.output == "tokens":
            return list(self.text_tokens)
        extension = prediction.input.get("output_format", model.extension)
        urls = []
        for index in range(max(1, prediction.output_count) if model.output == "uris" else 1):
            path = f"/pbxt/{prediction.id}/out-{index}.{extension}"
            if path not in self.files:
                data = self.output_bytes if self.output_bytes is not None else \
                    (tiny_png(index) if extension == "png" else extension.encode() + b"-file-" + bytes([index]) * 64)
                self.files[path] = (data, MIMES.get(extension, "application/octet-stream"))
            urls.append(self.delivery_url + path)
        return urls if model.output == "uris" else urls[0]

    # -- webhooks ----------------------------------------------------------------------

    def _later(self, delay: float, prediction: Prediction, event: str) -> None:
        timer = threading.Timer(max(0.0, delay), self._deliver, (prediction, event))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _deliver(self, prediction: Prediction, event: str) -> None:
        with self.lock:
            if event in prediction.sent_events or (event == "completed"
                                                   and "completed" not in prediction.events):
                return
            prediction.sent_events.add(event)
        body = json.dumps(self.record(prediction)).encode()
        for attempt in range(self.webhook_attempts):
            timestamp = int(time.time())
            headers = {"Content-Type": "application/json", "User-Agent": "Replicate-Webhooks/1.0",
                       "webhook-id": prediction.webhook_id, "webhook-timestamp": str(timestamp),
                       "webhook-signature": self.sign(prediction.webhook_id, timestamp, body)}
            try:
                status = self.webhook_sender(prediction.webhook, body, headers)
            except Exception as exc:  # noqa: BLE001 - the receiver is down: retried
                status = f"{type(exc).__name__}"
            with self.lock:
                self.webhooks.append({"url": prediction.webhook, "event": event, "status": status,
                                      "prediction": prediction.id, "headers": headers, "body": body,
                                      "attempt": attempt + 1})
                self.lock.notify_all()
            if isinstance(status, int) and 200 <= status < 300:
                return
            time.sleep(self.webhook_retry_s)

    @staticmethod
    def _post_webhook(url: str, body: bytes, headers: dict) -> int:
        return requests.post(url, data=body, headers=headers, timeout=10, allow_redirects=False).status_code
