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
from genbot.testing.app import SECRET, TOKEN
from genbot.testing.postgres import url_for
from tests.support.serve import ServeProcess, base_env, run_cli

pytestmark = pytest.mark.slow
UNAVAILABLE = "⚠️ База временно недоступна"
METRICS_TOKEN = "degradation-metrics-token"


def post(server, update):
    response = requests.post(server.url + "/webhook", json=update, timeout=10,
                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200
    return response.json()["text"]


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
    env = base_env(DATABASE_URL=url_for(db_settings), BOT_TOKEN=TOKEN, WEBHOOK_SECRET=SECRET,
                   TELEGRAM_API_URL=bot_api.url, WEB_CONCURRENCY=1, WEB_THREADS=4,
                   DB_POOL_MIN=1, PLUGIN_PROBE_INTERVAL="0.5", ADMIN_IDS="42",
                   METRICS_TOKEN=METRICS_TOKEN)
    server = ServeProcess(env, cwd=tmp_path)
    try:
        server.wait_ready()
        assert f"WARNING genbot.plugins [req=- upd=- user=-] {table} table missing" in server.log()
        assert plugin_state(server, plugin) == {"state": "degraded", "reason": f"table {table} missing"}
        listed = {p["name"]: p for p in json.loads(run_cli("plugins", "--json", env=env, cwd=tmp_path).stdout)}
        assert listed[plugin]["state"] == "degraded"
        assert listed[plugin]["reason"] == f"table {table} missing"

        assert post(server, updates.message(42, press)) == UNAVAILABLE
        assert "Привет" in post(server, updates.message(42, "/start"))
        assert "Ваш баланс" in post(server, updates.message(42, "💰 Баланс"))
        assert "/start" in post(server, updates.message(42, "🆘 Помощь"))

        migrate = run_cli("migrate", env=env, cwd=tmp_path)
        assert migrate.returncode == 0, migrate.stderr
        deadline = time.monotonic() + 10
        while plugin_state(server, plugin)["state"] != "enabled":
            assert time.monotonic() < deadline, "the plugin did not come back"
            time.sleep(0.2)
        assert post(server, updates.message(42, press)) != UNAVAILABLE
    finally:
        assert server.stop() == 0
