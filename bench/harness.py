"""What the benchmarks share: a PostgreSQL that counts statements, a load client, CPU.

- ``BenchPostgres``: the embedded server in a temporary folder, restarted once with
  ``pg_stat_statements`` so every statement a server under test sends is counted.
- ``drive``: an asyncio HTTP/1.1 client on keep-alive connections, light enough that
  the 2-core machine spends its time in the server under test, not in the client.
- ``cpu_seconds``: user+system CPU of a process tree, to divide by the work done.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from core.config import DatabaseSettings
from core.db import query_once
from core.ops.embedded import EmbeddedPostgres
from core.ops.migrations import Migrator

ROOT = Path(__file__).resolve().parent.parent


class BenchPostgres:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="genbot-bench-"))
        self.embedded = EmbeddedPostgres(self.folder)
        self.admin: DatabaseSettings | None = None

    def start(self) -> BenchPostgres:
        self.admin = self.embedded.start(database="postgres")
        self.sql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        self.sql("ALTER SYSTEM SET max_connections = 300")
        self.embedded.stop()
        self.admin = self.embedded.start(database="postgres")
        self.sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        template = self.create("bench_template")
        Migrator(template).apply()
        return self

    def sql(self, statement: str, params=None, dbname: str = "postgres"):
        return query_once(self.settings(dbname), statement, params)

    def settings(self, dbname: str) -> DatabaseSettings:
        return DatabaseSettings(host=self.admin.host, port=self.admin.port, dbname=dbname,
                                user=self.admin.user)

    def create(self, name: str, template: str | None = None) -> DatabaseSettings:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.settings(name)

    def reset_statements(self) -> None:
        self.sql("SELECT pg_stat_statements_reset()")

    def statements(self, dbname: str) -> int:
        """Statements executed in ``dbname`` since the last reset (BEGIN/COMMIT included)."""
        rows = self.sql("SELECT COALESCE(SUM(s.calls), 0) FROM pg_stat_statements s "
                        "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = %s", (dbname,))
        return int(rows[0][0])

    def server_processes(self) -> list[psutil.Process]:
        pid = self.embedded.server_pid
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)

    def stop(self) -> None:
        self.embedded.stop()


def cpu_seconds(processes) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root] + root.children(recursive=True)


def start_standin(delay_s: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.standin", "--delay", str(delay_s)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


@dataclass
class LoadResult:
    count: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)


async def read_headers(reader) -> tuple[int, bool]:
    """After the status line: (Content-Length, whether the server closes the connection)."""
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            return length, close
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True


async def _worker(host, port, path, headers: bytes, bodies, latencies, statuses):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while bodies:
            body = bodies.pop()
            extra = b""
            if isinstance(body, tuple):  # (body, its own headers)
                body, own = body
                extra = "".join(f"{k}: {v}\r\n" for k, v in own.items()).encode()
            request = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                       f"Content-Length: {len(body)}\r\n").encode() + headers + extra + b"\r\n" + body
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length, close = await read_headers(reader)
            if length:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            status = int(status_line.split()[1]) if status_line else 0
            statuses[status] = statuses.get(status, 0) + 1
            if close or not status_line:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def drive(url: str, path: str, bodies: list, headers: dict, concurrency: int) -> LoadResult:
    """Send every body once, ``concurrency`` at a time; measure each answer.

    A body is bytes, or (bytes, headers of its own) such as a per-body signature.
    """
    host, port = url.replace("http://", "").split(":")
    header_bytes = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
    queue = list(reversed(bodies))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def main():
        await asyncio.gather(*(_worker(host, int(port), path, header_bytes, queue, latencies,
                                       statuses) for _ in range(concurrency)))

    started = time.perf_counter()
    asyncio.run(main())
    return LoadResult(len(latencies), time.perf_counter() - started, latencies, statuses)


def wait_http(url: str, timeout: float = 30.0) -> None:
    import requests
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


def machine() -> str:
    import platform
    return (f"{platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}")
