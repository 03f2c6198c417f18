"""Soak: minutes of mixed load on `run.py serve`; memory, connections and latency must stay flat.

    python -m bench.soak [--minutes 10] [--rate 200] [--concurrency 32] [--delay 0.03]

genbot (`run.py serve`, gunicorn 2 workers x 16 threads, 4 job threads per worker, the
demo provider) runs against a fresh database cloned from the migrated template, with
the Bot API stand-in in a process of its own answering after ``--delay`` seconds.
``--concurrency`` senders on keep-alive connections share one pacer that lets out at
most ``--rate`` requests a second, all to 127.0.0.1, for ``--minutes``: a soak measures
stability, not the peak, so the offered rate stays well below what 2 cores can do.

The mix, picked per scenario: new users' /start; menu buttons, /balance and /help;
free demo generations (model → prompt → confirm, the token read from the webhook
response) and paid ones (demo-image-hd, 15 ₽) by users credited through signed
``POST /payments/callback`` requests first; repeated callbacks (a second confirm tap,
the same menu button several times with new update ids); duplicate updates (a sent
body again, same update_id); payment callbacks each sent twice.

Each minute one line: requests, p50/p99 of the answers in that minute, statuses, RSS
of the gunicorn master and its workers (summed, and the largest worker), PostgreSQL
backends connected to the bench database (at the minute's end, and the most of its
5-second samples), open file descriptors and CPU (% of one core) of the serve tree,
and the job queue (jobs succeeded and failed since the start, jobs queued or running). Then a summary with a PASS/FAIL line per criterion: RSS growth
under 10 % from the end of the first minute (warm-up) to the end of the last, no
more connections in the last minute than in the first, the last minute's p99 within
20 % of the first's; and the jobs (all finished, none stuck) and the ledger (balance
+ held = ledger for every user, and `run.py doctor` exit code).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.harness import (
    ROOT,
    BenchPostgres,
    cpu_seconds,
    machine,
    read_headers,
    start_standin,
    tree,
    wait_http,
)
from core.accounts.balances import ledger_differences
from core.config import DEFAULT_CATALOG
from core.db import Database, query_once
from genbot.testing import updates
from genbot.testing.postgres import url_for
from plugins.payments.callback import signature_of
from tests.support.flows import find_confirm_token
from tests.support.serve import free_port

TOKEN = "123456789:AAH-bench-token-for-genbot-0123456789abc"
SECRET = "bench-secret"
PAY_SECRET = "bench-callback-secret"
DBNAME = "bench_soak"
REQUEST_TIMEOUT_S = 30.0
SAMPLE_EVERY_S = 5.0
FREE_MODELS = ("demo-text", "demo-audio", "demo-video")  # the prompt starts them at once;
PAID_MODEL, PAID_PRICE = "demo-image-hd", 15             # the paid confirm rides in the response
TOPUP_RUB = 100
MENU = ("💰 Баланс", "/balance", "🆘 Помощь", "/help", "🖼 Изображения", "✍️ Тексты", "🎁 Бесплатные")
SCENARIOS = {"new_user": 15, "menu": 25, "free_gen": 8, "paid_gen": 6, "payment": 16,
             "duplicate": 15, "repeat_callback": 15}


# -- the client --------------------------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1; request() -> (status, body)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def _open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, path: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            self.close()
            raise ConnectionError("server closed the connection")
        length, close = await read_headers(self.reader)
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return int(status_line.split()[1]), data


class Pacer:
    """Lets out at most ``rate`` requests a second, evenly spaced, to every sender together."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self):
        now = time.monotonic()
        at = max(now, self.next)
        self.next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


@dataclass
class Minute:
    latencies_ms: list = field(default_factory=list)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    kinds: collections.Counter = field(default_factory=collections.Counter)
    samples: list = field(default_factory=list)  # (rss_total, rss_max_worker, pg_conns, fds, pids)
    jobs: dict = field(default_factory=dict)  # generation_jobs by status, since the start
    cpu_percent: float = 0.0  # of one core, the serve tree's user + system time


class Soak:
    def __init__(self, url: str, args, started: float):
        host, port = url.replace("http://", "").split(":")
        self.host, self.port = host, int(port)
        self.args = args
        self.started = started
        self.deadline = started + args.minutes * 60
        self.max_requests = int(args.rate * args.minutes * 60 * 1.05) + 100
        self.sent = 0
        self.minutes = [Minute() for _ in range(args.minutes)]
        self.pacer = Pacer(args.rate)
        self.rng = random.Random(7)
        self.update_ids = itertools.count(10_000_000)
        self.new_ids = itertools.count(5_000_000)
        self.payment_ids = itertools.count(1)
        self.idle_users: collections.deque = collections.deque()  # not in any scenario now
        self.balance: dict[int, int] = {}  # what the client believes each user has, roubles
        self.recent: collections.deque = collections.deque(maxlen=500)  # sent webhook bodies
        self.tokens: collections.deque = collections.deque(maxlen=200)  # (user, used confirm token)
        self.flow_errors = collections.Counter()
        self.expected_credit = 0
        self.confirms = {"free": 0, "paid": 0}

    def minute_of(self, at: float) -> Minute:
        return self.minutes[min(len(self.minutes) - 1, int((at - self.started) // 60))]

    def running(self) -> bool:
        return time.monotonic() < self.deadline and self.sent < self.max_requests

    async def send(self, conn: Connection, kind: str, path: str, body: bytes, headers: dict):
        """One paced request: (status, body), (0, b"") when it failed; TimeUp when time is up."""
        await self.pacer.wait()
        if not self.running():
            raise TimeUp
        self.sent += 1
        started = time.monotonic()
        try:
            status, data = await asyncio.wait_for(conn.request(path, body, headers), REQUEST_TIMEOUT_S)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            conn.close()
            status, data = 0, b""
            self.flow_errors[f"transport {type(exc).__name__}"] += 1
        minute = self.minute_of(started)
        minute.latencies_ms.append((time.monotonic() - started) * 1000)
        minute.statuses[status] += 1
        minute.kinds[kind] += 1
        return status, data

    async def webhook(self, conn, kind: str, update: dict) -> dict | None:
        body = json.dumps(update).encode()
        self.recent.append(body)
        status, data = await self.send(conn, kind, "/webhook", body,
                                       {"X-Telegram-Bot-Api-Secret-Token": SECRET})
        if status != 200:
            return None
        try:
            return json.loads(data) if data else {}
        except ValueError:
            self.flow_errors["webhook answer not JSON"] += 1
            return None

    async def pay(self, conn, user: int, amount: int, status: str = "succeeded") -> None:
        """A signed payment callback, sent twice (the provider retries)."""
        raw = json.dumps({"payment_id": f"soak-{next(self.payment_ids)}", "user_id": user,
                          "amount_rub": f"{amount}.00", "status": status}).encode()
        headers = {"X-Signature": signature_of(PAY_SECRET, raw)}
        answers = []
        for _ in range(2):
            code, data = await self.send(conn, "payment", "/payments/callback", raw, headers)
            credited = json.loads(data).get("credited") if code == 200 and data else None
            answers.append(credited)
            if credited:  # counted at once: time may be up before the duplicate goes
                self.expected_credit += amount
                self.balance[user] = self.balance.get(user, 0) + amount
        if answers != ([True, False] if status == "succeeded" else [False, False]):
            self.flow_errors[f"payment {status} answered credited={answers}"] += 1

    # -- scenarios -------------------------------------------------------------------

    def user(self) -> int:
        return self.idle_users.popleft() if self.idle_users else next(self.new_ids)

    async def new_user(self, conn, _user):
        user = next(self.new_ids)
        await self.webhook(conn, "start", updates.message(user, "/start", next(self.update_ids)))
        await self.webhook(conn, "menu", updates.message(user, "💰 Баланс", next(self.update_ids)))
        return user

    async def menu(self, conn, user):
        for text in self.rng.sample(MENU, 3):
            await self.webhook(conn, "menu", updates.message(user, text, next(self.update_ids)))
        return user

    async def generate(self, conn, user, model: str, kind: str) -> bool:
        await self.webhook(conn, kind, updates.callback(user, f"gen:m:{model}", next(self.update_ids)))
        answer = await self.webhook(conn, kind, updates.message(user, f"soak {model} {user}",
                                                                next(self.update_ids)))
        token = find_confirm_token([answer] if answer else [])
        if token is None and kind == "free_gen":
            return True  # free with no choices: the prompt started it, nothing to confirm
        if token is None:
            self.flow_errors[f"{model}: no confirm button in the answer"] += 1
            return False
        confirm = updates.callback(user, f"gen:go:{token}", next(self.update_ids))
        if await self.webhook(conn, kind, confirm) is None:
            return False
        self.tokens.append((user, token))
        if self.rng.random() < 0.5:  # a double tap: the same button, a new update
            await self.webhook(conn, "repeat_callback",
                               updates.callback(user, f"gen:go:{token}", next(self.update_ids)))
        return True

    async def free_gen(self, conn, user):
        if await self.generate(conn, user, self.rng.choice(FREE_MODELS), "free_gen"):
            self.confirms["free"] += 1
        return user

    async def paid_gen(self, conn, user):
        if self.balance.get(user, 0) < PAID_PRICE:
            await self.pay(conn, user, TOPUP_RUB)
        if self.balance.get(user, 0) >= PAID_PRICE \
                and await self.generate(conn, user, PAID_MODEL, "paid_gen"):
            self.balance[user] -= PAID_PRICE
            self.confirms["paid"] += 1
        return user

    async def payment(self, conn, user):
        status = "succeeded" if self.rng.random() < 0.8 else "pending"
        await self.pay(conn, user, self.rng.choice((50, 100, 250)), status)
        return user

    async def duplicate(self, conn, user):
        if self.recent:
            body = self.rng.choice(self.recent)
            for _ in range(2):
                await self.send(conn, "duplicate", "/webhook", body,
                                {"X-Telegram-Bot-Api-Secret-Token": SECRET})
        return user

    async def repeat_callback(self, conn, user):
        if self.tokens and self.rng.random() < 0.3:  # an old confirm, long after the job
            owner, token = self.rng.choice(self.tokens)
            data, user_of = f"gen:go:{token}", owner
        else:
            data, user_of = self.rng.choice(("gen:menu", "gen:x", "pay:custom")), user
        for _ in range(3):
            await self.webhook(conn, "repeat_callback", updates.callback(user_of, data,
                                                                         next(self.update_ids)))
        if data == "pay:custom":  # leave the amount prompt
            await self.webhook(conn, "repeat_callback", updates.message(user_of, "/cancel",
                                                                        next(self.update_ids)))
        return user

    async def sender(self):
        conn = Connection(self.host, self.port)
        names, weights = list(SCENARIOS), list(SCENARIOS.values())
        try:
            while self.running():
                name = self.rng.choices(names, weights)[0]
                user = None if name == "new_user" else self.user()
                try:
                    user = await getattr(self, name)(conn, user)
                except TimeUp:
                    return
                finally:
                    if user is not None:
                        self.idle_users.append(user)
        finally:
            conn.close()


class TimeUp(Exception):
    pass


# -- what the server holds ----------------------------------------------------------------

def serve_tree(pid: int) -> tuple[psutil.Process, list[psutil.Process]]:
    root = psutil.Process(pid)
    return root, root.children(recursive=True)


def sample(pg, pid: int) -> tuple:
    """(RSS of master + workers, RSS of the largest worker, bench db backends, fds, worker pids)."""
    root, workers = serve_tree(pid)
    rss, largest, fds = 0, 0, 0
    for proc in [root] + workers:
        try:
            mine = proc.memory_info().rss
            fds += proc.num_fds()
        except psutil.NoSuchProcess:
            continue
        rss += mine
        if proc is not root:
            largest = max(largest, mine)
    conns = pg.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (DBNAME,))[0][0]
    return rss, largest, int(conns), fds, tuple(sorted(p.pid for p in workers))


def job_counts(settings) -> dict:
    return dict(query_once(settings, "SELECT status, count(*) FROM generation_jobs GROUP BY status"))


async def monitor(soak: Soak, pg, pid: int, settings, baseline: list):
    loop = asyncio.get_running_loop()
    baseline.append(await loop.run_in_executor(None, sample, pg, pid))
    next_sample = soak.started + SAMPLE_EVERY_S
    printed = 0
    cpu_before = cpu_seconds(tree(pid))
    while printed < len(soak.minutes):
        await asyncio.sleep(max(0.0, next_sample - time.monotonic()))
        at = next_sample
        next_sample += SAMPLE_EVERY_S
        soak.minute_of(at - 0.001).samples.append(await loop.run_in_executor(None, sample, pg, pid))
        if at >= soak.started + 60 * (printed + 1) - 0.01:
            minute = soak.minutes[printed]
            minute.jobs = await loop.run_in_executor(None, job_counts, settings)
            cpu_now = cpu_seconds(tree(pid))
            minute.cpu_percent, cpu_before = (cpu_now - cpu_before) / 60 * 100, cpu_now
            print(minute_line(printed + 1, minute), flush=True)
            printed += 1


def _pct(values, p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _mb(value: float) -> str:
    return f"{value / 2**20:.1f}"


def minute_line(number: int, minute: Minute) -> str:
    rss, largest, conns, fds, _pids = minute.samples[-1]
    lat = minute.latencies_ms
    jobs = minute.jobs
    done = jobs.get("succeeded", 0)
    failed = sum(jobs.get(s, 0) for s in ("failed", "timeout", "cancelled"))
    waiting = jobs.get("queued", 0) + jobs.get("running", 0)
    return (f"{number:6d} {len(lat):8d} {statistics.median(lat) if lat else float('nan'):7.1f} "
            f"{_pct(lat, 99):7.1f} {_mb(rss):>8} {_mb(largest):>8} {conns:5d} "
            f"{max(s[2] for s in minute.samples):5d} {fds:5d} {minute.cpu_percent:5.0f} {done:7d} "
            f"{failed:5d} {waiting:5d}  "
            f"{dict(sorted(minute.statuses.items()))}")


HEADER = (f"{'minute':>6} {'requests':>8} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>8} {'max wkr':>8} "
          f"{'conns':>5} {'max c':>5} {'fds':>5} {'cpu%':>5} {'jobs ok':>7} {'fail':>5} {'queue':>5}  statuses")


# -- the run ---------------------------------------------------------------------------

def start_genbot(database, standin_url: str, port: int, folder: Path, args):
    env = dict(os.environ, DATABASE_URL=url_for(database), BOT_TOKEN=TOKEN, WEBHOOK_SECRET=SECRET,
               TELEGRAM_API_URL=standin_url, PORT=str(port), WEB_CONCURRENCY=str(args.workers),
               WEB_THREADS=str(args.threads), JOB_WORKERS=str(args.job_workers),
               FREE_DAILY_QUOTA="100000", PAYMENT_CALLBACK_SECRET=PAY_SECRET, LOG_LEVEL="WARNING",
               BOT_API_RATE="0",  # the stand-in has no Telegram limits
               AUTO_MIGRATE="1",  # the template has the core's tables; plugins add theirs
               PLUGINS_FILE=str(ROOT / "plugins.toml"), CATALOG_FILE=str(DEFAULT_CATALOG),
               GENBOT_DATA_DIR=str(folder / "var"), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    log = open(folder / "serve.log", "w")
    return subprocess.Popen([sys.executable, str(ROOT / "run.py"), "serve"], env=env, cwd=folder,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_jobs(settings, timeout: float) -> tuple[dict, float]:
    started = time.monotonic()
    while True:
        counts = job_counts(settings)
        if counts.get("queued", 0) + counts.get("running", 0) == 0 \
                or time.monotonic() - started > timeout:
            return counts, time.monotonic() - started
        time.sleep(0.5)


def doctor(database, standin_url: str, folder: Path) -> tuple[int, list[str]]:
    env = dict(os.environ, DATABASE_URL=url_for(database), BOT_TOKEN=TOKEN,
               TELEGRAM_API_URL=standin_url, PLUGINS_FILE=str(ROOT / "plugins.toml"),
               PAYMENT_CALLBACK_SECRET=PAY_SECRET, LOG_LEVEL="ERROR", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "doctor", "--json"], env=env,
                          cwd=folder, capture_output=True, text=True, timeout=120)
    notes = []
    try:
        report = json.loads(done.stdout)
        findings = report.get("findings", report) if isinstance(report, dict) else report
        for item in findings if isinstance(findings, list) else []:
            if isinstance(item, dict) and item.get("severity") != "ok":
                notes.append(f"{item.get('severity')}: {item.get('check')}: {item.get('message')}")
    except ValueError:
        notes.append((done.stdout + done.stderr).strip()[:500])
    return done.returncode, notes


def log_problems(path: Path) -> list[str]:
    counts = collections.Counter()
    for line in path.read_text(errors="replace").splitlines():
        if any(word in line for word in ("ERROR", "CRITICAL", "Traceback", "WARNING")):
            # group the same message: drop the timestamp and ids
            key = " ".join(w for w in line.split() if not any(c.isdigit() for c in w))[:160]
            counts[key] += 1
    return [f"{n:6d} x {text}" for text, n in counts.most_common(12)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s offered, all kinds")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.03, help="Bot API answer delay, s")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--job-workers", type=int, default=4)
    args = parser.parse_args()
    if args.minutes < 1 or args.rate <= 0 or args.concurrency < 1:
        parser.error("--minutes >= 1, --rate > 0 and --concurrency >= 1")

    folder = Path(tempfile.mkdtemp(prefix="genbot-soak-"))
    pg = BenchPostgres().start()
    standin, standin_url = start_standin(args.delay)
    server = None
    try:
        database = pg.create(DBNAME, template="bench_template")
        port = free_port()
        server = start_genbot(database, standin_url, port, folder, args)
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/healthz", timeout=60)
        print(f"soak: {args.minutes} min, offered {args.rate:.0f} requests/s, {args.concurrency} "
              f"senders; genbot {args.workers} workers x {args.threads} threads, JOB_WORKERS="
              f"{args.job_workers}; Bot API delay {args.delay * 1000:.0f} ms")
        print(f"machine: {machine()}   serve log: {folder / 'serve.log'}\n")
        print(HEADER)
        print("-" * len(HEADER), flush=True)

        soak = Soak(url, args, time.monotonic())
        baseline: list = []

        async def run():
            watcher = asyncio.create_task(monitor(soak, pg, server.pid, database, baseline))
            await asyncio.gather(*(soak.sender() for _ in range(args.concurrency)))
            await watcher

        asyncio.run(run())
        counts, drained_s = wait_for_jobs(database, timeout=60)
        time.sleep(1.0)  # finished jobs tell the user: let the last notices go out
        db = Database(database, minconn=0, maxconn=1)
        try:
            differences = ledger_differences(db)
            unnotified = db.fetch_one("SELECT count(*) FROM generation_jobs WHERE NOT notified "
                                      "AND status IN ('succeeded', 'failed', 'timeout')")[0]
            credited = db.fetch_one("SELECT COALESCE(SUM(amount_rub), 0) FROM payments")[0]
            users = db.fetch_one("SELECT count(*) FROM users")[0]
            held = db.fetch_one("SELECT count(*) FROM balance_reservations WHERE status = 'held'")[0]
        finally:
            db.close()
        doctor_code, doctor_notes = doctor(database, standin_url, folder)
        final = sample(pg, server.pid)
    finally:
        if server is not None:
            try:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(60)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(server.pid, signal.SIGKILL)
        standin.terminate()
        standin.wait(10)
        pg.stop()

    first, last = soak.minutes[0], soak.minutes[-1]
    rss_first, rss_last = first.samples[-1][0], last.samples[-1][0]
    conns_first, conns_last = max(s[2] for s in first.samples), max(s[2] for s in last.samples)
    p99_first, p99_last = _pct(first.latencies_ms, 99), _pct(last.latencies_ms, 99)
    ratio = p99_last / p99_first if p99_first else float("inf")
    growth = (rss_last - rss_first) / rss_first
    pids = {s[4] for m in soak.minutes for s in m.samples} | {baseline[0][4]}
    stuck = counts.get("queued", 0) + counts.get("running", 0)
    kinds = collections.Counter()
    for m in soak.minutes:
        kinds.update(m.kinds)
    total = sum(len(m.latencies_ms) for m in soak.minutes)

    print(f"\nsent {total} requests in {args.minutes} min ({total / (args.minutes * 60):.0f}/s): "
          f"{dict(kinds.most_common())}")
    print(f"generations confirmed: {soak.confirms['free']} free, {soak.confirms['paid']} paid; "
          f"payments credited {credited} ₽ (client expected {soak.expected_credit} ₽); users {users}")
    if soak.flow_errors:
        print(f"flow errors: {dict(soak.flow_errors.most_common())}")
    print(f"RSS (master + workers): before load {_mb(baseline[0][0])} MB, end of minute 1 "
          f"{_mb(rss_first)} MB, end of minute {args.minutes} {_mb(rss_last)} MB "
          f"({growth * 100:+.1f} %), after drain {_mb(final[0])} MB; largest worker "
          f"{_mb(first.samples[-1][1])} -> {_mb(last.samples[-1][1])} MB")
    print(f"PostgreSQL backends on {DBNAME} (max over each minute's samples): first {conns_first}, "
          f"last {conns_last}; before load {baseline[0][2]}; each worker's pool keeps what it "
          f"opened, up to DB_POOL_MAX (20): at most {args.workers * 20}")
    print(f"open fds of the serve tree: before load {baseline[0][3]}, end of minute 1 "
          f"{first.samples[-1][3]}, end {last.samples[-1][3]}")
    print(f"worker processes seen: {len(pids)} set(s) {sorted(pids)}"
          + ("  <- a worker was replaced" if len(pids) > 1 else ""))
    print(f"p99: first minute {p99_first:.1f} ms, last minute {p99_last:.1f} ms, ratio {ratio:.2f}")
    print(f"jobs after {drained_s:.1f} s drain: {dict(sorted(counts.items()))}; stuck (queued or "
          f"running) {stuck}; finished but user not told {unnotified}; reservations still held {held}")
    print(f"ledger: {len(differences)} user(s) whose balance + held differs from the ledger"
          + (f": {differences[:5]}" if differences else ""))
    print(f"run.py doctor --json: exit {doctor_code}" + "".join(f"\n  {n}" for n in doctor_notes))
    problems = log_problems(folder / "serve.log")
    print("serve log warnings/errors: " + ("none" if not problems else "\n" + "\n".join(problems)))

    failed_jobs = sum(counts.get(s, 0) for s in ("failed", "timeout"))
    verdicts = [
        ("RSS growth after the first minute < 10 %", growth < 0.10, f"{growth * 100:+.1f} %"),
        ("PostgreSQL connections not growing", conns_last <= conns_first,
         f"{conns_first} -> {conns_last}"),
        ("last-minute p99 within 20 % of the first", ratio <= 1.20, f"ratio {ratio:.2f}"),
        ("no job stuck, none failed", stuck == 0 and failed_jobs == 0,
         f"stuck {stuck}, failed/timeout {failed_jobs}"),
        ("ledger balanced, doctor exit 0", not differences and doctor_code == 0,
         f"{len(differences)} differences, doctor {doctor_code}"),
    ]
    print()
    for name, ok, detail in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    sys.exit(0 if all(ok for _, ok, _ in verdicts) else 1)


if __name__ == "__main__":
    main()
