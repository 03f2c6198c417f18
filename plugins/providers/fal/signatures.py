"""fal's webhook signatures (https://docs.fal.ai/model-endpoints/webhooks, "Verifying
Your Webhook"): four headers, ``X-Fal-Webhook-Request-Id``, ``-User-Id``, ``-Timestamp``
(Unix seconds) and ``-Signature`` (hex); the signed message is the first three and the
SHA-256 hex digest of the raw body, joined by newlines; the signature is ED25519 by one
of the keys of fal's JWKS (``kty`` OKP, ``crv`` Ed25519, ``x`` base64url), which fal
says may be cached for 24 hours; the timestamp must be within five minutes of now.

The keys are fetched once and kept; a signature no kept key verifies fetches them again
(fal may have rotated its key), at most once a minute so forgeries cannot make genbot
hammer fal's JWKS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import threading
import time

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

log = logging.getLogger("genbot.plugins.fal")

HEADERS = ("X-Fal-Webhook-Request-Id", "X-Fal-Webhook-User-Id", "X-Fal-Webhook-Timestamp",
           "X-Fal-Webhook-Signature")
LEEWAY_S = 300
CACHE_S = 24 * 3600
REFRESH_GAP_S = 60


def message(request_id: str, user_id: str, timestamp: str, body: bytes) -> bytes:
    return "\n".join([request_id, user_id, timestamp, hashlib.sha256(body).hexdigest()]).encode()


def public_keys(jwks) -> list[Ed25519PublicKey]:
    keys = []
    for jwk in (jwks or {}).get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        try:
            raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
            keys.append(Ed25519PublicKey.from_public_bytes(raw))
        except (KeyError, TypeError, ValueError, binascii.Error):
            continue
    return keys


class WebhookVerifier:
    def __init__(self, jwks_url: str, *, timeout_s: float = 10.0, clock=time.time,
                 refresh_gap_s: float = REFRESH_GAP_S):
        self.jwks_url = jwks_url
        self.refresh_gap_s = refresh_gap_s
        self.timeout_s = timeout_s
        self.clock = clock
        self._keys: list[Ed25519PublicKey] = []
        self._fetched_at = -1e18
        self._lock = threading.Lock()

    def _refresh(self, *, force: bool) -> list[Ed25519PublicKey]:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if (force and age < self.refresh_gap_s) or (not force and self._keys and age < CACHE_S):
                return self._keys
            try:
                response = requests.get(self.jwks_url, timeout=self.timeout_s)
                keys = public_keys(response.json()) if response.status_code == 200 else []
            except (requests.RequestException, ValueError) as exc:
                log.warning("fal: the webhook keys could not be fetched from %s (%s)", self.jwks_url,
                            type(exc).__name__)
                keys = []
            self._fetched_at = time.monotonic()
            if keys:
                self._keys = keys
            else:
                log.warning("fal: %s gave no ED25519 key; keeping %d known key(s)", self.jwks_url,
                            len(self._keys))
            return self._keys

    def problem(self, headers, body: bytes) -> str | None:
        """Why this webhook is not fal's (None: it is)."""
        values = [headers.get(name) for name in HEADERS]
        if not all(values):
            return "signature headers missing"
        request_id, user_id, timestamp, signature_hex = values
        try:
            stamp = int(timestamp)
            signature = bytes.fromhex(signature_hex)
        except ValueError:
            return "unreadable timestamp or signature"
        if abs(self.clock() - stamp) > LEEWAY_S:
            return f"timestamp {stamp} is more than {LEEWAY_S} s from now"
        signed = message(request_id, user_id, timestamp, body)
        for force in (False, True):
            for key in self._refresh(force=force):
                try:
                    key.verify(signature, signed)
                    return None
                except InvalidSignature:
                    continue
        return "no fal key verifies the signature"
