"""A paid result reaches its user however the Bot API misbehaves: real `run.py serve`.

A job counts as told only once the Bot API accepted the result. A 429 waits its
``retry_after``, a 502 is retried; a permanent refusal (the user blocked the bot)
stops the attempts and keeps the charged result, recorded as undeliverable.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from genbot.testing import updates
from genbot.testing.waiting import wait_until
from tests.support.flows import generate, http_sender
from tests.support.serve import QUICK_JOBS, ServeProcess, serve_env

pytestmark = pytest.mark.slow
USER = 830


@pytest.fixture
def served(db_settings, bot_api, tmp_path):
    db = Database(db_settings, minconn=0, maxconn=2)
    Balances(db, UserCache()).credit(USER, "50.00")
    server = ServeProcess(serve_env(db_settings, bot_api, QUICK_JOBS, DELIVERY_DEADLINE="20"),
                          cwd=tmp_path)
    server.wait_ready()
    yield server, db
    server.stop()
    db.close()


def job_row(db):
    return db.fetch_one("SELECT status, notified, undeliverable, delivery_attempts FROM generation_jobs")


def test_429_twice_then_502_delivers_the_paid_result_once(served, bot_api):
    server, db = served
    bot_api.fail("sendPhoto", (429, 1), (429, 1), 502)
    generate(http_sender(server.url, bot_api), USER, "demo-image-hd", "упрямый кот")
    [photo] = bot_api.wait_for("sendPhoto", chat_id=USER, timeout=20)
    assert "Списано 15 ₽" in photo["caption"]
    assert [params["refused_with"] for method, params in bot_api.refused if method == "sendPhoto"] \
        == [(429, 1), (429, 1), 502]
    wait_until(lambda: job_row(db)[1], 10, "the job was never marked told")
    assert job_row(db) == ("succeeded", True, None, 1)
    assert db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = %s", (USER,)) == (Decimal("35.00"),)
    assert db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = %s ORDER BY id",
                        (USER,)) == [(Decimal("50.00"), "topup"), (Decimal("-15.00"), "deduction")]
    assert len(bot_api.calls_to("sendPhoto", USER)) == 1
    assert ledger_differences(db) == []


def test_a_user_who_blocked_the_bot_is_charged_the_result_kept_and_not_retried(served, bot_api):
    server, db = served
    bot_api.fail("sendPhoto", *[(403, "Forbidden: bot was blocked by the user")] * 50)
    generate(http_sender(server.url, bot_api), USER, "demo-image-hd", "кот, которого не увидят")
    wait_until(lambda: job_row(db)[1], 15, "the job was never settled as undeliverable")
    status, told, why, attempts = job_row(db)
    assert (status, told, attempts) == ("succeeded", True, 1)
    assert "blocked by the user" in why
    refused = [m for m, _ in bot_api.refused if m == "sendPhoto"]
    assert len(refused) == 1  # a permanent refusal is not retried
    assert db.fetch_one("SELECT result IS NOT NULL FROM generation_jobs") == (True,)  # kept
    assert db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = %s", (USER,)) == (Decimal("35.00"),)
    assert "cannot be told" in server.log()
    assert ledger_differences(db) == []


def test_a_result_the_bot_api_keeps_failing_is_delivered_by_a_later_sweep(db_settings, bot_api, tmp_path):
    db = Database(db_settings, minconn=0, maxconn=2)
    Balances(db, UserCache()).credit(USER, "50.00")
    # Attempts give up after 1 s; the sweeper tries again after its retry pause.
    server = ServeProcess(serve_env(db_settings, bot_api, QUICK_JOBS, DELIVERY_DEADLINE="1",
                                    DELIVERY_RETRY="1"), cwd=tmp_path)
    try:
        server.wait_ready()
        bot_api.fail("sendPhoto", *[502] * 6)
        generate(http_sender(server.url, bot_api), USER, "demo-image-hd", "терпеливый кот")
        bot_api.wait_for("sendPhoto", chat_id=USER, timeout=30)
        wait_until(lambda: job_row(db)[1], 10, "the job was never marked told")
        status, told, why, attempts = job_row(db)
        assert (status, told, why) == ("succeeded", True, None) and attempts >= 2
        assert len(bot_api.calls_to("sendPhoto", USER)) == 1
        assert ledger_differences(db) == []
    finally:
        server.stop()
        db.close()


def ledger(db):
    return db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = %s ORDER BY id",
                        (USER,))


def test_a_photo_telegram_refuses_for_its_dimensions_reaches_the_user_as_a_document(served, bot_api):
    server, db = served
    bot_api.refuse("sendPhoto", (400, "Bad Request: PHOTO_INVALID_DIMENSIONS"))
    generate(http_sender(server.url, bot_api), USER, "demo-image-hd", "панорама на весь горизонт")
    [document] = bot_api.wait_for("sendDocument", chat_id=USER, timeout=20)
    assert "Списано 15 ₽" in document["caption"] and document["document_bytes"] > 100
    assert [m for m, _ in bot_api.refused] == ["sendPhoto"]  # one refusal, then the next way
    wait_until(lambda: job_row(db)[1], 10, "the job was never marked told")
    assert job_row(db)[:3] == ("succeeded", True, None)
    assert ledger(db) == [(Decimal("50.00"), "topup"), (Decimal("-15.00"), "deduction")]
    # The progress message ("…запускаю…") went once the result was there.
    progress = db.fetch_one("SELECT progress_message_id FROM generation_jobs")[0]
    wait_until(lambda: [c for c in bot_api.calls_to("deleteMessage", USER)
                        if str(c["message_id"]) == str(progress)], 10, "the progress message stayed")
    assert ledger_differences(db) == []


def test_a_result_telegram_takes_in_no_way_gives_the_money_back_and_says_so(served, bot_api):
    server, db = served
    for method in ("sendPhoto", "sendDocument"):  # no WEBHOOK_URL: no download link either
        bot_api.refuse(method, (400, "Bad Request: Wrong type of the web page content"))
    send = http_sender(server.url, bot_api)
    generate(send, USER, "demo-image-hd", "кот, которого Telegram не взял")
    told = bot_api.wait_for_text("вернулись на баланс", chat_id=USER, timeout=20)
    assert "15 ₽" in told["text"]
    wait_until(lambda: job_row(db)[1], 10, "the job was never marked told")
    status, _, why, _ = job_row(db)
    assert status == "succeeded" and "no way left" in why
    assert db.fetch_one("SELECT refunded_rub FROM generation_jobs") == (Decimal("15.00"),)
    assert db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = %s", (USER,)) == (Decimal("50.00"),)
    assert ledger(db) == [(Decimal("50.00"), "topup"), (Decimal("-15.00"), "deduction"),
                          (Decimal("15.00"), "refund")]
    progress = db.fetch_one("SELECT progress_message_id FROM generation_jobs")[0]
    wait_until(lambda: [c for c in bot_api.calls_to("deleteMessage", USER)
                        if str(c["message_id"]) == str(progress)], 10, "the progress message stayed")
    # 🗂 История says the money came back.
    shown = send(updates.message(USER, "🗂 История"))
    assert any("деньги возвращены" in m.get("text", "") for m in shown)
    assert ledger_differences(db) == []


def test_a_blocked_users_result_is_kept_and_sent_from_history_once_they_are_back(served, bot_api):
    server, db = served
    bot_api.refuse("sendPhoto", (403, "Forbidden: bot was blocked by the user"))
    send = http_sender(server.url, bot_api)
    generate(send, USER, "demo-image-hd", "кот, который подождёт")
    wait_until(lambda: job_row(db)[1], 15, "the job was never settled as undeliverable")
    assert "blocked by the user" in job_row(db)[2]
    assert not bot_api.calls_to("sendDocument", USER)  # a blocked chat gets no other way
    assert db.fetch_one("SELECT refunded_rub FROM generation_jobs") == (None,)  # charged: it exists
    bot_api.refuse("sendPhoto", None)  # the user unblocked the bot
    listed = send(updates.message(USER, "🗂 История"))
    job_id = db.fetch_one("SELECT id FROM generation_jobs")[0]
    assert any("не доставлено" in m.get("text", "") for m in listed)
    send(updates.callback(USER, f"hist:o:{job_id}"))
    [photo] = bot_api.wait_for("sendPhoto", chat_id=USER, timeout=10)
    assert photo["photo_bytes"] > 100
    assert ledger(db) == [(Decimal("50.00"), "topup"), (Decimal("-15.00"), "deduction")]
