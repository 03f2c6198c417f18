"""Dropping repeated Telegram updates.

Telegram re-sends an update until it gets a 2xx answer, and a webhook may see the
same ``update_id`` twice at once. The first claim inserts the id into
``processed_updates``; every later one finds it there. While the database (or the
table) is unreachable a per-process memory stands in, so a retry storm during an outage is
still answered once per process.

When the sender is not in the user cache, the claim and ``ensure_user_exists``'s
upsert travel as one statement, so every update costs one round trip to the
database, whichever worker process it lands on.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import psycopg2.errors

from core.db import DEGRADED_ERRORS, Database
from core.users import CREATED, USER_CTES, UserCache, clean_names, user_params

_CLAIM = ("INSERT INTO processed_updates (update_id) VALUES (%(update_id)s) "
          "ON CONFLICT (update_id) DO NOTHING")
_CLAIM_AND_WRITE_USER = (
    "WITH claimed AS (" + _CLAIM + " RETURNING update_id), "
    + USER_CTES.format(guard="WHERE EXISTS (SELECT 1 FROM claimed)")
    + " SELECT (SELECT count(*) FROM claimed), " + CREATED)


class UpdateLedger:
    def __init__(self, db: Database, users: UserCache, memory_size: int = 50_000):
        self.db = db
        self.users = users
        self._local = threading.local()
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

    def sender_was_created(self) -> bool:
        """Whether the last claim on this thread created its sender; asking forgets it."""
        created = getattr(self._local, "created", False)
        self._local.created = False
        return created

    def claim(self, update_id: int, sender: dict | None = None) -> bool:
        """True exactly once per update_id: this caller processes the update.

        ``sender`` is the update's ``from`` object; an uncached sender is written too.
        """
        try:
            user_id = sender.get("id") if isinstance(sender, dict) else None
            if type(user_id) is int:
                names = clean_names(sender.get("username"), sender.get("first_name"),
                                    sender.get("last_name"))
                if not self.users.fresh(user_id, names):
                    try:
                        claimed, created = self.db.fetch_one(_CLAIM_AND_WRITE_USER, {
                            "update_id": update_id, **user_params(user_id, names)})
                    except psycopg2.errors.UndefinedTable:
                        # users or balances is gone: claim alone; the middleware writes
                        # the user as far as it can and answers for what cannot work.
                        return self.db.execute(_CLAIM, {"update_id": update_id}) == 1
                    if claimed:
                        self.users.remember(user_id, names)
                        self._local.created = created
                    return claimed == 1
            return self.db.execute(_CLAIM, {"update_id": update_id}) == 1
        except DEGRADED_ERRORS:
            return self._remember(update_id)
