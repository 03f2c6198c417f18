"""ensure_user_exists: one row per user, names kept fresh, no query within the TTL."""

from __future__ import annotations

import threading
import time

import psycopg2.errors
import pytest

from core.accounts.users import UserCache, Users, ensure_user_exists, ensure_user_id


def test_second_call_within_ttl_makes_no_query(db, user_cache):
    assert ensure_user_exists(db, user_cache, 101, "ann", "Ann", None) is True
    before = db.queries
    assert ensure_user_exists(db, user_cache, 101, "ann", "Ann", None) is False
    assert db.queries == before


def test_expired_entry_queries_again(db):
    cache = UserCache(ttl_s=0.0001)
    ensure_user_exists(db, cache, 102, "bob", "Bob", None)
    before = db.queries
    import time
    time.sleep(0.01)
    ensure_user_exists(db, cache, 102, "bob", "Bob", None)
    assert db.queries == before + 1


def test_changed_name_updates_row_and_cache(db, user_cache):
    ensure_user_exists(db, user_cache, 103, "old_name", "Old", "Name")
    ensure_user_exists(db, user_cache, 103, "new_name", "New", None)
    assert db.fetch_one("SELECT username, first_name, last_name FROM users WHERE user_id = 103") == \
        ("new_name", "New", None)
    before = db.queries
    ensure_user_exists(db, user_cache, 103, "new_name", "New", None)
    assert db.queries == before  # the cache now holds the new names


def test_unchanged_names_do_not_touch_updated_at(db):
    cache = UserCache(ttl_s=0)  # no cache: every call reaches the database
    ensure_user_exists(db, cache, 104, "same", "Same", None)
    first = db.fetch_one("SELECT updated_at FROM users WHERE user_id = 104")[0]
    ensure_user_exists(db, cache, 104, "same", "Same", None)
    assert db.fetch_one("SELECT updated_at FROM users WHERE user_id = 104")[0] == first


def test_twenty_threads_racing_on_a_new_user_make_one_row(db):
    errors, barrier = [], threading.Barrier(20, timeout=30)

    def racer():
        cache = UserCache()  # each thread as its own process would: no shared cache
        barrier.wait()
        try:
            ensure_user_exists(db, cache, 777, "racer", "Гонщик", None)
        except Exception as exc:  # any error at all fails the test
            errors.append(exc)

    threads = [threading.Thread(target=racer) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert db.fetch_one("SELECT count(*) FROM users WHERE user_id = 777")[0] == 1
    assert db.fetch_one("SELECT count(*) FROM balances WHERE user_id = 777")[0] == 1


def test_no_foreign_key_violation_after_ensure(db, user_cache):
    ensure_user_exists(db, user_cache, 778, None, "Без ника", None)
    db.execute("INSERT INTO generation_events (user_id, model_id, status) VALUES (778, 'm', 'started')")
    db.execute("INSERT INTO payment_transactions (user_id, amount_rub, type) VALUES (778, 0, 'topup')")
    assert db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = 778")[0] == 0


@pytest.mark.parametrize("name", [
    "Ива́н 🚀", "\u202eRTL\u202c", "zero\u200bwidth", "'; DROP TABLE users; --", "x" * 5000,
])
def test_hostile_names_are_stored(db, user_cache, name):
    ensure_user_exists(db, user_cache, 779, name, name, name)
    stored = db.fetch_one("SELECT first_name FROM users WHERE user_id = 779")[0]
    assert stored == name[:256]
    assert db.fetch_one("SELECT count(*) FROM users")[0] >= 1


def test_nul_characters_are_dropped_not_fatal(db, user_cache):
    ensure_user_exists(db, user_cache, 780, "a\x00b", "N\x00ul", None)
    assert db.fetch_one("SELECT username FROM users WHERE user_id = 780")[0] == "ab"


def test_ensure_user_id_keeps_names(db, user_cache):
    ensure_user_exists(db, user_cache, 781, "keep", "Keep", "Me")
    ensure_user_id(db, UserCache(), 781)
    assert db.fetch_one("SELECT username, first_name, last_name FROM users WHERE user_id = 781") == \
        ("keep", "Keep", "Me")


def test_users_restored_without_balance_rows_get_one(db, user_cache):
    db.execute("INSERT INTO users (user_id) VALUES (782)")
    ensure_user_exists(db, user_cache, 782, None, "Restored", None)
    assert db.fetch_one("SELECT balance_rub FROM balances WHERE user_id = 782")[0] == 0


def test_ensure_user_id_is_cached_without_hiding_names(db, user_cache):
    ensure_user_id(db, user_cache, 783)
    before = db.queries
    ensure_user_id(db, user_cache, 783)
    assert db.queries == before  # known: no query
    assert ensure_user_exists(db, user_cache, 783, "named", "Named", None) is False
    assert db.fetch_one("SELECT username FROM users WHERE user_id = 783") == ("named",)


def test_expired_users_leave_the_cache():
    cache = UserCache(ttl_s=0.05)
    for user_id in range(1, 1001):
        cache.remember(user_id, ("Иван",))
    time.sleep(0.1)
    cache.remember(5000, ("Анна",))
    assert len(cache._entries) == 1 and cache.known(5000) and not cache.known(1)


def test_users_exists_and_lock_in_the_callers_transaction(db, user_cache):
    users = Users(db)
    ensure_user_id(db, user_cache, 500)
    assert users.exists(500) is True and users.exists(501) is False
    with pytest.raises(ValueError, match="cur=tx"):
        users.lock(500, cur=None)
    with db.transaction() as tx:
        assert users.lock(501, cur=tx) is False  # nobody to lock
        assert users.lock(500, cur=tx) is True
        assert users.exists(500, cur=tx) is True
        with pytest.raises(psycopg2.errors.LockNotAvailable):  # held until this commits
            with db.transaction() as other:
                other.execute("SET LOCAL lock_timeout = '200ms'")
                users.lock(500, cur=other)
    with db.transaction() as other:
        assert users.lock(500, cur=other) is True
