"""``genbot backup`` and ``genbot restore`` as an operator runs them, on the embedded
PostgreSQL 18 and on a real PostgreSQL 15: round trips, all-or-nothing restores,
files only their owner reads, and ``backup --verify``."""

from __future__ import annotations

import datetime
import itertools
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from core.accounts.balances import Balances
from core.accounts.users import UserCache
from core.config import parse_database_url
from core.db import Database, query_once
from core.host.plugin_host import PluginHost
from core.ops.backup import bundled_program, conninfo_and_env
from core.ops.migrations import Migrator
from genbot.testing.postgres import url_for
from tests.support.other_postgres import OtherPostgres
from tests.support.schema import snapshot
from tests.support.serve import base_env, run_cli

sql = query_once
TEMPLATE = "genbot_template"
ROWS = ("SELECT user_id, username FROM users ORDER BY 1",
        "SELECT user_id, balance_rub FROM balances ORDER BY 1",
        "SELECT user_id, amount_rub, type, reason FROM payment_transactions ORDER BY id",
        "SELECT user_id, name FROM projects ORDER BY id")
_names = itertools.count(1)


@pytest.fixture(scope="module")
def pg15(tmp_path_factory):
    """PostgreSQL 15 from Debian's package, with a migrated template database."""
    server = OtherPostgres(15, tmp_path_factory.mktemp("pg15")).start()
    try:
        Migrator(server.create(TEMPLATE), PluginHost(Path("/nonexistent/plugins.toml"), env={})
                 .load().migration_dirs()).apply()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg15_db(pg15):
    name = f"b15_{next(_names)}"
    yield pg15.create(name, template=TEMPLATE)
    pg15.drop(name)


@pytest.fixture
def pg15_empty(pg15):
    name = f"e15_{next(_names)}"
    yield pg15.create(name)
    pg15.drop(name)


def put_money(settings, ledger_rows: int = 3) -> None:
    """Balances and ledger rows through the core's own functions, and a project."""
    db = Database(settings, minconn=0, maxconn=2)
    try:
        balances = Balances(db, UserCache(ttl_s=600))
        balances.credit(5, "123.45", reason="до бэкапа")
        with db.transaction() as cur:
            for i in range(ledger_rows):
                balances.credit(6 + i % 3, "1.10", reason=f"пополнение {i}", cur=cur)
        db.execute("INSERT INTO projects (user_id, name) VALUES (5, 'Проект «кавычки»')")
    finally:
        db.close()


def cli(*args, settings=None, cwd):
    env = base_env(DATABASE_URL=url_for(settings)) if settings is not None else base_env()
    return run_cli(*args, env=env, cwd=cwd)


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("genbot: "), result.stderr
    return lines[0]


def assert_same_rows(restored, original) -> None:
    for query in ROWS:
        assert sql(restored, query) == sql(original, query), query


def public_tables(settings) -> list[str]:
    return [r[0] for r in sql(settings, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                        "ORDER BY 1")]


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --- round trips ----------------------------------------------------------------------

def test_round_trip_on_the_embedded_18(pg, db_settings, tmp_path):
    put_money(db_settings)
    made = cli("backup", settings=db_settings, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    backup_file = tmp_path / f"backup_{datetime.date.today():%Y%m%d}.dump"
    assert f"backup: {backup_file.name} written by pg_dump 18" in made.stderr
    assert backup_file.read_bytes()[:5] == b"PGDMP" and mode(backup_file) == 0o600

    target = pg.create()
    try:
        restored = cli("restore", str(backup_file), settings=target, cwd=tmp_path)
        assert restored.returncode == 0, restored.stderr
        assert_same_rows(target, db_settings)
        assert snapshot(target) == snapshot(db_settings)

        again = cli("restore", str(backup_file), settings=target, cwd=tmp_path)
        assert f"genbot restore {backup_file} --force" in one_line_error(again)
        forced = cli("restore", str(backup_file), "--force", settings=target, cwd=tmp_path)
        assert forced.returncode == 0, forced.stderr
        assert sql(target, "SELECT balance_rub FROM balances WHERE user_id = 5") == [(Decimal("123.45"),)]
        assert_same_rows(target, db_settings)
    finally:
        pg.drop(target.dbname)


def test_round_trip_on_postgres_15_and_on_to_18(pg15, pg15_db, pg15_empty, empty_db_settings, tmp_path):
    put_money(pg15_db)
    backup_file = tmp_path / "genbot15.dump"
    made = cli("backup", str(backup_file), settings=pg15_db, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "written by pg_dump 15" in made.stderr  # the server's own version, when installed
    assert mode(backup_file) == 0o600

    restored = cli("restore", str(backup_file), settings=pg15_empty, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert_same_rows(pg15_empty, pg15_db)
    assert snapshot(pg15_empty) == snapshot(pg15_db)

    # An upgrade: the same file into the embedded 18.
    upgraded = cli("restore", str(backup_file), settings=empty_db_settings, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert_same_rows(empty_db_settings, pg15_db)


def test_a_backup_of_the_embedded_18_restores_into_postgres_15(pg15, pg15_empty, db_settings, tmp_path):
    """pg_restore 18 alone would fail at its first line there (SET transaction_timeout)."""
    put_money(db_settings)
    backup_file = tmp_path / "genbot18.dump"
    assert cli("backup", str(backup_file), settings=db_settings, cwd=tmp_path).returncode == 0

    restored = cli("restore", str(backup_file), settings=pg15_empty, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert_same_rows(pg15_empty, db_settings)
    # The same schema as the migrations build on 15 itself.
    assert snapshot(pg15_empty) == snapshot(pg15.settings(TEMPLATE))


def test_an_older_plain_sql_backup_from_pg_dump_18_restores_into_postgres_15(pg15, pg15_empty, db_settings,
                                                                             tmp_path):
    """What the previous genbot wrote (pg_dump 18, plain SQL, SET transaction_timeout in it)."""
    put_money(db_settings)
    plain = plain_dump(db_settings, tmp_path / "old.sql")
    assert "SET transaction_timeout = 0;" in plain.read_text()

    restored = cli("restore", str(plain), settings=pg15_empty, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert_same_rows(pg15_empty, db_settings)


def plain_dump(settings, path: Path) -> Path:
    """``pg_dump > x.sql`` the way the previous genbot ran it."""
    subprocess.run([bundled_program("pg_dump"), "-h", settings.host, "-p", str(settings.port),
                    "-U", settings.user, "-d", settings.dbname, "--clean", "--if-exists",
                    "--no-owner", "--no-privileges", "-f", str(path)], check=True, timeout=120)
    return path


# --- all or nothing -------------------------------------------------------------------

def test_a_dump_cut_in_its_data_leaves_the_database_untouched(pg, db_settings, tmp_path):
    put_money(db_settings, ledger_rows=500)
    whole = tmp_path / "whole.dump"
    assert cli("backup", str(whole), settings=db_settings, cwd=tmp_path).returncode == 0
    cut = tmp_path / "cut.dump"
    cut.write_bytes(whole.read_bytes()[:-2000])
    # The table of contents is whole: the cut lies in the data that follows it.
    assert subprocess.run([bundled_program("pg_restore"), "--list", str(cut)], capture_output=True).returncode == 0

    empty = pg.create()
    try:
        failed = cli("restore", str(cut), settings=empty, cwd=tmp_path)
        assert "cut.dump is incomplete or damaged" in one_line_error(failed)
        assert public_tables(empty) == []
    finally:
        pg.drop(empty.dbname)

    # Over a database with rows, --force changes nothing either.
    target = pg.create()
    try:
        assert cli("restore", str(whole), settings=target, cwd=tmp_path).returncode == 0
        sql(target, "UPDATE projects SET name = 'после бэкапа'")
        before = [sql(target, query) for query in ROWS]
        failed = cli("restore", str(cut), "--force", settings=target, cwd=tmp_path)
        one_line_error(failed)
        assert [sql(target, query) for query in ROWS] == before
    finally:
        pg.drop(target.dbname)


def test_a_plain_dump_cut_before_its_constraints_leaves_the_database_untouched(pg15, pg15_empty,
                                                                              db_settings, tmp_path):
    put_money(db_settings)
    text = plain_dump(db_settings, tmp_path / "old.sql").read_text()
    constraints = text.index("ADD CONSTRAINT")
    assert "COPY public.payment_transactions" in text[:constraints]
    cut = tmp_path / "cut.sql"
    cut.write_text(text[:text.rindex("\n", 0, constraints) + 1])

    failed = cli("restore", str(cut), settings=pg15_empty, cwd=tmp_path)
    assert "cut.sql is incomplete" in one_line_error(failed)
    assert public_tables(pg15_empty) == []


def test_a_failure_while_loading_rolls_everything_back(pg, db_settings, tmp_path):
    """The file is whole, but the target has a relation named like the users' primary
    key: the tables and their rows are in by then, and all of it is rolled back."""
    put_money(db_settings)
    backup_file = tmp_path / "whole.dump"
    assert cli("backup", str(backup_file), settings=db_settings, cwd=tmp_path).returncode == 0
    target = pg.create()
    try:
        sql(target, "CREATE SEQUENCE users_pkey")
        failed = cli("restore", str(backup_file), settings=target, cwd=tmp_path)
        line = one_line_error(failed)
        assert "users_pkey" in line and "nothing was changed" in line
        assert public_tables(target) == []
        assert sql(target, "SELECT to_regclass('public.users_pkey') IS NOT NULL") == [(True,)]
    finally:
        pg.drop(target.dbname)


# --- the file -------------------------------------------------------------------------

def test_the_backup_file_is_readable_by_its_owner_only(db_settings, tmp_path):
    existing = tmp_path / "existing.dump"
    existing.write_text("an older backup")
    existing.chmod(0o644)
    made = cli("backup", str(existing), settings=db_settings, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert mode(existing) == 0o600 and existing.read_bytes()[:5] == b"PGDMP"
    assert not list(tmp_path.glob("*.partial"))

    refused = cli("backup", str(tmp_path / "genbot.sql"), settings=db_settings, cwd=tmp_path)
    assert "genbot backup" in one_line_error(refused) and ".dump" in refused.stderr
    assert not (tmp_path / "genbot.sql").exists()


def test_verify_lists_what_a_backup_holds_without_a_database(db_settings, tmp_path):
    put_money(db_settings)
    good = tmp_path / "good.dump"
    assert cli("backup", str(good), settings=db_settings, cwd=tmp_path).returncode == 0
    ledger = sql(db_settings, "SELECT count(*) FROM payment_transactions")[0][0]
    users = sql(db_settings, "SELECT count(*) FROM users")[0][0]
    balances = sql(db_settings, "SELECT count(*) FROM balances")[0][0]

    # No DATABASE_URL: without --verify this would start an embedded server.
    checked = cli("backup", "--verify", str(good), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert not (tmp_path / "var").exists()
    out = checked.stdout
    assert "complete, pg_dump custom format" in out
    assert "payment_transactions" in out.splitlines()[1] and "users" in out.splitlines()[1]
    assert f"users {users}, balances {balances}, payment_transactions {ledger}" in out

    plain = cli("backup", "--verify", str(plain_dump(db_settings, tmp_path / "old.sql")), cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "plain SQL" in plain.stdout and f"payment_transactions {ledger}" in plain.stdout

    cut = tmp_path / "cut.dump"
    cut.write_bytes(good.read_bytes()[:-100])
    assert "cut.dump is incomplete or damaged" in one_line_error(cli("backup", "--verify", str(cut),
                                                                     cwd=tmp_path))


def test_the_password_goes_to_the_programs_in_the_environment_only():
    settings = parse_database_url("postgresql://genbot:s3cret-pw@db.example:6432/genbot"
                                  "?sslmode=require&application_name=genbot%20backup")
    conninfo, env = conninfo_and_env(settings)
    assert "s3cret-pw" not in conninfo and env["PGPASSWORD"] == "s3cret-pw"
    assert conninfo == ("host='db.example' port='6432' dbname='genbot' user='genbot' "
                        "application_name='genbot backup' sslmode='require'")
    in_query = parse_database_url("postgresql://genbot@db.example/genbot?password=s3cret-pw")
    conninfo, env = conninfo_and_env(in_query)
    assert "s3cret-pw" not in conninfo and env["PGPASSWORD"] == "s3cret-pw"
