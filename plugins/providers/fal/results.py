"""Reading fal's answers: the model's inputs going out, its output shapes coming back.

fal's models share a few output shapes (their pages' output schemas): ``images`` (a list
of files), ``image``, ``video``, ``audio`` or ``audio_file`` (one file), ``audio_url``
(a URL), and for text models ``output`` (any-llm), ``text`` or ``response``. A file is
``{url, content_type, file_name, file_size}``. The files are fetched (fal's CDN URLs are
public) up to ``max_output_bytes``; a bigger one, or one that cannot be fetched, is
passed on as its URL for Telegram to fetch.
"""

from __future__ import annotations

import base64
import mimetypes
import re

from genbot import GenerationFailed, GenerationOutput, OutputFile
from genbot.providers import fetch_output, unknown_options

OPTION_KEYS = ("params", "inputs", "values")
ENDPOINT_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(/[\w.-]+)*$")
MEDIA_FIELDS = ("images", "image", "video", "videos", "audio", "audio_file", "audio_url", "file")
TEXT_FIELDS = ("output", "text", "response", "answer")


class MalformedAnswer(Exception):
    """fal's answer lacks what its documentation says it holds."""


def model_problems(model) -> list[str]:
    """What is wrong with a fal model's catalog entry (empty: nothing)."""
    problems = []
    if not isinstance(model.provider_model, str) or not ENDPOINT_ID.match(model.provider_model):
        problems.append(f"provider_model must be fal's endpoint id, like \"fal-ai/flux/dev\", "
                        f"got {model.provider_model!r}")
    options = model.provider_options or {}
    problems += unknown_options(model, OPTION_KEYS)
    if not isinstance(options.get("params", {}), dict):
        problems.append("provider_options.params must be a table of fal's fixed inputs")
    names = {f.name for f in model.inputs}
    mapping = options.get("inputs", {})
    if not isinstance(mapping, dict) or not all(isinstance(v, str) and v for v in mapping.values()):
        problems.append("provider_options.inputs must map genbot input names to fal field names")
    else:
        for name in sorted(set(mapping) - names):
            problems.append(f"provider_options.inputs names '{name}', which is not one of the model's inputs")
    values = options.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        problems.append("provider_options.values must map a fal field to a table of "
                        "{ genbot choice = fal value }")
    else:
        fields = {mapping.get(f.name, f.name) if isinstance(mapping, dict) else f.name: f
                  for f in model.inputs}
        for fal_field, table in values.items():
            source = fields.get(fal_field)
            if source is None:
                problems.append(f"provider_options.values names '{fal_field}', which no input fills")
            elif source.type == "choice":
                for choice in source.choices:
                    if choice not in table:
                        problems.append(f"provider_options.values.{fal_field} has no value for the "
                                        f"choice '{choice}'")
    return problems


def fal_body(model, inputs: dict, image) -> dict:
    """The JSON fal's endpoint gets: fixed ``params``, then each input under its fal
    name (``inputs``), a choice translated through ``values``, a photo as ``image(value)``
    (a list where the fal field is a list, ``…_urls``)."""
    options = model.provider_options or {}
    body = dict(options.get("params") or {})
    mapping = options.get("inputs") or {}
    values = options.get("values") or {}
    for field in model.inputs:
        value = inputs.get(field.name)
        if value is None or value == "":
            continue
        name = mapping.get(field.name, field.name)
        if field.type == "image":
            value = image(value)
            if name.endswith("_urls"):
                value = [*body.get(name, []), value]
        elif name in values:
            value = values[name].get(value, value)
        body[name] = value
    return body


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type or 'image/jpeg'};base64,{base64.b64encode(data).decode()}"


def read_text(payload: dict) -> str:
    for name in TEXT_FIELDS:
        value = payload.get(name)
        if isinstance(value, str) and value.strip():
            return value
    choices = payload.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message") or {}
        if isinstance(message.get("content"), str) and message["content"].strip():
            return message["content"]
    raise MalformedAnswer(f"no text in fal's result (fields: {', '.join(sorted(payload)) or 'none'})")


def media_files(payload: dict) -> list[dict]:
    """Every output file of a result, as ``{url, content_type, file_name}``."""
    found = []
    for name in MEDIA_FIELDS:
        value = payload.get(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str) and item.startswith(("https://", "http://")):
                item = {"url": item}
            if isinstance(item, dict) and isinstance(item.get("url"), str) \
                    and item["url"].startswith(("https://", "http://", "data:")):
                found.append(item)
    return found


def kind_of(category: str, files: list[dict]) -> str:
    if category == "video" and files and all(f.get("content_type") == "image/gif" for f in files):
        return "animation"
    return {"image": "image", "video": "video", "audio": "audio"}.get(category, category)


def fetch(url: str, limit: int, timeout_s: float, fetch_url) -> tuple[bytes, str] | None:
    """The file at ``url`` (never with fal's key: the CDN is public; from public addresses
    only, through ``fetch_url``), or None when it is bigger than ``limit`` or cannot be had."""
    if url.startswith("data:"):
        head, _, data = url.partition(",")
        try:
            raw = base64.b64decode(data) if head.endswith(";base64") else data.encode()
        except ValueError:
            return None
        return (raw, head[5:].split(";")[0] or "application/octet-stream") if len(raw) <= limit else None
    fetched = fetch_output(fetch_url, url, max_bytes=limit, timeout_s=timeout_s, service="fal")
    return None if fetched is None else (fetched.data, fetched.content_type)


def read_output(payload, model, *, max_bytes: int, timeout_s: float, fetch_url) -> GenerationOutput:
    """fal's result for ``model`` as a ``GenerationOutput`` of its category."""
    if not isinstance(payload, dict):
        raise MalformedAnswer("fal's result is not a JSON object")
    if model.category == "text":
        return GenerationOutput("text", text=read_text(payload))
    files = media_files(payload)
    if not files:
        raise MalformedAnswer(f"no output file in fal's result (fields: {', '.join(sorted(payload)) or 'none'})")
    kind = kind_of(model.category, files)
    urls, outputs = [], []
    for number, item in enumerate(files, 1):
        got = fetch(item["url"], max_bytes, timeout_s, fetch_url)
        if got is None:
            if item["url"].startswith("data:"):
                continue  # too big to keep and no URL to pass on
            urls.append(item["url"])
            continue
        data, mime = got
        mime = item.get("content_type") or mime or "application/octet-stream"
        name = item.get("file_name") or f"fal-{number}{mimetypes.guess_extension(mime) or ''}"
        outputs.append(OutputFile(name, data, mime))
    if not urls and not outputs:
        raise GenerationFailed("fal_output_too_large", "fal's inline output is over max_output_bytes")
    return GenerationOutput(kind, urls=tuple(urls), files=tuple(outputs))
