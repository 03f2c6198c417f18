"""Schema migrations: yoyo applies and rolls back, genbot converges.

Every genbot migration is written to converge (``IF NOT EXISTS``, foreign keys added by
name when missing), so after yoyo applies what is pending, ``migrate`` re-asserts every
applied migration in order. That is what brings back a table dropped by hand, a
database built by ``bootstrap.sql``, or one restored in part without yoyo's records.
All of it runs under yoyo's lock, so two migrators at once take turns.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from yoyo import get_backend, read_migrations
from yoyo.exceptions import LockTimeout
from yoyo.migrations import MigrationList

from core.config import DatabaseSettings
from core.db import connect_once

log = logging.getLogger("genbot.migrations")

CORE_MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
LOCK_WAIT_S = 60.0
# The core's own tables (the plugins declare theirs): /readyz and doctor look for these.
CORE_TABLES = ("users", "balances", "balance_reservations", "payment_transactions",
               "processed_updates", "conversation_state", "generation_jobs", "free_usage",
               "payments", "idempotency_records")


class MigrationLocked(Exception):
    """Another migrator holds yoyo's lock (or a killed one left it behind)."""


@dataclass
class MigrationState:
    id: str
    applied: bool
    source: str


def yoyo_uri(settings: DatabaseSettings) -> str:
    """A URI yoyo understands; a unix-socket host travels as a query argument."""
    auth = ""
    if settings.user:
        auth = quote(settings.user, safe="")
        if settings.password:
            auth += ":" + quote(settings.password, safe="")
        auth += "@"
    query = dict(settings.extra)
    netloc_host = ""
    if settings.host and settings.host.startswith("/"):
        query["host"] = settings.host
    elif settings.host:
        netloc_host = settings.host
    port = f":{settings.port}" if settings.port else ""
    if not netloc_host and settings.port:
        query["port"] = str(settings.port)
        port = ""
    tail = ("?" + urlencode(query)) if query else ""
    return f"postgresql://{auth}{netloc_host}{port}/{quote(settings.dbname or '', safe='')}{tail}"


class Migrator:
    """Applies, lists and rolls back the core's migrations and those of plugins."""

    def __init__(self, settings: DatabaseSettings, extra_dirs: list[Path] | None = None,
                 lock_wait_s: float = LOCK_WAIT_S):
        self.settings = settings
        self.lock_wait_s = lock_wait_s
        self.dirs = [CORE_MIGRATIONS_DIR] + [Path(d) for d in (extra_dirs or [])]

    @contextlib.contextmanager
    def _backend(self):
        backend = get_backend(yoyo_uri(self.settings))
        try:
            yield backend
        finally:
            backend.connection.close()

    def _migrations(self):
        found = read_migrations(*(str(d) for d in self.dirs))
        # bootstrap.sql is the whole schema for psql, not a step of its own.
        return MigrationList([m for m in found if m.id != "bootstrap"], found.post_apply)

    def _source_of(self, migration) -> str:
        folder = Path(migration.path).resolve().parent
        return "core" if folder == CORE_MIGRATIONS_DIR else str(folder)

    def status(self) -> list[MigrationState]:
        migrations = self._migrations()
        with self._backend() as backend:
            applied = backend.get_applied_migration_hashes()
        return [MigrationState(m.id, m.hash in applied, self._source_of(m)) for m in migrations]

    @contextlib.contextmanager
    def _locked(self, backend):
        lock = backend.lock(timeout=self.lock_wait_s)
        try:
            lock.__enter__()
        except LockTimeout:
            raise MigrationLocked(self._lock_explanation(backend)) from None
        try:
            yield
        finally:
            lock.__exit__(None, None, None)

    def _lock_explanation(self, backend) -> str:
        holder = ""
        try:
            cur = backend.execute("SELECT pid, ctime FROM yoyo_lock")
            row = cur.fetchone()
            if row:
                pid, since = row
                alive = _pid_alive(pid)
                holder = f" by pid {pid} since {since:%Y-%m-%d %H:%M:%S} UTC"
                if alive is False:
                    holder += " (no such process on this machine: a killed migrator left it)"
        except Exception:  # the explanation must not hide the real problem
            pass
        return (f"the migration lock is held{holder}. If no `python run.py migrate` is running "
                f"any more, clear it with: python run.py migrate --break-lock")

    def apply(self) -> list[str]:
        """Apply what is pending, then re-assert every applied migration. Returns new ids."""
        migrations = self._migrations()
        with self._backend() as backend, self._locked(backend):
            pending = backend.to_apply(migrations)
            ids = [m.id for m in pending]
            for m in pending:
                log.info("applying migration %s", m.id)
            backend.apply_migrations(pending)
            applied = backend.get_applied_migration_hashes()
            self._converge([m for m in migrations if m.hash in applied])
        return ids

    def _converge(self, migrations) -> None:
        conn = connect_once(self.settings)
        try:
            conn.autocommit = False
            with conn.cursor() as cur:
                for m in migrations:
                    if m.path.endswith(".sql"):
                        cur.execute(Path(m.path).read_text())
            conn.commit()
        finally:
            conn.close()

    def rollback(self, count: int = 1) -> list[str]:
        migrations = self._migrations()
        with self._backend() as backend, self._locked(backend):
            to_rollback = backend.to_rollback(migrations)[:count]
            for m in to_rollback:
                log.info("rolling back migration %s", m.id)
            backend.rollback_migrations(to_rollback)
        return [m.id for m in to_rollback]

    def break_lock(self) -> None:
        with self._backend() as backend:
            backend.break_lock()

    def pending(self) -> list[str]:
        return [s.id for s in self.status() if not s.applied]


BOOTSTRAP_HEADER = """\
-- genbot's full schema for psql, for operators who do not run `python run.py migrate`:
--
--     psql "$DATABASE_URL" < migrations/bootstrap.sql
--
-- It is the core migrations in order, in one transaction. Every statement converges
-- (IF NOT EXISTS, foreign keys added by name when missing), so running it again on a
-- database that has the schema changes nothing. `python run.py migrate` afterwards
-- records the migrations as applied. tests/test_schema.py proves both give the same
-- schema; keep this file in step with the migrations.

\\set ON_ERROR_STOP on
BEGIN;

"""


def render_bootstrap() -> str:
    """migrations/bootstrap.sql: the core migrations in order, in one psql transaction."""
    parts = [BOOTSTRAP_HEADER]
    for path in sorted(CORE_MIGRATIONS_DIR.glob("0*.sql")):
        if not path.name.endswith(".rollback.sql"):
            parts.append(f"-- ==== {path.name} ====\n{path.read_text()}\n")
    return "".join(parts) + "COMMIT;\n"


def _pid_alive(pid) -> bool | None:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return None
    return True


if __name__ == "__main__":  # python -m core.migrations > migrations/bootstrap.sql
    print(render_bootstrap(), end="")
