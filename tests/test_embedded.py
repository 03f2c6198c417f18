"""The embedded default: `python run.py` with nothing configured, a real PostgreSQL."""

from __future__ import annotations

import time

import psutil
import pytest
import requests

from core.config import DatabaseSettings
from core.db import connect_once
from tests.support.serve import ServeProcess, base_env

pytestmark = pytest.mark.slow


def our_postgres(pgdata) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "postgres" and str(pgdata) in " ".join(cmdline):
            found.append(proc)
    return found


def embedded_settings(pgdata) -> DatabaseSettings:
    return DatabaseSettings(host=str(pgdata), port=5432, dbname="genbot", user="postgres")


def test_empty_environment_serves_keeps_data_and_stops_clean(tmp_path):
    pgdata = tmp_path / "var" / "pgdata"
    env = base_env()  # nothing but PATH and HOME: no database, no token

    first = ServeProcess(env, cwd=tmp_path)
    try:
        assert first.wait_ready(timeout=20) < 20
        assert requests.get(first.url + "/readyz", timeout=5).status_code == 200
        conn = connect_once(embedded_settings(pgdata))
        with conn.cursor() as cur:
            cur.execute("INSERT INTO users (user_id, first_name) VALUES (42, 'Сохранённый')")
        conn.close()
    finally:
        assert first.stop() == 0
    assert our_postgres(pgdata) == []

    second = ServeProcess(env, cwd=tmp_path)
    try:
        second.wait_ready(timeout=20)
        conn = connect_once(embedded_settings(pgdata))
        with conn.cursor() as cur:
            cur.execute("SELECT first_name FROM users WHERE user_id = 42")
            assert cur.fetchone() == ("Сохранённый",)
        conn.close()
    finally:
        assert second.stop() == 0
    assert our_postgres(pgdata) == []


def test_a_server_orphaned_by_kill_9_is_adopted_then_stopped(tmp_path):
    pgdata = tmp_path / "var" / "pgdata"
    env = base_env()
    crashed = ServeProcess(env, cwd=tmp_path)
    crashed.wait_ready(timeout=20)
    crashed.kill_group()
    orphans = our_postgres(pgdata)
    assert orphans, "the embedded server should outlive a SIGKILLed owner"
    orphan_pid = min(p.pid for p in orphans)

    adopter = ServeProcess(env, cwd=tmp_path)
    try:
        adopter.wait_ready(timeout=20)
        assert requests.get(adopter.url + "/readyz", timeout=5).status_code == 200
        assert orphan_pid in [p.pid for p in our_postgres(pgdata)]  # adopted, not a second server
    finally:
        assert adopter.stop() == 0
    deadline = time.monotonic() + 10
    while our_postgres(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert our_postgres(pgdata) == []
