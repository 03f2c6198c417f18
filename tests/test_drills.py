"""Reliability drills: faults in the middle of mixed traffic to a real `run.py serve`.

While several simulated users tap through menus, free and paid generations and
signed payment callbacks (some sent twice), the database restarts, the server is
killed with SIGKILL, or an optional table is dropped. Afterwards no money is lost or
doubled (ledger check, every payment credited once), no job is stuck, no hold is left.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database, connect_once
from genbot.testing import updates
from genbot.testing.app import SECRET
from genbot.testing.postgres import migrated_server_of_its_own
from genbot.testing.waiting import wait_until
from tests.support.flows import generate, http_sender
from tests.support.serve import QUICK_JOBS, ServeProcess, free_port, serve_env
from tests.support.traffic import UNAVAILABLE, Traffic, job_endings_told

pytestmark = pytest.mark.drill
CALLBACK_SECRET = "drill-callback-secret"
USERS = list(range(9101, 9113))
NEWCOMER = 9199  # not one of the traffic's users: the fair queue serves them next
UNFINISHED = "SELECT count(*) FROM generation_jobs WHERE status IN ('queued', 'running')"
DRILL = {**QUICK_JOBS, "PAYMENT_CALLBACK_SECRET": CALLBACK_SECRET, "WEB_CONCURRENCY": 2,
         "DB_POOL_WAIT": "1", "PLUGIN_PROBE_INTERVAL": "0.5", "ADMIN_IDS": str(USERS[0])}


def fund(settings) -> Database:
    db = Database(settings, minconn=0, maxconn=4)
    balances = Balances(db, UserCache())
    for user_id in USERS:
        balances.credit(user_id, "100.00", reason="drill starting balance")
    return db


def balance_answer(server) -> str:
    response = requests.post(server.url + "/webhook", json=updates.message(USERS[1], "💰 Баланс"),
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
    assert response.status_code == 200
    return response.json().get("text", "")


def assert_money_and_jobs_settled(db, traffic: Traffic, bot_api):
    """Every callback credited exactly once, every job finished and its user told once,
    no hold left, the ledger check clean."""
    assert all(200 in c.statuses for c in traffic.callbacks)
    paid = db.fetch_one("SELECT count(*), COALESCE(SUM(amount_rub), 0) FROM payments "
                        "WHERE source = 'provider'")
    assert paid == (len(traffic.callbacks), traffic.distinct_total)
    assert db.fetch_one("SELECT COALESCE(SUM(amount_rub), 0) FROM payment_transactions "
                        "WHERE type = 'topup' AND reason LIKE 'provider payment %'")[0] \
        == traffic.distinct_total
    wait_until(lambda: db.fetch_one(UNFINISHED)[0] == 0, 30, lambda: "jobs stuck: " + repr(db.fetch_all(
        "SELECT id, status, locked_by, heartbeat_at, created_at, now() FROM generation_jobs "
        "WHERE status IN ('queued', 'running')")))
    wait_until(lambda: db.fetch_one("SELECT count(*) FROM generation_jobs WHERE NOT notified")[0] == 0,
               15, "a finished job's user was never told")
    assert db.fetch_one("SELECT count(*) FROM balance_reservations WHERE status = 'held'")[0] == 0
    assert ledger_differences(db) == []
    assert db.fetch_one("SELECT count(*) FROM generation_jobs WHERE price_rub > 0 "
                        "AND status = 'succeeded'")[0] > 0, "the drill ran no paid generation"
    jobs = dict(db.fetch_all("SELECT id, status FROM generation_jobs"))
    wait_until(lambda: set(job_endings_told(bot_api)) >= set(jobs), 10,
               lambda: f"jobs never told: {sorted(set(jobs) - set(job_endings_told(bot_api)))}")
    assert {job_id: n for job_id, n in job_endings_told(bot_api).items() if n != 1} == {}


def test_database_restart_mid_traffic(bot_api, tmp_path):
    embedded, settings = migrated_server_of_its_own(tmp_path / "pgdata")
    db = fund(settings)
    server = ServeProcess(serve_env(settings, bot_api, DRILL), cwd=tmp_path)
    traffic = None
    try:
        server.wait_ready()
        traffic = Traffic(server.url, bot_api, CALLBACK_SECRET, USERS).start()
        time.sleep(4)
        embedded.stop()  # ten seconds without a database, under load
        time.sleep(10)
        assert server.proc.poll() is None, "serve died with the database"
        settings = embedded.start()
        wait_until(lambda: "Ваш баланс" in balance_answer(server), 30,
                   "did not recover by itself after the database came back")
        time.sleep(4)  # traffic on a recovered server
        traffic.stop()

        assert server.proc.poll() is None
        assert set(traffic.webhook_statuses) == {200}, traffic.webhook_statuses
        assert traffic.answers["unavailable"] > 0, "the outage never showed the degradation message"
        assert set(s for c in traffic.callbacks for s in c.statuses) <= {200, 503}
        traffic.redeliver_unacknowledged()
        db.close()
        db = Database(settings, minconn=0, maxconn=4)
        assert_money_and_jobs_settled(db, traffic, bot_api)
    finally:
        if traffic:
            traffic.stop()
        server.stop()
        db.close()
        embedded.stop()


def test_kill_9_mid_traffic_then_restart(db_settings, bot_api, tmp_path):
    db = fund(db_settings)
    env = serve_env(db_settings, bot_api, DRILL, PORT=free_port())
    crashed = ServeProcess(env, cwd=tmp_path, log_path=tmp_path / "crashed.log")
    restarted = None
    traffic = None
    try:
        crashed.wait_ready()
        traffic = Traffic(crashed.url, bot_api, CALLBACK_SECRET, USERS).start()
        time.sleep(5)
        crashed.kill_group()  # in the middle of paid generations and payment callbacks
        time.sleep(1)
        restarted = ServeProcess(env, cwd=tmp_path, log_path=tmp_path / "restarted.log")
        restarted.wait_ready()
        time.sleep(4)
        traffic.stop()

        assert traffic.connection_errors > 0, "the kill did not land in the middle of traffic"
        assert set(traffic.webhook_statuses) == {200}, traffic.webhook_statuses
        traffic.redeliver_unacknowledged()
        assert_money_and_jobs_settled(db, traffic, bot_api)
    finally:
        if traffic:
            traffic.stop()
        crashed.stop()
        if restarted:
            restarted.stop()
        db.close()


@pytest.mark.parametrize("table,press", [
    ("generation_events", "/stats"),
    ("projects", "💼 Мои проекты"),
    ("project_history", "💼 Мои проекты"),
    ("referrals", "🤝 Партнёрка"),
    ("payment_transactions", "💳 Пополнить"),
    ("payments", "💳 Пополнить"),
    ("idempotency_records", "💳 Пополнить"),
    ("notes", "📝 Заметки"),
])
def test_optional_table_dropped_mid_traffic(db_settings, bot_api, tmp_path, table, press):
    db = fund(db_settings)
    server = ServeProcess(serve_env(db_settings, bot_api, DRILL), cwd=tmp_path)
    traffic = None
    try:
        server.wait_ready()
        traffic = Traffic(server.url, bot_api, CALLBACK_SECRET, USERS, threads=3).start()
        time.sleep(2)
        conn = connect_once(db_settings)
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE {table} CASCADE")
        conn.close()
        wait_until(lambda: f"{table} table missing" in server.log(), 10, "the log never named the table")
        time.sleep(2)
        traffic.stop()

        assert server.proc.poll() is None
        assert set(traffic.webhook_statuses) == {200}, traffic.webhook_statuses
        # That feature, and only it, degrades.
        send = _sender(server)
        assert send(updates.message(USERS[0], press)) == UNAVAILABLE
        assert "Ваш баланс" in send(updates.message(USERS[2], "💰 Баланс"))
        assert "Привет" in send(updates.message(USERS[3], "/start"))
        # A newcomer's generation is not held up by the backlog the traffic left behind.
        generate(http_sender(server.url, bot_api), NEWCOMER, "demo-text", "после удаления таблицы")
        bot_api.wait_for_text("после удаления таблицы", NEWCOMER)
        # Every error logged after the drop names the table it is about.
        errors = [line for line in server.log().splitlines() if re.search(r" (ERROR|CRITICAL) ", line)]
        assert all(table in line for line in errors), errors
        if table not in ("payments", "payment_transactions", "idempotency_records"):
            assert set(s for c in traffic.callbacks for s in c.statuses) == {200}
    finally:
        if traffic:
            traffic.stop()
        server.stop()
        db.close()


def _sender(server):
    def send(update) -> str:
        response = requests.post(server.url + "/webhook", json=update, timeout=10,
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200
        return (response.json() if response.content else {}).get("text", "")
    return send
