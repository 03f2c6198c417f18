"""A button's ``callback_data`` as a typed value (aiogram's ``CallbackData`` is the model).

A kind of button is a frozen dataclass deriving from ``ButtonData``, with a ``code``
("gen:go") and fields of type ``int``, ``str`` or ``bool``. ``pack()`` writes
``code:field:…``; ``unpack(data)`` reads it back, or gives None for data that is not
exactly that shape — a stale, mangled or forged button is no exception, only None.

The wire format is the one buttons already in users' chats carry: a ``bool`` field is
written as its ``flag`` when true and left out when false ("gen:m:flux:p"), and fields
whose default is None may be missing at the end ("gen:s" and "gen:s:2"). Telegram
takes 1–64 bytes of callback data; ``pack`` refuses more.

``InlineButton`` is a button under a message as plugins hand it over (``result_buttons``,
``topup_buttons``): genbot's own type, so a plugin needs nothing of the Bot API library;
``core.bot.menu.inline_keyboard`` turns it into Telegram's.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Self

MAX_BYTES = 64  # Telegram's limit for callback_data


def flag(letter: str, default: bool = False):
    """A bool field written as ``letter`` when true."""
    return dataclasses.field(default=default, metadata={"flag": letter})


class ButtonData:
    code: ClassVar[str]

    def pack(self) -> str:
        parts = [self.code]
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if "flag" in field.metadata:
                if value:
                    parts.append(field.metadata["flag"])
            elif value is not None:
                text = str(int(value)) if isinstance(value, bool) else str(value)
                if not text or ":" in text:
                    raise ValueError(f"{type(self).__name__}.{field.name} cannot be {value!r} in callback data")
                parts.append(text)
        data = ":".join(parts)
        if len(data.encode("utf-8")) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The button ``data`` stands for, if it is exactly one of this kind."""
        if not isinstance(data, str) or not (data == cls.code or data.startswith(cls.code + ":")):
            return None
        rest = data[len(cls.code) + 1:].split(":") if data != cls.code else []
        values: dict[str, object] = {}
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        flags = {f.metadata["flag"]: f.name for f in fields if "flag" in f.metadata}
        plain = [f for f in fields if "flag" not in f.metadata]
        required = sum(1 for f in plain if f.default is dataclasses.MISSING)
        if rest and rest[-1] in flags and len(rest) > required:  # not a value that looks like one
            values[flags[rest.pop()]] = True
        if len(rest) > len(plain):
            return None
        for field, text in zip(plain, rest + [None] * (len(plain) - len(rest)), strict=True):
            if text is None:
                if field.default is not None:  # only a field that may be absent may be missing
                    return None
                continue
            kind = field.type if isinstance(field.type, str) else field.type.__name__
            if kind.startswith("int"):
                if not text.lstrip("-").isdigit() or len(text) > 19:
                    return None
                values[field.name] = int(text)
            elif not text:
                return None
            else:
                values[field.name] = text
        try:
            return cls(**values)
        except TypeError:  # a required field missing
            return None


def unpack_any(data: str | None, kinds) -> ButtonData | None:
    """The first of ``kinds`` that ``data`` is exactly, else None."""
    for kind in kinds:
        found = kind.unpack(data)
        if found is not None:
            return found
    return None


@dataclasses.dataclass(frozen=True)
class InlineButton:
    """A button under a message: ``text`` and exactly one of ``data`` (callback data, a
    ``ButtonData`` packed here, so a bad one fails in the plugin that made it) or ``url``."""

    text: str
    data: ButtonData | str | None = None
    url: str | None = None

    def __post_init__(self):
        if not isinstance(self.text, str) or not self.text:
            raise ValueError(f"an inline button needs a text, got {self.text!r}")
        if (self.data is None) == (self.url is None):
            raise ValueError(f"inline button {self.text!r} needs exactly one of data and url")
        if isinstance(self.data, ButtonData):
            object.__setattr__(self, "data", self.data.pack())
        elif self.data is not None and not (isinstance(self.data, str)
                                            and 1 <= len(self.data.encode("utf-8")) <= MAX_BYTES):
            raise ValueError(f"inline button {self.text!r}: callback data must be 1-{MAX_BYTES} "
                             f"bytes of text, got {self.data!r}")
        if self.url is not None and not (isinstance(self.url, str) and self.url):
            raise ValueError(f"inline button {self.text!r}: url must be a text, got {self.url!r}")

    @property
    def callback_data(self) -> str | None:
        """``data`` as Telegram carries it (a ``ButtonData`` was packed at construction)."""
        return None if self.data is None else str(self.data)
