"""Upgrading from the previous release: its database, filled by its own code as users used
the bot (tests/data/previous_release.sql, made by tests/support/make_previous_release_db.py),
is loaded with psql and upgraded by `genbot migrate` run as a command. Every row of every
table it had is kept; the columns added since hold their defaults; a second migrate
changes nothing; `genbot doctor` names only what the stopped release left in flight and is
clean once `genbot cleanup` settled it; a served bot knows the migrated users."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from psycopg2 import sql

from core.accounts.balances import ledger_differences
from core.bot.texts import money
from core.config import DatabaseSettings
from core.db import Database, connect_once, query_once
from core.generation.buttons import PastJob
from core.ops.backup import bundled_program, conninfo_and_env
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN, inline_buttons
from genbot.testing.postgres import url_for
from tests.support.flows import http_sender
from tests.support.make_previous_release_db import ALENA, MARYAM
from tests.support.schema import snapshot
from tests.support.serve import ServeProcess, base_env, free_port, run_cli

pytestmark = pytest.mark.slow

DUMP = Path(__file__).parent / "data" / "previous_release.sql"
# yoyo's lock table has a row only while a migrator runs; its records gain the new ids.
YOYO_RECORDS = ("_yoyo_log", "_yoyo_migration", "_yoyo_version")
# What 0008_delivery_edges adds to a table the previous release had.
ADDED_SINCE = {("generation_jobs", "refunded_rub"), ("generation_jobs", "partial_output")}


def load(settings: DatabaseSettings, dump: Path) -> None:
    """``psql -v ON_ERROR_STOP=1 --single-transaction -f dump``, as core/ops/backup.py runs psql."""
    conninfo, env = conninfo_and_env(settings)
    loaded = subprocess.run([bundled_program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                             "--single-transaction", "-f", str(dump), "-d", conninfo],
                            env=env, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0, loaded.stderr


def columns(settings: DatabaseSettings) -> dict[str, list[str]]:
    """Each table's columns in order."""
    found: dict[str, list[str]] = {}
    for table, column in query_once(settings, """
            SELECT c.table_name, c.column_name FROM information_schema.columns c
            JOIN pg_tables t ON t.schemaname = c.table_schema AND t.tablename = c.table_name
            WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position"""):
        found.setdefault(table, []).append(column)
    return found


def fingerprints(settings: DatabaseSettings, tables: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """(rows, checksum) of each table over the given columns; the checksum is the md5 of
    the sorted md5s of the rows' text, so row order does not matter and any changed
    value does."""
    conn = connect_once(settings)
    try:
        with conn.cursor() as cur:
            result = {}
            for table, names in tables.items():
                cur.execute(sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) "
                    "FROM (SELECT md5(ROW({})::text) AS h FROM {}) AS rows").format(
                        sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(table)))
                result[table] = cur.fetchone()
            return result
    finally:
        conn.close()


def pending(settings: DatabaseSettings, cwd: Path) -> list[str]:
    listed = run_cli("migrate", "--list", env=base_env(DATABASE_URL=url_for(settings)), cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    return [line.split()[1] for line in listed.stdout.splitlines() if line.startswith("pending")]


@dataclass
class Upgrade:
    settings: DatabaseSettings              # the loaded dump, after `genbot migrate`
    before_columns: dict[str, list[str]]    # the previous release's tables and columns
    before: dict[str, tuple[int, str]]      # their fingerprints as loaded
    applied_before: list[str]               # the migrations the dump records as applied
    pending: list[str]                      # what `genbot migrate --list` said was pending
    migrate: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def upgrade(pg, tmp_path_factory):
    """The dump loaded into an empty database and upgraded once; tests that change it
    work on a copy (``upgraded``)."""
    folder = tmp_path_factory.mktemp("upgrade")
    settings = pg.create()
    load(settings, DUMP)
    before_columns = {t: c for t, c in columns(settings).items() if t != "yoyo_lock"}
    before = fingerprints(settings, before_columns)
    applied = [r[0] for r in query_once(settings, "SELECT migration_id FROM _yoyo_migration")]
    waiting = pending(settings, folder)
    migrate = run_cli("migrate", env=base_env(DATABASE_URL=url_for(settings)), cwd=folder)
    yield Upgrade(settings, before_columns, before, applied, waiting, migrate)
    pg.drop(settings.dbname)


@pytest.fixture
def upgraded(pg, upgrade):
    """A database of this test's own, cloned from the upgraded one."""
    settings = pg.create(template=upgrade.settings.dbname)
    yield settings
    pg.drop(settings.dbname)


def test_the_dump_is_a_used_database_of_the_previous_release(upgrade):
    assert DUMP.stat().st_size < 1_000_000
    assert DUMP.read_text(encoding="utf-8").startswith("-- A database of genbot's previous release")
    empty = [t for t, (rows, _) in upgrade.before.items() if rows == 0]
    assert empty == []  # every table has rows to lose
    assert "0008_delivery_edges" in upgrade.pending  # the dump predates this release's schema


def test_migrate_keeps_every_row_of_every_previous_table(upgrade):
    assert upgrade.migrate.returncode == 0, upgrade.migrate.stderr
    assert f"applied: {', '.join(upgrade.pending)}" in upgrade.migrate.stdout
    assert "recreated" not in upgrade.migrate.stdout  # nothing had to be rebuilt
    assert "restored foreign key" not in upgrade.migrate.stdout
    previous_data = {t: c for t, c in upgrade.before_columns.items() if t not in YOYO_RECORDS}
    assert fingerprints(upgrade.settings, previous_data) == {
        t: upgrade.before[t] for t in previous_data}
    database = Database(upgrade.settings, minconn=0, maxconn=1)
    try:
        assert ledger_differences(database) == []  # balance + held = ledger, for every user
    finally:
        database.close()
    # yoyo's records keep theirs and gain the migrations just applied.
    applied = [r[0] for r in query_once(upgrade.settings, "SELECT migration_id FROM _yoyo_migration")]
    assert sorted(applied) == sorted(upgrade.applied_before + upgrade.pending)


def test_columns_added_since_hold_their_defaults(upgrade):
    after = columns(upgrade.settings)
    added = {(t, c) for t in upgrade.before_columns for c in after[t]
             if c not in upgrade.before_columns[t]}
    assert ADDED_SINCE <= added
    conn = connect_once(upgrade.settings)
    try:
        with conn.cursor() as cur:
            for table, column in sorted(added):
                cur.execute("SELECT column_default FROM information_schema.columns "
                            "WHERE table_schema = 'public' AND table_name = %s AND column_name = %s",
                            (table, column))
                default = cur.fetchone()[0]
                if default is None or "(" not in default:  # NULL or a constant: exactly it
                    condition = sql.SQL("{} IS DISTINCT FROM ({})").format(
                        sql.Identifier(column), sql.SQL(default or "NULL"))
                else:  # a function's value (now(), nextval): given to every row
                    condition = sql.SQL("{} IS NULL").format(sql.Identifier(column))
                cur.execute(sql.SQL("SELECT count(*), (SELECT count(*) FROM {t}) FROM {t} WHERE {c}")
                            .format(t=sql.Identifier(table), c=condition))
                off, rows = cur.fetchone()
                assert (off, rows > 0) == (0, True), f"{table}.{column} (default {default})"
    finally:
        conn.close()
    new_tables = set(after) - set(upgrade.before_columns) - {"yoyo_lock"}
    assert "stars_record_position" in new_tables
    for table in new_tables:  # a table the previous release lacked starts empty
        assert query_once(upgrade.settings,
                          sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))) == [(0,)]


def test_a_second_migrate_changes_nothing(upgraded, tmp_path):
    schema = snapshot(upgraded)
    everything = {t: c for t, c in columns(upgraded).items() if t != "yoyo_lock"}
    rows = fingerprints(upgraded, everything)
    again = run_cli("migrate", env=base_env(DATABASE_URL=url_for(upgraded)), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "schema up to date"
    assert snapshot(upgraded) == schema
    assert fingerprints(upgraded, everything) == rows
    assert pending(upgraded, tmp_path) == []


def _doctor(settings, cwd) -> tuple[int, dict]:
    ran = run_cli("doctor", "--json", env=base_env(DATABASE_URL=url_for(settings)), cwd=cwd)
    return ran.returncode, json.loads(ran.stdout)


def test_doctor_names_the_work_the_stopped_release_left_and_is_clean_after_cleanup(
        upgraded, bot_api, tmp_path):
    """The previous release stopped with a job running and one queued. The operator
    upgrades two hours later: the running job has had no heartbeat since, and both jobs
    hold their price for more than an hour. Those two findings, and nothing else, are
    what doctor reports, with `genbot cleanup` as the fix; after it doctor exits 0."""
    running = query_once(upgraded, "SELECT id FROM generation_jobs WHERE status = 'running'")
    held = query_once(upgraded, "SELECT r.id, r.user_id, r.amount_rub FROM balance_reservations r "
                                "WHERE r.status = 'held' ORDER BY r.id")
    assert len(running) == 1 and len(held) == 2  # the running and the queued job's holds
    # Two hours pass (the dump itself may be younger than that).
    query_once(upgraded, "UPDATE balance_reservations SET created_at = created_at - INTERVAL '2 hours' "
                         "WHERE status = 'held'")
    query_once(upgraded, "UPDATE generation_jobs SET heartbeat_at = heartbeat_at - INTERVAL '2 hours' "
                         "WHERE status = 'running'")
    code, report = _doctor(upgraded, tmp_path)
    problems = {f["check"]: f for f in report["findings"] if f["severity"] != "ok"}
    assert (code, sorted(problems)) == (1, ["dead_jobs", "stuck_reservations"]), report
    assert [int(d[0]) for d in problems["dead_jobs"]["details"]] == [running[0][0]]
    assert [int(d[0]) for d in problems["stuck_reservations"]["details"]] == [r[0] for r in held]
    assert {f["fix"] for f in problems.values()} == {"genbot cleanup"}
    balances_before = dict(query_once(upgraded, "SELECT user_id, balance_rub FROM balances"))

    env = base_env(DATABASE_URL=url_for(upgraded), BOT_TOKEN=TOKEN, TELEGRAM_API_URL=bot_api.url)
    cleaned = run_cli("cleanup", env=env, cwd=tmp_path)
    assert cleaned.returncode == 0, cleaned.stderr

    code, report = _doctor(upgraded, tmp_path)
    assert (code, report["status"]) == (0, "ok"), report
    [ledger] = [f for f in report["findings"] if f["check"] == "ledger"]
    assert ledger["message"] == "balance + held = ledger for every user"
    # Each hold went back to its user's balance, and each user heard how their job ended.
    balances_after = dict(query_once(upgraded, "SELECT user_id, balance_rub FROM balances"))
    given_back = {user: balances_before[user] + amount for _, user, amount in held}
    assert {user: balances_after[user] for user in given_back} == given_back
    assert query_once(upgraded, "SELECT count(*) FROM balance_reservations WHERE status = 'held'") == [(0,)]
    told = {int(params["chat_id"]) for method, params in bot_api.calls
            if method in ("sendMessage", "editMessageText")}
    assert {user for _, user, _ in held} <= told


def test_a_served_bot_knows_the_migrated_users(upgraded, bot_api, tmp_path):
    """`run.py serve` on the upgraded database: /start and /balance for a user of the
    previous release, and 🗂 История sends a result it delivered again by its file_id."""
    (balance,) = query_once(upgraded, "SELECT balance_rub FROM balances WHERE user_id = %s",
                            (ALENA[0],))[0]
    assert balance > Decimal("0")
    users = query_once(upgraded, "SELECT count(*) FROM users")
    # Telegram's update ids go on from where the previous release left them.
    next_update = query_once(upgraded, "SELECT max(update_id) FROM processed_updates")[0][0] + 1
    image, files = query_once(
        upgraded, "SELECT id, delivered_files FROM generation_jobs WHERE user_id = %s "
                  "AND status = 'succeeded' AND category = 'image' ORDER BY id LIMIT 1", (MARYAM[0],))[0]
    server = ServeProcess(base_env(DATABASE_URL=url_for(upgraded), BOT_TOKEN=TOKEN, WEBHOOK_SECRET=SECRET,
                                   TELEGRAM_API_URL=bot_api.url, PORT=free_port(), WEB_CONCURRENCY=1,
                                   WEB_THREADS=4, JOB_WORKERS=1, DB_POOL_MIN=1),
                          cwd=tmp_path)
    try:
        server.wait_ready()
        send = http_sender(server.url, bot_api)
        who = {"first_name": ALENA[1], "username": ALENA[2], "last_name": ALENA[3]}
        [hello] = [m for m in send(updates.message(ALENA[0], "/start", next_update, **who))
                   if m.get("method") == "sendMessage"]
        assert hello["text"].startswith(f"👋 Привет, {ALENA[1]}!")
        shown = [m["text"] for m in send(updates.message(ALENA[0], "/balance", next_update + 1, **who))
                 if m.get("method") == "sendMessage"]
        assert f"💰 Ваш баланс: {money(balance, 'ru')}" in shown[0]

        listing = send(updates.message(MARYAM[0], "/history", next_update + 2, first_name=MARYAM[1]))
        buttons = [data for m in listing for data in inline_buttons(m).values()]
        assert PastJob(image).pack() in buttons
        send(updates.callback(MARYAM[0], PastJob(image).pack(), next_update + 3, first_name=MARYAM[1]))
        [again] = bot_api.wait_for("sendPhoto", chat_id=MARYAM[0])
        assert again["photo"] == files[0]["file_id"]
    finally:
        assert server.stop() == 0, server.log()
    assert query_once(upgraded, "SELECT count(*) FROM users") == users  # no one was new
