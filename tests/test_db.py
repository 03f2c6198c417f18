"""The pool: bounded waiting, statement timeout, broken connections thrown away."""

from __future__ import annotations

import threading
import time

import psycopg2
import pytest

from core.db import Database, PoolTimeout, query_once


def test_an_exhausted_pool_waits_with_a_bound_then_recovers(db_settings):
    db = Database(db_settings, minconn=0, maxconn=1, wait_s=0.3)
    taken, release = threading.Event(), threading.Event()

    def hold_the_only_connection():
        with db.connection():
            taken.set()
            release.wait(5)

    holder = threading.Thread(target=hold_the_only_connection)
    holder.start()
    taken.wait(5)
    started = time.monotonic()
    with pytest.raises(PoolTimeout, match="all 1 connections busy"):
        db.fetch_one("SELECT 1")
    assert 0.25 < time.monotonic() - started < 3
    release.set()
    holder.join()
    assert db.fetch_one("SELECT 1") == (1,)
    db.close()


def test_a_waiting_caller_gets_the_connection_when_it_frees(db_settings):
    db = Database(db_settings, minconn=0, maxconn=1, wait_s=5)
    with db.connection():
        waiter_result = []
        waiter = threading.Thread(target=lambda: waiter_result.append(db.fetch_one("SELECT 2")))
        waiter.start()
        time.sleep(0.2)
        assert waiter_result == []
    waiter.join(5)
    assert waiter_result == [(2,)]
    db.close()


def test_statement_timeout_applies(db_settings):
    db = Database(db_settings, minconn=0, maxconn=2, statement_timeout_ms=100)
    with pytest.raises(psycopg2.errors.QueryCanceled):
        db.fetch_one("SELECT pg_sleep(2)")
    assert db.fetch_one("SELECT 1") == (1,)  # the connection is usable again
    db.close()


def test_a_killed_connection_is_replaced(db_settings):
    db = Database(db_settings, minconn=1, maxconn=1)
    pid = db.fetch_one("SELECT pg_backend_pid()")[0]
    killer = Database(db_settings, minconn=0, maxconn=1)
    killer.fetch_one("SELECT pg_terminate_backend(%s)", (pid,))
    killer.close()
    with pytest.raises(psycopg2.OperationalError):
        db.fetch_one("SELECT 1")
    assert db.fetch_one("SELECT 1") == (1,)
    db.close()


def test_a_failed_transaction_rolls_back(db):
    with pytest.raises(ZeroDivisionError):
        with db.transaction() as cur:
            cur.execute("INSERT INTO users (user_id) VALUES (1)")
            raise ZeroDivisionError
    assert db.fetch_one("SELECT count(*) FROM users") == (0,)


def test_pool_keeps_connections_beyond_min(db_settings):
    db = Database(db_settings, minconn=1, maxconn=4)
    barrier = threading.Barrier(4, timeout=30)

    def use():
        with db.connection() as conn:
            barrier.wait()
            return conn

    threads = [threading.Thread(target=use) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(db._pool._pool) == 4  # all four stayed open for the next burst
    db.close()


def test_idle_connections_beyond_min_are_closed_after_idle_s(db_settings):
    db = Database(db_settings, minconn=1, maxconn=4, idle_s=0.2)
    barrier = threading.Barrier(4, timeout=30)

    def use():
        with db.connection():
            barrier.wait()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    backends = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    assert len(db._pool._pool) == 4
    time.sleep(0.3)
    db.fetch_one("SELECT 1")  # the next return of a connection trims the long-idle ones
    assert len(db._pool._pool) == 1
    assert query_once(db_settings, backends)[0][0] == 1  # closed on the server too
    db.close()
