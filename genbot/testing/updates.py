"""Telegram updates as Telegram sends them, for tests and benchmarks."""

from __future__ import annotations

import itertools
import time

_ids = itertools.count(1)


def user(user_id: int, first_name="Иван", username="ivan", last_name=None,
         language_code="ru") -> dict:
    entry = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
    if username is not None:
        entry["username"] = username
    if last_name is not None:
        entry["last_name"] = last_name
    return entry


def message(user_id: int, text: str, update_id: int | None = None, **user_fields) -> dict:
    update_id = next(_ids) if update_id is None else update_id
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": user_fields.get("first_name", "Иван")},
            "from": user(user_id, **user_fields),
            "text": text,
            **({"entities": [{"type": "bot_command", "offset": 0,
                              "length": len(text.split()[0])}]} if text.startswith("/") else {}),
        },
    }


def photo(user_id: int, file_id: str, **user_fields) -> dict:
    """A photo sent without a caption, as Telegram delivers it (sizes smallest first)."""
    update = message(user_id, "x", **user_fields)
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                   "width": 90, "height": 90}]
    return update


def callback(user_id: int, data: str, update_id: int | None = None, message_id: int = 1,
             **user_fields) -> dict:
    """A button pressed under message ``message_id`` (a text message of the bot's)."""
    update_id = next(_ids) if update_id is None else update_id
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": user(user_id, **user_fields),
            "chat_instance": "42",
            "data": data,
            "message": {"message_id": message_id, "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private"}, "text": "…"},
        },
    }
