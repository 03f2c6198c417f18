"""``genbot chat``: talk to the bot in a terminal, no Telegram, no token, no network.

You type as a user: a command (``/start``), a menu button's label, any text, or the
number of an inline button under the last message. The bot's messages are printed
with their keyboards (a message the bot changed in place is marked so); pictures,
sound and other files are saved under ``<data dir>/chat-files`` and their paths shown.
It is the real bot — the same handlers, database, plugins and job workers as
``genbot serve`` — with the Bot API answered locally (the same local transport
``serve`` uses without a token).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the App is built later than this module is imported (serve's metrics)
    from core.app import App


PROMPT = "вы> "


class Console:
    def __init__(self, app: App, files_dir: Path, user_id: int = 100_000_001, out=sys.stdout):
        self.app = app
        self.files_dir = Path(files_dir)
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.user_id = user_id
        self.out = out
        self.buttons: list[str] = []  # callback data of the last inline keyboard, by number
        self.buttons_message: tuple[int, bool] = (0, False)  # (its message id, a file's caption?)
        self._ids = itertools.count(int(time.time()) * 1000)
        self._answer_ids = itertools.count(1 << 40)  # messages sent in a webhook answer get no id back
        self._files = itertools.count(1)
        self._lock = threading.Lock()
        app.telegram.set_local_sink(self.show)

    # -- what the bot sends ------------------------------------------------------------

    def show(self, method: str, params: dict, uploads: dict) -> None:
        with self._lock:
            if method in ("answerCallbackQuery", "answerPreCheckoutQuery"):
                if params.get("text"):
                    self._print(f"  (уведомление) {params['text']}")
                return
            if method in ("getMe", "setWebhook", "deleteWebhook", "sendChatAction", "deleteMessage"):
                return
            lines = []
            text = params.get("text") or params.get("caption")
            if method == "editMessageText":
                lines.append(f"бот (изменил сообщение): {text}")
            elif text:
                lines.append(f"бот: {text}")
            for _key, (name, data) in uploads.items():
                path = self.files_dir / f"{next(self._files):03d}-{Path(name).name}"
                path.write_bytes(data)
                lines.append(f"  [{method.removeprefix('send').lower()} сохранён: {path}]")
            for key in ("photo", "video", "audio", "animation", "document"):
                value = params.get(key)
                if isinstance(value, str) and value.startswith("http"):
                    lines.append(f"  [{key}: {value}]")
                elif isinstance(value, str) and value:
                    lines.append(f"  [{key}: снова тот же файл ({value})]")
            if method == "sendInvoice":
                lines.append(f"  [счёт: {params.get('title')}, {params.get('currency')}]")
            keyboard = self._keyboard(params.get("reply_markup"))
            if keyboard and "inline_keyboard" in str(params.get("reply_markup")):
                message_id = params.get("message_id") or next(self._answer_ids)
                self.buttons_message = (int(message_id), method not in ("sendMessage", "editMessageText"))
            lines += keyboard
            if lines:
                self._print("\n".join(lines))

    def _keyboard(self, markup) -> list[str]:
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not markup:
            return []
        if "inline_keyboard" in markup:
            self.buttons = []
            lines = []
            for row in markup["inline_keyboard"]:
                cells = []
                for button in row:
                    self.buttons.append(button.get("callback_data", ""))
                    cells.append(f"{len(self.buttons)}) {button['text']}")
                lines.append("  " + "   ".join(cells))
            return lines
        if "keyboard" in markup:
            return ["  меню: " + " | ".join(f"[{b['text']}]" for row in markup["keyboard"] for b in row)]
        return []

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- what the user types ------------------------------------------------------------

    def _user(self) -> dict:
        return {"id": self.user_id, "is_bot": False, "first_name": "Гость", "language_code": "ru"}

    def update_for(self, line: str) -> dict:
        update_id = next(self._ids)
        now = int(time.time())
        chat = {"id": self.user_id, "type": "private", "first_name": "Гость"}
        if line.isdigit() and 1 <= int(line) <= len(self.buttons) and self.buttons[int(line) - 1]:
            message_id, is_file = self.buttons_message
            under = {"message_id": message_id, "date": now, "chat": chat}
            # The message the button is under: a text the bot may turn into its next
            # screen, or a file's caption (which it answers with a new message).
            under.update({"document": {"file_id": "console", "file_unique_id": "console"},
                          "caption": "…"} if is_file else {"text": "…"})
            return {"update_id": update_id, "callback_query": {
                "id": str(update_id), "from": self._user(), "chat_instance": "console",
                "data": self.buttons[int(line) - 1], "message": under}}
        message = {"message_id": update_id % 1_000_000_000, "date": now, "chat": chat,
                   "from": self._user(), "text": line}
        if line.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(line.split()[0])}]
        return {"update_id": update_id, "message": message}

    def send(self, line: str) -> None:
        update = self.update_for(line)
        reply = self.app.pipeline.handle(update["update_id"], update).reply
        if reply is not None:  # what serve would put in the webhook response
            method = reply.pop("method")
            self.show(method, reply, {})

    def run(self, stdin=sys.stdin) -> None:
        self._print("genbot: локальный чат. Пишите как пользователь: /start, кнопки меню, "
                    "номера кнопок под сообщением. Выход: /quit или Ctrl-D.")
        self.send("/start")
        while True:
            self.out.write(PROMPT)
            self.out.flush()
            line = stdin.readline()
            if not line or line.strip() in ("/quit", "/exit"):
                self._print("пока!")
                return
            if line.strip():
                self.send(line.strip())
                time.sleep(0.05)  # let a quick worker's message print before the prompt
