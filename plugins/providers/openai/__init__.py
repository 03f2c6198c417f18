"""openai: text and images through any OpenAI-compatible API — OpenAI, OpenRouter, or a
model on the operator's own GPU behind vLLM, llama.cpp's server or Ollama.

Switched on by ``api_key`` in ``[openai]`` (a local server that checks no key takes any
word); ``base_url`` says where the API is. A text model's answer is asked for as a
stream (``"stream": true``, Server-Sent Events) and shown to the user as it is written
(``request.stream``: the core edits the message at Telegram's pace and splits it at
4,096 characters); the final text is what is stored and charged. With
``stream_options.include_usage`` the last event reports the tokens used, which is what a
model priced by usage (``usage_price`` in the catalog) is charged for; its
``max_tokens`` is sent, so the answer can never cost more than was held.

An image model draws with ``/images/generations``, or, when the user sent a photo,
changes it with ``/images/edits`` (the photo is fetched from Telegram and uploaded with
the request: no link to it leaves genbot). Catalog options (``provider_options``):
``system`` (a system prompt), ``params`` (fixed fields of the request, e.g.
``temperature``, ``quality``), ``max_tokens_field`` (``max_tokens``, or
``max_completion_tokens`` for OpenAI's reasoning models) and ``sizes`` (an aspect
ratio to an image size).

A key the service refuses at start (401/403 from ``GET /models``) fails the plugin
with the service's words, and its models are hidden.
"""

from __future__ import annotations

import base64
import contextlib
import logging

from genbot import GenerationFailed, GenerationOutput, OutputFile, UrlFetcher, Usage, hookimpl
from genbot.providers import (
    ProviderRegistry,
    ServiceClient,
    events,
    key_refused,
    user_photo,
    watched,
)

log = logging.getLogger("genbot.plugins.openai")

# gpt-image-1's sizes for the catalog's aspect ratios ("Images / Create image": size).
SIZES = {"1:1": "1024x1024", "3:2": "1536x1024", "2:3": "1024x1536", "16:9": "1536x1024",
         "9:16": "1024x1536", "4:3": "1536x1024", "3:4": "1024x1536"}
_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
# What a chat adds around its messages, as OpenAI's cookbook counts it ("How to count
# tokens with tiktoken": 3 a message, 3 priming the reply, 1 a name), for two messages,
# with room to spare.
CHAT_FRAMING_TOKENS = 16


def model_problems(model) -> list[str]:
    """What in an openai model's catalog entry this provider cannot do."""
    problems = []
    options = model.provider_options
    if not model.provider_model:
        problems.append("provider_model must name the model (e.g. gpt-4o-mini)")
    if model.category not in ("text", "image"):
        problems.append(f"the openai provider makes text and images, not {model.category}")
    if not isinstance(options.get("params", {}), dict):
        problems.append("provider_options.params must be a table")
    if options.get("max_tokens_field", "max_tokens") not in ("max_tokens", "max_completion_tokens"):
        problems.append("provider_options.max_tokens_field must be max_tokens or max_completion_tokens")
    if not isinstance(options.get("system", ""), str):
        problems.append("provider_options.system must be a string")
    params = options.get("params", {})
    if model.usage is not None and isinstance(params, dict):
        # The hold covers one answer of max_tokens: nothing may ask for more.
        if params.get("n", 1) != 1:
            problems.append("provider_options.params.n must be 1 for a model priced by usage (each "
                            "extra answer would cost beyond the hold)")
        for key in ("max_tokens", "max_completion_tokens"):
            if key in params:
                problems.append(f"provider_options.params.{key} conflicts with usage_price.max_tokens, "
                                f"which genbot sends (and holds for)")
    sizes = options.get("sizes", {})
    if not isinstance(sizes, dict) or not all(isinstance(v, str) for v in sizes.values()):
        problems.append("provider_options.sizes must map aspect ratios to sizes like \"1024x1024\"")
    return problems


class OpenAIProvider:
    name = "openai"
    offline = False
    needs_file_urls = False  # a photo to edit is uploaded with the request

    def __init__(self, settings: dict, fetch_file, fetch_url=None):
        self.base_url = settings["base_url"].rstrip("/")
        self.fetch_file = fetch_file  # (telegram file id) -> (bytes, content type)
        # A link the user typed: fetched from public addresses only, cut at the cap.
        self.fetch_url = fetch_url or UrlFetcher().fetch
        self.client = ServiceClient(
            "openai", {"Authorization": f"Bearer {settings['api_key']}"},
            request_timeout_s=float(settings["request_timeout_s"]),
            max_retries=int(settings["max_retries"]), key_hint="check [openai] api_key")

    @staticmethod
    def request_overhead(model) -> int:
        """Bytes every chat request of ``model`` sends besides the user's inputs — the
        system prompt, each choice's label, the chat's framing — which its hold counts as
        tokens, one a byte (``core.generation.catalog``)."""
        options = model.provider_options
        system = len(str(options.get("system") or "").encode("utf-8"))
        labels = sum(len(f.label.encode("utf-8")) + len(": \n") for f in model.inputs if f.type == "choice")
        return system + labels + CHAT_FRAMING_TOKENS

    def generate(self, req) -> GenerationOutput:
        if req.model.category == "text":
            return self._chat(req)
        return self._image(req)

    # -- text, streamed -----------------------------------------------------------------

    def chat_body(self, req) -> dict:
        model, options = req.model, req.model.provider_options
        messages = [{"role": "system", "content": options["system"]}] if options.get("system") else []
        prompt = str(req.inputs.get("prompt", ""))
        extra = [f"{f.label}: {req.inputs[f.name]}" for f in model.inputs
                 if f.type == "choice" and req.inputs.get(f.name)]
        messages.append({"role": "user", "content": "\n".join([prompt, *extra])})
        body = {"model": model.provider_model, "messages": messages, "stream": True,
                "stream_options": {"include_usage": True}, **options.get("params", {})}
        if model.usage is not None:  # the hold covers this many tokens of answer, no more
            body[options.get("max_tokens_field", "max_tokens")] = model.usage.max_tokens
        return body

    def _chat(self, req) -> GenerationOutput:
        body = self.chat_body(req)
        # Until the answer starts (a busy server may take a while), and then while it is
        # written, the worker keeps watching the deadline and the cancel.
        response = watched(req, lambda: self.client.call(
            req, "POST", self.base_url + "/chat/completions", json=body, stream=True, whole_job=True))
        if "text/event-stream" not in response.headers.get("Content-Type", ""):
            return self._whole_answer(response)  # a server that does not stream
        text, usage, finish = "", None, None
        with contextlib.closing(events(req, response)) as stream:  # a cancel closes the connection
            for event in stream:
                if isinstance(event.get("error"), dict):  # an error in the middle of a stream
                    message = str(event["error"].get("message") or "error")[:500]
                    raise GenerationFailed("openai_stream_error", message, "failed")
                if isinstance(event.get("usage"), dict):
                    usage = event["usage"]
                for choice in event.get("choices") or ():
                    piece = (choice.get("delta") or {}).get("content")
                    if isinstance(piece, str) and piece:
                        text += piece
                        req.stream(text.strip())
                    finish = choice.get("finish_reason") or finish
        return self._answer(text, usage, finish)

    def _whole_answer(self, response) -> GenerationOutput:
        try:
            body = response.json()
            choice = body["choices"][0]
            return self._answer(choice["message"]["content"], body.get("usage"),
                                choice.get("finish_reason"))
        except (ValueError, KeyError, IndexError, TypeError):
            raise GenerationFailed("openai_bad_response", "no choices[0].message.content in the answer") from None

    @staticmethod
    def _answer(text, usage, finish) -> GenerationOutput:
        if finish == "content_filter":
            raise GenerationFailed("openai_content_filter", "the answer was withheld by the content filter",
                                   "rejected")
        text = (text or "").strip()
        if not text:
            raise GenerationFailed("openai_empty", f"an empty answer (finish_reason {finish!r})", "failed")
        if finish is None:
            log.warning("openai: the stream ended without a finish_reason; the answer may be cut")
        reported = None
        if isinstance(usage, dict):
            try:
                reported = Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
            except (TypeError, ValueError):
                reported = None
        return GenerationOutput("text", text=text, usage=reported)

    # -- images ---------------------------------------------------------------------------

    def _image(self, req) -> GenerationOutput:
        model, options = req.model, req.model.provider_options
        size = {**SIZES, **options.get("sizes", {})}.get(str(req.inputs.get("aspect_ratio")))
        fields = {"model": model.provider_model, "prompt": str(req.inputs.get("prompt", "")),
                  **({"size": size} if size else {}), **options.get("params", {})}
        photo = next((req.inputs[f.name] for f in model.inputs
                      if f.type == "image" and req.inputs.get(f.name)), None)
        if photo is None:
            call = lambda: self.client.call(req, "POST", self.base_url + "/images/generations",  # noqa: E731
                                            json=fields, whole_job=True)
        else:
            data, mime = self._photo(req, photo)
            name = "photo." + {"image/png": "png", "image/webp": "webp"}.get(mime, "jpg")
            call = lambda: self.client.call(  # noqa: E731
                req, "POST", self.base_url + "/images/edits", whole_job=True,
                files={"image": (name, data, mime)}, data={k: str(v) for k, v in fields.items()})
        response = watched(req, call)  # an image takes a while: the worker keeps watching
        try:
            picture = response.json()["data"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise GenerationFailed("openai_bad_response", "no data[0] in the image answer") from None
        fmt = str(options.get("params", {}).get("output_format", "png"))
        if isinstance(picture.get("b64_json"), str):
            try:
                body = base64.b64decode(picture["b64_json"], validate=True)
            except ValueError:
                raise GenerationFailed("openai_bad_response", "data[0].b64_json is not base64") from None
            return GenerationOutput("image", files=(OutputFile(f"image.{fmt}", body, _MIMES.get(fmt, "image/png")),))
        if isinstance(picture.get("url"), str) and picture["url"].startswith(("https://", "http://")):
            return GenerationOutput("image", urls=(picture["url"],))  # dall-e's answer: a link
        raise GenerationFailed("openai_bad_response", "data[0] has neither b64_json nor url")

    def _photo(self, req, value: dict) -> tuple[bytes, str]:
        """The user's photo, as bytes: from Telegram, or from the link they typed (only
        from a public address, at most ``MAX_PHOTO_BYTES``: never from inside the network)."""
        data, mime = user_photo(req, value, self.fetch_file, self.fetch_url)
        return data, (mime if mime in _MIMES.values() else "image/jpeg")


# -- hooks -------------------------------------------------------------------------------

@hookimpl
def plugin_settings():
    return {"api_key": "", "base_url": "https://api.openai.com/v1", "request_timeout_s": 60.0,
            "max_retries": 3, "check_key": True}


@hookimpl
def plugin_settings_check(settings):
    if settings["api_key"] and settings["check_key"]:
        refused = key_refused("openai", "GET", settings["base_url"].rstrip("/") + "/models",
                              {"Authorization": f"Bearer {settings['api_key']}"})
        if refused:
            raise ValueError(f"{refused}: check [openai] api_key")


def _make(app, settings) -> OpenAIProvider:
    return OpenAIProvider(settings, app.download_file, app.fetch_url)


# One provider per App (None: switched off by its catalog); its hook is the plugin's.
registry = ProviderRegistry("openai", _make, model_problems=model_problems)
catalog_problems = registry.catalog_problems
generation_providers = registry.generation_providers
