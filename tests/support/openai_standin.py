"""A stand-in for an OpenAI-compatible API over real HTTP, written from OpenAI's API reference.

Routes, bodies and errors come from these pages (platform.openai.com/docs, read in 2026):

- "API reference / Authentication": ``Authorization: Bearer <key>``; a wrong key is
  HTTP 401 ``{"error": {"message": "Incorrect API key provided: …", "type":
  "invalid_request_error", "param": null, "code": "invalid_api_key"}}`` ("Error codes").
- "Error codes": 429 "Rate limit reached for requests" (``type`` "requests", ``code``
  "rate_limit_exceeded", with ``retry-after`` and ``x-ratelimit-*`` headers), 500 "The
  server had an error while processing your request", 503 "The engine is currently
  overloaded"; every error is ``{"error": {message, type, param, code}}``. 429 is also
  "You exceeded your current quota, please check your plan and billing details"
  (``type`` and ``code`` "insufficient_quota": the account is out of credit, and no wait
  helps), 404 "The model … does not exist or you do not have access to it" (``code``
  "model_not_found"). ``refuse(route, …)`` makes the next calls answer so: a status, or
  (status, code) for these.
- "Models / List models": ``GET /v1/models`` → ``{"object": "list", "data": [{"id",
  "object": "model", "created", "owned_by"}]}``.
- "Chat / Create chat completion": ``POST /v1/chat/completions`` with ``model``,
  ``messages`` (``role``, ``content``), ``max_tokens`` or ``max_completion_tokens``,
  ``stream``, ``stream_options.include_usage``. Not streamed: a ``chat.completion``
  with ``choices[0].message.content``, ``finish_reason`` ("stop", or "length" at the
  token limit) and ``usage`` (``prompt_tokens``, ``completion_tokens``,
  ``total_tokens``). Streamed ("Streaming", "The chat completion chunk object"): a
  ``text/event-stream`` sent chunked, each event ``data: {chunk}`` and a blank line;
  every chunk has the same ``id`` and ``created``; the first delta carries ``role``,
  the next ones ``content``, the last one an empty delta and ``finish_reason``; with
  ``include_usage`` one more chunk with ``"choices": []`` and the ``usage``, and every
  other chunk ``"usage": null``; then ``data: [DONE]``.
- "Images / Create image": ``POST /v1/images/generations`` (JSON: ``prompt``, ``model``,
  ``n``, ``size`` — gpt-image-1: 1024x1024, 1536x1024, 1024x1536 or auto); gpt-image-1
  "always returns base64-encoded images": ``{"created", "data": [{"b64_json"}], "usage"}``.
  "Create image edit": ``POST /v1/images/edits`` as multipart/form-data: ``image`` (a
  png, webp or jpg file), ``prompt``, ``model``, ``size``; the same answer. A prompt the
  safety system refuses is HTTP 400 with ``code`` "moderation_blocked". For dall-e-2 and
  dall-e-3, ``response_format`` "url" answers ``{"data": [{"url", "revised_prompt"}]}``
  instead ("URLs are only valid for 60 minutes after the image has been generated"); the
  stand-in serves that file itself, ``url_image_bytes`` long (a PNG of any size, for
  results larger than Telegram takes).

The answer to a chat is made of ``answer_tokens`` tokens (a word and its space each),
streamed at ``tokens_per_s``; ``lag_s`` holds every answer back (a server that never
answers, for deadlines and cancels). ``log`` keeps every request; ``abandoned`` counts the
streams the client closed before their end (the model stops writing).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
import time
from collections import deque

from genbot.testing.standin import HttpStandIn, Reply, Request
from plugins.providers import media

IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
WORDS = ("солнце", "море", "ветер", "город", "свет", "дорога", "время", "песня", "небо",
         "история", "мысль", "дом")
_MESSAGES = {429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
             500: ("The server had an error while processing your request. Sorry about that!",
                   "server_error", None),
             503: ("The engine is currently overloaded, please try again later", "server_error", None),
             400: ("Your request was rejected as a result of our safety system.",
                   "image_generation_user_error", "moderation_blocked"),
             401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
             (429, "insufficient_quota"): ("You exceeded your current quota, please check your plan and "
                                           "billing details. For more information on this error, read "
                                           "the docs: https://platform.openai.com/docs/guides/error-codes"
                                           "/api-errors.", "insufficient_quota", "insufficient_quota"),
             (404, "model_not_found"): ("The model `gpt-4o-mini` does not exist or you do not have access "
                                        "to it.", "invalid_request_error", "model_not_found")}


def error(status: int, message: str | None = None, kind: str | None = None, code=None) -> dict:
    default = _MESSAGES.get(status, ("error", "invalid_request_error", None))
    return {"error": {"message": message or default[0], "type": kind or default[1],
                      "param": None, "code": code if code is not None else default[2]}}


def token(index: int) -> str:
    return WORDS[index % len(WORDS)] + " "


class OpenAIStandIn(HttpStandIn):
    def __init__(self, key: str = "sk-test-key", *, answer_tokens: int = 30,
                 tokens_per_s: float = 500.0):
        super().__init__()
        self.key = key
        self.answer_tokens = answer_tokens
        self.tokens_per_s = tokens_per_s
        self.lag_s = 0.0
        # None: counted from the messages' words; "bytes": one token a byte of every
        # message and 3 around each (the most any tokenizer counts), as for a prompt
        # written to cost the most.
        self.prompt_tokens: int | str | None = None
        self.first_token_at: list[float] = []  # when each streamed answer's first token left
        self.abandoned = 0  # streams the client closed before their end
        self.refusals: dict[str, deque] = {}
        self.url_image_bytes = 0  # 0: the drawn PNG itself; else a PNG padded to this size
        self.url_downloads = 0
        self._api_calls = 0  # requests but the files': numbers answers, as ids
        self.url = self.listen() + "/v1"

    def refuse(self, route: str, *statuses: int) -> None:
        """The next calls to ``route`` (chat, images, edits, models) answer these statuses."""
        with self.lock:
            self.refusals.setdefault(route, deque()).extend(statuses)

    def requests_to(self, path: str) -> list[Request]:
        with self.lock:
            return [c for c in self.log if c.path == path]

    # -- HTTP -------------------------------------------------------------------------

    def serve(self, request: Request, reply: Reply) -> None:
        if request.method == "GET" and request.path.startswith("/files/"):
            self._file(reply)
            return
        with self.lock:
            self._api_calls += 1
        self._route(reply, request)

    def _route(self, reply: Reply, call: Request) -> None:
        if self.lag_s:
            time.sleep(self.lag_s)
        if call.header("Authorization") != f"Bearer {self.key}":
            given = call.header("Authorization", "")[-4:]
            reply.send(401, error(401, f"Incorrect API key provided: {given}. You can find your API key "
                                       f"at https://platform.openai.com/account/api-keys."))
            return
        routes = {("GET", "/v1/models"): ("models", self._models),
                  ("POST", "/v1/chat/completions"): ("chat", self._chat),
                  ("POST", "/v1/images/generations"): ("images", self._images),
                  ("POST", "/v1/images/edits"): ("edits", self._edits)}
        found = routes.get((call.method, call.path))
        if found is None:
            reply.send(404, error(404, f"Invalid URL ({call.method} {call.path})"))
            return
        route, serve = found
        with self.lock:
            pending = self.refusals.get(route)
            status = pending.popleft() if pending else None
        if isinstance(status, tuple):  # (status, code): an account that cannot be used
            message, kind, code = _MESSAGES[status]
            reply.send(status[0], error(status[0], message, kind, code))
            return
        if status is not None:
            headers = {"retry-after": "1", "x-ratelimit-limit-requests": "500",
                       "x-ratelimit-remaining-requests": "0",
                       "x-ratelimit-reset-requests": "1s"} if status == 429 else {}
            reply.send(status, error(status), headers=headers)
            return
        serve(reply, call)

    def _models(self, reply: Reply, call: Request) -> None:
        reply.send(200, {"object": "list", "data": [
            {"id": name, "object": "model", "created": 1715367049, "owned_by": "system"}
            for name in ("gpt-4o-mini", "gpt-image-1")]})

    def _chat(self, reply: Reply, call: Request) -> None:
        try:
            body = call.json()
        except ValueError:
            reply.send(400, error(400, "We could not parse the JSON body of your request.",
                                  "invalid_request_error", None))
            return
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(body.get("model"), str) or not isinstance(messages, list) or not messages \
                or not all(isinstance(m, dict) and m.get("role") in ("system", "developer", "user", "assistant")
                           and isinstance(m.get("content"), str | list) for m in messages):
            reply.send(400, error(400, "'messages' must be a non-empty array of messages with a "
                                       "role and content", "invalid_request_error", None))
            return
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            reply.send(400, error(400, f"Invalid 'max_tokens': {limit!r}", "invalid_request_error", None))
            return
        count = min(self.answer_tokens, limit or self.answer_tokens)
        finish = "length" if count < self.answer_tokens else "stop"
        if self.prompt_tokens == "bytes":
            prompt = 3 + sum(3 + len(str(m["content"]).encode("utf-8")) for m in messages)
        elif self.prompt_tokens is not None:
            prompt = self.prompt_tokens
        else:
            prompt = 8 + sum(len(str(m["content"]).split()) * 2 for m in messages)
        usage = {"prompt_tokens": prompt, "completion_tokens": count, "total_tokens": prompt + count}
        ident, created = f"chatcmpl-{self._api_calls}", int(time.time())
        if not body.get("stream"):
            reply.send(200, {
                "id": ident, "object": "chat.completion", "created": created, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(
                    token(i) for i in range(count)).strip(), "refusal": None},
                    "logprobs": None, "finish_reason": finish}], "usage": usage})
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta, finish_reason=None):
            data = {"id": ident, "object": "chat.completion.chunk", "created": created,
                    "model": body["model"], "system_fingerprint": "fp_standin",
                    "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                 "finish_reason": finish_reason}]}
            if include_usage:
                data["usage"] = None
            return json.dumps(data, ensure_ascii=False)

        def events():
            yield chunk({"role": "assistant", "content": "", "refusal": None})
            started = time.monotonic()
            for i in range(count):
                time.sleep(max(0.0, started + i / self.tokens_per_s - time.monotonic()))
                if i == 0:
                    with self.lock:
                        self.first_token_at.append(time.monotonic())
                yield chunk({"content": token(i)})
            yield chunk({}, finish)
            if include_usage:
                yield json.dumps({"id": ident, "object": "chat.completion.chunk", "created": created,
                                  "model": body["model"], "choices": [], "usage": usage})
            yield "[DONE]"

        if not reply.stream((f"data: {data}\n\n".encode() for data in events()),
                            "text/event-stream; charset=utf-8", {"Cache-Control": "no-cache"}):
            with self.lock:
                self.abandoned += 1  # the client let go: the model stops writing

    def picture(self, prompt: str, size: str = "auto") -> bytes:
        width, height = (64, 64) if size == "auto" else (int(size.split("x")[0]) // 16,
                                                          int(size.split("x")[1]) // 16)
        seed = prompt.encode("utf-8")[:6].ljust(6, b"-")
        return media.diagonal_gradient_png(width, height, seed[:3], seed[3:6])

    def url_file(self) -> bytes:
        """The file an image URL serves: the picture, padded to ``url_image_bytes``."""
        picture = self.picture("url")
        return picture + bytes(max(0, self.url_image_bytes - len(picture)))

    def _file(self, reply: Reply) -> None:
        if reply.send(200, self.url_file(), "image/png"):  # else only the size was wanted
            with self.lock:
                self.url_downloads += 1

    def _image_answer(self, reply: Reply, call: Request, prompt: str, size: str,
                      response_format: str = "b64_json") -> None:
        if response_format == "url":
            host = call.header("Host", "")
            reply.send(200, {"created": int(time.time()), "data": [
                {"url": f"http://{host}/files/img-{self._api_calls}.png", "revised_prompt": prompt}]})
            return
        picture = self.picture(prompt, size)
        reply.send(200, {"created": int(time.time()), "data": [
            {"b64_json": base64.b64encode(picture).decode()}],
            "usage": {"total_tokens": 100, "input_tokens": 50, "output_tokens": 50,
                      "input_tokens_details": {"text_tokens": 10, "image_tokens": 40}}})

    def _images(self, reply: Reply, call: Request) -> None:
        try:
            body = call.json()
        except ValueError:
            body = None
        problem = _image_problem(body)
        if problem:
            reply.send(400, error(400, problem, "invalid_request_error", None))
            return
        self._image_answer(reply, call, body["prompt"], body.get("size", "auto"),
                           body.get("response_format", "b64_json"))

    def _edits(self, reply: Reply, call: Request) -> None:
        kind = call.header("Content-Type", "")
        if not kind.startswith("multipart/form-data"):
            reply.send(400, error(400, "Invalid Content-Type header (application/json), expected "
                                       "multipart/form-data.", "invalid_request_error", None))
            return
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + kind.encode() + b"\r\n\r\n" + call.body)
        fields, files = {}, {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                files[name] = (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
            else:
                fields[name] = part.get_payload(decode=True).decode()
        image = files.get("image") or files.get("image[]")
        if image is None:
            reply.send(400, error(400, "Missing required parameter: 'image'.", "invalid_request_error", None))
            return
        if image[1] not in ("image/png", "image/jpeg", "image/webp"):
            reply.send(400, error(400, f"Invalid file 'image': unsupported mimetype ('{image[1]}'). "
                                       f"Supported file formats are 'image/jpeg', 'image/png', and "
                                       f"'image/webp'.", "invalid_request_error", None))
            return
        problem = _image_problem(fields)
        if problem:
            reply.send(400, error(400, problem, "invalid_request_error", None))
            return
        self._image_answer(reply, call, fields["prompt"], fields.get("size", "auto"))

    def edits(self) -> list[dict]:
        """What each image edit request carried: its fields and its image's name and type."""
        found = []
        for call in self.requests_to("/v1/images/edits"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + call.header("Content-Type").encode() + b"\r\n\r\n" + call.body)
            entry = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                entry[name] = (part.get_content_type(), part.get_payload(decode=True)) if part.get_filename() \
                    else part.get_payload(decode=True).decode()
            found.append(entry)
        return found


def _image_problem(body) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
        return "Missing required parameter: 'prompt'."
    if body.get("size", "auto") not in IMAGE_SIZES:
        return (f"Invalid value: '{body['size']}'. Supported values are: "
                f"{', '.join(repr(s) for s in IMAGE_SIZES)}.")
    return None
