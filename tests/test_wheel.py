"""The wheel is the product: built, installed into a clean virtualenv, run from an empty
folder with the `genbot` command, exactly as an operator does it."""

from __future__ import annotations

import os
import stat
import subprocess

import pexpect
import pytest
import requests

from core.bot.texts import t
from core.config import DEFAULT_CATALOG
from core.db import query_once
from core.generation.catalog import load_catalog
from core.ops.migrations import Migrator
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN
from genbot.testing.postgres import url_for
from tests.support.other_postgres import OtherPostgres
from tests.support.schema import snapshot
from tests.support.serve import ROOT, ServeProcess, base_env
from tests.support.wheel import build_wheel, make_venv, wheel_files

pytestmark = pytest.mark.slow
COMPARED = {"users": "user_id", "balances": "user_id", "payment_transactions": "id",
            "projects": "id"}


def operator_env(**settings) -> dict:
    """PATH and HOME, and what the operator sets: nothing points at this checkout."""
    env = base_env(**settings)
    env.pop("PYTHONPATH")
    return env


def rows(settings, table: str) -> list:
    return query_once(settings, f"SELECT * FROM {table} ORDER BY {COMPARED[table]}")


def test_the_wheel_in_a_clean_virtualenv_runs_every_command_from_an_empty_folder(
        pg, bot_api, tmp_path):
    wheel = build_wheel(ROOT, tmp_path)
    shipped = wheel_files(wheel)
    assert {"migrations/0001_seed_schema.sql", "migrations/0001_seed_schema.rollback.sql",
            "migrations/bootstrap.sql", "core/generation/catalog.toml"} <= shipped
    bin_dir = make_venv(tmp_path, wheel)
    genbot = str(bin_dir / "genbot")
    empty = tmp_path / "empty"
    empty.mkdir()

    def run(*args, **settings) -> subprocess.CompletedProcess:
        return subprocess.run([genbot, *args], env=operator_env(**settings), cwd=empty,
                              capture_output=True, text=True, timeout=180)

    version = wheel.name.split("-")[1]
    assert run("--version").stdout.strip() == f"genbot {version}"
    imported = subprocess.run([str(bin_dir / "python"), "-c", "import core; print(core.__file__)"],
                              env=operator_env(), cwd=empty, capture_output=True, text=True)
    assert imported.stdout.startswith(str(tmp_path / "venv")), imported.stdout + imported.stderr

    # migrate: a fresh database gets the schema a checkout's migrations give
    fresh, reference = pg.create(), pg.create()
    Migrator(reference).apply()
    url = url_for(fresh)
    migrated = run("migrate", DATABASE_URL=url)
    assert migrated.returncode == 0, migrated.stderr
    assert "applied: 0001_seed_schema" in migrated.stdout
    assert snapshot(fresh) == snapshot(reference)

    # serve: /start through real HTTP shows the shipped catalog's categories
    server = ServeProcess(operator_env(DATABASE_URL=url, BOT_TOKEN=TOKEN, WEBHOOK_SECRET=SECRET,
                                       TELEGRAM_API_URL=bot_api.url, WEB_CONCURRENCY=1,
                                       WEB_THREADS=4, DB_POOL_MIN=1),
                          cwd=empty, log_path=tmp_path / "serve.log", command=[genbot, "serve"])
    try:
        server.wait_ready(timeout=60)
        answer = requests.post(server.url + "/webhook", json=updates.message(701, "/start"),
                               headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10)
        assert answer.status_code == 200, server.log()
        labels = [b["text"] for row in answer.json()["reply_markup"]["keyboard"] for b in row]
        categories = [t(f"cat_{c}") for c in load_catalog(DEFAULT_CATALOG).categories()]
        assert categories and set(categories) <= set(labels)
    finally:
        assert server.stop() == 0

    # doctor: healthy, exit 0
    doctor = run("doctor", DATABASE_URL=url)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert doctor.stdout.rstrip().endswith("healthy")

    # backup and restore: the same rows in another database; the file is the owner's only
    query_once(fresh, "INSERT INTO projects (user_id, name) VALUES (701, 'из колеса')")
    query_once(fresh, "INSERT INTO payment_transactions (user_id, amount_rub, type) "
                      "VALUES (701, 12.50, 'topup')")
    query_once(fresh, "UPDATE balances SET balance_rub = 12.50 WHERE user_id = 701")
    dump = empty / "genbot.dump"
    made = run("backup", str(dump), DATABASE_URL=url)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(os.stat(dump).st_mode) == 0o600
    target = pg.create()
    restored = run("restore", str(dump), DATABASE_URL=url_for(target))
    assert restored.returncode == 0, restored.stderr
    for table in COMPARED:
        assert rows(target, table) == rows(fresh, table), table
    assert rows(target, "balances")[0][1] == rows(fresh, "balances")[0][1] != 0

    # chat: the bot in the terminal, its menu from the shipped catalog
    child = pexpect.spawn(genbot, ["chat"], env=operator_env(DATABASE_URL=url), cwd=str(empty),
                          encoding="utf-8", timeout=60)
    try:
        child.expect(r"меню: \[🖼 Изображения\]")
        child.expect_exact("вы> ")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)

    # an operator's PostgreSQL 15: the same schema, a healthy doctor
    pg15 = OtherPostgres(15, tmp_path / "pg15").start()
    try:
        on_15 = pg15.create("genbot")
        migrated = run("migrate", DATABASE_URL=url_for(on_15))
        assert migrated.returncode == 0, migrated.stderr
        ours, native = snapshot(on_15), snapshot(reference)
        # PostgreSQL 18 lists NOT NULL as constraints of their own (contype 'n'); 15 does not.
        without_not_null = [c for c in native["constraints"] if c[2] != "n"]
        assert {**ours, "constraints": None} == {**native, "constraints": None}
        assert ours["constraints"] == without_not_null
        assert run("doctor", DATABASE_URL=url_for(on_15)).returncode == 0
    finally:
        pg15.stop()

    # with nothing configured: the embedded PostgreSQL from the dependency, data in ./var
    embedded = run("migrate")
    assert embedded.returncode == 0, embedded.stderr
    assert "applied: 0001_seed_schema" in embedded.stdout
    assert (empty / "var" / "pgdata" / "PG_VERSION").exists()
