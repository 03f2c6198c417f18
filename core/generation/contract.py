"""What a generation provider is: the contract between the job queue and provider plugins.

A provider plugin returns objects with a ``name`` and ``generate(request)`` from the
``generation_providers`` hook. ``generate`` runs in a worker thread and blocks until
the result is there; it must give up by ``request.deadline`` (raise
``GenerationTimeout``), stop when ``request.finished()`` says the job was finished
elsewhere (a provider callback, a cancel), and raise ``GenerationFailed`` for anything
else that goes wrong: a ``code`` and a ``message`` for the log and the operator (any
language, any detail), and a ``reason`` from ``REASONS`` for the user, who is told one
of a few plain sentences and never the detail. An ``offline`` provider needs
neither the network nor the database, so it keeps answering during an outage. A
provider that takes the user's photos as URLs sets ``needs_file_urls``: its models
with an image input are refused, before anything is held, where genbot has no public
URL to serve the photos from. A text model's provider may ``stream`` the answer as it
grows (``request.stream(text so far)``): the user watches it being written, and the
final ``output.text`` is what is stored and charged; a cancel after the first words
charges for the text shown (``Model.cost_of_partial``). A text model priced by usage
(``core.generation.catalog.UsagePrice``) is charged for the ``output.usage`` its provider
reports, never more than was held. A ``demo`` provider is a stand-in for trying the bot:
while a real provider runs, its models are listed to admins only (``SHOW_DEMO_MODELS``
lists them to everyone).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.generation.catalog import Model

# Why a generation failed, as its user is told (core/bot/locales: gen_reason_<reason>):
REASONS = (
    "unavailable",  # the service is down or misconfigured: not the user's doing, try later
    # The operator's account with the service cannot be used — out of credit, a key
    # refused or revoked, a model the account may not use: the job fails at once (never
    # retried), the operator reads one ERROR, and /readyz and `genbot doctor` show the
    # provider failing until one of its jobs succeeds again.
    "account",
    "rejected",     # the service refused this request (content rules, an input it won't take)
    "photo",        # the user's photo could not be fetched: send it again
    "too_long",     # the description is longer than the service takes
    "failed",       # anything else: try again
)


class GenerationFailed(Exception):
    def __init__(self, code: str, message: str, reason: str = "failed"):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.reason = reason if reason in REASONS else "failed"


class GenerationTimeout(GenerationFailed):
    def __init__(self, message: str = "the provider did not finish in time"):
        super().__init__("timeout", message, "unavailable")


class FinishedElsewhere(Exception):
    """The job was finished (or cancelled) while the provider worked: drop the result."""


@dataclass(frozen=True)
class OutputFile:
    name: str
    data: bytes
    mime: str


@dataclass(frozen=True)
class Usage:
    """The tokens a text generation took, as the provider reported them."""
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class GenerationOutput:
    kind: str  # image, animation, video, audio or text
    text: str | None = None
    urls: tuple[str, ...] = ()
    files: tuple[OutputFile, ...] = ()
    usage: Usage | None = None

    def to_json(self) -> dict:
        data: dict[str, object] = {"kind": self.kind, "text": self.text, "urls": list(self.urls),
                "files": [{"name": f.name, "mime": f.mime,
                           "b64": base64.b64encode(f.data).decode()} for f in self.files]}
        if self.usage is not None:
            data["usage"] = {"input_tokens": self.usage.input_tokens,
                             "output_tokens": self.usage.output_tokens}
        return data

    @classmethod
    def from_json(cls, data: dict) -> GenerationOutput:
        usage = data.get("usage")
        return cls(data["kind"], data.get("text"), tuple(data.get("urls") or ()),
                   tuple(OutputFile(f["name"], base64.b64decode(f["b64"]), f["mime"])
                         for f in data.get("files") or ()),
                   Usage(int(usage["input_tokens"]), int(usage["output_tokens"])) if usage else None)

    def summary(self) -> dict:
        """What a project keeps of it: no file bodies."""
        return {"kind": self.kind, "text": self.text, "urls": list(self.urls),
                "files": [f.name for f in self.files]}


@dataclass
class GenerationRequest:
    job_id: int
    user_id: int
    model: Model
    inputs: dict
    deadline: float  # time.monotonic() by which the provider must be done
    finished: Callable[[], bool] = lambda: False
    set_task_id: Callable[[str], None] = lambda task_id: None
    # An image input ({"telegram_file_id"} or {"url"}) as a URL the provider can fetch,
    # or None when genbot has no public URL to serve a photo from (core.telegram.links).
    file_url: Callable[[dict], str | None] = lambda value: value.get("url")
    # A text model's answer so far, as it grows: the user sees it being written. It
    # raises FinishedElsewhere once the job has ended (the user cancelled). ``usage``
    # ({"input_tokens", "output_tokens"} so far), when the service reports it mid-stream,
    # is what a cancel then charges; without it the text shown is priced by estimate.
    stream: Callable[..., None] = lambda text, usage=None: None

    def time_left(self) -> float:
        return self.deadline - time.monotonic()


class Provider(Protocol):
    """What a ``generation_providers`` hook returns: the catalog's ``provider`` field
    names one by ``name``; the job's worker calls ``generate`` (blocking until the
    output, raising ``GenerationFailed``/``GenerationTimeout``/``FinishedElsewhere``)."""

    name: str

    def generate(self, request: GenerationRequest) -> GenerationOutput: ...
