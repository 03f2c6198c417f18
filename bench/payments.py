"""Signed payment callbacks per second, beside PostgreSQL's ceiling for the same statements.

    python -m bench.payments [--callbacks 10000] [--concurrency 32]

genbot (`run.py serve`, gunicorn 2 workers x 16 threads) receives signed
``POST /payments/callback`` requests from 32 concurrent senders, half of them
duplicates of the other half (each payment twice, shuffled). The ceiling is pgbench
in the same run, 32 clients, running the statements a credit needs — the payment's
dedupe insert, the balance update and the ledger insert — in one transaction each.
The same server answering the same POSTs with no work (a 405) shows what the HTTP
stack alone costs on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

import bench.harness as h
from bench.harness import ROOT, BenchPostgres, drive, machine, start_standin, wait_http
from core.ops.embedded import pg_bin_dir
from genbot.testing.postgres import url_for
from plugins.payments.callback import signature_of
from tests.support.serve import free_port

SECRET = "bench-callback-secret"
USERS = 1000

PGBENCH_SCRIPT = """\\set pid random(1, 1000000000)
\\set uid random(1, 1000)
BEGIN;
INSERT INTO payments (source, external_id, user_id, amount_rub) VALUES ('provider', 'pg-' || :pid, :uid, 10.00) ON CONFLICT (source, external_id) DO NOTHING;
UPDATE balances SET balance_rub = COALESCE(balance_rub, 0) + 10.00, updated_at = NOW() WHERE user_id = :uid;
INSERT INTO payment_transactions (user_id, amount_rub, type, reason) VALUES (:uid, 10.00, 'topup', 'pgbench');
COMMIT;
"""


def seed_users(pg, dbname: str) -> None:
    pg.sql("INSERT INTO users (user_id) SELECT g FROM generate_series(1, %s) g", (USERS,), dbname=dbname)
    pg.sql("INSERT INTO balances (user_id, balance_rub) SELECT g, 0 FROM generate_series(1, %s) g",
           (USERS,), dbname=dbname)


def pgbench_tps(pg, dbname: str, clients: int, seconds: int) -> float:
    script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    script.write(PGBENCH_SCRIPT)
    script.close()
    settings = pg.settings(dbname)
    out = subprocess.run([str(pg_bin_dir() / "pgbench"), "-n", "-c", str(clients), "-j", "2",
                          "-T", str(seconds), "-f", script.name, "-h", settings.host,
                          "-p", str(settings.port), "-U", settings.user, dbname],
                         capture_output=True, text=True, check=True).stdout
    return float(re.search(r"tps = ([0-9.]+)", out).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    args = parser.parse_args()

    pg = BenchPostgres().start()
    standin, standin_url = start_standin(0.0)
    try:
        ours = pg.create("bench_payments", template="bench_template")
        seed_users(pg, "bench_payments")
        rng = random.Random(1)
        distinct = args.callbacks // 2
        payments = []
        for i in range(distinct):
            raw = json.dumps({"payment_id": f"bench-{i}", "user_id": rng.randint(1, USERS),
                              "amount_rub": f"{rng.randint(10, 5000)}.00", "status": "succeeded"}).encode()
            payments.append((raw, {"X-Signature": signature_of(SECRET, raw)}))
        load = payments + payments
        rng.shuffle(load)

        port = free_port()
        env = dict(os.environ, DATABASE_URL=url_for(ours), PORT=str(port), LOG_LEVEL="WARNING",
                   PAYMENT_CALLBACK_SECRET=SECRET, TELEGRAM_API_URL=standin_url,
                   BOT_TOKEN="123456789:AAH-bench-token-for-genbot-0123456789abc",
                   JOB_WORKERS="0", BOT_API_RATE="0", PYTHONPATH=str(ROOT))
        server = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            # CPU per callback of each party on the shared cores: where the time goes.
            parties = {"genbot (gunicorn)": lambda: h.tree(server.pid), "PostgreSQL": pg.server_processes,
                       "Bot API stand-in": lambda: h.tree(standin.pid)}
            before = {name: h.cpu_seconds(procs()) for name, procs in parties.items()}
            sender_before = time.process_time()
            result = drive(f"http://127.0.0.1:{port}", "/payments/callback", load, {}, args.concurrency)
            cpu_ms = {name: (h.cpu_seconds(procs()) - before[name]) * 1000 / len(load)
                      for name, procs in parties.items()}
            cpu_ms["load generator"] = (time.process_time() - sender_before) * 1000 / len(load)
            # The same server answering the same POSTs with no work at all (405 from the
            # router): how fast the HTTP stack itself goes on this machine.
            floor = drive(f"http://127.0.0.1:{port}", "/healthz", load, {}, args.concurrency)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        credited = pg.sql("SELECT count(*) FROM payments", dbname="bench_payments")[0][0]

        ceiling_db = pg.create("bench_pgbench", template="bench_template")
        seed_users(pg, "bench_pgbench")
        time.sleep(1)
        ceiling = pgbench_tps(pg, ceiling_db.dbname, args.concurrency, args.pgbench_seconds)
    finally:
        standin.terminate()
        pg.stop()

    print(f"\npayment callbacks: {len(load)} signed requests ({distinct} payments, each twice), "
          f"{args.concurrency} concurrent senders")
    print(f"machine: {machine()}\n")
    print(f"genbot  callbacks/s          {result.rate:8.0f}   p50 {result.p50:6.1f} ms   "
          f"p99 {result.percentile(99):6.1f} ms   statuses {result.statuses}   credited {credited}")
    print(f"web stack alone, POSTs/s      {floor.rate:7.0f}   (same server, same senders, no work: "
          f"{floor.statuses})")
    print(f"pgbench credit transactions/s {ceiling:7.0f}   (same statements, {args.concurrency} clients)")
    print(f"\ngenbot / ceiling: {result.rate / ceiling:.2f}   web stack alone / ceiling: "
          f"{floor.rate / ceiling:.2f}")
    cores = os.cpu_count() or 1
    print(f"\nCPU per callback (all {cores} cores are shared by everyone below):")
    for name, ms in cpu_ms.items():
        print(f"  {name:20s} {ms:6.3f} ms")
    print(f"  {'total':20s} {sum(cpu_ms.values()):6.3f} ms  -> at most "
          f"{cores * 1000 / sum(cpu_ms.values()):.0f} callbacks/s on {cores} cores")


if __name__ == "__main__":
    main()
