"""A provider written outside genbot, with ``genbot`` and ``genbot.providers`` only: the
worked example of docs/plugins.md ("generation_providers"), written into a folder
outside this checkout and imported from there, keeps the provider contract
(``ProviderConformance``) against a stand-in for its service (Black Forest Labs' FLUX
API), and takes a paid order through the App to its signed webhook."""

from __future__ import annotations

import ast
import hashlib
import hmac
import importlib
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from core.accounts.balances import ledger_differences
from core.generation.catalog import parse_catalog
from genbot.providers import job_signature
from genbot.testing import loopback_fetch, updates
from genbot.testing.app import exchange, make_app
from genbot.testing.conformance import ProviderConformance, Scenario
from genbot.testing.waiting import wait_until
from plugins.providers.media import diagonal_gradient_png
from tests.support.flows import answer, confirm_token

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
USER = 4242
START = Decimal("100.00")
CATALOG = '''
[[model]]
id = "flux-pro"
title = "FLUX.2 [pro]"
category = "image"
price_rub = "15.00"
provider = "flux"
provider_model = "flux-2-pro"
timeout_s = 30
provider_options = { params = { output_format = "png" } }
inputs = [
  { name = "prompt", type = "text", label = "Опишите картинку" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "16:9"] },
]
'''
MODEL = parse_catalog(CATALOG).get("flux-pro")


def the_example() -> str:
    """The module docs/plugins.md shows: the Python block that starts ``# genbot_flux.py``."""
    [code] = re.findall(r"```python\n(# genbot_flux\.py\n.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return code


# -- a stand-in for BFL's API ------------------------------------------------------------------

SAMPLE = diagonal_gradient_png(32, 32, b"\x10\x20\x30", b"\xe0\xd0\xc0")


@dataclass
class Task:
    id: str
    body: dict
    created: float = field(default_factory=time.monotonic)


class FluxStandIn:
    """Black Forest Labs' FLUX API over real HTTP, as its pages describe it (read in 2026):

    - "Image Generation with Text Prompts", https://docs.bfl.ai/quick_start/generating_images,
      and black-forest-labs/skills, skills/bfl-api/SKILL.md and references/endpoints.md:
      ``POST /v1/{endpoint}`` (``flux-2-pro``, …) with the key in ``x-key`` and a JSON
      body (``prompt`` required; ``width``/``height`` multiples of 16, 64 to 4 MP;
      ``output_format``, ``webhook_url``, ``webhook_secret``) → ``{"id", "polling_url"}``;
      ``GET`` the ``polling_url`` (``/v1/get_result?id=…``, with ``x-key``) →
      ``{"id", "status": "Pending"}`` until ``{"status": "Ready", "result": {"sample":
      <url>, "seed"}}``; the sample URL is fetched without the key and lives ten minutes;
    - "Errors", https://docs.bfl.ai/api_integration/errors: 402 out of credits, 403 a key
      without permission, 422 an invalid body, 429 too many requests, 500, 503; the
      states ``Ready``, ``Pending``, ``Request Moderated``, ``Content Moderated``,
      ``Task not found``, ``Error``;
    - skills/bfl-api/references/code-examples/python-client.py: 401 for a bad key, a 429
      carries ``Retry-After``;
    - skills/bfl-api/references/webhook-integration.md: when the request names a
      ``webhook_url``, BFL POSTs ``{"id", "status": "Ready", "result": {"sample", …}}``
      (or ``"status": "Error", "error"``) there, with ``X-BFL-Signature: sha256=<hex
      HMAC-SHA256 of the raw body under webhook_secret>``; a delivery not answered 2xx
      is tried again after 1, 5 and 30 s.

    Error bodies are FastAPI's ``{"detail": …}``, as BFL's API answers (an assumption:
    its pages show only the statuses). Scripting (``script``): ``succeed``, ``fail``
    (the request ends ``Request Moderated``), ``hang`` (never ends), ``busy`` (one 429
    with Retry-After, then as usual), ``down`` (one 503, then as usual). A task is Ready
    ``stage_s`` after its creation; ``poll_lag_s`` hides that from polls, so only the
    webhook can tell. ``webhook_sender(url, body, headers) -> status`` delivers webhooks.
    """

    def __init__(self, stage_s: float = 0.3):
        self.key = "bfl-" + secrets.token_hex(8)
        self.stage_s = stage_s
        self.poll_lag_s = 0.0
        self.outcome = "succeed"
        self.refusals: list[int] = []
        self.tasks: dict[str, Task] = {}
        self.creates: list[dict] = []
        self.polls = 0
        self.webhooks: list[dict] = []
        self.webhook_sender = None
        self.retry_delays = (1.0, 5.0, 30.0)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FluxStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, behaviour: str) -> None:
        self.outcome = {"fail": "fail", "hang": "hang"}.get(behaviour, "succeed")
        self.refusals = {"busy": [429], "down": [503]}.get(behaviour, [])

    # -- the API --------------------------------------------------------------------------

    def create(self, endpoint: str, headers, body) -> tuple[int, dict, dict]:
        if headers.get("x-key") != self.key:
            return 401, {"detail": "Not authenticated"}, {}
        with self.lock:
            if self.refusals:
                status = self.refusals.pop(0)
                return status, {"detail": "Too many active tasks" if status == 429 else
                                "Service unavailable"}, {"Retry-After": "1"} if status == 429 else {}
        problem = self.body_problem(body)
        if problem or endpoint not in ("flux-2-pro", "flux-2-max", "flux-pro-1.1"):
            return 422, {"detail": [{"loc": ["body"], "msg": problem or f"unknown endpoint {endpoint}"}]}, {}
        task = Task("bfl-" + secrets.token_hex(6), body)
        with self.lock:
            self.tasks[task.id] = task
            self.creates.append(body)
        if body.get("webhook_url") and self.outcome != "hang":
            threading.Timer(self.stage_s, self.deliver, (task, 0)).start()
        return 200, {"id": task.id, "polling_url": f"{self.url}/v1/get_result?id={task.id}"}, {}

    @staticmethod
    def body_problem(body) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return "prompt: field required"
        width, height = body.get("width", 1024), body.get("height", 1024)
        if any(not isinstance(v, int) or v % 16 or v < 64 for v in (width, height)) or width * height > 4_000_000:
            return "width and height: multiples of 16, at least 64, at most 4 MP"
        return None

    def record(self, task: Task, *, for_poll: bool) -> dict:
        age = time.monotonic() - task.created - (self.poll_lag_s if for_poll else 0.0)
        if self.outcome == "hang" or age < self.stage_s:
            return {"id": task.id, "status": "Pending"}
        if self.outcome == "fail":
            return {"id": task.id, "status": "Request Moderated",
                    "error": "the prompt was flagged by content moderation"}
        return {"id": task.id, "status": "Ready",
                "result": {"sample": f"{self.url}/results/{task.id}/sample.png", "seed": 1234,
                           "prompt": task.body["prompt"]}}

    def poll(self, headers, query) -> tuple[int, dict, dict]:
        if headers.get("x-key") != self.key:
            return 401, {"detail": "Not authenticated"}, {}
        with self.lock:
            self.polls += 1
            task = self.tasks.get((query.get("id") or [""])[0])
        if task is None:
            return 200, {"id": (query.get("id") or [""])[0], "status": "Task not found"}, {}
        return 200, self.record(task, for_poll=True), {}

    def deliver(self, task: Task, attempt: int) -> None:
        body = json.dumps(self.record(task, for_poll=False)).encode()
        secret = task.body.get("webhook_secret") or ""
        headers = {"Content-Type": "application/json",
                   "X-BFL-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
        status = self.webhook_sender(task.body["webhook_url"], body, headers)
        with self.lock:
            self.webhooks.append({"url": task.body["webhook_url"], "body": body, "headers": headers,
                                  "status": status})
        if not 200 <= status < 300 and attempt < len(self.retry_delays):
            threading.Timer(self.retry_delays[attempt], self.deliver, (task, attempt + 1)).start()

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path == "/v1/get_result":
                    self._answer(*standin.poll(self.headers, parse_qs(parts.query)))
                elif parts.path.startswith("/results/"):  # BFL's delivery storage: no key
                    self._answer(200, SAMPLE, {"Content-Type": "image/png"})
                else:
                    self._answer(404, {"detail": "Not Found"}, {})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                path = urlsplit(self.path).path
                if path.startswith("/v1/"):
                    self._answer(*standin.create(path[4:], self.headers, body))
                else:
                    self._answer(404, {"detail": "Not Found"}, {})

            def _answer(self, status, body, headers):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                        f"Content-Length: {len(data)}"]
                head += [f"{k}: {v}" for k, v in {"Content-Type": "application/json", **headers}.items()]
                self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)  # one write

        return Handler


# -- the example, from outside ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def flux(tmp_path_factory):
    """The docs' example, written as a module into a folder of its own and imported from there."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "genbot_flux.py").write_text(the_example(), encoding="utf-8")
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("genbot_flux")
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("genbot_flux", None)


@pytest.fixture
def standin():
    server = FluxStandIn().start()
    yield server
    server.stop()


def settings_for(flux, standin) -> dict:
    return {**flux.plugin_settings(), "api_key": standin.key, "base_url": standin.url}


def test_the_example_lives_outside_and_imports_only_genbot(flux):
    assert not Path(flux.__file__).resolve().is_relative_to(ROOT)
    imported = set()
    for node in ast.walk(ast.parse(Path(flux.__file__).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"genbot", "genbot.providers"}


class TestOutsideProviderConformance(ProviderConformance):
    @pytest.fixture
    def scenario(self, flux, standin):
        def make(behaviour):
            standin.script(behaviour)
            # BFL has no way to cancel a request: nothing remote to stop.
            return Scenario(flux.FluxProvider(settings_for(flux, standin), loopback_fetch), MODEL,
                            {"prompt": "кот в шляпе", "aspect_ratio": "16:9"})
        return make


def test_what_it_sends_is_what_bfl_takes_and_the_image_is_kept(flux, standin):
    case = Scenario(flux.FluxProvider(settings_for(flux, standin), loopback_fetch), MODEL,
                    {"prompt": "маяк на скале", "aspect_ratio": "16:9"})
    output = case.generate()
    assert standin.creates == [{"output_format": "png", "width": 1344, "height": 768,
                                "prompt": "маяк на скале"}]  # no public URL: no webhook
    assert [f.data for f in output.files] == [SAMPLE] and output.urls == ()
    assert case.task_ids == list(standin.tasks)


# -- through the App ----------------------------------------------------------------------------------

@pytest.fixture
def kit(flux, standin, db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    # Loaded by its module's name, the plugin reads [genbot_flux] (by an entry point: [flux]).
    toml = "[genbot_flux]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings_for(flux, standin).items())
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=toml,
                           extra_plugins=("genbot_flux",), CATALOG_FILE=str(catalog),
                           WEBHOOK_URL="https://bot.example.test", FETCH_ALLOW_NETWORKS="127.0.0.1",
                           JOB_HEARTBEAT="0.2")
    standin.webhook_sender = lambda url, body, headers: client.post(
        urlsplit(url).path, data=body, headers=headers).status_code
    app.start_workers()
    app.balances.credit(USER, str(START))
    yield app, client
    app.close()


def test_a_paid_order_is_ended_once_by_its_signed_webhook(kit, flux, standin, bot_api):
    app, client = kit
    standin.poll_lag_s = 3600  # polls never see the end: only the webhook can

    def send(update):
        return exchange(client, bot_api, update)

    sent = answer(send, USER, "flux-pro", "маяк на скале", ("choice", 1))
    send(updates.callback(USER, f"gen:go:{confirm_token(sent)}"))
    row = wait_until(lambda: app.db.fetch_one(
        "SELECT id FROM generation_jobs WHERE user_id = %s AND notified", (USER,)), 20, "no finished job")
    job = app.jobs.get(row[0])
    assert job.status == "succeeded", (job.error_code, job.error_message)
    [create] = standin.creates
    assert create["webhook_url"] == f"https://bot.example.test/flux/webhook/{job.id}"
    assert create["webhook_secret"] == job_signature(standin.key, "flux", job.id) != standin.key
    assert [w["status"] for w in standin.webhooks if w["status"] == 200] == [200]
    bot_api.wait_for("sendPhoto", 1, chat_id=USER)
    assert app.balances.summary(USER) == (START - Decimal("15.00"), Decimal("0"))
    assert ledger_differences(app.db) == []
    # BFL tries a delivery again: a repeat changes nothing.
    delivered = standin.webhooks[-1]
    path = f"/flux/webhook/{job.id}"
    assert client.post(path, data=delivered["body"], headers=delivered["headers"]).status_code == 200
    time.sleep(0.5)  # a second message would have been sent by now
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1
    assert app.db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = %s "
                            "AND type = 'deduction'", (USER,)) == (1,)
    # Who is not BFL, with this job's secret, is refused; a job of no one is unknown.
    forged = {"X-BFL-Signature": "sha256=" + "0" * 64}
    assert client.post(path, data=delivered["body"], headers=forged).status_code == 401
    assert client.post(path, data=delivered["body"]).status_code == 401
    other = job_signature(standin.key, "flux", 999999)
    signed = "sha256=" + hmac.new(other.encode(), delivered["body"], hashlib.sha256).hexdigest()
    assert client.post("/flux/webhook/999999", data=delivered["body"],
                       headers={"X-BFL-Signature": signed}).status_code == 404
