"""A stand-in for fal.ai's Queue API over real HTTP, written from fal's documentation.

Pages (read in 2026) and what each gave:

- Queue API, https://docs.fal.ai/model-endpoints/queue and
  https://fal.ai/docs/documentation/model-apis/inference/queue.md: ``POST
  queue.fal.run/{model_id}[/{subpath}]`` with ``Authorization: Key $FAL_KEY`` adds a
  request; the answer carries ``request_id``, ``response_url``, ``status_url`` and
  ``cancel_url`` (built on ``{owner}/{app}/requests/{request_id}``: "The subpath (/dev in
  this case) should be used when making the request, but not when getting request
  status or results"); ``GET …/requests/{id}/status`` (``?logs=1``) answers
  ``{"status": "IN_QUEUE", "queue_position": 0, "response_url": …}``, then
  ``IN_PROGRESS`` (with ``logs``), then ``COMPLETED``; ``GET …/requests/{id}`` is the
  result; ``PUT …/requests/{id}/cancel`` "Cancels a request that has not started
  processing".
- Inference API reference, https://fal.ai/docs/api-reference/inference-api: "The API
  returns 202 while the request is in the queue or in progress, and 200 when it is
  complete"; "The status, result, and cancel URLs use only the owner and the app. Do not
  build these URLs yourself".
- Cancel a request, https://fal.ai/docs/inference-api/queue/cancel: answers with a
  ``status`` of ``CANCELLATION_REQUESTED`` (HTTP 202), ``ALREADY_COMPLETED`` (HTTP 400)
  or ``NOT_FOUND`` (404); the queued request is removed, a running one is signalled.
- fal_client (github.com/fal-ai/fal, projects/fal_client/src/fal_client/client.py):
  the submit answer is read as ``data["request_id"]``, ``data["response_url"]``,
  ``data["status_url"]``, ``data["cancel_url"]``; ``?fal_webhook=<url>`` on the submit
  URL; a status ``COMPLETED`` may carry ``error`` and ``error_type``; an error answer's
  message is its JSON ``detail``; ``PUT cancel_url``; ``Key <key>`` where a key is
  ``FAL_KEY`` or ``FAL_KEY_ID:FAL_KEY_SECRET``.
- Model errors, https://fal.ai/docs/documentation/model-apis/errors.md: a rejected
  input is an HTTP error whose JSON ``detail`` lists objects with ``loc``, ``msg``,
  ``type`` (422 for validation); retries and error types,
  https://fal.ai/docs/documentation/serverless/reliability/retries.md (``error_type``,
  ``X-Fal-Error-Type``).
- Webhooks, https://docs.fal.ai/model-endpoints/webhooks and
  https://fal.ai/docs/documentation/model-apis/inference/webhooks.md: when the request
  is done fal POSTs ``{"request_id", "gateway_request_id", "status": "OK", "payload":
  {…}}`` or ``{"status": "ERROR", "error": "Invalid status code: 422", "payload":
  {"detail": [...]}}`` to the ``fal_webhook`` URL; it retries failed deliveries ("10
  times in the span of 2 hours"). Verification: headers ``X-Fal-Webhook-Request-Id``,
  ``X-Fal-Webhook-User-Id``, ``X-Fal-Webhook-Timestamp`` (Unix seconds),
  ``X-Fal-Webhook-Signature`` (hex); the signed message is those three values and the
  SHA-256 hex digest of the raw body, joined by ``\\n``; ED25519 against any key of the
  JWKS at ``https://rest.alpha.fal.ai/.well-known/jwks.json`` (``kty`` OKP, ``crv``
  Ed25519, ``x`` base64url), which may be cached for 24 hours; the timestamp must be
  within ±5 minutes.
- Output shapes, from the model pages' schemas (fal.ai/models/<id>/api):
  ``images[]`` of ``{url, content_type, file_name, file_size, width, height}`` (flux);
  ``video`` ``{url, content_type, file_name, file_size}`` (kling); ``audio_file``
  (stable-audio); ``output`` (any-llm).

What is this stand-in's own: results live at ``{url}/files/<name>`` (fal's CDN is
``v3.fal.media``), the JWKS is served at ``{url}/.well-known/jwks.json`` too, and a
cancelled request ends as COMPLETED with ``error_type`` ``request_cancelled`` and sends
no webhook (fal does not document either). A request moves one stage every ``stage_s``
seconds; ``poll_lag_s`` keeps status polls from seeing the end for that long, so a test
can tell which path finished a job. Every request is kept in ``log``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from genbot.testing.standin import HttpStandIn, Reply, Request
from plugins.providers.media import diagonal_gradient_png, wav

KEY = "3f2b1c9e-7d4a-4e1b-9c2d-5a6b7c8d9e0f:0123456789abcdef0123456789abcdef"
USER_ID = "github|genbot-tests"
PNG = diagonal_gradient_png(64, 64, b"\x10\x20\x80", b"\xf0\xc0\x20")
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WAV = wav(440.0, 0.2)
BEHAVIOURS = ("succeed", "fail", "hang", "busy", "down")

# Per endpoint: required fields, optional fields with allowed values (None: any), the
# output kind. Fields not listed are ignored, as fal's pydantic models do.
ENDPOINTS = {
    "fal-ai/flux/dev": ({"prompt"}, {"image_size": ("square_hd", "square", "portrait_4_3",
                                                     "portrait_16_9", "landscape_4_3", "landscape_16_9"),
                                     "num_images": None, "seed": None, "num_inference_steps": None,
                                     "guidance_scale": None, "enable_safety_checker": None,
                                     "output_format": ("jpeg", "png")}, "image"),
    "fal-ai/flux-pro/kontext": ({"prompt", "image_url"},
                                {"aspect_ratio": ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4",
                                                  "9:16", "9:21"),
                                 "guidance_scale": None, "num_images": None, "output_format": ("jpeg", "png"),
                                 "safety_tolerance": ("1", "2", "3", "4", "5", "6")}, "image"),
    "fal-ai/kling-video/v2.1/standard/image-to-video": (
        {"prompt", "image_url"}, {"duration": ("5", "10"), "negative_prompt": None, "cfg_scale": None},
        "video"),
    "fal-ai/stable-audio": ({"prompt"}, {"seconds_total": None, "steps": None}, "audio"),
    "fal-ai/any-llm": ({"prompt"}, {"model": None, "system_prompt": None}, "text"),
}


@dataclass
class FalRequest:
    request_id: str
    endpoint: str  # the full model id, with its sub-path
    app_path: str  # owner/app: what the status, result and cancel URLs use
    body: dict
    created: float
    webhook_url: str | None
    outcome: str  # ok, error, hang
    error: dict | None = None  # {status, detail, error_type} of a failed request
    cancelled: bool = False
    webhook_sent: bool = False
    polled_final: bool = False

    def state(self, now: float, stage_s: float) -> str:
        if self.cancelled:
            return "COMPLETED"
        stage = int((now - self.created) / stage_s) if stage_s > 0 else 2
        if self.outcome == "hang":
            return "IN_QUEUE" if stage < 1 else "IN_PROGRESS"
        return ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")[min(stage, 2)]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    """fal's webhook message: the three header values and the body's SHA-256, by newlines."""
    return "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()


class FalStandIn(HttpStandIn):
    methods = ("GET", "POST", "PUT")

    def __init__(self, key: str = KEY, *, stage_s: float = 0.15):
        super().__init__()
        self.key = key
        self.stage_s = stage_s
        self.poll_lag_s = 0.0
        self.outcome = "ok"  # what new requests do: ok, error, hang
        self.error = {"status": 422, "error_type": "content_policy_violation",
                      "detail": [{"loc": ["body", "prompt"], "msg": "The content could not be processed "
                                  "because it contained material flagged by a content checker.",
                                  "type": "content_policy_violation"}]}
        self.signing_key = Ed25519PrivateKey.generate()
        self.kid = "fal-standin-1"
        self.user_id = USER_ID
        self.send_webhooks = True
        self.webhook_sender = self._post_webhook
        self.requests: dict[str, FalRequest] = {}
        self.webhooks: list[dict] = []  # url, body (bytes), headers, status
        self.cancels: list[tuple[str, int]] = []  # (request id, HTTP status answered)
        self.faults: deque = deque()  # (status, retry_after): the next calls, one each
        self.files: dict[str, tuple[bytes, str]] = {}
        self.url = self.listen()
        self.jwks_url = self.url + "/.well-known/jwks.json"
        self._stop = threading.Event()
        self._webhook_thread = threading.Thread(target=self._deliver_webhooks, daemon=True)

    def start(self) -> FalStandIn:
        self._webhook_thread.start()
        return super().start()

    def stop(self) -> None:
        self._stop.set()
        super().stop()

    # -- knobs ------------------------------------------------------------------------

    def script(self, behaviour: str) -> None:
        """The conformance behaviours: what the next requests meet."""
        assert behaviour in BEHAVIOURS, behaviour
        with self.lock:
            self.outcome = {"fail": "error", "hang": "hang"}.get(behaviour, "ok")
            if behaviour == "busy":
                self.faults.append((429, "1"))
            elif behaviour == "down":
                self.faults.append((503, None))

    def fault(self, status: int, retry_after: str | None = None, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([(status, retry_after)] * times)

    @property
    def cancelled(self) -> bool:
        with self.lock:
            return any(status == 202 for _rid, status in self.cancels)

    def calls(self, method: str | None = None, contains: str = "") -> list[Request]:
        with self.lock:
            return [c for c in self.log if (method is None or c.method == method) and contains in c.path]

    def submits(self) -> list[Request]:
        return [c for c in self.calls("POST") if "/requests/" not in c.path]

    def jwks(self) -> dict:
        raw = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": self.kid,
                          "use": "sig", "alg": "EdDSA"}]}

    def sign(self, request_id: str, body: bytes, *, timestamp: int | None = None, key=None,
             user_id: str | None = None) -> dict:
        """The headers fal sends with a webhook of ``body``."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        user = self.user_id if user_id is None else user_id
        signature = (key or self.signing_key).sign(signed_message(request_id, user, stamp, body))
        return {"X-Fal-Webhook-Request-Id": request_id, "X-Fal-Webhook-User-Id": user,
                "X-Fal-Webhook-Timestamp": stamp, "X-Fal-Webhook-Signature": signature.hex(),
                "Content-Type": "application/json"}

    def webhook_body(self, request: FalRequest) -> bytes:
        if request.outcome == "error":
            body = {"request_id": request.request_id, "gateway_request_id": request.request_id,
                    "status": "ERROR", "error": f"Invalid status code: {request.error['status']}",
                    "payload": {"detail": request.error["detail"]}}
        else:
            body = {"request_id": request.request_id, "gateway_request_id": request.request_id,
                    "status": "OK", "payload": self.result(request)}
        return json.dumps(body).encode()

    # -- results ----------------------------------------------------------------------

    def _file(self, request_id: str, kind: str) -> dict:
        data, mime, ext = {"image": (PNG, "image/png", "png"), "video": (MP4, "video/mp4", "mp4"),
                           "audio": (WAV, "audio/wav", "wav")}[kind]
        name = f"{request_id[:8]}-{kind}.{ext}"
        self.files[name] = (data, mime)
        return {"url": f"{self.url}/files/{name}", "content_type": mime, "file_name": name,
                "file_size": len(data)}

    def result(self, request: FalRequest) -> dict:
        kind = ENDPOINTS.get(request.endpoint, (None, None, "image"))[2]
        prompt = request.body.get("prompt", "")
        if kind == "image":
            count = int(request.body.get("num_images", 1) or 1)
            return {"images": [dict(self._file(request.request_id + str(i), "image"), width=64, height=64)
                               for i in range(count)],
                    "timings": {"inference": 0.1}, "seed": 196619188014358660,
                    "has_nsfw_concepts": [False] * count, "prompt": prompt}
        if kind == "video":
            return {"video": self._file(request.request_id, "video")}
        if kind == "audio":
            return {"audio_file": self._file(request.request_id, "audio")}
        return {"output": f"fal answers: {prompt}", "partial": False, "error": None}

    # -- HTTP -------------------------------------------------------------------------

    def serve(self, request: Request, reply: Reply) -> None:
        status, answer, headers = self._route(request)
        headers = dict(headers)
        reply.send(status, answer, headers.pop("Content-Type", "application/json"), headers)

    def _route(self, call: Request):
        if call.method == "GET" and call.path == "/.well-known/jwks.json":
            return 200, self.jwks(), {}
        if call.method == "GET" and call.path.startswith("/files/"):
            found = self.files.get(call.path[len("/files/"):])
            return (200, found[0], {"Content-Type": found[1]}) if found else (404, b"", {})
        with self.lock:
            if self.faults:
                status, retry_after = self.faults.popleft()
                headers = {"Retry-After": retry_after} if retry_after else {}
                detail = "Too many requests" if status == 429 else "Service temporarily unavailable"
                return status, {"detail": detail}, headers
        if call.headers.get("Authorization") != f"Key {self.key}":
            return 401, {"detail": "Unauthorized: invalid or missing API key"}, {}
        match = re.fullmatch(r"/([^/]+/[^/]+)/requests/([^/]+)(/status|/cancel)?", call.path)
        if match is None:
            if call.method == "POST":
                return self._submit(call)
            return 404, {"detail": "Not Found"}, {}
        app_path, request_id, action = match.groups()
        with self.lock:
            request = self.requests.get(request_id)
        if request is None or request.app_path != app_path:
            if action == "/cancel":
                return 404, {"status": "NOT_FOUND"}, {}
            return 404, {"detail": "Request not found"}, {}
        if action == "/status" and call.method == "GET":
            return self._status(request, call)
        if action == "/cancel" and call.method == "PUT":
            return self._cancel(request)
        if action is None and call.method == "GET":
            return self._result(request)
        return 405, {"detail": "Method Not Allowed"}, {}

    def _urls(self, request: FalRequest) -> dict:
        base = f"{self.url}/{request.app_path}/requests/{request.request_id}"
        return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}

    def _submit(self, call: Request):
        endpoint = call.path.strip("/")
        try:
            body = json.loads(call.body or b"null")
        except ValueError:
            return 422, {"detail": [{"loc": ["body"], "msg": "Invalid JSON", "type": "value_error.jsondecode"}]}, {}
        if not isinstance(body, dict):
            return 422, {"detail": [{"loc": ["body"], "msg": "value is not a valid dict",
                                     "type": "type_error.dict"}]}, {}
        owner_app = "/".join(endpoint.split("/")[:2])
        with self.lock:
            outcome, error = self.outcome, None
            problem = self._validate(endpoint, body)
            if problem is not None:
                outcome, error = "error", {"status": 422, "error_type": "validation_error", "detail": [problem]}
            elif outcome == "error":
                error = self.error
            request = FalRequest(str(uuid.uuid4()), endpoint, owner_app, body, time.monotonic(),
                                 (call.query.get("fal_webhook") or [None])[0], outcome, error)
            self.requests[request.request_id] = request
            self.lock.notify_all()
        return 200, {"status": "IN_QUEUE", "request_id": request.request_id,
                     "gateway_request_id": request.request_id, "queue_position": 0,
                     **self._urls(request)}, {}

    @staticmethod
    def _validate(endpoint: str, body: dict) -> dict | None:
        if endpoint not in ENDPOINTS:
            return None
        required, optional, _kind = ENDPOINTS[endpoint]
        for name in sorted(required):
            if name not in body:
                return {"loc": ["body", name], "msg": "field required", "type": "value_error.missing"}
        for name, allowed in optional.items():
            if name in body and allowed is not None and body[name] not in allowed:
                return {"loc": ["body", name], "msg": f"unexpected value; permitted: {', '.join(allowed)}",
                        "type": "value_error.const"}
        for name in ("image_url",):
            value = body.get(name)
            if name in body and not (isinstance(value, str)
                                     and value.startswith(("https://", "http://", "data:"))):
                return {"loc": ["body", name], "msg": "invalid or missing URL scheme", "type": "value_error.url"}
        return None

    def _state(self, request: FalRequest, *, polling: bool) -> str:
        now = time.monotonic()
        state = request.state(now, self.stage_s)
        if polling and state == "COMPLETED" and not request.cancelled \
                and now < request.created + 2 * self.stage_s + self.poll_lag_s:
            state = "IN_PROGRESS"
        return state

    def _status(self, request: FalRequest, call: Request):
        state = self._state(request, polling=True)
        answer = {"status": state, "request_id": request.request_id, **self._urls(request)}
        if state == "IN_QUEUE":
            answer["queue_position"] = 0
        logs = call.query.get("logs", ["0"])[0] in ("1", "true", "True")
        if state != "IN_QUEUE":
            answer["logs"] = [{"message": "generating", "level": "INFO", "source": "user",
                               "timestamp": "2026-01-01T12:00:00.000Z"}] if logs else None
        if state == "COMPLETED":
            answer["metrics"] = {"inference_time": 0.1}
            if request.cancelled:
                answer.update(error="Request was cancelled", error_type="request_cancelled")
            elif request.outcome == "error":
                answer.update(error=f"Invalid status code: {request.error['status']}",
                              error_type=request.error["error_type"])
            with self.lock:
                request.polled_final = True
            return 200, answer, {}
        return 202, answer, {}

    def _result(self, request: FalRequest):
        state = self._state(request, polling=True)
        if state != "COMPLETED":
            return 400, {"detail": "Request is still in progress"}, {}
        if request.cancelled:
            return 400, {"detail": "Request was cancelled"}, {"X-Fal-Error-Type": "request_cancelled"}
        if request.outcome == "error":
            return request.error["status"], {"detail": request.error["detail"]}, \
                {"X-Fal-Error-Type": request.error["error_type"]}
        return 200, self.result(request), {"X-Fal-Request-Id": request.request_id}

    def _cancel(self, request: FalRequest):
        with self.lock:
            if request.cancelled or request.state(time.monotonic(), self.stage_s) == "COMPLETED":
                self.cancels.append((request.request_id, 400))
                self.lock.notify_all()
                return 400, {"status": "ALREADY_COMPLETED"}, {}
            request.cancelled = True
            self.cancels.append((request.request_id, 202))
            self.lock.notify_all()
        return 202, {"status": "CANCELLATION_REQUESTED"}, {}

    # -- webhooks -------------------------------------------------------------------------

    def _deliver_webhooks(self) -> None:
        while not self._stop.wait(0.03):
            now = time.monotonic()
            with self.lock:
                due = [r for r in self.requests.values()
                       if r.webhook_url and not r.webhook_sent and not r.cancelled
                       and r.state(now, self.stage_s) == "COMPLETED"]
                for request in due:
                    request.webhook_sent = True
            for request in due:
                if self.send_webhooks:
                    self.send_webhook(request)

    def send_webhook(self, request: FalRequest, *, body: bytes | None = None, headers: dict | None = None):
        body = self.webhook_body(request) if body is None else body
        headers = self.sign(request.request_id, body) if headers is None else headers
        try:
            status = self.webhook_sender(request.webhook_url, body, headers)
        except requests.RequestException as exc:
            status = type(exc).__name__
        with self.lock:
            self.webhooks.append({"url": request.webhook_url, "body": body, "headers": headers,
                                  "status": status, "request_id": request.request_id})
            self.lock.notify_all()
        return status

    @staticmethod
    def _post_webhook(url: str, body: bytes, headers: dict):
        return requests.post(url, data=body, headers=headers, timeout=15).status_code
