"""The model catalog: the file the operator edits (``catalog.toml``), checked at start.

Each ``[[model]]`` has an id, a title, a category (image, video, audio, text), a price
in roubles (0 means free), the provider that runs it, a timeout and the inputs the user
fills in one by one (``text``, ``choice`` or ``image``). Any mistake stops the start
with a message that names the model and the field.

``provider_model`` (the provider's own name for the model) and ``provider_options`` (a
table) are the provider's business: the core checks only that the options are a table
and hands them over; the provider plugin checks what is inside.

A text model may be priced by usage instead of ``price_rub``: ``usage_price = {
input_per_1k_rub, output_per_1k_rub, max_tokens }``. Confirming holds the most the
request can cost (its prompt at one token per byte, plus what the provider declares it
adds to every request — a system prompt, the choices' labels, the chat's framing —
plus ``overhead_tokens`` as a margin, and ``max_tokens`` of answer); the job is charged
what the provider reports it used, never more than the hold, and the rest goes back.

Users see the title, the description and the inputs' labels in their language:
``title_en``, ``description_en`` and ``label_en`` (any two-letter language code) say
them in another language than the catalog's own Russian.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from core.accounts.balances import CENT, InvalidAmount, to_money
from core.bot.texts import current_language
from core.generation.contract import Usage

# The categories, in menu order; their names are texts (cat_<category>).
CATEGORIES = ("image", "video", "audio", "text")
INPUT_TYPES = ("text", "choice", "image")
_MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_INPUT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_MODEL_KEYS = {"id", "title", "category", "price_rub", "provider", "timeout_s", "inputs",
               "provider_model", "provider_options", "description", "usage_price"}
_USAGE_KEYS = {"input_per_1k_rub", "output_per_1k_rub", "max_tokens", "overhead_tokens"}
_INPUT_KEYS = {"name", "type", "label", "optional", "max_length", "choices", "default"}
_TRANSLATED = re.compile(r"^(title|description|label)_([a-z]{2})$")
BYTES_PER_TOKEN = 4  # for estimates only; a hold counts one token per byte (the most)


class CatalogError(ValueError):
    """The catalog file is wrong; the message names the model and the field."""


@dataclass(frozen=True)
class InputField:
    name: str
    type: str
    label: str
    optional: bool = False
    max_length: int = 1000
    choices: tuple[str, ...] = ()
    default: str | None = None
    labels: dict = field(default_factory=dict)  # language -> label

    def label_in(self, lang: str) -> str:
        return self.labels.get(lang, self.label)


@dataclass(frozen=True)
class UsagePrice:
    """A text model priced per 1,000 tokens of prompt and of answer."""
    input_per_1k: Decimal
    output_per_1k: Decimal
    max_tokens: int  # the longest answer the provider is asked for
    overhead_tokens: int = 100  # the operator's margin for what no one declared
    # What the provider adds to every request of the model (its system prompt, the
    # choices' labels, the chat's framing), as it declares it (``request_overhead``).
    provider_overhead: int = 0

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        """Kopecks rounded up: a fraction of one is a whole one."""
        raw = (input_tokens * self.input_per_1k + output_tokens * self.output_per_1k) / 1000
        return raw.quantize(CENT, rounding=ROUND_CEILING)

    def most_for(self, prompt_bytes: int) -> Decimal:
        """The most a request can cost: a token is at least a byte of what is sent."""
        return self.cost(prompt_bytes + self.overhead_tokens + self.provider_overhead, self.max_tokens)

    def estimate(self, prompt_bytes: int, answer: str) -> Decimal:
        """What a request probably cost when the provider reported nothing (a stream
        cancelled before its end): four bytes a token, about what tokenizers average."""
        def tokens(size: int) -> int:
            return -(-size // BYTES_PER_TOKEN)
        return self.cost(tokens(prompt_bytes + self.overhead_tokens + self.provider_overhead),
                         tokens(len(answer.encode("utf-8"))))

    def charge(self, usage, held: Decimal) -> Decimal:
        """What a finished request costs: the usage reported, never more than ``held``;
        all of ``held`` when the provider reported no usage."""
        if usage is None:
            return held
        return min(held, self.cost(max(0, usage.input_tokens), max(0, usage.output_tokens)))


@dataclass(frozen=True)
class Model:
    id: str
    title: str
    category: str
    price_rub: Decimal
    provider: str
    timeout_s: int
    inputs: tuple[InputField, ...]
    provider_model: str | None = None
    description: str = ""
    provider_options: dict = field(default_factory=dict)
    translations: dict = field(default_factory=dict)  # language -> {"title", "description"}
    # Priced by usage: then ``price_rub`` is the most any request can be held for.
    usage: UsagePrice | None = None

    @property
    def free(self) -> bool:
        return self.price_rub == 0

    def price_for(self, inputs: dict) -> Decimal:
        """What confirming these inputs holds: the price, or the most usage can cost."""
        if self.usage is None:
            return self.price_rub
        return self.usage.most_for(self.prompt_bytes(inputs))

    def with_provider_overhead(self, extra: int) -> Model:
        """The model with what its provider adds to every request counted in its holds
        (and in the most it is listed at)."""
        if self.usage is None or extra <= 0:
            return self
        usage = dataclasses.replace(self.usage, provider_overhead=extra)
        return dataclasses.replace(self, usage=usage, price_rub=_most_cost(self.inputs, usage))

    def prompt_bytes(self, inputs: dict) -> int:
        return sum(len(str(inputs.get(f.name) or "").encode("utf-8")) for f in self.inputs)

    def cost_of_partial(self, inputs: dict, held: Decimal, partial: dict | None) -> Decimal:
        """What a job cancelled mid-answer costs: nothing before its first words; after
        them, a fixed price in full, or for a model priced by usage what the provider
        reported so far, else an estimate from the prompt and the text shown — never
        more than ``held``."""
        text = (partial or {}).get("text") or ""
        if not text.strip():
            return Decimal("0.00")
        if self.usage is None:
            return held
        reported = (partial or {}).get("usage")
        if isinstance(reported, dict):
            return self.usage.charge(Usage(int(reported.get("input_tokens") or 0),
                                           int(reported.get("output_tokens") or 0)), held)
        return min(held, self.usage.estimate(self.prompt_bytes(inputs), text))

    def title_in(self, lang: str) -> str:
        return self.translations.get(lang, {}).get("title", self.title)

    def description_in(self, lang: str) -> str:
        return self.translations.get(lang, {}).get("description", self.description)


def title_of(model: Model | None, fallback: str = "") -> str:
    """The model's title in the current language; ``fallback`` (its id) for a model gone
    from the catalog."""
    return model.title_in(current_language()) if model is not None else fallback


class Catalog:
    def __init__(self, models: list[Model]):
        self.models = {m.id: m for m in models}

    def get(self, model_id: str) -> Model | None:
        return self.models.get(model_id)

    def in_category(self, category: str) -> list[Model]:
        return [m for m in self.models.values() if m.category == category]

    def free(self) -> list[Model]:
        return [m for m in self.models.values() if m.free]

    def categories(self) -> list[str]:
        present = {m.category for m in self.models.values()}
        return [c for c in CATEGORIES if c in present]

    def with_request_overheads(self, providers: dict) -> Catalog:
        """Each usage-priced model with what its provider declares it adds to every
        request (``request_overhead(model)``: bytes, each held as a token)."""
        models = []
        for model in self.models.values():
            declared = getattr(providers.get(model.provider), "request_overhead", None)
            models.append(model.with_provider_overhead(int(declared(model))) if declared and model.usage
                          else model)
        return Catalog(models)

    def only_providers(self, providers: set[str]) -> Catalog:
        return Catalog([m for m in self.models.values() if m.provider in providers])

    def without_providers(self, providers: set[str]) -> Catalog:
        return Catalog([m for m in self.models.values() if m.provider not in providers])


def _field(where: str, name: str, value, kind, *, required=True):
    if value is None:
        if required:
            raise CatalogError(f"{where}: field '{name}' is required")
        return None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise CatalogError(f"{where}: field '{name}' must be a whole number, got {value!r}")
    if kind is not int and not isinstance(value, kind):
        raise CatalogError(f"{where}: field '{name}' must be {kind.__name__}, got {value!r}")
    return value


def _translations(where: str, raw: dict, allowed: set[str]) -> dict:
    """{language: {field: text}} from keys like title_en; checked like the originals."""
    found: dict = {}
    for key, value in raw.items():
        match = _TRANSLATED.match(key)
        if match is None or match[1] not in allowed:
            continue
        if not isinstance(value, str) or not 0 < len(value) <= (64 if match[1] == "title" else 1000):
            raise CatalogError(f"{where}: field '{key}' must be a non-empty string")
        found.setdefault(match[2], {})[match[1]] = value
    return found


def _input(where: str, raw) -> InputField:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: each input must be a table")
    unknown = {k for k in set(raw) - _INPUT_KEYS
               if not ((m := _TRANSLATED.match(k)) and m[1] == "label")}
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    name = _field(where, "name", raw.get("name"), str)
    if not _INPUT_NAME.match(name):
        raise CatalogError(f"{where}: field 'name' must be lowercase letters, digits and _, got {name!r}")
    where = f"{where} '{name}'"
    kind = _field(where, "type", raw.get("type"), str)
    if kind not in INPUT_TYPES:
        raise CatalogError(f"{where}: field 'type' must be one of {', '.join(INPUT_TYPES)}, got {kind!r}")
    label = _field(where, "label", raw.get("label"), str)
    optional = _field(where, "optional", raw.get("optional", False), bool)
    max_length = _field(where, "max_length", raw.get("max_length", 1000), int)
    if not 1 <= max_length <= 4000:
        raise CatalogError(f"{where}: field 'max_length' must be from 1 to 4000, got {max_length}")
    choices = tuple(_field(where, "choices", raw.get("choices", []), list))
    default = _field(where, "default", raw.get("default"), str, required=False)
    if kind == "choice":
        if not 1 <= len(choices) <= 8 or not all(isinstance(c, str) and 0 < len(c) <= 32 for c in choices):
            raise CatalogError(f"{where}: field 'choices' must list 1 to 8 short strings")
        if default is not None and default not in choices:
            raise CatalogError(f"{where}: field 'default' {default!r} is not one of the choices")
    elif choices:
        raise CatalogError(f"{where}: field 'choices' is only for type 'choice'")
    labels = {lang: texts["label"] for lang, texts in _translations(where, raw, {"label"}).items()}
    return InputField(name, kind, label, optional, max_length, choices, default, labels)


def _model(index: int, raw) -> Model:
    if not isinstance(raw, dict):
        raise CatalogError(f"model #{index}: must be a table")
    model_id = raw.get("id")
    where = f"model '{model_id}'" if isinstance(model_id, str) else f"model #{index}"
    unknown = {k for k in set(raw) - _MODEL_KEYS
               if not ((m := _TRANSLATED.match(k)) and m[1] in ("title", "description"))}
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    model_id = _field(where, "id", model_id, str)
    if not _MODEL_ID.match(model_id):
        raise CatalogError(f"{where}: field 'id' must be 1-40 of a-z, 0-9, '.', '_' and '-'")
    title = _field(where, "title", raw.get("title"), str)
    if not 0 < len(title) <= 64:
        raise CatalogError(f"{where}: field 'title' must be 1 to 64 characters")
    category = _field(where, "category", raw.get("category"), str)
    if category not in CATEGORIES:
        raise CatalogError(f"{where}: field 'category' must be one of {', '.join(CATEGORIES)}, got {category!r}")
    price_raw = raw.get("price_rub")
    usage = None
    if "usage_price" in raw:
        if price_raw is not None:
            raise CatalogError(f"{where}: give either 'price_rub' or 'usage_price', not both")
        usage = _usage_price(where, raw["usage_price"])
        price_raw = "0.01"  # replaced below by the most a request can cost
    if price_raw is None or isinstance(price_raw, (bool, float)):
        raise CatalogError(f"{where}: field 'price_rub' must be roubles as a string like \"30.00\" (0 = free)")
    if str(price_raw).strip() in ("0", "0.0", "0.00"):
        price = Decimal("0")
    else:
        try:
            price = to_money(price_raw)
        except InvalidAmount as exc:
            raise CatalogError(f"{where}: field 'price_rub': {exc}") from None
    provider = _field(where, "provider", raw.get("provider"), str)
    timeout_s = _field(where, "timeout_s", raw.get("timeout_s", 120), int)
    if not 5 <= timeout_s <= 3600:
        raise CatalogError(f"{where}: field 'timeout_s' must be from 5 to 3600 seconds, got {timeout_s}")
    inputs_raw = _field(where, "inputs", raw.get("inputs"), list)
    if not inputs_raw:
        raise CatalogError(f"{where}: field 'inputs' must list at least one input")
    inputs = tuple(_input(f"{where} input", item) for item in inputs_raw)
    names = [i.name for i in inputs]
    if len(set(names)) != len(names):
        raise CatalogError(f"{where}: input names repeat: {', '.join(names)}")
    options = raw.get("provider_options", {})
    if not isinstance(options, dict):
        raise CatalogError(f"{where}: field 'provider_options' must be a table, got {options!r}")
    if usage is not None:
        if category != "text":
            raise CatalogError(f"{where}: 'usage_price' is for text models only")
        if any(i.type == "image" for i in inputs):
            raise CatalogError(f"{where}: a model priced by usage takes text inputs only "
                               f"(a photo's tokens cannot be held in advance)")
        price = _most_cost(inputs, usage)
    return Model(model_id, title, category, price, provider, timeout_s, inputs,
                 _field(where, "provider_model", raw.get("provider_model"), str, required=False),
                 _field(where, "description", raw.get("description", ""), str), options,
                 _translations(where, raw, {"title", "description"}), usage)


def _most_cost(inputs, usage: UsagePrice) -> Decimal:
    """The most any request can cost: four bytes a character fill every text input."""
    return usage.most_for(sum(4 * (i.max_length if i.type == "text" else 32) for i in inputs))


def _usage_price(where: str, raw) -> UsagePrice:
    where = f"{where}: usage_price"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where} must be a table {{ input_per_1k_rub, output_per_1k_rub, max_tokens }}")
    unknown = set(raw) - _USAGE_KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    prices = []
    for key in ("input_per_1k_rub", "output_per_1k_rub"):
        value = raw.get(key)
        if not isinstance(value, str):
            raise CatalogError(f"{where}: field '{key}' must be roubles as a string like \"0.30\"")
        try:
            price = Decimal(value.strip())
        except ArithmeticError:
            raise CatalogError(f"{where}: field '{key}' is not a number: {value!r}") from None
        if not price.is_finite() or price < 0 or price > 10_000:
            raise CatalogError(f"{where}: field '{key}' must be from 0 to 10000 roubles")
        prices.append(price)
    if prices == [0, 0]:
        raise CatalogError(f"{where}: both prices are 0 (a free model has price_rub = \"0\")")
    max_tokens = _field(where, "max_tokens", raw.get("max_tokens"), int)
    if not 1 <= max_tokens <= 200_000:
        raise CatalogError(f"{where}: field 'max_tokens' must be from 1 to 200000, got {max_tokens}")
    overhead = _field(where, "overhead_tokens", raw.get("overhead_tokens", 100), int)
    if not 0 <= overhead <= 100_000:
        raise CatalogError(f"{where}: field 'overhead_tokens' must be from 0 to 100000")
    return UsagePrice(prices[0], prices[1], max_tokens, overhead)


def parse_catalog(text: str, source: str = "catalog") -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source} is not valid TOML: {exc}") from None
    raw_models = data.get("model")
    if not isinstance(raw_models, list) or not raw_models:
        raise CatalogError(f"{source} must contain at least one [[model]]")
    models = [_model(i + 1, raw) for i, raw in enumerate(raw_models)]
    seen = set()
    for m in models:
        if m.id in seen:
            raise CatalogError(f"{source}: model id '{m.id}' appears twice")
        seen.add(m.id)
    return Catalog(models)


def load_catalog(path: Path) -> Catalog:
    path = Path(path)
    if not path.exists():
        raise CatalogError(f"catalog file {path} not found (set CATALOG_FILE)")
    try:
        return parse_catalog(path.read_text(encoding="utf-8"), str(path))
    except CatalogError as exc:
        message = str(exc)
        raise CatalogError(message if message.startswith(str(path)) else f"{path}: {message}") from None
