"""The production WSGI server: gunicorn with threaded workers, started from Python.

Each worker process builds its own ``App`` after the fork (its own connection pool),
so nothing that holds a socket crosses a fork. Threads are sized for handlers that
block on Telegram and the database. gunicorn's master handles SIGTERM and SIGINT:
it stops the workers gracefully, then returns here so the caller can stop the
embedded database.

Slow clients. gunicorn's gthread worker hands a connection to a thread once its first
bytes arrive, and the thread then reads the rest of the head with no deadline: as many
connections dribbling a head as there are threads, and the process answers nothing
(slowloris). ``GuardedThreadWorker`` reads each request into a buffer without blocking,
on gunicorn's poller between reads, and commits a thread only once the request has
arrived whole; a request not whole ``request_timeout`` seconds after its first byte is
closed. The proxy in front (deploy/haproxy.cfg) does the same at the edge.
"""

from __future__ import annotations

import bisect
import logging
import re
import time

from gunicorn.app.base import BaseApplication

# setup.cfg pins gunicorn to 27.x: this worker relies on the gthread worker's internals
# (_DEFER, pending_conns, finish_request, TConn.init, the parser's unreader).
from gunicorn.workers.gthread import _DEFER, ThreadWorker

log = logging.getLogger("genbot.server")

ARRIVED, PARTIAL = "arrived", "partial"
GONE = b""  # the peer left mid-request: close without a word
# The head has come with "Expect: 100-continue": the client waits for this before its body.
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
HEAD_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                  b"Connection: close\r\nContent-Length: 0\r\n\r\n")
BODY_TOO_LARGE = (b"HTTP/1.1 413 Content Too Large\r\n"
                  b"Connection: close\r\nContent-Length: 0\r\n\r\n")
_CONTENT_LENGTH = re.compile(rb"^content-length:[ \t]*(\d+)[ \t]*\r?$", re.I | re.M)
_CHUNKED = re.compile(rb"^transfer-encoding:[^\r\n]*chunked", re.I | re.M)
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_EXPECT_CONTINUE = re.compile(rb"^expect:[ \t]*100-continue[ \t]*\r?$", re.I | re.M)
_CLOSED = object()  # handle() closed the connection itself; finish_request only counts it


def request_state(data: bytes, max_head: int, max_body: int):
    """Whether ``data`` begins with a whole request: ``ARRIVED``, ``PARTIAL`` (or
    ``CONTINUE``: partial, and the client waits for a 100 before its body), or the answer
    refusing one that can never be served (``HEAD_TOO_LARGE``, ``BODY_TOO_LARGE``).

    Whatever gunicorn's parser rejects at once counts as arrived, so that it answers 400
    from the buffer: a bare LF, a malformed chunk size or length.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if data.count(b"\n") != data.count(b"\r\n"):
            return ARRIVED
        return HEAD_TOO_LARGE if len(data) > max_head else PARTIAL
    head, body = data[:end], end + 4
    if _CHUNKED.search(head):
        state = _chunked_state(data, body, max_body)
    else:
        declared = _CONTENT_LENGTH.search(head)
        length = int(declared[1]) if declared else 0
        if length > max_body:
            return BODY_TOO_LARGE
        state = ARRIVED if len(data) - body >= length else PARTIAL
    http11 = head.partition(b"\r\n")[0].endswith(b" HTTP/1.1")  # HTTP/1.0 ignores Expect
    if state is PARTIAL and http11 and _EXPECT_CONTINUE.search(head):
        return CONTINUE
    return state


def _chunked_state(data: bytes, pos: int, max_body: int):
    """The state of a chunked body starting at ``pos``: whole once its last chunk and
    trailers are in, too large once more than ``max_body`` of it has come."""
    size = 0
    while True:
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            return PARTIAL
        digits = data[pos:line_end].split(b";")[0].rstrip(b" \t")
        if not _HEX.fullmatch(digits):  # int() would take "-6" and walk backwards
            return ARRIVED  # gunicorn's parser refuses the size: 400
        chunk = int(digits, 16)
        if chunk == 0:
            return ARRIVED if data.find(b"\r\n\r\n", line_end) >= 0 else PARTIAL
        size += chunk
        if size > max_body:
            return BODY_TOO_LARGE
        pos = line_end + 2 + chunk + 2
        if pos > len(data):
            return PARTIAL


class GuardedThreadWorker(ThreadWorker):
    """gthread, but a thread serves only a request that has fully arrived.

    Every wake-up of a connection reads what the socket holds without blocking and
    appends it to the connection's parser buffer; an incomplete request goes back to
    gunicorn's poller (``_DEFER``), due at its deadline. A whole one is parsed and served
    from the buffer, so the thread never waits for the client. The app accepts no body
    over ``max_body`` (``WEBHOOK_MAX_BYTES``), so such a request is refused here (413)
    without reading it. Closing happens in the worker thread, without gunicorn's
    lingering close, which waits up to 2 s for the peer on the worker's main loop: a
    client that never closes would stall every connection of the worker.

    Plain HTTP/1.1 only: TLS and HTTP/2 end at the proxy, and ``serve()`` sets neither.
    """

    request_timeout = 10.0  # seconds from a request's first byte to its last
    max_body = 1_048_576

    def init_process(self):
        cfg = self.cfg
        if cfg.is_ssl or cfg.http_protocols != ["h1"] or cfg.http2_cleartext != "off":
            raise RuntimeError("GuardedThreadWorker reads plain HTTP/1.1: end TLS at the proxy")
        # The longest head gunicorn's parser accepts, with its limits.
        self.max_head = (cfg.limit_request_line + 2
                         + cfg.limit_request_fields * (cfg.limit_request_field_size + 2) + 4)
        super().init_process()

    def handle(self, conn):
        state = self._read_request(conn)
        if state is ARRIVED:
            conn.request_deadline = None  # the next request's clock starts at its first byte
            conn.continued = False
            return super().handle(conn) or self._close(conn)
        if state is CONTINUE:
            if not getattr(conn, "continued", False):  # gunicorn sends its own later: harmless
                conn.continued = True
                self._send(conn, CONTINUE)
            state = PARTIAL
        if state is PARTIAL and self.alive and not self._late(conn):
            return _DEFER
        if state is HEAD_TOO_LARGE or state is BODY_TOO_LARGE:
            self._send(conn, state)
        return self._close(conn)

    @staticmethod
    def _send(conn, answer: bytes) -> None:
        try:
            conn.sock.send(answer)  # a few bytes: an empty socket buffer takes them whole
        except OSError:
            pass

    def _read_request(self, conn):
        """Add what the socket holds to the connection's buffer; the buffer's state, or
        ``GONE`` when the peer left before its request was whole."""
        conn.init()  # only makes the HTTP/1.1 parser: no I/O without TLS or HTTP/2
        unreader = conn.parser.unreader
        data = bytearray(unreader.take_buffered())
        conn.sock.setblocking(False)
        peer_left = False
        try:
            while len(data) <= self.max_head + self.max_body:
                chunk = conn.sock.recv(65536)
                if not chunk:
                    peer_left = True
                    break
                data += chunk
        except BlockingIOError:
            pass
        except OSError:
            peer_left = True
        unreader.unread(bytes(data))
        if not data:
            conn.request_deadline = None  # idle: gunicorn's keepalive timeout applies
            return GONE if peer_left else PARTIAL
        if getattr(conn, "request_deadline", None) is None:
            conn.request_deadline = time.monotonic() + self.request_timeout
        state = request_state(bytes(data), self.max_head, self.max_body)
        return GONE if peer_left and state is PARTIAL else state

    @staticmethod
    def _late(conn) -> bool:
        return conn.request_deadline is not None and time.monotonic() >= conn.request_deadline

    def _close(self, conn):
        try:
            conn.sock.setblocking(False)
            conn.sock.recv(65536)  # what the peer sent meanwhile: closing then sends no reset
        except OSError:
            pass
        conn.close()
        return _CLOSED

    def finish_request(self, conn, fs):
        if not fs.cancelled() and fs.exception() is None and fs.result() is _CLOSED:
            self.nr_conns -= 1
            return
        super().finish_request(conn, fs)
        deadline = getattr(conn, "request_deadline", None)
        if deadline is not None and self.pending_conns and self.pending_conns[-1] is conn:
            # gunicorn parked it until now + keepalive; a begun request is due sooner.
            # murder_pending() stops at the first connection not yet due: keep the order.
            self.pending_conns.pop()
            conn.timeout = min(conn.timeout, deadline)
            index = bisect.bisect(self.pending_conns, conn.timeout, key=lambda c: c.timeout)
            self.pending_conns.insert(index, conn)


class _GunicornServer(BaseApplication):
    def __init__(self, factory, options: dict):
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._factory()


def serve(config, build_wsgi_app, *, on_worker_exit=None) -> None:
    """Serve until SIGTERM/SIGINT. ``build_wsgi_app()`` runs once in every worker."""

    def worker_exit(_server, worker):
        if on_worker_exit is not None:
            on_worker_exit(worker)

    class GenbotWorker(GuardedThreadWorker):
        max_body = config.webhook_max_bytes  # the app refuses larger bodies anyway

    options = {
        "bind": f"{config.host}:{config.port}",
        "workers": config.web_workers,
        "worker_class": GenbotWorker,
        "threads": config.web_threads,
        # A worker whose main loop is silent this long is restarted (Telegram gives up on a
        # webhook answer after 60 s); a single slow request in a thread is not timed.
        "timeout": 75,
        "graceful_timeout": 20,
        # An idle connection waits on the poller, holding no thread. Longer than HAProxy
        # keeps an idle server connection for reuse, so gunicorn never closes one under it.
        "keepalive": 30,
        # The head's size bounds each connection's buffer (about 135 KiB): a short request
        # line (the app's URLs are short), few headers (Telegram sends about ten).
        "limit_request_line": 4094,
        "limit_request_fields": 32,
        "limit_request_field_size": 4094,
        "backlog": 2048,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": config.log_level.lower(),
        "proc_name": "genbot",
        "control_socket_disable": True,
        "worker_exit": worker_exit,
    }
    log.info("serving on http://%s:%s with %d workers x %d threads", config.host, config.port,
             config.web_workers, config.web_threads)
    _GunicornServer(build_wsgi_app, options).run()
