"""Generation through a real `run.py serve` process: money, events, a crash, an outage."""

from __future__ import annotations

import time
from decimal import Decimal

import psutil
import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.db import Database
from genbot.testing import updates
from genbot.testing.postgres import migrated_server_of_its_own
from genbot.testing.waiting import wait_until
from tests.support.flows import generate, http_sender
from tests.support.serve import QUICK_JOBS, ServeProcess, serve_env

pytestmark = pytest.mark.slow
USER = 820
UNAVAILABLE = "⚠️ База временно недоступна"


def test_free_and_paid_generation_end_to_end(db_settings, bot_api, tmp_path):
    db = Database(db_settings, minconn=0, maxconn=2)
    balances = Balances(db, UserCache())
    balances.credit(USER, "50.00")
    server = ServeProcess(serve_env(db_settings, bot_api, QUICK_JOBS), cwd=tmp_path)
    try:
        server.wait_ready()
        send = http_sender(server.url, bot_api)
        generate(send, USER, "demo-image", "кот", ("choice", 0))
        free = bot_api.wait_for("sendPhoto", chat_id=USER)[0]
        assert "Бесплатно" in free["caption"] and free["_multipart_bytes"] > 100
        generate(send, USER, "demo-image-hd", "кот в HD")
        paid = bot_api.wait_for("sendPhoto", 2, chat_id=USER)[1]
        assert "Списано 15 ₽" in paid["caption"]
        assert balances.summary(USER) == (Decimal("35.00"), Decimal("0"))
        deadline = time.monotonic() + 5
        while db.fetch_one("SELECT count(*) FROM generation_events")[0] < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert db.fetch_all("SELECT model_id, status, is_free_applied, price_rub FROM generation_events "
                            "ORDER BY id") == [
            ("demo-image", "started", True, Decimal("0.00")),
            ("demo-image", "success", True, Decimal("0.00")),
            ("demo-image-hd", "started", False, Decimal("15.00")),
            ("demo-image-hd", "success", False, Decimal("15.00"))]
        assert ledger_differences(db) == []
    finally:
        assert server.stop() == 0
        db.close()


def test_kill_9_during_a_paid_generation_then_restart(db_settings, bot_api, tmp_path):
    catalog = tmp_path / "catalog.toml"
    catalog.write_text('[[model]]\nid = "long"\ntitle = "Долгая"\ncategory = "image"\n'
                       'price_rub = "40.00"\nprovider = "demo"\ntimeout_s = 120\n'
                       'inputs = [{ name = "prompt", type = "text", label = "Текст" }]\n')
    db = Database(db_settings, minconn=0, maxconn=2)
    balances = Balances(db, UserCache())
    balances.credit(USER, "100.00")
    env = serve_env(db_settings, bot_api, QUICK_JOBS, CATALOG_FILE=str(catalog))
    crashed = ServeProcess(env, cwd=tmp_path, log_path=tmp_path / "crashed.log")
    crashed.wait_ready()
    generate(http_sender(crashed.url, bot_api), USER, "long", "!slow")
    deadline = time.monotonic() + 10
    while db.fetch_one("SELECT status FROM generation_jobs")[0] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert balances.summary(USER) == (Decimal("60.00"), Decimal("40.00"))
    crashed.kill_group()

    restarted = ServeProcess(env, cwd=tmp_path, log_path=tmp_path / "restarted.log")
    try:
        restarted.wait_ready()
        told = bot_api.wait_for_text("прервалась из-за сбоя", USER, timeout=15)
        assert "Деньги возвращены" in told["text"]
        assert balances.summary(USER) == (Decimal("100.00"), Decimal("0"))
        assert db.fetch_one("SELECT status, error_code FROM generation_jobs") == ("failed", "worker_lost")
        time.sleep(1.5)  # several sweeps later: still told once
        assert sum("прервалась" in m["text"] for m in bot_api.calls_to("sendMessage", USER)) == 1
        assert ledger_differences(db) == []
    finally:
        restarted.stop()
        db.close()


def test_database_outage_free_demo_still_answers_and_all_returns(bot_api, tmp_path):
    embedded, settings = migrated_server_of_its_own(tmp_path / "outage")
    server = ServeProcess(serve_env(settings, bot_api, QUICK_JOBS, PLUGIN_PROBE_INTERVAL="0.5",
                                    DB_POOL_WAIT="1"), cwd=tmp_path)
    try:
        server.wait_ready()
        send = http_sender(server.url, bot_api)
        send(updates.message(USER, "/start"))
        embedded.stop()  # the database goes away under traffic

        assert any(m.get("text") == UNAVAILABLE for m in send(updates.message(USER, "💰 Баланс")))
        generate(send, USER, "demo-text", "без базы")
        assert "без базы" in bot_api.wait_for_text("без базы", USER)["text"]
        # A paid model says so as soon as it is chosen: nothing can be held or charged.
        sent = send(updates.callback(USER, "gen:m:demo-text-pro"))
        assert [m.get("text") for m in sent if m.get("text")] == [UNAVAILABLE]

        settings = embedded.start()  # it comes back: so does everything, with no restart
        deadline = time.monotonic() + 20
        while True:
            answer = [m.get("text") for m in send(updates.message(USER, "💰 Баланс"))]
            if any(text and text.startswith("💰 Ваш баланс") for text in answer):
                break
            assert time.monotonic() < deadline, answer
            time.sleep(0.5)
        generate(send, USER, "demo-image", "снова с базой", ("choice", 0))
        bot_api.wait_for("sendPhoto", chat_id=USER)
    finally:
        server.stop()
        embedded.stop()


def test_a_worker_that_boots_while_the_database_is_down_comes_up(bot_api, tmp_path):
    """gunicorn replaces a worker that died; if the database is away just then, the new
    worker must still boot (its start-up job sweep waits for the database), or serve
    would stop altogether."""
    embedded, settings = migrated_server_of_its_own(tmp_path / "boot")
    server = ServeProcess(serve_env(settings, bot_api, QUICK_JOBS, DB_POOL_WAIT="1"), cwd=tmp_path)
    try:
        server.wait_ready()
        embedded.stop()
        [worker] = psutil.Process(server.proc.pid).children()
        worker.kill()

        def replaced_and_answering():
            try:
                children = psutil.Process(server.proc.pid).children()
                return children and children[0].pid != worker.pid and requests.get(
                    server.url + "/healthz", timeout=2).status_code == 200
            except (psutil.NoSuchProcess, requests.ConnectionError):
                return False  # serve itself has gone: the wait fails with its log

        wait_until(replaced_and_answering, 30, lambda: f"no worker came up:\n{server.log()[-3000:]}")
        assert server.proc.poll() is None
        assert "job sweep at start skipped: database unavailable" in server.log()
        generate(http_sender(server.url, bot_api), USER, "demo-text", "без базы, новый воркер")
        bot_api.wait_for_text("без базы, новый воркер", USER)
    finally:
        server.stop()
        embedded.stop()
