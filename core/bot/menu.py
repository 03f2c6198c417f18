"""The main menu (a reply keyboard built from the buttons the core and plugins add),
and ``inline_keyboard`` for the buttons under a message — the one place genbot's
``InlineButton`` becomes Telegram's.

Each button has an ``order`` (lower first) and is laid out two to a row. The router
must know a handler for every label shown here: ``Menu.add`` is only ever called
together with ``Router.button`` (see ``App.add_button``), so no button is dead. Labels
are words, so each language has its own keyboard; the router knows every label of
every language (a user may change their Telegram language between two taps).
"""

from __future__ import annotations

from dataclasses import dataclass

from telebot import types

from core.bot.buttons import InlineButton
from core.bot.texts import DEFAULT_LANGUAGE, current_language, language, t


@dataclass(frozen=True)
class MenuButton:
    label: str
    order: int
    owner: str


class Menu:
    def __init__(self, per_row: int = 2):
        self.per_row = per_row
        self._buttons: dict[str, dict[str, MenuButton]] = {}  # language -> label -> button
        self._keyboards: dict[str, types.ReplyKeyboardMarkup] = {}

    def add(self, label: str, order: int = 100, owner: str = "core", lang: str | None = None) -> None:
        """A button in ``lang``'s menu (the current language's when not given)."""
        lang = lang or current_language()
        self._buttons.setdefault(lang, {})[label] = MenuButton(label, order, owner)
        self._keyboards.clear()

    def labels(self, lang: str | None = None) -> list[str]:
        lang = lang or current_language()
        buttons = self._buttons.get(lang) or self._buttons.get(DEFAULT_LANGUAGE) or {}
        return [b.label for b in sorted(buttons.values(), key=lambda b: (b.order, b.label))]

    def keyboard(self, lang: str | None = None) -> types.ReplyKeyboardMarkup:
        lang = lang or current_language()
        if lang not in self._keyboards:  # built once per language: the same for every update
            with language(lang):
                markup = types.ReplyKeyboardMarkup(resize_keyboard=True, row_width=self.per_row,
                                                   input_field_placeholder=t("menu_placeholder"))
            markup.add(*(types.KeyboardButton(label) for label in self.labels(lang)))
            self._keyboards[lang] = markup
        return self._keyboards[lang]


def inline_keyboard(rows) -> types.InlineKeyboardMarkup:
    """Rows of buttons — ``InlineButton``, ``(label, callback data)`` pairs, or Bot API
    buttons (what plugins of the previous release return, passed through); empty rows
    are skipped."""
    markup = types.InlineKeyboardMarkup()
    for row in rows:
        if row:
            markup.row(*map(telegram_button, row))
    return markup


def telegram_button(button) -> types.InlineKeyboardButton:
    if isinstance(button, types.InlineKeyboardButton):
        return button
    if isinstance(button, InlineButton):
        if button.url is not None:
            return types.InlineKeyboardButton(button.text, url=button.url)
        return types.InlineKeyboardButton(button.text, callback_data=button.callback_data)
    label, data = button
    return types.InlineKeyboardButton(label, callback_data=data)
