"""Generation in process: the flow, money on holds, failures, quota, double taps."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from core.generation.contract import GenerationOutput
from core.generation.jobs import Ending
from core.serve.web import create_web_app
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, shown, texts
from genbot.testing.waiting import wait_until
from tests.support.flows import draft, generate, reply_markup

USER = 800


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, FREE_DAILY_QUOTA="2",
                           JOB_WORKERS="2", JOB_HEARTBEAT="0.2", plugins_toml="[demo]\ndelay_s = 0.05\n")
    app.start_workers()
    yield app, (lambda update: exchange(client, bot_api, update)), client
    app.close()


def wait_job(app, status=("succeeded", "failed", "timeout", "cancelled"), timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = app.db.fetch_all("SELECT id, status FROM generation_jobs ORDER BY id DESC LIMIT 1")
        if rows and rows[0][1] in status and app.db.fetch_one(
                "SELECT notified FROM generation_jobs WHERE id = %s", (rows[0][0],))[0]:
            return app.jobs.get(rows[0][0])
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def events(app):
    return [r[0] for r in app.db.fetch_all("SELECT status FROM generation_events ORDER BY id")]


def test_menu_has_categories_and_free_models(bot):
    _, send, _ = bot
    body = send(updates.message(USER, "/start"))[-1]
    labels = [b["text"] for row in body["reply_markup"]["keyboard"] for b in row]
    assert labels[:5] == ["🖼 Изображения", "🎬 Видео", "🎙 Аудио", "✍️ Тексты", "🎁 Бесплатные"]
    listing = texts(send(updates.message(USER, "🎁 Бесплатные")))[0]
    assert "до 2 генераций в день, сегодня осталось 2" in listing


@pytest.mark.parametrize("model,answers,method", [
    ("demo-image", ["кот", ("choice", 1)], "sendPhoto"),
    ("demo-video", ["закат"], "sendAnimation"),
    ("demo-audio", ["спокойная"], "sendDocument"),
    ("demo-text", ["о море"], "sendMessage"),
])
def test_free_generation_of_every_kind(bot, bot_api, model, answers, method):
    app, send, _ = bot
    generate(send, USER, model, *answers)
    job = wait_job(app)
    assert job.status == "succeeded" and job.is_free
    delivered = bot_api.wait_for(method, chat_id=USER)[-1]
    if method == "sendMessage":
        assert "о море" in delivered["text"]
    else:
        assert delivered["_multipart_bytes"] > 100 and "Бесплатно" in delivered["caption"]
    assert events(app) == ["started", "success"]
    assert app.db.fetch_one("SELECT is_free_applied FROM generation_events WHERE status = 'success'") == (True,)
    assert app.jobs.free_left(USER) == 1


def test_paid_generation_captures_exactly_the_price(bot, bot_api):
    app, send, _ = bot
    app.balances.credit(USER, "100.00")
    generate(send, USER, "demo-image-hd", "кот в шляпе")
    job = wait_job(app)
    assert job.status == "succeeded"
    assert app.balances.summary(USER) == (Decimal("85.00"), Decimal("0"))
    assert "Списано 15 ₽" in bot_api.wait_for("sendPhoto", chat_id=USER)[-1]["caption"]
    assert app.db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = %s "
                            "ORDER BY id", (USER,)) == [(Decimal("100.00"), "topup"),
                                                        (Decimal("-15.00"), "deduction")]
    assert events(app) == ["started", "success"]
    assert app.db.fetch_one("SELECT price_rub FROM generation_events WHERE status = 'success'") == (Decimal("15.00"),)
    assert ledger_differences(app.db) == []


def test_a_failing_paid_generation_costs_nothing_and_says_so(bot, bot_api):
    app, send, _ = bot
    app.balances.credit(USER, "20.00")
    generate(send, USER, "demo-image-hd", "!fail please")
    job = wait_job(app)
    assert (job.status, job.error_code) == ("failed", "demo_fail")
    assert app.balances.summary(USER) == (Decimal("20.00"), Decimal("0"))
    told = bot_api.wait_for_text("Деньги не списаны", USER)["text"]
    assert "сервис не смог выполнить генерацию — попробуйте ещё раз" in told
    assert "!fail" not in told and "demo" not in told  # the detail is the log's
    assert events(app) == ["started", "failed"]
    assert ledger_differences(app.db) == []


def test_a_timing_out_paid_generation_gives_the_money_back(db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[[model]]\nid = "slow"\ntitle = "Медленная"\ncategory = "text"\n'
                       'price_rub = "7.00"\nprovider = "demo"\ntimeout_s = 5\n'
                       'inputs = [{ name = "prompt", type = "text", label = "Текст" }]\n')
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, CATALOG_FILE=str(catalog),
                           JOB_HEARTBEAT="0.2")
    app.start_workers()
    try:
        send = lambda update: exchange(client, bot_api, update)  # noqa: E731
        app.balances.credit(USER, "10.00")
        generate(send, USER, "slow", "!slow")
        assert app.balances.summary(USER) == (Decimal("3.00"), Decimal("7.00"))
        job = wait_job(app, timeout=20)
        assert job.status == "timeout"
        assert app.balances.summary(USER) == (Decimal("10.00"), Decimal("0"))
        bot_api.wait_for_text("Деньги возвращены", USER)
        assert events(app) == ["started", "timeout"]
    finally:
        app.close()


def test_not_enough_money(bot):
    app, send, _ = bot
    app.balances.credit(USER, "10.00")
    sent = generate(send, USER, "demo-image-hd", "дорого")
    assert any(text.startswith("❌ Недостаточно средств: нужно 15 ₽, на балансе 10 ₽. Не хватает 5 ₽.")
               for text in shown(sent))
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs") == (0,)
    assert app.balances.summary(USER) == (Decimal("10.00"), Decimal("0"))


def test_the_free_quota_stops_the_next_free_generation_not_paid_ones(bot):
    app, send, _ = bot
    for prompt in ("раз", "два"):
        generate(send, USER, "demo-text", prompt)
        wait_job(app)
    sent = generate(send, USER, "demo-text", "три")
    assert any("Бесплатные генерации на сегодня закончились (2 из 2)" in text for text in shown(sent))
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs") == (2,)
    app.balances.credit(USER, "5.00")
    generate(send, USER, "demo-text-pro", "платно", ("choice", 0))
    assert wait_job(app).status == "succeeded"


def test_a_failed_free_generation_gives_the_free_try_back(bot):
    app, send, _ = bot
    generate(send, USER, "demo-text", "!fail")
    assert wait_job(app).status == "failed"
    assert app.jobs.free_left(USER) == 2


def test_twenty_concurrent_confirms_make_one_job_and_one_hold(bot, bot_api):
    app, send, _ = bot
    app.balances.credit(USER, "100.00")
    token = draft(send, USER, "demo-image-hd", "двойной тап")
    barrier, statuses = threading.Barrier(20, timeout=30), []
    web = create_web_app(app)  # built once: CPython 3.11 can trip building one per thread at once

    def press():
        client = web.test_client()
        barrier.wait()
        statuses.append(client.post("/webhook", json=updates.callback(USER, f"gen:go:{token}"),
                                    headers={"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret"}
                                    ).status_code)

    threads = [threading.Thread(target=press) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert statuses == [200] * 20
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs") == (1,)
    assert app.db.fetch_one("SELECT count(*) FROM balance_reservations") == (1,)
    wait_job(app)
    assert app.balances.summary(USER) == (Decimal("85.00"), Decimal("0"))
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1


def test_inputs_are_checked(bot):
    app, send, _ = bot
    send(updates.callback(USER, "gen:m:demo-video"))
    assert "длиннее 500 символов" in texts(send(updates.message(USER, "x" * 501)))[0]
    assert "Нужен текст" in texts(send(updates.photo(USER, "f")))[0]
    # A free model with no choices starts on its last input: nothing to confirm.
    assert "запускаю" in texts(send(updates.message(USER, "'; DROP TABLE generation_jobs; --")))[0]
    assert app.db.fetch_one("SELECT inputs FROM generation_jobs") == ({"prompt": "'; DROP TABLE generation_jobs; --"},)


def test_cancel_at_every_step_and_stale_buttons(bot):
    app, send, _ = bot
    send(updates.callback(USER, "gen:m:demo-image"))
    assert "отменено" in shown(send(updates.callback(USER, "gen:x")))[0]
    assert "устарел" in texts(send(updates.callback(USER, "gen:c:0")))[0]
    send(updates.callback(USER, "gen:m:demo-image"))
    assert "отменено" in texts(send(updates.message(USER, "/cancel")))[0]
    assert app.conversations.get(USER) is None
    stale = send(updates.callback(USER, "gen:go:deadbeef"))
    assert stale[-1]["method"] == "answerCallbackQuery" and "устарел" in stale[-1]["text"]
    assert "недоступна" in shown(send(updates.callback(USER, "gen:m:no-such-model")))[0]


def test_cancelling_a_queued_job_releases_the_hold(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path)  # no workers: stays queued
    try:
        send = lambda update: exchange(client, bot_api, update)  # noqa: E731
        app.balances.credit(USER, "50.00")
        generate(send, USER, "demo-image-hd", "передумал")
        job_id = app.db.fetch_one("SELECT id FROM generation_jobs")[0]
        assert app.balances.summary(USER) == (Decimal("35.00"), Decimal("15.00"))
        assert "генерация отменена" in shown(send(updates.callback(USER, f"gen:cancel:{job_id}")))[0]
        assert app.balances.summary(USER) == (Decimal("50.00"), Decimal("0"))
        again = send(updates.callback(USER, f"gen:cancel:{job_id}"))
        assert "уже не отменить" in again[-1]["text"] and again[-1]["method"] == "answerCallbackQuery"
        assert ledger_differences(app.db) == []
    finally:
        app.close()


def test_repeat_and_save_to_a_project(bot, bot_api):
    app, send, _ = bot
    send(updates.callback(USER, "prj:new"))
    send(updates.message(USER, "Альбом"))
    project_id = app.db.fetch_one("SELECT id FROM projects")[0]
    generate(send, USER, "demo-image", "кот", ("choice", 0))
    job = wait_job(app)
    markup = reply_markup(bot_api.wait_for("sendPhoto", chat_id=USER)[-1])
    buttons = {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
    assert buttons["🔁 Повторить"] == f"gen:r:{job.id}"
    assert buttons["💾 В проект: Альбом"] == f"prj:save:{job.id}:{project_id}"
    assert "Сохранено" in texts(send(updates.callback(USER, f"prj:save:{job.id}:{project_id}")))[0]
    saved = app.db.fetch_one("SELECT model_id, inputs, outputs, status FROM project_history")
    assert saved[0] == "demo-image" and saved[1] == {"prompt": "кот", "aspect_ratio": "1:1"}
    assert saved[2]["kind"] == "image" and saved[3] == "success" and saved[2]["job_id"] == job.id
    # The project's history names the model as users know it, and sends the result again.
    [page] = [m for m in send(updates.callback(USER, f"prj:hist:{project_id}:0")) if m.get("method") == "sendMessage"]
    assert "Демо: картинка — готово: «кот»" in page["text"]
    buttons = {b["text"]: b["callback_data"] for row in reply_markup(page)["inline_keyboard"] for b in row}
    assert buttons["📤 1"] == f"hist:o:{job.id}"
    # someone else's job cannot be saved
    assert "не найден" in texts(send(updates.callback(USER + 1, f"prj:save:{job.id}:{project_id}")))[0]
    # repeat goes straight to the confirm screen with the same inputs
    [confirm] = [m for m in send(updates.callback(USER, f"gen:r:{job.id}"))
                 if m.get("method") in ("sendMessage", "editMessageText")]
    assert confirm["text"].startswith("Демо: картинка — бесплатно\n«кот»\nФормат: 1:1")
    assert "gen:go:" in json.dumps(reply_markup(confirm))


def test_without_the_balances_table_free_models_work_and_paid_ones_say_so(bot, bot_api):
    app, send, _ = bot
    app.db.execute("DROP TABLE balances CASCADE")
    app.user_cache.forget()
    generate(send, USER + 5, "demo-text", "без балансов")
    assert wait_job(app).status == "succeeded"
    bot_api.wait_for_text("без балансов", USER + 5)
    # The free generation's events are logged although the user's balance row cannot be.
    wait_until(lambda: events(app) == ["started", "success"], 5, lambda: f"events: {events(app)}")
    # A paid model says so as soon as it is chosen, before any input is asked.
    sent = send(updates.callback(USER + 5, "gen:m:demo-image-hd"))
    assert [m.get("text") for m in sent if m.get("text")] == ["⚠️ База временно недоступна"]
    assert app.db.fetch_one("SELECT count(*) FROM generation_jobs") == (1,)
    assert "⚠️ База временно недоступна" in texts(send(updates.message(USER + 5, "💰 Баланс")))


def test_a_ledger_lost_while_a_paid_job_runs_fails_the_job_uncharged(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, JOB_WORKERS="1",
                           plugins_toml="[demo]\ndelay_s = 1.0\n")
    send = lambda update: exchange(client, bot_api, update)  # noqa: E731
    app.balances.credit(USER, "100.00")
    app.start_workers()
    try:
        generate(send, USER, "demo-image-hd", "журнал пропадёт")
        wait_until(lambda: app.db.fetch_one("SELECT status FROM generation_jobs")[0] == "running", 10)
        app.db.execute("DROP TABLE payment_transactions")
        job = wait_job(app)
        assert (job.status, job.error_code) == ("failed", "ledger_missing")
        assert app.balances.summary(USER) == (Decimal("100.00"), Decimal("0"))
        assert bot_api.calls_to("sendPhoto", USER) == []  # the paid result is not given away
        bot_api.wait_for_text("не получилось", USER)
    finally:
        app.close()


def test_two_processes_share_the_queue_without_running_a_job_twice(db_settings, bot_api, tmp_path):
    from collections import Counter

    from core.generation.workers import JobRunner
    first, _ = make_app(db_settings, bot_api, tmp_path=tmp_path)
    second, _ = make_app(db_settings, bot_api, tmp_path=tmp_path)
    runs, lock = Counter(), threading.Lock()

    def execute_with(app):
        def execute(job):
            with lock:
                runs[job.id] += 1
            app.jobs.settle(job.id, Ending.succeeded(GenerationOutput("text", text="ok")))
        return execute

    try:
        model = first.catalog.get("demo-image-hd")
        first.jobs.max_active = None  # a backlog of twenty jobs a user, queued at once
        for user in range(1, 11):
            first.balances.credit(user, "1000.00")
        with first.db.transaction() as tx:
            for i in range(200):
                first.jobs.create(tx, user_id=1 + i % 10, chat_id=1, model=model,
                                  inputs={"prompt": str(i)}, draft_key=f"share:{i}")
        runners = [JobRunner(app.jobs, execute_with(app), threads=4, poll_s=0.05).start()
                   for app in (first, second)]
        deadline = time.monotonic() + 30
        while sum(runs.values()) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        for runner in runners:
            runner.stop()
        assert len(runs) == 200 and set(runs.values()) == {1}
        assert first.db.fetch_one("SELECT count(*) FROM generation_jobs WHERE status = 'succeeded'") == (200,)
        assert first.db.fetch_one("SELECT count(*) FROM balance_reservations WHERE status = 'captured'") == (200,)
        assert ledger_differences(first.db) == []
    finally:
        first.close()
        second.close()
