"""The schema: the seed's tables exactly, bootstrap.sql identical, migrate repairs drift."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.db import query_once
from core.ops.migrations import CORE_MIGRATIONS_DIR, Migrator, render_bootstrap
from genbot.testing.postgres import url_for
from tests.support.schema import YOYO_TABLES, run_psql, snapshot

SEED_SQL = Path(__file__).parent / "data" / "seed_schema.sql"
BOOTSTRAP_SQL = CORE_MIGRATIONS_DIR / "bootstrap.sql"
SEED_TABLES = ["users", "balances", "generation_events", "projects", "project_history",
               "referrals", "payment_transactions"]


execute = query_once


@pytest.fixture
def core_db(pg):
    """A database with the core's migrations only (no plugin's tables)."""
    settings = pg.create()
    Migrator(settings).apply()
    yield settings
    pg.drop(settings.dbname)


@pytest.fixture
def reference(core_db):
    """The schema the core's migrations give, as the yardstick."""
    return snapshot(core_db)


def test_seed_tables_match_the_seed_sql_exactly(pg, core_db):
    seed = pg.create()
    try:
        assert run_psql(seed, SEED_SQL).returncode == 0
        ours = snapshot(core_db, SEED_TABLES)
        theirs = snapshot(seed, SEED_TABLES)
        assert ours["tables"] == sorted(SEED_TABLES)
        assert ours["columns"] == theirs["columns"]
        assert ours["indexes"] == theirs["indexes"]
        # Our constraints are the seed's plus one CHECK that keeps balances non-negative.
        extra = set(ours["constraints"]) - set(theirs["constraints"])
        assert set(theirs["constraints"]) <= set(ours["constraints"])
        assert extra == {("balances", "balances_balance_rub_nonnegative", "c",
                          "CHECK ((balance_rub >= (0)::numeric))")}
    finally:
        pg.drop(seed.dbname)


def test_bootstrap_sql_gives_the_identical_schema_and_is_idempotent(empty_db_settings, reference):
    first = run_psql(empty_db_settings, BOOTSTRAP_SQL)
    assert first.returncode == 0, first.stderr
    assert snapshot(empty_db_settings) == reference
    execute(empty_db_settings, "INSERT INTO users (user_id) VALUES (1)")
    second = run_psql(empty_db_settings, BOOTSTRAP_SQL)
    assert second.returncode == 0, second.stderr
    assert snapshot(empty_db_settings) == reference
    assert execute(empty_db_settings, "SELECT count(*) FROM users") == [(1,)]


def test_migrate_after_bootstrap_records_and_keeps_the_schema(empty_db_settings, reference):
    assert run_psql(empty_db_settings, BOOTSTRAP_SQL).returncode == 0
    Migrator(empty_db_settings).apply()
    assert snapshot(empty_db_settings) == reference
    assert all(s.applied for s in Migrator(empty_db_settings).status())


def test_a_bare_yoyo_apply_gives_the_seed_schema_and_migrate_keeps_it(empty_db_settings, reference):
    """The seed's world: `yoyo apply migrations/` with nothing of genbot's but the folder.
    yoyo also reads bootstrap.sql (a last, converging migration), which changes nothing."""
    yoyo = Path(sys.executable).parent / "yoyo"
    applied = subprocess.run([str(yoyo), "apply", "--batch", "--database", url_for(empty_db_settings),
                              str(CORE_MIGRATIONS_DIR)], capture_output=True, text=True, timeout=120)
    assert applied.returncode == 0, applied.stderr
    assert snapshot(empty_db_settings) == reference
    recorded = execute(empty_db_settings, "SELECT migration_id FROM _yoyo_migration ORDER BY 1")
    assert [r[0] for r in recorded] == [s.id for s in Migrator(empty_db_settings).status()] + ["bootstrap"]
    assert Migrator(empty_db_settings).apply() == []
    assert snapshot(empty_db_settings) == reference


def test_rollback_everything_then_migrate_again(core_db, reference):
    migrator = Migrator(core_db)
    undone = migrator.rollback(10)
    assert undone == ["0009_stars_record_position", "0008_delivery_edges", "0007_journey",
                      "0006_money_under_faults", "0005_payments", "0004_generation",
                      "0003_conversations", "0002_core_mechanisms", "0001_seed_schema"]
    assert snapshot(core_db)["tables"] == []
    assert migrator.apply() == ["0001_seed_schema", "0002_core_mechanisms", "0003_conversations",
                               "0004_generation", "0005_payments", "0006_money_under_faults",
                               "0007_journey", "0008_delivery_edges", "0009_stars_record_position"]
    assert snapshot(core_db) == reference


def test_rollback_five_steps(core_db):
    Migrator(core_db).rollback(5)
    tables = snapshot(core_db)["tables"]
    assert "payments" not in tables and "generation_jobs" in tables
    assert [s.applied for s in Migrator(core_db).status()] == [True] * 4 + [False] * 5


@pytest.mark.parametrize("steps,migrations,columns", [
    (2, ["0008_delivery_edges", "0009_stars_record_position"], ("refunded_rub", "partial_output")),
    (3, ["0007_journey", "0008_delivery_edges", "0009_stars_record_position"],
     ("lang", "failure_reason", "delivered_files")),
])
def test_a_journey_or_delivery_rollback_drops_only_its_columns(core_db, reference, steps, migrations,
                                                                columns):
    Migrator(core_db).rollback(1)  # 0009_stars_record_position: its table only
    assert "stars_record_position" not in snapshot(core_db)["tables"]
    Migrator(core_db).rollback(steps - 1)
    present = {c for c in snapshot(core_db)["columns"] if c[0] == "generation_jobs"}
    assert not [c for c in present if c[1] in columns]
    assert "payments" in snapshot(core_db)["tables"]
    assert Migrator(core_db).apply() == migrations
    # Columns added again come last (PostgreSQL keeps the dropped ones' positions).
    def without_positions(shot):
        return dict(shot, columns=sorted(c[:2] + c[3:] for c in shot["columns"]))
    assert without_positions(snapshot(core_db)) == without_positions(reference)


def test_the_review_rollback_refuses_while_a_payment_awaits_review(core_db):
    execute(core_db, "INSERT INTO users (user_id) VALUES (1)")
    execute(core_db, "INSERT INTO payments (source, external_id, user_id, status) "
                     "VALUES ('telegram', 'c1', 1, 'review')")
    Migrator(core_db).rollback(3)  # 0009, 0008, 0007: nothing of payments
    with pytest.raises(Exception, match="settle them"):
        Migrator(core_db).rollback(1)
    assert Migrator(core_db).status()[-4].applied


@pytest.mark.parametrize("table", SEED_TABLES + ["balance_reservations", "processed_updates",
                                                  "conversation_state", "generation_jobs",
                                                  "free_usage", "payments", "idempotency_records"])
def test_migrate_repairs_a_table_dropped_by_hand(core_db, reference, table):
    execute(core_db, f"DROP TABLE {table} CASCADE")
    Migrator(core_db).apply()
    assert snapshot(core_db) == reference


def test_migrate_completes_a_partial_restore_without_migration_records(empty_db_settings, reference):
    # The seed's Backup section: only users and balances are critical to restore.
    execute(empty_db_settings, """
        CREATE TABLE users (user_id BIGINT PRIMARY KEY, username TEXT, first_name TEXT,
            last_name TEXT, created_at TIMESTAMP DEFAULT NOW(), updated_at TIMESTAMP DEFAULT NOW());
        CREATE TABLE balances (user_id BIGINT PRIMARY KEY REFERENCES users(user_id),
            balance_rub DECIMAL(10, 2) DEFAULT 0, updated_at TIMESTAMP DEFAULT NOW());
        INSERT INTO users (user_id, first_name) VALUES (1, 'Аня'), (2, 'Борис');
        INSERT INTO balances (user_id, balance_rub) VALUES (1, 150.50);
    """)
    Migrator(empty_db_settings).apply()
    assert snapshot(empty_db_settings) == reference
    assert execute(empty_db_settings, "SELECT user_id, balance_rub FROM balances ORDER BY 1") == \
        [(1, Decimal("150.50")), (2, Decimal("0.00"))]


def test_yoyo_tables_are_only_bookkeeping(core_db):
    names = {r[0] for r in execute(core_db, "SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert set(YOYO_TABLES) <= names


def test_repairing_a_dropped_users_table_keeps_every_balance(core_db, reference):
    execute(core_db, """
        INSERT INTO users (user_id, first_name) VALUES (1, 'Аня'), (2, 'Борис');
        UPDATE balances SET balance_rub = 0;
        INSERT INTO balances (user_id, balance_rub) VALUES (1, 10), (2, 20.5)
            ON CONFLICT (user_id) DO UPDATE SET balance_rub = EXCLUDED.balance_rub;
        INSERT INTO payment_transactions (user_id, amount_rub, type) VALUES (1, 10, 'topup'), (2, 20.5, 'topup');
        DROP TABLE users CASCADE;
    """)
    Migrator(core_db).apply()
    assert snapshot(core_db) == reference
    assert execute(core_db, "SELECT user_id, balance_rub FROM balances ORDER BY 1") == \
        [(1, Decimal("10.00")), (2, Decimal("20.50"))]
    assert execute(core_db, "SELECT user_id, first_name FROM users ORDER BY 1") == [(1, None), (2, None)]


def test_repairing_a_dropped_projects_table_keeps_the_history(core_db, reference):
    execute(core_db, """
        INSERT INTO users (user_id) VALUES (1);
        INSERT INTO projects (id, user_id, name) VALUES (7, 1, 'Старый');
        INSERT INTO project_history (project_id, user_id, model_id, inputs, status)
            VALUES (7, 1, 'demo', '{"prompt": "кот"}', 'success');
        DROP TABLE projects CASCADE;
    """)
    Migrator(core_db).apply()
    assert snapshot(core_db) == reference
    assert execute(core_db, "SELECT id, user_id, name FROM projects") == [(7, 1, "Восстановленный проект")]
    assert execute(core_db, "SELECT count(*) FROM project_history") == [(1,)]
    assert execute(core_db, "INSERT INTO projects (user_id, name) VALUES (1, 'Новый') RETURNING id") == [(8,)]


def test_bootstrap_sql_is_the_migrations_as_they_stand():
    assert BOOTSTRAP_SQL.read_text() == render_bootstrap(), \
        "regenerate it: python -m core.ops.migrations > migrations/bootstrap.sql"
