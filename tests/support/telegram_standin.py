"""A stand-in for the Telegram Bot API, served over real HTTP on 127.0.0.1.

It answers every ``/bot<token>/<method>`` call the way Telegram would (``ok`` and a
plausible ``result``), records the calls, and can wait ``delay_s`` before answering
to play Telegram's round trip in benchmarks.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # benchmarks open many connections at once
    daemon_threads = True


class BotApiStandIn:
    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.calls: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._next_id = 1000
        self.pending_updates: list[dict] = []  # served by getUpdates (polling mode)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per response: separate header and body writes meet Nagle's
            # algorithm and the client's delayed ACK, a 40 ms stall per call.
            wbufsize = 1 << 16

            def log_message(self, *_args):
                pass

            def do_GET(self):
                self._handle()

            def do_POST(self):
                self._handle()

            def _handle(self):
                parts = urlsplit(self.path)
                method = parts.path.rsplit("/", 1)[-1]
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                ctype = self.headers.get("Content-Type", "")
                if body and ctype.startswith("application/x-www-form-urlencoded"):
                    params.update(parse_qsl(body.decode(), keep_blank_values=True))
                elif body and ctype.startswith("application/json"):
                    params.update(json.loads(body))
                elif body:
                    params["_multipart_bytes"] = len(body)
                if standin.delay_s:
                    time.sleep(standin.delay_s)
                payload = json.dumps({"ok": True, "result": standin.record(method, params)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def push_update(self, update: dict) -> None:
        with self._cond:
            self.pending_updates.append(update)

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.5)
        while True:
            with self._cond:
                self.pending_updates = [u for u in self.pending_updates if u["update_id"] >= offset]
                if self.pending_updates or time.monotonic() >= deadline:
                    return list(self.pending_updates)
            time.sleep(0.05)

    def record(self, method: str, params: dict):
        if method == "getUpdates":
            return self._get_updates(params)
        with self._cond:
            self.calls.append((method, params))
            self._next_id += 1
            message_id = self._next_id
            self._cond.notify_all()
        if method.startswith("send") or method.startswith("edit"):
            chat = params.get("chat_id", "0")
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": int(chat) if str(chat).lstrip("-").isdigit() else 0,
                             "type": "private"},
                    "text": params.get("text", "")}
        if method == "getMe":
            return {"id": 1, "is_bot": True, "first_name": "genbot", "username": "genbot_test_bot"}
        return True

    def start(self) -> BotApiStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls_to(self, method: str, chat_id=None) -> list[dict]:
        with self._lock:
            return self._matching(method, chat_id)

    def _matching(self, method: str, chat_id) -> list[dict]:
        return [p for m, p in self.calls if m == method
                and (chat_id is None or str(p.get("chat_id")) == str(chat_id))]

    def _wait(self, found, explain, timeout: float):
        """Wait until ``found()`` gives something truthy; fail with ``explain()``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = found()
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(explain())
                self._cond.wait(left)

    def wait_for(self, method: str, count: int = 1, chat_id=None, timeout: float = 10.0) -> list[dict]:
        """At least ``count`` calls of ``method`` (to ``chat_id``): all of them."""
        def enough():
            calls = self._matching(method, chat_id)
            return calls if len(calls) >= count else None

        return self._wait(enough, lambda: f"expected {count} {method} call(s): "
                                          f"{[m for m, _ in self.calls]}", timeout)

    def wait_for_text(self, fragment: str, chat_id=None, timeout: float = 10.0) -> dict:
        """The first sendMessage to ``chat_id`` whose text holds ``fragment``."""
        return self._wait(
            lambda: next((p for p in self._matching("sendMessage", chat_id)
                          if fragment in str(p.get("text", ""))), None),
            lambda: f"no message with {fragment!r}: {[p.get('text') for p in self._matching('sendMessage', None)]}",
            timeout)
