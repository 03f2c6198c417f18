"""A link a user types is fetched only from the public internet (core/url_fetch.py).

A "public site" listens on 127.0.0.2, which these tests (and the served bot, through
FETCH_ALLOW_NETWORKS) treat as public; an "inside" service listens on 127.0.0.1, the
kind of address genbot must never reach for a user: loopback, private, link-local and
cloud-metadata addresses, in any spelling, directly or through a redirect, and bodies
that never end are cut under the cap and the deadline.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from core.url_fetch import UrlFetcher, UrlRefused, parse_networks
from genbot.testing.waiting import wait_until
from plugins.providers import media
from tests.support.flows import answer, http_sender, order
from tests.support.openai_standin import OpenAIStandIn
from tests.support.serve import ServeProcess, openai_env

PHOTO = media.diagonal_gradient_png(32, 32, b"\x10\x20\x30", b"\xf0\xe0\xd0")


class Site:
    """A small web server on ``host`` that records every path asked of it."""

    def __init__(self, host: str):
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                site.hits.append(parts.path)
                try:
                    if parts.path == "/redirect":
                        self.send_response(302)
                        self.send_header("Location", parse_qs(parts.query)["to"][0])
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif parts.path == "/endless":  # a body with no end, as fast as it goes
                        self.send_response(200)
                        self.send_header("Content-Type", "image/png")
                        self.end_headers()
                        block = bytes(1 << 16)
                        while True:
                            self.wfile.write(block)
                    elif parts.path == "/dribble":  # a byte now and then, for ever
                        self.send_response(200)
                        self.send_header("Content-Type", "image/png")
                        self.end_headers()
                        while True:
                            self.wfile.write(b"\0")
                            self.wfile.flush()
                            time.sleep(0.2)
                    elif parts.path == "/huge.png":  # says up front it is too big
                        self.send_response(200)
                        self.send_header("Content-Type", "image/png")
                        self.send_header("Content-Length", str(1 << 40))
                        self.end_headers()
                    else:
                        self.send_response(200)
                        self.send_header("Content-Type", "image/png")
                        self.send_header("Content-Length", str(len(PHOTO)))
                        self.end_headers()
                        self.wfile.write(PHOTO)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def public():
    site = Site("127.0.0.2")
    yield site
    site.stop()


@pytest.fixture
def inside():
    site = Site("127.0.0.1")
    yield site
    site.stop()


def resolver(names: dict):
    """DNS as the tests want it: names to addresses; any other name resolves as usual."""
    import socket

    def resolve(host, port):
        if host in names:
            return names[host]
        return sorted({i[4][0] for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    return resolve


def fetcher(**names) -> UrlFetcher:
    return UrlFetcher(parse_networks("127.0.0.2"), resolve=resolver(
        {k.replace("_", "."): v for k, v in names.items()}))


# -- the fetcher ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:{port}/secret", "http://10.1.2.3/x.png", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/secret", "http://0.0.0.0:{port}/secret", "http://[::ffff:127.0.0.1]:{port}/secret",
    "http://100.64.0.1/x.png", "http://192.168.1.1/x.png", "http://[fe80::1]/x.png",
    "http://localhost:{port}/secret",
])
def test_an_address_inside_a_network_is_refused_before_any_connection(url, inside):
    port = inside.url.rsplit(":", 1)[1]
    with pytest.raises(UrlRefused) as refused:
        fetcher().fetch(url.format(port=port), max_bytes=1000, timeout_s=5)
    assert refused.value.why == "address"
    assert inside.hits == []


def test_a_public_name_that_redirects_to_loopback_is_refused_at_the_redirect(public, inside):
    port = public.url.rsplit(":", 1)[1]
    url = f"http://cdn.example.test:{port}/redirect?to={inside.url}/secret"
    with pytest.raises(UrlRefused) as refused:
        fetcher(cdn_example_test=["127.0.0.2"]).fetch(url, max_bytes=1000, timeout_s=5)
    assert refused.value.why == "address" and "127.0.0.1" in refused.value.detail
    assert public.hits == ["/redirect"] and inside.hits == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(public):
    port = public.url.rsplit(":", 1)[1]
    with pytest.raises(UrlRefused):
        fetcher(mixed_example_test=["127.0.0.2", "10.0.0.7"]).fetch(
            f"http://mixed.example.test:{port}/photo.png", max_bytes=1000, timeout_s=5)
    assert public.hits == []


def test_an_endless_body_is_cut_at_the_cap(public):
    started = time.monotonic()
    with pytest.raises(UrlRefused) as refused:
        fetcher().fetch(public.url + "/endless", max_bytes=5_000_000, timeout_s=30)
    assert refused.value.why == "too_large"
    assert time.monotonic() - started < 20  # cut as it streamed, not read to some end


def test_a_dribbling_body_is_cut_at_the_deadline(public):
    started = time.monotonic()
    with pytest.raises(UrlRefused) as refused:
        fetcher().fetch(public.url + "/dribble", max_bytes=5_000_000, timeout_s=1.5)
    assert refused.value.why == "timeout" and time.monotonic() - started < 10


def test_a_declared_size_over_the_cap_is_refused_unread(public):
    with pytest.raises(UrlRefused) as refused:
        fetcher().fetch(public.url + "/huge.png", max_bytes=1000, timeout_s=5)
    assert refused.value.why == "too_large"


def test_a_public_address_is_fetched_through_a_redirect(public):
    fetched = fetcher().fetch(f"{public.url}/redirect?to={public.url}/photo.png", max_bytes=1 << 20,
                              timeout_s=5)
    assert fetched.data == PHOTO and fetched.content_type == "image/png"
    assert public.hits == ["/redirect", "/photo.png"]


def test_only_http_and_https_are_fetched():
    for url in ("file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x"):
        with pytest.raises(UrlRefused) as refused:
            UrlFetcher().fetch(url, max_bytes=10, timeout_s=1)
        assert refused.value.why == "scheme"


# -- a served bot ---------------------------------------------------------------------------------

USER = 6400
CATALOG = '''
[[model]]
id = "retouch"
title = "Ретушь"
category = "image"
price_rub = "20.00"
provider = "openai"
provider_model = "gpt-image-1"
timeout_s = 60
inputs = [
  { name = "image", type = "image", label = "Фото или ссылка на него" },
  { name = "prompt", type = "text", label = "Что изменить?" },
]
'''


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    standin = OpenAIStandIn().start()
    server = ServeProcess(openai_env(db_settings, bot_api, tmp_path, standin, CATALOG,
                                     FETCH_ALLOW_NETWORKS="127.0.0.2"), cwd=tmp_path)
    db = Database(db_settings, minconn=0, maxconn=2)
    Balances(db, UserCache()).credit(USER, "100.00")
    server.wait_ready()
    yield server, db, standin
    server.stop()
    standin.stop()
    db.close()


@pytest.mark.slow
def test_links_into_the_network_never_reach_the_provider(served, bot_api, public, inside):
    server, db, standin = served
    send = http_sender(server.url, bot_api)
    port = inside.url.rsplit(":", 1)[1]
    for url in (f"http://127.0.0.1:{port}/secret.png", "http://10.0.0.5/x.png",
                "http://169.254.169.254/latest/meta-data/iam/", f"http://[::1]:{port}/secret.png"):
        said = answer(send, USER, "retouch", url)
        assert any("внутреннюю сеть" in m.get("text", "") for m in said), (url, said)
    assert db.fetch_one("SELECT count(*) FROM generation_jobs")[0] == 0

    # Taken as a link (the site is public), but it redirects inside, or never ends: the
    # job fails on the photo, the hold goes back, and the provider is never called.
    for url in (f"{public.url}/redirect?to=http://127.0.0.1:{port}/secret.png", f"{public.url}/endless"):
        order(send, USER, "retouch", url, "сделай ярче")
    wait_until(lambda: db.fetch_one("SELECT count(*) FROM generation_jobs WHERE notified")[0] == 2, 60,
               lambda: db.fetch_all("SELECT status, error_code FROM generation_jobs"))
    assert db.fetch_all("SELECT status, failure_reason, error_code FROM generation_jobs ORDER BY id") == [
        ("failed", "photo", "input_refused"), ("failed", "photo", "input_too_large")]
    assert standin.requests_to("/v1/images/edits") == [] and inside.hits == []
    assert len([t for t in bot_api.calls_to("sendMessage", USER)
                if "не удалось получить ваше фото" in t.get("text", "")]) == 2
    balances = Balances(db, UserCache())
    assert balances.summary(USER) == (Decimal("100.00"), Decimal("0"))

    # A public photo link does reach the provider: the refusals above were the rule at work.
    order(send, USER, "retouch", f"{public.url}/photo.png", "сделай ярче")
    bot_api.wait_for("sendPhoto", chat_id=USER, timeout=60)
    [edit] = standin.edits()
    assert edit["image"][1] == PHOTO
    assert balances.summary(USER) == (Decimal("80.00"), Decimal("0"))
    assert ledger_differences(db) == []


# -- HTTPS to the address that was checked ----------------------------------------------------------

@pytest.fixture
def tls_site(tmp_path):
    """An HTTPS server on 127.0.0.2 whose certificate names cdn.example.test."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cdn.example.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("cdn.example.test")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    site = Site("127.0.0.2")
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    site.server.socket = served.wrap_socket(site.server.socket, server_side=True)
    trusted = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    yield site, trusted
    site.stop()


def test_https_goes_to_the_checked_address_and_checks_the_certificate_against_the_name(tls_site):
    site, trusted = tls_site
    port = site.url.rsplit(":", 1)[1]
    names = {"cdn.example.test": ["127.0.0.2"], "other.example.test": ["127.0.0.2"]}
    fetcher = UrlFetcher(parse_networks("127.0.0.2"), resolve=resolver(names), tls=trusted)
    fetched = fetcher.fetch(f"https://cdn.example.test:{port}/photo.png", max_bytes=1 << 20, timeout_s=5)
    assert fetched.data == PHOTO
    with pytest.raises(UrlRefused) as refused:  # the same address, a name its certificate lacks
        fetcher.fetch(f"https://other.example.test:{port}/photo.png", max_bytes=1 << 20, timeout_s=5)
    assert refused.value.why == "failed"
