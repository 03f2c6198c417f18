"""The seed's degradation matrix against a real `run.py serve` process.

For each optional table: dropped before start, the server still starts, says which
table is missing (log, `run.py plugins`, /readyz), the feature's button answers
"⚠️ База временно недоступна" while the rest of the bot works, and after
`run.py migrate` the plugin is back within the probe interval, without a restart.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from core.db import connect_once
from genbot.testing import updates
from tests.support.serve import ServeProcess, run_cli, serve_env

pytestmark = pytest.mark.slow
UNAVAILABLE = "⚠️ База временно недоступна"
METRICS_TOKEN = "degradation-metrics-token"


def plugin_state(server, name):
    return requests.get(server.url + "/readyz", timeout=5,
                        headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).json()["plugins"][name]


@pytest.mark.parametrize("table,plugin,press", [
    ("generation_events", "generation_events", "/stats"),
    ("projects", "projects", "💼 Мои проекты"),
    ("referrals", "referrals", "🤝 Партнёрка"),
])
def test_missing_table_degrades_then_migrate_brings_it_back(db_settings, bot_api, tmp_path,
                                                            table, plugin, press):
    conn = connect_once(db_settings)
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE {table} CASCADE")
    conn.close()
    env = serve_env(db_settings, bot_api, WEB_THREADS=4, PLUGIN_PROBE_INTERVAL="0.5", ADMIN_IDS="42",
                    METRICS_TOKEN=METRICS_TOKEN)
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        assert f"WARNING genbot.plugins [req=- upd=- user=-] {table} table missing" in server.log()
        assert plugin_state(server, plugin) == {"state": "degraded", "reason": f"table {table} missing"}
        listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json", env=env, cwd=tmp_path).stdout)}
        assert listed[plugin]["state"] == "degraded"
        assert listed[plugin]["reason"] == f"table {table} missing"

        assert server.reply(updates.message(42, press))["text"] == UNAVAILABLE
        assert "Привет" in server.reply(updates.message(42, "/start"))["text"]
        assert "Ваш баланс" in server.reply(updates.message(42, "💰 Баланс"))["text"]
        assert "/start" in server.reply(updates.message(42, "🆘 Помощь"))["text"]

        migrate = run_cli("migrate", env=env, cwd=tmp_path)
        assert migrate.returncode == 0, migrate.stderr
        deadline = time.monotonic() + 10
        while plugin_state(server, plugin)["state"] != "enabled":
            assert time.monotonic() < deadline, "the plugin did not come back"
            time.sleep(0.2)
        assert server.reply(updates.message(42, press))["text"] != UNAVAILABLE
    finally:
        assert server.stop() == 0


def test_without_balances_no_top_up_is_sold_and_the_ledger_rebuilds_every_balance(db_settings, bot_api,
                                                                                  tmp_path):
    """The seed's matrix for top-ups, on a served bot: `DROP TABLE balances` → no invoice
    is sent and a pre-checkout is refused, at once (the probe here runs once an hour);
    `migrate` rebuilds the table empty, `repair-balances` (a dry run, then --apply)
    restores every balance from the ledger, and doctor is clean."""
    from decimal import Decimal

    from core.accounts.balances import Balances
    from core.accounts.users import UserCache
    from core.db import Database
    from plugins.payments.callback import signature_of
    from tests.support.flows import generate, http_sender
    from tests.test_payments import pre_checkout, successful_payment

    env = serve_env(db_settings, bot_api, WEB_CONCURRENCY=2, WEB_THREADS=4, PLUGIN_PROBE_INTERVAL=3600,
                    JOB_WORKERS=0, PAYMENT_CALLBACK_SECRET="cb-secret")
    server = ServeProcess(env, cwd=tmp_path)
    db = Database(db_settings, minconn=0, maxconn=2)
    balances = Balances(db, UserCache())
    send = http_sender(server.url, bot_api)
    try:
        server.wait_ready()
        # Money of three users, moved the ways genbot moves it.
        send(updates.callback(601, "pay:a:300"))  # Stars at 1.50 ₽: 200 ⭐
        invoice = bot_api.calls_to("sendInvoice", 601)[-1]
        assert send(pre_checkout(601, invoice["payload"], "XTR", 200))[-1]["ok"] is True
        send(successful_payment(601, invoice["payload"], "XTR", 200, "stars-601"))
        for user, amount in ((602, "250.00"), (603, "80.00")):
            raw = json.dumps({"payment_id": f"cb-{user}", "user_id": user, "amount_rub": amount,
                              "status": "succeeded"}).encode()
            assert requests.post(server.url + "/payments/callback", data=raw, timeout=10, headers={
                "X-Signature": signature_of("cb-secret", raw)}).status_code == 200
        generate(send, 602, "demo-image-hd", "держит 15 ₽")  # queued (no workers): 15 ₽ held
        balances.debit(603, "30.00", reason="spent")
        before = {user: balances.summary(user) for user in (601, 602, 603)}
        assert before == {601: (Decimal("300.00"), Decimal("0")),
                          602: (Decimal("235.00"), Decimal("15.00")),
                          603: (Decimal("50.00"), Decimal("0"))}
        ledger = db.fetch_all("SELECT * FROM payment_transactions ORDER BY id")
        send(updates.callback(601, "pay:a:100"))  # an invoice issued before the drop
        unpaid = bot_api.calls_to("sendInvoice", 601)[-1]["payload"]
        invoices = len(bot_api.calls_to("sendInvoice"))

        db.execute("DROP TABLE balances")
        for user in (601, 602, 603):  # whichever worker answers: the seed's words, no invoice
            assert server.reply(updates.message(user, "💳 Пополнить"))["text"] == UNAVAILABLE
            read = [m.get("text") for m in send(updates.callback(user, "pay:a:500"))]
            assert UNAVAILABLE in read, read
        assert len(bot_api.calls_to("sendInvoice")) == invoices
        for _ in range(4):  # Telegram asks before it takes the money: refused, by every worker
            refused = send(pre_checkout(601, unpaid, "XTR", 67))[-1]
            assert (refused["method"], refused["ok"], refused["error_message"]) == (
                "answerPreCheckoutQuery", False, UNAVAILABLE)

        migrate = run_cli("migrate", env=env, cwd=tmp_path)
        assert migrate.returncode == 0, migrate.stderr
        assert "recreated table balances" in migrate.stdout.splitlines()
        assert "schema up to date" not in migrate.stdout
        assert db.fetch_all("SELECT user_id, balance_rub FROM balances WHERE user_id IN (601, 602, 603) "
                            "ORDER BY 1") == [(601, 0), (602, 0), (603, 0)]  # every balance reads 0 ₽
        broken = run_cli("doctor", env=env, cwd=tmp_path)
        assert broken.returncode == 2
        assert "✗ ledger: 3 user(s) whose balance + held differs from the ledger  → genbot " \
               "repair-balances" in broken.stdout

        dry = run_cli("repair-balances", env=env, cwd=tmp_path)
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.splitlines() == [
            "user 601: 0.00 → 300.00  (ledger 300.00 − held 0.00)",
            "user 602: 0.00 → 235.00  (ledger 250.00 − held 15.00)",
            "user 603: 0.00 → 50.00  (ledger 50.00 − held 0.00)",
            "dry run: 3 balance(s) differ from the ledger; nothing changed. Rebuild 3 from the "
            "ledger with: genbot repair-balances --apply"]
        assert balances.summary(602) == (Decimal("0.00"), Decimal("15.00"))  # the dry run wrote nothing

        applied = run_cli("repair-balances", "--apply", env=env, cwd=tmp_path)
        assert applied.returncode == 0, applied.stderr
        assert applied.stdout.splitlines()[-1] == "repaired 3 balance(s) from the ledger"
        assert applied.stderr.count("WARNING genbot.balances") == 3
        assert "balance of user 602 repaired from the ledger: 0.00 -> 235.00 (ledger 250.00, held 15.00)" \
            in applied.stderr
        clean = run_cli("doctor", env=env, cwd=tmp_path)
        assert clean.returncode == 0, clean.stdout
        assert clean.stdout.splitlines()[-1] == "healthy"
        assert {user: balances.summary(user) for user in (601, 602, 603)} == before
        assert db.fetch_all("SELECT * FROM payment_transactions ORDER BY id") == ledger  # no row written
    finally:
        db.close()
        assert server.stop() == 0
