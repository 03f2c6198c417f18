"""Links genbot signs and serves itself: a user's photo for a provider, and a result too
large for Telegram for its user.

A photo sent to the bot is a Telegram ``file_id``; a provider API needs a URL it can
fetch. The Telegram file URL cannot be passed on: it carries the bot token. So
``InputFiles.url_for`` makes ``<WEBHOOK_URL base>/files/<token>``; ``GET /files/<token>``
checks the signature and the expiry, then fetches the file from Telegram (``getFile``)
and streams it back. Without a public base URL there is nothing a provider could fetch:
``url_for`` says so (None), and a model that needs a photo is refused before anything
is held.

A result above what Telegram takes (50 MB uploaded, 20 MB by URL; ``core.generation.result_files``)
reaches its user as ``<WEBHOOK_URL base>/results/<token>``, naming the job and which of
its files, valid for ``RESULT_LINK_DAYS``; ``GET /results/<token>`` sends the stored file
or streams the provider's URL through ``core.url_fetch``.

A token is ``<payload>.<signature>``: the payload is base64url JSON, the signature an
HMAC-SHA256 under a key derived from the webhook secret, one key per kind of link, so
one kind can never be read as the other. Anything that is not exactly that shape is
unknown (404), whatever bytes it holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import time

log = logging.getLogger("genbot.files")

_SAFE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "gif": "image/gif", "mp4": "video/mp4", "mp3": "audio/mpeg", "ogg": "audio/ogg"}
# base64url payload (a few hundred characters at most) and an 18-byte signature.
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,600}\.[A-Za-z0-9_-]{24}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedTokens:
    """Tokens of one kind of link: signed, with an expiry, and read back only if both hold."""

    def __init__(self, secret: str, purpose: bytes):
        self.key = hmac.new(secret.encode(), purpose, hashlib.sha256).digest()

    def make(self, fields: dict, ttl_s: float) -> str:
        payload = _b64(json.dumps({**fields, "e": int(time.time() + ttl_s)},
                                  separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest()[:18])

    def read(self, token: str) -> dict | None:
        """The fields of a well-formed, correctly signed, unexpired token; else None."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return None
        payload, _, signature = token.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            return None
        try:
            data = json.loads(_unb64(payload))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("e"), int) or data["e"] < time.time():
            return None
        return data


class InputFiles:
    def __init__(self, telegram, public_url: str | None, secret: str, ttl_s: float = 3600.0):
        self.telegram = telegram
        self.public_url = public_url.rstrip("/") if public_url else None
        self.tokens = SignedTokens(secret, b"genbot input files")
        self.ttl_s = ttl_s

    @property
    def can_share(self) -> bool:
        return self.public_url is not None

    def url_for(self, value: dict) -> str | None:
        """A URL a provider can fetch for an image input (a photo or a URL the user gave)."""
        if value.get("url"):
            return value["url"]
        file_id = value.get("telegram_file_id")
        if not file_id or self.public_url is None:
            return None
        return f"{self.public_url}/files/{self.tokens.make({'f': file_id}, self.ttl_s)}"

    def file_id_of(self, token: str) -> str | None:
        """The file a token names, if its signature holds and it has not expired."""
        data = self.tokens.read(token)
        return data["f"] if data is not None and isinstance(data.get("f"), str) else None

    def fetch(self, file_id: str) -> tuple[bytes, str]:
        """The file's bytes from Telegram, and a content type from its extension."""
        bot = self.telegram.bot
        path = bot.get_file(file_id).file_path
        data = bot.download_file(path)
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        return data, _SAFE_TYPES.get(extension, "application/octet-stream")


class ResultLinks:
    """Download links for results Telegram will not carry."""

    def __init__(self, public_url: str | None, secret: str, days: int = 7):
        self.public_url = public_url.rstrip("/") if public_url else None
        self.tokens = SignedTokens(secret, b"genbot result files")
        self.ttl_s = days * 86_400.0
        self.days = days

    @property
    def available(self) -> bool:
        return self.public_url is not None

    def url_for(self, job_id: int, index: int) -> str | None:
        """The link to file ``index`` of job ``job_id``'s result; None without WEBHOOK_URL."""
        if self.public_url is None or not job_id:
            return None
        return f"{self.public_url}/results/{self.tokens.make({'j': job_id, 'i': index}, self.ttl_s)}"

    def item_of(self, token: str) -> tuple[int, int] | None:
        """(job id, file index) a token names, if it is genuine and unexpired."""
        data = self.tokens.read(token)
        if data is None or type(data.get("j")) is not int or type(data.get("i")) is not int:
            return None
        return data["j"], data["i"]
