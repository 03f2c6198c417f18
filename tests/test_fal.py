"""The fal provider against the fal stand-in over HTTP: the conformance test, the queue's
calls, fal's output shapes and failures, the key check, webhook signatures, and whole
orders through the app — finished by polling, by a signed webhook, and cancelled."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from core.accounts.balances import ledger_differences
from core.generation.catalog import InputField, Model
from core.host.plugin_host import PluginHost
from genbot import FinishedElsewhere, GenerationFailed, GenerationTimeout
from genbot.testing import loopback_fetch, updates
from genbot.testing.app import TOKEN, exchange, make_app
from genbot.testing.conformance import ProviderConformance, Scenario
from genbot.testing.waiting import wait_until
from plugins.providers.fal import KEY_FORMAT, provider_for
from plugins.providers.fal.provider import FalProvider
from plugins.providers.fal.signatures import WebhookVerifier
from tests.support.fal_standin import KEY, MP4, PNG, WAV, FalStandIn
from tests.support.flows import order

USER = 830
START = Decimal("500.00")
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF a user's photo for fal"

PROMPT = InputField("prompt", "text", "Описание")
ASPECT = InputField("aspect", "choice", "Формат", choices=("1:1", "16:9"))
PHOTO_IN = InputField("photo", "image", "Фото")
FLUX = Model("flux-dev", "FLUX dev", "image", Decimal("20.00"), "fal", 60, (PROMPT,), "fal-ai/flux/dev",
             provider_options={"params": {"num_images": 1}})
FLUX_ASPECT = Model("flux-dev", "FLUX dev", "image", Decimal("20.00"), "fal", 60, (PROMPT, ASPECT),
                    "fal-ai/flux/dev", provider_options={
                        "params": {"num_images": 1, "enable_safety_checker": True},
                        "inputs": {"aspect": "image_size"},
                        "values": {"image_size": {"1:1": "square_hd", "16:9": "landscape_16_9"}}})
KLING = Model("kling", "Kling", "video", Decimal("60.00"), "fal", 60, (PHOTO_IN, PROMPT),
              "fal-ai/kling-video/v2.1/standard/image-to-video",
              provider_options={"params": {"duration": "5"}, "inputs": {"photo": "image_url"}})
AUDIO = Model("stable-audio", "Stable Audio", "audio", Decimal("10.00"), "fal", 60, (PROMPT,),
              "fal-ai/stable-audio", provider_options={"params": {"seconds_total": 5}})
LLM = Model("any-llm", "Any LLM", "text", Decimal("2.00"), "fal", 60, (PROMPT,), "fal-ai/any-llm",
            provider_options={"params": {"model": "google/gemini-flash-1.5"}})

CATALOG = '''
[[model]]
id = "flux-dev"
title = "FLUX.1 dev"
category = "image"
price_rub = "20.00"
provider = "fal"
provider_model = "fal-ai/flux/dev"
timeout_s = 60
provider_options = { params = { num_images = 1 }, inputs = { aspect = "image_size" }, values = { image_size = { "1:1" = "square_hd", "16:9" = "landscape_16_9" } } }
inputs = [
  { name = "prompt", type = "text", label = "Описание" },
  { name = "aspect", type = "choice", label = "Формат", choices = ["1:1", "16:9"] },
]

[[model]]
id = "kontext"
title = "FLUX Kontext"
category = "image"
price_rub = "30.00"
provider = "fal"
provider_model = "fal-ai/flux-pro/kontext"
timeout_s = 60
provider_options = { inputs = { photo = "image_url" } }
inputs = [
  { name = "photo", type = "image", label = "Фото" },
  { name = "prompt", type = "text", label = "Что изменить" },
]
'''
FLUX_ANSWERS = ["неоновый город ночью", ("choice", 1)]


def settings(standin, **extra) -> dict:
    return {"api_key": standin.key, "queue_url": standin.url, "jwks_url": standin.jwks_url,
            "webhook_base_url": "", "key_check_url": "", "poll_initial_s": 0.05, "poll_max_s": 0.2,
            "request_timeout_s": 5.0, "max_retries": 2, "max_output_bytes": 20_000_000, **extra}


def provider(standin, webhook_base=None, files=None, **extra) -> FalProvider:
    return FalProvider(settings(standin, **extra), webhook_base, lambda fid: (files or {})[fid],
                       WebhookVerifier(standin.jwks_url, refresh_gap_s=0), loopback_fetch)


@pytest.fixture
def standin():
    fal = FalStandIn().start()
    yield fal
    fal.stop()


# -- the shared contract ------------------------------------------------------------------------

class TestFalConformance(ProviderConformance):
    @pytest.fixture
    def scenario(self, standin):
        def make(behaviour):
            standin.script(behaviour)
            return Scenario(provider(standin), FLUX, {"prompt": "a cat"},
                            remote_cancelled=lambda: standin.cancelled)
        return make


# -- the queue's calls ------------------------------------------------------------------------

def run(fal_provider, model, inputs, **kwargs):
    return Scenario(fal_provider, model, inputs).generate(**kwargs)


def test_submit_polls_the_returned_urls_and_fetches_the_images(standin):
    case = Scenario(provider(standin), FLUX_ASPECT, {"prompt": "a red fox", "aspect": "16:9"})
    output = case.generate()
    [submit] = standin.submits()
    assert submit.path == "/fal-ai/flux/dev" and "fal_webhook" not in submit.query
    assert submit.headers["Authorization"] == f"Key {KEY}"
    assert submit.json() == {"num_images": 1, "enable_safety_checker": True, "prompt": "a red fox",
                             "image_size": "landscape_16_9"}
    [request_id] = case.task_ids
    # The sub-path (/dev) is gone from the status and result URLs, as fal returns them.
    polls = standin.calls("GET", f"/fal-ai/flux/requests/{request_id}/status")
    assert len(polls) >= 2 and standin.requests[request_id].polled_final
    assert len(standin.calls("GET", f"/fal-ai/flux/requests/{request_id}")) == len(polls) + 1
    assert output.kind == "image" and output.urls == ()
    assert [(f.data, f.mime) for f in output.files] == [(PNG, "image/png")]
    # The result file was fetched without fal's key: the CDN is public.
    [fetched] = standin.calls("GET", "/files/")
    assert "Authorization" not in fetched.headers


def test_polls_grow_apart(standin):
    standin.stage_s = 1.0
    run(provider(standin, poll_initial_s=0.05, poll_max_s=0.4), FLUX, {"prompt": "x"})
    times = [c.at for c in standin.calls("GET", "/status")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps[0] < 0.15 and max(gaps) > 0.3


@pytest.mark.parametrize("model,kind,data,field", [(KLING, "video", MP4, "video"),
                                                   (AUDIO, "audio", WAV, "audio_file")])
def test_video_and_audio_outputs(standin, model, kind, data, field):
    inputs = {"prompt": "waves", "photo": {"url": "https://example.test/cat.jpg"}}
    output = run(provider(standin), model, inputs)
    assert output.kind == kind and [f.data for f in output.files] == [data]
    if model is KLING:
        assert standin.submits()[0].json() == {"duration": "5", "prompt": "waves",
                                               "image_url": "https://example.test/cat.jpg"}


def test_a_text_model_answers_text(standin):
    output = run(provider(standin), LLM, {"prompt": "Сколько планет?"})
    assert (output.kind, output.text) == ("text", "fal answers: Сколько планет?")


def test_a_file_over_the_cap_is_passed_as_its_url(standin):
    output = run(provider(standin, max_output_bytes=100), FLUX, {"prompt": "x"})
    assert output.files == () and len(output.urls) == 1 and output.urls[0].startswith(standin.url + "/files/")


def test_a_telegram_photo_goes_as_a_data_uri(standin):
    fal = provider(standin, files={"tg-1": (PHOTO, "image/jpeg")})
    run(fal, KLING, {"prompt": "wave", "photo": {"telegram_file_id": "tg-1"}})
    sent = standin.submits()[0].json()["image_url"]
    assert sent == "data:image/jpeg;base64," + base64.b64encode(PHOTO).decode()


def test_a_photo_that_cannot_be_fetched_is_the_photo_reason(standin):
    with pytest.raises(GenerationFailed) as failure:
        run(provider(standin), KLING, {"prompt": "wave", "photo": {"telegram_file_id": "gone"}})
    assert (failure.value.code, failure.value.reason) == ("input_unavailable", "photo")
    assert standin.submits() == []


# -- failures ----------------------------------------------------------------------------------------

def test_a_model_refusal_is_rejected_with_fals_detail(standin):
    standin.script("fail")
    with pytest.raises(GenerationFailed) as failure:
        run(provider(standin), FLUX, {"prompt": "x"})
    assert (failure.value.code, failure.value.reason) == ("fal_422", "rejected")
    assert "content checker" in failure.value.message and "content_policy_violation" in failure.value.message


def test_a_validation_error_is_rejected(standin):
    broken = Model("kontext", "K", "image", Decimal("1"), "fal", 60, (PROMPT,), "fal-ai/flux-pro/kontext")
    with pytest.raises(GenerationFailed) as failure:
        run(provider(standin), broken, {"prompt": "x"})
    assert (failure.value.code, failure.value.reason) == ("fal_422", "rejected")
    assert "image_url" in failure.value.message and "field required" in failure.value.message


def test_a_model_that_breaks_is_failed_not_retried(standin):
    standin.outcome = "error"
    standin.error = {"status": 500, "error_type": "internal_error", "detail": "CUDA out of memory"}
    with pytest.raises(GenerationFailed) as failure:
        run(provider(standin), FLUX, {"prompt": "x"})
    assert (failure.value.code, failure.value.reason) == ("fal_500", "failed")
    assert len(standin.calls("GET", "/fal-ai/flux/requests/")) >= 1


def test_a_refused_key_is_an_account_failure_that_says_what_to_fix(standin):
    fal = provider(standin, api_key="wrong-id:wrong-secret")
    with pytest.raises(GenerationFailed) as failure:
        run(fal, FLUX, {"prompt": "x"})
    assert (failure.value.code, failure.value.reason) == ("fal_401", "account")
    assert "refused the key" in failure.value.message and "[fal] api_key" in failure.value.message
    assert len(standin.calls("POST", "/fal-ai/flux")) == 1  # not retried


def test_a_service_down_past_the_retries_is_unavailable(standin):
    standin.fault(503, times=10)
    with pytest.raises(GenerationFailed) as failure:
        run(provider(standin), FLUX, {"prompt": "x"})
    assert (failure.value.code, failure.value.reason) == ("fal_503", "unavailable")
    assert len(standin.submits()) == 3  # max_retries = 2


def test_a_timeout_cancels_the_request_at_fal(standin):
    standin.script("hang")
    with pytest.raises(GenerationTimeout):
        run(provider(standin), FLUX, {"prompt": "x"}, timeout_s=0.8)
    [(request_id, status)] = standin.cancels
    assert status == 202 and standin.calls("PUT")[0].path == f"/fal-ai/flux/requests/{request_id}/cancel"


def test_a_job_ended_elsewhere_cancels_with_put(standin):
    standin.script("hang")
    ended = threading.Event()
    fal = provider(standin)
    worker = threading.Thread(target=lambda: pytest.raises(FinishedElsewhere, run, fal, FLUX, {"prompt": "x"},
                                                           finished=ended.is_set), daemon=True)
    worker.start()
    standin.wait_until(lambda: standin.calls("GET", "/status"))
    ended.set()
    worker.join(5)
    assert standin.wait_until(lambda: standin.cancelled)
    assert [c.headers["Authorization"] for c in standin.calls("PUT")] == [f"Key {KEY}"]


def test_cancel_after_completion_is_already_completed(standin):
    run(provider(standin), FLUX, {"prompt": "x"})
    request_id = next(iter(standin.requests))
    url = f"{standin.url}/fal-ai/flux/requests/{request_id}/cancel"
    answer_ = provider(standin).client.session().put(url, timeout=5)
    assert (answer_.status_code, answer_.json()) == (400, {"status": "ALREADY_COMPLETED"})


# -- the key check and the catalog -------------------------------------------------------------------

def plugin_state(tmp_path, toml: str, env=None) -> dict:
    path = tmp_path / "plugins.toml"
    path.write_text(toml, encoding="utf-8")
    host = PluginHost(path, env=env or {}).load()
    return next(p for p in host.as_json() if p["name"] == "fal")


def test_key_format():
    assert KEY_FORMAT.match(KEY) and not KEY_FORMAT.match("sk-123") and not KEY_FORMAT.match("a:b:c")


def test_a_refused_key_fails_the_plugin_with_the_reason(tmp_path, standin):
    bad_format = plugin_state(tmp_path, '[fal]\napi_key = "not-a-fal-key"\n')
    assert bad_format["state"] == "failed" and "key_id:key_secret" in bad_format["reason"]
    check = f'key_check_url = "{standin.url}/fal-ai/flux/requests/00000000/status"\n'
    refused = plugin_state(tmp_path, f'[fal]\napi_key = "bad-id:bad-secret"\n{check}')
    assert refused["state"] == "failed", refused
    assert "fal refused the key (401: Unauthorized" in refused["reason"]
    good = plugin_state(tmp_path, '[fal]\napi_key = { env = "FAL_KEY" }\n' + check, env={"FAL_KEY": KEY})
    assert good["state"] == "enabled", good
    unreachable = plugin_state(tmp_path, '[fal]\napi_key = "a:b"\nkey_check_url = "http://127.0.0.1:9/x"\n')
    assert unreachable["state"] == "enabled", unreachable


# -- webhook signatures ----------------------------------------------------------------------------------

def test_webhook_signatures(standin):
    verifier = WebhookVerifier(standin.jwks_url, refresh_gap_s=0)
    body = b'{"request_id": "r-1", "status": "OK", "payload": {}}'
    assert verifier.problem(standin.sign("r-1", body), body) is None
    assert verifier.problem(standin.sign("r-1", body, key=Ed25519PrivateKey.generate()), body) \
        == "no fal key verifies the signature"
    assert "more than 300 s" in verifier.problem(standin.sign("r-1", body, timestamp=int(time.time()) - 301), body)
    assert verifier.problem(standin.sign("r-1", body, timestamp=int(time.time()) + 200), body) is None
    assert verifier.problem(standin.sign("r-1", body), body + b" ") == "no fal key verifies the signature"
    assert verifier.problem(dict(standin.sign("r-1", body), **{"X-Fal-Webhook-Request-Id": "r-2"}), body)
    assert verifier.problem({}, body) == "signature headers missing"
    fetches = len(standin.calls("GET", "/.well-known/jwks.json"))
    # fal rotates its key: an unknown signature fetches the keys again.
    standin.signing_key = Ed25519PrivateKey.generate()
    assert verifier.problem(standin.sign("r-1", body), body) is None
    assert len(standin.calls("GET", "/.well-known/jwks.json")) == fetches + 1


# -- whole orders through the app -------------------------------------------------------------------------

@pytest.fixture
def kit(db_settings, bot_api, tmp_path, standin, request):
    options = dict(getattr(request, "param", {}))
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    values = settings(standin, **options)
    toml = "[fal]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=toml,
                           CATALOG_FILE=str(catalog), JOB_HEARTBEAT="0.2")
    standin.webhook_sender = lambda url, body, headers: client.post(
        urlsplit(url).path, data=body, headers=headers).status_code
    bot_api.add_file("ph-1", PHOTO)
    app.start_workers()
    app.balances.credit(USER, str(START))

    def send(update):
        return exchange(client, bot_api, update)

    yield app, client, send
    app.close()


def finished_job(app, timeout=20.0):
    row = wait_until(lambda: app.db.fetch_one(
        "SELECT id FROM generation_jobs WHERE user_id = %s AND notified ORDER BY id DESC LIMIT 1", (USER,)),
        timeout, "no finished job")
    return app.jobs.get(row[0])


def charged_once(app, price: Decimal) -> None:
    assert app.balances.summary(USER) == (START - price, Decimal("0"))
    assert app.db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = %s "
                            "AND type = 'deduction'", (USER,)) == (1,)
    assert ledger_differences(app.db) == []


def test_an_order_finished_by_polling(kit, standin, bot_api):
    app, _client, send = kit
    order(send, USER, "flux-dev", *FLUX_ANSWERS)
    job = finished_job(app)
    assert (job.status, job.error_code) == ("succeeded", None)
    [submit] = standin.submits()
    assert "fal_webhook" not in submit.query  # no public URL: polling only
    assert submit.json()["image_size"] == "landscape_16_9"
    assert standin.requests[job.task_id].polled_final and standin.webhooks == []
    bot_api.wait_for("sendPhoto", 1, chat_id=USER)
    charged_once(app, Decimal("20.00"))
    time.sleep(0.5)
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1


def test_a_photo_order_sends_the_photo_never_the_token(kit, standin, bot_api):
    app, _client, send = kit
    order(send, USER, "kontext", ("photo", "ph-1"), "сделай фон синим")
    assert finished_job(app).status == "succeeded"
    assert standin.submits()[0].json()["image_url"].endswith(base64.b64encode(PHOTO).decode())
    secret = TOKEN.split(":")[1]
    assert not any(secret in (c.path + c.body.decode("latin-1") + json.dumps(c.headers)) for c in standin.log)
    charged_once(app, Decimal("30.00"))


@pytest.mark.parametrize("kit", [{"webhook_base_url": "https://bot.example.test"}], indirect=True)
def test_an_order_finished_by_the_signed_webhook_once(kit, standin, bot_api):
    app, client, send = kit
    standin.poll_lag_s = 3600  # polls never see the end: only the webhook can
    order(send, USER, "flux-dev", *FLUX_ANSWERS)
    job = finished_job(app)
    assert job.status == "succeeded", (job.error_code, job.error_message)
    [submit] = standin.submits()
    assert submit.query["fal_webhook"] == [f"https://bot.example.test/fal/webhook/{job.id}"]
    [webhook] = standin.webhooks
    assert webhook["status"] == 200 and not standin.requests[job.task_id].polled_final
    bot_api.wait_for("sendPhoto", 1, chat_id=USER)
    # fal retries webhooks: repeats, even at once, change nothing.
    path = f"/fal/webhook/{job.id}"
    barrier = threading.Barrier(5, timeout=30)
    answers = []

    def replay():
        barrier.wait()
        answers.append(client.post(path, data=webhook["body"], headers=webhook["headers"]).status_code)

    threads = [threading.Thread(target=replay) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 5
    time.sleep(0.5)  # the poller has stopped without a second message by now
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1
    charged_once(app, Decimal("20.00"))
    assert standin.cancels == []  # fal said it was done: nothing to cancel
    # Forged or unreadable webhooks are refused.
    forged = standin.sign(job.task_id, webhook["body"], key=Ed25519PrivateKey.generate())
    assert client.post(path, data=webhook["body"], headers=forged).status_code == 401
    assert client.post(path, data=webhook["body"] + b" ", headers=webhook["headers"]).status_code == 401
    assert client.post(path, data=webhook["body"]).status_code == 401
    junk = b"not json"
    assert client.post(path, data=junk, headers=standin.sign(job.task_id, junk)).status_code == 400
    other = json.dumps({"request_id": "other", "status": "OK", "payload": {}}).encode()
    assert client.post(path, data=other, headers=standin.sign("other", other)).status_code == 200
    assert client.post("/fal/webhook/999999", data=webhook["body"], headers=webhook["headers"]).status_code == 404


@pytest.mark.parametrize("kit", [{"webhook_base_url": "https://bot.example.test"}], indirect=True)
def test_an_error_webhook_fails_the_job_and_releases(kit, standin, bot_api):
    app, _client, send = kit
    standin.poll_lag_s = 3600
    standin.script("fail")
    order(send, USER, "flux-dev", *FLUX_ANSWERS)
    job = finished_job(app)
    assert (job.status, job.error_code) == ("failed", "fal_422"), job.error_message
    assert "content checker" in job.error_message
    assert app.balances.summary(USER) == (START, Decimal("0"))
    assert ledger_differences(app.db) == []


@pytest.mark.parametrize("kit", [{"webhook_base_url": "https://bot.example.test"}], indirect=True)
def test_a_users_cancel_reaches_fal_and_a_late_result_is_never_charged(kit, standin, bot_api):
    app, client, send = kit
    standin.script("hang")
    order(send, USER, "flux-dev", *FLUX_ANSWERS)
    job_id, request_id = wait_until(lambda: app.db.fetch_one(
        "SELECT id, task_id FROM generation_jobs WHERE task_id IS NOT NULL"))
    send(updates.callback(USER, f"gen:cancel:{job_id}"))
    assert standin.wait_until(lambda: standin.cancelled)
    assert standin.cancels == [(request_id, 202)]
    assert app.jobs.get(job_id).status == "cancelled"
    assert app.balances.summary(USER) == (START, Decimal("0"))
    # fal's result arrives after all: answered, dropped, never charged.
    late = json.dumps({"request_id": request_id, "gateway_request_id": request_id, "status": "OK",
                       "payload": {"images": [{"url": "https://v3.fal.media/x.png",
                                               "content_type": "image/png"}]}}).encode()
    assert client.post(f"/fal/webhook/{job_id}", data=late, headers=standin.sign(request_id, late)).status_code == 200
    time.sleep(0.3)
    assert app.jobs.get(job_id).status == "cancelled"
    assert bot_api.calls_to("sendPhoto", USER) == []
    assert app.balances.summary(USER) == (START, Decimal("0"))
    assert ledger_differences(app.db) == []


def test_a_broken_catalog_entry_switches_fal_off(db_settings, bot_api, tmp_path, standin, caplog):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG.replace('provider_model = "fal-ai/flux/dev"', 'provider_model = "flux dev"')
                       .replace('inputs = { photo = "image_url" }', 'inputs = { picture = "image_url" }'),
                       encoding="utf-8")
    toml = "[fal]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings(standin).items())
    with caplog.at_level(logging.ERROR, "genbot.plugins.fal"):
        app, _client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=toml,
                                CATALOG_FILE=str(catalog))
    try:
        assert provider_for(app) is None
        assert app.offer.catalog.get("flux-dev") is None
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert any("model 'flux-dev': provider_model must be fal's endpoint id" in e for e in errors)
        assert any("model 'kontext': provider_options.inputs names 'picture'" in e for e in errors)
    finally:
        app.close()


def test_without_a_key_fal_models_are_hidden(db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(CATALOG, encoding="utf-8")
    app, _client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml="[fal]\n",
                            CATALOG_FILE=str(catalog))
    try:
        assert app.offer.catalog.get("flux-dev") is None
    finally:
        app.close()
