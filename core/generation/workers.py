"""The worker threads of one serve process, and the listener that wakes them.

Idle workers do not poll: they wait on the queue (``JobQueue.wait_for_work``) and
claim only when it is rung, and a worker that got a job rings it again and claims again
at once, so a backlog spreads over the idle workers and drains.

The queue is rung by the process that queued a job (at once), and by ``JobListener``,
one per process: on a connection of its own (not the pool's) it runs
``LISTEN genbot_jobs``, which every job's transaction ``NOTIFY``s, and waits on that
socket with ``select()``. Besides, it rings for a look at the queue every
``IDLE_POLL_S`` — a safety net for a notification that never came — and every
``poll_s`` (0.5 s) while it cannot listen: the database is away (it reconnects with
backoff and says so once per outage), or notifications do not arrive (behind PgBouncer
in transaction mode a LISTEN succeeds and hears nothing; the listener finds that out by
its own test notification, and ``JOB_LISTEN=0`` skips listening altogether). An idle
process therefore costs the database one claim per ``IDLE_POLL_S``, not one per worker
per ``poll_s``.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import threading
import time
import uuid

import psycopg2

from core import logs
from core.db import UNAVAILABLE_ERRORS, listening_connection
from core.generation.jobs import CHANNEL, JobQueue

log = logging.getLogger("genbot.jobs")

# An idle, listening process looks at the queue this often anyway: a notification can
# be lost (one sent while the listener was reconnecting is rung for on reconnect, but a
# job inserted without NOTIFY, by hand or by an older genbot, has only this).
IDLE_POLL_S = 15.0
APPLICATION_NAME = "genbot-jobs-listener"  # in pg_stat_activity
CHECK_PREFIX = "listener-check "  # the payload of a listener's own test; workers ignore it
CHECK_WAIT_S = 5.0  # a new listener that has not heard its test by then hears nothing
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 30.0  # reconnecting after an outage
RETRY_NOT_HEARD_S = 300.0  # trying again after hearing nothing (PgBouncer, most likely)


class JobListener:
    """Rings ``queue`` when a job is queued anywhere (LISTEN on ``settings``; None: do not
    listen), and for a look at the queue every ``idle_poll_s`` while listening, every
    ``poll_s`` while not."""

    def __init__(self, queue: JobQueue, settings, *, idle_poll_s: float = IDLE_POLL_S,
                 poll_s: float = 0.5):
        self.queue = queue
        self.settings = settings
        self.idle_poll_s = idle_poll_s
        self.poll_s = poll_s
        self.listening = False  # LISTEN is on and its own test notification came back
        self.failures = 0  # attempts to listen that failed since it last worked
        self._conn = None
        self._check: str | None = None  # the test notification's token, not heard yet
        self._check_until = 0.0
        self._retry_at = 0.0
        self._delay = RETRY_FIRST_S
        self._down_since: float | None = None  # for the log: once per outage
        self._said_not_heard = False
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()  # stop() interrupts the select()
        self._thread: threading.Thread | None = None

    def start(self) -> JobListener:
        self._thread = threading.Thread(target=self._run, name="job-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout)
        if self._thread is None or not self._thread.is_alive():
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _run(self) -> None:
        self.queue.wake_workers()  # whatever was queued before this process started
        last_look = time.monotonic()
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if self.settings is not None and self._conn is None and now >= self._retry_at:
                    self._listen(now)
                if self._check is not None and now >= self._check_until:
                    self._not_heard(now)
                look_at = last_look + (self.idle_poll_s if self.listening else self.poll_s)
                jobs = self._wait(min(look_at, self._next_attempt()) - time.monotonic())
                now = time.monotonic()
                if jobs or now >= look_at:
                    for _ in range(max(jobs, 1)):
                        self.queue.wake_workers()
                    last_look = now
            except Exception:
                log.exception("job listener: unexpected error; it goes on")
                self._drop()
                self._stop.wait(1.0)
        self._drop()

    def _next_attempt(self) -> float:
        if self._check is not None:
            return self._check_until
        if self.settings is not None and self._conn is None:
            return self._retry_at
        return float("inf")

    def _wait(self, timeout_s: float) -> int:
        """Up to ``timeout_s`` on the connection: how many jobs were queued meanwhile."""
        sources = [self._wake_r] + ([self._conn] if self._conn is not None else [])
        ready, _, _ = select.select(sources, [], [], max(0.0, timeout_s))
        if self._conn is None or self._conn not in ready:
            return 0
        try:
            self._conn.poll()
        except UNAVAILABLE_ERRORS as exc:
            # One that worked may have been the only one closed: try again at once.
            self._failed("lost its connection to", exc, time.monotonic(), at_once=self.listening)
            return 0
        heard, jobs = self._conn.notifies[:], 0
        self._conn.notifies.clear()
        for notification in heard:
            if not notification.payload:
                jobs += 1
            elif self._check is not None and notification.payload == CHECK_PREFIX + self._check:
                self._heard()
        return jobs

    def _listen(self, now: float) -> None:
        try:
            self._conn = listening_connection(self.settings, CHANNEL,
                                              application_name=APPLICATION_NAME)
            token = uuid.uuid4().hex
            # From another connection (the pool's): behind PgBouncer in transaction mode
            # the LISTEN stays on a server connection this one no longer holds, and the
            # test never arrives.
            self.queue.db.execute("SELECT pg_notify(%s, %s)", (CHANNEL, CHECK_PREFIX + token))
        except psycopg2.Error as exc:
            self._failed("cannot listen on", exc, now)
            return
        self._check, self._check_until = token, now + CHECK_WAIT_S

    def _heard(self) -> None:
        self._check = None
        self.listening = True
        self.failures = 0
        self._delay = RETRY_FIRST_S
        if self._down_since is not None:
            log.info("job listener: listening again after %.0f s; idle workers wait for new jobs",
                     time.monotonic() - self._down_since)
            self._down_since = None
        self.queue.wake_workers()  # jobs queued while nobody listened

    def _not_heard(self, now: float) -> None:
        self._drop()
        self.failures += 1
        if self._down_since is None:
            self._down_since = now
        self._retry_at = now + RETRY_NOT_HEARD_S
        if not self._said_not_heard:
            self._said_not_heard = True
            log.warning("job listener: LISTEN %s heard nothing of its own NOTIFY within %g s "
                        "(PgBouncer in transaction mode passes no notifications): idle workers "
                        "look at the queue every %g s; JOB_LISTEN=0 stops trying", CHANNEL,
                        CHECK_WAIT_S, self.poll_s)

    def _failed(self, what: str, exc: Exception, now: float, *, at_once: bool = False) -> None:
        self._drop()
        self.failures += 1
        if at_once:
            self._retry_at = now
        else:
            self._retry_at = now + self._delay
            self._delay = min(self._delay * 2, RETRY_MAX_S)
        if self._down_since is None:
            self._down_since = now
            log.warning("job listener: %s %s (%s): idle workers look at the queue every %g s "
                        "until it is back", what, self.settings.describe(),
                        logs.first_line(exc, with_type=True), self.poll_s)
        else:
            log.debug("job listener: still not listening (%s)", logs.first_line(exc))

    def _drop(self) -> None:
        self.listening = False
        self._check = None
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg2.Error:
                pass
            self._conn = None


class JobRunner:
    """Worker threads of one serve process, the listener that wakes them, and one
    housekeeping thread.

    ``poll_s``: how often idle workers look at the queue while the process cannot
    listen (``listen`` False, or the listener down); ``idle_poll_s`` while it can.
    """

    def __init__(self, queue: JobQueue, execute, *, threads: int = 4, poll_s: float = 0.5,
                 idle_poll_s: float = IDLE_POLL_S, listen: bool = True, heartbeat_s: float = 5.0,
                 sweep_s: float = 15.0, on_lost=None, on_untold=None):
        self.queue = queue
        self.execute = execute
        self.threads = threads
        self.poll_s = poll_s
        self.idle_poll_s = idle_poll_s
        self.listen = listen
        self.heartbeat_s = heartbeat_s
        self.sweep_s = sweep_s
        self.on_lost = on_lost  # (job id, status): end it
        self.on_untold = on_untold  # (job, dead holder of its delivery or None): tell its user
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.listener: JobListener | None = None
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> JobRunner:
        # Jobs left running by a process that died are settled before new work; with the
        # database away, the housekeeping thread does it once it is back (a worker
        # process must come up during an outage, not fail to boot and take serve down).
        try:
            self.sweep()
        except UNAVAILABLE_ERRORS as exc:
            log.warning("job sweep at start skipped: database unavailable (%s)", exc.__class__.__name__)
        except Exception:
            log.exception("job sweep at start failed")
        for i in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        keeper = threading.Thread(target=self._housekeeping, name="job-housekeeping", daemon=True)
        keeper.start()
        self._threads.append(keeper)
        if self.threads:
            self.listener = JobListener(self.queue, self.queue.db.settings if self.listen else None,
                                        idle_poll_s=self.idle_poll_s, poll_s=self.poll_s).start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.listener is not None:
            self.listener.stop(timeout)
        self.queue.release_waiting()
        for thread in self._threads:
            thread.join(timeout)

    def running(self) -> list[int]:
        with self._running_lock:
            return list(self._running)

    def _work(self) -> None:
        while not self._stop.is_set():
            self.queue.wait_for_work(self._stop)
            while not self._stop.is_set() and self._take_one():
                pass  # a worker that got a job tries again at once

    def _take_one(self) -> bool:
        """Claim a job and run it; False when there was none (or no database)."""
        try:
            job = self.queue.claim(self.name)
        except UNAVAILABLE_ERRORS:
            self._stop.wait(1.0)
            return False
        except Exception:
            log.exception("claiming a job failed")
            self._stop.wait(1.0)
            return False
        if job is None:
            return False
        self.queue.wake_workers()  # more may be queued: another idle worker looks too
        with self._running_lock:
            self._running.add(job.id)
        try:
            self.execute(job)
        except Exception:
            log.exception("job %s: execution failed", job.id)
        finally:
            with self._running_lock:
                self._running.discard(job.id)
        return True

    def _housekeeping(self) -> None:
        last_sweep = 0.0
        while not self._stop.wait(self.heartbeat_s):
            try:
                self.queue.heartbeat(self.running())
                if time.monotonic() - last_sweep >= self.sweep_s:
                    last_sweep = time.monotonic()
                    self.sweep()
            except UNAVAILABLE_ERRORS:
                pass
            except Exception:
                log.exception("job housekeeping failed")

    def sweep(self) -> None:
        if self.on_lost is not None:
            for job_id, status in self.queue.lost():
                self.on_lost(job_id, status)
        if self.on_untold is not None:
            for job, dead_holder in self.queue.untold():
                self.on_untold(job, dead_holder)
