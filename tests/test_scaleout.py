"""Several `run.py serve` processes, one database: behind HAProxy, and through PgBouncer.

Every update and every payment callback is delivered two or three times at once, the
way Telegram and payment providers retry, and round robin spreads the copies over
the processes. PostgreSQL is the only thing they share: the update dedupe ledger
(``processed_updates``), the job queue (``FOR UPDATE SKIP LOCKED``) and the payments
keyed by their external id. So each update is answered once, each payment credited
once and each job run once, whichever process gets which copy.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psutil
import pytest
import requests

from core.accounts.balances import Balances, ledger_differences
from core.accounts.users import UserCache
from core.bot.texts import money
from core.db import Database, query_once
from genbot.testing import updates
from genbot.testing.app import SECRET
from genbot.testing.postgres import url_for
from genbot.testing.waiting import wait_until
from plugins.payments.callback import signature_of
from tests.support.balancer import HAProxy, PgBouncer
from tests.support.flows import confirm_token
from tests.support.serve import QUICK_JOBS, ServeProcess, base_env, run_cli, serve_env

pytestmark = pytest.mark.drill
CALLBACK_SECRET = "provider-callback-secret"
METRICS_TOKEN = "scaleout-metrics-token"
COPIES = 3  # each update and each payment callback arrives this many times at once
PAYMENTS = ("100.00", "25.50")  # each user tops up twice before the paid generation
PAID_PRICE = Decimal("15.00")  # demo-image-hd in catalog.toml
CLUSTER = {**QUICK_JOBS, "PAYMENT_CALLBACK_SECRET": CALLBACK_SECRET, "DB_POOL_MAX": 10,
           "PLUGIN_PROBE_INTERVAL": "0", "METRICS_TOKEN": METRICS_TOKEN}


class Cluster:
    """N identical serve processes (only PORT differs) behind one HAProxy."""

    def __init__(self, env: dict, count: int, tmp_path):
        self.servers: list[ServeProcess] = []
        self.balancer = None
        try:
            for i in range(count):
                self.servers.append(ServeProcess(env, cwd=tmp_path,
                                                 log_path=tmp_path / f"serve-{i}.log"))
            for server in self.servers:
                server.wait_ready(timeout=60)
            self.balancer = HAProxy([s.url.removeprefix("http://") for s in self.servers], tmp_path)
            self._wait_balanced()
        except BaseException:
            self.stop(check=False)
            raise
        self.url = self.balancer.url
        self._local = threading.local()

    def _wait_balanced(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(self.balancer.url + "/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, self.balancer.log()
            time.sleep(0.1)

    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def post_update(self, update: dict) -> dict | None:
        """One delivery through the balancer; the webhook's own reply, if it had one."""
        response = self.session().post(self.url + "/webhook", json=update, timeout=30,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert response.status_code == 200, response.text
        return response.json() if response.content else None

    def post_payment(self, raw: bytes) -> int:
        return self.session().post(
            self.url + "/payments/callback", data=raw, timeout=30,
            headers={"Content-Type": "application/json",
                     "X-Signature": signature_of(CALLBACK_SECRET, raw)}).status_code

    def worker_pids(self) -> dict[int, int]:
        """gunicorn worker pid -> index of the serve process it belongs to."""
        return {child.pid: i for i, server in enumerate(self.servers)
                for child in psutil.Process(server.proc.pid).children(recursive=True)}

    def metric(self, index: int, name: str, **labels) -> float:
        """One backend's own /metrics (not through the balancer): the sum over matching series."""
        text = requests.get(self.servers[index].url + "/metrics", timeout=10,
                            headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        total = 0.0
        for line in text.splitlines():
            match = re.match(rf"{name}{{(.*)}} (\S+)$", line)
            if match and all(f'{k}="{v}"' in match[1] for k, v in labels.items()):
                total += float(match[2])
        return total

    def stop(self, check: bool = True) -> None:
        """Stop everything; then, with ``check``, insist each process exited cleanly."""
        if self.balancer is not None:
            self.balancer.stop()
        codes = [server.stop() for server in self.servers]
        if check:
            for code, server in zip(codes, self.servers, strict=True):
                assert code == 0, server.log()


def payment(payment_id: str, user_id: int, amount: str) -> bytes:
    return json.dumps({"payment_id": payment_id, "user_id": user_id, "amount_rub": amount,
                       "status": "succeeded"}).encode()


class Conversation:
    """One user's updates, in order; each delivered ``copies`` times at once."""

    def __init__(self, cluster: Cluster, bot_api, copier: ThreadPoolExecutor, user_id: int,
                 copies: int):
        self.cluster, self.bot_api, self.copier = cluster, bot_api, copier
        self.user_id, self.copies = user_id, copies
        self.sent_ids: list[int] = []
        self.callback_ids: list[str] = []
        self.replies: list[dict] = []  # what came back in webhook responses

    def send(self, update: dict) -> list[dict]:
        """Deliver all copies; everything the bot sent this chat meanwhile."""
        before = len(self.bot_api.calls)
        self.sent_ids.append(update["update_id"])
        if "callback_query" in update:
            self.callback_ids.append(update["callback_query"]["id"])
        copies = [self.copier.submit(self.cluster.post_update, update) for _ in range(self.copies)]
        replies = [r for r in (c.result() for c in copies) if r is not None]
        self.replies += replies
        return replies + [dict(params, method=method) for method, params in self.bot_api.calls[before:]
                          if str(params.get("chat_id")) == str(self.user_id)]

    def generate(self, model_id: str, *answers) -> None:
        self.send(updates.callback(self.user_id, f"gen:m:{model_id}"))
        sent = []
        for answer in answers:
            sent = (self.send(updates.callback(self.user_id, f"gen:c:{answer[1]}"))
                    if isinstance(answer, tuple) else self.send(updates.message(self.user_id, answer)))
        self.send(updates.callback(self.user_id, f"gen:go:{confirm_token(sent)}"))

    def photos(self, count: int) -> None:
        self.bot_api.wait_for("sendPhoto", count, chat_id=self.user_id, timeout=30)


def run_conversation(c: Conversation) -> None:
    """/start, the balance, a free generation, two top-ups (each callback repeated), a paid one."""
    c.send(updates.message(c.user_id, "/start"))
    c.send(updates.message(c.user_id, "💰 Баланс"))
    c.generate("demo-image", "кот", ("choice", 0))
    c.photos(1)
    raws = [payment(f"pay-{c.user_id}-{n}", c.user_id, amount) for n, amount in enumerate(PAYMENTS)]
    statuses = list(c.copier.map(c.cluster.post_payment, [r for r in raws for _ in range(c.copies)]))
    assert statuses == [200] * len(statuses)
    for amount in PAYMENTS:
        c.bot_api.wait_for_text(f"Баланс пополнен на {money(amount)}", c.user_id)
    c.generate("demo-image-hd", "кот в HD")
    c.photos(2)


def transcript(bot_api, conversation: Conversation) -> tuple[Counter, Counter]:
    """What the user saw, as (method, text) pairs, and the edits of progress messages.

    Two things vary with timing and are kept apart: the balance named after each
    top-up (the two payments race each other) and the progress edits — a worker in
    any process may claim a job before the webhook that queued it has stored the
    progress message's id, and then that courtesy edit is skipped.
    """
    chat = str(conversation.user_id)
    seen = [dict(params, method=method) for method, params in bot_api.calls
            if str(params.get("chat_id")) == chat] + conversation.replies
    said = Counter((m["method"], str(m.get("text") or m.get("caption") or "")
                    .replace(chat, "<id>").partition(" Теперь на балансе")[0])
                   for m in seen if m["method"] != "editMessageText")
    return said, Counter(m["text"] for m in seen if m["method"] == "editMessageText")


def settled(db: Database, jobs: int):
    """All jobs finished and their users told."""
    return db.fetch_one("SELECT count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'timeout', "
                        "'cancelled') AND notified), count(*) FROM generation_jobs") == (jobs, jobs)


@pytest.fixture
def direct_db(db_settings):
    db = Database(db_settings, minconn=0, maxconn=4)
    yield db
    db.close()


def test_three_processes_behind_haproxy_answer_pay_and_run_each_thing_once(
        db_settings, direct_db, bot_api, tmp_path):
    db = direct_db
    users = list(range(9101, 9107))
    baseline_user = 9100
    extra_payments = [(f"pay-extra-{i}", 9200 + i % 7, f"{(i * 37) % 900 + 1}.{i % 100:02d}")
                      for i in range(40)]
    started = time.monotonic()
    cluster = Cluster(serve_env(url_for(db_settings), bot_api, CLUSTER), 3, tmp_path)
    try:
        copier = ThreadPoolExecutor(len(users) * COPIES * len(PAYMENTS))
        # The baseline: one user whose every update and payment arrives exactly once.
        baseline = Conversation(cluster, bot_api, copier, baseline_user, copies=1)
        run_conversation(baseline)

        # Everyone else at once, every update and payment repeated, plus payments for others.
        conversations = [Conversation(cluster, bot_api, copier, u, COPIES) for u in users]
        extra = [payment(*p) for p in extra_payments for _ in range(COPIES)]
        random.Random(7).shuffle(extra)
        with ThreadPoolExecutor(len(users)) as pool, ThreadPoolExecutor(4) as payer:
            extra_statuses = payer.map(cluster.post_payment, extra)
            for done in [pool.submit(run_conversation, c) for c in conversations]:
                done.result()
            assert list(extra_statuses) == [200] * len(extra)
        copier.shutdown()

        jobs = 2 * (len(users) + 1)
        wait_until(lambda: settled(db, jobs), explain=lambda: db.fetch_all(
            "SELECT id, status, notified FROM generation_jobs ORDER BY id"))
        time.sleep(1.0)  # a late second delivery or a second run would show up by now

        # Every update answered once: each user saw exactly what the baseline user saw.
        expected, _ = transcript(bot_api, baseline)
        assert sum(expected.values()) >= 14, expected
        for c in [baseline, *conversations]:
            said, edits = transcript(bot_api, c)
            assert said == expected, c.user_id
            assert set(edits.values()) <= {1}, (c.user_id, edits)  # no edit made twice
        # … and every callback query was answered once.
        answered = Counter(p["callback_query_id"] for p in bot_api.calls_to("answerCallbackQuery"))
        answered.update(r["callback_query_id"] for c in [baseline, *conversations] for r in c.replies
                        if r.get("method") == "answerCallbackQuery")
        callbacks = [cb for c in [baseline, *conversations] for cb in c.callback_ids]
        assert len(callbacks) == 5 * (len(users) + 1)
        assert answered == Counter(callbacks)
        distinct = sum(len(c.sent_ids) for c in [baseline, *conversations])
        assert db.fetch_one("SELECT count(*) FROM processed_updates") == (distinct,)

        # Every payment credited once.
        expected_balance = sum(map(Decimal, PAYMENTS)) - PAID_PRICE
        balances = dict(db.fetch_all("SELECT user_id, balance_rub FROM balances"))
        for user_id in [baseline_user, *users]:
            assert balances[user_id] == expected_balance
        others: Counter = Counter()
        for _, user_id, amount in extra_payments:
            others[user_id] += Decimal(amount)
        assert {u: balances[u] for u in others} == others
        payments = len(extra_payments) + len(PAYMENTS) * (len(users) + 1)
        assert db.fetch_one("SELECT count(*), count(DISTINCT external_id) FROM payments") == \
            (payments, payments)
        assert db.fetch_one("SELECT count(*), count(DISTINCT reason) FROM payment_transactions "
                            "WHERE reason LIKE 'provider payment %'") == (payments, payments)
        assert ledger_differences(db) == []
        assert Balances(db, UserCache()).summary(users[0]) == (expected_balance, Decimal("0"))

        # Every job run once, by one worker, its result delivered once.
        rows = db.fetch_all("SELECT status, attempts, locked_by, notified FROM generation_jobs")
        assert len(rows) == jobs
        assert {(status, attempts, notified) for status, attempts, _, notified in rows} == \
            {("succeeded", 1, True)}
        for user_id in [baseline_user, *users]:
            assert len(bot_api.calls_to("sendPhoto", user_id)) == 2

        # The work was really shared: every process answered updates and credited payments;
        # jobs ran in more than one (a job usually runs where it was queued, so all three
        # is likely but not certain).
        owners = cluster.worker_pids()
        ran_jobs_in = Counter(owners.get(int(locked_by.split(":")[1])) for *_, locked_by, _ in rows)
        assert None not in ran_jobs_in and len(ran_jobs_in) >= 2, ran_jobs_in
        processed = [cluster.metric(i, "genbot_updates_total", outcome="processed") for i in range(3)]
        dropped = [cluster.metric(i, "genbot_updates_total", outcome="duplicate") for i in range(3)]
        assert all(processed), processed
        assert sum(processed) == distinct
        assert sum(dropped) == (COPIES - 1) * (distinct - len(baseline.sent_ids))
        assert sum(cluster.metric(i, "genbot_updates_total", outcome="error") for i in range(3)) == 0
        credited = [cluster.metric(i, "genbot_payments_total", result="credited") for i in range(3)]
        assert sum(credited) == payments and all(credited), credited
        print(f"\n3 processes behind HAProxy: {distinct} updates ({distinct * COPIES - 2 * len(baseline.sent_ids)}"
              f" deliveries), {payments} payments, {jobs} jobs in {time.monotonic() - started:.1f} s")
    finally:
        cluster.stop()


def test_behind_pgbouncer_in_transaction_mode(pg, empty_db_settings, bot_api, tmp_path):
    db_settings = empty_db_settings
    # Fewer server connections than the processes hold: only transaction pooling copes.
    bouncer = PgBouncer(pg.admin, tmp_path / "pgbouncer", pool_size=3)
    db = Database(db_settings, minconn=0, maxconn=2, application_name="scaleout-test")
    try:
        # What the warning asks for, on the database rather than the shared test role.
        query_once(pg.admin, f'ALTER DATABASE "{db_settings.dbname}" SET statement_timeout = 30000')
        url = bouncer.url(db_settings.dbname)
        migrated = run_cli("migrate", env=base_env(DATABASE_URL=url), cwd=tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        assert "0004_generation" in migrated.stdout
        cluster = Cluster(serve_env(url, bot_api, CLUSTER, DB_POOL_MIN=4), 2, tmp_path)
    except BaseException:
        bouncer.stop()
        db.close()
        raise
    try:
        user = 9300
        copier = ThreadPoolExecutor(COPIES)
        c = Conversation(cluster, bot_api, copier, user, COPIES)
        sent = c.send(updates.message(user, "/start"))
        assert any("Привет" in str(m.get("text")) for m in sent), sent
        c.generate("demo-image", "кот через PgBouncer", ("choice", 0))
        photo = bot_api.wait_for("sendPhoto", chat_id=user, timeout=30)[0]
        assert "Бесплатно" in photo["caption"]

        raw = payment("pay-bouncer", user, "42.00")
        assert list(copier.map(cluster.post_payment, [raw] * 5)) == [200] * 5
        bot_api.wait_for_text("Баланс пополнен на 42 ₽", user)
        c.generate("demo-image-hd", "кот в HD")
        paid = bot_api.wait_for("sendPhoto", 2, chat_id=user, timeout=30)[1]
        assert "Списано 15 ₽" in paid["caption"]
        copier.shutdown()

        wait_until(lambda: settled(db, 2))
        assert Balances(db, UserCache()).summary(user) == (Decimal("27.00"), Decimal("0"))
        assert db.fetch_one("SELECT count(*) FROM payments") == (1,)
        assert ledger_differences(db) == []
        assert len(bot_api.calls_to("sendPhoto", user)) == 2
        assert db.fetch_one("SELECT count(*) FROM processed_updates") == (len(c.sent_ids),)
        assert db.fetch_all("SELECT DISTINCT status, attempts FROM generation_jobs") == [("succeeded", 1)]

        # 2 processes × DB_POOL_MIN 4 client connections or more, at most 3 on the server.
        pools = bouncer.pools(db_settings.dbname)
        assert pools["pool_mode"] == "transaction"
        assert pools["cl_active"] + pools["cl_waiting"] >= 2 * 4, pools
        assert sum(pools[k] for k in pools if k.startswith("sv_")) <= 3, pools
        server_side = query_once(pg.admin, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                                 "AND application_name <> 'scaleout-test'", (db_settings.dbname,))[0][0]
        assert 1 <= server_side <= 3, server_side
        for server in cluster.servers:
            assert "refused statement_timeout as a startup option" in server.log()
        assert query_once(bouncer.settings(db_settings.dbname), "SHOW statement_timeout") == [("30s",)]
    finally:
        cluster.stop()
        bouncer.stop()
        db.close()
