"""The embedded default: `python run.py` with nothing configured, a real PostgreSQL."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import psutil
import pytest
import requests

from core.config import DatabaseSettings
from core.db import connect_once
from core.ops.embedded import EmbeddedPostgres
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


def test_a_long_data_path_keeps_the_socket_in_the_private_data_folder(tmp_path):
    """Too long for a socket, the wheel would put it in a world-writable folder under /tmp
    where, with trust authentication, any local user would connect as superuser."""
    data_dir = tmp_path / ("a-long-folder-name-" * 6) / "var"
    assert len(str(data_dir / "pgdata" / ".s.PGSQL.5432")) > 107
    embedded = EmbeddedPostgres(data_dir)
    settings = embedded.start()
    try:
        socket_file = Path(settings.host) / f".s.PGSQL.{settings.port}"
        assert stat.S_ISSOCK(socket_file.stat().st_mode)
        assert socket_file.resolve().parent == (data_dir / "pgdata").resolve()
        assert stat.S_IMODE((data_dir / "pgdata").stat().st_mode) == 0o700
        alias_folder = Path(settings.host).parent
        assert alias_folder.lstat().st_uid == os.geteuid()
        assert not alias_folder.lstat().st_mode & stat.S_IWOTH
        conn = connect_once(settings)
        with conn.cursor() as cur:
            cur.execute("SELECT current_setting('unix_socket_directories')")
            assert cur.fetchone()[0] == settings.host
        conn.close()
    finally:
        embedded.stop()
    deadline = time.monotonic() + 20
    while our_postgres(settings.host) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not our_postgres(settings.host)
