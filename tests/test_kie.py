"""The kie provider in-process against the Kie stand-in over HTTP: each family's request,
Kie's in-body errors, retries and limits, callbacks, photos and prompt limits."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from core.accounts.balances import ledger_differences
from genbot.providers import WindowLimiter, retry_after_seconds
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN, exchange, make_app, shown
from genbot.testing.waiting import wait_until
from plugins.providers.kie import callback_signature, provider_for
from plugins.providers.kie.webhook import sign
from tests.support.flows import order
from tests.support.kie_flows import PHOTO, SHIPPED, add_photos, kie_toml
from tests.support.kie_standin import KieStandIn, callback_bodies, result_urls

USER = 810
START = Decimal("500.00")
UNAVAILABLE = "сервис генерации сейчас недоступен"
CALLBACKS = '"https://bot.example.test"'


@dataclass
class Kit:
    app: object
    client: object
    standin: KieStandIn
    bot_api: object

    def send(self, update):
        return exchange(self.client, self.bot_api, update)

    def order(self, model_id: str, user_id: int = USER, answers=None):
        return order(self.send, user_id, model_id, *(answers or SHIPPED[model_id][0]))

    def job(self, user_id: int = USER, timeout: float = 20.0):
        """The user's last job once its user has been told how it ended."""
        row = wait_until(lambda: self.app.db.fetch_one(
            "SELECT id FROM generation_jobs WHERE user_id = %s AND notified ORDER BY id DESC LIMIT 1",
            (user_id,)), timeout, lambda: f"no finished job; Kie saw {[c.path for c in self.standin.log]}")
        return self.app.jobs.get(row[0])

    def created(self, path: str) -> list[dict]:
        return [json.loads(c.body) for c in self.standin.requests_to(path) if c.method == "POST"]

    def charged_once(self, user_id: int, price: Decimal) -> None:
        assert self.app.balances.summary(user_id) == (START - price, Decimal("0"))
        assert self.app.db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = %s "
                                     "AND type = 'deduction'", (user_id,)) == (1,)
        assert ledger_differences(self.app.db) == []

    def released(self, user_id: int = USER) -> None:
        assert self.app.balances.summary(user_id) == (START, Decimal("0"))
        assert ledger_differences(self.app.db) == []


@pytest.fixture
def kit(db_settings, bot_api, tmp_path, request):
    """The app with the shipped catalog (or ``catalog``) and [kie] pointed at the stand-in;
    the stand-in's callbacks reach the app's callback route (when ``callbacks`` is on)."""
    options = dict(getattr(request, "param", {}))
    standin = KieStandIn().start()
    standin.send_callbacks = options.pop("callbacks", False)
    standin.webhook_hmac_key = options.pop("standin_hmac_key", None)  # Kie signs with it
    env = dict(options.pop("env", {}))
    if "catalog" in options:
        path = tmp_path / "catalog.toml"
        path.write_text(options.pop("catalog"), encoding="utf-8")
        env["CATALOG_FILE"] = str(path)
    options.setdefault("callback_base_url", CALLBACKS)
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=kie_toml(standin, **options),
                           JOB_HEARTBEAT="0.2", **env)
    standin.callback_sender = lambda url, body, headers: client.post(
        urlsplit(url).path, json=body, headers=headers).status_code
    add_photos(bot_api)
    app.start_workers()
    app.balances.credit(USER, str(START))
    yield Kit(app, client, standin, bot_api)
    app.close()
    standin.stop()


def callback_url(app, job_id: int) -> str:
    return f"https://bot.example.test/kie/callback/{job_id}/{callback_signature(provider_for(app).callback_secret, job_id)}"


# -- each family, polled ----------------------------------------------------------------------

@pytest.mark.parametrize("model_id", list(SHIPPED))
def test_each_shipped_model_speaks_its_family(kit, model_id):
    answers, route, method = SHIPPED[model_id]
    kit.order(model_id)
    job = kit.job()
    assert job.status == "succeeded", (job.error_code, job.error_message)
    [body] = kit.created(route)
    uploads = list(kit.standin.uploads)
    prompt = next(a for a in answers if isinstance(a, str))
    cb = callback_url(kit.app, job.id)
    expected = {
        "flux-kontext": {"prompt": prompt, "aspectRatio": "16:9", "model": "flux-kontext-pro",
                         "inputImage": uploads[0] if uploads else None, "callBackUrl": cb},
        "gpt-image": {"model": "4o-image-api", "callBackUrl": cb, "input": {
            "prompt": prompt, "size": "3:2", "files_url": uploads}},
        "veo3-fast": {"prompt": prompt, "aspectRatio": "9:16", "model": "veo3_fast",
                      "imageUrls": uploads, "callBackUrl": cb},
        "kling-video": {"model": "kling/v2-1-pro", "callBackUrl": cb, "input": {
            "prompt": prompt, "image_url": uploads[0] if uploads else None, "duration": "5"}},
        "suno-music": {"prompt": prompt, "customMode": False, "instrumental": False, "model": "V4",
                       "callBackUrl": cb},
        "gpt-text": {"messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
                     "reasoning_effort": "low"},
    }[model_id]
    assert body == expected
    takes_photo = any(isinstance(a, tuple) and a[0] == "photo" for a in answers)
    assert len(uploads) == (1 if takes_photo else 0)
    if takes_photo:
        assert kit.standin.uploads[uploads[0]]["data"] == PHOTO
    delivered = kit.bot_api.wait_for(method, chat_id=USER)
    if model_id == "gpt-text":
        assert any(f"gpt-5-2 answers: {prompt}" in m.get("text", "") for m in delivered)
    else:
        field = {"sendPhoto": "photo", "sendVideo": "video", "sendAudio": "audio"}[method]
        calls = kit.bot_api.wait_for(method, 2 if model_id == "suno-music" else 1, chat_id=USER)
        assert [m[field] for m in calls] == result_urls(kit.standin.tasks[job.task_id])
    kit.charged_once(USER, kit.app.catalog.get(model_id).price_rub)


# -- Kie's errors inside HTTP 200 ------------------------------------------------------------------

def test_402_fails_the_job_releases_the_hold_and_tells_the_operator(kit, caplog):
    kit.standin.refuse("create", 402)
    kit.order("flux-kontext")
    job = kit.job()
    assert (job.status, job.error_code) == ("failed", "kie_402")
    kit.released()
    told = kit.bot_api.wait_for_text("Деньги не списаны", USER)["text"]
    assert UNAVAILABLE in told and "Insufficient" not in told  # not the user's fault
    [line] = [r for r in caplog.records if r.levelname == "ERROR" and "out of credits" in r.getMessage()]
    assert line.getMessage().startswith("provider kie cannot be used")
    assert f"Job {job.id} of user {USER}" in line.getMessage() and "hold released" in line.getMessage()
    assert len(kit.standin.requests_to("/api/v1/flux/kontext/generate")) == 1  # not retried


@pytest.mark.parametrize("route,code", [("create", 429), ("create", 455), ("poll", 429), ("poll", 455),
                                        ("create", 500)])
def test_busy_and_maintenance_codes_are_retried_then_succeed(kit, route, code):
    kit.standin.refuse(route, code)
    kit.order("kling-video")
    job = kit.job()
    assert job.status == "succeeded", (job.error_code, job.error_message)
    creates = kit.standin.requests_to("/api/v1/jobs/createTask")
    assert len(creates) == (2 if route == "create" else 1)
    if route == "create":
        assert creates[1].at - creates[0].at >= 0.9  # backed off
    kit.charged_once(USER, Decimal("80.00"))


def test_5xx_until_the_retries_run_out_fails_and_releases(kit):
    kit.standin.refuse("poll", 500, 500, 500)  # max_retries = 2: three tries
    kit.order("veo3-fast")
    job = kit.job(timeout=30)
    assert (job.status, job.error_code) == ("failed", "kie_500")
    assert len(kit.standin.requests_to("/api/v1/veo/record-info")) == 3
    kit.released()
    assert UNAVAILABLE in kit.bot_api.wait_for_text("Деньги не списаны", USER)["text"]


def test_a_refused_key_is_the_operators_problem(kit, caplog):
    kit.standin.key = "another-key"  # Kie now refuses ours: {"code":401,...}
    kit.order("suno-music")
    job = kit.job()
    assert (job.status, job.error_code) == ("failed", "kie_401")
    kit.released()
    assert any("refused the API key" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert UNAVAILABLE in kit.bot_api.wait_for_text("Деньги не списаны", USER)["text"]


@pytest.mark.parametrize("model_id,code,reason,told", [
    ("kling-video", "kie_422", "Invalid prompt: prompt contains prohibited content", "сервис отклонил запрос"),
    ("flux-kontext", "kie_501", "Image generation task failed", "сервис не смог выполнить генерацию"),
    ("gpt-image", "kie_422", "Invalid prompt: prompt contains prohibited content", "сервис отклонил запрос"),
    ("suno-music", "kie_400", "lyrics contained copyrighted material", "сервис отклонил запрос"),
])
def test_a_failed_task_keeps_kies_reason_and_tells_the_user_in_russian(kit, caplog, model_id, code,
                                                                        reason, told):
    kit.standin.fail_tasks = True
    kit.order(model_id)
    job = kit.job()
    assert (job.status, job.error_code, job.error_message) == ("failed", code, reason)
    kit.released()
    text = kit.bot_api.wait_for_text(told, USER)["text"]
    assert reason not in text and "kie" not in text.lower()
    assert any(reason in r.getMessage() and f"job {job.id}" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kit", [{"catalog": '''[[model]]
id = "flux-kontext"
title = "Flux"
category = "image"
price_rub = "25.00"
provider = "kie"
provider_model = "flux-kontext-pro"
provider_options = { api = "flux-kontext" }
timeout_s = 5
inputs = [{ name = "prompt", type = "text", label = "Текст" }]
'''}], indirect=True)
def test_a_task_that_never_ends_times_out_and_releases(kit):
    kit.standin.poll_lag_s = 3600
    kit.order("flux-kontext", answers=["космос"])
    job = kit.job(timeout=40)
    assert job.status == "timeout"
    kit.released()
    kit.bot_api.wait_for_text("Деньги возвращены", USER)


# -- limits ----------------------------------------------------------------------------------------

OLD_4O = '''[[model]]
id = "gpt-image-old"
title = "4o, the old API"
category = "image"
price_rub = "30.00"
provider = "kie"
provider_options = { api = "4o-image-old" }
inputs = [
  { name = "prompt", type = "text", label = "Что нарисовать" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "3:2", "2:3"] },
]
'''
FAST_POLLS = {"poll_initial_s": "0.05", "poll_max_s": "0.05"}


@pytest.mark.parametrize("kit,model_id,path,answers", [
    ({**FAST_POLLS, "catalog": OLD_4O}, "gpt-image-old", "/api/v1/gpt4o-image/record-info",
     ["кот", ("choice", 0)]),
    (FAST_POLLS, "suno-music", "/api/v1/generate/record-info", None)], indirect=["kit"])
def test_polling_keeps_to_kies_per_task_limit(kit, model_id, path, answers):
    kit.standin.stage_s = 0.6  # long enough for several polls
    kit.order(model_id, answers=answers)
    assert kit.job().status == "succeeded"
    polls = [c.at for c in kit.standin.requests_to(path)]
    assert len(polls) >= 3
    assert min(b - a for a, b in zip(polls, polls[1:], strict=False)) > 1 / 3  # Kie: 3 a second
    assert kit.standin.limit_hits == []


@pytest.mark.parametrize("kit", [{"create_limit": "2", "create_window_s": "2.0"}], indirect=True)
def test_task_creation_has_its_own_lower_limit(kit):
    kit.standin.create_limit = (3, 1.5)  # Kie's, more generous than ours, as 20/10 s is to 15/10 s
    users = [USER + 1, USER + 2, USER + 3, USER + 4]
    for user in users:
        kit.app.balances.credit(user, str(START))
    for user in users:  # four jobs queued at once, for four workers
        kit.order("flux-kontext", user)
    for user in users:
        assert kit.job(user).status == "succeeded"
    creates = sorted(c.at for c in kit.standin.requests_to("/api/v1/flux/kontext/generate"))
    assert len(creates) == 4 and creates[2] - creates[0] >= 1.5  # two, then a wait
    assert kit.standin.limit_hits == []  # genbot waited; Kie never had to refuse


# -- callbacks ---------------------------------------------------------------------------------------

HMAC_KEY = "kie-webhook-hmac-key"
# [kie] webhook_hmac_key set (from the environment), and Kie signing with the same key.
SIGNED = {"webhook_hmac_key": '{ env = "KIE_WEBHOOK_HMAC_KEY" }', "env": {"KIE_WEBHOOK_HMAC_KEY": HMAC_KEY},
          "standin_hmac_key": HMAC_KEY}


@pytest.mark.parametrize("kit", [{"callbacks": True}, {"callbacks": True, **SIGNED}], indirect=True,
                         ids=["url-secret", "kie-signature"])
@pytest.mark.parametrize("model_id", [m for m in SHIPPED if m != "gpt-text"])
def test_a_callback_ends_the_job_once(kit, model_id):
    kit.standin.poll_lag_s = 3600  # polls never see the end: only the callback can
    kit.order(model_id)
    job = kit.job()
    assert job.status == "succeeded", (job.error_code, job.error_message)
    task = kit.standin.tasks[job.task_id]
    assert not task.polled_final
    assert [c["status"] for c in kit.standin.callbacks if c["task"] == task.task_id][-1] == 200
    method = SHIPPED[model_id][2]
    count = 2 if model_id == "suno-music" else 1
    kit.bot_api.wait_for(method, count, chat_id=USER)
    time.sleep(0.7)  # the poller has noticed by now and stopped without a second message
    assert len(kit.bot_api.calls_to(method, USER)) == count
    kit.charged_once(USER, kit.app.catalog.get(model_id).price_rub)


@pytest.mark.parametrize("kit", [{"callbacks": True}], indirect=True)
def test_suno_stage_callbacks_do_not_end_the_job(kit):
    kit.standin.poll_lag_s = 3600
    kit.standin.stage_s = 0.4
    kit.order("suno-music")
    job_id = wait_until(lambda: kit.app.db.fetch_one("SELECT id FROM generation_jobs"))[0]
    kit.standin.wait_until(lambda: [c for c in kit.standin.callbacks if c["body"]["data"]["callbackType"] == "first"])
    assert kit.app.jobs.get(job_id).status == "running"  # text and first are only stages
    job = kit.job()
    assert job.status == "succeeded"
    assert [c["body"]["data"]["callbackType"] for c in kit.standin.callbacks] == ["text", "first", "complete"]


@pytest.mark.parametrize("kit", [{"callbacks": True}], indirect=True)
def test_a_failure_callback_fails_the_job_and_releases(kit):
    kit.standin.poll_lag_s = 3600
    kit.standin.fail_tasks = True
    kit.order("veo3-fast")
    job = kit.job()
    assert (job.status, job.error_code, job.error_message) == ("failed", "kie_501", "Video generation task failed")
    kit.released()


@pytest.mark.parametrize("kit", [{"callbacks": True}], indirect=True)
def test_callback_and_polling_together_send_one_result(kit):
    kit.standin.stage_s = 0.3
    kit.order("flux-kontext")
    job = kit.job()
    # Replays of the callback, as Kie documents it may send them, change nothing.
    callback = next(c for c in kit.standin.callbacks if c["task"] == job.task_id)
    barrier = threading.Barrier(6, timeout=30)

    def replay():
        barrier.wait()
        kit.client.post(urlsplit(callback["url"]).path, json=callback["body"])

    threads = [threading.Thread(target=replay) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.7)
    assert len(kit.bot_api.calls_to("sendPhoto", USER)) == 1
    kit.charged_once(USER, Decimal("25.00"))


@pytest.mark.parametrize("kit", [{"poll_initial_s": "20", "poll_max_s": "20"}], indirect=True)
def test_an_unreadable_callback_makes_the_poller_look_now(kit):
    kit.order("flux-kontext")
    job_id, task_id = wait_until(lambda: kit.app.db.fetch_one(
        "SELECT id, task_id FROM generation_jobs WHERE task_id IS NOT NULL"))
    kit.standin.wait_until(lambda: time.monotonic() > kit.standin.tasks[task_id].finished_at)
    # Kie's shape, but no result where the page puts it: poll instead of guessing.
    answer = kit.client.post(urlsplit(callback_url(kit.app, job_id)).path,
                             json={"code": 200, "msg": "ok", "data": {"taskId": task_id, "info": {}}})
    assert answer.status_code == 200
    started = time.monotonic()
    assert kit.job().status == "succeeded"
    assert time.monotonic() - started < 10  # well before the 20 s pause


def test_the_callback_route_refuses_forgeries(kit):
    kit.order("flux-kontext")
    job_id = wait_until(lambda: kit.app.db.fetch_one("SELECT id FROM generation_jobs"))[0]
    path = urlsplit(callback_url(kit.app, job_id)).path
    body = {"code": 200, "msg": "ok", "data": {"taskId": "x", "info": {"resultImageUrl": "https://evil.test/x.png"}}}
    assert kit.client.post(path[:-4] + "0000", json=body).status_code == 403
    assert kit.client.post(f"/kie/callback/{job_id}x/{path.rsplit('/', 1)[1]}", json=body).status_code == 403
    assert kit.client.post(path, data=b"not json").status_code == 400
    other = urlsplit(callback_url(kit.app, job_id + 1000)).path
    assert kit.client.post(other, json=body).status_code == 404
    job = kit.job()
    assert job.status == "succeeded"
    assert kit.client.post(path, json=body).status_code == 200  # another task's callback: ignored
    assert kit.bot_api.calls_to("sendPhoto", USER)[0]["photo"].startswith("https://tempfile.kie.test/")


# -- Kie's webhook signature ([kie] webhook_hmac_key) ---------------------------------------------------

def finished_task(kit):
    """The job and its task, once Kie has finished the task (its callback not sent)."""
    job_id, task_id = wait_until(lambda: kit.app.db.fetch_one(
        "SELECT id, task_id FROM generation_jobs WHERE task_id IS NOT NULL"))
    kit.standin.wait_until(lambda: time.monotonic() > kit.standin.tasks[task_id].finished_at)
    return job_id, kit.standin.tasks[task_id]


@pytest.mark.parametrize("kit", [SIGNED], indirect=True)
def test_with_the_key_only_kies_signature_ends_a_job(kit, caplog):
    kit.standin.poll_lag_s = 3600  # only a callback can end the job
    kit.order("flux-kontext")
    job_id, task = finished_task(kit)
    path = urlsplit(task.callback_url).path
    [(_after, body)] = callback_bodies(task)
    now = int(time.time())
    forged = dict(kit.standin.signed_headers(task.task_id, now), **{"X-Webhook-Signature": sign(
        "another key", task.task_id, now)})
    refused = {
        "the URL secret alone": {},
        "a forged signature": forged,
        "a stale signature": kit.standin.signed_headers(task.task_id, now - 400),
        "a signature from the future": kit.standin.signed_headers(task.task_id, now + 400),
        "another task's signature": kit.standin.signed_headers("task_flux-kontext_999", now),
        "a timestamp that is not a number": dict(kit.standin.signed_headers(task.task_id, now),
                                                 **{"X-Webhook-Timestamp": f"{now}.0"}),
    }
    for what, headers in refused.items():
        answer = kit.client.post(path, json=body, headers=headers)
        assert answer.status_code == 401, what
    # Signed for this task, but the body names another one too: which did Kie sign?
    two_ids = dict(body, taskId="task_flux-kontext_999")
    assert kit.client.post(path, json=two_ids, headers=kit.standin.signed_headers(task.task_id)).status_code == 401
    # The URL secret stays a second check: Kie's signature on another job's URL is refused.
    assert kit.client.post(path[:-4] + "0000", json=body,
                           headers=kit.standin.signed_headers(task.task_id)).status_code == 403

    # Nothing changed: the job runs, the price is still held, the user was sent nothing.
    price = kit.app.catalog.get("flux-kontext").price_rub
    assert kit.app.jobs.get(job_id).status == "running"
    assert kit.app.balances.summary(USER) == (START - price, price)
    assert kit.bot_api.calls_to("sendPhoto", USER) == []
    warnings = [r.getMessage() for r in caplog.records if "callback refused" in r.getMessage()]
    assert len(warnings) == len(refused) + 1
    assert all(r.levelname == "WARNING" for r in caplog.records if "callback refused" in r.getMessage())
    assert all(f"job {job_id} of user {USER}" in w and "nothing changed" in w for w in warnings)
    assert not any(HMAC_KEY in r.getMessage() for r in caplog.records)

    # Kie's own callback, signed as Kie documents, ends the job: charged once, sent once.
    kit.standin.call_back_now(task.task_id)
    assert kit.standin.callbacks[-1]["status"] == 200
    assert kit.job().status == "succeeded"
    kit.bot_api.wait_for("sendPhoto", chat_id=USER)
    kit.charged_once(USER, price)


@pytest.mark.parametrize("kit", [{"callbacks": True, "webhook_hmac_key": f'"{HMAC_KEY}"'}], indirect=True)
def test_a_key_kie_does_not_sign_with_leaves_the_job_to_polling(kit, caplog):
    # The key is set here but not switched on at Kie: its callbacks come unsigned.
    kit.standin.poll_lag_s = 1.0
    kit.order("veo3-fast")
    job = kit.job()
    assert job.status == "succeeded"
    task = kit.standin.tasks[job.task_id]
    assert [c["status"] for c in kit.standin.callbacks] == [401]
    assert task.polled_final  # the poller ended it
    [line] = [r.getMessage() for r in caplog.records if "callback refused" in r.getMessage()]
    assert "no X-Webhook-Timestamp and X-Webhook-Signature headers" in line and "kie.ai/settings" in line
    kit.charged_once(USER, kit.app.catalog.get("veo3-fast").price_rub)


@pytest.mark.parametrize("key,said", [
    ("", "callbacks are checked by the secret in their URL only; to check Kie's X-Webhook-Signature "
         "too, generate the Webhook HMAC key at https://kie.ai/settings and set [kie] webhook_hmac_key"),
    (HMAC_KEY, "callbacks must carry Kie's X-Webhook-Signature, checked with [kie] webhook_hmac_key"),
])
def test_the_start_says_how_callbacks_are_checked(db_settings, bot_api, tmp_path, caplog, key, said):
    caplog.set_level(logging.INFO, "genbot.plugins.kie")
    standin = KieStandIn().start()
    app, _client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=kie_toml(
        standin, callback_base_url=CALLBACKS, webhook_hmac_key=f'"{key}"'))
    try:
        assert provider_for(app) is not None
        [line] = [r for r in caplog.records if "callbacks" in r.getMessage() and "checked" in r.getMessage()]
        assert line.levelname == "INFO" and said in line.getMessage()
        assert not key or key not in line.getMessage()
    finally:
        app.close()
        standin.stop()


# -- photos, prompts, the catalog ----------------------------------------------------------------------

def test_a_telegram_photo_reaches_kie_as_an_uploaded_files_url_never_with_the_token(kit):
    kit.order("kling-video")
    assert kit.job().status == "succeeded"
    [upload] = kit.standin.requests_to("/api/file-stream-upload")
    assert upload.host == "upload" and PHOTO in upload.body
    [created] = kit.created("/api/v1/jobs/createTask")
    assert created["input"]["image_url"] in kit.standin.uploads
    assert kit.standin.uploads[created["input"]["image_url"]]["data"] == PHOTO
    assert kit.bot_api.file_downloads  # fetched through the Bot API
    secret = TOKEN.split(":")[1]
    for call in kit.standin.log:
        assert TOKEN not in call.text() and secret not in call.text(), call.path
        assert "/file/bot" not in call.text()


def test_without_webhook_url_a_photo_model_still_works(kit):
    assert kit.app.config.webhook_url is None  # genbot serves no link; the upload needs none
    kit.order("gpt-image")
    assert kit.job().status == "succeeded"


def test_a_photo_that_cannot_be_fetched_fails_in_russian_and_releases(kit):
    kit.order("kling-video", answers=[("photo", "ph-gone"), "кот"])  # Telegram has no such file
    job = kit.job()
    assert (job.status, job.error_code) == ("failed", "input_unavailable")
    kit.released()
    assert "не удалось получить ваше фото" in kit.bot_api.wait_for_text("Деньги не списаны", USER)["text"]
    assert kit.standin.requests_to("/api/v1/jobs/createTask") == []


def test_a_prompt_over_the_suno_limit_is_refused_before_anything_is_held(kit):
    kit.send(updates.callback(USER, "gen:m:suno-music"))
    sent = kit.send(updates.message(USER, "а" * 501))
    assert any("длиннее 500 символов" in (m.get("text") or "") for m in sent)
    assert kit.app.balances.summary(USER) == (START, Decimal("0"))
    sent = kit.send(updates.message(USER, "а" * 500))  # at the limit: accepted
    assert any("gen:go:" in json.dumps(m.get("reply_markup") or "") for m in sent)
    assert kit.standin.log == []


CHAT_STREAM = '''[[model]]
id = "gemini"
title = "Gemini"
category = "text"
price_rub = "2.00"
provider = "kie"
provider_model = "gemini-3-pro"
provider_options = { api = "chat", params = { stream = true } }
inputs = [{ name = "prompt", type = "text", label = "Вопрос" }]
'''


@pytest.mark.parametrize("kit", [{"catalog": CHAT_STREAM}], indirect=True)
def test_a_streamed_chat_answer_is_put_together(kit):
    kit.order("gemini", answers=["Почему небо синее?"])
    assert kit.job().status == "succeeded"
    kit.bot_api.wait_for_text("gemini-3-pro answers: Почему небо синее?", USER)
    kit.charged_once(USER, Decimal("2.00"))


BROKEN = '''[[model]]
id = "flux-kontext"
title = "Flux"
category = "image"
price_rub = "25.00"
provider = "kie"
provider_model = "flux-kontext-pro"
provider_options = { api = "flux-kontext" }
inputs = [
  { name = "prompt", type = "text", label = "Текст" },
  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1", "2:1"] },
]

[[model]]
id = "suno-music"
title = "Suno"
category = "audio"
price_rub = "40.00"
provider = "kie"
provider_model = "V4"
provider_options = { api = "suno", params = { customMode = false, instrumental = false } }
inputs = [{ name = "prompt", type = "text", label = "Песня", max_length = 1000 }]

[[model]]
id = "kling"
title = "Kling"
category = "video"
price_rub = "40.00"
provider = "kie"
provider_model = "kling/v2-1-pro"
provider_options = { api = "market" }
inputs = [{ name = "image", type = "image", label = "Фото" }, { name = "prompt", type = "text", label = "Текст" }]

[[model]]
id = "demo-image"
title = "Демо"
category = "image"
price_rub = "0"
provider = "demo"
inputs = [{ name = "prompt", type = "text", label = "Текст" }]
'''


@pytest.mark.parametrize("kit", [{"catalog": BROKEN}], indirect=True)
def test_a_catalog_kie_would_refuse_switches_the_provider_off_and_says_why(kit, caplog):
    assert provider_for(kit.app) is None
    assert kit.app.offer.catalog.get("flux-kontext") is None
    assert kit.app.offer.catalog.get("demo-image") is not None
    errors = [r.getMessage() for r in caplog.get_records("setup") if r.levelname == "ERROR"]
    assert any("model 'flux-kontext'" in e and "aspect_ratio" in e and "2:1" in e for e in errors)
    assert any("model 'suno-music'" in e and "max_length 1000" in e and "500" in e for e in errors)
    assert any("model 'kling'" in e and "image_field" in e for e in errors)


def test_without_a_key_kie_models_are_hidden(db_settings, bot_api, tmp_path, caplog):
    caplog.set_level(logging.INFO, "genbot.app")
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path)
    try:
        assert app.offer.catalog.get("flux-kontext") is None
        assert app.offer.catalog.get("demo-image") is not None
        # Not configured yet is the usual case: said once, not warned about.
        [said] = [r for r in caplog.records if "model(s) of provider 'kie'" in r.getMessage()]
        assert said.levelname == "INFO" and "6 model(s) of provider 'kie' hidden until it is configured" \
            in said.getMessage()
        assert client.post("/kie/callback/1/x", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                           ).status_code == 404
        sent = exchange(client, bot_api, updates.callback(USER, "gen:m:flux-kontext"))
        assert "недоступна" in shown(sent)[0]
    finally:
        app.close()


# -- the pieces ----------------------------------------------------------------------------------------

def test_window_limiter_allows_count_per_window():
    limiter = WindowLimiter(3, 0.5)
    waits = [limiter.wait_time() for _ in range(4)]
    assert waits[:3] == [0.0] * 3 and 0 < waits[3] <= 0.5
    time.sleep(waits[3] + 0.01)
    assert limiter.wait_time() == 0.0


@pytest.mark.parametrize("value,expected", [("3", 3.0), ("0", 0.0), (None, 1.5), ("soon", 1.5)])
def test_retry_after(value, expected):
    assert retry_after_seconds(value, 1.5) == expected


@pytest.mark.parametrize("kit", [{"callback_base_url": '""'}], indirect=True)
def test_suno_without_a_callback_url_fails_at_once_and_says_so(kit, caplog):
    assert any("needs a callback URL" in r.getMessage() for r in caplog.get_records("setup"))
    kit.order("suno-music")
    job = kit.job()
    assert (job.status, job.error_code) == ("failed", "kie_no_callback_url")
    kit.released()
    assert kit.standin.log == []  # Kie requires callBackUrl: nothing was sent without one


@pytest.mark.parametrize("code,status,retried", [(429, "succeeded", True), (401, "failed", False)])
def test_chat_errors_come_as_http_statuses(kit, code, status, retried):
    kit.standin.refuse("chat", code)
    kit.order("gpt-text")
    job = kit.job()
    assert job.status == status
    assert len(kit.standin.requests_to("/gpt-5-2/v1/chat/completions")) == (2 if retried else 1)
    if status == "failed":
        assert job.error_code == "kie_401"
        kit.released()
