"""Stars refunds that never guess.

A refund moves a ``payments`` row ``credited → refunding → refunded``:

1. One transaction marks the payment ``refunding`` and takes its roubles off the
   balance (with its ledger row). It commits before Telegram is called, so a crash
   from here on leaves a record of what was under way.
2. ``refundStarPayment``. ``True`` or ``CHARGE_ALREADY_REFUNDED``: ``refunded``. Any
   other error answer from Telegram (400, 403, …) is a definite no: the payment goes
   back to ``credited`` and the balance is restored. No answer at all (timeout, lost
   connection, 429, 5xx): nobody knows, so nothing is assumed — the payment stays
   ``refunding``.
3. ``settle_uncertain_refunds`` (startup cleanup, ``genbot cleanup``) reads Telegram's
   own record, ``getStarTransactions``, for the payments ``refunding`` for longer than
   ``refund_settle_after_s``: an outgoing transaction with the charge id means it was
   refunded; none means it was not, and the balance is restored. The user never keeps
   both the Stars and the roubles.

The record is read oldest first, by offset, 100 at a time, and says nothing of its
length; a busy bot's runs to hundreds of thousands. So cleanup reads only the end that
matters, within ``refund_reconcile_max_calls`` calls:

- A refund's transaction is dated after its payment turned ``refunding`` (that commit
  comes before the call), give or take the clocks of genbot's database and Telegram
  (``CLOCK_MARGIN_S``). The first transaction dated at or after the oldest pending
  refund's start, less the margin, is found by galloping forward over offsets and then
  halving: about 2·log2(n / 100) calls for a record of n.
- From there it reads to the end. Every refund it reads is settled at once, pending or
  not: its payment was ``refunding`` before the transaction existed.
- ``stars_record_position`` remembers what was read ([scan_from, read_to)) and the
  transaction at read_to - 1. The next cleanup checks the record still shows that
  transaction there and goes on from it: a few calls, not a search. A record that no
  longer matches is searched afresh.
- "Not refunded" is said of a payment only when everything from its start (less the
  margin) to the end of the record has been read, in this cleanup or earlier ones, and
  only of the ``refunding`` it was when read (``updated_at`` unchanged). What the bound,
  a failed call or another process's claim left unread gets no verdict: the payment
  stays ``refunding`` (the log says why; doctor warns) until a later cleanup reads on.
- One cleanup reads at a time (a claim renewed before each call, like a delivery's);
  every settlement is a conditional update besides, so two never settle a payment twice.

A payment under review (never credited) refunds the same way with no balance to move.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg2.errors
from telebot.apihelper import ApiTelegramException

from genbot import InsufficientFunds, PaymentEvent, first_line
from plugins.payments.credit import announce

log = logging.getLogger("genbot.plugins.payments")

PAGE = 100  # getStarTransactions' largest page
CALL_TIMEOUT_S = 10.0  # one getStarTransactions call at most
# How far Telegram's clock may be behind the database's: a refund's transaction is
# looked for from this long before its payment turned ``refunding``.
CLOCK_MARGIN_S = 300
_CLAIM_S = CALL_TIMEOUT_S + 30  # a claim outlives one call; a crashed reader's lapses soon
_PENDING_LIMIT = 500


def refund_stars(app, charge_id: str, *, from_status: str = "credited", timeout_s: float = 10.0) -> str:
    """Refund a Stars payment once: 'refunded', 'already', 'unknown', 'spent', 'failed'
    (Telegram said no: nothing changed) or 'uncertain' (no answer: cleanup settles it)."""
    try:
        with app.db.transaction() as tx:
            tx.execute("UPDATE payments SET status = 'refunding', updated_at = NOW() "
                       "WHERE source = 'stars' AND external_id = %s AND status = %s "
                       "RETURNING user_id, amount_rub", (charge_id, from_status))
            row = tx.fetchone()
            if row is None:
                tx.execute("SELECT 1 FROM payments WHERE source = 'stars' AND external_id = %s",
                           (charge_id,))
                return "unknown" if tx.fetchone() is None else "already"
            user_id, amount = row
            if amount is not None and from_status == "credited":
                app.balances.debit(user_id, amount, reason=f"refund of Stars payment {charge_id}",
                                   cur=tx)
    except InsufficientFunds:
        return "spent"  # the whole transaction rolled back: the payment stays credited
    try:
        app.telegram.call("refundStarPayment", {"user_id": user_id, "telegram_payment_charge_id":
                                                charge_id, "timeout": timeout_s})
    except ApiTelegramException as exc:
        if "CHARGE_ALREADY_REFUNDED" in str(exc.description):
            finish_refund(app, charge_id)
            return "refunded"
        if exc.error_code == 429 or exc.error_code >= 500:
            return _uncertain(charge_id, exc)
        log.error("refundStarPayment %s refused: %s; the payment stays credited", charge_id,
                  exc.description)
        undo_refund(app, charge_id, f"Telegram refused the refund: {exc.description}")
        return "failed"
    except Exception as exc:  # timeout, lost connection, a 502 page: the outcome is unknown
        return _uncertain(charge_id, exc)
    finish_refund(app, charge_id)
    return "refunded"


def _uncertain(charge_id: str, exc: Exception) -> str:
    log.error("refundStarPayment %s: no clear answer (%s); the payment stays 'refunding' until "
              "cleanup reads Telegram's record (genbot cleanup)", charge_id, first_line(exc))
    return "uncertain"


def finish_refund(app, charge_id: str) -> bool:
    """``refunding`` → ``refunded``; plugins hear of it (a referral reward is taken back)."""
    row = app.db.fetch_one("UPDATE payments SET status = 'refunded', updated_at = NOW() "
                           "WHERE source = 'stars' AND external_id = %s AND status = 'refunding' "
                           "RETURNING user_id, amount_rub", (charge_id,))
    if row is None:
        return False
    log.info("Stars payment %s refunded", charge_id)
    if row[1] is not None:
        announce(app, "payment_refunded", PaymentEvent("stars", charge_id, row[0], row[1], "refunded"))
    return True


def undo_refund(app, charge_id: str, why: str, *, refunding_since: datetime | None = None) -> bool:
    """The refund did not happen: back to what the payment was, the balance restored.
    With ``refunding_since``, only the refund that started then (not a later attempt)."""
    with app.db.transaction() as tx:
        tx.execute("UPDATE payments SET updated_at = NOW(), status = CASE WHEN amount_rub IS NULL "
                   "THEN 'review' ELSE 'credited' END WHERE source = 'stars' AND external_id = %s "
                   "AND status = 'refunding' AND (%s::timestamptz IS NULL OR updated_at = %s) "
                   "RETURNING user_id, amount_rub", (charge_id, refunding_since, refunding_since))
        row = tx.fetchone()
        if row is None:
            return False
        if row[1] is not None:
            app.balances.credit(row[0], row[1], kind="refund",
                                reason=f"Stars refund {charge_id} did not happen: {why}"[:200], cur=tx)
    log.warning("Stars payment %s was not refunded (%s): balance restored", charge_id, why)
    return True


# -- reading Telegram's record ------------------------------------------------------------

class _Unread(Exception):
    """Reading stopped before the end of the record; the message says why."""


@dataclass
class _Position:
    """What ``stars_record_position`` says was read (see the module docstring)."""
    scan_after: float  # unix time
    scan_from: int
    read_to: int
    last_id: str | None = None
    last_date: float | None = None


class _Reader:
    """getStarTransactions under this cleanup's claim, at most ``max_calls`` calls."""

    def __init__(self, app, bot_id: int, max_calls: int):
        self.app, self.bot_id, self.max_calls = app, bot_id, max_calls
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.calls = 0
        self.settled = 0  # payments this reading settled
        self.known: _Position | None = None  # what earlier cleanups read

    def claim(self) -> bool:
        """Whether this cleanup may read (no other is); ``known`` is then what was read."""
        self.app.db.execute("INSERT INTO stars_record_position (bot_id) VALUES (%s) "
                            "ON CONFLICT (bot_id) DO NOTHING", (self.bot_id,))
        row = self.app.db.fetch_one(
            "UPDATE stars_record_position SET claimed_by = %s, "
            "claimed_until = NOW() + make_interval(secs => %s) WHERE bot_id = %s "
            "AND (claimed_until IS NULL OR claimed_until < NOW()) RETURNING EXTRACT(EPOCH FROM "
            "scan_after), scan_from, read_to, last_id, EXTRACT(EPOCH FROM last_date)",
            (self.owner, _CLAIM_S, self.bot_id))
        if row is None:
            return False
        if row[0] is not None and row[2] is not None:
            self.known = _Position(float(row[0]), row[1], row[2], row[3],
                                   float(row[4]) if row[4] is not None else None)
        return True

    def release(self) -> None:
        self.app.db.execute("UPDATE stars_record_position SET claimed_by = NULL, claimed_until = NULL "
                            "WHERE bot_id = %s AND claimed_by = %s", (self.bot_id, self.owner))

    def _renew(self) -> None:
        if self.app.db.execute("UPDATE stars_record_position SET claimed_until = NOW() + "
                               "make_interval(secs => %s) WHERE bot_id = %s AND claimed_by = %s",
                               (_CLAIM_S, self.bot_id, self.owner)) != 1:
            raise _Unread("another cleanup took over reading the record")

    def page(self, offset: int) -> list[dict]:
        if self.calls >= self.max_calls:
            raise _Unread(f"the bound of {self.max_calls} getStarTransactions calls per cleanup "
                          "(refund_reconcile_max_calls) was reached")
        self._renew()
        self.calls += 1
        try:
            result = self.app.telegram.call("getStarTransactions", {
                "offset": offset, "limit": PAGE, "timeout": CALL_TIMEOUT_S})
        except Exception as exc:
            raise _Unread(f"getStarTransactions at offset {offset} failed: {first_line(exc)}") from exc
        return list((result or {}).get("transactions") or [])

    def save(self, position: _Position) -> None:
        if self.app.db.execute(
                "UPDATE stars_record_position SET scan_after = to_timestamp(%s), scan_from = %s, "
                "read_to = %s, last_id = %s, last_date = to_timestamp(%s), updated_at = NOW() "
                "WHERE bot_id = %s AND claimed_by = %s",
                (position.scan_after, position.scan_from, position.read_to, position.last_id,
                 position.last_date, self.bot_id, self.owner)) != 1:
            raise _Unread("another cleanup took over reading the record")


def _date(transaction: dict) -> float:
    return float(transaction.get("date") or 0)


def _seek(reader: _Reader, after: float, lo: int = 0) -> tuple[int, list[dict] | None, bool]:
    """The offset of the first transaction dated at or after ``after`` (or of the end),
    everything before ``lo`` being older: galloping forward, then halving. Returns it with
    the transactions from there that the last call already gave (or None), and whether
    that page was full (more may follow)."""
    hi: int | None = None  # the answer is at or before hi
    held: tuple[int, list[dict]] | None = None  # a page read at hi
    gap = 0
    while hi is None or lo < hi:
        offset = lo + gap if hi is None else (lo if hi - lo <= PAGE else (lo + hi) // 2)
        page = reader.page(offset)
        if not page or _date(page[0]) >= after:
            hi, held = offset, (offset, page)
        elif _date(page[-1]) < after and len(page) == PAGE:
            lo = offset + PAGE
        else:  # the answer is on this page, or the record ends on it
            first = next((i for i, t in enumerate(page) if _date(t) >= after), len(page))
            return offset + first, page[first:], len(page) == PAGE
        gap = max(gap * 2, PAGE)
    if held is not None and held[0] == hi:
        return hi, held[1], len(held[1]) == PAGE
    return hi, None, True


def _start(reader: _Reader, known: _Position | None, after: float):
    """Where this cleanup reads from: (the position to extend, the transactions in hand
    from its read_to, whether more may follow them)."""
    if known is not None and after >= known.scan_after and known.last_id is not None:
        page = reader.page(known.read_to - 1)
        if page and str(page[0].get("id")) == known.last_id and _date(page[0]) == known.last_date:
            rest = page[1:]
            if len(page) == PAGE and _date(page[-1]) < after:
                # Nothing read since matters to the refunds pending now: jump ahead.
                offset, held, more = _seek(reader, after, known.read_to - 1 + PAGE)
                return _Position(after, offset, offset), held, more
            return known, rest, len(page) == PAGE
        log.warning("Telegram's Stars record no longer shows %s at offset %d: searching it afresh",
                    known.last_id, known.read_to - 1)
    offset, held, more = _seek(reader, after)
    return _Position(after, offset, offset), held, more


def _read_to_end(app, reader: _Reader, position: _Position, held, more: bool) -> None:
    """Read on from ``position.read_to`` to the end, settling every refund read and
    saving the position after each page; raises _Unread if the end was not reached."""
    while True:
        page = held if held is not None else reader.page(position.read_to)
        if held is None:
            more = len(page) == PAGE
        held = None
        reader.settled += _settle_refunds_in(app, page)
        if page:
            position.read_to += len(page)
            position.last_id, position.last_date = str(page[-1].get("id")), _date(page[-1])
        reader.save(position)
        if not more:
            return


def _settle_refunds_in(app, transactions: list[dict]) -> int:
    """Telegram refunded these: each of our payments still ``refunding`` becomes
    ``refunded`` (its ``refunding`` committed before the refund was asked for)."""
    charge_ids = [str(t.get("id")) for t in transactions
                  if (t.get("receiver") or {}).get("type") == "user"]
    if not charge_ids:
        return 0
    settled = 0
    for charge_id, status in app.db.fetch_all(
            "SELECT external_id, status FROM payments WHERE source = 'stars' AND external_id = ANY(%s)",
            (charge_ids,)):
        if status == "refunding":
            settled += finish_refund(app, charge_id)
        elif status != "refunded":
            log.warning("Telegram's record shows Stars payment %s refunded, but genbot has it %s: "
                        "the user may hold both the Stars and the roubles (an admin decides)",
                        charge_id, status)
    return settled


# -- settling ---------------------------------------------------------------------------------

def settle_uncertain_refunds(app, settle_after_s: float, max_calls: int = 50) -> int:
    """Settle the refunds left ``refunding`` from Telegram's record, within ``max_calls``
    getStarTransactions calls; returns how many payments were settled."""
    pending = app.db.fetch_all(
        "SELECT external_id, updated_at, EXTRACT(EPOCH FROM updated_at) FROM payments "
        "WHERE source = 'stars' AND status = 'refunding' "
        "AND updated_at < NOW() - make_interval(secs => %s) ORDER BY updated_at, id LIMIT %s",
        (settle_after_s, _PENDING_LIMIT))
    if not pending:
        return 0
    after = float(min(row[2] for row in pending)) - CLOCK_MARGIN_S
    reader = _Reader(app, app.bot_id, max(int(max_calls), 1))
    try:
        claimed = reader.claim()
    except psycopg2.errors.UndefinedTable:
        log.error("table stars_record_position missing (run genbot migrate): %d Stars refund(s) "
                  "stay 'refunding'", len(pending))
        return 0
    if not claimed:
        _left(app, pending, "another cleanup is reading Telegram's record", None)
        return 0
    position = None
    try:
        position, held, more = _start(reader, reader.known, after)
        _read_to_end(app, reader, position, held, more)
    except _Unread as why:
        _left(app, pending, str(why), position)
        return reader.settled
    finally:
        reader.release()
    settled = reader.settled
    for charge_id, since, _epoch in pending:  # read from before each one's start to the end
        settled += undo_refund(app, charge_id, "Telegram's record shows no refund",
                               refunding_since=since)
    log.info("Stars refunds: %d settled from Telegram's record, read to offset %d in %d call(s)",
             settled, position.read_to, reader.calls)
    return settled


def _left(app, pending, why: str, position: _Position | None) -> None:
    """Say which refunds stay ``refunding`` unjudged, and why."""
    left = [charge_id for (charge_id,) in app.db.fetch_all(
        "SELECT external_id FROM payments WHERE source = 'stars' AND status = 'refunding' "
        "AND external_id = ANY(%s) ORDER BY updated_at, id", ([row[0] for row in pending],))]
    if not left:
        log.info("Stars refunds: reading Telegram's record stopped (%s); none is left unsettled", why)
        return
    where = (f"; offsets {position.scan_from} to {position.read_to} are read, the next cleanup "
             "goes on from there") if position is not None else ""
    log.warning("%d Stars refund(s) stay 'refunding', their record not read to its end: %s%s (%s%s)",
                len(left), why, where, ", ".join(left[:10]), " …" if len(left) > 10 else "")
