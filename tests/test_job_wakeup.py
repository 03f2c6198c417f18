"""Idle workers wake when a job is queued anywhere (LISTEN/NOTIFY), so an idle process
costs the database next to nothing; without notifications they poll, and the listener
comes back after an outage by itself."""

from __future__ import annotations

import itertools
import logging
import threading
import time

import pytest

from core.accounts.balances import Balances
from core.accounts.users import UserCache, ensure_user_id
from core.config import DEFAULT_CATALOG, load_config
from core.db import Database, query_once
from core.generation.catalog import load_catalog
from core.generation.contract import GenerationOutput
from core.generation.jobs import Ending, JobQueue
from core.generation.workers import APPLICATION_NAME, JobRunner
from genbot.testing.app import SECRET, TOKEN, make_app
from genbot.testing.postgres import url_for
from genbot.testing.waiting import wait_until
from tests.support.balancer import PgBouncer
from tests.support.serve import ServeProcess, base_env

NEVER_S = 600.0  # an idle poll that never comes within a test: only a notification wakes
_drafts = itertools.count()


def queue_elsewhere(app, user_id: int = 7) -> int:
    """A free job queued the way another process queues one: its transaction NOTIFYs,
    and nothing in this process rings the queue."""
    ensure_user_id(app.db, app.user_cache, user_id)
    with app.db.transaction() as tx:
        job_id, _ = app.jobs.create(tx, user_id=user_id, chat_id=user_id,
                                    model=app.catalog.get("demo-text"), inputs={"prompt": "кот"},
                                    draft_key=f"wake:{next(_drafts)}")
    return job_id


class Worked:
    """The runner's ``execute``: notes which worker ran which job, then ends it."""

    def __init__(self, app, hold_s: float = 0.0):
        self.app, self.hold_s = app, hold_s
        self.by: dict[int, str] = {}

    def __call__(self, job) -> None:
        self.by[job.id] = threading.current_thread().name
        time.sleep(self.hold_s)
        self.app.jobs.settle(job.id, Ending.succeeded(GenerationOutput("text", text="ok")))


def count_claims(queue) -> list[float]:
    claims, claim = [], queue.claim

    def counted(worker):
        claims.append(time.monotonic())
        return claim(worker)

    queue.claim = counted
    return claims


def listeners(admin, dbname: str) -> list[int]:
    """Backend pids of job listeners connected to ``dbname``."""
    return [pid for (pid,) in query_once(
        admin, "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
        (dbname, APPLICATION_NAME))]


@pytest.fixture
def app(db_settings, bot_api, tmp_path):
    app, _client = make_app(db_settings, bot_api, tmp_path=tmp_path, FREE_DAILY_QUOTA="1000",
                            MAX_ACTIVE_JOBS="100", DB_POOL_MIN="4")
    yield app
    app.close()


def test_idle_workers_claim_only_when_rung_and_a_job_queued_elsewhere_wakes_one(app):
    claims = count_claims(app.jobs)
    worked = Worked(app)
    runner = JobRunner(app.jobs, worked, threads=4, poll_s=0.05, idle_poll_s=NEVER_S).start()
    try:
        wait_until(lambda: runner.listener.listening, 10, "the listener never heard its own test")
        time.sleep(2)  # idle: four workers polling every 0.05 s would claim 160 times
        assert len(claims) <= 2, claims  # the rings at start and once listening
        before = len(claims)
        job_id = queue_elsewhere(app)
        # No ring in this process and no poll for ten minutes: only the notification wakes.
        wait_until(lambda: app.jobs.status(job_id) == "succeeded", 10,
                   "a job queued elsewhere did not wake an idle worker")
        # The worker that got it looked once more, and one other idle worker looked too.
        wait_until(lambda: len(claims) - before >= 2, 5)
        assert len(claims) - before <= 3, claims[before:]
    finally:
        runner.stop()


def test_a_burst_in_one_transaction_spreads_over_the_idle_workers(app):
    worked = Worked(app, hold_s=0.3)
    runner = JobRunner(app.jobs, worked, threads=4, poll_s=0.05, idle_poll_s=NEVER_S).start()
    try:
        wait_until(lambda: runner.listener.listening, 10)
        model = app.catalog.get("demo-text")
        ensure_user_id(app.db, app.user_cache, 8)
        with app.db.transaction() as tx:  # one transaction: a single notification
            ids = [app.jobs.create(tx, user_id=8, chat_id=8, model=model, inputs={"prompt": str(n)},
                                   draft_key=f"burst:{next(_drafts)}")[0] for n in range(16)]
        wait_until(lambda: set(worked.by) == set(ids), 20, lambda: f"ran {sorted(worked.by)}")
        # Each worker that got a job woke another: all four shared the burst.
        assert len(set(worked.by.values())) == 4, worked.by
    finally:
        runner.stop()


def test_the_listener_comes_back_after_an_outage_and_says_so_once(pg, db_settings, app, caplog):
    caplog.set_level(logging.DEBUG, logger="genbot.jobs")
    worked = Worked(app)
    runner = JobRunner(app.jobs, worked, threads=2, poll_s=0.1, idle_poll_s=NEVER_S).start()
    dbname = db_settings.dbname
    try:
        wait_until(lambda: runner.listener.listening, 10)
        [pid] = listeners(pg.admin, dbname)
        # The outage: the listener's connection is cut and new ones are refused, while
        # the pool's open connections (and so the workers' claims) still work.
        query_once(pg.admin, f'ALTER DATABASE "{dbname}" WITH ALLOW_CONNECTIONS false')
        query_once(pg.admin, "SELECT pg_terminate_backend(%s)", (pid,))
        wait_until(lambda: runner.listener.failures >= 3, 20, "the listener did not try again")
        assert not runner.listener.listening
        # Meanwhile the workers poll: a job queued elsewhere still runs.
        during = queue_elsewhere(app)
        wait_until(lambda: app.jobs.status(during) == "succeeded", 10,
                   "the workers did not fall back to polling")

        query_once(pg.admin, f'ALTER DATABASE "{dbname}" WITH ALLOW_CONNECTIONS true')
        wait_until(lambda: runner.listener.listening, 40, "the listener did not come back")
        after = queue_elsewhere(app)  # no poll for ten minutes: the notification wakes
        wait_until(lambda: app.jobs.status(after) == "succeeded", 10,
                   "a job queued after the outage did not wake an idle worker")
    finally:
        query_once(pg.admin, f'ALTER DATABASE "{dbname}" WITH ALLOW_CONNECTIONS true')
        runner.stop()
    said = [r for r in caplog.records if r.name == "genbot.jobs" and "listener" in r.getMessage()]
    warnings = [r.getMessage() for r in said if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings  # once per outage, however many attempts failed
    assert "lost its connection" in warnings[0] and "every 0.1 s" in warnings[0]
    assert [r.getMessage() for r in said if r.levelno == logging.INFO and "again" in r.getMessage()]


def test_behind_pgbouncer_in_transaction_mode_the_listener_hears_nothing_and_workers_poll(
        pg, db_settings, bot_api, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="genbot.jobs")
    bouncer = PgBouncer(pg.admin, tmp_path / "pgbouncer", pool_size=3)
    app = None
    runner = None
    try:
        app, _client = make_app(bouncer.settings(db_settings.dbname), bot_api, tmp_path=tmp_path,
                                FREE_DAILY_QUOTA="1000")
        runner = JobRunner(app.jobs, Worked(app), threads=2, poll_s=0.1, idle_poll_s=NEVER_S).start()
        said = lambda: [r.getMessage() for r in caplog.records  # noqa: E731
                        if r.name == "genbot.jobs" and r.levelno >= logging.WARNING]
        wait_until(lambda: any("heard nothing" in m for m in said()), 30,
                   "the listener did not find out that notifications never arrive")
        assert not runner.listener.listening
        job_id = queue_elsewhere(app)
        wait_until(lambda: app.jobs.status(job_id) == "succeeded", 10,
                   "the workers did not fall back to polling")
        assert len(said()) == 1, said()
        assert "JOB_LISTEN=0" in said()[0]
    finally:
        if runner is not None:
            runner.stop()
        if app is not None:
            app.close()
        bouncer.stop()


def test_with_job_listen_off_workers_poll_and_no_listener_connects(pg, db_settings, bot_api, tmp_path):
    assert load_config({"JOB_LISTEN": "0"}).job_listen is False
    assert load_config({}).job_listen is True
    app, _client = make_app(db_settings, bot_api, tmp_path=tmp_path, JOB_LISTEN="0", JOB_WORKERS="2")
    try:
        app.start_workers()
        job_id = queue_elsewhere(app)
        wait_until(lambda: app.jobs.status(job_id) == "succeeded", 15, "no worker took the job")
        assert listeners(pg.admin, db_settings.dbname) == []
        assert not app.runner.listener.listening
    finally:
        app.close()


@pytest.mark.slow
def test_two_idle_serve_processes_commit_next_to_nothing_and_wake_at_once(pg, db_settings, bot_api,
                                                                          tmp_path):
    """`run.py serve` with WEB_CONCURRENCY=2 and every job setting at its default."""
    dbname = db_settings.dbname
    server = ServeProcess(base_env(DATABASE_URL=url_for(db_settings), BOT_TOKEN=TOKEN,
                                   WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL=bot_api.url,
                                   WEB_CONCURRENCY=2), cwd=tmp_path)
    db = Database(db_settings, minconn=0, maxconn=2)

    def commits() -> int:  # read from another database, so the reading is not counted
        return query_once(pg.admin, "SELECT xact_commit FROM pg_stat_database WHERE datname = %s",
                          (dbname,))[0][0]

    try:
        server.wait_ready()
        wait_until(lambda: len(listeners(pg.admin, dbname)) == 2, 30,
                   lambda: "listeners: " + repr(listeners(pg.admin, dbname)) + server.log())
        # PostgreSQL counts an idle backend's commits up to 10 s after they happened: let
        # the start's commits land before the count begins.
        time.sleep(11)
        before = commits()
        time.sleep(10)
        idle = commits() - before
        assert idle < 20, f"{idle} commits in 10 s by two idle processes"

        # Jobs queued by someone else (here: the test), one at a time, each further from the
        # last than the bound: an idle poll every 15 s per process could meet at most two
        # of the three, so each starting within the bound is the notification's doing.
        waits = []
        queue = JobQueue(db, Balances(db, UserCache()))
        model = load_catalog(DEFAULT_CATALOG).get("demo-text")
        for user in (9401, 9402, 9403):
            ensure_user_id(db, UserCache(), user)
            with db.transaction() as tx:
                job_id, _ = queue.create(tx, user_id=user, chat_id=user, model=model,
                                         inputs={"prompt": "кот"}, draft_key=f"serve-wake:{user}")
            waited = wait_until(lambda job_id=job_id: db.fetch_one(
                "SELECT started_at - created_at FROM generation_jobs WHERE id = %s "
                "AND started_at IS NOT NULL", (job_id,)), 20, "the job never started")[0]
            assert waited.total_seconds() < 2.0, waited
            waits.append(waited.total_seconds() * 1000)
            time.sleep(max(0.0, 2.5 - waited.total_seconds()))
        wait_until(lambda: db.fetch_one("SELECT count(*) FROM generation_jobs "
                                        "WHERE status = 'succeeded'") == (3,), 30)
        print(f"\ntwo idle processes: {idle} commits in 10 s; jobs queued elsewhere started after "
              + ", ".join(f"{ms:.0f}" for ms in waits) + " ms")
    finally:
        db.close()
        assert server.stop() == 0, server.log()


def test_a_pooled_connection_keeps_no_notifications(db):
    """Behind PgBouncer a pooled connection may be handed the notifications of another
    client's LISTEN; the pool drops them when the connection comes back."""
    with db.connection(autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("LISTEN genbot_jobs")  # as a server connection PgBouncer shares may be
        held = conn
    query_once(db.settings, "NOTIFY genbot_jobs")
    with db.connection(autocommit=True) as conn, conn.cursor() as cur:
        assert conn is held
        cur.execute("SELECT 1")
        assert [n.channel for n in conn.notifies] == ["genbot_jobs"]
    assert held.notifies == []
