"""Every word the bot says to users: one catalog, one file per language (``core/locales``).

``t("key", **values)`` returns the text in the language of whatever is being handled:
an update speaks its sender's Telegram ``language_code`` (bound by the dispatcher with
``set_language``), a job the language it was ordered in (``language(job.lang)``).
Russian is the default and the fallback: a key missing from a language falls back to
Russian, then to the key itself, so a typo shows up instead of crashing an update.
A second language is one more file in ``core/locales``; plugins add their own keys
per language with the ``plugin_texts`` hook (``register_texts``).

``money`` writes roubles the way the language does: "1 250 ₽" and "12,50 ₽" in
Russian, "1,250 ₽" and "12.50 ₽" in English.
"""

from __future__ import annotations

import contextlib
import contextvars
from decimal import Decimal

from core.bot.locales import en, ru

DEFAULT_LANGUAGE = "ru"

TEXTS: dict[str, dict[str, str]] = {"ru": dict(ru.TEXTS), "en": dict(en.TEXTS)}

_language: contextvars.ContextVar[str] = contextvars.ContextVar("genbot_language",
                                                                default=DEFAULT_LANGUAGE)


def pick_language(code: str | None) -> str:
    """The catalog's language for a Telegram ``language_code`` ("en-GB" → "en"); else Russian."""
    base = (code or "").split("-", 1)[0].strip().lower()
    return base if base in TEXTS else DEFAULT_LANGUAGE


def current_language() -> str:
    return _language.get()


def set_language(lang: str | None) -> None:
    """Speak ``lang`` in the current context (the rest of this update)."""
    _language.set(lang if lang in TEXTS else DEFAULT_LANGUAGE)


@contextlib.contextmanager
def language(lang: str | None):
    """Speak ``lang`` inside the block (a worker telling a job's user)."""
    token = _language.set(lang if lang in TEXTS else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _language.reset(token)


def languages() -> list[str]:
    """Every language with a catalog, the default first."""
    return [DEFAULT_LANGUAGE] + sorted(lang for lang in TEXTS if lang != DEFAULT_LANGUAGE)


def t(key: str, lang: str | None = None, **values) -> str:
    """The text for ``key`` with ``values`` filled in."""
    table = TEXTS.get(lang or _language.get()) or TEXTS[DEFAULT_LANGUAGE]
    template = table.get(key) or TEXTS[DEFAULT_LANGUAGE].get(key) or key
    return template.format(**values) if values else template


def register_texts(lang: str, texts: dict[str, str]) -> None:
    """Add or override texts (plugins and translations); existing keys are replaced."""
    TEXTS.setdefault(lang, {}).update(texts)


def money(value, lang: str | None = None, *, signed: bool = False) -> str:
    """Roubles as people write them: whole amounts without kopecks, "−" for a debit."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole = amount == amount.to_integral_value()
    digits = f"{abs(amount):,.0f}" if whole else f"{abs(amount):,.2f}"
    if (lang or _language.get()) != "en":
        digits = digits.replace(",", " ").replace(".", ",")
    sign = "−" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}{digits} ₽"
