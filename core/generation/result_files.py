"""How a result's files reach Telegram, within what Telegram takes.

Telegram fetches a file by URL only up to 5 MB for a photo and 20 MB for anything else,
and takes uploads up to 10 MB for a photo and 50 MB for other files; a photo's width +
height must be at most 10,000 and its sides' ratio at most 20 (Bot API, "Sending files"
and sendPhoto). A local Bot API server (``TELEGRAM_API_LOCAL``) takes uploads up to
2,000 MB. Providers hand over results as bytes or as bare URLs of any size, so each
file is sent the first way that fits and that Telegram accepts:

1. as its kind (a photo, a video, an animation, an MP3/M4A audio), by URL when the
   file is small enough for Telegram to fetch, else uploaded;
2. as a document, the same two ways (no dimension rules, larger limits);
3. as a signed genbot link with "⬇️ Скачать" and the size (``core.telegram.links.ResultLinks``),
   when the bot has a public URL.

A way Telegram refuses for what the message is (``Refused``: PHOTO_INVALID_DIMENSIONS,
a URL it could not fetch, 413) hands over to the next. A refusal that is about the chat
(``ChatUnreachable``: the user blocked the bot) stops at once: no other way would reach
them either. When no way is left, ``Refused`` goes up to the delivery, which gives the
money back. A URL's size is asked of its server first, through ``core.url_fetch`` (a
result URL is fetched only from public addresses, like any other); a server that will
not say is handed to Telegram as it is, and refused ways fall through as above.
"""

from __future__ import annotations

import io
import logging
import struct
import time
from dataclasses import dataclass

from telebot import types

from core import logs
from core.bot.texts import t
from core.telegram.client import Refused
from core.url_fetch import UrlRefused

log = logging.getLogger("genbot.result_files")

MB = 1024 * 1024
BY_URL = {"sendPhoto": 5 * MB}  # what Telegram fetches itself; 20 MB for the rest
BY_URL_OTHER = 20 * MB
UPLOAD = {"sendPhoto": 10 * MB}  # what Telegram takes as an upload; 50 MB for the rest
UPLOAD_OTHER = 50 * MB
LOCAL_UPLOAD = 2000 * MB  # a local Bot API server
_FETCH_TIMEOUT_S = 120.0
_PROBE_TIMEOUT_S = 10.0
_FIELDS = {"sendPhoto": "photo", "sendVideo": "video", "sendAnimation": "animation",
           "sendAudio": "audio", "sendDocument": "document"}
_BY_KIND = {"image": "sendPhoto", "video": "sendVideo", "animation": "sendAnimation",
            "audio": "sendAudio"}
_PLAYABLE_AUDIO = ("audio/mpeg", "audio/mp3", "audio/mp4", "audio/x-m4a", "audio/m4a")


@dataclass
class ResultFile:
    """One file of a result: bytes in hand, or a URL (its bytes fetched when needed)."""
    name: str
    data: bytes | None = None
    mime: str = ""
    url: str | None = None
    size: int | None = None  # known for bytes; for a URL, if its server said
    fetchable: bool = True  # False once genbot may not (or cannot) fetch the URL

    @property
    def where(self) -> str:
        return self.url or self.name


def result_files(output) -> list[ResultFile]:
    """The files of a ``GenerationOutput``, in the order they are sent (and numbered in
    result links): the bytes first, then the URLs."""
    return [ResultFile(f.name, f.data, f.mime, size=len(f.data)) for f in output.files] + \
        [ResultFile(url.rsplit("/", 1)[-1].split("?", 1)[0] or "result", url=url) for url in output.urls]


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG from its header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        at = 2
        while at + 9 < len(data):
            if data[at] != 0xFF:
                return None
            marker = data[at + 1]
            length = struct.unpack(">H", data[at + 2:at + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
                height, width = struct.unpack(">HH", data[at + 5:at + 9])
                return width, height
            at += 2 + length
    return None


def fits_as_photo(data: bytes) -> bool:
    """Telegram's photo rules: width + height at most 10,000, sides' ratio at most 20
    (True when the header cannot be read: Telegram decides then)."""
    size = image_size(data)
    if size is None:
        return True
    width, height = size
    return width + height <= 10_000 and 0 < min(width, height) and max(width, height) / min(width, height) <= 20


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    if size >= MB:
        return t("size_mb", n=f"{size / MB:.1f}".replace(".", ","))
    return t("size_kb", n=max(1, round(size / 1024)))


class ResultSender:
    """Sends one result file the first way Telegram takes (see the module's docstring)."""

    def __init__(self, telegram, fetcher, links, *, local_api: bool = False):
        self.telegram = telegram
        self.fetcher = fetcher
        self.links = links
        self.upload_other = LOCAL_UPLOAD if local_api else UPLOAD_OTHER

    def ways(self, kind: str, item: ResultFile) -> list[str]:
        """The methods to try, best first."""
        method = _BY_KIND.get(kind, "sendDocument")
        if method == "sendAudio":
            named = item.mime or ("audio/mpeg" if item.where.lower().endswith(".mp3") else
                                  "audio/mp4" if item.where.lower().endswith(".m4a") else "")
            if not named.startswith(_PLAYABLE_AUDIO):
                method = "sendDocument"  # Telegram plays only MP3 and M4A as audio
        return [method] if method == "sendDocument" else [method, "sendDocument"]

    def upload_limit(self, method: str) -> int:
        return UPLOAD.get(method, self.upload_other)

    def send(self, chat_id: int, kind: str, item: ResultFile, *, caption: str | None, markup,
             what: str, give_up: float, job_id: int, index: int):
        """The message Telegram accepted for ``item``; ``Refused`` when no way was left."""
        if item.url is not None and item.size is None:
            self._probe(item)
        refusals = []
        for method in self.ways(kind, item):
            for source in ("url", "upload"):
                if not self._worth_trying(method, source, item):
                    continue
                try:
                    return self._attempt(chat_id, method, source, item, caption, markup, what, give_up)
                except Refused as exc:
                    refusals.append(f"{method} by {source}: {exc}")
                    log.info("%s: Telegram refused %s by %s (%s); trying the next way", what,
                             method, source, logs.first_line(exc))
                except UrlRefused as exc:
                    refusals.append(f"{method} by {source}: {exc}")
                    log.info("%s: %s could not be fetched for upload (%s)", what, item.where, exc)
                    item.fetchable = item.fetchable and exc.why == "too_large"
        link = self.links.url_for(job_id, index) if self.links is not None else None
        if link is not None:
            return self._send_link(chat_id, link, item, caption, markup, what, give_up)
        raise Refused(f"{what}: no way left for {item.name} ({human_size(item.size)}): "
                      + "; ".join(refusals or ["too large for Telegram and no WEBHOOK_URL for a link"]))

    # -- choosing --------------------------------------------------------------------

    def _probe(self, item: ResultFile) -> None:
        try:
            item.size, content_type = self.fetcher.probe(item.url, timeout_s=_PROBE_TIMEOUT_S)
            item.mime = item.mime or content_type
        except UrlRefused as exc:  # Telegram may still fetch it; a refusal falls through
            log.info("result %s: its size is unknown (%s)", item.url, exc)

    def _worth_trying(self, method: str, source: str, item: ResultFile) -> bool:
        if source == "url":
            return item.url is not None and (item.size is None or
                                             item.size <= BY_URL.get(method, BY_URL_OTHER))
        limit = self.upload_limit(method)
        if item.data is None:
            return item.fetchable and item.url is not None and (item.size is None or item.size <= limit)
        return len(item.data) <= limit and (method != "sendPhoto" or fits_as_photo(item.data))

    # -- sending ---------------------------------------------------------------------

    def _attempt(self, chat_id, method, source, item, caption, markup, what, give_up):
        if source == "upload" and item.data is None:
            fetched = self.fetcher.fetch(item.url, max_bytes=self.upload_limit(method),
                                         timeout_s=max(_FETCH_TIMEOUT_S, give_up - time.monotonic()))
            item.data, item.size = fetched.data, len(fetched.data)
            item.mime = item.mime or fetched.content_type
            if method == "sendPhoto" and not fits_as_photo(item.data):
                raise Refused(f"{item.name}: a photo Telegram would refuse (its dimensions)")
        bot = self.telegram.bot
        send = getattr(bot, {"sendPhoto": "send_photo", "sendVideo": "send_video",
                             "sendAnimation": "send_animation", "sendAudio": "send_audio",
                             "sendDocument": "send_document"}[method])

        def content():  # an upload is read as it is sent: each try gets a fresh file object
            return item.url if source == "url" else types.InputFile(io.BytesIO(item.data), item.name)

        return self.telegram.send_until_accepted(lambda: send(chat_id, content(), caption=caption, reply_markup=markup),
                                     what=what, deadline_s=max(0.0, give_up - time.monotonic()))

    def _send_link(self, chat_id, link, item, caption, markup, what, give_up):
        keyboard = types.InlineKeyboardMarkup()
        keyboard.row(types.InlineKeyboardButton(t("result_btn_download"), url=link))
        for row in (markup.keyboard if markup is not None else []):
            keyboard.row(*row)
        text = t("result_link", size=human_size(item.size), days=self.links.days)
        if caption:
            text = f"{caption}\n\n{text}"
        log.info("%s: %s (%s) goes as a link", what, item.where, human_size(item.size))
        return self.telegram.send_until_accepted(lambda: self.telegram.bot.send_message(chat_id, text, reply_markup=keyboard),
                                     what=what, deadline_s=max(0.0, give_up - time.monotonic()))
