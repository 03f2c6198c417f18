"""A paid top-up survives a database that hiccups: real `run.py serve`, real HTTP.

Telegram re-sends an update until the webhook answers 2xx. A ``successful_payment``
whose credit cannot commit — a row lock held past ``statement_timeout``, the database
restarting — must be answered non-2xx, and the re-sent update then credits it, once,
with the invoice's amount. The charge id is in the log at ERROR.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from core.db import Database, connect_once
from genbot.testing import updates
from genbot.testing.postgres import migrated_server_of_its_own
from genbot.testing.waiting import wait_until
from tests.support.serve import ServeProcess, serve_env
from tests.test_payments import successful_payment

pytestmark = pytest.mark.slow
USER = 4242


def serve(settings, bot_api, tmp_path, **extra) -> ServeProcess:
    plugins = tmp_path / "plugins.toml"
    plugins.write_text('[payments]\nprovider_token = "test-provider-token"\n')
    env = serve_env(settings, bot_api, {
        "WEB_CONCURRENCY": None, "DB_POOL_MIN": None, "PLUGINS_FILE": plugins, "JOB_WORKERS": 0,
        "DB_POOL_WAIT": "1", "PLUGIN_PROBE_INTERVAL": "0.5"}, **extra)
    server = ServeProcess(env, cwd=tmp_path)
    server.wait_ready()
    return server


def invoice(server, bot_api, amount: int) -> str:
    assert server.webhook(updates.callback(USER, f"pay:m:card:{amount}")).status_code == 200
    return bot_api.wait_for("sendInvoice", chat_id=USER)[-1]["payload"]


def credited(db) -> list:
    return db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = %s", (USER,))


def test_a_payment_blocked_past_the_statement_timeout_is_credited_when_resent(
        db_settings, bot_api, tmp_path):
    server = serve(db_settings, bot_api, tmp_path, DB_STATEMENT_TIMEOUT_MS="300")
    db = Database(db_settings, minconn=0, maxconn=2)
    try:
        payload = invoice(server, bot_api, 250)
        paid = successful_payment(USER, payload, "RUB", 25000, "charge-locked", update_id=77001)
        locker = connect_once(db_settings)
        locker.autocommit = False
        with locker.cursor() as cur:  # another transaction holds the payer's balance row
            cur.execute("SELECT 1 FROM balances WHERE user_id = %s FOR UPDATE", (USER,))
        try:
            # Telegram sends it, and sends it again while the webhook says no.
            assert [server.webhook(paid).status_code for _ in range(3)] == [503, 503, 503]
            assert credited(db) == []
        finally:
            locker.rollback()
            locker.close()
        accepted = server.webhook(paid)
        assert accepted.status_code == 200
        assert "Баланс пополнен на 250 ₽" in accepted.json()["text"]
        assert server.webhook(paid).status_code == 200  # a late duplicate of the same update
        assert credited(db) == [(Decimal("250.00"), "topup")]
        assert db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = %s", (USER,)) \
            == (Decimal("250.00"),)
        errors = [line for line in server.log().splitlines() if " ERROR " in line]
        assert errors and all("charge-locked" in line for line in errors), errors
        assert ledger_differences(db) == []
    finally:
        server.stop()
        db.close()


def test_a_payment_sent_while_the_database_restarts_is_credited_once_it_is_back(bot_api, tmp_path):
    embedded, settings = migrated_server_of_its_own(tmp_path / "pgdata")
    server = serve(settings, bot_api, tmp_path)
    try:
        payload = invoice(server, bot_api, 100)
        paid = successful_payment(USER, payload, "RUB", 10000, "charge-outage", update_id=77002)
        embedded.stop()
        # The same update, re-sent: the in-memory dedupe of the outage must not swallow it.
        assert [server.webhook(paid).status_code for _ in range(3)] == [503, 503, 503]
        settings = embedded.start()
        for _ in range(2):  # Telegram re-sends until it gets a 200; then a late duplicate
            deadline = time.monotonic() + 30
            while server.webhook(paid).status_code != 200:  # a pooled connection may still be a dead one
                assert time.monotonic() < deadline, "never credited after the database came back"
                time.sleep(0.5)
        db = Database(settings, minconn=0, maxconn=2)
        try:
            assert credited(db) == [(Decimal("100.00"), "topup")]
            assert ledger_differences(db) == []
        finally:
            db.close()
        assert "charge-outage" in "\n".join(line for line in server.log().splitlines()
                                            if " ERROR " in line)
    finally:
        server.stop()
        embedded.stop()


def test_in_polling_mode_a_payment_that_cannot_be_credited_is_fetched_again(db_settings, bot_api,
                                                                             tmp_path):
    server = serve(db_settings, bot_api, tmp_path, BOT_MODE="polling", DB_STATEMENT_TIMEOUT_MS="300")
    db = Database(db_settings, minconn=0, maxconn=2)
    try:
        bot_api.wait_for("deleteWebhook")
        bot_api.push_update(updates.callback(USER, "pay:m:card:300"))
        payload = bot_api.wait_for("sendInvoice", chat_id=USER)[-1]["payload"]
        locker = connect_once(db_settings)
        locker.autocommit = False
        with locker.cursor() as cur:
            cur.execute("SELECT 1 FROM balances WHERE user_id = %s FOR UPDATE", (USER,))
        try:
            bot_api.push_update(successful_payment(USER, payload, "RUB", 30000, "charge-polled"))
            # The poller tries it, fails, and asks getUpdates for it again (offset kept).
            wait_until(lambda: server.log().count("charge-polled") >= 2, 20,
                       lambda: f"never retried:\n{server.log()}")
            assert credited(db) == []
        finally:
            locker.rollback()
            locker.close()
        wait_until(lambda: credited(db) == [(Decimal("300.00"), "topup")], 20, "never credited")
        time.sleep(1.5)  # and not twice
        assert credited(db) == [(Decimal("300.00"), "topup")]
    finally:
        server.stop()
        db.close()
