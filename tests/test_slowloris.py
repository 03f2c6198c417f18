"""Slow clients against the web tier: 64 connections that never finish their request
head do not stop ``POST /webhook``.

Each slow connection sends a request line and one header, then one more header line
every second, and never the blank line that ends the head. While all of them are open,
real webhook POSTs (with the secret, each on a new connection, as Telegram sends them)
must be answered 200; their latencies are printed. Then the slow connections are
watched until the server closes them, which it must do at its deadline.

(a) Through the shipped ``deploy/haproxy.cfg``: HAProxy holds the slow heads itself and
answers 408 at ``timeout http-request``. (b) Straight at gunicorn with the settings
``run.py serve`` ships: ``core.serve.server.GuardedThreadWorker`` commits a thread only to a
request that has fully arrived and closes one whose head is late. Also: clients that
never close after their answer do not stall that worker, and which bytes count as a
whole request.
"""

from __future__ import annotations

import select
import socket
import statistics
import threading
import time

import pytest
import requests

from core.serve.server import (
    ARRIVED,
    BODY_TOO_LARGE,
    CONTINUE,
    HEAD_TOO_LARGE,
    PARTIAL,
    GuardedThreadWorker,
    request_state,
)
from genbot.testing import updates
from genbot.testing.app import SECRET
from genbot.testing.waiting import wait_until
from tests.support.balancer import HAProxy, shipped_timeout
from tests.support.serve import ServeProcess, serve_env

pytestmark = pytest.mark.drill
SLOW = 64
METRICS_TOKEN = "slowloris-metrics-token"
# WEB_CONCURRENCY unset: genbot's default of 2 worker processes, unless a test says otherwise
GUARDED = {"WEB_CONCURRENCY": None, "METRICS_TOKEN": METRICS_TOKEN, "JOB_WORKERS": 1,
           "PLUGIN_PROBE_INTERVAL": 0}


class _Slow:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.opened = time.monotonic()
        self.closed_after: float | None = None  # seconds after opening, when the server closed it
        self.received = b""  # whatever the server said before closing
        self.lines = 2  # request line and Host


class SlowClients:
    """``count`` connections trickling a request head that never ends, one header line
    every ``interval`` seconds; a thread keeps them going and notes when the server
    closes each one."""

    def __init__(self, port: int, count: int = SLOW, interval: float = 1.0):
        self.interval = interval
        self.conns: list[_Slow] = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
            self.conns.append(_Slow(sock))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, name="slowloris", daemon=True)
        self._thread.start()

    def open(self) -> list[_Slow]:
        return [c for c in self.conns if c.closed_after is None]

    def _trickle(self) -> None:
        next_line = time.monotonic() + self.interval
        while not self._stop.is_set():
            live = self.open()
            if not live:
                return
            readable, _, _ = select.select([c.sock for c in live], [], [], 0.05)
            for conn in live:
                if conn.sock in readable:
                    self._read(conn)
            if time.monotonic() >= next_line:
                next_line += self.interval
                for conn in self.open():
                    try:
                        conn.sock.send(b"X-Slow-%d: never done\r\n" % conn.lines)
                        conn.lines += 1
                    except OSError:  # reset by the server
                        self._closed(conn)

    def _read(self, conn: _Slow) -> None:
        try:
            data = conn.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            conn.received += data
        else:
            self._closed(conn)

    @staticmethod
    def _closed(conn: _Slow) -> None:
        if conn.closed_after is None:
            conn.closed_after = time.monotonic() - conn.opened

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        for conn in self.conns:
            conn.sock.close()


def webhook_under_attack(url: str, slow: SlowClients, user_id: int, posts: int = 3) -> list[float]:
    """Real webhook POSTs while every slow connection is open: their latencies in seconds."""
    wait_until(lambda: min(c.lines for c in slow.conns) >= 3,  # a header line trickled since
               timeout=10, explain="the slow connections did not trickle")
    latencies = []
    for n in range(posts):
        assert len(slow.open()) == SLOW, f"slow connections closed early: {SLOW - len(slow.open())}"
        started = time.monotonic()
        try:
            answer = requests.post(url + "/webhook", json=updates.message(user_id + n, "/start"),
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=5)
        except requests.Timeout:
            pytest.fail(f"POST /webhook unanswered after 5 s with {SLOW} slow connections open "
                        f"(answered before it: {[f'{s * 1000:.0f} ms' for s in latencies]})")
        latencies.append(time.monotonic() - started)
        assert answer.status_code == 200, answer.text
        assert answer.json()["method"] == "sendMessage"
    return latencies


def closed_at_deadline(slow: SlowClients, deadline: float) -> list[float]:
    """Wait until the server has closed every slow connection; when it closed each."""
    wait_until(lambda: not slow.open(), timeout=deadline + 30,
               explain=lambda: f"{len(slow.open())} of {SLOW} slow connections still open")
    after = [c.closed_after for c in slow.conns]
    # Never before the deadline: what closes them is the deadline, not a header limit.
    assert min(after) >= deadline - 0.5, after
    return after


def report(where: str, latencies: list[float], closed: list[float], said: set[bytes]) -> None:
    print(f"\n{where}: POST /webhook with {SLOW} slow connections open: "
          + ", ".join(f"{s * 1000:.0f} ms" for s in latencies)
          + f"\n{where}: slow connections closed by the server after "
          f"{min(closed):.1f}–{max(closed):.1f} s (median {statistics.median(closed):.1f} s), "
          f"having said {sorted(said) or 'nothing'}")


@pytest.mark.parametrize("workers,threads", [(2, 16), (1, 2)])
def test_gunicorn_alone_answers_the_webhook_past_64_slow_heads(db_settings, bot_api, tmp_path,
                                                               workers, threads):
    server = ServeProcess(serve_env(db_settings, bot_api, GUARDED, WEB_CONCURRENCY=workers,
                                    WEB_THREADS=threads), cwd=tmp_path)
    slow = None
    try:
        server.wait_ready(timeout=60)
        slow = SlowClients(server.port)
        latencies = webhook_under_attack(server.url, slow, user_id=7100 + threads)
        deadline = GuardedThreadWorker.request_timeout
        closed = closed_at_deadline(slow, deadline)
        report(f"gunicorn {workers}×{threads}", latencies, closed,
               {c.received.split(b"\r\n")[0] for c in slow.conns if c.received})
        assert not any(c.received for c in slow.conns)  # closed without a word
        # and the process goes on answering
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    finally:
        if slow is not None:
            slow.stop()
        assert server.stop() == 0, server.log()


def test_haproxy_in_front_answers_the_webhook_past_64_slow_heads(db_settings, bot_api, tmp_path):
    server = ServeProcess(serve_env(db_settings, bot_api, GUARDED), cwd=tmp_path)
    balancer = slow = None
    try:
        server.wait_ready(timeout=60)
        balancer = HAProxy([server.url.removeprefix("http://")], tmp_path)
        wait_until(lambda: requests.get(balancer.url + "/readyz", timeout=2).status_code == 200,
                   timeout=15, explain=balancer.log)
        slow = SlowClients(balancer.port)
        latencies = webhook_under_attack(balancer.url, slow, user_id=7200)
        closed = closed_at_deadline(slow, shipped_timeout("http-request"))
        said = {c.received.split(b"\r\n")[0] for c in slow.conns}
        report("haproxy", latencies, closed, said)
        assert said == {b"HTTP/1.1 408 Request Time-out"}

        # What the outside sees: the readiness status alone, and no /metrics, token or not;
        # the scraper asks each process directly, with the token.
        ready = requests.get(balancer.url + "/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        for path in ("/metrics", "/metrics?name=x", "/%6detrics"):
            assert requests.get(balancer.url + path, headers=auth, timeout=5).status_code == 403
        direct = requests.get(server.url + "/metrics", headers=auth, timeout=5)
        assert direct.status_code == 200 and "genbot_updates_total" in direct.text
    finally:
        if slow is not None:
            slow.stop()
        if balancer is not None:
            balancer.stop()
        assert server.stop() == 0, server.log()


def test_clients_that_never_close_do_not_stall_the_worker(db_settings, bot_api, tmp_path):
    """gunicorn's own close after a ``Connection: close`` answer lingers up to 2 s for the
    client, on the worker's main loop: ten clients that never close stalled it ~20 s."""
    server = ServeProcess(serve_env(db_settings, bot_api, GUARDED, WEB_CONCURRENCY=1, WEB_THREADS=2),
                          cwd=tmp_path)
    stubborn = []
    try:
        server.wait_ready(timeout=60)
        for _ in range(10):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            stubborn.append(sock)
        for sock in stubborn:  # answered; the client neither closes nor sends anything more
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 OK\r\n")
        started = time.monotonic()
        answer = requests.post(server.url + "/webhook", json=updates.message(7300, "/start"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=5)
        assert answer.status_code == 200
        print(f"\nPOST /webhook after 10 clients that never close: "
              f"{(time.monotonic() - started) * 1000:.0f} ms")
        for sock in stubborn:  # closed by the server meanwhile
            sock.settimeout(5)
            while sock.recv(4096):
                pass
    finally:
        for sock in stubborn:
            sock.close()
        assert server.stop() == 0, server.log()


HEAD = b"POST /webhook HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize("data,state", [
    (b"", PARTIAL),
    (HEAD, PARTIAL),
    (HEAD + b"\r\n", ARRIVED),
    (HEAD + b"Content-Length: 4\r\n\r\n{}", PARTIAL),
    (HEAD + b"content-length: 4\r\n\r\n{}{}", ARRIVED),
    (HEAD + b"Content-Length: 4\r\n\r\n{}{}GET / HTTP/1.1\r\n", ARRIVED),  # pipelined
    (HEAD + b"Content-Length: 101\r\n\r\n", BODY_TOO_LARGE),
    (HEAD + b"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n", CONTINUE),
    (HEAD + b"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n{}{}", ARRIVED),
    (HEAD.replace(b"1.1", b"1.0") + b"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n", PARTIAL),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n", PARTIAL),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n", PARTIAL),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", ARRIVED),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n65\r\n", BODY_TOO_LARGE),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n2;x=y\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n", ARRIVED),
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", ARRIVED),  # gunicorn answers 400
    (HEAD + b"Transfer-Encoding: chunked\r\n\r\n-6\r\n", ARRIVED),  # and does not loop
    (b"POST /webhook HTTP/1.1\nHost: x\n", ARRIVED),  # bare LF: gunicorn answers 400
    (HEAD + b"X-Long: " + b"v" * 200, HEAD_TOO_LARGE),
])
def test_a_thread_is_committed_only_to_a_whole_request(data, state):
    assert request_state(data, max_head=200, max_body=100) is state
