"""run.py as an operator meets it: configuration errors, migrate, rollback, the lock."""

from __future__ import annotations

import threading

import pytest

from core.db import connect_once, query_once
from genbot.testing.postgres import url_for
from tests.support.schema import snapshot
from tests.support.serve import base_env, run_cli


@pytest.mark.parametrize("env,variable", [
    ({"PORT": "eighty"}, "PORT"),
    ({"PORT": "70000"}, "PORT"),
    ({"DB_POOL_MAX": "0"}, "DB_POOL_MAX"),
    ({"DB_POOL_MIN": "30", "DB_POOL_MAX": "20"}, "DB_POOL_MIN"),
    ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN"),
    ({"ADMIN_IDS": "1,two"}, "ADMIN_IDS"),
    ({"AUTO_MIGRATE": "maybe"}, "AUTO_MIGRATE"),
    ({"WEBHOOK_URL": "ftp://example.com"}, "WEBHOOK_URL"),
    ({"WEBHOOK_SECRET": "has spaces"}, "WEBHOOK_SECRET"),
    ({"TELEGRAM_API_URL": "nonsense"}, "TELEGRAM_API_URL"),
    ({"DB_HOST": "db.example.com"}, "DB_NAME"),
    ({"DB_NAME": "x"}, "DB_HOST"),
    ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN"),
    ({"DB_USER": "bot", "DB_PASSWORD": "hunter2secret", "DB_PORT": "5433"}, "DB_HOST"),
    ({"DB_STATEMENT_TIMEOUT_MS": "NaN"}, "DB_STATEMENT_TIMEOUT_MS"),
])
def test_a_wrong_setting_is_one_line_naming_the_variable_exit_2(env, variable, tmp_path):
    result = run_cli("migrate", env=base_env(**env), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0]
    assert "hunter2secret" not in result.stderr


def test_libpq_pg_variables_name_the_database(db_settings, tmp_path):
    env = base_env(PGHOST=db_settings.host, PGPORT=db_settings.port, PGDATABASE=db_settings.dbname,
                   PGUSER=db_settings.user, GENBOT_DATA_DIR=tmp_path / "never-used")
    result = run_cli("migrate", "--list", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("applied ") >= 6
    assert not (tmp_path / "never-used").exists()  # not the embedded database


def test_the_command_is_called_genbot_and_tells_its_version(tmp_path):
    from importlib.metadata import version
    assert run_cli("--help", cwd=tmp_path).stdout.startswith("usage: genbot ")
    shown = run_cli("--version", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.strip() == f"genbot {version('genbot')}"


def test_migrate_new_starts_the_next_numbered_pair_that_applies(db_settings, tmp_path):
    folder = tmp_path / "plugin_migrations"
    folder.mkdir()
    (folder / "pins_0001_create.sql").write_text("CREATE TABLE IF NOT EXISTS pins (id INT);\n")
    (folder / "pins_0001_create.rollback.sql").write_text("DROP TABLE IF EXISTS pins;\n")
    made = run_cli("migrate", "new", "add_colour", "--dir", str(folder), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    forward = folder / "pins_0002_add_colour.sql"
    assert (folder / "pins_0002_add_colour.rollback.sql").exists()
    forward.write_text(forward.read_text() + "ALTER TABLE pins ADD COLUMN IF NOT EXISTS colour TEXT;\n")
    again = run_cli("migrate", "new", "add_colour", "--dir", str(folder), cwd=tmp_path)
    assert again.returncode == 0 and (folder / "pins_0003_add_colour.sql").exists()
    refused = run_cli("migrate", "new", "Drop Table", "--dir", str(folder), cwd=tmp_path)
    assert refused.returncode == 1 and "a-z, 0-9 and _" in refused.stderr

    from core.ops.migrations import Migrator
    assert Migrator(db_settings, [folder]).apply() == [
        "pins_0001_create", "pins_0002_add_colour", "pins_0003_add_colour"]
    columns = query_once(db_settings, "SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'pins' ORDER BY ordinal_position")
    assert columns == [("id",), ("colour",)]


@pytest.mark.parametrize("url", [
    "mysql://admin:hunter2secret@db.example.com/genbot",
    "postgresql://admin:hunter2secret@db.example.com:notaport/genbot",
    "postgresql://admin:hunter2secret@db.example.com/",
])
def test_a_bad_database_url_never_echoes_the_password(url, tmp_path):
    result = run_cli("migrate", env=base_env(DATABASE_URL=url), cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout


def test_an_unreachable_database_is_exit_1_without_the_password(tmp_path):
    url = "postgresql://admin:hunter2secret@127.0.0.1:1/genbot"
    result = run_cli("migrate", env=base_env(DATABASE_URL=url), cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr
    assert "hunter2secret" not in result.stderr + result.stdout


def test_migrate_list_shows_each_migration(db_settings, tmp_path):
    result = run_cli("migrate", "--list", env=base_env(DATABASE_URL=url_for(db_settings)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "applied  0001_seed_schema" in result.stdout
    assert "applied  0002_core_mechanisms" in result.stdout
    assert "applied  0003_conversations" in result.stdout


def test_rollback_and_migrate_from_the_command_line(db_settings, tmp_path):
    env = base_env(DATABASE_URL=url_for(db_settings))
    reference = snapshot(db_settings)
    result = run_cli("rollback", "-n", "10", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "0001_seed_schema" in result.stdout and "notes_0001_create" in result.stdout
    assert snapshot(db_settings)["tables"] == []
    result = run_cli("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert snapshot(db_settings) == reference


def test_a_lock_left_by_a_killed_migrator_is_explained_and_cleared(db_settings, tmp_path):
    conn = connect_once(db_settings)
    with conn.cursor() as cur:  # what a SIGKILLed migrator leaves behind
        cur.execute("INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now(), 999999)")
    conn.close()
    env = base_env(DATABASE_URL=url_for(db_settings), MIGRATION_LOCK_WAIT="1")
    result = run_cli("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "pid 999999" in result.stderr
    assert "a killed migrator left it" in result.stderr
    assert "genbot migrate --break-lock" in result.stderr
    assert run_cli("migrate", "--break-lock", env=env, cwd=tmp_path).returncode == 0
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0


def test_two_migrators_at_once_are_safe(empty_db_settings, db_settings, tmp_path):
    env = base_env(DATABASE_URL=url_for(empty_db_settings))
    results = []

    def migrate():
        results.append(run_cli("migrate", env=env, cwd=tmp_path))

    threads = [threading.Thread(target=migrate) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert snapshot(empty_db_settings) == snapshot(db_settings)
    conn = connect_once(empty_db_settings)
    with conn.cursor() as cur:
        cur.execute("SELECT migration_id, count(*) FROM _yoyo_migration GROUP BY 1 ORDER BY 1")
        assert cur.fetchall() == [("0001_seed_schema", 1), ("0002_core_mechanisms", 1),
                                  ("0003_conversations", 1), ("0004_generation", 1),
                                  ("0005_payments", 1), ("0006_money_under_faults", 1),
                                  ("0007_journey", 1), ("0008_delivery_edges", 1),
                                  ("0009_stars_record_position", 1),
                                  ("notes_0001_create", 1)]
    conn.close()


# -- migrate names what it rebuilt ----------------------------------------------------------

def test_migrate_names_every_table_it_recreated(db_settings, tmp_path):
    env = base_env(DATABASE_URL=url_for(db_settings))
    query_once(db_settings, "DROP TABLE balances; DROP TABLE projects CASCADE")
    result = run_cli("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "recreated table balances",
        "recreated table projects",
        "restored foreign key project_history_project_id_fkey",
        "recreated 2 table(s): balances, projects; restored 1 foreign key(s)",
        "balances was recreated empty: rebuild every balance from the ledger with "
        "`genbot repair-balances` (a dry run), then `genbot repair-balances --apply`"]
    assert "recreated table balances: its migration was applied, the table was gone" in result.stderr
    again = run_cli("migrate", env=env, cwd=tmp_path)
    assert again.stdout.splitlines() == ["schema up to date"]


# -- a role without privileges: one line naming the GRANT, exit 2 -------------------------------

@pytest.fixture
def bare_role(db_settings):
    """A login role of this test's own that was granted nothing."""
    import dataclasses
    role = f"bare_{db_settings.dbname}"
    query_once(db_settings, f'CREATE ROLE "{role}" LOGIN')
    yield dataclasses.replace(db_settings, user=role)
    query_once(db_settings, f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


@pytest.mark.parametrize("command,lacks", [
    (["migrate", "--list"], "lacks SELECT on _yoyo_migration, _yoyo_version"),
    (["doctor"], "tables of schema public"),
    (["repair-balances"], "lacks SELECT on balance_reservations, balances, payment_transactions, users"),
    (["repair-balances", "--apply"], "SELECT, INSERT, UPDATE on balances"),
])
def test_a_missing_privilege_is_one_line_with_the_grant_that_fixes_it(db_settings, bare_role, tmp_path,
                                                                     command, lacks):
    env = base_env(DATABASE_URL=url_for(bare_role))
    refused = run_cli(*command, env=env, cwd=tmp_path)
    assert refused.returncode == 2
    said = (refused.stdout + refused.stderr).strip()
    assert len(said.splitlines()) == 1 and "Traceback" not in said, said
    assert f'role "{bare_role.user}" lacks ' in said and lacks in said
    assert "(the server said: permission denied for table" in said
    grants = said.split("as their owner run: ", 1)[1]
    assert grants.startswith("GRANT ") and grants.endswith(f'TO "{bare_role.user}";')
    query_once(db_settings, grants)  # what the line says to run, as the tables' owner
    allowed = run_cli(*command, env=env, cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_migrate_by_a_role_that_owns_nothing_names_the_owner(db_settings, bare_role, tmp_path):
    refused = run_cli("migrate", env=base_env(DATABASE_URL=url_for(bare_role)), cwd=tmp_path)
    tables = query_once(db_settings, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0]
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f'genbot: role "{bare_role.user}" does not own {tables} of the schema\'s tables (owned by '
        f'"{db_settings.user}"), and migrations create and alter them (the server said: permission '
        f'denied for table _yoyo_migration); run it as "{db_settings.user}", their owner (its '
        f'DATABASE_URL)']


def test_migrate_into_a_schema_the_role_may_not_create_in_names_the_schema_grant(
        empty_db_settings, tmp_path):
    import dataclasses
    role = f"bare_{empty_db_settings.dbname}"
    query_once(empty_db_settings, f'CREATE ROLE "{role}" LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC')
    try:
        env = base_env(DATABASE_URL=url_for(dataclasses.replace(empty_db_settings, user=role)))
        refused = run_cli("migrate", env=env, cwd=tmp_path)
        assert refused.returncode == 2
        [line] = refused.stderr.splitlines()
        assert line.startswith(f'genbot: role "{role}" lacks CREATE on schema public')
        assert line.endswith(f'as its owner run: GRANT CREATE ON SCHEMA public TO "{role}";')
        query_once(empty_db_settings, f'GRANT CREATE ON SCHEMA public TO "{role}"')
        assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0  # the role owns what it made
    finally:
        query_once(empty_db_settings, f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
