"""Webhook throughput: /start from 10,000 new users, 64 at a time, genbot beside the plain example.

    python -m bench.webhook_start [--users 10000] [--concurrency 64] [--delay 0.05]

Both servers run in the same session against the same PostgreSQL (a fresh database
cloned from one migrated template each) and the same Bot API stand-in, which answers
after ``--delay`` seconds like Telegram's round trip. Reported per server: updates/s,
p50/p99 latency, server CPU ms and PostgreSQL CPU ms per update, and statements per
update as pg_stat_statements counts them (BEGIN and COMMIT included). A second pass
sends /start again from the same users (now cached) with new update ids.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from bench.harness import (
    ROOT,
    BenchPostgres,
    cpu_seconds,
    drive,
    machine,
    start_standin,
    tree,
    wait_http,
)
from genbot.testing.postgres import url_for
from genbot.testing.updates import message
from tests.support.serve import free_port

TOKEN = "123456789:AAH-bench-token-for-genbot-0123456789abc"
SECRET = "bench-secret"


def bodies(users: int, first_user: int, first_update: int) -> list[bytes]:
    return [json.dumps(message(first_user + i, "/start", update_id=first_update + i)).encode()
            for i in range(users)]


def start_genbot(database, standin_url: str, port: int, workers: int, threads: int):
    env = dict(os.environ, DATABASE_URL=url_for(database), BOT_TOKEN=TOKEN, WEBHOOK_SECRET=SECRET,
               TELEGRAM_API_URL=standin_url, PORT=str(port), WEB_CONCURRENCY=str(workers),
               WEB_THREADS=str(threads), LOG_LEVEL="WARNING", BOT_API_RATE="0",
               PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def start_plain(database, standin_url: str, port: int, workers: int, threads: int):
    dsn = f"host={database.host} port={database.port} dbname={database.dbname} user={database.user}"
    env = dict(os.environ, DATABASE_DSN=dsn, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin_url,
               PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", str(workers),
                             "--threads", str(threads), "--keep-alive", "30", "-b",
                             f"127.0.0.1:{port}", "--log-level", "warning",
                             "--no-control-socket", "bench.plain_webhook:app"],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def measure(name, starter, pg, standin_url, args) -> dict:
    dbname = f"bench_{name}"
    database = pg.create(dbname, template="bench_template")
    port = free_port()
    proc = starter(database, standin_url, port, args.workers, args.threads)
    url = f"http://127.0.0.1:{port}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        wait_http(url + "/healthz")
        drive(url, "/webhook", bodies(200, 900_000_000, 900_000_000), headers, args.concurrency)
        rows = {}
        for label, first_update in (("new users", 1), ("cached users", 10_000_001)):
            load = bodies(args.users, 1_000_000, first_update)
            pg.reset_statements()
            server_cpu = cpu_seconds(tree(proc.pid))
            db_cpu = cpu_seconds(pg.server_processes())
            result = drive(url, "/webhook", load, headers, args.concurrency)
            server_cpu = cpu_seconds(tree(proc.pid)) - server_cpu
            db_cpu = cpu_seconds(pg.server_processes()) - db_cpu
            time.sleep(0.5)  # let pg_stat_statements settle
            rows[label] = {
                "updates_per_s": result.rate,
                "p50_ms": result.p50,
                "p99_ms": result.percentile(99),
                "server_cpu_ms_per_update": server_cpu * 1000 / result.count,
                "db_cpu_ms_per_update": db_cpu * 1000 / result.count,
                "statements_per_update": pg.statements(dbname) / result.count,
                "statuses": result.statuses,
            }
        replies = pg.sql("SELECT count(*) FROM users", dbname=dbname)[0][0]
        rows["users written"] = replies
        return rows
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.05, help="Bot API answer delay, s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--only", choices=["genbot", "plain"], default=None)
    args = parser.parse_args()

    pg = BenchPostgres().start()
    standin, standin_url = start_standin(args.delay)
    results = {}
    try:
        targets = [("genbot", start_genbot), ("plain", start_plain)]
        for name, starter in targets:
            if args.only in (None, name):
                results[name] = measure(name, starter, pg, standin_url, args)
    finally:
        standin.terminate()
        pg.stop()

    print(f"\nwebhook /start: {args.users} users, {args.concurrency} concurrent, Bot API delay "
          f"{args.delay * 1000:.0f} ms, {args.workers} workers x {args.threads} threads each")
    print(f"machine: {machine()}\n")
    header = (f"{'server':8} {'pass':13} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'cpu ms/upd':>11} {'db cpu ms':>10} {'stmts/upd':>10}  statuses")
    print(header)
    print("-" * len(header))
    for name, rows in results.items():
        for label in ("new users", "cached users"):
            r = rows[label]
            print(f"{name:8} {label:13} {r['updates_per_s']:10.0f} {r['p50_ms']:8.1f} "
                  f"{r['p99_ms']:8.1f} {r['server_cpu_ms_per_update']:11.2f} "
                  f"{r['db_cpu_ms_per_update']:10.2f} {r['statements_per_update']:10.2f}  "
                  f"{r['statuses']}")
    if "genbot" in results and "plain" in results:
        for label in ("new users", "cached users"):
            ratio = results["genbot"][label]["updates_per_s"] / results["plain"][label]["updates_per_s"]
            print(f"\ngenbot / plain, {label}: {ratio:.2f}x updates/s")


if __name__ == "__main__":
    main()
