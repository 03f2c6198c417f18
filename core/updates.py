"""Dropping repeated Telegram updates.

Telegram re-sends an update until it gets a 2xx answer, and a webhook may see the
same ``update_id`` twice at once. The first claim inserts the id into
``processed_updates``; every later one finds it there. While the database (or the
table) is unreachable a per-process memory stands in, so a retry storm during an outage is
still answered once per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import psycopg2.errors

from core.db import UNAVAILABLE_ERRORS, Database


class UpdateLedger:
    def __init__(self, db: Database, memory_size: int = 50_000):
        self.db = db
        self._memory: OrderedDict[int, None] = OrderedDict()
        self._memory_size = memory_size
        self._lock = threading.Lock()

    def _remember(self, update_id: int) -> bool:
        """Memory fallback: True the first time this process sees the id."""
        with self._lock:
            if update_id in self._memory:
                return False
            self._memory[update_id] = None
            while len(self._memory) > self._memory_size:
                self._memory.popitem(last=False)
            return True

    def claim(self, update_id: int) -> bool:
        """True exactly once per update_id: this caller processes the update."""
        try:
            with self.db.transaction() as cur:
                cur.execute("INSERT INTO processed_updates (update_id) VALUES (%s) "
                            "ON CONFLICT (update_id) DO NOTHING", (update_id,))
                return cur.rowcount == 1
        except UNAVAILABLE_ERRORS + (psycopg2.errors.UndefinedTable,):
            return self._remember(update_id)
