"""HAProxy in front of several `run.py serve` processes, PgBouncer in front of PostgreSQL.

Both come from Debian's packages (``apt-get install haproxy pgbouncer``; ``.ci/run``
installs them) and run in the foreground as child processes of the test, on
127.0.0.1 and ports from ``free_port()``, with their configuration in the test's
``tmp_path``. ``stop()`` ends them; the fixtures call it in teardown. HAProxy runs the
shipped ``deploy/haproxy.cfg`` as an operator does: its server lines appended, its bind
address in ``GENBOT_BIND``.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from core.config import DatabaseSettings
from core.db import connect_once
from tests.support.serve import ROOT, free_port

SHIPPED_HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def require(binary: str) -> None:
    """A missing Debian package skips on a developer's machine with the install command;
    in CI, which installs them itself (.ci/run), it fails: the drill must not vanish."""
    if not os.access(binary, os.X_OK):
        explain = f"{binary} is not installed: apt-get install haproxy pgbouncer"
        if os.environ.get("CI"):
            pytest.fail(explain)
        pytest.skip(explain)


class _Child:
    """A foreground daemon with its output in a file; stopped by pid, never by name."""

    name = "child"

    def _spawn(self, argv: list[str], log_path: Path, env: dict | None = None) -> None:
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def _wait_port(self, port: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"{self.name} not listening on {port} after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        return self.proc.returncode


class HAProxy(_Child):
    """The shipped configuration: round robin over ``backends`` (``host:port``),
    health-checked on /readyz."""

    name = "haproxy"

    def __init__(self, backends: list[str], folder: Path):
        require(HAPROXY)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "haproxy.cfg"
        self.config.write_text(haproxy_config(backends))
        env = dict(os.environ, GENBOT_BIND=f"127.0.0.1:{self.port}")
        check = subprocess.run([HAPROXY, "-c", "-f", str(self.config)], capture_output=True,
                               text=True, timeout=30, env=env)
        assert check.returncode == 0, check.stdout + check.stderr
        self._spawn([HAPROXY, "-db", "-f", str(self.config)], folder / "haproxy.log", env)
        self._wait_port(self.port)


def haproxy_config(backends: list[str]) -> str:
    """deploy/haproxy.cfg with one server line per backend appended, as docs/operations.md
    tells the operator to do."""
    servers = "".join(f"    server app{i} {address}\n" for i, address in enumerate(backends))
    return SHIPPED_HAPROXY_CONFIG.read_text() + servers


def shipped_timeout(name: str) -> float:
    """A ``timeout <name> <N>s`` of the shipped configuration, in seconds."""
    match = re.search(rf"^\s*timeout {re.escape(name)} (\d+)s\b", SHIPPED_HAPROXY_CONFIG.read_text(),
                      re.M)
    assert match, f"no timeout {name} in {SHIPPED_HAPROXY_CONFIG}"
    return float(match[1])


class PgBouncer(_Child):
    """Transaction pooling in front of the test server; ``settings(dbname)`` connects through it.

    PgBouncer refuses to run as root: then it is started with ``-u`` as the owner of
    the PostgreSQL socket (the embedded server's own system user), which can reach
    that socket and is given read access to the configuration.
    """

    name = "pgbouncer"

    def __init__(self, server: DatabaseSettings, folder: Path, *, pool_size: int = 20,
                 max_client_conn: int = 200, extra: str = ""):
        require(PGBOUNCER)
        self.server = server
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.auth_file = folder / "userlist.txt"
        self.auth_file.write_text(f'"{server.user}" ""\n')
        self.config = folder / "pgbouncer.ini"
        self.config.write_text(pgbouncer_config(server, self.port, self.auth_file,
                                                pool_size=pool_size,
                                                max_client_conn=max_client_conn, extra=extra))
        argv = [PGBOUNCER]
        if os.geteuid() == 0:
            argv += ["-u", self._unprivileged_user()]
            _readable_by_all(folder, self.config, self.auth_file)
        self._spawn([*argv, str(self.config)], folder / "pgbouncer.log")
        self._wait_port(self.port)

    def _unprivileged_user(self) -> str:
        socket_file = Path(self.server.host or "/tmp") / f".s.PGSQL.{self.server.port or 5432}"
        try:
            owner = pwd.getpwuid(socket_file.stat().st_uid).pw_name
        except (OSError, KeyError):
            owner = "root"
        return owner if owner != "root" else "nobody"

    def settings(self, dbname: str) -> DatabaseSettings:
        return DatabaseSettings(host="127.0.0.1", port=self.port, dbname=dbname,
                                user=self.server.user)

    def pools(self, dbname: str) -> dict:
        """``SHOW POOLS`` on the admin console: the row of ``dbname`` as a dict."""
        conn = connect_once(self.settings("pgbouncer"))
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW POOLS")
                names = [column.name for column in cur.description]
                rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            conn.close()
        return next(row for row in rows if row["database"] == dbname)

    def url(self, dbname: str) -> str:
        """DATABASE_URL through PgBouncer, as the operator guide writes it."""
        return f"postgresql://{self.server.user}@127.0.0.1:{self.port}/{dbname}"


def pgbouncer_config(server: DatabaseSettings, port: int, auth_file: Path, *, pool_size: int,
                     max_client_conn: int, extra: str = "") -> str:
    # A unix-socket server is named by its folder in host=, as in libpq.
    return f"""\
[databases]
* = host={server.host} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {auth_file}
admin_users = {server.user}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = {max_client_conn}
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile =
pidfile =
{extra}
"""


def _readable_by_all(folder: Path, *files: Path) -> None:
    """The dropped-privilege PgBouncer re-reads its files (and may reload them)."""
    for path in files:
        path.chmod(path.stat().st_mode | stat.S_IROTH | stat.S_IRGRP)
    prefix = folder
    while True:
        mode = prefix.stat().st_mode
        if not mode & stat.S_IXOTH:
            prefix.chmod(mode | stat.S_IXOTH)
        if prefix == prefix.parent:
            break
        prefix = prefix.parent
