"""The kie provider against a fake Kie server over HTTP, with its failure modes."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest

from core.balances import ledger_differences
from plugins.providers.kie import (
    RateLimiter,
    callback_signature,
    provider_for,
    retry_after_seconds,
)
from tests.support import updates
from tests.support.app import SECRET, TOKEN, exchange, make_app
from tests.support.fake_kie import RESULT_URL, FakeKie
from tests.support.flows import confirm_token, generate

USER = 810
PRICE = Decimal("25.00")  # flux-kontext in the shipped catalog


def kie_toml(fake, **extra) -> str:
    settings = {"api_key": '"kie-test-key"', "base_url": f'"{fake.url}"', "poll_initial_s": "0.1",
                "poll_max_s": "0.3", "max_retries": "2", "request_timeout_s": "1.0",
                "callback_base_url": '"https://bot.example.test"', **extra}
    return "[kie]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())


@pytest.fixture
def kie(db_settings, bot_api, tmp_path, request):
    mode, timeout = getattr(request, "param", ("poll", None))
    fake = FakeKie(mode).start()
    catalog = None
    if timeout:
        catalog = tmp_path / "catalog.toml"
        catalog.write_text('[[model]]\nid = "flux-kontext"\ntitle = "Flux"\ncategory = "image"\n'
                           f'price_rub = "25.00"\nprovider = "kie"\ntimeout_s = {timeout}\n'
                           'inputs = [{ name = "prompt", type = "text", label = "Текст" },\n'
                           '  { name = "aspect_ratio", type = "choice", label = "Формат", choices = ["1:1"] }]\n')
    env = {"CATALOG_FILE": str(catalog)} if catalog else {}
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=kie_toml(fake),
                           JOB_HEARTBEAT="0.2", **env)
    app.start_workers()
    app.balances.credit(USER, "100.00")
    yield app, client, fake, (lambda update: exchange(client, bot_api, update))
    app.close()
    fake.stop()


def finished_job(app, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = app.db.fetch_one("SELECT id FROM generation_jobs WHERE notified ORDER BY id DESC LIMIT 1")
        if row:
            return app.jobs.get(row[0])
        time.sleep(0.05)
    raise AssertionError("no finished job")


def start_flux(send):
    generate(send, USER, "flux-kontext", "космос", ("choice", 0))


def test_success_by_polling(kie, bot_api):
    app, _, fake, send = kie
    start_flux(send)
    job = finished_job(app)
    assert job.status == "succeeded" and job.task_id == "task-1"
    created = fake.created[0]
    assert created["model"] == "flux-kontext-pro"
    assert created["input"] == {"prompt": "космос", "aspect_ratio": "1:1"}
    assert created["callBackUrl"] == (f"https://bot.example.test/kie/callback/{job.id}/"
                                      f"{callback_signature(provider_for(app).callback_secret, job.id)}")
    assert bot_api.wait_for("sendPhoto", chat_id=USER)[0]["photo"] == RESULT_URL
    assert app.balances.summary(USER) == (Decimal("100.00") - PRICE, Decimal("0"))
    assert ledger_differences(app.db) == []


def post_callback(client, app, job_id, record, signature=None):
    signature = signature or callback_signature(provider_for(app).callback_secret, job_id)
    return client.post(f"/kie/callback/{job_id}/{signature}", json={"code": 200, "data": record})


@pytest.mark.parametrize("kie", [("never", None)], indirect=True)
def test_success_by_callback(kie, bot_api):
    app, client, fake, send = kie
    start_flux(send)
    deadline = time.monotonic() + 10
    while not fake.created and time.monotonic() < deadline:
        time.sleep(0.05)
    job_id = app.db.fetch_one("SELECT id FROM generation_jobs")[0]
    while app.jobs.get(job_id).task_id is None:
        time.sleep(0.05)
    assert post_callback(client, app, job_id, fake.success_record("task-1"), "0" * 32).status_code == 403
    assert client.post(f"/kie/callback/{job_id}/{callback_signature(provider_for(app).callback_secret, job_id)}",
                       data=b"garbage").status_code == 400
    assert post_callback(client, app, job_id, fake.success_record("task-1")).status_code == 200
    job = finished_job(app)
    assert job.status == "succeeded"
    assert len(bot_api.wait_for("sendPhoto", chat_id=USER)) == 1
    time.sleep(0.5)  # the poller notices the job is finished and stops without a second message
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1
    assert post_callback(client, app, job_id, fake.success_record("task-1")).status_code == 200  # replay
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1
    assert app.balances.summary(USER) == (Decimal("100.00") - PRICE, Decimal("0"))


def test_callback_and_polling_at_once_send_one_message(kie, bot_api):
    app, client, fake, send = kie
    start_flux(send)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = app.db.fetch_one("SELECT id, task_id FROM generation_jobs")
        if row and row[1]:
            break
        time.sleep(0.01)
    job_id = row[0]
    barrier = threading.Barrier(8, timeout=30)

    def callback():
        barrier.wait()
        post_callback(client, app, job_id, fake.success_record("task-1"))

    threads = [threading.Thread(target=callback) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    finished_job(app)
    time.sleep(1.0)  # polling reaches success too by now
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1
    assert app.db.fetch_one("SELECT count(*) FROM payment_transactions WHERE type = 'deduction'") == (1,)
    assert ledger_differences(app.db) == []


@pytest.mark.parametrize("kie", [("429", None)], indirect=True)
def test_429_is_honoured_then_success(kie):
    app, _, fake, send = kie
    start_flux(send)
    job = finished_job(app)
    assert job.status == "succeeded"
    creates = [t for m, p, t in fake.requests if p == "/api/v1/jobs/createTask"]
    assert len(creates) == 3
    assert creates[1] - creates[0] >= 0.9 and creates[2] - creates[1] >= 0.9  # Retry-After: 1


@pytest.mark.parametrize("kie", [("500", None)], indirect=True)
def test_5xx_exhaustion_fails_and_releases(kie, bot_api):
    app, _, fake, send = kie
    start_flux(send)
    job = finished_job(app)
    assert (job.status, job.error_code) == ("failed", "kie_http_500")
    assert len(fake.requests) == 3  # max_retries = 2
    assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))
    bot_api.wait_for_text("Деньги не списаны", USER)


@pytest.mark.parametrize("kie", [("malformed", None)], indirect=True)
def test_malformed_json_is_retried(kie):
    app, _, _, send = kie
    start_flux(send)
    assert finished_job(app).status == "succeeded"


@pytest.mark.parametrize("kie", [("slow", None)], indirect=True)
def test_a_hanging_api_times_out_per_request_and_fails(kie):
    app, _, _, send = kie
    start_flux(send)
    job = finished_job(app, timeout=30)
    assert (job.status, job.error_code) == ("failed", "kie_unreachable")
    assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))


@pytest.mark.parametrize("kie", [("fail", None)], indirect=True)
def test_a_failed_task_reports_its_reason(kie, bot_api):
    app, _, _, send = kie
    start_flux(send)
    job = finished_job(app)
    assert (job.status, job.error_code, job.error_message) == ("failed", "NSFW", "content refused")
    bot_api.wait_for_text("content refused", USER)


@pytest.mark.parametrize("kie", [("never", 5)], indirect=True)
def test_a_task_that_never_finishes_times_out_and_releases(kie, bot_api):
    app, _, _, send = kie
    start_flux(send)
    job = finished_job(app, timeout=30)
    assert job.status == "timeout"
    assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))
    bot_api.wait_for_text("Деньги возвращены", USER)
    assert [r[0] for r in app.db.fetch_all("SELECT status FROM generation_events ORDER BY id")] == \
        ["started", "timeout"]


def test_without_a_key_kie_models_are_hidden(db_settings, bot_api, tmp_path, caplog):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path)
    try:
        assert app.generation.catalog.get("flux-kontext") is None
        assert app.generation.catalog.get("demo-image") is not None
        assert "6 model(s) use provider 'kie'" in caplog.text
        assert client.post("/kie/callback/1/x", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
                           ).status_code == 404
        sent = exchange(client, bot_api, updates.callback(USER, "gen:m:flux-kontext"))
        assert "недоступна" in sent[-1]["text"]
    finally:
        app.close()


def test_rate_limiter_spaces_calls():
    limiter = RateLimiter(per_second=5)
    waits = [limiter.wait_time() for _ in range(10)]
    assert waits[:5] == [0.0] * 5 and all(w > 0 for w in waits[5:])


@pytest.mark.parametrize("value,expected", [("3", 3.0), ("0", 0.0), (None, 1.5), ("soon", 1.5)])
def test_retry_after(value, expected):
    assert retry_after_seconds(value, 1.5) == expected


PHOTO = b"\xff\xd8\xff\xe0 a user's photo"
EDIT_CATALOG = ('[[model]]\nid = "photo-edit"\ntitle = "Правка фото"\ncategory = "image"\n'
                'price_rub = "25.00"\nprovider = "kie"\ntimeout_s = 60\n'
                'inputs = [{ name = "prompt", type = "text", label = "Что изменить" },\n'
                '  { name = "image", type = "image", label = "Пришлите фото" }]\n')


def photo_message(user_id: int, file_id: str) -> dict:
    update = updates.message(user_id, "x")
    del update["message"]["text"]
    update["message"]["photo"] = [{"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                   "width": 90, "height": 90}]
    return update


@pytest.fixture
def photo_kie(db_settings, bot_api, tmp_path, request):
    fake = FakeKie("poll").start()
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(EDIT_CATALOG)
    env = {"WEBHOOK_URL": "https://bot.example.test"} if request.param else {}
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=kie_toml(fake),
                           CATALOG_FILE=str(catalog), JOB_HEARTBEAT="0.2", **env)
    app.start_workers()
    app.balances.credit(USER, "100.00")
    yield app, client, fake, (lambda update: exchange(client, bot_api, update))
    app.close()
    fake.stop()


@pytest.mark.parametrize("photo_kie", [True], indirect=True)
def test_a_users_photo_reaches_kie_as_a_signed_link_that_holds_no_token(photo_kie, bot_api):
    app, client, fake, send = photo_kie
    bot_api.add_file("ph-1", PHOTO)
    send(updates.callback(USER, "gen:m:photo-edit"))
    send(updates.message(USER, "сделай небо розовым"))
    send(updates.callback(USER, f"gen:go:{confirm_token(send(photo_message(USER, 'ph-1')))}"))
    job = finished_job(app)
    assert job.status == "succeeded"
    url = fake.created[0]["input"]["image_url"]
    assert url.startswith("https://bot.example.test/files/")
    assert TOKEN not in url and TOKEN.split(":")[1] not in url
    path = url.removeprefix("https://bot.example.test")
    served = client.get(path)  # what Kie fetches
    assert (served.status_code, served.data, served.mimetype) == (200, PHOTO, "image/jpeg")
    assert client.get(path[:-3] + "AAA").status_code == 404  # a forged or altered link
    assert app.balances.summary(USER) == (Decimal("75.00"), Decimal("0"))


@pytest.mark.parametrize("photo_kie", [False], indirect=True)
def test_without_a_public_url_a_photo_model_is_refused_before_anything_is_held(photo_kie, caplog):
    app, client, fake, send = photo_kie
    sent = send(updates.callback(USER, "gen:m:photo-edit"))
    assert any("не может принять фото" in (m.get("text") or "") for m in sent)
    assert "set WEBHOOK_URL" in caplog.text
    assert app.conversations.get(USER) is None  # no draft, so no confirm and no hold
    assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))
    assert fake.created == []
