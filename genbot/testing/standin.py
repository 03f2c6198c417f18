"""The base of every stand-in for an outside HTTP service: genbot's own (the Bot API, Kie,
OpenAI, Replicate, fal) and a plugin author's.

A stand-in answers as the real service documents it, over real HTTP, so the code under
test runs its real client. This base is the plumbing they share: a threaded HTTP server
on 127.0.0.1 with a free port per host of the service (``listen``), every request kept
in ``log`` (a ``Request``: host, method, path, query, headers, body, arrival time), an
answer written in one piece (``Reply.send``: JSON unless given bytes) or streamed
(``Reply.stream``), ``start``/``stop``, and ``wait_until`` a condition, woken by each
request. A stand-in says what its service answers in ``serve(request, reply)``, and its
docstring which pages of the service's documentation say so (docs/plugins.md, "Testing
your plugin")::

    class WeatherStandIn(HttpStandIn):
        def __init__(self):
            super().__init__()
            self.url = self.listen()

        def serve(self, request, reply):
            if request.path == "/v1/now":
                reply.send(200, {"temperature": 21})
            else:
                reply.send(404, {"error": "not found"})

    standin = WeatherStandIn().start()   # … standin.log, standin.stop()
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as it arrived."""

    host: str  # which of the service's hosts (``listen``'s name) it came to
    method: str
    path: str
    query_string: str
    headers: dict  # as sent
    body: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def header(self, name: str, default=None):
        """A header by its name in any case, as HTTP compares them."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), default)

    def json(self):
        return json.loads(self.body)

    def text(self) -> str:
        """Everything the request carried, for a search (e.g. that no secret went along)."""
        return " ".join([self.method, self.path, self.query_string, json.dumps(self.headers),
                         self.body.decode("latin-1")])


class Reply:
    """The answer to one request: ``send`` it whole, or ``stream`` it."""

    def __init__(self, handler: BaseHTTPRequestHandler):
        self._handler = handler
        self.sent = False

    def send(self, status: int, body=b"", content_type: str | None = "application/json",
             headers: dict | None = None) -> bool:
        """``body`` (bytes as they are, anything else as JSON) with its Content-Length (and no
        Content-Type when ``content_type`` is None); False when the client let go before it
        had all of it."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        handler = self._start(status, content_type, headers)
        handler.send_header("Content-Length", str(len(data)))
        try:
            handler.end_headers()
            handler.wfile.write(data)
            handler.wfile.flush()
        except ConnectionError:
            handler.close_connection = True
            return False
        return True

    def stream(self, chunks, content_type: str, headers: dict | None = None, status: int = 200) -> bool:
        """``chunks`` (bytes) with chunked transfer coding, each sent as soon as it is made
        (server-sent events); False when the client let go first (the rest is not made)."""
        handler = self._start(status, content_type, headers)
        handler.send_header("Transfer-Encoding", "chunked")
        try:
            handler.end_headers()
            for chunk in chunks:
                if chunk:
                    handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
        except ConnectionError:
            handler.close_connection = True
            return False
        return True

    def _start(self, status: int, content_type: str | None, headers: dict | None) -> BaseHTTPRequestHandler:
        assert not self.sent, "one request, one answer"
        self.sent = True
        handler = self._handler
        handler.send_response(status)
        if content_type is not None:
            handler.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        return handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer: the head and a body written apart meet Nagle's algorithm and
    # the client's delayed ACK, a 40 ms stall per request. The buffer holds both until
    # the answer is flushed whole.
    wbufsize = 1 << 16
    standin: HttpStandIn
    host_name: str

    def log_message(self, *_args):
        pass

    def serve(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.host_name, self.command, parts.path, parts.query,
                          dict(self.headers.items()), body)
        self.standin.arrived(request)
        reply = Reply(self)
        self.standin.serve(request, reply)
        if not reply.sent:
            reply.send(500, {"error": f"the stand-in has no answer to {request.method} {request.path}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, backlog: int):
        self.request_queue_size = backlog  # read when the socket starts listening, below
        super().__init__(address, handler)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up: not news
            super().handle_error(request, client_address)


class HttpStandIn:
    """A stand-in for an HTTP service: subclass it, ``listen`` in ``__init__``, answer in
    ``serve``. ``lock`` (a Condition) guards the stand-in's state; it is notified on every
    request, and a subclass notifies it when its own state changes, for ``wait_until``."""

    methods = ("GET", "POST")  # others are answered 501, as a server that has no such route
    backlog = 256  # connections waiting to be accepted: tests and benchmarks open many at once
    keep_log = True  # False: ``log`` stays empty (a stand-in that keeps only what it needs)

    def __init__(self):
        self.lock = threading.Condition()
        self.log: list[Request] = []
        self.servers: dict[str, _Server] = {}
        self._threads: list[threading.Thread] = []

    def listen(self, host: str = "api", address: str = "127.0.0.1") -> str:
        """Serve ``host`` (a name for one of the service's hosts) on a free port: its URL."""
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {
            "standin": self, "host_name": host,
            **{f"do_{method}": _Handler.serve for method in self.methods}})
        server = _Server((address, 0), handler, self.backlog)
        self.servers[host] = server
        self._threads.append(threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True))
        return f"http://{address}:{server.server_address[1]}"

    @property
    def server(self) -> _Server:
        """The first host's server (e.g. to wrap its socket in TLS before ``start``)."""
        return next(iter(self.servers.values()))

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()

    def serve(self, request: Request, reply: Reply) -> None:
        """Answer ``request`` through ``reply``, as the service would."""
        raise NotImplementedError

    def arrived(self, request: Request) -> None:
        if self.keep_log:
            with self.lock:
                self.log.append(request)
                self.lock.notify_all()

    def wait_until(self, check, timeout: float = 15.0, explain=""):
        """``check()``'s first truthy result, tried on each change; fails after ``timeout``
        s with ``explain`` (a message, or a function that makes one)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not (result := check()):
                left = deadline - time.monotonic()
                assert left > 0, explain() if callable(explain) else explain
                self.lock.wait(min(left, 0.1))
        return result

