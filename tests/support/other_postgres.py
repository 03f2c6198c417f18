"""A throwaway PostgreSQL of another major version (Debian's ``postgresql-NN`` package).

The embedded server is PostgreSQL 18; an operator's may be older. ``OtherPostgres``
runs ``/usr/lib/postgresql/<major>/bin/postgres`` in the foreground as a child of the
test, with its data in the test's tmp folder, listening on a unix socket in a private
0700 folder only (no TCP). ``stop()`` ends it; the fixtures call it in teardown.

PostgreSQL refuses to run as root, and CI runs as root: then initdb and postgres run
as the ``postgres`` system user (which the Debian package creates), owning the data
and socket folders. Root reaches the socket anyway; a developer runs all as herself.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import subprocess
import time
from pathlib import Path

import psycopg2
import pytest

from core.config import DatabaseSettings
from core.db import connect_once, query_once
from tests.support.serve import free_port

SUPERUSER = "postgres"


def bin_dir(major: int) -> Path:
    return Path(f"/usr/lib/postgresql/{major}/bin")


def require(major: int) -> Path:
    """The binaries of ``major``: a missing package skips on a developer's machine with
    the install command; in CI, which installs it itself (.ci/run), it fails."""
    folder = bin_dir(major)
    if not all(os.access(folder / name, os.X_OK) for name in ("initdb", "postgres")):
        explain = f"PostgreSQL {major} is not installed: apt-get install postgresql-{major}"
        if os.environ.get("CI"):
            pytest.fail(explain)
        pytest.skip(explain)
    return folder


class OtherPostgres:
    def __init__(self, major: int, folder: Path):
        self.bin = require(major)
        self.major = major
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "socket"
        # No TCP listener: the port only names the socket file (.s.PGSQL.<port>).
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 30.0) -> OtherPostgres:
        as_user = _unprivileged_user()
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in (self.data, self.socket_dir):
            path.mkdir(mode=0o700)
            if as_user:
                shutil.chown(path, as_user, as_user)
        if as_user:
            _searchable_by_others(self.folder)
        run_as = ({"user": as_user, "group": pwd.getpwnam(as_user).pw_gid, "extra_groups": []}
                  if as_user else {})
        init = subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync"],
            cwd=self.data, capture_output=True, text=True, timeout=120, **run_as)
        assert init.returncode == 0, init.stdout + init.stderr
        self.log_path = self.folder / "postgres.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-k", str(self.socket_dir), "-c", "listen_addresses=", "-c", "fsync=off"],
            cwd=self.data, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            **run_as)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"postgres {self.major} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                connect_once(self.settings("postgres"), connect_timeout=1).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"postgres {self.major} not ready after {timeout} s:\n{self.log()}") from None
                time.sleep(0.05)

    def settings(self, dbname: str) -> DatabaseSettings:
        return DatabaseSettings(host=str(self.socket_dir), port=self.port, dbname=dbname,
                                user=SUPERUSER)

    def create(self, name: str, template: str | None = None) -> DatabaseSettings:
        suffix = f' TEMPLATE "{template}"' if template else ""
        query_once(self.settings("postgres"), f'CREATE DATABASE "{name}"{suffix}')
        return self.settings(name)

    def drop(self, name: str) -> None:
        query_once(self.settings("postgres"), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log(self) -> str:
        if self._log is not None and not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: no waiting for clients
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()


def _unprivileged_user() -> str | None:
    """None when we are not root; else the system user the Debian package created."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres").pw_name
    except KeyError:
        pytest.fail("running as root, and there is no postgres user to run PostgreSQL as "
                    "(apt-get install postgresql-15 creates it)")


def _searchable_by_others(folder: Path) -> None:
    """pytest makes its tmp folders 0700: the postgres user must pass through them
    (search only, no listing) to reach its own data and socket folders."""
    for path in (folder, *folder.parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(mode | stat.S_IXOTH)
