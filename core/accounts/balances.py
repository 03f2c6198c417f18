"""Balances: the only code that moves money.

Amounts are ``Decimal`` roubles with two places. Every change happens in one
transaction together with its ledger row in ``payment_transactions`` (signed:
top-ups, refunds and referral rewards positive, deductions negative), so at every
moment, for every user::

    balance_rub + money held in reservations == sum(payment_transactions.amount_rub)

A balance never goes negative: debits and holds are conditional updates, and the
table carries a CHECK constraint besides. Reservations move only from ``held`` to
``captured`` or ``released``, once, so a repeated capture or release does nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import psycopg2.errors

from core.accounts.users import UserCache, ensure_user_id
from core.db import Database, in_transaction

log = logging.getLogger("genbot.balances")

CENT = Decimal("0.01")
_PLAIN_DECIMAL = re.compile(r"^[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})$")
MAX_AMOUNT = Decimal("99999999.99")  # DECIMAL(10, 2)
# The sign each ledger kind carries in payment_transactions.amount_rub.
LEDGER_SIGNS = {"topup": 1, "refund": 1, "referral": 1, "deduction": -1}


# The tables paid work needs: a hold, its capture or release, and the ledger.
MONEY_TABLES = ("balances", "balance_reservations", "payment_transactions")


def tables_present_columns(tables) -> str:
    """Columns that fail to plan, naming the first missing table, unless every one of
    ``tables`` exists; they read no row."""
    return ", ".join(f"(SELECT 1 FROM {_identifier(name)} LIMIT 0)" for name in tables)


def _identifier(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a table name: {name!r}")
    return name


MONEY_TABLES_COLUMNS = tables_present_columns(MONEY_TABLES)


# A payment's row, made only the first time its (source, external_id) is seen.
_CLAIM_PAYMENT = ("INSERT INTO payments (source, external_id, user_id, amount_rub, currency, total_amount) "
                  "VALUES (%(source)s, %(external_id)s, %(user_id)s, %(amount)s, %(currency)s, %(total)s) "
                  "ON CONFLICT (source, external_id) DO NOTHING RETURNING 1")

class InvalidAmount(ValueError):
    """Not a positive amount of roubles with at most two decimal places."""


class InsufficientFunds(Exception):
    def __init__(self, balance: Decimal, needed: Decimal):
        super().__init__(f"balance {balance} is less than {needed}")
        self.balance = balance
        self.needed = needed


@dataclass(frozen=True)
class Reservation:
    id: int
    user_id: int
    amount: Decimal
    status: str


@dataclass(frozen=True)
class BalanceChange:
    """What balance-change listeners hear about, after the transaction committed."""

    user_id: int
    amount: Decimal  # signed, as in the ledger
    kind: str
    reason: str | None
    balance: Decimal


@dataclass(frozen=True)
class LedgerEntry:
    """A row of payment_transactions, as the user's balance screen shows it."""

    amount: Decimal  # signed
    kind: str  # topup, deduction, refund, referral
    reason: str | None
    created_at: object


def to_money(value) -> Decimal:
    """A positive amount of roubles, or ``InvalidAmount`` saying what is wrong."""
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidAmount("amount must be a decimal string or Decimal, not a float")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip()
        # Plain ASCII decimals only: no exponents, no NaN, no digits of other scripts.
        if not _PLAIN_DECIMAL.match(text):
            raise InvalidAmount("amount is not a plain decimal number like 150 or 99.90")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount("amount is not a number") from None
    if not amount.is_finite():
        raise InvalidAmount("amount is not a finite number")
    if amount <= 0:
        raise InvalidAmount("amount must be greater than zero")
    if amount > MAX_AMOUNT:
        raise InvalidAmount(f"amount must not exceed {MAX_AMOUNT}")
    if amount != amount.quantize(CENT):
        raise InvalidAmount("amount has more than two decimal places")
    return amount.quantize(CENT)


def _part_of_hold(amount) -> Decimal:
    """A captured part: like ``to_money``, but 0 (nothing used) is allowed."""
    if isinstance(amount, Decimal) and amount == 0:
        return Decimal("0.00")
    return to_money(amount)


class UserMissing(Exception):
    """The user cache said yes but the row is gone (table rebuilt): write it and retry."""


class Balances:
    """Balance operations for one database; ``listeners`` hear of committed changes."""

    def __init__(self, db: Database, users: UserCache, listeners=None):
        self.db = db
        self.users = users
        self.listeners = list(listeners or [])

    # -- reading -------------------------------------------------------------------

    def get(self, user_id: int, *, cur=None, for_update: bool = False) -> Decimal:
        """The user's balance (0.00 without a row). ``for_update`` also locks the balance
        row until ``cur``'s transaction ends, so what is read stays true until the caller
        moves money by it (a reward taken back up to what is left)."""
        if for_update and cur is None:
            raise ValueError("a balance read for update needs the caller's transaction (cur=tx)")
        with in_transaction(self.db, cur) as tx:
            tx.execute("SELECT COALESCE(balance_rub, 0) FROM balances WHERE user_id = %s"
                       + (" FOR UPDATE" if for_update else ""), (user_id,))
            row = tx.fetchone()
        return row[0] if row else Decimal("0.00")

    def summary(self, user_id: int) -> tuple[Decimal, Decimal]:
        """(balance, held) in one query."""
        row = self.db.fetch_one(
            "SELECT COALESCE((SELECT balance_rub FROM balances WHERE user_id = %(u)s), 0), "
            "COALESCE((SELECT SUM(amount_rub) FROM balance_reservations "
            "WHERE user_id = %(u)s AND status = 'held'), 0)", {"u": user_id})
        return row[0], row[1]

    def recent_changes(self, user_id: int, limit: int = 5) -> list[LedgerEntry]:
        """The user's last balance changes, newest first, as the ledger has them.

        The seed gives payment_transactions no index on user_id (and the seed's indexes
        are kept exactly), so this reads the ledger backwards by id until it has
        ``limit`` rows of the user: quick for anyone who paid or generated lately."""
        rows = self.db.fetch_all(
            "SELECT amount_rub, type, reason, created_at::timestamptz FROM payment_transactions "
            "WHERE user_id = %s ORDER BY id DESC LIMIT %s", (user_id, limit))
        return [LedgerEntry(*row) for row in rows]

    def reservation(self, reservation_id: int, *, cur=None) -> Reservation | None:
        with in_transaction(self.db, cur) as tx:
            tx.execute("SELECT id, user_id, amount_rub, status FROM balance_reservations "
                       "WHERE id = %s", (reservation_id,))
            row = tx.fetchone()
        return Reservation(*row) if row else None

    def check_tables(self, *, cur=None, tables=MONEY_TABLES) -> None:
        """Raise ``UndefinedTable`` (naming it) unless every one of ``tables`` is there
        (by default those paid work needs; the payments plugin asks for those a top-up's
        credit writes): work that moves money is refused up front rather than run free
        or lost."""
        columns = MONEY_TABLES_COLUMNS if tables == MONEY_TABLES else tables_present_columns(tables)
        with in_transaction(self.db, cur) as tx:
            tx.execute("SELECT " + columns)

    # -- moving money ----------------------------------------------------------------

    def credit(self, user_id: int, amount, *, kind: str = "topup", reason: str | None = None,
               cur=None) -> Decimal:
        """Add money (top-up, refund, referral reward). Returns the new balance."""
        amount = to_money(amount)
        if LEDGER_SIGNS.get(kind) != 1:
            raise ValueError(f"credit kind must be one of topup, refund, referral, not {kind!r}")
        return self._change(user_id, amount, kind, reason, cur)

    def credit_payment(self, user_id: int, amount, *, source: str, external_id: str,
                       currency: str = "RUB", total_amount: int | None = None) -> Decimal | None:
        """Credit a real payment once per ``(source, external_id)``: the new balance, or
        None if that payment was credited before.

        The payment's row (unique on ``source, external_id``), the balance (its row made
        if missing) and the ledger row are one statement: they commit together or not at
        all, in a single round trip. A concurrent duplicate waits on the unique index
        until the first commits, then finds the row and credits nothing.
        """
        amount = to_money(amount)
        reason = f"{source} payment {external_id}"[:200]
        sql = (f"WITH claimed AS ({_CLAIM_PAYMENT}), moved AS ("
               "INSERT INTO balances (user_id, balance_rub) "
               "SELECT %(user_id)s, %(amount)s WHERE EXISTS (SELECT 1 FROM claimed) "
               "ON CONFLICT (user_id) DO UPDATE SET "
               "balance_rub = COALESCE(balances.balance_rub, 0) + EXCLUDED.balance_rub, "
               "updated_at = NOW() RETURNING balance_rub), logged AS ("
               "INSERT INTO payment_transactions (user_id, amount_rub, type, reason) "
               "SELECT %(user_id)s, %(amount)s, %(kind)s, %(reason)s WHERE EXISTS (SELECT 1 FROM moved)) "
               "SELECT (SELECT balance_rub FROM moved)")
        params = {"source": source, "external_id": external_id, "currency": currency,
                  "total": total_amount, "user_id": user_id, "amount": amount, "kind": "topup",
                  "reason": reason}
        ensure_user_id(self.db, self.users, user_id)
        try:
            balance = self.db.fetch_one(sql, params)[0]
        except psycopg2.errors.ForeignKeyViolation:  # the cache outlived the user's row
            self.users.forget(user_id)
            ensure_user_id(self.db, self.users, user_id, force=True)
            balance = self.db.fetch_one(sql, params)[0]
        # Imported here: the counters must be made after `genbot serve` sets
        # PROMETHEUS_MULTIPROC_DIR, and the CLI imports this module before that.
        from core.metrics import PAYMENTS
        PAYMENTS.labels(source, "duplicate" if balance is None else "credited").inc()
        if balance is not None:
            self._notify(BalanceChange(user_id, amount, "topup", reason, balance), None)
        return balance

    def debit(self, user_id: int, amount, *, kind: str = "deduction", reason: str | None = None,
              cur=None) -> Decimal:
        """Take money, or raise ``InsufficientFunds``. Returns the new balance."""
        amount = to_money(amount)
        if LEDGER_SIGNS.get(kind) != -1:
            raise ValueError(f"debit kind must be deduction, not {kind!r}")
        return self._change(user_id, -amount, kind, reason, cur)

    def _change(self, user_id, delta: Decimal, kind, reason, cur) -> Decimal:
        def move(tx):
            balance = self._shift_balance(tx, user_id, delta)
            tx.execute("INSERT INTO payment_transactions (user_id, amount_rub, type, reason) "
                       "VALUES (%s, %s, %s, %s)", (user_id, delta, kind, reason))
            return balance

        balance = self._run(user_id, move, cur)
        self._notify(BalanceChange(user_id, delta, kind, reason, balance), cur)
        return balance

    def hold(self, user_id: int, amount, *, reason: str | None = None,
             key: str | None = None, cur=None) -> Reservation:
        """Set money aside for paid work. With ``key``, a repeat returns the first hold."""
        amount = to_money(amount)

        def reserve(tx):
            tx.execute(
                "INSERT INTO balance_reservations (user_id, amount_rub, reason, idempotency_key) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (idempotency_key) DO NOTHING "
                "RETURNING id", (user_id, amount, reason, key))
            row = tx.fetchone()
            if row is None:  # this key already holds money: never hold twice
                tx.execute("SELECT id, user_id, amount_rub, status FROM balance_reservations "
                           "WHERE idempotency_key = %s", (key,))
                return Reservation(*tx.fetchone())
            self._shift_balance(tx, user_id, -amount)
            return Reservation(row[0], user_id, amount, "held")

        return self._run(user_id, reserve, cur)

    def capture(self, reservation_id: int, amount=None, *, cur=None) -> bool:
        """Turn a hold into a deduction: all of it, or ``amount`` of it and the rest back
        to the balance (never more than was held). False if it was already captured or
        released."""
        with in_transaction(self.db, cur) as tx:
            row = self._close_hold(tx, reservation_id, "captured")
            if row is None:
                return False
            user_id, held, reason = row
            taken = held if amount is None else min(held, _part_of_hold(amount))
            if taken < held:
                self._shift_balance(tx, user_id, held - taken)
            if taken > 0:
                tx.execute("INSERT INTO payment_transactions (user_id, amount_rub, type, reason) "
                           "VALUES (%s, %s, 'deduction', %s)", (user_id, -taken, reason))
            tx.execute("SELECT COALESCE(balance_rub, 0) FROM balances WHERE user_id = %s",
                       (user_id,))
            balance = tx.fetchone()[0]
        if taken > 0:
            self._notify(BalanceChange(user_id, -taken, "deduction", reason, balance), cur)
        return True

    def release(self, reservation_id: int, *, cur=None) -> bool:
        """Give held money back. False if it was already captured or released."""
        with in_transaction(self.db, cur) as tx:
            row = self._close_hold(tx, reservation_id, "released")
            if row is None:
                return False
            self._shift_balance(tx, row[0], row[1])
        return True

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _close_hold(tx, reservation_id: int, status: str):
        """Mark a hold captured or released, once: its (user_id, amount, reason), or None
        when it was no longer held (the row lock makes a second closer wait, then miss)."""
        tx.execute("UPDATE balance_reservations SET status = %s, updated_at = NOW() "
                   "WHERE id = %s AND status = 'held' RETURNING user_id, amount_rub, reason",
                   (status, reservation_id))
        return tx.fetchone()

    @staticmethod
    def _shift_balance(tx, user_id: int, delta: Decimal) -> Decimal:
        """Add ``delta`` (negative: take) to the balance, never below zero."""
        sql = ("UPDATE balances SET balance_rub = COALESCE(balance_rub, 0) + %(d)s, "
               "updated_at = NOW() WHERE user_id = %(u)s "
               "AND COALESCE(balance_rub, 0) + %(d)s >= 0 RETURNING balance_rub")
        tx.execute(sql, {"d": delta, "u": user_id})
        row = tx.fetchone()
        if row is not None:
            return row[0]
        tx.execute("SELECT COALESCE(balance_rub, 0) FROM balances WHERE user_id = %s",
                   (user_id,))
        current = tx.fetchone()
        if current is None:
            raise UserMissing(f"user {user_id} has no balance row")
        raise InsufficientFunds(current[0], -delta)

    def _run(self, user_id: int, work, cur):
        """Run ``work(tx)`` for a user that surely exists, whatever the cache believed."""
        ensure_user_id(self.db, self.users, user_id, cur=cur)
        if cur is not None:  # the caller's transaction cannot be retried from here
            return work(cur)
        try:
            with self.db.transaction() as tx:
                return work(tx)
        except (UserMissing, psycopg2.errors.ForeignKeyViolation):
            self.users.forget(user_id)
            ensure_user_id(self.db, self.users, user_id, force=True)
            with self.db.transaction() as tx:
                return work(tx)

    def _notify(self, change: BalanceChange, cur) -> None:
        """Tell the listeners once the change is committed: inside a caller's
        transaction (``cur``), only when and if that transaction commits."""
        def tell():
            for listener in self.listeners:
                try:
                    listener(change)
                except Exception:
                    log.exception("balance-change listener %r failed for user %s",
                                  getattr(listener, "__name__", listener), change.user_id)

        if cur is None:
            tell()
        else:
            cur.after_commit(tell)


def ledger_differences(db: Database, limit: int = 100) -> list[tuple[int, Decimal, Decimal, Decimal]]:
    """Users whose balance + held differs from their ledger: (user_id, balance, held, ledger)."""
    return db.fetch_all(
        """
        WITH held AS (
            SELECT user_id, SUM(amount_rub) AS held FROM balance_reservations
            WHERE status = 'held' GROUP BY user_id
        ), ledger AS (
            SELECT user_id, SUM(amount_rub) AS total FROM payment_transactions GROUP BY user_id
        )
        SELECT u.user_id, COALESCE(b.balance_rub, 0), COALESCE(h.held, 0), COALESCE(l.total, 0)
        FROM (SELECT user_id FROM balances UNION SELECT user_id FROM ledger
              UNION SELECT user_id FROM held) u
        LEFT JOIN balances b ON b.user_id = u.user_id
        LEFT JOIN held h ON h.user_id = u.user_id
        LEFT JOIN ledger l ON l.user_id = u.user_id
        WHERE COALESCE(b.balance_rub, 0) + COALESCE(h.held, 0) <> COALESCE(l.total, 0)
        ORDER BY u.user_id
        LIMIT %s
        """, (limit,))


# -- repairing balances from the ledger ------------------------------------------------
#
# The ledger is the record; a balance is derived from it: balance = SUM(ledger) − held.
# When `balances` was dropped and `genbot migrate` rebuilt it, every row reads 0 while
# the ledger keeps the history; `repair_balances` writes each derived value back. It
# moves no money and writes no ledger row: it rebuilds what the ledger already says.

# Every user whose balance row is missing, NULL or differs from the ledger less held.
_REPAIRS = """
WITH held AS (
    SELECT user_id, SUM(amount_rub) AS held FROM balance_reservations
    WHERE status = 'held' GROUP BY user_id
), ledger AS (
    SELECT user_id, SUM(amount_rub) AS total FROM payment_transactions GROUP BY user_id
)
SELECT u.user_id, b.balance_rub, COALESCE(h.held, 0), COALESCE(l.total, 0),
       EXISTS (SELECT 1 FROM users WHERE users.user_id = u.user_id)
FROM (SELECT user_id FROM balances UNION SELECT user_id FROM ledger
      UNION SELECT user_id FROM held) u
LEFT JOIN balances b ON b.user_id = u.user_id
LEFT JOIN held h ON h.user_id = u.user_id
LEFT JOIN ledger l ON l.user_id = u.user_id
WHERE b.user_id IS NULL OR b.balance_rub IS NULL
   OR b.balance_rub + COALESCE(h.held, 0) <> COALESCE(l.total, 0)
ORDER BY u.user_id
"""


@dataclass(frozen=True)
class BalanceRepair:
    """One user's balance beside what the ledger says it is."""

    user_id: int
    balance: Decimal | None  # None: no balance row (or a NULL one)
    held: Decimal
    ledger: Decimal
    user_row: bool = True  # False: the users row is missing too (written with the balance)

    @property
    def rebuilt(self) -> Decimal:
        """The balance the ledger gives: everything recorded, less what is held."""
        return (self.ledger - self.held).quantize(CENT)

    @property
    def repairable(self) -> bool:
        """A negative (or too large) result is no balance: a person has to look."""
        return Decimal("0") <= self.rebuilt <= MAX_AMOUNT

    def as_dict(self) -> dict:
        return {"user_id": self.user_id,
                "balance": None if self.balance is None else str(self.balance),
                "held": str(self.held), "ledger": str(self.ledger), "rebuilt": str(self.rebuilt),
                "repairable": self.repairable}


def balance_repairs(db: Database) -> list[BalanceRepair]:
    """What ``repair_balances`` would change, changing nothing (a dry run)."""
    return [BalanceRepair(*row) for row in db.fetch_all(_REPAIRS)]


def repair_balances(db: Database, *, attempts: int = 3) -> list[BalanceRepair]:
    """Rebuild every balance that differs from the ledger, in one transaction; returns
    what it found (those not ``repairable`` are left as they are).

    ``balances`` is locked in EXCLUSIVE mode first: every way money moves updates it
    (a credit, a debit, a hold, a release, a partial capture), so none can commit in
    between; a whole capture changes the ledger and the held sum by the same amount,
    which leaves ledger − held as it was. Reads go on meanwhile. Each change is logged at
    WARNING with the old and the new value, after the commit.
    """
    for attempt in range(attempts):
        try:
            with db.transaction() as tx:
                tx.execute("LOCK TABLE balances IN EXCLUSIVE MODE")
                tx.execute(_REPAIRS)
                found = [BalanceRepair(*row) for row in tx.fetchall()]
                for repair in found:
                    if repair.repairable:
                        _write_balance(tx, repair)
            break
        except psycopg2.errors.DeadlockDetected:
            # A user's row being written by a message at the same moment: try again.
            if attempt + 1 == attempts:
                raise
            log.warning("balance repair met a deadlock; trying again")
    for repair in found:
        if repair.repairable:
            log.warning("balance of user %s repaired from the ledger: %s -> %s (ledger %s, held %s)",
                        repair.user_id, "none" if repair.balance is None else repair.balance,
                        repair.rebuilt, repair.ledger, repair.held)
        else:
            log.error("balance of user %s not repaired: ledger %s less held %s is %s, no "
                      "balance; compare payment_transactions and balance_reservations",
                      repair.user_id, repair.ledger, repair.held, repair.rebuilt)
    return found


def _write_balance(tx, repair: BalanceRepair) -> None:
    if not repair.user_row:  # the users table was rebuilt: keep the row its balance needs
        tx.execute("INSERT INTO users (user_id) VALUES (%s) ON CONFLICT (user_id) DO NOTHING",
                   (repair.user_id,))
    tx.execute("INSERT INTO balances (user_id, balance_rub) VALUES (%s, %s) "
               "ON CONFLICT (user_id) DO UPDATE SET balance_rub = EXCLUDED.balance_rub, "
               "updated_at = NOW()", (repair.user_id, repair.rebuilt))
