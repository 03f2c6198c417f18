"""`genbot doctor` as a monitoring check: exit 0 healthy, 1 warning, 2 critical, and the
same status in --json (the monitoring-plugins convention Nagios and Icinga use)."""

from __future__ import annotations

import json

import pytest

from core.db import query_once
from genbot.testing.postgres import url_for
from tests.support.serve import base_env, run_cli


def doctor(settings, tmp_path, url=None):
    env = base_env(DATABASE_URL=url or url_for(settings))
    text = run_cli("doctor", env=env, cwd=tmp_path)
    as_json = run_cli("doctor", "--json", env=env, cwd=tmp_path)
    return text, as_json.returncode, json.loads(as_json.stdout)


def test_a_healthy_database_is_exit_0(db_settings, tmp_path):
    text, code, report = doctor(db_settings, tmp_path)
    assert text.returncode == code == 0, text.stdout
    assert text.stdout.rstrip().endswith("healthy")
    assert report["status"] == "ok" and report["exit_code"] == 0 and report["healthy"]


@pytest.mark.parametrize("trouble,check", [
    ("DROP TABLE projects CASCADE", "tables"),  # an optional table: its plugin degrades
    ("INSERT INTO users (user_id) VALUES (5); INSERT INTO payments (source, external_id, "
     "user_id, status, review_reason) VALUES ('telegram', 'c-5', 5, 'review', 'no invoice')",
     "payments"),
    # a hold of 1 ₽ from a 1 ₽ top-up, two hours old: the ledger adds up, the hold is stuck
    ("INSERT INTO users (user_id) VALUES (6); INSERT INTO balances (user_id, balance_rub) "
     "VALUES (6, 0); INSERT INTO payment_transactions (user_id, amount_rub, type) VALUES "
     "(6, 1, 'topup'); INSERT INTO balance_reservations (user_id, amount_rub, created_at) "
     "VALUES (6, 1, NOW() - INTERVAL '2 hours')", "stuck_reservations"),
])
def test_something_degraded_or_awaiting_a_person_is_exit_1(db_settings, tmp_path, trouble, check):
    query_once(db_settings, trouble)
    text, code, report = doctor(db_settings, tmp_path)
    assert text.returncode == code == 1, text.stdout
    assert report["status"] == "warning" and not report["healthy"]
    assert {f["check"] for f in report["findings"] if f["severity"] == "warning"} >= {check}
    assert not [f for f in report["findings"] if f["severity"] == "critical"]


def test_a_dropped_users_table_is_exit_2(db_settings, tmp_path):
    query_once(db_settings, "DROP TABLE users CASCADE")
    text, code, report = doctor(db_settings, tmp_path)
    assert text.returncode == code == 2
    assert "✗ tables: the users table is missing" in text.stdout
    assert report["status"] == "critical"


def test_an_unreachable_database_is_exit_2_in_one_finding(tmp_path):
    url = "postgresql://admin:hunter2secret@127.0.0.1:1/genbot"
    text, code, report = doctor(None, tmp_path, url=url)
    assert text.returncode == code == 2
    assert text.stdout.startswith("✗ database: cannot reach the database")
    assert [f["check"] for f in report["findings"]] == ["database"]
    assert "hunter2secret" not in text.stdout + text.stderr + json.dumps(report)


def test_a_ledger_difference_names_the_repair_and_the_repair_clears_it(db_settings, tmp_path):
    query_once(db_settings, "INSERT INTO users (user_id) VALUES (7); INSERT INTO balances (user_id, "
                            "balance_rub) VALUES (7, 0); INSERT INTO payment_transactions (user_id, "
                            "amount_rub, type) VALUES (7, 30, 'topup')")
    text, code, report = doctor(db_settings, tmp_path)
    assert text.returncode == code == 2
    [ledger] = [f for f in report["findings"] if f["check"] == "ledger"]
    assert ledger["fix"] == ("genbot repair-balances (a dry run: balance → ledger − held per user), "
                             "then genbot repair-balances --apply")
    assert "→ genbot repair-balances (a dry run" in text.stdout
    env = base_env(DATABASE_URL=url_for(db_settings))
    assert run_cli("repair-balances", "--apply", env=env, cwd=tmp_path).returncode == 0
    text, code, report = doctor(db_settings, tmp_path)
    assert text.returncode == code == 0, text.stdout
