"""A stand-in for the Telegram Bot API, served over real HTTP on 127.0.0.1.

It answers every ``/bot<token>/<method>`` call the way Telegram would (``ok`` and a
plausible ``result``), records the calls, and can wait ``delay_s`` before answering
to play Telegram's round trip in benchmarks.

Written from the Bot API reference (https://core.telegram.client.org/bots/api):
- "Making requests": an unsuccessful answer is ``{"ok": false, "error_code",
  "description"}`` with the HTTP status of the error, and ``parameters.retry_after``
  on 429 ("Too Many Requests: retry after N"); a gateway error in front of the Bot API
  is an HTML page, not JSON. ``fail(method, …)`` makes the next calls answer so.
- ``refundStarPayment`` / ``getStarTransactions`` ("Payments",
  https://core.telegram.client.org/bots/api#getstartransactions): the bot's Stars record in
  chronological order (oldest first), ``offset`` transactions skipped, at most
  ``limit`` (1-100, default 100) given, and no total; a refund is an outgoing
  transaction whose ``id`` is the refunded payment's ``telegram_payment_charge_id`` and
  whose ``receiver`` is a ``TransactionPartnerUser``; a second refund of a charge is
  refused with ``CHARGE_ALREADY_REFUNDED``. As Telegram's own Bot API server does
  (tdlib/telegram-bot-api, ``Client::process_get_star_transactions_query`` and
  ``get_integer_arg``), a ``limit`` out of 1-100 is clamped into it and a negative
  ``offset`` read as 0: neither is refused. ``star_payment`` records an incoming payment
  as Telegram does when a user pays; ``add_star_transactions`` appends many payments of
  other users at once (generated when read, so 150 000 cost no memory).
- ``slow(method, s)``: the call takes effect, then the answer comes ``s`` later (as
  when the client's timeout fires after Telegram did the work).
- ``getFile`` ("Available methods", getFile): a ``File`` with its ``file_path``; the
  bytes are at ``/file/bot<token>/<file_path>``. ``add_file`` puts a photo there, as
  a user sending one would.
- A sent photo, video, animation, audio or document comes back with its ``file_id``
  ("Message": ``photo`` is a list of sizes, the others one object), which sends the
  same file again; ``editMessageText`` answers the edited message, its id unchanged.
- "Sending files" and sendPhoto: an upload is at most 10 MB for a photo and 50 MB for
  anything else, else ``413 Request Entity Too Large``; a photo's width + height at most
  10,000 and its sides' ratio at most 20, else ``400 Bad Request:
  PHOTO_INVALID_DIMENSIONS``. With ``fetch_urls`` the stand-in fetches a file given by
  URL as Telegram does (5 MB for a photo, 20 MB for the rest) and answers ``400 Bad
  Request: Failed to get HTTP URL content`` when it cannot, or when the file is larger
  (the words of tdlib/telegram-bot-api's Client.cpp for WEBPAGE_CURL_FAILED).
- ``refuse(method, answer)``: every later call of ``method`` gets that answer, as a
  user who blocked the bot gets ``403 Forbidden: bot was blocked by the user``.
"""

from __future__ import annotations

import bisect
import json
import re
import struct
import time
import urllib.request
from typing import Any
from urllib.parse import parse_qsl

from genbot.testing.standin import HttpStandIn, Reply, Request

_MEDIA = {"sendPhoto": "photo", "sendVideo": "video", "sendAnimation": "animation",
          "sendAudio": "audio", "sendDocument": "document"}
# The fields each kind of file requires besides its ids (Bot API "Available types").
_SHAPES = {"photo": {"width": 64, "height": 64}, "video": {"width": 64, "height": 64, "duration": 5},
           "animation": {"width": 64, "height": 64, "duration": 1}, "audio": {"duration": 5},
           "document": {}}


class BotApiStandIn(HttpStandIn):
    backlog = 1024  # benchmarks open many connections at once
    # ``calls`` is its record (what Telegram accepted, an upload by its size): benchmarks
    # send hundreds of thousands of calls and files, which a log of bodies would keep.
    keep_log = False

    def __init__(self, delay_s: float = 0.0, fetch_urls: bool = False):
        super().__init__()
        self.delay_s = delay_s
        self.fetch_urls = fetch_urls
        self.refusals: dict[str, tuple] = {}  # method -> the answer every call gets
        self.calls: list[tuple[str, dict]] = []
        self.call_times: list[float] = []  # when each of ``calls`` arrived (time.monotonic)
        self._next_id = 1000
        self.pending_updates: list[dict] = []  # served by getUpdates (polling mode)
        self.failures: dict[str, list] = {}  # method -> answers to give before succeeding
        self.refused: list[tuple[str, dict]] = []
        self.slow_methods: dict[str, float] = {}
        self.stars = _StarRecord()
        self.files: dict[str, bytes] = {}  # file_path -> bytes
        self.file_downloads: list[tuple[str, str]] = []
        self.url = self.listen()

    def serve(self, request: Request, reply: Reply) -> None:
        if request.path.startswith("/file/bot"):
            self._file(request, reply)
            return
        method = request.path.rsplit("/", 1)[-1]
        params: dict[str, Any] = {name: values[-1] for name, values in request.query.items()}
        body, ctype = request.body, request.header("Content-Type", "")
        uploads: dict[str, bytes] = {}
        if body and ctype.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        elif body and ctype.startswith("application/json"):
            params.update(json.loads(body))
        elif body:
            params["_multipart_bytes"] = len(body)
            uploads = _multipart_files(body, ctype)
            # What was uploaded, by size: the bytes themselves are not kept.
            params.update({f"{name}_bytes": len(data) for name, data in uploads.items()})
        if self.delay_s:
            time.sleep(self.delay_s)
        status, answer = self.answer(method, params, uploads)
        if self.slow_methods.get(method):
            time.sleep(self.slow_methods[method])
        # bytes: a gateway's HTML error page
        reply.send(status, answer, "text/html" if isinstance(answer, bytes) else "application/json")

    def _file(self, request: Request, reply: Reply) -> None:
        file_path = request.path.split("/", 3)[-1]
        data = self.files.get(file_path)
        reply.send(200 if data is not None else 404, data or b"", content_type=None)
        self.file_downloads.append((request.path, file_path))

    def push_update(self, update: dict) -> None:
        with self.lock:
            self.pending_updates.append(update)

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.5)
        while True:
            with self.lock:
                self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
                if self.pending_updates or time.monotonic() >= deadline:
                    return list(self.pending_updates)
            time.sleep(0.05)

    # -- faults and the Stars record ------------------------------------------------

    def fail(self, method: str, *answers) -> None:
        """The next calls of ``method`` fail, one answer each, in order: ``429`` (with
        ``retry_after`` 1), ``(429, seconds)``, ``502`` (an HTML page), or
        ``(code, description)`` such as ``(403, "Forbidden: bot was blocked by the user")``."""
        with self.lock:
            self.failures.setdefault(method, []).extend(answers)

    def refuse(self, method: str, answer: tuple | None) -> None:
        """Every later call of ``method`` answers ``(code, description)``; None: no more."""
        with self.lock:
            if answer is None:
                self.refusals.pop(method, None)
            else:
                self.refusals[method] = answer

    def slow(self, method: str, seconds: float) -> None:
        self.slow_methods[method] = seconds

    def star_payment(self, user_id: int, charge_id: str, stars: int) -> None:
        """A user paid the bot ``stars``: Telegram's record gets the incoming transaction."""
        with self.lock:
            self.stars.append({"id": charge_id, "amount": stars, "date": int(time.time()),
                               "source": _partner(user_id)})

    def add_star_transactions(self, count: int, *, first_date: float, seconds_apart: float = 1.0,
                              user_id: int = 555) -> None:
        """``count`` payments of 1 star by ``user_id`` (charge ids ``bulk-<offset>``), the
        first at ``first_date`` (unix time), then one every ``seconds_apart`` s."""
        with self.lock:
            self.stars.extend(count, lambda offset, i: {
                "id": f"bulk-{offset}", "amount": 1, "date": int(first_date + i * seconds_apart),
                "source": _partner(user_id)}, first_date=int(first_date))

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[f"photos/{file_id}.jpg"] = data

    def refunded_charges(self) -> list[str]:
        return [t["id"] for t in self.stars.single if "receiver" in t]

    def answer(self, method: str, params: dict, uploads: dict | None = None) -> tuple[int, object]:
        with self.lock:
            pending = self.failures.get(method)
            failure = pending.pop(0) if pending else None
            failure = failure or self.refusals.get(method)
        failure = failure or self._file_refusal(method, params, uploads or {})
        if failure is None:
            return self._stars(method, params) or (200, {"ok": True, "result": self.record(method, params)})
        with self.lock:  # ``calls`` holds what Telegram accepted; this, what it refused
            self.refused.append((method, dict(params, refused_with=failure)))
            self.lock.notify_all()
        if failure == 502:
            return 502, b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        if failure == 429 or isinstance(failure, tuple) and failure[0] == 429:
            retry_after = failure[1] if isinstance(failure, tuple) else 1
            return 429, {"ok": False, "error_code": 429, "parameters": {"retry_after": retry_after},
                         "description": f"Too Many Requests: retry after {retry_after}"}
        code, description = failure
        return code, {"ok": False, "error_code": code, "description": description}

    def _file_refusal(self, method: str, params: dict, uploads: dict) -> tuple | None:
        """Telegram's file rules (the module's docstring), or None when the file passes."""
        kind = _MEDIA.get(method)
        if kind is None:
            return None
        photo = kind == "photo"
        given = uploads.get(kind, params.get(kind))
        data: bytes | None
        if isinstance(given, bytes):  # an upload
            if len(given) > (10 if photo else 50) * _MB:
                return 413, "Request Entity Too Large"
            data = given
        elif self.fetch_urls and isinstance(given, str) and given.startswith(("http://", "https://")):
            data = _fetch(given, (5 if photo else 20) * _MB)
            if data is None:
                return 400, "Bad Request: Failed to get HTTP URL content"
        else:
            return None
        size = _image_size(data) if photo else None
        if size is not None and (size[0] + size[1] > 10_000 or max(size) > 20 * max(1, min(size))):
            return 400, "Bad Request: PHOTO_INVALID_DIMENSIONS"
        return None

    def _stars(self, method: str, params: dict):
        if method == "getStarTransactions":
            self.record(method, params)
            offset = max(_td_integer(params.get("offset"), 0), 0)
            limit = min(max(_td_integer(params.get("limit"), 100), 1), 100)
            with self.lock:
                page = self.stars.page(offset, limit)
            return 200, {"ok": True, "result": {"transactions": page}}
        if method != "refundStarPayment":
            return None
        charge, user_id = params.get("telegram_payment_charge_id"), int(params.get("user_id", 0))
        with self.lock:
            paid = [t for t in self.stars.single if t["id"] == charge and "source" in t
                    and t["source"]["user"]["id"] == user_id]
            refunded = any(t["id"] == charge and "receiver" in t for t in self.stars.single)
            if paid and not refunded:
                self.stars.append({"id": charge, "amount": paid[0]["amount"], "date": int(time.time()),
                                   "receiver": _partner(user_id)})
        self.record(method, params)
        if not paid:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: CHARGE_NOT_FOUND"}
        if refunded:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: CHARGE_ALREADY_REFUNDED"}
        return 200, {"ok": True, "result": True}

    def record(self, method: str, params: dict):
        if method == "getUpdates":
            return self._get_updates(params)
        with self.lock:
            self.calls.append((method, params))
            self.call_times.append(time.monotonic())
            self._next_id += 1
            message_id = self._next_id
            self.lock.notify_all()
        if method.startswith("send") or method.startswith("edit"):
            chat = params.get("chat_id", "0")
            if method.startswith("edit") and str(params.get("message_id", "")).isdigit():
                message_id = int(params["message_id"])
            message = {"message_id": message_id, "date": int(time.time()),
                       "chat": {"id": int(chat) if str(chat).lstrip("-").isdigit() else 0,
                                "type": "private"},
                       "text": params.get("text", "")}
            kind = _MEDIA.get(method)
            if kind is not None:
                given = params.get(kind)  # a file_id sends that file again
                file_id = given if isinstance(given, str) and given and "://" not in given \
                    else f"{kind}-{message_id}"
                media = {"file_id": file_id, "file_unique_id": f"u-{file_id}", **_SHAPES[kind]}
                message[kind] = [media] if kind == "photo" else media
            return message
        if method == "getFile":
            path = f"photos/{params.get('file_id')}.jpg"
            return {"file_id": params.get("file_id"), "file_unique_id": f"u-{params.get('file_id')}",
                    "file_size": len(self.files.get(path, b"")), "file_path": path}
        if method == "getMe":
            return {"id": 1, "is_bot": True, "first_name": "genbot", "username": "genbot_test_bot"}
        return True

    def calls_to(self, method: str, chat_id=None) -> list[dict]:
        with self.lock:
            return self._matching(method, chat_id)

    def _matching(self, method: str, chat_id) -> list[dict]:
        return [p for m, p in self.calls if m == method
                and (chat_id is None or str(p.get("chat_id")) == str(chat_id))]

    def wait_for(self, method: str, count: int = 1, chat_id=None, timeout: float = 10.0) -> list[dict]:
        """At least ``count`` calls of ``method`` (to ``chat_id``): all of them."""
        def enough():
            calls = self._matching(method, chat_id)
            return calls if len(calls) >= count else None

        return self.wait_until(enough, timeout, lambda: f"expected {count} {method} call(s): "
                                                         f"{[m for m, _ in self.calls]}")

    def wait_for_text(self, fragment: str, chat_id=None, timeout: float = 10.0) -> dict:
        """The first sendMessage to ``chat_id`` whose text holds ``fragment``."""
        return self.wait_until(
            lambda: next((p for p in self._matching("sendMessage", chat_id)
                          if fragment in str(p.get("text", ""))), None), timeout,
            lambda: f"no message with {fragment!r}: {[p.get('text') for p in self._matching('sendMessage', None)]}")


_MB = 1024 * 1024
_FIELD_NAME = re.compile(rb'\bname="([^"]*)"')


def _multipart_files(body: bytes, content_type: str) -> dict:
    """The files of a multipart/form-data body (RFC 7578), by field name: their bytes.
    Split on the boundary, not parsed part by part: benchmarks upload many."""
    boundary = content_type.partition("boundary=")[2].split(";")[0].strip().strip('"')
    if not boundary:
        return {}
    files = {}
    for part in body.split(b"--" + boundary.encode())[1:-1]:
        head, _, data = part.partition(b"\r\n\r\n")
        name = _FIELD_NAME.search(head)
        if name and b"filename=" in head:
            files[name.group(1).decode()] = data[:-2] if data.endswith(b"\r\n") else data
    return files


def _fetch(url: str, limit: int) -> bytes | None:
    """What Telegram gets from a URL: the body, if it comes and is at most ``limit``."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            data = response.read(limit + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= limit else None


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or GIF (what the suite's pictures are), else None."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    return None


def _user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Иван"}


def _partner(user_id: int) -> dict:
    """A ``TransactionPartnerUser`` of a payment for an invoice (or of its refund)."""
    return {"type": "user", "transaction_type": "invoice_payment", "user": _user(user_id)}


def _td_integer(text, default: int) -> int:
    """An integer argument read as the Bot API server reads it (``td::to_integer``): an
    optional minus and the digits that follow; anything else ends it; empty: the default."""
    text = str(text or "")
    if not text:
        return default
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    number = ""
    for char in digits:
        if not char.isdigit():
            break
        number += char
    return sign * int(number or 0)


class _StarRecord:
    """The bot's Stars transactions, oldest first: single ones (payments and refunds made
    through the stand-in) and runs generated when read, so a test can hold 150 000."""

    def __init__(self):
        self.single: list[dict] = []  # the transactions added one by one, in order
        self._starts: list[int] = []  # the offset each part begins at
        self._parts: list[tuple[int, Any]] = []  # (count, a dict or make(offset, i))
        self._size = 0
        self._last_date = 0

    def append(self, transaction: dict) -> None:
        self._add(1, transaction, transaction["date"])
        self.single.append(transaction)

    def extend(self, count: int, make, *, first_date: int) -> None:
        if count > 0:
            self._add(count, make, first_date)
            self._last_date = make(self._size - 1, count - 1)["date"]

    def _add(self, count: int, part, first_date: int) -> None:
        if first_date < self._last_date:  # Telegram's record is chronological
            raise ValueError(f"a transaction dated {first_date} after one dated {self._last_date}")
        self._starts.append(self._size)
        self._parts.append((count, part))
        self._size += count
        self._last_date = first_date

    def page(self, offset: int, limit: int) -> list[dict]:
        found: list[dict] = []
        index = bisect.bisect_right(self._starts, offset) - 1
        while index >= 0 and index < len(self._parts) and len(found) < limit:
            start, (count, part) = self._starts[index], self._parts[index]
            for i in range(max(offset - start, 0), count):
                found.append(dict(part) if isinstance(part, dict) else part(start + i, i))
                if len(found) == limit:
                    break
            index += 1
        return found
