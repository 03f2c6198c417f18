"""A fake Kie.ai task API over real HTTP, with scripted failure modes.

``mode`` decides how it behaves:
- ``poll``: tasks are ``waiting`` for two polls, then ``success``;
- ``never``: tasks stay ``waiting`` forever;
- ``fail``: tasks end in ``fail`` with a failCode and failMsg;
- ``429``: createTask answers 429 (Retry-After: 1) twice, then works like ``poll``;
- ``500``: every call answers 500;
- ``malformed``: createTask answers a broken JSON body once, then works like ``poll``;
- ``slow``: createTask takes longer than any sane client timeout.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

RESULT_URL = "https://cdn.example.test/result.png"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (the "slow" mode) is expected here


class FakeKie:
    def __init__(self, mode: str = "poll", key: str = "kie-test-key"):
        self.mode = mode
        self.key = key
        self.created: list[dict] = []
        self.polls: dict[str, int] = {}
        self.requests: list[tuple[str, str, float]] = []
        self.lock = threading.Lock()
        self.failures_left = {"429": 2, "malformed": 1}.get(mode, 0)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per response: separate header and body writes meet Nagle's
            # algorithm and the client's delayed ACK, a 40 ms stall per call.
            wbufsize = 1 << 16

            def log_message(self, *_args):
                pass

            def _answer(self, status: int, body, headers=None):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake._serve(self, "POST", urlsplit(self.path), body)

            def do_GET(self):
                fake._serve(self, "GET", urlsplit(self.path), None)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> FakeKie:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, handler, method, url, body):
        with self.lock:
            self.requests.append((method, url.path, time.monotonic()))
        if handler.headers.get("Authorization") != f"Bearer {self.key}":
            handler._answer(401, {"code": 401, "msg": "bad key"})
            return
        if self.mode == "500":
            handler._answer(500, {"code": 500, "msg": "boom"})
            return
        if url.path == "/api/v1/jobs/createTask" and method == "POST":
            with self.lock:
                if self.failures_left > 0:
                    self.failures_left -= 1
                    if self.mode == "429":
                        handler._answer(429, {"code": 429, "msg": "slow down"}, {"Retry-After": "1"})
                    else:
                        handler._answer(200, b"{not json")
                    return
            if self.mode == "slow":
                time.sleep(5)
            with self.lock:
                task_id = f"task-{len(self.created) + 1}"
                self.created.append(dict(body, taskId=task_id))
            handler._answer(200, {"code": 200, "msg": "success", "data": {"taskId": task_id}})
            return
        if url.path == "/api/v1/jobs/recordInfo" and method == "GET":
            task_id = parse_qs(url.query).get("taskId", [""])[0]
            handler._answer(200, {"code": 200, "msg": "success", "data": self.record(task_id)})
            return
        handler._answer(404, {"code": 404, "msg": "no such path"})

    def record(self, task_id: str, *, count: bool = True) -> dict:
        with self.lock:
            polls = self.polls.get(task_id, 0) + (1 if count else 0)
            self.polls[task_id] = polls
        if self.mode == "never" or polls <= 2 and count:
            return {"taskId": task_id, "state": "waiting"}
        if self.mode == "fail":
            return {"taskId": task_id, "state": "fail", "failCode": "NSFW", "failMsg": "content refused"}
        return {"taskId": task_id, "state": "success",
                "resultJson": json.dumps({"resultUrls": [RESULT_URL]})}

    def success_record(self, task_id: str) -> dict:
        return {"taskId": task_id, "state": "success",
                "resultJson": json.dumps({"resultUrls": [RESULT_URL]})}
