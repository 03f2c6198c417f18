"""Dropping repeated Telegram updates.

Telegram re-sends an update until it gets a 2xx answer, and a webhook may see the
same ``update_id`` twice at once. The first claim inserts the id into
``processed_updates``; every later one finds it there. While the database (or the
table) is unreachable a per-process memory stands in, so a retry storm during an outage is
still answered once per process.

When the sender is not in the user cache, the claim and ``ensure_user_exists``'s
upsert travel as one statement, so every update costs one round trip to the
database, whichever worker process it lands on. The ``Claim`` says whether the sender
is stored, so the router writes it only when the claim could not (a payment, which is
never claimed; ``users`` missing; the database away).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import psycopg2.errors

from core.accounts.users import CREATED, USER_CTES, UserCache, clean_names, user_params
from core.db import DEGRADED_ERRORS, Database

_CLAIM = ("INSERT INTO processed_updates (update_id) VALUES (%(update_id)s) "
          "ON CONFLICT (update_id) DO NOTHING")
_CLAIM_AND_WRITE_USER = (
    "WITH claimed AS (" + _CLAIM + " RETURNING update_id), "
    + USER_CTES.format(guard="WHERE EXISTS (SELECT 1 FROM claimed)")
    + " SELECT (SELECT count(*) FROM claimed), " + CREATED)

# The update parts that carry their sender as "from", as Telegram names them.
SENDER_FIELDS = ("message", "callback_query", "edited_message", "pre_checkout_query",
                 "shipping_query", "inline_query", "chosen_inline_result", "my_chat_member")


def sender_of(payload: dict) -> dict | None:
    """The ``from`` of an update as Telegram sent it, or None."""
    for name in SENDER_FIELDS:
        part = payload.get(name)
        sender = part.get("from") if isinstance(part, dict) else None
        if isinstance(sender, dict) and type(sender.get("id")) is int and 0 < sender["id"] < 2**63:
            return sender
    return None


@dataclass(frozen=True)
class Claim:
    """What claiming an update found."""

    first: bool  # this caller handles the update; any other caller drops it
    sender_stored: bool = False  # the sender is written (by this claim, or cached as fresh)
    new_user: bool = False  # this claim created the sender


class UpdateLedger:
    def __init__(self, db: Database, users: UserCache, memory_size: int = 50_000):
        self.db = db
        self.users = users
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

    def claim(self, update_id: int, sender: dict | None = None) -> Claim:
        """``first`` exactly once per update_id: that caller processes the update.

        ``sender`` is the update's ``from`` object; an uncached sender is written too.
        """
        try:
            user_id = sender.get("id") if isinstance(sender, dict) else None
            if sender is None or type(user_id) is not int:
                return Claim(self._claim_alone(update_id))
            names = clean_names(sender.get("username"), sender.get("first_name"),
                                sender.get("last_name"))
            if self.users.fresh(user_id, names):
                return Claim(self._claim_alone(update_id), sender_stored=True)
            try:
                claimed, created = self.db.fetch_one(_CLAIM_AND_WRITE_USER, {
                    "update_id": update_id, **user_params(user_id, names)})
            except psycopg2.errors.UndefinedTable:
                # users or balances is gone: claim alone; the router writes the user
                # as far as it can and answers for what cannot work.
                return Claim(self._claim_alone(update_id))
            if claimed:
                self.users.remember(user_id, names)
            return Claim(claimed == 1, sender_stored=claimed == 1, new_user=bool(claimed and created))
        except DEGRADED_ERRORS:
            return Claim(self._remember(update_id))

    def _claim_alone(self, update_id: int) -> bool:
        return self.db.execute(_CLAIM, {"update_id": update_id}) == 1


def update_type(payload: dict) -> str:
    """The update's kind, as Telegram names the part that carries it (the metrics' label)."""
    return next((name for name in SENDER_FIELDS if name in payload), "other")
