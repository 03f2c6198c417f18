"""What a replicate catalog entry means: which endpoint, which inputs, checked at start.

``provider_model`` is ``owner/name`` for an official model (created with
``POST /v1/models/{owner}/{name}/predictions``) or ``owner/name:version`` for any
other model (``POST /v1/predictions`` with ``version``). ``provider_options``:

- ``params``: fixed inputs sent with every prediction (``{ output_format = "png" }``);
- ``fields``: genbot input name → Replicate input name where they differ
  (``{ image = "input_image" }``);
- ``lists``: genbot input names Replicate takes as a list (``["image"]`` sends
  ``"image_input": [url]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genbot.providers import unknown_options

_OWNER_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*/[a-z0-9][a-z0-9_.-]*$", re.IGNORECASE)
_VERSION = re.compile(r"^[a-zA-Z0-9_-]{1,100}$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
OPTIONS = ("params", "fields", "lists")


@dataclass(frozen=True)
class Target:
    """Where a model's predictions are created."""
    model: str  # owner/name
    version: str | None

    def create_path(self) -> str:
        if self.version is None:
            return f"/v1/models/{self.model}/predictions"
        return "/v1/predictions"

    def body(self, inputs: dict) -> dict:
        return {"input": inputs} if self.version is None else {"version": self.version, "input": inputs}


def target_of(model) -> Target | None:
    value = (model.provider_model or "").strip()
    name, _, version = value.partition(":")
    if not _OWNER_NAME.match(name) or (version and not _VERSION.match(version)) or value.endswith(":"):
        return None
    return Target(name, version or None)


def model_problems(model) -> list[str]:
    """Why Replicate could not run this catalog entry, one sentence each."""
    problems = []
    if target_of(model) is None:
        problems.append(f"provider_model must be 'owner/name' (an official model) or "
                        f"'owner/name:version', got {model.provider_model!r}")
    options = model.provider_options or {}
    problems += unknown_options(model, OPTIONS)
    names = {f.name for f in model.inputs}
    params = options.get("params", {})
    if not isinstance(params, dict):
        problems.append("provider_options.params must be a table of fixed inputs")
    fields = options.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) and _FIELD.match(v) for v in fields.values()):
        problems.append("provider_options.fields must map input names to Replicate input names")
    else:
        for name in fields:
            if name not in names:
                problems.append(f"provider_options.fields names '{name}', which is not one of its inputs "
                                f"({', '.join(sorted(names))})")
    lists = options.get("lists", [])
    if not isinstance(lists, list) or not all(isinstance(v, str) for v in lists):
        problems.append("provider_options.lists must be a list of input names")
    else:
        for name in lists:
            if name not in names:
                problems.append(f"provider_options.lists names '{name}', which is not one of its inputs")
    if isinstance(params, dict) and isinstance(fields, dict):
        sent = {fields.get(f.name, f.name) for f in model.inputs}
        clash = sorted(sent & set(params))
        if clash:
            problems.append(f"provider_options.params fixes {', '.join(clash)}, which the user also fills in")
    return problems


def replicate_inputs(model, inputs: dict, image_url) -> dict:
    """The ``input`` object of a prediction: the fixed params, then the user's answers
    under Replicate's names; ``image_url(value)`` turns an image answer into a URL."""
    options = model.provider_options or {}
    fields, lists = options.get("fields", {}), set(options.get("lists", []))
    body = dict(options.get("params", {}))
    for field in model.inputs:
        value = inputs.get(field.name)
        if value is None or value == "":
            continue
        if field.type == "image":
            value = image_url(value)
        body[fields.get(field.name, field.name)] = [value] if field.name in lists else value
    return body
