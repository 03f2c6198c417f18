"""Balances: Decimal roubles, never negative, every change with its ledger row."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg2
import pytest

from core.accounts.balances import (
    Balances,
    InsufficientFunds,
    InvalidAmount,
    ledger_differences,
    to_money,
)
from core.accounts.payments import PaymentRecord, payments_of
from core.accounts.users import UserCache


@pytest.fixture
def balances(db, user_cache):
    return Balances(db, user_cache)


def ledger_total(db, user_id):
    return db.fetch_one("SELECT COALESCE(SUM(amount_rub), 0) FROM payment_transactions "
                        "WHERE user_id = %s", (user_id,))[0]


@pytest.mark.parametrize("raw,expected", [
    ("10", Decimal("10.00")), ("0.01", Decimal("0.01")), (" 99.5 ", Decimal("99.50")),
    (Decimal("5"), Decimal("5.00")), (7, Decimal("7.00")),
])
def test_to_money_accepts(raw, expected):
    assert to_money(raw) == expected


@pytest.mark.parametrize("raw", [
    "0", "-1", "NaN", "nan", "Infinity", "-Infinity", "1e309", "abc", "", "1.001",
    "100000000", 1.5, True, None, "١٠",
])
def test_to_money_refuses(raw):
    with pytest.raises(InvalidAmount):
        to_money(raw)


def test_credit_and_debit_write_the_ledger(db, balances):
    assert balances.credit(1, "100.50", reason="test top-up") == Decimal("100.50")
    assert balances.debit(1, "0.50", reason="test") == Decimal("100.00")
    rows = db.fetch_all("SELECT amount_rub, type FROM payment_transactions WHERE user_id = 1 ORDER BY id")
    assert rows == [(Decimal("100.50"), "topup"), (Decimal("-0.50"), "deduction")]
    assert ledger_differences(db) == []


def test_debit_beyond_balance_is_refused_and_changes_nothing(db, balances):
    balances.credit(2, "10")
    with pytest.raises(InsufficientFunds) as info:
        balances.debit(2, "10.01")
    assert info.value.balance == Decimal("10.00")
    assert balances.get(2) == Decimal("10.00")
    assert ledger_total(db, 2) == Decimal("10.00")


def test_credit_for_an_unseen_user_creates_them(db, balances):
    balances.credit(3, "5", kind="referral")
    assert db.fetch_one("SELECT count(*) FROM users WHERE user_id = 3")[0] == 1


def test_check_constraint_refuses_negative_balance_from_any_path(db, balances):
    balances.credit(4, "1")
    with pytest.raises(psycopg2.errors.CheckViolation):
        db.execute("UPDATE balances SET balance_rub = -1 WHERE user_id = 4")


def test_fifty_threads_debiting_never_go_below_zero(db, user_cache):
    balances = Balances(db, user_cache)
    balances.credit(5, "100.00")
    ok, short, errors = [], [], []
    barrier = threading.Barrier(50, timeout=30)

    def spend():
        barrier.wait()
        try:
            balances.debit(5, "3.00")
            ok.append(1)
        except InsufficientFunds:
            short.append(1)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=spend) for _ in range(50)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(ok) == 33 and len(short) == 17  # 33 x 3.00 = 99.00 fits, the 34th would not
    assert balances.get(5) == Decimal("100.00") - 3 * len(ok)
    assert ledger_differences(db) == []


def test_hold_then_capture(db, balances):
    balances.credit(6, "50")
    r = balances.hold(6, "20", reason="job 1")
    assert balances.summary(6) == (Decimal("30.00"), Decimal("20.00"))
    assert ledger_differences(db) == []
    assert balances.capture(r.id) is True
    assert balances.capture(r.id) is False  # a second capture takes nothing more
    assert balances.release(r.id) is False  # and a captured hold cannot come back
    assert balances.summary(6) == (Decimal("30.00"), Decimal("0"))
    assert ledger_total(db, 6) == Decimal("30.00")
    assert ledger_differences(db) == []


def test_hold_then_release(db, balances):
    balances.credit(7, "50")
    r = balances.hold(7, "20")
    assert balances.release(r.id) is True
    assert balances.release(r.id) is False
    assert balances.capture(r.id) is False
    assert balances.summary(7) == (Decimal("50.00"), Decimal("0"))
    assert ledger_differences(db) == []


def test_hold_beyond_balance_is_refused_and_leaves_no_reservation(db, balances):
    balances.credit(8, "5")
    with pytest.raises(InsufficientFunds):
        balances.hold(8, "5.01")
    assert db.fetch_one("SELECT count(*) FROM balance_reservations WHERE user_id = 8")[0] == 0
    assert balances.get(8) == Decimal("5.00")


def test_hold_with_a_key_holds_once_under_concurrency(db, user_cache):
    balances = Balances(db, user_cache)
    balances.credit(9, "100")
    results, barrier = [], threading.Barrier(20, timeout=30)

    def press():
        barrier.wait()
        results.append(balances.hold(9, "30", key="draft-9-1"))

    threads = [threading.Thread(target=press) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len({r.id for r in results}) == 1
    assert balances.summary(9) == (Decimal("70.00"), Decimal("30.00"))


def test_concurrent_captures_and_releases_settle_each_hold_once(db, user_cache):
    balances = Balances(db, user_cache)
    balances.credit(10, "100")
    holds = [balances.hold(10, "10") for _ in range(5)]
    barrier = threading.Barrier(10, timeout=30)

    def settle(res, capture):
        barrier.wait()
        (balances.capture if capture else balances.release)(res.id)

    threads = [threading.Thread(target=settle, args=(h, c)) for h in holds for c in (True, False)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    statuses = [balances.reservation(h.id).status for h in holds]
    assert all(s in ("captured", "released") for s in statuses)
    captured = statuses.count("captured")
    assert balances.summary(10) == (Decimal("100.00") - 10 * captured, Decimal("0"))
    assert ledger_differences(db) == []


def test_balance_change_listeners_hear_committed_changes(db, user_cache):
    heard = []
    balances = Balances(db, user_cache, listeners=[heard.append, lambda change: 1 / 0])
    balances.credit(11, "12.34", reason="listener")
    assert [(c.user_id, c.amount, c.kind, c.balance) for c in heard] == \
        [(11, Decimal("12.34"), "topup", Decimal("12.34"))]


def test_user_cache_gone_stale_after_table_rebuild_still_credits(db):
    cache = UserCache()
    balances = Balances(db, cache)
    balances.credit(12, "1")
    db.execute("DELETE FROM payment_transactions WHERE user_id = 12")
    db.execute("DELETE FROM balances WHERE user_id = 12")
    db.execute("DELETE FROM users WHERE user_id = 12")
    balances.credit(12, "2")  # the cache still believes user 12 exists
    assert balances.get(12) == Decimal("2.00")


def test_ledger_check_finds_a_difference(db, balances):
    balances.credit(13, "10")
    db.execute("UPDATE balances SET balance_rub = 11 WHERE user_id = 13")
    assert ledger_differences(db) == [(13, Decimal("11.00"), Decimal("0"), Decimal("10.00"))]


def pay(balances, user_id: int, amount: str, charge: str):
    return balances.credit_payment(user_id, amount, source="provider", external_id=charge)


def test_a_payment_is_credited_once_per_source_and_id(db, balances):
    assert pay(balances, 20, "30.00", "k1") == Decimal("30.00")
    assert pay(balances, 20, "30.00", "k1") is None
    assert pay(balances, 20, "5.00", "k2") == Decimal("35.00")
    assert balances.credit_payment(20, "5.00", source="stars", external_id="k2") == Decimal("40.00")
    assert db.fetch_all("SELECT source, external_id, amount_rub FROM payments ORDER BY id") == [
        ("provider", "k1", Decimal("30.00")), ("provider", "k2", Decimal("5.00")),
        ("stars", "k2", Decimal("5.00"))]
    assert ledger_total(db, 20) == Decimal("40.00")
    assert ledger_differences(db) == []


def test_a_payment_for_a_user_whose_rows_vanished(db):
    cache = UserCache()
    balances = Balances(db, cache)
    balances.credit(21, "1.00")
    db.execute("DELETE FROM payment_transactions WHERE user_id = 21")
    db.execute("DELETE FROM balances WHERE user_id = 21")
    db.execute("DELETE FROM users WHERE user_id = 21")
    assert pay(balances, 21, "4.00", "k3") == Decimal("4.00")
    assert ledger_differences(db) == []


def test_one_payment_sent_twenty_times_at_once_is_credited_once(db, user_cache):
    balances = Balances(db, user_cache)
    barrier, results = threading.Barrier(20, timeout=30), []

    def press():
        barrier.wait()
        results.append(pay(balances, 22, "7.00", "same"))

    threads = [threading.Thread(target=press) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results, key=lambda r: r is None) == [Decimal("7.00")] + [None] * 19
    assert balances.get(22) == Decimal("7.00")


def test_listeners_hear_of_a_change_only_after_its_transaction_commits(db, user_cache):
    heard = []
    balances = Balances(db, user_cache, listeners=[heard.append])
    with pytest.raises(RuntimeError):
        with db.transaction() as tx:
            balances.credit(30, "5.00", cur=tx)
            assert heard == []
            raise RuntimeError("the caller's transaction rolls back")
    assert heard == [] and balances.get(30) == Decimal("0.00")
    with db.transaction() as tx:
        balances.credit(30, "7.00", cur=tx)
        assert heard == []  # not yet committed
    assert [(c.amount, c.balance) for c in heard] == [(Decimal("7.00"), Decimal("7.00"))]


def test_a_balance_read_for_update_holds_the_row_until_the_callers_commit(db, balances):
    balances.credit(40, "10.00")
    with pytest.raises(ValueError, match="cur=tx"):
        balances.get(40, for_update=True)  # a lock let go at once would guard nothing
    with db.transaction() as tx:
        assert balances.get(40, cur=tx, for_update=True) == Decimal("10.00")
        with pytest.raises(psycopg2.errors.LockNotAvailable):
            with db.transaction() as other:
                other.execute("SET LOCAL lock_timeout = '200ms'")
                balances.debit(40, "1.00", cur=other)
    assert balances.debit(40, "1.00") == Decimal("9.00")  # let go with the commit
    assert ledger_differences(db) == []


def test_payments_of_reads_each_users_payments_as_they_stand(db, balances):
    pay(balances, 41, "30.00", "of-1")
    balances.credit_payment(42, "5.00", source="stars", external_id="of-2")
    pay(balances, 41, "7.50", "of-3")
    db.execute("UPDATE payments SET status = 'refunded' WHERE external_id = 'of-1'")
    assert payments_of(db, 41) == [
        PaymentRecord("provider", "of-1", 41, Decimal("30.00"), "refunded"),
        PaymentRecord("provider", "of-3", 41, Decimal("7.50"), "credited")]
    assert [p.key for p in payments_of(db, 42, 41)] == [
        ("provider", "of-1"), ("stars", "of-2"), ("provider", "of-3")]  # oldest first
    assert payments_of(db, 43) == [] and payments_of(db) == []
