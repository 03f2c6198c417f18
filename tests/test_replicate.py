"""The replicate provider against the Replicate stand-in over HTTP: the conformance test,
the requests it makes, failures, the start-up key check, webhook signatures, and whole
orders through the app — finished by polling, by the signed webhook, or cancelled."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.accounts.balances import ledger_differences
from core.generation.catalog import InputField, Model
from core.generation.contract import GenerationFailed, GenerationRequest
from core.host.plugin_host import PluginHost
from genbot.testing import loopback_fetch
from genbot.testing.app import make_app
from genbot.testing.conformance import ProviderConformance, Scenario
from genbot.testing.waiting import wait_until
from plugins.providers.replicate import plugin_settings, provider_for
from plugins.providers.replicate.provider import ReplicateProvider
from plugins.providers.replicate.webhooks import signature_problem
from tests.support.flows import http_sender, order
from tests.support.replicate_standin import ReplicateStandIn
from tests.support.serve import QUICK_JOBS, ServeProcess, free_port, serve_env

USER = 1610
START = Decimal("500.00")
SDXL = "stability-ai/sdxl:39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF a user's photo"
FAST = {"poll_initial_s": 0.1, "poll_max_s": 0.3, "max_retries": 2, "request_timeout_s": 5.0}

CATALOG = f'''[[model]]
id = "flux-schnell"
title = "Flux Schnell"
category = "image"
price_rub = "12.00"
provider = "replicate"
provider_model = "black-forest-labs/flux-schnell"
provider_options = {{ params = {{ output_format = "png", num_outputs = 1 }} }}
timeout_s = 20
inputs = [
  {{ name = "prompt", type = "text", label = "Опишите картинку" }},
  {{ name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "16:9"], default = "1:1" }},
]

[[model]]
id = "flux-kontext"
title = "Flux Kontext"
category = "image"
price_rub = "20.00"
provider = "replicate"
provider_model = "black-forest-labs/flux-kontext-pro"
provider_options = {{ fields = {{ image = "input_image" }}, params = {{ output_format = "png" }} }}
timeout_s = 20
inputs = [
  {{ name = "image", type = "image", label = "Фото" }},
  {{ name = "prompt", type = "text", label = "Что изменить" }},
]

[[model]]
id = "sdxl"
title = "SDXL"
category = "image"
price_rub = "8.00"
provider = "replicate"
provider_model = "{SDXL}"
timeout_s = 20
inputs = [{{ name = "prompt", type = "text", label = "Текст" }}]

[[model]]
id = "llama"
title = "Llama 3"
category = "text"
price_rub = "2.00"
provider = "replicate"
provider_model = "meta/meta-llama-3-8b-instruct"
provider_options = {{ params = {{ max_tokens = 512 }} }}
timeout_s = 20
inputs = [{{ name = "prompt", type = "text", label = "Вопрос" }}]
'''


def settings_for(standin, **extra) -> dict:
    return {**plugin_settings(), "api_key": standin.key, "base_url": standin.url, **FAST, **extra}


def toml_for(standin, **extra) -> str:
    values = {**{k: v for k, v in settings_for(standin).items() if k in ("api_key", "base_url") or k in FAST},
              **extra}
    return "[replicate]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())


def model(provider_model="black-forest-labs/flux-schnell", category="image", options=None, inputs=None):
    return Model(id="m", title="M", category=category, price_rub=Decimal("1"), provider="replicate",
                 timeout_s=30, provider_model=provider_model,
                 inputs=inputs or (InputField("prompt", "text", "Prompt"),),
                 provider_options=options if options is not None else {"params": {"output_format": "png"}})


@pytest.fixture
def standin():
    server = ReplicateStandIn().start()
    yield server
    server.stop()


def request_for(m, inputs=None, **kwargs) -> GenerationRequest:
    ids = kwargs.pop("task_ids", [])
    return GenerationRequest(job_id=kwargs.pop("job_id", 7), user_id=1, model=m,
                             inputs=inputs or {"prompt": "a cat"}, deadline=time.monotonic() + kwargs.pop("timeout", 20),
                             set_task_id=ids.append, **kwargs)


# -- the shared contract ------------------------------------------------------------------------

class TestReplicateConformance(ProviderConformance):
    @pytest.fixture
    def scenario(self, standin):
        def make(behaviour):
            standin.script(behaviour)
            return Scenario(ReplicateProvider(settings_for(standin), None, loopback_fetch), model(), {"prompt": "a cat"},
                            remote_cancelled=lambda: standin.cancel_arrived)
        return make


# -- what is sent, what comes back ----------------------------------------------------------------

def test_an_official_model_is_created_by_name_and_its_files_fetched(standin):
    provider = ReplicateProvider(settings_for(standin), None, loopback_fetch)
    ids = []
    output = provider.generate(request_for(model(), {"prompt": "a cat"}, task_ids=ids))
    [create] = standin.creates()
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.headers["Authorization"] == f"Bearer {standin.key}"
    assert create.json() == {"input": {"output_format": "png", "prompt": "a cat"}}  # no webhook: no public URL
    assert ids == list(standin.predictions)
    [file] = output.files
    assert output.kind == "image" and output.urls == ()
    assert file.mime == "image/png" and file.data.startswith(b"\x89PNG") and file.name == "out-0.png"
    downloads = [c for c in standin.log if c.host == "delivery"]
    assert downloads and all("Authorization" not in c.headers for c in downloads)  # the key stays home
    assert standin.predictions[ids[0]].polled_final


def test_a_version_is_created_on_predictions_with_its_version(standin):
    provider = ReplicateProvider(settings_for(standin), "https://bot.example.test", loopback_fetch)
    m = model(SDXL, options={"params": {"num_outputs": 2}})
    output = provider.generate(request_for(m, job_id=41))
    [create] = standin.creates()
    assert create.path == "/v1/predictions"
    assert create.json() == {"version": SDXL.split(":")[1], "input": {"num_outputs": 2, "prompt": "a cat"},
                             "webhook": "https://bot.example.test/replicate/webhook/41",
                             "webhook_events_filter": ["completed"]}
    assert [f.mime for f in output.files] == ["image/png", "image/png"]


def test_inputs_are_renamed_and_listed_and_a_photo_goes_as_a_url(standin):
    m = model("black-forest-labs/flux-kontext-pro", inputs=(
        InputField("image", "image", "Фото"), InputField("prompt", "text", "Текст")),
        options={"fields": {"image": "input_image"}})
    provider = ReplicateProvider(settings_for(standin), None, loopback_fetch)
    req = request_for(m, {"image": {"telegram_file_id": "ph-1"}, "prompt": "blue"},
                      file_url=lambda value: "https://bot.example.test/files/tok.sig")
    provider.generate(req)
    assert standin.creates()[0].json()["input"] == {"input_image": "https://bot.example.test/files/tok.sig",
                                                    "prompt": "blue"}


def test_a_text_model_answer_is_joined(standin):
    provider = ReplicateProvider(settings_for(standin), None, loopback_fetch)
    output = provider.generate(request_for(model("meta/meta-llama-3-8b-instruct", "text", {})))
    assert output.kind == "text" and output.text == "".join(standin.text_tokens)


def test_a_file_over_the_limit_is_passed_on_as_its_url(standin):
    standin.output_bytes = b"x" * 5000
    provider = ReplicateProvider(settings_for(standin, max_output_bytes=1000), None, loopback_fetch)
    output = provider.generate(request_for(model()))
    assert output.files == () and len(output.urls) == 1 and output.urls[0].startswith(standin.delivery_url)


@pytest.mark.parametrize("setup,code,reason,operator_line", [
    (lambda s: setattr(s, "outcome", "failed"), "replicate_failed", "failed", None),
    (lambda s: setattr(s, "fail_error", "NSFW content detected. Try a different prompt.")
     or setattr(s, "outcome", "failed"), "replicate_failed", "rejected", None),
    (lambda s: s.refuse("create", 422), "replicate_422", "rejected", None),
    (lambda s: setattr(s, "key", "r8_another"), "replicate_401", "account", "refused the key"),
    (lambda s: s.refuse("create", 402), "replicate_402", "account", "out of credit"),
])
def test_failures_map_to_a_code_and_a_reason(standin, caplog, setup, code, reason, operator_line):
    setup(standin)
    provider = ReplicateProvider(settings_for(standin, api_key="r8_test-key"), None, loopback_fetch)
    with pytest.raises(GenerationFailed) as failure:
        provider.generate(request_for(model()))
    assert (failure.value.code, failure.value.reason) == (code, reason)
    assert failure.value.message
    if operator_line:  # what the operator must do, for the core's one ERROR line
        assert operator_line in failure.value.message
    # Nothing is retried once the account is known unusable, and the provider logs no ERROR.
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
    if code == "replicate_failed":
        assert failure.value.message == standin.fail_error


def test_a_cancelled_job_cancels_the_prediction(standin):
    standin.outcome = None
    provider = ReplicateProvider(settings_for(standin), None, loopback_fetch)
    ended = threading.Event()
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(
        _catch(lambda: provider.generate(request_for(model(), finished=ended.is_set)))))
    worker.start()
    standin.wait_until(lambda: standin.predictions)
    ended.set()
    worker.join(5)
    assert type(outcome[0]).__name__ == "FinishedElsewhere"
    assert standin.cancelled == list(standin.predictions)
    assert standin.requests_to("POST", "/v1/predictions/")[0].path.endswith("/cancel")


def test_a_job_past_its_deadline_cancels_the_prediction(standin):
    standin.outcome = None
    provider = ReplicateProvider(settings_for(standin), None, loopback_fetch)
    with pytest.raises(GenerationFailed) as failure:
        provider.generate(request_for(model(), timeout=1.0))
    assert failure.value.code == "timeout"
    assert standin.cancelled == list(standin.predictions)


def _catch(work):
    try:
        return work()
    except BaseException as exc:  # noqa: BLE001 - handed to the test thread
        return exc


# -- start-up: the key, the catalog ----------------------------------------------------------------

def test_a_refused_key_fails_the_plugin_with_replicates_words(standin, tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text(toml_for(standin, api_key="r8_wrong"))
    host = PluginHost(path, env={}).load()
    [entry] = [p for p in host.as_json() if p["name"] == "replicate"]
    assert entry["state"] == "failed"
    assert "replicate refused the key (401: You did not pass a valid authentication token)" in entry["reason"]
    assert [c.path for c in standin.log] == ["/v1/account"]


def test_an_unreachable_service_at_start_is_no_failure(tmp_path, caplog):
    path = tmp_path / "plugins.toml"
    path.write_text(f'[replicate]\napi_key = "r8_x"\nbase_url = "http://127.0.0.1:{free_port()}"\n')
    host = PluginHost(path, env={}).load()
    [entry] = [p for p in host.as_json() if p["name"] == "replicate"]
    assert entry["state"] == "enabled"
    assert "could not be checked" in caplog.text


def test_the_key_can_come_from_the_environment(standin, tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text(f'[replicate]\napi_key = {{ env = "REPLICATE_API_TOKEN" }}\nbase_url = "{standin.url}"\n')
    host = PluginHost(path, env={"REPLICATE_API_TOKEN": standin.key}).load()
    [entry] = [p for p in host.as_json() if p["name"] == "replicate"]
    assert entry["state"] == "enabled"
    assert standin.log[0].headers["Authorization"] == f"Bearer {standin.key}"


BROKEN = '''[[model]]
id = "bad-name"
title = "X"
category = "image"
price_rub = "1.00"
provider = "replicate"
provider_model = "flux-schnell"
inputs = [{ name = "prompt", type = "text", label = "T" }]

[[model]]
id = "bad-fields"
title = "Y"
category = "image"
price_rub = "1.00"
provider = "replicate"
provider_model = "black-forest-labs/flux-kontext-pro"
provider_options = { fields = { photo = "input_image" }, extra = 1 }
inputs = [{ name = "prompt", type = "text", label = "T" }]

[[model]]
id = "demo-image"
title = "Демо"
category = "image"
price_rub = "0"
provider = "demo"
inputs = [{ name = "prompt", type = "text", label = "Текст" }]
'''


def test_a_catalog_replicate_could_not_run_switches_it_off_and_says_why(standin, db_settings, bot_api,
                                                                        tmp_path, caplog):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(BROKEN)
    app, _client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=toml_for(standin),
                            CATALOG_FILE=str(catalog))
    try:
        assert provider_for(app) is None
        assert app.offer.catalog.get("bad-fields") is None
        assert app.offer.catalog.get("demo-image") is not None
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert any("model 'bad-name'" in e and "owner/name" in e for e in errors)
        assert any("model 'bad-fields'" in e and "'photo'" in e for e in errors)
        assert any("model 'bad-fields'" in e and "extra" in e for e in errors)
    finally:
        app.close()


def test_without_a_key_replicate_models_are_hidden(db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG)
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml="", CATALOG_FILE=str(catalog))
    try:
        assert app.offer.catalog.get("flux-schnell") is None
        assert client.post("/replicate/webhook/1", data=b"{}").status_code == 404
    finally:
        app.close()


# -- signatures ---------------------------------------------------------------------------------------

def test_signature_checks(standin):
    body = b'{"id": "abc", "status": "succeeded"}'
    now = int(time.time())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(now),
               "webhook-signature": "v1,bm9wZQ== " + standin.sign("msg_1", now, body)}
    assert signature_problem(standin.webhook_key, headers, body) is None  # any listed signature may match
    other = ReplicateStandIn.__new__(ReplicateStandIn)
    other.webhook_key = "whsec_" + "QUJD" * 8
    assert signature_problem(other.webhook_key, headers, body) == "no signature matches"  # wrong secret
    assert signature_problem(standin.webhook_key, headers, body + b" ") == "no signature matches"  # tampered
    stale = dict(headers, **{"webhook-timestamp": str(now - 301),
                             "webhook-signature": standin.sign("msg_1", now - 301, body)})
    assert "more than 300 s" in signature_problem(standin.webhook_key, stale, body)
    assert signature_problem(standin.webhook_key, {"webhook-id": "msg_1"}, body).startswith("missing")


# -- whole orders through the app -------------------------------------------------------------------------

class Kit:
    def __init__(self, app, client, standin, bot_api):
        self.app, self.client, self.standin, self.bot_api = app, client, standin, bot_api

    def send(self, update):
        from genbot.testing.app import exchange
        return exchange(self.client, self.bot_api, update)

    def order(self, model_id, *answers, user_id=USER):
        return order(self.send, user_id, model_id, *answers)

    def job_row(self, timeout=15.0):
        return wait_until(lambda: self.app.db.fetch_one(
            "SELECT id, task_id FROM generation_jobs WHERE user_id = %s AND task_id IS NOT NULL", (USER,)),
            timeout, lambda: f"no prediction; Replicate saw {[c.path for c in self.standin.log]}")

    def job(self, timeout=15.0):
        row = wait_until(lambda: self.app.db.fetch_one(
            "SELECT id FROM generation_jobs WHERE user_id = %s AND notified ORDER BY id DESC LIMIT 1",
            (USER,)), timeout, lambda: f"no finished job; Replicate saw {[c.path for c in self.standin.log]}")
        return self.app.jobs.get(row[0])

    def charged_once(self, price):
        assert self.app.balances.summary(USER) == (START - price, Decimal("0"))
        assert self.app.db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = %s "
                                     "AND type = 'deduction'", (USER,)) == (1,)
        assert ledger_differences(self.app.db) == []

    def released(self):
        assert self.app.balances.summary(USER) == (START, Decimal("0"))
        assert ledger_differences(self.app.db) == []


@pytest.fixture
def kit(db_settings, bot_api, tmp_path, standin, request):
    """The app with the test catalog and [replicate] on the stand-in; ``public`` gives it a
    public URL, and the stand-in's webhooks reach its route through the test client."""
    public = getattr(request, "param", False)
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG)
    env = {"CATALOG_FILE": str(catalog), "JOB_HEARTBEAT": "0.2"}
    if public:
        env["WEBHOOK_URL"] = "https://bot.example.test"
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=toml_for(standin), **env)
    standin.webhook_sender = lambda url, body, headers: client.post(urlsplit(url).path, data=body,
                                                                     headers=headers).status_code
    bot_api.add_file("ph-1", PHOTO)
    app.start_workers()
    app.balances.credit(USER, str(START))
    yield Kit(app, client, standin, bot_api)
    app.close()


def test_an_order_finished_by_polling_is_charged_and_delivered_once(kit):
    kit.order("flux-schnell", "неоновый город", ("choice", 1))
    job = kit.job()
    assert job.status == "succeeded", (job.error_code, job.error_message)
    assert kit.standin.creates()[0].json() == {"input": {"output_format": "png", "num_outputs": 1,
                                                         "prompt": "неоновый город", "aspect_ratio": "16:9"}}
    assert kit.standin.predictions[job.task_id].polled_final and kit.standin.webhooks == []
    kit.bot_api.wait_for("sendPhoto", chat_id=USER)
    time.sleep(0.3)
    assert len(kit.bot_api.calls_to("sendPhoto", USER)) == 1
    kit.charged_once(Decimal("12.00"))


def test_a_text_answer_is_delivered(kit):
    kit.order("llama", "Почему небо синее?")
    assert kit.job().status == "succeeded"
    kit.bot_api.wait_for_text("Fuzzy, gentle soul", USER)
    kit.charged_once(Decimal("2.00"))


def test_a_photo_model_is_refused_before_anything_is_held_without_a_public_url(kit, caplog):
    from genbot.testing import updates
    sent = kit.send(updates.callback(USER, "gen:m:flux-kontext"))
    assert not any("gen:go:" in json.dumps(m.get("reply_markup") or "") for m in sent)
    assert any("set WEBHOOK_URL" in r.getMessage() for r in caplog.records)
    assert kit.standin.creates() == []
    kit.released()


@pytest.mark.parametrize("kit", [True], indirect=True)
def test_an_order_finished_by_the_signed_webhook_once(kit):
    kit.standin.poll_lag_s = 3600  # polls never see the end: only the webhook can end the job
    kit.order("flux-kontext", ("photo", "ph-1"), "сделай фон синим")
    job = kit.job()
    assert job.status == "succeeded", (job.error_code, job.error_message)
    created = kit.standin.creates()[0].json()
    assert created["webhook"] == f"https://bot.example.test/replicate/webhook/{job.id}"
    assert created["webhook_events_filter"] == ["completed"]
    assert created["input"]["input_image"].startswith("https://bot.example.test/files/")
    assert not kit.standin.predictions[job.task_id].polled_final
    assert [w["status"] for w in kit.standin.webhooks] == [200]
    # Replicate retries a delivery "a few times": each repeat changes nothing.
    delivery = kit.standin.webhooks[0]
    barrier = threading.Barrier(4, timeout=10)

    def replay():
        barrier.wait()
        assert kit.client.post(urlsplit(delivery["url"]).path, data=delivery["body"],
                               headers=delivery["headers"]).status_code == 200

    threads = [threading.Thread(target=replay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kit.bot_api.wait_for("sendPhoto", chat_id=USER)
    time.sleep(0.5)  # the poller has woken and stopped without a second message by now
    assert len(kit.bot_api.calls_to("sendPhoto", USER)) == 1
    assert kit.standin.cancelled == []  # the prediction had ended: nothing to cancel
    kit.charged_once(Decimal("20.00"))


@pytest.mark.parametrize("kit", [True], indirect=True)
def test_a_failed_prediction_heard_by_webhook_fails_the_job_and_releases(kit):
    kit.standin.poll_lag_s = 3600
    kit.standin.outcome = "failed"
    kit.order("sdxl", "кот")
    job = kit.job()
    assert (job.status, job.error_code, job.error_message) == ("failed", "replicate_failed",
                                                               kit.standin.fail_error)
    assert not kit.standin.predictions[job.task_id].polled_final
    kit.released()
    assert "сервис не смог выполнить генерацию" in kit.bot_api.wait_for_text("Деньги не списаны", USER)["text"]


@pytest.mark.parametrize("kit", [True], indirect=True)
def test_the_webhook_route_refuses_forgeries(kit):
    kit.standin.outcome = None  # the prediction runs on; the test forges its ending
    kit.order("sdxl", "кот")
    job_id, task_id = kit.job_row()
    path = f"/replicate/webhook/{job_id}"
    body = json.dumps({"id": task_id, "status": "succeeded",
                       "output": ["https://evil.test/x.png"]}).encode()
    now = int(time.time())

    def post(data=body, at=now, key=None, sign_body=None, **extra):
        headers = {"webhook-id": "msg_x", "webhook-timestamp": str(at),
                   "webhook-signature": kit.standin.sign("msg_x", at, sign_body or data, key), **extra}
        return kit.client.post(path, data=data, headers=headers).status_code

    assert post(key="whsec_" + "QUJD" * 8) == 403  # another account's secret
    assert post(at=now - 600) == 403  # stale: a replay
    assert post(sign_body=body.replace(b"succeeded", b"failed")) == 403  # tampered
    assert kit.client.post(path, data=body).status_code == 401  # unsigned
    assert post(data=b"not json") == 400
    other = json.dumps({"id": "someotherprediction", "status": "succeeded", "output": []}).encode()
    assert post(data=other) == 200  # another prediction's: ignored
    assert kit.client.post("/replicate/webhook/999999", data=body, headers={
        "webhook-id": "msg_x", "webhook-timestamp": str(now),
        "webhook-signature": kit.standin.sign("msg_x", now, body)}).status_code == 404
    assert kit.app.jobs.get(job_id).status == "running"
    assert [c.path for c in kit.standin.log if c.path.endswith("/secret")] == ["/v1/webhooks/default/secret"]


@pytest.mark.parametrize("kit", [True], indirect=True)
def test_a_users_cancel_cancels_the_prediction_and_releases_the_hold(kit):
    from genbot.testing import updates
    kit.standin.outcome = None  # never ends by itself
    kit.order("sdxl", "кот")
    job_id, task_id = kit.job_row()
    kit.send(updates.callback(USER, f"gen:cancel:{job_id}"))
    assert kit.app.jobs.get(job_id).status == "cancelled"
    kit.standin.wait_until(lambda: kit.standin.cancelled == [task_id])
    # Replicate then sends the "completed" webhook of the canceled prediction: nothing changes.
    kit.standin.wait_until(lambda: [w for w in kit.standin.webhooks if w["status"] == 200])
    assert json.loads(kit.standin.webhooks[-1]["body"])["status"] == "canceled"
    assert kit.app.jobs.get(job_id).status == "cancelled"
    kit.released()
    assert kit.bot_api.calls_to("sendPhoto", USER) == []


# -- the real thing: `run.py serve`, webhooks over HTTP ------------------------------------------------------

@pytest.mark.slow
def test_served_app_is_ended_by_replicates_webhook_over_http(db_settings, bot_api, tmp_path, standin):
    from core.accounts.balances import Balances
    from core.accounts.users import UserCache
    from core.db import Database

    port = free_port()
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG)
    plugins = tmp_path / "plugins.toml"
    plugins.write_text(toml_for(standin))
    env = serve_env(db_settings, bot_api, QUICK_JOBS, PLUGINS_FILE=str(plugins), CATALOG_FILE=str(catalog),
                    WEBHOOK_URL=f"http://127.0.0.1:{port}", PORT=port)
    db = Database(db_settings, minconn=0, maxconn=2)
    balances = Balances(db, UserCache())
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        standin.poll_lag_s = 3600  # only the webhook, over HTTP to serve, can end the job
        balances.credit(USER, str(START))
        send = http_sender(server.url, bot_api)
        order(send, USER, "flux-schnell", "космос", ("choice", 0))
        bot_api.wait_for("sendPhoto", chat_id=USER, timeout=20)
        status = wait_until(lambda: (row := db.fetch_one(
            "SELECT status FROM generation_jobs WHERE user_id = %s", (USER,))) and row[0] != "running"
            and row[0], 10)
        assert status == "succeeded"
        standin.wait_until(lambda: standin.webhooks)  # recorded once serve has answered it
        assert [w["status"] for w in standin.webhooks] == [200]
        assert standin.webhooks[0]["url"].startswith(f"http://127.0.0.1:{port}/replicate/webhook/")
        assert not any(p.polled_final for p in standin.predictions.values())
        time.sleep(0.5)
        assert len(bot_api.calls_to("sendPhoto", USER)) == 1
        assert balances.summary(USER) == (START - Decimal("12.00"), Decimal("0"))
        assert ledger_differences(db) == []
    finally:
        server.stop()
        db.close()


def test_the_docs_page_names_every_setting():
    page = (Path(__file__).resolve().parents[1] / "docs/providers/replicate.md").read_text()
    for name in plugin_settings():
        assert f"`{name}`" in page, name
