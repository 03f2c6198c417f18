"""The generation job queue in PostgreSQL (its worker threads: core/generation/workers.py).

A job is created in the same transaction that holds its price (paid) or uses one of
the day's free generations (free). Workers in every serve process claim queued jobs
with ``FOR UPDATE SKIP LOCKED``, keep a heartbeat while the provider works, and
finish a job with one conditional update — ``running`` to ``succeeded``, ``failed``,
``timeout`` or ``cancelled`` — in the same transaction that captures or releases its
hold. Whoever makes that transition (a worker, a provider callback, a cancel, the
sweeper) settles the money; everyone else finds nothing to do. A job whose heartbeat
stopped (its process died) is failed by the sweeper and its hold released. Telling
the user is tracked apart (``claim_delivery`` … ``delivered``): a job counts as told
only once the Bot API accepted the message.

Queuing a job sends ``NOTIFY genbot_jobs`` in its transaction, which each process's
listener (core/generation/workers.py) hears; the process that queued it also rings the
queue at once (``wake_workers``). Idle workers wait on the queue (``wait_for_work``)
and claim only when rung: the queue is what both sides already hold, so the code that
queues jobs needs no reference to the runner.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from psycopg2.extras import Json

from core.accounts.balances import MONEY_TABLES_COLUMNS, Balances
from core.db import Database
from core.generation.contract import GenerationFailed, GenerationOutput, GenerationTimeout

TERMINAL = ("succeeded", "failed", "timeout", "cancelled")
CHANNEL = "genbot_jobs"  # NOTIFY'd in the transaction that queues a job
_ACTIVE_LOCK_CLASS = 0x6A6F62  # pg_advisory_xact_lock's first key for "a user's jobs"
_COLUMNS = ("id, user_id, chat_id, model_id, category, provider, inputs, price_rub, is_free, "
            "reservation_id, status, timeout_s, task_id, progress_message_id, request_id, "
            "result, error_code, error_message, started_at, finished_at, created_at, "
            "lang, failure_reason, delivered_files, refunded_rub, partial_output")
# A row of 🗂 История: no result bodies.
_HISTORY_COLUMNS = ("id, model_id, category, status, price_rub, is_free, created_at, "
                    "failure_reason, error_code, undeliverable, delivered_files IS NOT NULL "
                    "OR result IS NOT NULL, refunded_rub")


class FreeQuotaExhausted(Exception):
    def __init__(self, quota: int):
        super().__init__(f"free quota of {quota} a day used up")
        self.quota = quota


class TooManyActiveJobs(Exception):
    """The user already has ``limit`` jobs queued or running."""

    def __init__(self, limit: int):
        super().__init__(f"{limit} jobs already queued or running")
        self.limit = limit


@dataclass(frozen=True)
class Job:
    id: int
    user_id: int
    chat_id: int
    model_id: str
    category: str | None
    provider: str
    inputs: dict
    price_rub: Decimal
    is_free: bool
    reservation_id: int | None
    status: str
    timeout_s: int
    task_id: str | None
    progress_message_id: int | None
    request_id: str | None
    result: dict | None
    error_code: str | None
    error_message: str | None
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    lang: str | None = None
    failure_reason: str | None = None  # one of core.generation.contract.REASONS
    delivered_files: list | None = None  # [{"kind", "file_id"}] as Telegram answered
    refunded_rub: Decimal | None = None  # given back: Telegram took the result in no way
    partial_output: dict | None = None  # a streamed answer as far as it was shown


@dataclass(frozen=True)
class Ending:
    """How a job ends, whoever ends it (its worker, a provider's callback, the user's ⛔,
    the sweeper, cleanup): a status and what goes with it. ``reason`` is what the user
    is told of a failure (``core.generation.contract.REASONS``)."""

    status: str  # succeeded, failed, timeout or cancelled
    output: GenerationOutput | None = None
    error_code: str | None = None
    error_message: str | None = None
    reason: str | None = None
    lost: bool = False  # the sweeper's: the worker died, or the deadline passed unanswered

    def __post_init__(self):
        if self.status not in TERMINAL:
            raise ValueError(f"a job ends as one of {TERMINAL}, not {self.status!r}")

    @classmethod
    def succeeded(cls, output: GenerationOutput) -> Ending:
        return cls("succeeded", output)

    @classmethod
    def failed(cls, code: str, message: str, reason: str = "failed") -> Ending:
        return cls("failed", error_code=code, error_message=message, reason=reason)

    @classmethod
    def of(cls, failure: GenerationFailed) -> Ending:
        """A provider's failure: a timeout is its own status."""
        if isinstance(failure, GenerationTimeout):
            return cls("timeout", error_code="timeout", error_message=failure.message)
        return cls.failed(failure.code, failure.message, failure.reason)

    @classmethod
    def cancelled(cls) -> Ending:
        return cls("cancelled", error_code="cancelled")

    @classmethod
    def found_lost(cls, status: str) -> Ending:
        """The sweeper's verdict: ``failed`` (the worker stopped) or ``timeout``."""
        if status == "failed":
            return cls("failed", error_code="worker_lost",
                       error_message="the worker running this job stopped", lost=True)
        return cls("timeout", error_code="timeout", error_message="no result before the deadline",
                   lost=True)


@dataclass(frozen=True)
class PastJob:
    """A line of the user's history."""

    id: int
    model_id: str
    category: str | None
    status: str
    price_rub: Decimal
    is_free: bool
    created_at: datetime
    failure_reason: str | None
    error_code: str | None
    undeliverable: str | None
    has_result: bool
    refunded_rub: Decimal | None = None


# The oldest job of a user with no job running, else the oldest job: COALESCE runs the
# second pick only when the first finds nothing.
_CLAIM = ("UPDATE generation_jobs SET status = 'running', locked_by = %s, attempts = attempts + 1, "
          "heartbeat_at = NOW(), started_at = NOW(), updated_at = NOW(), "
          "deadline_at = NOW() + make_interval(secs => timeout_s) WHERE id = COALESCE("
          "(SELECT q.id FROM generation_jobs q WHERE q.status = 'queued' AND NOT EXISTS ("
          "SELECT 1 FROM generation_jobs r WHERE r.user_id = q.user_id AND r.status = 'running') "
          "ORDER BY q.id FOR UPDATE SKIP LOCKED LIMIT 1), "
          "(SELECT id FROM generation_jobs WHERE status = 'queued' ORDER BY id "
          "FOR UPDATE SKIP LOCKED LIMIT 1)) RETURNING " + _COLUMNS)


# Each provider's newest account failure (a small partial index), unless a job of the
# provider created after it has succeeded: read along the primary key from that job, it
# stops at the first success.
_FAILING_PROVIDERS = """
SELECT f.provider, f.error_code, f.error_message, f.finished_at
FROM (SELECT DISTINCT ON (provider) provider, id, error_code, error_message, finished_at
      FROM generation_jobs WHERE failure_reason = 'account' ORDER BY provider, id DESC) f
WHERE NOT EXISTS (SELECT 1 FROM generation_jobs s WHERE s.id > f.id AND s.provider = f.provider
                  AND s.status = 'succeeded')
ORDER BY f.provider
"""


def failing_providers(db) -> list[tuple[str, str, str, datetime]]:
    """Providers whose newest account failure (``failure_reason`` 'account') no later job
    of theirs has succeeded after: (provider, error code, message, since)."""
    return [tuple(row) for row in db.fetch_all(_FAILING_PROVIDERS)]


def _job(row) -> Job | None:
    return Job(*row) if row else None


class JobQueue:
    def __init__(self, db: Database, balances: Balances, *, free_quota: int = 10,
                 lock_ttl_s: float = 60.0, max_active: int | None = None, catalog=None):
        self.db = db
        self.balances = balances
        self.catalog = catalog  # prices a job cancelled mid-answer (Model.cost_of_partial)
        self.free_quota = free_quota
        self.lock_ttl_s = lock_ttl_s
        self.max_active = max_active  # per user, queued + running; None: no cap
        self._new_work = threading.Condition()
        self._signals = 0  # rings no idle worker has answered yet
        self._waiting = 0  # workers inside wait_for_work

    # -- waking this process's workers -----------------------------------------------------

    def wake_workers(self) -> None:
        """A job may be there to take (queued here or anywhere, or the idle poll's turn):
        one idle worker claims now.

        A ring already waiting for an answer guarantees a claim after this one's job was
        committed, and a worker that gets a job rings again, so rings beyond the waiting
        workers (at least one) are dropped: after a burst, no idle worker claims in vain
        once for every job of it.
        """
        with self._new_work:
            self._signals = min(self._signals + 1, max(1, self._waiting))
            self._new_work.notify()

    def wait_for_work(self, stop: threading.Event, timeout_s: float | None = None) -> None:
        """An idle worker's pause: until the queue is rung, ``stop`` is set (and
        ``release_waiting`` called) or ``timeout_s`` passes."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._new_work:
            self._waiting += 1
            try:
                while self._signals == 0 and not stop.is_set():
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return
                    self._new_work.wait(left)
                if self._signals:
                    self._signals -= 1
            finally:
                self._waiting -= 1

    def release_waiting(self) -> None:
        with self._new_work:
            self._new_work.notify_all()

    # -- creating ---------------------------------------------------------------------

    def create(self, tx, *, user_id: int, chat_id: int, model, inputs: dict, draft_key: str,
               request_id: str | None = None, lang: str | None = None,
               progress_message_id: int | None = None) -> tuple[int, bool]:
        """Queue a job inside the caller's transaction. (job id, False) for a repeated draft.

        Raises ``TooManyActiveJobs`` when the user already has ``max_active`` jobs.
        """
        price = model.price_for(inputs)  # usage-priced: the most it can cost
        if self.max_active is not None:
            self._check_active(tx, user_id, draft_key, paid=not model.free)
        elif not model.free:
            self.balances.check_tables(cur=tx)  # no hold that could never be captured
        tx.execute(
            "INSERT INTO generation_jobs (user_id, chat_id, model_id, category, provider, inputs, "
            "price_rub, is_free, draft_key, timeout_s, request_id, lang, progress_message_id) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (draft_key) DO NOTHING RETURNING id",
            (user_id, chat_id, model.id, model.category, model.provider, Json(inputs),
             price, model.free, draft_key, model.timeout_s, request_id, lang,
             progress_message_id))
        row = tx.fetchone()
        if row is None:  # a double tap: the first press made the job
            tx.execute("SELECT id FROM generation_jobs WHERE draft_key = %s", (draft_key,))
            return tx.fetchone()[0], False
        job_id = row[0]
        if model.free:
            self._use_free_generation(tx, user_id)
        else:
            reservation = self.balances.hold(user_id, price, cur=tx,
                                             reason=f"generation {job_id}: {model.id}",
                                             key=f"job:{job_id}")
            tx.execute("UPDATE generation_jobs SET reservation_id = %s WHERE id = %s",
                       (reservation.id, job_id))
        tx.execute(f"NOTIFY {CHANNEL}")  # every process's listener wakes an idle worker
        return job_id, True

    def _check_active(self, tx, user_id: int, draft_key: str, *, paid: bool) -> None:
        # Serialises one user's confirms (two taps at once cannot both pass the count);
        # the lock is the transaction's, so other users never wait on it. A paid job
        # also needs every money table (no hold that could never be captured): that
        # check rides in the same round trip.
        tx.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_ACTIVE_LOCK_CLASS, user_id % 2**31))
        tx.execute("SELECT count(*) FILTER (WHERE status IN ('queued', 'running')), "
                   "bool_or(draft_key = %s)" + (f", {MONEY_TABLES_COLUMNS}" if paid else "")
                   + " FROM generation_jobs "
                   "WHERE user_id = %s AND (status IN ('queued', 'running') OR draft_key = %s)",
                   (draft_key, user_id, draft_key))
        active, repeated = tx.fetchone()[:2]
        if self.max_active is not None and active >= self.max_active and not repeated:
            raise TooManyActiveJobs(self.max_active)

    def _use_free_generation(self, tx, user_id: int) -> None:
        tx.execute(
            "INSERT INTO free_usage (user_id, day, used) VALUES (%(u)s, (NOW() AT TIME ZONE 'UTC')::date, 1) "
            "ON CONFLICT (user_id, day) DO UPDATE SET used = free_usage.used + 1 "
            "WHERE free_usage.used < %(quota)s RETURNING used",
            {"u": user_id, "quota": self.free_quota})
        if tx.fetchone() is None:
            raise FreeQuotaExhausted(self.free_quota)

    def free_left(self, user_id: int) -> int:
        row = self.db.fetch_one("SELECT used FROM free_usage WHERE user_id = %s "
                                "AND day = (NOW() AT TIME ZONE 'UTC')::date", (user_id,))
        return max(0, self.free_quota - (row[0] if row else 0))

    # -- running ----------------------------------------------------------------------

    def claim(self, worker: str) -> Job | None:
        """Take the next job, fairly: the oldest job of a user with no job running, or
        else the oldest job.

        A user's backlog therefore never holds back another user's first job, and
        delays their next one by at most the backlog's few (``max_active``) older jobs.
        One statement; each pick walks the queue in id order and stops at the first row
        it can take.
        """
        return _job(self.db.fetch_one(_CLAIM, (worker,)))

    def heartbeat(self, job_ids: list[int]) -> None:
        if job_ids:
            self.db.execute("UPDATE generation_jobs SET heartbeat_at = NOW() "
                            "WHERE id = ANY(%s) AND status = 'running'", (job_ids,))

    def get(self, job_id: int) -> Job | None:
        return _job(self.db.fetch_one(f"SELECT {_COLUMNS} FROM generation_jobs WHERE id = %s",
                                      (job_id,)))

    def is_running(self, job_id: int) -> bool:
        return self.status(job_id) == "running"

    def by_draft(self, user_id: int, draft_key: str) -> int | None:
        row = self.db.fetch_one("SELECT id FROM generation_jobs WHERE draft_key = %s AND user_id = %s",
                                (draft_key, user_id))
        return row[0] if row else None

    def progress_message(self, job_id: int) -> int | None:
        row = self.db.fetch_one("SELECT progress_message_id FROM generation_jobs WHERE id = %s",
                                (job_id,))
        return row[0] if row else None

    def status(self, job_id: int) -> str | None:
        row = self.db.fetch_one("SELECT status FROM generation_jobs WHERE id = %s", (job_id,))
        return row[0] if row else None

    def set_task_id(self, job_id: int, task_id: str) -> None:
        self.db.execute("UPDATE generation_jobs SET task_id = %s, updated_at = NOW() WHERE id = %s",
                        (task_id, job_id))

    def keep_partial(self, job_id: int, text: str, usage: dict | None = None) -> None:
        """The streamed answer as far as its user has been shown it: a cancel, in any
        process, charges for it."""
        partial = {"kind": "text", "text": text, **({"usage": usage} if usage else {})}
        self.db.execute("UPDATE generation_jobs SET partial_output = %s WHERE id = %s "
                        "AND status = 'running'", (Json(partial), job_id))

    def set_delivered_files(self, job_id: int, files: list[dict]) -> None:
        self.db.execute("UPDATE generation_jobs SET delivered_files = %s WHERE id = %s",
                        (Json(files), job_id))

    # -- what the user looks back at ---------------------------------------------------

    def history(self, user_id: int, limit: int, offset: int = 0) -> tuple[list[PastJob], int]:
        """A page of the user's jobs, newest first, and how many there are."""
        rows = self.db.fetch_all(
            f"SELECT {_HISTORY_COLUMNS}, count(*) OVER () FROM generation_jobs WHERE user_id = %s "
            f"ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s", (user_id, limit, offset))
        if not rows and offset:
            total = self.db.fetch_one("SELECT count(*) FROM generation_jobs WHERE user_id = %s",
                                      (user_id,))[0]
            return [], total
        return [PastJob(*row[:-1]) for row in rows], (rows[0][-1] if rows else 0)

    def last_model(self, user_id: int) -> str | None:
        row = self.db.fetch_one("SELECT model_id FROM generation_jobs WHERE user_id = %s "
                                "ORDER BY created_at DESC, id DESC LIMIT 1", (user_id,))
        return row[0] if row else None

    def active(self, user_id: int) -> list[tuple[int, str]]:
        """The user's queued and running jobs: (id, model id)."""
        return [tuple(row) for row in self.db.fetch_all(
            "SELECT id, model_id FROM generation_jobs WHERE user_id = %s "
            "AND status IN ('queued', 'running') ORDER BY id", (user_id,))]

    # -- finishing: the one place a job's money is settled ------------------------------

    def settle(self, job_id: int, ending: Ending, *, expect: tuple[str, ...] = ("running",),
               user_id: int | None = None, delivery_lease_s: float | None = None,
               charge: Callable[[Job], Decimal] | None = None) -> Job | None:
        """Move a job from ``expect`` to how it ends and settle its hold, once.

        With ``delivery_lease_s`` the caller also claims telling the user, in the same
        statement (see ``claim_delivery``). ``charge(job)``: what a succeeded job costs
        when that is less than its hold (a model priced by usage); the job's
        ``price_rub`` becomes it and the rest of the hold goes back. A job cancelled
        after its user was shown part of the answer (``partial_output``) costs that part
        (``Model.cost_of_partial``), keeps it as its result, and its free try counts.
        Returns the finished job, or None when someone else finished it first.
        """
        status, result = ending.status, ending.output.to_json() if ending.output else None
        with self.db.transaction() as tx:
            tx.execute(
                f"UPDATE generation_jobs SET status = %s, result = %s, error_code = %s, "
                f"error_message = %s, failure_reason = %s, finished_at = NOW(), updated_at = NOW(), "
                f"delivering_until = NOW() + make_interval(secs => %s), delivering_by = %s, "
                f"delivery_attempts = delivery_attempts + (%s IS NOT NULL)::int "
                f"WHERE id = %s AND status = ANY(%s) AND (%s::bigint IS NULL OR user_id = %s) "
                f"RETURNING {_COLUMNS}",
                (status, Json(result) if result is not None else None, ending.error_code,
                 (ending.error_message or None) and ending.error_message[:2000], ending.reason,
                 delivery_lease_s,
                 this_process() if delivery_lease_s is not None else None, delivery_lease_s,
                 job_id, list(expect), user_id, user_id))
            job = _job(tx.fetchone())
            if job is None:
                return None
            shown = status == "cancelled" and bool((job.partial_output or {}).get("text"))
            if shown:  # what the user read is theirs: kept with the job
                tx.execute("UPDATE generation_jobs SET result = partial_output WHERE id = %s", (job.id,))
                job = dataclasses.replace(job, result=job.partial_output)
            reservation = job.reservation_id
            if reservation is not None:
                if status == "succeeded" or shown:
                    cost = (charge(job) if charge is not None else job.price_rub) if not shown \
                        else self._partial_cost(job)
                    if cost < job.price_rub:
                        tx.execute("UPDATE generation_jobs SET price_rub = %s WHERE id = %s",
                                   (cost, job.id))
                        job = dataclasses.replace(job, price_rub=cost)
                    # Without the ledger this raises and nothing changes: a paid result is
                    # never given away uncharged (the caller fails the job instead).
                    self.balances.capture(reservation, cost, cur=tx)
                else:
                    self.balances.release(reservation, cur=tx)
            if job.is_free and status != "succeeded" and not shown:
                # Our failure must not cost the user one of today's free generations.
                tx.execute("UPDATE free_usage SET used = used - 1 WHERE user_id = %s "
                           "AND day = (%s AT TIME ZONE 'UTC')::date AND used > 0",
                           (job.user_id, job.created_at))
        return job

    def _partial_cost(self, job: Job) -> Decimal:
        model = self.catalog.get(job.model_id) if self.catalog is not None else None
        if model is None:  # gone from the catalog: what was held is the most it could cost
            return job.price_rub
        return model.cost_of_partial(job.inputs, job.price_rub, job.partial_output)

    # -- telling the user: at least once, and settled once -----------------------------

    def claim_delivery(self, job_id: int, lease_s: float, *, steal_from: str | None = None) -> bool:
        """True if the caller may tell the user now: nobody told them yet and nobody
        else is telling them. A holder's claim lapses after ``lease_s``, or at once
        for ``steal_from``, a holder known to be dead."""
        return self.db.execute(
            "UPDATE generation_jobs SET delivering_until = NOW() + make_interval(secs => %s), "
            "delivering_by = %s, delivery_attempts = delivery_attempts + 1 "
            "WHERE id = %s AND NOT notified AND (delivering_until IS NULL "
            "OR delivering_until < NOW() OR delivering_by = %s)",
            (lease_s, this_process(), job_id, steal_from)) == 1

    def delivered(self, job_id: int, undeliverable: str | None = None,
                  files: list[dict] | None = None) -> None:
        """The Bot API accepted the message, or never will (``undeliverable``: why);
        ``files``: the result's Telegram file_ids, for 🗂 История."""
        self.db.execute("UPDATE generation_jobs SET notified = TRUE, delivering_until = NULL, "
                        "undeliverable = %s, delivered_files = COALESCE(%s, delivered_files) "
                        "WHERE id = %s", (undeliverable, Json(files) if files else None, job_id))

    def refund_undelivered(self, job_id: int, why: str) -> Decimal | None:
        """A succeeded job whose result Telegram took in no way: give its charge back (a
        paid job) or its free try (a free one), once, in one transaction. What was given
        back; None if it was given back before."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE generation_jobs SET refunded_rub = price_rub, undeliverable = %s, "
                       "updated_at = NOW() WHERE id = %s AND status = 'succeeded' "
                       "AND refunded_rub IS NULL RETURNING user_id, price_rub, is_free, created_at, "
                       "reservation_id", (why[:500], job_id))
            row = tx.fetchone()
            if row is None:
                return None
            user_id, price, is_free, created_at, reservation_id = row
            if is_free:
                tx.execute("UPDATE free_usage SET used = used - 1 WHERE user_id = %s "
                           "AND day = (%s AT TIME ZONE 'UTC')::date AND used > 0", (user_id, created_at))
            elif reservation_id is not None and price > 0:
                self.balances.credit(user_id, price, kind="refund", cur=tx,
                                     reason=f"generation {job_id}: the result could not be delivered")
        return price

    def deliver_later(self, job_id: int, retry_in_s: float) -> None:
        """This attempt failed: the sweeper tries again after ``retry_in_s``."""
        self.db.execute("UPDATE generation_jobs SET delivering_until = NOW() + make_interval(secs => %s) "
                        "WHERE id = %s AND NOT notified", (retry_in_s, job_id))

    # -- housekeeping -----------------------------------------------------------------

    def lost(self, limit: int = 100) -> list[tuple[int, str]]:
        """Running jobs whose worker died or that are past their deadline, with the
        status each should end with: (job id, 'failed' or 'timeout').

        A worker is dead when its heartbeat is older than the lock TTL, or at once when
        it ran on this machine and its process no longer exists.
        """
        rows = self.db.fetch_all(
            "SELECT id, CASE WHEN deadline_at < NOW() - INTERVAL '30 seconds' THEN 'timeout' "
            "ELSE 'failed' END, heartbeat_at < NOW() - make_interval(secs => %s) "
            "OR deadline_at < NOW() - INTERVAL '30 seconds', locked_by FROM generation_jobs "
            "WHERE status = 'running' ORDER BY id LIMIT %s", (self.lock_ttl_s, limit))
        return [(job_id, status) for job_id, status, stale, locked_by in rows
                if stale or _dead_local_worker(locked_by)]

    def untold(self, older_than_s: float = 30.0, limit: int = 100) -> list[tuple[Job, str | None]]:
        """Ended jobs whose user is to be told now, each with the dead holder of its
        delivery claim, if any: the teller died (its process is gone from this host, or
        its claim lapsed), or its last attempt failed and the retry time has come."""
        rows = self.db.fetch_all(
            f"SELECT {_COLUMNS}, delivering_by, delivering_until >= NOW() FROM generation_jobs "
            f"WHERE NOT notified AND status IN ('succeeded', 'failed', 'timeout', 'cancelled') "
            f"AND (delivering_until IS NOT NULL OR finished_at < NOW() - make_interval(secs => %s)) "
            f"ORDER BY id LIMIT %s", (older_than_s, limit))
        due: list[tuple[Job, str | None]] = []
        for *columns, holder, held in rows:
            if not held:
                due.append((Job(*columns), None))
            elif _dead_local_worker(holder):
                due.append((Job(*columns), holder))
        return due

    def depth(self) -> int:
        return self.db.fetch_one("SELECT COUNT(*) FROM generation_jobs WHERE status = 'queued'")[0]


def this_process() -> str:
    """Who holds a delivery claim: host:pid, read at the call (gunicorn forks workers)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _dead_local_worker(locked_by: str | None) -> bool:
    """A worker's name is host:pid:nonce (a process's, host:pid); True if that pid is
    gone from this host."""
    host, _, rest = (locked_by or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
