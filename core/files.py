"""A user's photo, handed to a provider as a short-lived signed URL that genbot serves.

A photo sent to the bot is a Telegram ``file_id``; a provider API needs a URL it can
fetch. The Telegram file URL cannot be passed on: it carries the bot token. So
``InputFiles.url_for`` makes ``<WEBHOOK_URL base>/files/<token>``, where the token
names the file and its expiry and is signed with a key derived from the webhook
secret; ``GET /files/<token>`` checks the signature and the expiry, then fetches the
file from Telegram (``getFile``) and streams it back. Without a public base URL there
is nothing a provider could fetch: ``url_for`` says so (None), and a model that needs
a photo is refused before anything is held.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

log = logging.getLogger("genbot.files")

_SAFE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
               "gif": "image/gif", "mp4": "video/mp4", "mp3": "audio/mpeg", "ogg": "audio/ogg"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class InputFiles:
    def __init__(self, telegram, public_url: str | None, secret: str, ttl_s: float = 3600.0):
        self.telegram = telegram
        self.public_url = public_url.rstrip("/") if public_url else None
        self.key = hmac.new(secret.encode(), b"genbot input files", hashlib.sha256).digest()
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
        payload = _b64(json.dumps({"f": file_id, "e": int(time.time() + self.ttl_s)}).encode())
        return f"{self.public_url}/files/{payload}.{self._sign(payload)}"

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self.key, payload.encode(), hashlib.sha256).digest()[:18])

    def file_id_of(self, token: str) -> str | None:
        """The file a token names, if its signature holds and it has not expired."""
        payload, _, signature = token.partition(".")
        if not payload or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("f"), str) \
                or not isinstance(data.get("e"), int) or data["e"] < time.time():
            return None
        return data["f"]

    def fetch(self, file_id: str) -> tuple[bytes, str]:
        """The file's bytes from Telegram, and a content type from its extension."""
        bot = self.telegram.bot
        path = bot.get_file(file_id).file_path
        data = bot.download_file(path)
        extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        return data, _SAFE_TYPES.get(extension, "application/octet-stream")
