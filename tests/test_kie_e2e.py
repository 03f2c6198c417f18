"""The shipped kie models through a real `run.py serve` process, the Kie stand-in and the
Bot API stand-in, all over HTTP: every model paid for, delivered and charged once, first
finished by polling, then by Kie's callbacks; with [kie] webhook_hmac_key, only a
callback Kie signed ends a job; Kie's in-body errors; no bot token ever reaching Kie."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.config import DEFAULT_CATALOG
from core.db import Database
from core.generation.catalog import load_catalog
from genbot.testing.app import TOKEN
from genbot.testing.waiting import wait_until
from plugins.providers.kie.webhook import sign
from tests.support.flows import http_sender, order
from tests.support.kie_flows import PHOTO, SHIPPED, add_photos, kie_toml
from tests.support.kie_standin import KieStandIn, callback_bodies, result_urls
from tests.support.serve import QUICK_JOBS, ServeProcess, free_port, serve_env

pytestmark = pytest.mark.slow
START = Decimal("500.00")
PRICES = {m.id: m.price_rub for m in load_catalog(DEFAULT_CATALOG).models.values()}
FIELDS = {"sendPhoto": "photo", "sendVideo": "video", "sendAudio": "audio"}


HMAC_KEY = "kie-account-webhook-hmac-key"


@pytest.fixture
def stack(db_settings, bot_api, tmp_path, request):
    """serve with [kie] pointed at the stand-in; with a param, the Webhook HMAC key that
    both Kie (the stand-in) and [kie] webhook_hmac_key (from the environment) hold."""
    hmac_key = getattr(request, "param", None)
    standin = KieStandIn().start()
    standin.webhook_hmac_key = hmac_key
    port = free_port()
    plugins = tmp_path / "plugins.toml"
    signed = {"webhook_hmac_key": '{ env = "KIE_WEBHOOK_HMAC_KEY" }'} if hmac_key else {}
    plugins.write_text(kie_toml(standin, callback_base_url=f'"http://127.0.0.1:{port}"', **signed))
    env = serve_env(db_settings, bot_api, QUICK_JOBS, PLUGINS_FILE=str(plugins), PORT=port,
                    JOB_WORKERS=6, KIE_WEBHOOK_HMAC_KEY=hmac_key)
    db = Database(db_settings, minconn=0, maxconn=2)
    add_photos(bot_api)
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        yield server, standin, db, Balances(db, UserCache()), http_sender(server.url, bot_api)
    finally:
        server.stop()
        standin.stop()
        db.close()


def job_of(db, user_id: int):
    return db.fetch_one("SELECT status, task_id, error_code FROM generation_jobs WHERE user_id = %s",
                        (user_id,))


def assert_charged_once(db, balances, user_id: int, model_id: str) -> None:
    assert balances.summary(user_id) == (START - PRICES[model_id], Decimal("0")), model_id
    assert db.fetch_one("SELECT count(*) FROM payment_transactions WHERE user_id = %s "
                        "AND type = 'deduction'", (user_id,)) == (1,), model_id


def run_all(send, bot_api, db, balances, standin, first_user: int, models) -> dict[str, int]:
    """Order every model (one user each, all at once), wait until each result is delivered."""
    users = {model_id: first_user + i for i, model_id in enumerate(models)}
    for model_id, user_id in users.items():
        balances.credit(user_id, str(START))
        order(send, user_id, model_id, *SHIPPED[model_id][0])
    for model_id, user_id in users.items():
        method = SHIPPED[model_id][2]
        calls = bot_api.wait_for(method, 2 if model_id == "suno-music" else 1, chat_id=user_id,
                                 timeout=30)
        status, task_id, error = wait_until(lambda u=user_id: (row := job_of(db, u)) and row[0] != "running"
                                            and row, 15)
        assert (status, error) == ("succeeded", None), model_id
        if method in FIELDS:
            assert [c[FIELDS[method]] for c in calls] == result_urls(standin.tasks[task_id]), model_id
        else:
            assert any("gpt-5-2 answers:" in c.get("text", "") for c in calls)
    return users


def test_every_shipped_kie_model_polled_then_called_back(stack, bot_api):
    server, standin, db, balances, send = stack

    # 1. Kie sends no callbacks: each job is finished by polling.
    standin.send_callbacks = False
    polled = run_all(send, bot_api, db, balances, standin, 901, list(SHIPPED))
    for model_id, user_id in polled.items():
        assert_charged_once(db, balances, user_id, model_id)
        task_id = job_of(db, user_id)[1]
        assert model_id == "gpt-text" or standin.tasks[task_id].polled_final, model_id
    assert standin.callbacks == []

    # 2. Polls never see the end: each task-based job is finished by Kie's callback, to
    # serve's route over HTTP. (A chat has no task and no callback: it answers at once.)
    standin.send_callbacks = True
    standin.poll_lag_s = 3600
    called_back = run_all(send, bot_api, db, balances, standin, 921, [m for m in SHIPPED if m != "gpt-text"])
    for model_id, user_id in called_back.items():
        assert_charged_once(db, balances, user_id, model_id)
        task = standin.tasks[job_of(db, user_id)[1]]
        assert not task.polled_final, model_id
        assert [c["status"] for c in standin.callbacks if c["task"] == task.task_id][-1] == 200
    # Each user got the result once, whichever path ended the job (the poller of a job
    # a callback ended stops on its next wake-up; a second message would show by now).
    time.sleep(1.0)
    for model_id, user_id in [*polled.items(), *called_back.items()]:
        method = SHIPPED[model_id][2]
        sent = bot_api.calls_to(method, user_id)
        if method == "sendMessage":
            sent = [m for m in sent if "answers:" in m.get("text", "")]
        assert len(sent) == (2 if model_id == "suno-music" else 1), model_id
    assert ledger_differences(db) == []

    # The photos went to Kie's File Upload API; the bot token never went to Kie.
    assert [u["data"] for u in standin.uploads.values()] == [PHOTO] * 8
    secret = TOKEN.split(":")[1]
    assert all(TOKEN not in c.text() and secret not in c.text() for c in standin.log)


def test_in_body_errors_over_http(stack, bot_api):
    server, standin, db, balances, send = stack
    standin.send_callbacks = False

    # 402: the job fails, the hold goes back, the operator reads why in the log.
    balances.credit(950, str(START))
    standin.refuse("create", 402)
    order(send, 950, "veo3-fast", *SHIPPED["veo3-fast"][0])
    told = bot_api.wait_for_text("Деньги не списаны", 950, timeout=30)["text"]
    assert "сервис генерации сейчас недоступен" in told
    assert job_of(db, 950)[0::2] == ("failed", "kie_402")
    assert balances.summary(950) == (START, Decimal("0"))
    wait_until(lambda: "the Kie.ai account is out of credits" in server.log(), 10, server.log)

    # 429, then 455 (maintenance): retried with backoff, then the job succeeds.
    balances.credit(951, str(START))
    standin.refuse("create", 429, 455)
    order(send, 951, "veo3-fast", *SHIPPED["veo3-fast"][0])
    bot_api.wait_for("sendVideo", chat_id=951, timeout=30)
    assert job_of(db, 951)[0] == "succeeded"
    assert_charged_once(db, balances, 951, "veo3-fast")
    assert len(standin.requests_to("/api/v1/veo/generate")) == 4  # 402, 429, 455, then accepted
    assert ledger_differences(db) == []


@pytest.mark.parametrize("stack", [HMAC_KEY], indirect=True)
def test_with_the_hmac_key_only_a_callback_kie_signed_ends_a_job(stack, bot_api):
    server, standin, db, balances, send = stack
    assert "callbacks must carry Kie's X-Webhook-Signature" in server.log()
    standin.send_callbacks = False  # the test sends them
    standin.poll_lag_s = 3600  # polls never see the end: only a callback can end the job
    user, model_id = 970, "gpt-image"
    price = PRICES[model_id]
    balances.credit(user, str(START))
    order(send, user, model_id, *SHIPPED[model_id][0])
    job_id, task_id = wait_until(lambda: db.fetch_one(
        "SELECT id, task_id FROM generation_jobs WHERE user_id = %s AND task_id IS NOT NULL", (user,)), 30)
    task = standin.wait_until(lambda: time.monotonic() > standin.tasks[task_id].finished_at
                            and standin.tasks[task_id])
    [(_after, body)] = callback_bodies(task)
    now = int(time.time())
    refused = {"the URL secret alone": {},
               "a forged signature": dict(standin.signed_headers(task_id, now),
                                          **{"X-Webhook-Signature": sign("a guess", task_id, now)}),
               "a stale signature": standin.signed_headers(task_id, now - 600)}
    for what, headers in refused.items():
        answer = requests.post(task.callback_url, json=body, headers=headers, timeout=15)
        assert answer.status_code == 401, what
    # Nothing changed: the job runs, the price is held, the user has no picture.
    assert job_of(db, user) == ("running", task_id, None)
    assert balances.summary(user) == (START - price, price)
    assert bot_api.calls_to("sendPhoto", user) == []
    log = server.log()
    assert log.count(f"kie: job {job_id} of user {user}: callback refused, nothing changed") == 3
    assert HMAC_KEY not in log

    # Kie's own callback, signed as Kie documents, ends it: sent once, charged once.
    standin.call_back_now(task_id)
    assert standin.callbacks[-1]["status"] == 200
    [photo] = bot_api.wait_for("sendPhoto", chat_id=user, timeout=30)
    assert photo["photo"] == result_urls(task)[0]
    assert job_of(db, user) == ("succeeded", task_id, None)
    assert not task.polled_final
    assert_charged_once(db, balances, user, model_id)
    assert ledger_differences(db) == []
