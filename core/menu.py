"""The main menu (a reply keyboard built from the buttons the core and plugins add),
and ``inline_keyboard`` for the buttons under a message.

Each button has an ``order`` (lower first) and is laid out two to a row. The router
must know a handler for every label shown here: ``Menu.add`` is only ever called
together with ``Router.button`` (see ``App.add_button``), so no button is dead.
"""

from __future__ import annotations

from dataclasses import dataclass

from telebot import types

from core.texts import t


@dataclass(frozen=True)
class MenuButton:
    label: str
    order: int
    owner: str


class Menu:
    def __init__(self, per_row: int = 2):
        self.per_row = per_row
        self._buttons: dict[str, MenuButton] = {}
        self._keyboard = None

    def add(self, label: str, order: int = 100, owner: str = "core") -> None:
        self._buttons[label] = MenuButton(label, order, owner)
        self._keyboard = None

    def labels(self) -> list[str]:
        return [b.label for b in sorted(self._buttons.values(), key=lambda b: (b.order, b.label))]

    def keyboard(self) -> types.ReplyKeyboardMarkup:
        if self._keyboard is None:  # built once: it is the same for every update
            markup = types.ReplyKeyboardMarkup(resize_keyboard=True, row_width=self.per_row,
                                               input_field_placeholder=t("menu_placeholder"))
            markup.add(*(types.KeyboardButton(label) for label in self.labels()))
            self._keyboard = markup
        return self._keyboard


def inline_keyboard(rows) -> types.InlineKeyboardMarkup:
    """Rows of ``(label, callback data)`` pairs (or ready buttons); empty rows are skipped."""
    markup = types.InlineKeyboardMarkup()
    for row in rows:
        if row:
            markup.row(*(b if isinstance(b, types.InlineKeyboardButton)
                         else types.InlineKeyboardButton(b[0], callback_data=b[1]) for b in row))
    return markup
