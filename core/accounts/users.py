"""Users: ``ensure_user_exists`` is the one way a Telegram user becomes a row.

One statement inserts or refreshes the ``users`` row and makes sure its ``balances``
row exists, so no later insert can hit a foreign-key violation for this user. A
per-process cache remembers, for ``ttl`` seconds, users already written with the same
names: within it, a repeat call makes no query at all. ``Users`` is what plugins are given
(``app.users``): whether a user exists, and the lock on their row.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import psycopg2.errors

from core.db import Database, in_transaction

# The user's row (inserted, or refreshed when a name changed) and their balance row, as
# CTEs: ``{guard}`` lets a caller make both depend on an earlier CTE (see updates.py).
_USER_CTE = """
upserted AS (
    INSERT INTO users (user_id, username, first_name, last_name)
    SELECT %(id)s, %(username)s, %(first)s, %(last)s {guard}
    ON CONFLICT (user_id) DO UPDATE
        SET username = EXCLUDED.username, first_name = EXCLUDED.first_name,
            last_name = EXCLUDED.last_name, updated_at = NOW()
        WHERE (users.username, users.first_name, users.last_name)
              IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.last_name)
    RETURNING user_id, (xmax = 0) AS created
)"""
_BALANCE_CTE = """
with_balance AS (
    INSERT INTO balances (user_id, balance_rub) SELECT %(id)s, 0 {guard}
    ON CONFLICT (user_id) DO NOTHING
)"""
USER_CTES = _USER_CTE + "," + _BALANCE_CTE

# Selects whether this statement created the user (False when it only refreshed names).
CREATED = "COALESCE((SELECT bool_or(created) FROM upserted), false)"
_UPSERT = "WITH " + USER_CTES.format(guard="") + " SELECT " + CREATED
# Without the balances table (dropped, not yet migrated back) the user is still written:
# free generations need the user, not the balance.
_UPSERT_USER_ONLY = "WITH " + _USER_CTE.format(guard="") + " SELECT " + CREATED

# Telegram limits names to 64 characters; anything longer is not from Telegram and is
# cut rather than refused, so a user is never left without a row.
_NAME_LIMIT = 256


_NAMES_UNKNOWN = ("\x00unknown",)  # matches no real names tuple


class UserCache:
    """Thread-safe TTL cache of users known to be written with the given names."""

    def __init__(self, ttl_s: float = 600.0, max_entries: int = 200_000):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[int, tuple[float, tuple]] = OrderedDict()
        self._lock = threading.Lock()

    def fresh(self, user_id: int, names: tuple) -> bool:
        with self._lock:
            entry = self._entries.get(user_id)
            if entry is None:
                return False
            expires, cached_names = entry
            if expires < time.monotonic() or cached_names != names:
                del self._entries[user_id]
                return False
            return True

    def known(self, user_id: int) -> bool:
        """The user was written recently, whatever their names."""
        with self._lock:
            entry = self._entries.get(user_id)
            return entry is not None and entry[0] >= time.monotonic()

    def remember_id(self, user_id: int) -> None:
        """The user's row exists but their names were not written: ``known`` yes, ``fresh`` no."""
        with self._lock:
            entry = self._entries.get(user_id)
        if entry is None or entry[0] < time.monotonic():
            self.remember(user_id, _NAMES_UNKNOWN)

    def remember(self, user_id: int, names: tuple) -> None:
        if self.ttl_s <= 0:
            return
        now = time.monotonic()
        with self._lock:
            self._entries[user_id] = (now + self.ttl_s, names)
            self._entries.move_to_end(user_id)
            # Oldest first (one TTL for all): drop the expired, so memory follows the
            # users of the last TTL, not every user ever seen.
            while len(self._entries) > self.max_entries or next(iter(self._entries.values()))[0] < now:
                self._entries.popitem(last=False)

    def forget(self, user_id: int | None = None) -> None:
        """Drop one user, or everyone: when ``users`` or ``balances`` was rebuilt (the
        plugin host's probe sees a new table), the rows this cache vouches for are gone."""
        with self._lock:
            if user_id is None:
                self._entries.clear()
            else:
                self._entries.pop(user_id, None)

    def __len__(self) -> int:
        return len(self._entries)


def user_params(user_id: int, names: tuple) -> dict:
    return {"id": user_id, "username": names[0], "first": names[1], "last": names[2]}


def clean_names(username, first_name, last_name) -> tuple:
    return (_clean(username), _clean(first_name), _clean(last_name))


def _clean(value) -> str | None:
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    return text[:_NAME_LIMIT]


def ensure_user_exists(db: Database, cache: UserCache, user_id: int, username=None,
                       first_name=None, last_name=None, *, cur=None) -> bool:
    """Make sure the user and their balance row exist. True if this call created the user."""
    user_id = int(user_id)
    names = clean_names(username, first_name, last_name)
    if cache.fresh(user_id, names):
        return False
    params = user_params(user_id, names)
    if cur is not None:
        cur.execute(_UPSERT, params)
        return cur.fetchone()[0]  # not cached: the caller's transaction may still roll back
    try:
        created = db.fetch_one(_UPSERT, params)[0]
    except psycopg2.errors.UndefinedTable:
        return db.fetch_one(_UPSERT_USER_ONLY, params)[0]  # not cached: the balance row is owed
    cache.remember(user_id, names)
    return created


_ENSURE_ID = """
WITH inserted AS (
    INSERT INTO users (user_id) VALUES (%(id)s) ON CONFLICT (user_id) DO NOTHING
)
INSERT INTO balances (user_id, balance_rub) VALUES (%(id)s, 0)
ON CONFLICT (user_id) DO NOTHING
"""
_ENSURE_ID_ONLY = "INSERT INTO users (user_id) VALUES (%(id)s) ON CONFLICT (user_id) DO NOTHING"


def ensure_user_id(db: Database, cache: UserCache, user_id: int, *, cur=None,
                   force: bool = False) -> None:
    """Like ``ensure_user_exists`` when only the id is known: never touches stored names."""
    user_id = int(user_id)
    if not force and cache.known(user_id):
        return
    if cur is not None:  # money is about to move: without balances that must fail
        cur.execute(_ENSURE_ID, {"id": user_id})
        return
    try:
        db.execute(_ENSURE_ID, {"id": user_id})
    except psycopg2.errors.UndefinedTable:
        # balances is gone (dropped, not yet migrated back): the user row is what free
        # work needs (their generation_events); money fails later, where it moves.
        db.execute(_ENSURE_ID_ONLY, {"id": user_id})
        return  # not cached: once balances is back, the balance row is written too
    cache.remember_id(user_id)


class Users:
    """Users as plugins see them: whether one exists, and their row's lock.

    A plugin never reads ``users`` itself; a rule that must hold under races ("one
    referrer per user", "at most N projects") takes the user's row lock here, in the
    plugin's own transaction, so concurrent updates of that user queue up behind it."""

    def __init__(self, db: Database):
        self.db = db

    def exists(self, user_id: int, *, cur=None) -> bool:
        """Whether the user has a row (read in ``cur``'s transaction when given)."""
        with in_transaction(self.db, cur) as tx:
            tx.execute("SELECT 1 FROM users WHERE user_id = %s", (int(user_id),))
            return tx.fetchone() is not None

    def lock(self, user_id: int, *, cur) -> bool:
        """Lock the user's row until ``cur``'s transaction ends; False (nothing locked)
        when there is no such user. ``cur`` is required: a lock taken outside the
        caller's transaction would be let go before the caller's work."""
        if cur is None:
            raise ValueError("Users.lock needs the caller's transaction (cur=tx)")
        cur.execute("SELECT 1 FROM users WHERE user_id = %s FOR UPDATE", (int(user_id),))
        return cur.fetchone() is not None
