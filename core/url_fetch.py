"""Fetching a URL from the outside world without reaching inside genbot's network.

A link a user typed (a photo to edit) or a result a provider handed over is fetched by
genbot's own server, which may sit beside a database, a cloud metadata service or an
admin panel. So a URL is fetched only when every address its host resolves to is
public — not loopback, private, link-local (169.254.169.254 and friends), shared
(100.64/10), multicast, reserved or unspecified, nor an IPv6 form of one of those —
and the connection goes to the address that was checked (a second DNS answer cannot
swap it). Redirects are followed by hand, each checked the same way, at most five.
The body is read as it arrives, under a size cap and one deadline for the whole fetch:
an endless or dribbling body is cut, never read whole before the check.

Networks the operator trusts (a provider on the same private network, a test stand-in
on 127.0.0.1) are allowed with ``FETCH_ALLOW_NETWORKS``; nothing else is.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3

log = logging.getLogger("genbot.url_fetch")

MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


class UrlRefused(Exception):
    """The URL was not fetched, or not whole. ``why`` is one of: ``scheme`` (not http or
    https), ``address`` (the host is, or resolves to, an address inside a network),
    ``unresolvable``, ``redirects`` (too many), ``too_large``, ``timeout``, ``failed``
    (the server answered an error or the connection broke)."""

    def __init__(self, why: str, detail: str):
        super().__init__(f"{why}: {detail}")
        self.why = why
        self.detail = detail


@dataclass(frozen=True)
class Fetched:
    data: bytes
    content_type: str  # without parameters; "" when the server named none
    url: str  # the last one, after redirects


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address on the public internet, the only kind genbot fetches from."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
        if address.teredo is not None:
            return is_public(address.teredo[1])
    return address.is_global and not address.is_multicast


def parse_networks(text: str) -> tuple:
    """``FETCH_ALLOW_NETWORKS``: comma-separated addresses or CIDR networks."""
    networks = []
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            networks.append(ipaddress.ip_network(part, strict=False))
    return tuple(networks)


def _resolve(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


class UrlFetcher:
    """Fetches public URLs; ``allow``: networks trusted besides the public internet."""

    def __init__(self, allow=(), *, resolve: Callable[[str, int], list[str]] = _resolve,
                 user_agent: str = "genbot", tls: ssl.SSLContext | None = None):
        self.allow = tuple(allow)
        self.resolve = resolve
        self.user_agent = user_agent
        # The certificate is checked against the URL's name, though the connection goes
        # to the address that was checked.
        self._tls = tls or ssl.create_default_context()

    # -- checking --------------------------------------------------------------------

    def allowed(self, address) -> bool:
        return is_public(address) or any(address in network for network in self.allow)

    def check(self, url: str) -> tuple[str, str, int, str]:
        """(scheme, host, port, address to connect to), or ``UrlRefused``."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UrlRefused("failed", f"not a URL ({exc})") from None
        scheme, host = parts.scheme.lower(), parts.hostname
        if scheme not in ("http", "https"):
            raise UrlRefused("scheme", f"{scheme or 'no'} scheme: only http and https are fetched")
        if not host:
            raise UrlRefused("failed", "no host in the URL")
        port = port or (443 if scheme == "https" else 80)
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = self.resolve(host, port)
            except (OSError, UnicodeError) as exc:
                raise UrlRefused("unresolvable", f"{host} does not resolve ({exc})") from None
            if not addresses:
                raise UrlRefused("unresolvable", f"{host} has no address")
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if not self.allowed(address):
                raise UrlRefused("address", f"{host} is {address}, inside a network genbot "
                                            f"does not fetch from")
        return scheme, host, port, addresses[0]

    # -- fetching --------------------------------------------------------------------

    def fetch(self, url: str, *, max_bytes: int, timeout_s: float) -> Fetched:
        """The whole body, if it is at most ``max_bytes`` and arrives within ``timeout_s``."""
        with self.open(url, timeout_s=timeout_s) as response:
            declared = response.length
            if declared is not None and declared > max_bytes:
                raise UrlRefused("too_large", f"{declared} bytes, more than {max_bytes}")
            data = bytearray()
            for chunk in response.chunks():
                data += chunk
                if len(data) > max_bytes:
                    raise UrlRefused("too_large", f"more than {max_bytes} bytes")
            return Fetched(bytes(data), response.content_type, response.url)

    def probe(self, url: str, *, timeout_s: float) -> tuple[int | None, str]:
        """(size in bytes if the server says it, content type) without reading the body."""
        with self.open(url, timeout_s=timeout_s) as response:
            return response.length, response.content_type

    @contextlib.contextmanager
    def open(self, url: str, *, timeout_s: float) -> Iterator[_Response]:
        """An answered GET whose body is still to be read (``chunks``), every hop checked."""
        deadline = time.monotonic() + timeout_s
        for _hop in range(MAX_REDIRECTS + 1):
            scheme, host, port, address = self.check(url)
            raw = self._request(scheme, host, port, address, url, deadline)
            if raw.status in _REDIRECTS and raw.headers.get("Location"):
                target = urljoin(url, raw.headers["Location"])
                raw.release_conn()
                raw.close()
                url = target
                continue
            try:
                if raw.status != 200:
                    raise UrlRefused("failed", f"{host} answered {raw.status}")
                yield _Response(raw, url, deadline)
            finally:
                raw.close()
            return
        raise UrlRefused("redirects", f"more than {MAX_REDIRECTS} redirects")

    def _request(self, scheme: str, host: str, port: int, address: str, url: str,
                 deadline: float) -> urllib3.BaseHTTPResponse:
        left = deadline - time.monotonic()
        if left <= 0:
            raise UrlRefused("timeout", "no answer in time")
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        timeout = urllib3.Timeout(connect=min(left, 10.0), read=left)
        pool: urllib3.HTTPConnectionPool
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(address, port, server_hostname=host, assert_hostname=host,
                                               ssl_context=self._tls, retries=False, timeout=timeout)
        else:
            pool = urllib3.HTTPConnectionPool(address, port, retries=False, timeout=timeout)
        default_port = 443 if scheme == "https" else 80
        netloc = (f"[{host}]" if ":" in host else host) + ("" if port == default_port else f":{port}")
        try:
            return pool.urlopen("GET", path, headers={"Host": netloc, "User-Agent": self.user_agent,
                                                      "Accept-Encoding": "identity"},
                                redirect=False, retries=False, preload_content=False,
                                assert_same_host=False)
        except urllib3.exceptions.TimeoutError:
            raise UrlRefused("timeout", f"{host} did not answer in time") from None
        except urllib3.exceptions.HTTPError as exc:
            raise UrlRefused("failed", f"{host}: {type(exc).__name__}") from None


class _Response:
    """An answered request whose body is read under the fetch's deadline."""

    def __init__(self, raw: urllib3.BaseHTTPResponse, url: str, deadline: float):
        self.raw = raw
        self.url = url
        self.deadline = deadline
        length = raw.headers.get("Content-Length", "")
        self.length = int(length) if length.isdigit() else None
        self.content_type = raw.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives; ``UrlRefused`` once the deadline passes."""
        while True:
            if time.monotonic() > self.deadline:
                raise UrlRefused("timeout", "the body did not arrive in time")
            try:
                chunk = self.raw.read1(_CHUNK)
            except urllib3.exceptions.TimeoutError:
                raise UrlRefused("timeout", "the body did not arrive in time") from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise UrlRefused("failed", f"the body broke off ({type(exc).__name__})") from None
            if not chunk:
                return
            yield chunk
