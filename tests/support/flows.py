"""Driving the generation flow the way a user taps through it."""

from __future__ import annotations

import json

import requests

from core.generation.buttons import Confirm, PickChoice, PickModel, SkipInput
from genbot.testing import updates
from genbot.testing.app import SECRET, inline_buttons


def http_sender(server_url: str, bot_api):
    """send(update) -> every message the bot sent, for a real `run.py serve` process."""

    def send(update: dict) -> list[dict]:
        before = len(bot_api.calls)
        response = requests.post(server_url + "/webhook", json=update, timeout=30,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200, response.text
        sent = [dict(params, method=method) for method, params in bot_api.calls[before:]]
        if response.content:
            sent.append(response.json())
        return sent

    return send


def find_confirm_token(sent: list[dict]) -> str | None:
    """The token of the last "✅ Запустить" button among ``sent``, if there is one."""
    for message in reversed(sent):
        for data in inline_buttons(message).values():
            button = Confirm.unpack(data)
            if button is not None:
                return button.token
    return None


def confirm_token(sent: list[dict]) -> str:
    token = find_confirm_token(sent)
    if token is None:
        raise AssertionError(f"no confirm button in {[m.get('text') for m in sent]}")
    return token


def draft(send, user_id: int, model_id: str, *answers) -> str:
    """Pick a model and answer its inputs; returns the confirm token.

    An answer is text, ``("photo", file_id)``, or ``("choice", index)`` / ``("skip",)``
    for buttons.
    """
    return confirm_token(answer(send, user_id, model_id, *answers))


def answer(send, user_id: int, model_id: str, *answers) -> list[dict]:
    """Pick a model and answer its inputs; what the bot sent after the last answer."""
    sent = send(updates.callback(user_id, PickModel(model_id).pack()))
    for given in answers:
        if isinstance(given, tuple) and given[0] == "choice":
            sent = send(updates.callback(user_id, PickChoice(given[1]).pack()))
        elif isinstance(given, tuple) and given[0] == "skip":
            sent = send(updates.callback(user_id, SkipInput().pack()))
        elif isinstance(given, tuple) and given[0] == "photo":
            sent = send(updates.photo(user_id, given[1]))
        else:
            sent = send(updates.message(user_id, given))
    return sent


def order(send, user_id: int, model_id: str, *answers) -> list[dict]:
    """Pick a paid model (or one with choices), answer its inputs and press "✅ Запустить";
    what the bot sent on the press."""
    sent = answer(send, user_id, model_id, *answers)
    return send(updates.callback(user_id, Confirm(confirm_token(sent)).pack()))


def generate(send, user_id: int, model_id: str, *answers) -> list[dict]:
    """Order a generation as a user does: answer, then press "Запустить" — unless the
    model is free with no choices, which starts on its last answer."""
    sent = answer(send, user_id, model_id, *answers)
    token = find_confirm_token(sent)
    if token is None:
        return sent
    return send(updates.callback(user_id, Confirm(token).pack()))


def reply_markup(params: dict) -> dict:
    markup = params.get("reply_markup")
    return json.loads(markup) if isinstance(markup, str) else (markup or {})
