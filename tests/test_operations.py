"""Operating genbot: doctor, metrics, admin commands, logs, chat, polling (backup and restore: test_backup.py)."""

from __future__ import annotations

import json
import sys
import time

import pexpect
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from core.db import Database, query_once
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN, exchange, make_app, texts
from genbot.testing.postgres import url_for
from tests.support.serve import RUN_PY, ServeProcess, base_env, run_cli

ADMIN, STRANGER = 77, 78


sql = query_once


def test_doctor_names_each_problem_and_exits_2(db_settings, tmp_path):
    env = base_env(DATABASE_URL=url_for(db_settings))
    assert run_cli("doctor", env=env, cwd=tmp_path).returncode == 0
    sql(db_settings, """
        INSERT INTO users (user_id) VALUES (1);
        INSERT INTO balances (user_id, balance_rub) VALUES (1, 10) ON CONFLICT (user_id) DO UPDATE SET balance_rub = 10;
        INSERT INTO payment_transactions (user_id, amount_rub, type) VALUES (1, 5, 'topup');
        INSERT INTO balance_reservations (user_id, amount_rub, created_at) VALUES (1, 1, NOW() - INTERVAL '3 hours');
        UPDATE balances SET balance_rub = 9 WHERE user_id = 1;
        DROP TABLE referrals;
        ALTER TABLE payments DROP CONSTRAINT payments_user_id_fkey;
    """)
    result = run_cli("doctor", "--json", env=env, cwd=tmp_path)
    assert result.returncode == 2
    findings = {f["check"]: f for f in json.loads(result.stdout)["findings"]}
    assert findings["tables"]["details"] == ["referrals"] and findings["tables"]["fix"] == "genbot migrate"
    assert findings["foreign_keys"]["details"] == ["payments_user_id_fkey"]
    assert findings["stuck_reservations"]["severity"] == "warning" and findings["stuck_reservations"]["fix"] == "genbot cleanup"
    assert findings["ledger"]["details"] == [{"user_id": 1, "balance": "9.00", "held": "1.00", "ledger": "5.00"}]
    text = run_cli("doctor", env=env, cwd=tmp_path).stdout
    assert "✗ ledger" in text and "referrals" in text and "critical problems found" in text


def test_admin_commands_answer_admins_and_do_not_exist_for_others(db_settings, bot_api, tmp_path):
    app, client = make_app(db_settings, bot_api, tmp_path=tmp_path, ADMIN_IDS=str(ADMIN))
    try:
        send = lambda update: texts(exchange(client, bot_api, update))  # noqa: E731
        send(updates.message(STRANGER, "/start"))
        for command in ("/stats", "/health", f"/user {STRANGER}", f"/adjust {STRANGER} +10 подарок"):
            assert send(updates.message(STRANGER, command)) == ["Такой команды нет. Список команд — /help."]
        assert "Состояние" in send(updates.message(ADMIN, "/health"))[0]
        stats = send(updates.message(ADMIN, "/stats"))[0]
        assert "Генерации за 24 часа" in stats
        assert "💳 Пополнения за 24 часа: 0 на 0 ₽; возвращено: 0" in stats  # payments' admin_stats
        assert "+10 ₽, теперь 10 ₽" in send(updates.message(ADMIN, f"/adjust {STRANGER} +10 подарок"))[0]
        assert "−3,50 ₽, теперь 6,50 ₽" in send(updates.message(ADMIN, f"/adjust {STRANGER} -3.50 ошибка"))[0]
        assert "больше баланса" in send(updates.message(ADMIN, f"/adjust {STRANGER} -100 много"))[0]
        assert "Формат" in send(updates.message(ADMIN, "/adjust oops"))[0]
        card = send(updates.message(ADMIN, f"/user {STRANGER}"))[0]
        assert "Баланс: 6,50 ₽" in card
        reasons = [r[0] for r in app.db.fetch_all("SELECT reason FROM payment_transactions ORDER BY id")]
        assert reasons == [f"admin {ADMIN}: подарок", f"admin {ADMIN}: ошибка"]
    finally:
        app.close()


@pytest.mark.slow
def test_metrics_parse_and_move_with_traffic_and_logs_hold_no_secret(pg, db_settings, bot_api, tmp_path):
    password = "pg-password-do-not-log"
    url = url_for(db_settings).replace("postgres@", f"postgres:{password}@")
    callback_secret = "callback-secret-do-not-log"
    metrics_token = "metrics-token-do-not-log"
    env = base_env(DATABASE_URL=url, BOT_TOKEN=TOKEN, WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL=bot_api.url,
                   WEBHOOK_URL="https://bot.example.test", PAYMENT_CALLBACK_SECRET=callback_secret,
                   WEB_CONCURRENCY=2, JOB_WORKERS=2, LOG_LEVEL="DEBUG", ADMIN_IDS=str(ADMIN),
                   METRICS_TOKEN=metrics_token)
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()

        def scrape():
            text = requests.get(server.url + "/metrics", timeout=5,
                                headers={"Authorization": f"Bearer {metrics_token}"}).text
            return {(s.name, tuple(sorted(s.labels.items()))): s.value
                    for family in text_string_to_metric_families(text) for s in family.samples}

        before = scrape()
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        for _ in range(20):
            requests.post(server.url + "/webhook", json=updates.message(ADMIN, "/start"), headers=headers, timeout=10)
        requests.post(server.url + "/webhook", json=updates.message(ADMIN, "/health"), headers=headers, timeout=10)
        requests.post(server.url + "/webhook", data=b"junk", headers=headers, timeout=10)
        after = scrape()
        processed = ("genbot_updates_total", (("outcome", "processed"), ("type", "message")))
        assert after[processed] - before.get(processed, 0) == 21
        assert after[("genbot_updates_total", (("outcome", "rejected_400"), ("type", "unknown")))] >= 1
        assert after[("genbot_webhook_seconds_count", ())] - before.get(("genbot_webhook_seconds_count", ()), 0) >= 22
        assert ("genbot_queue_depth", ()) in after
        assert after[("genbot_plugin_state", (("plugin", "projects"), ("state", "enabled")))] == 1
    finally:
        server.stop()
    log = server.log()
    assert "Starting gunicorn" in log and "req=" in log
    for secret in (TOKEN, SECRET, password, callback_secret, metrics_token, TOKEN.split(":")[1]):
        assert secret not in log


@pytest.mark.slow
def test_the_chat_console_in_a_terminal(db_settings, tmp_path):
    env = base_env(DATABASE_URL=url_for(db_settings), GENBOT_DATA_DIR=str(tmp_path / "data"))
    child = pexpect.spawn(sys.executable, [RUN_PY, "chat"], env=env, cwd=str(tmp_path),
                          encoding="utf-8", timeout=30)
    try:
        child.expect("Привет")
        child.expect(r"меню: \[🖼 Изображения\]")
        child.expect_exact("вы> ")
        child.sendline("🎁 Бесплатные")
        child.expect(r"(\d+)\) Демо: картинка")
        number = child.match.group(1)
        child.expect_exact("вы> ")
        child.sendline(number)
        child.expect("Опишите картинку")
        child.expect_exact("вы> ")
        child.sendline("кот в терминале")
        child.expect(r"1\) • 1:1")
        child.expect_exact("вы> ")
        child.sendline("1")
        child.expect(r"1\) ✅ Запустить")
        child.expect_exact("вы> ")
        child.sendline("1")
        child.expect(r"\[photo сохранён: (\S+\.png)\]")
        with open(child.match.group(1), "rb") as picture:
            assert picture.read(8) == b"\x89PNG\r\n\x1a\n"
        child.sendline("💰 Баланс")
        child.expect("Ваш баланс: 0 ₽")
        child.sendline("/quit")
        child.expect("пока!")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


@pytest.mark.slow
def test_polling_mode_uses_the_same_handlers_and_dedupe(db_settings, bot_api, tmp_path):
    env = base_env(DATABASE_URL=url_for(db_settings), BOT_TOKEN=TOKEN, TELEGRAM_API_URL=bot_api.url,
                   BOT_MODE="polling", JOB_WORKERS=1)
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        bot_api.wait_for("deleteWebhook")
        start = updates.message(31, "/start", first_name="Поллинг")
        bot_api.push_update(start)
        bot_api.push_update(dict(start))  # Telegram re-sent it: answered once
        bot_api.push_update(updates.message(31, "/balance", first_name="Поллинг"))
        reply = bot_api.wait_for("sendMessage", 2, chat_id=31)
        time.sleep(1)
        texts_sent = [m["text"] for m in bot_api.calls_to("sendMessage", 31)]
        assert sum("Поллинг" in t for t in texts_sent) == 1
        assert any("Ваш баланс" in t for t in texts_sent)
        assert "keyboard" in reply[0]["reply_markup"]
        assert Database(db_settings, minconn=0, maxconn=1).fetch_one(
            "SELECT first_name FROM users WHERE user_id = 31") == ("Поллинг",)
    finally:
        server.stop()
