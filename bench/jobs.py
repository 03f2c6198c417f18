"""Job queue throughput and latency with the demo provider.

    python -m bench.jobs [--jobs 2000] [--threads 8]

Three figures, in one run against one PostgreSQL:
1. queue only — jobs/s when a job does nothing but be claimed and finished
   (claim with SKIP LOCKED, finish with its money settled), and statements per job;
2. full jobs — jobs/s with the demo provider rendering a PNG and the result sent to a
   Bot API stand-in (answering at once), as in production;
3. idle latency — for single jobs on an idle system: queue pickup (commit of the
   job to a worker holding it) when this process queued it (it rings its own workers)
   and when another did (only the NOTIFY wakes them), the queue's own time (pickup +
   finish), and confirm (the webhook update) to the result arriving at the Bot API
   stand-in;
4. idle cost — statements the idle process sends in 10 s, listening for jobs and with
   JOB_LISTEN=0 (polling every 0.5 s).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

from bench.harness import BenchPostgres, machine
from core.app import App
from core.config import load_config
from core.generation.contract import GenerationOutput
from core.generation.jobs import Ending
from core.generation.workers import JobRunner
from core.host.plugin_host import PluginHost
from core.serve.web import create_web_app
from genbot.testing import updates
from genbot.testing.app import SECRET, TOKEN, exchange
from genbot.testing.bot_api import BotApiStandIn
from tests.support.flows import draft


def make_app(settings, standin_url: str, threads: int) -> App:
    folder = Path(tempfile.mkdtemp())
    (folder / "plugins.toml").write_text("[demo]\ndelay_s = 0.0\n")
    env = {"BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": SECRET, "TELEGRAM_API_URL": standin_url,
           "JOB_WORKERS": str(threads), "DB_POOL_MAX": str(threads + 8), "LOG_LEVEL": "WARNING",
           "PLUGINS_FILE": str(folder / "plugins.toml"), "PLUGIN_PROBE_INTERVAL": "0",
           "FREE_DAILY_QUOTA": "100000",
           # The stand-in has no Telegram limits, and the bench queues jobs by the hundred.
           "BOT_API_RATE": "0", "MAX_ACTIVE_JOBS": "100000"}
    config = load_config(env)
    return App(config, settings, plugins=PluginHost(config.plugins_file, env=env).load())


def enqueue(app: App, count: int, model_id: str = "demo-image-hd") -> list[int]:
    model = app.catalog.get(model_id)
    ids = []
    with app.db.transaction() as tx:
        for i in range(count):
            job_id, _ = app.jobs.create(tx, user_id=1 + i % 500, chat_id=1 + i % 500, model=model,
                                        inputs={"prompt": f"кадр {i}"}, draft_key=f"bench:{time.time_ns()}:{i}")
            ids.append(job_id)
    return ids


def run_until_done(app: App, execute, count: int, threads: int) -> float:
    done = threading.Semaphore(0)

    def counted(job):
        try:
            execute(job)
        finally:
            done.release()

    runner = JobRunner(app.jobs, counted, threads=threads, poll_s=0.05, heartbeat_s=1.0, sweep_s=3600)
    started = time.perf_counter()
    runner.start()
    for _ in range(count):
        done.acquire()
    elapsed = time.perf_counter() - started
    runner.stop()
    return elapsed


def wait_listening(runner: JobRunner, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not runner.listener.listening:
        if time.monotonic() > deadline:
            raise SystemExit("the job listener never heard its own test notification")
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()

    pg = BenchPostgres().start()
    standin = BotApiStandIn(delay_s=0).start()
    try:
        settings = pg.create("bench_jobs", template="bench_template")
        app = make_app(settings, standin.url, args.threads)
        for user in range(1, 501):
            app.balances.credit(user, "10000.00")

        # 1. queue only
        enqueue(app, args.jobs)
        pg.reset_statements()
        queue_only = run_until_done(app, lambda job: app.jobs.settle(job.id, Ending.succeeded(GenerationOutput("text", text=""))),
                                    args.jobs, args.threads)
        statements = pg.statements("bench_jobs") / args.jobs

        # 2. full jobs: demo provider, result delivered to the Bot API stand-in
        enqueue(app, args.jobs)
        full = run_until_done(app, app.lifecycle.run_job, args.jobs, args.threads)

        # 3. idle latency, one job at a time: queued here (rung at once), then elsewhere
        # (the NOTIFY alone wakes the worker)
        pickups, notified_pickups, queue_times = [], [], []
        committed = {}

        def timed(job):
            while job.id not in committed:  # the NOTIFY can beat the enqueuer's own clock
                time.sleep(0)
            pickup = time.perf_counter() - committed[job.id]
            started = time.perf_counter()
            app.jobs.settle(job.id, Ending.succeeded(GenerationOutput("text", text="")))
            (pickups if ring_here else notified_pickups).append(pickup * 1000)
            queue_times.append((pickup + time.perf_counter() - started) * 1000)
            done.set()

        done = threading.Event()
        runner = JobRunner(app.jobs, timed, threads=args.threads, heartbeat_s=1.0,
                           sweep_s=3600).start()
        wait_listening(runner)
        for ring_here in (True, False):
            for _ in range(args.samples):
                done.clear()
                [job_id] = enqueue(app, 1)
                committed[job_id] = time.perf_counter()
                if ring_here:
                    app.jobs.wake_workers()
                done.wait(10)
                time.sleep(0.05)  # idle again: the worker is back waiting

        # 4. idle cost: statements in 10 s with nothing queued
        idle = {}
        for listen in (True, False):
            if not listen:
                runner.stop()
                runner = JobRunner(app.jobs, timed, threads=args.threads, heartbeat_s=1.0,
                                   sweep_s=3600, listen=False).start()
            time.sleep(1.0)  # past the start's claims
            pg.reset_statements()
            time.sleep(10)
            idle[listen] = pg.statements("bench_jobs")
        runner.stop()

        runner = JobRunner(app.jobs, app.lifecycle.run_job, threads=args.threads, poll_s=0.5,
                           heartbeat_s=1.0, sweep_s=3600).start()
        client = create_web_app(app).test_client()

        def send(update):
            return exchange(client, standin, update)

        confirm_to_result = []
        for i in range(args.samples // 2):
            user = 10_000 + i
            app.balances.credit(user, Decimal("100"))
            token = draft(send, user, "demo-image-hd", f"кот {i}")
            before = len(standin.calls_to("sendPhoto"))
            started = time.perf_counter()
            send(updates.callback(user, f"gen:go:{token}"))
            standin.wait_for("sendPhoto", before + 1, timeout=10)
            confirm_to_result.append((time.perf_counter() - started) * 1000)
        runner.stop()
        app.close()
    finally:
        standin.stop()
        pg.stop()

    def describe(values):
        ordered = sorted(values)
        return (f"p50 {statistics.median(ordered):6.1f} ms   "
                f"p95 {ordered[int(0.95 * (len(ordered) - 1))]:6.1f} ms")

    print(f"\njob queue: {args.jobs} jobs, {args.threads} worker threads, one process")
    print(f"machine: {machine()}\n")
    print(f"queue only (claim + finish with money):  {args.jobs / queue_only:7.0f} jobs/s   "
          f"{statements:.1f} statements/job")
    print(f"full jobs (demo PNG + sendPhoto):        {args.jobs / full:7.0f} jobs/s")
    print(f"idle pickup, queued here (commit -> worker):      {describe(pickups)}")
    print(f"idle pickup, queued elsewhere (NOTIFY -> worker): {describe(notified_pickups)}")
    print(f"idle queue time (pickup + finish):       {describe(queue_times)}")
    print(f"idle confirm -> result at Bot API:       {describe(confirm_to_result)}")
    print(f"idle for 10 s, {args.threads} workers: {idle[True]} statements listening, "
          f"{idle[False]} polling (JOB_LISTEN=0)")


if __name__ == "__main__":
    main()
