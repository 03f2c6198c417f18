"""Top-ups follow the money tables at once: with any table a credit needs missing, no
invoice is sent and a pre-checkout is refused, before the plugin probe has run.

The app here has no background probe at all (``PLUGIN_PROBE_INTERVAL=0``): whatever
refuses, refuses because the top-up path looked at the tables itself.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal

import pytest

from core.accounts.balances import ledger_differences
from core.ops.migrations import Migrator
from genbot.testing import updates
from genbot.testing.app import exchange, make_app, texts
from plugins.payments import TOPUP_TABLES
from tests.test_payments import invoice_for, pre_checkout, successful_payment

USER = 910
UNAVAILABLE = "⚠️ База временно недоступна"


@pytest.fixture
def bot(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, plugins_toml=(
        '[payments]\nprovider_token = "test-provider-token"\nstars_enabled = false\n'))
    yield app, (lambda update: exchange(client, bot_api, update)), client
    app.close()


def test_the_payments_plugin_declares_every_table_a_credit_needs():
    # The invoice's record, the payment's row, the balance and the ledger.
    assert set(TOPUP_TABLES) == {"idempotency_records", "payments", "balances", "payment_transactions"}


@pytest.mark.parametrize("table", TOPUP_TABLES)
def test_a_table_dropped_a_moment_ago_stops_top_ups_before_any_probe(bot, bot_api, table):
    app, send, client = bot
    send(updates.callback(USER, "pay:m:card:500"))  # an invoice issued before the drop
    payload = invoice_for(bot_api, USER)["payload"]
    invoices = len(bot_api.calls_to("sendInvoice"))
    assert app.plugins.plugins["payments"].state == "enabled"

    app.db.execute(f"DROP TABLE {table} CASCADE")  # no probe runs in this app
    # 💳 Пополнить: the seed's words instead of the menu.
    assert texts(send(updates.message(USER, "💳 Пополнить"))) == [UNAVAILABLE]
    # Every step to an invoice: an alert with the same words, and no invoice.
    for data in ("pay:a:500", "pay:m:card:500", "pay:menu"):
        [answer] = send(updates.callback(USER, data))
        assert (answer["method"], answer["text"], answer["show_alert"]) == (
            "answerCallbackQuery", UNAVAILABLE, True)
    assert len(bot_api.calls_to("sendInvoice")) == invoices
    # The invoice already sent: Telegram asks before taking the money, and is refused.
    [refused] = send(pre_checkout(USER, payload, "RUB", 50000))
    assert refused == {"method": "answerPreCheckoutQuery", "pre_checkout_query_id": f"pcq{USER}50000",
                       "ok": False, "error_message": UNAVAILABLE}
    # The first refusal degraded the plugin, naming the table.
    assert app.plugins.plugins["payments"].state == "degraded"
    assert f"table {table} missing" in app.plugins.plugins["payments"].reason

    Migrator(app.db.settings).apply()
    app.plugins.probe(app.db)
    assert app.plugins.plugins["payments"].state == "enabled"
    if table != "idempotency_records":  # the invoice's record went with its table
        assert send(pre_checkout(USER, payload, "RUB", 50000))[-1]["ok"] is True


def test_a_payment_arriving_while_balances_is_missing_is_asked_again_and_credited_once(bot, bot_api):
    app, send, client = bot
    send(updates.callback(USER, "pay:m:card:500"))
    payload = invoice_for(bot_api, USER)["payload"]
    assert send(pre_checkout(USER, payload, "RUB", 50000))[-1]["ok"] is True
    app.db.execute("DROP TABLE balances")
    paid = successful_payment(USER, payload, "RUB", 50000, "charge-during-drop")
    headers = {"X-Telegram-Bot-Api-Secret-Token": "test-webhook-secret"}
    assert client.post("/webhook", json=paid, headers=headers).status_code == 503  # re-sent later
    assert app.db.fetch_one("SELECT count(*) FROM payments") == (0,)
    Migrator(app.db.settings).apply()
    app.plugins.probe(app.db)
    assert "Баланс пополнен на 500 ₽" in texts(send(paid))[0]
    assert app.balances.get(USER) == Decimal("500.00")
    assert ledger_differences(app.db) == []


def test_without_balance_reservations_top_ups_go_on(bot, bot_api):
    # A credit writes no reservation: top-ups need not stop with paid generations.
    app, send, _ = bot
    app.db.execute("DROP TABLE balance_reservations CASCADE")
    send(updates.callback(USER, "pay:m:card:100"))
    invoice = invoice_for(bot_api, USER)
    assert json.loads(invoice["prices"])[0]["amount"] == 10000
    assert send(pre_checkout(USER, invoice["payload"], "RUB", 10000))[-1]["ok"] is True


# -- the user cache follows the tables it vouches for ---------------------------------------

def test_a_users_table_rebuilt_between_two_probes_drops_the_user_cache(bot, bot_api, caplog):
    app, send, _ = bot
    caplog.set_level(logging.INFO, logger="genbot.plugins")
    app.plugins.probe(app.db)
    send(updates.message(USER, "/start", first_name="Аня", username="anya"))
    assert app.user_cache.fresh(USER, ("anya", "Аня", None))
    # Dropped and rebuilt before any probe saw it missing; migrate keeps an id-only row.
    app.db.execute("DROP TABLE users CASCADE")
    Migrator(app.db.settings).apply()
    assert app.db.fetch_one("SELECT first_name FROM users WHERE user_id = %s", (USER,)) == (None,)
    app.plugins.probe(app.db)
    assert "table users recreated: the user cache is dropped" in caplog.text
    assert len(app.user_cache) == 0
    send(updates.message(USER, "🆘 Помощь", first_name="Аня", username="anya"))
    assert app.db.fetch_one("SELECT first_name, username FROM users WHERE user_id = %s",
                            (USER,)) == ("Аня", "anya")


def test_a_balances_table_rebuilt_between_two_probes_drops_the_user_cache(bot, bot_api):
    # The cache vouches for the balance row too: a cached user's first hold after a
    # rebuild must find their row, not fail on it.
    app, send, _ = bot
    app.plugins.probe(app.db)
    send(updates.message(USER + 1, "/start"))
    assert app.user_cache.known(USER + 1)
    app.db.execute("DROP TABLE balances")
    Migrator(app.db.settings).apply()
    # as a table restored from a dump older than this user would be
    app.db.execute("DELETE FROM balances WHERE user_id = %s", (USER + 1,))
    app.plugins.probe(app.db)
    assert not app.user_cache.known(USER + 1)
    send(updates.message(USER + 1, "🆘 Помощь"))  # the middleware writes the row again
    assert app.db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = %s",
                            (USER + 1,)) == (Decimal("0.00"),)
