"""Startup cleanup: what a crash or a long outage leaves behind, settled in bounded batches.

Run by ``genbot serve`` before the web server accepts requests, and on demand by
``genbot cleanup``. Every step is a conditional update or a delete of rows picked with
``FOR UPDATE SKIP LOCKED``, so two processes cleaning at once never settle the same
thing twice:

- generation jobs whose worker stopped (no heartbeat for ``JOB_LOCK_TTL``): failed,
  their holds released, their users told;
- money held for more than an hour: released — through its job when it has one, so
  the job cannot later capture it;
- idempotency records older than 24 hours: deleted;
- processed update ids older than 7 days: deleted (Telegram re-sends for a day at most).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core import logs
from core.db import UNAVAILABLE_ERRORS
from core.generation.jobs import Ending

if TYPE_CHECKING:  # the App is built later than this module is imported (serve's metrics)
    from core.app import App

log = logging.getLogger("genbot.cleanup")

HOLD_MAX_AGE = "1 hour"
IDEMPOTENCY_MAX_AGE = "24 hours"
PROCESSED_UPDATES_MAX_AGE = "7 days"


def _batches(max_batches: int, step) -> int:
    total = 0
    for _ in range(max_batches):
        done = step()
        total += done
        if done == 0:
            break
    return total


def release_stale_holds(app: App, batch: int) -> int:
    rows = app.db.fetch_all(
        "SELECT r.id, j.id FROM balance_reservations r "
        "LEFT JOIN generation_jobs j ON j.reservation_id = r.id "
        f"WHERE r.status = 'held' AND r.created_at < NOW() - INTERVAL '{HOLD_MAX_AGE}' "
        "ORDER BY r.id LIMIT %s FOR UPDATE OF r SKIP LOCKED", (batch,))
    released = 0
    for reservation_id, job_id in rows:
        if job_id is not None:
            if app.lifecycle.end(job_id, Ending.failed("stale_hold", "held for over an hour"),
                                 expect=("queued", "running")):
                released += 1
                continue
        if app.balances.release(reservation_id):
            released += 1
    return released


def _delete_old(app: App, table: str, column: str, age: str, batch: int) -> int:
    return app.db.execute(
        f"DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} "
        f"WHERE {column} < NOW() - INTERVAL '{age}' LIMIT %s FOR UPDATE SKIP LOCKED)", (batch,))


def run_cleanup(app: App, *, batch: int = 500, max_batches: int = 20) -> dict[str, int]:
    """Settle what is left behind; returns what was done, by name."""
    counts: dict[str, int] = {}
    steps = {
        "jobs_of_stopped_workers": lambda: _recover_jobs(app, batch),
        "stale_holds_released": lambda: release_stale_holds(app, batch),
        "idempotency_records_deleted":
            lambda: _delete_old(app, "idempotency_records", "created_at", IDEMPOTENCY_MAX_AGE, batch),
        "processed_updates_deleted":
            lambda: _delete_old(app, "processed_updates", "received_at", PROCESSED_UPDATES_MAX_AGE, batch),
    }
    for name, step in steps.items():
        try:
            counts[name] = _batches(max_batches, step)
        except UNAVAILABLE_ERRORS:
            raise
        except Exception as exc:  # a missing table skips its step, not the others
            log.warning("cleanup step %s skipped: %s", name, logs.first_line(exc))
            counts[name] = 0
    for plugin, result in app.plugins.call("startup_cleanup", app=app):
        for name, count in dict(result).items():
            counts[f"{plugin.name}.{name}"] = int(count)
    log.info("cleanup: %s", ", ".join(f"{name} {count}" for name, count in counts.items()))
    return counts


def _recover_jobs(app: App, batch: int) -> int:
    return sum(app.lifecycle.end(job_id, Ending.found_lost(status)) is not None
               for job_id, status in app.jobs.lost(limit=batch))
