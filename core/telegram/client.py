"""The Bot API client: pyTelegramBotAPI, pointed at ``TELEGRAM_API_URL``.

All Bot API calls go through ``apihelper.CUSTOM_REQUEST_SENDER``, which genbot owns:
one keep-alive urllib3 pool per process (it takes about a third of the CPU that
``requests`` spent on the same call), no token in any log line, and the *reply
outbox*. Telegram lets the answer to a webhook request carry one Bot API call, so the
first reply of an update that nobody needs a result from (``reply``) is held in the
outbox and returned as the webhook response: the user sees it without an outbound
round trip. Any real call made later in the same update first sends the
held one, so messages never change order (an answer to a button press stays held:
it is no message, and the next screen edited in place goes out at once).

Every message leaving the process waits for room under Telegram's limits (about 30
messages a second per bot, about one a second per chat with short bursts:
``RateLimits``), so a burst of finished jobs does not turn into 429s.
``send_until_accepted`` is how a message reaches a user at least once: a 429 waits its ``retry_after``, a 5xx
or a network error is retried with backoff until a deadline; a refusal about the chat
(the user blocked the bot, the chat is gone) raises ``ChatUnreachable`` at once, and a
refusal of the message itself (a photo's dimensions, a file too large, a URL Telegram
could not fetch) raises ``Refused``, so the caller can try another way
(``core.generation.result_files``).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from urllib.parse import urlencode

import telebot
import urllib3
from telebot import apihelper, types
from telebot.apihelper import ApiHTTPException, ApiTelegramException

from core import logs

log = logging.getLogger("genbot.telegram")

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}

LOCAL_TOKEN = "0:local-mode-no-telegram-token-configured"


class Outbox:
    """Holds at most one Bot API call to return as the webhook response."""

    def __init__(self):
        self.held: tuple[str, dict] | None = None

    def take(self) -> dict | None:
        """The held call as a webhook response body, and forget it."""
        if self.held is None:
            return None
        method, params = self.held
        self.held = None
        body = {"method": method}
        for key, value in params.items():
            if key == "reply_markup" and isinstance(value, str):
                value = json.loads(value)
            body[key] = value
        return body


class _FakeResponse:
    """What the local transport answers in place of Telegram."""

    status_code = 200
    reason = "OK"

    def __init__(self, payload: dict):
        self._payload = payload
        self.text = json.dumps(payload)

    def json(self):
        return self._payload


class _HttpResponse:
    """The parts of a ``requests.Response`` that pyTelegramBotAPI reads."""

    def __init__(self, response: urllib3.BaseHTTPResponse):
        self.status_code = response.status
        self.reason = response.reason
        self.content = response.data
        self.text = self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


def _file_fields(files: dict) -> dict:
    """telebot's files (a file object, bytes, or (name, either)) as urllib3 multipart fields."""
    fields = {}
    for key, value in files.items():
        name, handle = value if isinstance(value, tuple) else (key, value)
        data = handle.read() if hasattr(handle, "read") else handle
        fields[key] = (name or key, data if isinstance(data, bytes) else bytes(data))
    return fields


# What Telegram keeps of a file sent with each method: the key of its file_id.
_MEDIA = {"sendPhoto": "photo", "sendVideo": "video", "sendAnimation": "animation",
          "sendAudio": "audio", "sendDocument": "document", "sendVoice": "voice"}


TEXT_LIMIT = 4096  # characters in one message


def pages(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` as messages Telegram takes: cut at a line break, else a space, in the
    second half of a full page. A full page depends only on the text it holds, so as a
    streamed text grows its earlier pages stay as they are."""
    found = []
    while len(text) > limit:
        cut = text.rfind("\n", limit // 2, limit)
        if cut <= 0:
            cut = text.rfind(" ", limit // 2, limit)
        if cut <= 0:
            cut = limit
        found.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    return found + [text]


class Undeliverable(Exception):
    """Telegram refused for good: retrying the same call cannot help."""


class ChatUnreachable(Undeliverable):
    """The chat cannot be written to: the user blocked the bot or was deactivated, the
    chat is gone. Nothing sent to it will arrive; the result is kept for 🗂 История."""


class Refused(Undeliverable):
    """Telegram refused this message for what it is (a photo too large or too long, a
    URL it could not fetch, a file type it will not take): another way may work."""


class RateLimits:
    """Token buckets: one for the bot, one per chat. ``wait`` sleeps until a message may go."""

    def __init__(self, per_second: float = 30.0, per_chat_second: float = 1.0,
                 chat_burst: int = 3):
        self.per_second, self.per_chat_second, self.chat_burst = per_second, per_chat_second, chat_burst
        self._lock = threading.Lock()
        self._bot = (float(max(1, per_second)), time.monotonic())  # (tokens, when)
        self._chats: dict[object, tuple[float, float]] = {}

    @staticmethod
    def _take(bucket, rate: float, capacity: float, now: float):
        tokens, when = bucket
        tokens = min(capacity, tokens + (now - when) * rate) - 1
        return (tokens, now), (0.0 if tokens >= 0 else -tokens / rate)

    def wait(self, chat_id=None) -> None:
        if self.per_second <= 0:  # switched off (a local Bot API stand-in has no limits)
            return
        with self._lock:
            now = time.monotonic()
            self._bot, delay = self._take(self._bot, self.per_second, max(1, self.per_second), now)
            if chat_id is not None and self.per_chat_second > 0:
                bucket = self._chats.get(chat_id, (float(self.chat_burst), now))
                self._chats[chat_id], chat_delay = self._take(bucket, self.per_chat_second,
                                                              self.chat_burst, now)
                delay = max(delay, chat_delay)
                if len(self._chats) > 50_000:  # forget chats whose bucket has refilled
                    full = now - self.chat_burst / self.per_chat_second
                    self._chats = {k: v for k, v in self._chats.items() if v[1] > full}
        if delay > 0:
            time.sleep(delay)


def retry_after(exc: Exception) -> float | None:
    """Seconds Telegram asked to wait (a 429), or None."""
    if isinstance(exc, ApiTelegramException) and exc.error_code == 429:
        parameters = exc.result_json.get("parameters") or {}
        return float(parameters.get("retry_after") or 1)
    return None


# Words of a 400 answer that are about the chat, not the message (Bot API errors as
# Telegram words them: "Bad Request: chat not found", "…: PEER_ID_INVALID", …).
_CHAT_GONE = ("chat not found", "peer_id_invalid", "user not found", "user is deactivated",
              "bot was blocked", "bot was kicked", "chat_write_forbidden",
              "have no rights to send a message", "group chat was deactivated")


def is_permanent(exc: Exception) -> bool:
    """A refusal that the same call will always get: any 4xx answer but 429."""
    return isinstance(exc, ApiTelegramException) and 400 <= exc.error_code < 500 \
        and exc.error_code != 429


def _too_large(exc: Exception) -> bool:
    """A 413 a proxy in front of the Bot API answered with a page, not JSON."""
    return isinstance(exc, ApiHTTPException) and getattr(exc.result, "status_code", None) == 413


def chat_unreachable(exc: Exception) -> bool:
    """Telegram refused because of the chat (403 Forbidden: blocked, kicked, deactivated;
    400 chat not found), so no message, in any form, will reach it."""
    if not isinstance(exc, ApiTelegramException) or not is_permanent(exc):
        return False
    return exc.error_code == 403 or any(words in str(exc.description).lower() for words in _CHAT_GONE)


class TelegramApi:
    """One per process: owns the TeleBot object and how its calls leave the process."""

    def __init__(self, token: str | None, api_url: str, *, local_sink=None,
                 limits: RateLimits | None = None):
        self.local = token is None
        self.limits = limits or RateLimits()
        self.api_url = api_url.rstrip("/")
        self._local_sink = local_sink
        self._thread = threading.local()
        self._message_ids = iter(range(1, 1 << 62))
        self._ids_lock = threading.Lock()
        # pyTelegramBotAPI's module settings (typed None there): where it sends, and how.
        apihelper.API_URL = self.api_url + "/bot{0}/{1}"  # type: ignore[assignment]
        apihelper.FILE_URL = self.api_url + "/file/bot{0}/{1}"  # type: ignore[assignment]
        apihelper.CUSTOM_REQUEST_SENDER = self._send  # type: ignore[assignment]
        # Only for calls out: updates are routed by core.bot.dispatch, not by TeleBot.
        self.bot = telebot.TeleBot(token or LOCAL_TOKEN, threaded=False, validate_token=False)
        self._username: str | None = None
        self._later: queue.Queue = queue.Queue(maxsize=10_000)
        self._later_lock = threading.Lock()
        self._later_thread: threading.Thread | None = None
        self._closed = False
        # Thread-safe; block=False opens an extra connection rather than wait for one.
        self._http = urllib3.PoolManager(maxsize=16, block=False, retries=False)

    # -- the outbox ------------------------------------------------------------------

    def open_outbox(self) -> Outbox:
        box = Outbox()
        self._thread.outbox = box
        return box

    def close_outbox(self) -> dict | None:
        box = getattr(self._thread, "outbox", None)
        self._thread.outbox = None
        return box.take() if box else None

    def call_or_defer(self, method: str, params: dict) -> None:
        """Make a Bot API call whose result nobody needs, in the webhook response if free."""
        params = {k: v for k, v in params.items() if v is not None}
        box = getattr(self._thread, "outbox", None)
        if box is not None and box.held is None:
            box.held = (method, params)
            return
        apihelper._make_request(self.bot.token, method, params=params, method="post")

    def call(self, method: str, params: dict):
        """A Bot API call now, with objects (keyboards) encoded as Telegram expects."""
        encoded = {k: json.dumps(v) if isinstance(v, (dict, list)) else v
                   for k, v in params.items() if v is not None}
        return apihelper._make_request(self.bot.token, method, params=encoded, method="post")

    def send_later(self, method: str, params: dict) -> None:
        """A Bot API call made by a background thread, so a request need not wait for it."""
        with self._later_lock:
            if self._later_thread is None:
                self._later_thread = threading.Thread(target=self._send_queued, name="bot-api-later",
                                                      daemon=True)
                self._later_thread.start()
        try:
            self._later.put_nowait((method, params))
        except queue.Full:
            log.error("Bot API queue full: %s to %s dropped", method, params.get("chat_id"))

    def _send_queued(self) -> None:
        while True:
            item = self._later.get()
            if item is None:  # close(): what was queued before it has been sent
                return
            method, params = item
            if self._closed:
                log.warning("Bot API %s to %s not sent: genbot is stopping", method,
                            params.get("chat_id"))
                continue
            try:
                self._call_own(method, params)
            except Exception as exc:
                log.warning("Bot API %s to %s failed: %s", method, params.get("chat_id"),
                            logs.first_line(exc))

    def _call_own(self, method: str, params: dict):
        """A call from this object's own thread, to this object's ``TELEGRAM_API_URL``:
        pyTelegramBotAPI's URL and sender are the process's, set by the newest TelegramApi."""
        url = f"{self.api_url}/bot{self.bot.token}/{method}"
        response = self._transport("post", url, params, timeout=(15.0, 30.0))
        return apihelper._check_result(method, response)["result"]

    def close(self, timeout: float = 5.0) -> None:
        """Send what ``send_later`` still holds (for up to ``timeout`` s), then stop:
        anything still waiting after that is dropped (and logged), never sent later."""
        with self._later_lock:
            thread, self._later_thread = self._later_thread, None
        if thread is not None:
            self._later.put(None)
            thread.join(timeout)
            self._closed = True

    # -- typed calls plugins make (through App) --------------------------------------

    @property
    def bot_id(self) -> int:
        """The bot's own user id, read from its token (0 without one); no call."""
        prefix = str(self.bot.token or "").split(":", 1)[0]
        return int(prefix) if prefix.isdigit() else 0

    def username(self) -> str:
        """The bot's @username without the @ (getMe, asked once per process)."""
        if self._username is None:
            self._username = self.bot.get_me().username or ""
        return self._username

    def send_invoice(self, chat_id: int, *, title: str, description: str, payload: str,
                     currency: str, prices: list[tuple[str, int]], provider_token: str = ""):
        """sendInvoice: ``prices`` as (label, amount in the currency's smallest units)."""
        return self.bot.send_invoice(
            chat_id, title=title, description=description, invoice_payload=payload,
            provider_token=provider_token, currency=currency,
            prices=[types.LabeledPrice(label, amount) for label, amount in prices])

    def reply(self, chat_id: int, text: str, markup=None, **extra) -> None:
        """Send a message (maybe as the webhook response); returns nothing."""
        params = {"chat_id": chat_id, "text": text, **extra}
        if markup is not None:
            params["reply_markup"] = markup.to_json()
        self.call_or_defer("sendMessage", params)

    def send_now(self, chat_id: int, text: str, markup=None) -> int:
        """Send a message at once, outside any webhook response: its message id (the
        caller edits it later). Raises what the Bot API refused."""
        return self.bot.send_message(chat_id, text, reply_markup=markup).message_id

    def stop_webhook(self) -> None:
        """Switch the webhook off so getUpdates may run, keeping pending updates: those
        sent while genbot was down must still arrive."""
        self.bot.delete_webhook(drop_pending_updates=False)

    def edit(self, chat_id: int, message_id: int, text: str, markup=None) -> bool:
        """Turn a message of ours into ``text`` (its keyboard into ``markup``: an edit
        without one drops the keyboard). False if Telegram refused (the message is
        gone, or is a photo): the caller then sends a new one."""
        try:
            self.bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
        except ApiTelegramException as exc:
            if "message is not modified" in str(exc):
                return True
            log.info("could not edit message %s in chat %s: %s", message_id, chat_id,
                     logs.first_line(exc))
            return False
        return True

    def edit_strictly(self, chat_id: int, message_id: int, text: str, markup=None) -> None:
        """``edit``, raising what Telegram said (for ``send_until_accepted``); the same text
        is no error."""
        try:
            self.bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
        except ApiTelegramException as exc:
            if "message is not modified" not in str(exc):
                raise

    def delete(self, chat_id: int, message_id: int) -> bool:
        """Remove a message of ours (a progress message the result replaced)."""
        try:
            self.bot.delete_message(chat_id, message_id)
        except Exception as exc:  # too old, already gone: nothing to tidy
            log.info("could not delete message %s in chat %s: %s", message_id, chat_id,
                     logs.first_line(exc))
            return False
        return True

    def chat_action(self, chat_id: int, action: str) -> None:
        """"uploading a photo…" under the chat's name, for about 5 s."""
        try:
            self.bot.send_chat_action(chat_id, action)
        except Exception as exc:  # a courtesy: never worth more than a log line
            log.debug("sendChatAction to %s failed: %s", chat_id, logs.first_line(exc))

    # -- delivering results ------------------------------------------------------------

    def send_until_accepted(self, send, *, what: str, deadline_s: float = 30.0):
        """``send()`` until Telegram accepts it, within ``deadline_s``; its result.

        Raises ``ChatUnreachable`` when the chat cannot be written to, ``Refused`` when
        Telegram refused this message for what it is (another way may work), or the
        last error when the deadline passes (the caller leaves the delivery for a later
        attempt).
        """
        give_up = time.monotonic() + deadline_s
        backoff = 0.5
        while True:
            try:
                return send()
            except Exception as exc:
                if chat_unreachable(exc):
                    raise ChatUnreachable(f"{what}: {logs.first_line(exc)}") from exc
                if is_permanent(exc) or _too_large(exc):
                    raise Refused(f"{what}: {logs.first_line(exc)}") from exc
                if not isinstance(exc, (ApiTelegramException, ApiHTTPException, urllib3.exceptions.HTTPError,
                                        OSError)):
                    raise
                wait = retry_after(exc) or backoff
                if time.monotonic() + wait > give_up:
                    raise
                log.warning("%s: Bot API %s; trying again in %.1f s", what, logs.first_line(exc), wait)
                time.sleep(wait)
                backoff = min(backoff * 2, 8.0)

    # -- the transport ---------------------------------------------------------------

    def _send(self, http_method, url, params=None, files=None, timeout=None, proxies=None):
        box = getattr(self._thread, "outbox", None)
        # Keep order: what was held goes out first. An answer to a button press has no
        # place among messages, so it keeps riding in the webhook response.
        if box is not None and box.held is not None and box.held[0] != "answerCallbackQuery":
            held_method, held_params = box.held
            box.held = None
            apihelper._make_request(self.bot.token, held_method, params=held_params,
                                    method="post")
        return self._transport(http_method, url, params, files, timeout)

    def _transport(self, http_method, url, params=None, files=None, timeout=None):
        method = url.rsplit("/", 1)[-1]
        if self.local:
            return _FakeResponse(self._answer_locally(method, params or {}, files or {}))
        # A chat action is not a message: Telegram's message limits do not count it.
        if method.startswith(("send", "edit", "copy", "forward")) and method != "sendChatAction":
            chat = (params or {}).get("chat_id")
            self.limits.wait(None if chat is None else str(chat))
        started = time.monotonic()
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        options = {"timeout": urllib3.Timeout(connect=connect, read=read)}
        if files:  # as telebot sends them: parameters in the query, files as multipart
            if params:
                url = f"{url}?{urlencode(params)}"
            response = self._http.request(http_method.upper(), url, fields=_file_fields(files),
                                          **options)
        elif params:
            response = self._http.request(http_method.upper(), url, body=urlencode(params),
                                          headers=_FORM, **options)
        else:
            response = self._http.request(http_method.upper(), url, **options)
        log.debug("bot api %s -> %s in %.0f ms", method, response.status,
                  (time.monotonic() - started) * 1000)
        return _HttpResponse(response)

    def _answer_locally(self, method: str, params: dict, files: dict) -> dict:
        """No token: nothing leaves the process; the local sink (chat console) sees it,
        with the id of a message sent (``message_id``, as an edit names its own)."""
        result: object = True
        if method == "getUpdates":
            result = []
        elif method.startswith("send") or method.startswith("edit"):
            with self._ids_lock:
                message_id = int(params["message_id"]) if method.startswith("edit") and \
                    str(params.get("message_id", "")).isdigit() else next(self._message_ids)
            chat_id = params.get("chat_id", 0)
            result = {"message_id": message_id, "date": int(time.time()),
                      "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0,
                               "type": "private"},
                      "text": params.get("text", "")}
            kind = _MEDIA.get(method)
            if kind is not None:  # with the fields Telegram's answer always has
                media = {"file_id": f"local-{kind}-{message_id}", "file_unique_id": f"u{message_id}",
                         "width": 1, "height": 1, "duration": 1}
                result[kind] = [media] if kind == "photo" else media
        elif method == "getMe":
            result = {"id": 0, "is_bot": True, "first_name": "genbot", "username": "genbot_local"}
        if self._local_sink is not None:
            uploads = {}
            for key, value in files.items():  # (name, file object) or InputFile
                name, handle = value if isinstance(value, tuple) else (key, value)
                data = handle.read() if hasattr(handle, "read") else bytes(handle)
                uploads[key] = (name, data)
            shown = dict(params)
            if isinstance(result, dict) and "message_id" in result:
                shown["message_id"] = result["message_id"]
            self._local_sink(method, shown, uploads)
        elif method.startswith("send"):
            log.info("local mode, not sent: %s to %s: %s", method, params.get("chat_id"),
                     str(params.get("text") or params.get("caption") or "")[:100])
        return {"ok": True, "result": result}

    def set_local_sink(self, sink) -> None:
        self._local_sink = sink
