"""Schema migrations: yoyo applies and rolls back, genbot converges.

Every genbot migration is written to converge (``IF NOT EXISTS``, foreign keys added by
name when missing), so after yoyo applies what is pending, ``migrate`` re-asserts every
applied migration in order. That is what brings back a table dropped by hand, a
database built by ``bootstrap.sql``, or one restored in part without yoyo's records.
All of it runs under yoyo's lock, so two migrators at once take turns.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from psycopg2 import sql
from yoyo import get_backend, read_migrations
from yoyo.exceptions import LockTimeout
from yoyo.migrations import MigrationList

from core.config import DatabaseSettings
from core.db import connect_once

log = logging.getLogger("genbot.migrations")



def _core_migrations_dir() -> Path:
    """The core's migrations: the top-level folder ``migrations/``, shipped in the wheel as a
    namespace package (no ``__init__.py``: yoyo would read one as a migration), found by
    the import system wherever genbot is installed."""
    spec = importlib.util.find_spec("migrations")
    # A namespace package may have several portions (an editable install adds a path
    # hook): ours is the folder that holds the seed's migration.
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "0001_seed_schema.sql").is_file():
            return Path(location)
    raise ImportError("genbot's migrations are missing: reinstall genbot")


CORE_MIGRATIONS_DIR = _core_migrations_dir()
LOCK_WAIT_S = 60.0


class MigrationLocked(Exception):
    """Another migrator holds yoyo's lock (or a killed one left it behind)."""


@dataclass
class Repairs:
    """What ``migrate`` rebuilt: tables (and foreign keys of other tables) that were gone
    although their migrations were recorded as applied."""

    tables: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables or self.foreign_keys)


def _schema_objects(cur) -> tuple[set[str], set[tuple[str, str]]]:
    """The tables of the current schema, and its foreign keys as (name, table)."""
    cur.execute("SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                "AND relkind IN ('r', 'p')")
    tables = {row[0] for row in cur.fetchall()}
    cur.execute("SELECT conname, conrelid::regclass::text FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace")
    return tables, {(name, table) for name, table in cur.fetchall()}


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
        # What the last ``apply`` rebuilt although its migration was recorded as applied.
        self.repairs = Repairs()

    @contextlib.contextmanager
    def _backend(self, *, writing: bool = False):
        backend = get_backend(yoyo_uri(self.settings))
        try:
            self._preflight(backend, writing)
            yield backend
        finally:
            backend.connection.close()

    def _preflight(self, backend, writing: bool) -> None:
        """Raise at once what yoyo would wait out. yoyo creates its lock table quietly,
        and a role that cannot read its records (or cannot write the lock row) has it
        retry the lock for its whole timeout (60 s) and then fail on something else. So
        the same questions are asked here first, and a missing privilege is an
        ``InsufficientPrivilege`` naming the table, in milliseconds."""
        conn = connect_once(self.settings)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT to_regclass(%s) IS NULL", (backend.lock_table,))
                if cur.fetchone()[0]:
                    cur.execute(backend.format_sql(backend.create_lock_table_sql))
                for table in (backend.migration_table, backend.version_table):
                    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
                    if cur.fetchone()[0]:
                        cur.execute(sql.SQL("SELECT 1 FROM {} LIMIT 0").format(sql.Identifier(table)))
                if writing:  # the lock row yoyo inserts and deletes, tried and rolled back
                    conn.autocommit = False
                    lock = sql.Identifier(backend.lock_table)
                    cur.execute(sql.SQL("INSERT INTO {} (locked, ctime, pid) VALUES (1, NOW(), 0) "
                                        "ON CONFLICT DO NOTHING").format(lock))
                    cur.execute(sql.SQL("DELETE FROM {} WHERE pid = 0").format(lock))
                    conn.rollback()
        finally:
            conn.close()

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
        return (f"the migration lock is held{holder}. If no `genbot migrate` is running "
                f"any more, clear it with: genbot migrate --break-lock")

    def apply(self) -> list[str]:
        """Apply what is pending, then re-assert every applied migration. Returns new ids;
        ``repairs`` says which tables and foreign keys the re-assertion rebuilt."""
        migrations = self._migrations()
        with self._backend(writing=True) as backend, self._locked(backend):
            pending = backend.to_apply(migrations)
            ids = [m.id for m in pending]
            for m in pending:
                log.info("applying migration %s", m.id)
            backend.apply_migrations(pending)
            applied = backend.get_applied_migration_hashes()
            self.repairs = self._converge([m for m in migrations if m.hash in applied])
        for table in self.repairs.tables:
            log.warning("recreated table %s: its migration was applied, the table was gone", table)
        for key in self.repairs.foreign_keys:
            log.warning("restored foreign key %s", key)
        return ids

    def _converge(self, migrations) -> Repairs:
        """Re-run the applied migrations in one transaction; what that created is what
        was missing, since every pending one was applied just before."""
        conn = connect_once(self.settings)
        try:
            conn.autocommit = False
            with conn.cursor() as cur:
                before = _schema_objects(cur)
                for m in migrations:
                    script = Path(m.path).read_text() if m.path.endswith(".sql") else ""
                    if _has_statements(script):  # psycopg2 refuses a query of comments only
                        cur.execute(script)
                after = _schema_objects(cur)
            conn.commit()
        finally:
            conn.close()
        tables = sorted(after[0] - before[0])
        # A recreated table's own keys come with it; name only those restored elsewhere.
        keys = sorted(name for name, table in after[1] - before[1] if table not in tables)
        return Repairs(tables, keys)

    def rollback(self, count: int = 1) -> list[str]:
        migrations = self._migrations()
        with self._backend(writing=True) as backend, self._locked(backend):
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
-- genbot's full schema for psql, for operators who do not run `genbot migrate`:
--
--     psql "$DATABASE_URL" < migrations/bootstrap.sql
--     psql -v ON_ERROR_STOP=1 "$DATABASE_URL" < migrations/bootstrap.sql   # exit 3 on error
--
-- It is the core migrations in order, in one transaction: all or nothing. Every
-- statement converges (IF NOT EXISTS, foreign keys added by name when missing), so
-- running it again on a database that has the schema changes nothing. That is also why
-- a bare `yoyo apply migrations/` may read it: yoyo takes it for a last migration named
-- "bootstrap", after the numbered ones, and it changes nothing (hence no psql-only
-- commands here). `genbot migrate` afterwards records the migrations as applied.
-- tests/test_schema.py proves all three give the same schema. Regenerate this file
-- with `python -m core.ops.migrations > migrations/bootstrap.sql`.

BEGIN;

"""


def render_bootstrap() -> str:
    """migrations/bootstrap.sql: the core migrations in order, in one psql transaction."""
    parts = [BOOTSTRAP_HEADER]
    for path in sorted(CORE_MIGRATIONS_DIR.glob("0*.sql")):
        if not path.name.endswith(".rollback.sql"):
            parts.append(f"-- ==== {path.name} ====\n{path.read_text()}\n")
    return "".join(parts) + "COMMIT;\n"


def _has_statements(sql: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())


class MigrationNameError(ValueError):
    pass


NEW_MIGRATION = """\
-- {id}: say what this migration does and why.
--
-- `genbot migrate` re-runs every applied migration to repair drift, so write it to
-- converge: CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, CREATE INDEX IF NOT
-- EXISTS, constraints added by name only when missing (see 0002_core_mechanisms.sql).
"""
NEW_ROLLBACK = """\
-- Undoes {id} (`genbot rollback`): DROP … IF EXISTS, in reverse order.
"""
_NUMBERED = re.compile(r"^(?P<prefix>[a-z0-9_]*?)(?P<number>\d{4})_[a-z0-9_]+\.sql$")


def new_migration(folder: Path, name: str) -> tuple[Path, Path]:
    """Start the next numbered migration pair in ``folder``: ``NNNN_name.sql`` and its
    ``.rollback.sql``. A plugin's prefix (``notes_0001_…``) carries over, so its ids stay
    apart from the core's (yoyo ids are global)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,59}", name):
        raise MigrationNameError(f"a migration name is 1-60 of a-z, 0-9 and _, starting with a "
                                 f"letter, got {name!r}")
    folder = Path(folder)
    if not folder.is_dir():
        raise MigrationNameError(f"{folder} is not a folder")
    numbered = sorted((int(m["number"]), m["prefix"]) for p in folder.glob("*.sql")
                      if not p.name.endswith(".rollback.sql") and (m := _NUMBERED.match(p.name)))
    number, prefix = numbered[-1] if numbered else (0, "")
    migration_id = f"{prefix}{number + 1:04d}_{name}"
    forward, rollback = folder / f"{migration_id}.sql", folder / f"{migration_id}.rollback.sql"
    with open(forward, "x") as out:  # never overwrite a migration
        out.write(NEW_MIGRATION.format(id=migration_id))
    with open(rollback, "x") as out:
        out.write(NEW_ROLLBACK.format(id=migration_id))
    return forward, rollback


def _pid_alive(pid) -> bool | None:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, OverflowError):
        return None
    return True


if __name__ == "__main__":  # python -m core.ops.migrations > migrations/bootstrap.sql
    print(render_bootstrap(), end="")
