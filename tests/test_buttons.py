"""Callback data as types (core/bot/buttons.py): what is packed is read back the same;
anything else — a stale button, a forged one, a changed format — is None, never an
exception; and the format is the one buttons already in users' chats carry."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.bot.buttons import ButtonData, flag, unpack_any
from core.generation.buttons import (
    GENERATION_BUTTONS,
    HISTORY_BUTTONS,
    CancelJob,
    Confirm,
    PickChoice,
    PickModel,
    ShowCategories,
    SkipInput,
    ToMenu,
)

KINDS = GENERATION_BUTTONS + HISTORY_BUTTONS


@pytest.mark.parametrize("button,data", [
    # The wire format of buttons sent before the codec existed: they keep working.
    (PickModel("flux-dev", pending=True), "gen:m:flux-dev:p"), (PickModel("flux-dev"), "gen:m:flux-dev"),
    (PickChoice(2, 1), "gen:c:2:1"), (PickChoice(2), "gen:c:2"), (SkipInput(), "gen:s"),
    (SkipInput(3), "gen:s:3"), (Confirm("9f2c"), "gen:go:9f2c"), (CancelJob(42), "gen:cancel:42"),
    (ShowCategories(pending=True), "gen:cats:p"), (ToMenu(), "gen:menu"),
])
def test_a_button_packs_to_the_format_users_chats_hold_and_reads_back(button, data):
    assert button.pack() == data
    assert unpack_any(data, KINDS) == button


@pytest.mark.parametrize("data", [
    "gen:go", "gen:cancel:x", "gen:cancel:", "gen:c", "gen:c:1:2:3", "gen:m:", "gen:zz", "hist:p:",
    "gen:menu:extra", "gen:cats:q", "", None, "gen:cancel:99999999999999999999999", "hist:o:-",
])
def test_anything_else_is_no_button(data):
    assert unpack_any(data, KINDS) is None


def test_a_value_that_looks_like_a_flag_is_still_a_value():
    assert PickModel.unpack(PickModel("p").pack()) == PickModel("p")
    assert PickModel.unpack(PickModel("p", pending=True).pack()) == PickModel("p", pending=True)


def test_what_telegram_would_refuse_is_refused_when_packed():
    @dataclass(frozen=True)
    class Note(ButtonData):
        code = "note"
        text: str
        urgent: bool = flag("u")

    assert Note("x", urgent=True).pack() == "note:x:u"
    with pytest.raises(ValueError, match="64 bytes"):
        Note("я" * 40).pack()
    with pytest.raises(ValueError, match="cannot be"):
        Note("a:b").pack()
