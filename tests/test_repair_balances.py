"""`genbot repair-balances`: balances rebuilt from the ledger (balance = ledger − held).

The ledger is the record and is never written here; a dry run changes nothing; the
apply runs under a lock that keeps money from moving meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from decimal import Decimal

import pytest

from core.accounts.balances import Balances, balance_repairs, ledger_differences, repair_balances
from core.accounts.users import UserCache
from core.db import connect_once
from core.ops.migrations import Migrator
from genbot.testing.postgres import url_for
from tests.support.serve import base_env, run_cli

A, B, C = 801, 802, 803


@pytest.fixture
def balances(db):
    return Balances(db, UserCache())


def ledger_rows(db):
    return db.fetch_all("SELECT id, user_id, amount_rub, type FROM payment_transactions ORDER BY id")


def amounts(db):
    return dict(db.fetch_all("SELECT user_id, balance_rub FROM balances WHERE user_id IN (%s, %s, %s)",
                             (A, B, C)))


def some_money(balances):
    """A: 150 topped up, 30 held, 20 captured → 100 + 30 held. B: 40. C: 25 top-up, 25 spent."""
    balances.credit(A, "150.00")
    balances.hold(A, "30.00", reason="running job")
    balances.capture(balances.hold(A, "20.00", reason="finished job").id)
    balances.credit(B, "40.00", kind="referral")
    balances.credit(C, "25.00")
    balances.debit(C, "25.00")


def test_a_rebuilt_balances_table_is_restored_from_the_ledger(db, balances, caplog):
    some_money(balances)
    before, ledger = amounts(db), ledger_rows(db)
    assert before == {A: Decimal("100.00"), B: Decimal("40.00"), C: Decimal("0.00")}
    db.execute("DROP TABLE balances")
    Migrator(db.settings).apply()  # rebuilt, one row of 0 per user
    assert amounts(db) == {A: Decimal("0.00"), B: Decimal("0.00"), C: Decimal("0.00")}

    found = balance_repairs(db)  # the dry run
    assert [(r.user_id, r.balance, r.held, r.ledger, r.rebuilt) for r in found] == [
        (A, Decimal("0.00"), Decimal("30.00"), Decimal("130.00"), Decimal("100.00")),
        (B, Decimal("0.00"), Decimal("0"), Decimal("40.00"), Decimal("40.00"))]
    assert amounts(db)[A] == Decimal("0.00")  # nothing changed

    with caplog.at_level(logging.WARNING, logger="genbot.balances"):
        repaired = repair_balances(db)
    assert [r.user_id for r in repaired] == [A, B]
    assert amounts(db) == before
    assert ledger_rows(db) == ledger  # the ledger is the record: not one row written
    assert ledger_differences(db) == []
    assert "balance of user 801 repaired from the ledger: 0.00 -> 100.00 (ledger 130.00, held 30.00)" in caplog.text
    assert "balance of user 802 repaired from the ledger: 0.00 -> 40.00" in caplog.text
    assert balance_repairs(db) == [] and repair_balances(db) == []


def test_a_user_with_a_ledger_and_no_balance_row_gets_one(db, balances):
    balances.credit(A, "12.50")
    balances.credit(B, "1.00")
    db.execute("DELETE FROM balances WHERE user_id = %s", (A,))
    db.execute("UPDATE balances SET balance_rub = NULL WHERE user_id = %s", (B,))  # the seed allows it
    [a, b] = balance_repairs(db)
    assert (a.user_id, a.balance, a.rebuilt) == (A, None, Decimal("12.50"))
    assert (b.user_id, b.balance, b.rebuilt) == (B, None, Decimal("1.00"))
    repair_balances(db)
    assert amounts(db) == {A: Decimal("12.50"), B: Decimal("1.00")}


def test_a_users_row_lost_with_its_key_is_written_back_for_the_balance(db, balances):
    balances.credit(A, "5.00")
    db.execute("ALTER TABLE payment_transactions DROP CONSTRAINT payment_transactions_user_id_fkey")
    db.execute("DELETE FROM balances WHERE user_id = %s", (A,))
    db.execute("DELETE FROM users WHERE user_id = %s", (A,))
    [repair] = repair_balances(db)
    assert not repair.user_row
    assert amounts(db) == {A: Decimal("5.00")}
    assert db.fetch_one("SELECT count(*) FROM users WHERE user_id = %s", (A,)) == (1,)


def test_a_ledger_short_of_what_is_held_is_left_for_a_person(db, balances, caplog):
    balances.credit(A, "10.00")
    balances.hold(A, "10.00")
    db.execute("DELETE FROM payment_transactions WHERE user_id = %s", (A,))  # the record damaged
    [repair] = repair_balances(db)
    assert (repair.rebuilt, repair.repairable) == (Decimal("-10.00"), False)
    assert amounts(db) == {A: Decimal("0.00")}  # untouched: no balance is negative
    assert "balance of user 801 not repaired: ledger 0 less held 10.00" in caplog.text


def test_money_moving_during_the_repair_waits_for_it(db, balances, db_settings):
    """A hold half done when the repair starts: the repair waits for it and counts it.
    Without the lock the repair would write ledger − held of before the hold over the
    hold's balance, and balance + held would exceed the ledger by the hold."""
    balances.credit(A, "100.00")
    db.execute("UPDATE balances SET balance_rub = 50 WHERE user_id = %s", (A,))  # to repair
    holding = connect_once(db_settings)
    holding.autocommit = False
    with holding.cursor() as tx:
        Balances(db, UserCache()).hold(A, "30.00", reason="in flight", cur=tx)  # not committed
        done = []
        repair = threading.Thread(target=lambda: done.append(repair_balances(db)))
        repair.start()
        deadline = time.monotonic() + 10
        while not db.fetch_one("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")[0]:
            assert time.monotonic() < deadline, "the repair did not wait for the hold"
            time.sleep(0.02)
        assert not done
    holding.commit()
    holding.close()
    repair.join(10)
    assert [r.rebuilt for r in done[0]] == [Decimal("70.00")]
    assert Balances(db, UserCache()).summary(A) == (Decimal("70.00"), Decimal("30.00"))
    assert ledger_differences(db) == []


# -- the command ------------------------------------------------------------------------

def test_the_command_shows_a_dry_run_then_applies_it(db, balances, db_settings, tmp_path):
    some_money(balances)
    before = amounts(db)
    db.execute("DROP TABLE balances")
    env = base_env(DATABASE_URL=url_for(db_settings))
    migrate = run_cli("migrate", env=env, cwd=tmp_path)
    assert "recreated table balances" in migrate.stdout
    assert "genbot repair-balances" in migrate.stdout

    dry = run_cli("repair-balances", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "user 801: 0.00 → 100.00  (ledger 130.00 − held 30.00)",
        "user 802: 0.00 → 40.00  (ledger 40.00 − held 0.00)",
        "dry run: 2 balance(s) differ from the ledger; nothing changed. Rebuild 2 from the "
        "ledger with: genbot repair-balances --apply"]
    assert amounts(db)[A] == Decimal("0.00")
    as_json = json.loads(run_cli("repair-balances", "--json", env=env, cwd=tmp_path).stdout)
    assert (as_json["applied"], as_json["differences"], as_json["repaired"]) == (False, 2, 0)
    assert as_json["repairs"][0] == {"user_id": A, "balance": "0.00", "held": "30.00",
                                     "ledger": "130.00", "rebuilt": "100.00", "repairable": True}

    applied = run_cli("repair-balances", "--apply", env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[-1] == "repaired 2 balance(s) from the ledger"
    assert "WARNING genbot.balances" in applied.stderr
    assert "balance of user 802 repaired from the ledger: 0.00 -> 40.00" in applied.stderr
    assert amounts(db) == before
    again = run_cli("repair-balances", "--apply", env=env, cwd=tmp_path)
    assert again.stdout.strip() == ("every balance matches the ledger (balance + held = ledger): "
                                    "nothing to repair")


def test_the_command_says_what_a_person_must_look_at_exit_1(db, balances, db_settings, tmp_path):
    balances.credit(A, "10.00")
    balances.hold(A, "10.00")
    db.execute("DELETE FROM payment_transactions WHERE user_id = %s", (A,))
    result = run_cli("repair-balances", "--apply", env=base_env(DATABASE_URL=url_for(db_settings)),
                     cwd=tmp_path)
    assert result.returncode == 1
    assert "user 801: 0.00, NOT REPAIRABLE: ledger 0.00 − held 10.00 is -10.00" in result.stdout
    assert result.stdout.splitlines()[-1] == ("repaired 0 balance(s) from the ledger; 1 left for "
                                              "a person (above)")


def test_without_the_balances_table_the_command_names_migrate(db, db_settings, tmp_path):
    db.execute("DROP TABLE balances")
    result = run_cli("repair-balances", env=base_env(DATABASE_URL=url_for(db_settings)), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == ('genbot: relation "balances" does not exist: bring the schema '
                                     'back with `genbot migrate`, then run this again')
