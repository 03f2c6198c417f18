"""The connection pool and the transaction helper every query goes through.

psycopg2's ``ThreadedConnectionPool`` raises at once when it is exhausted and closes
every returned connection beyond ``minconn``; genbot instead waits for a free
connection up to ``wait_s`` and keeps up to ``maxconn`` connections open, so a burst
of traffic does not pay a new connection per request. A connection beyond
``minconn`` left idle for ``idle_s`` is closed, so the count follows the load back
down after a burst instead of staying at its peak.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool
import psycopg2.sql

from core import logs
from core.config import DatabaseSettings

log = logging.getLogger("genbot.db")

# The core's own tables (the plugins declare theirs): migrations make them, /readyz and
# doctor look for them.
CORE_TABLES = ("users", "balances", "balance_reservations", "payment_transactions",
               "processed_updates", "conversation_state", "generation_jobs", "free_usage",
               "payments", "idempotency_records")

# Errors that mean "the database is not there right now", as opposed to a bad query.
UNAVAILABLE_ERRORS = (psycopg2.OperationalError, psycopg2.InterfaceError)
# ... or a table is missing: the answer is the seed's "База временно недоступна" all the same.
DEGRADED_ERRORS = UNAVAILABLE_ERRORS + (psycopg2.errors.UndefinedTable,)


class PoolTimeout(psycopg2.OperationalError):
    """Every connection stayed busy for the whole wait: the caller sees an outage."""


class _KeepAlivePool(psycopg2.pool.ThreadedConnectionPool):
    """Keeps healthy returned connections instead of closing those beyond minconn; closes
    the ones beyond ``keep`` that stayed idle for ``idle_s``."""

    def __init__(self, minconn: int, maxconn: int, *, keep: int, idle_s: float, **connect_kwargs):
        self.keep, self.idle_s = keep, idle_s
        self._idle_since: dict[int, float] = {}
        super().__init__(minconn, maxconn, **connect_kwargs)

    def _connect(self, key=None):
        try:
            return super()._connect(key)
        except psycopg2.OperationalError as exc:
            if "options" not in self._kwargs or "unsupported startup parameter" not in str(exc):
                raise
        # PgBouncer refuses the startup ``options`` that carry statement_timeout (a
        # session setting means nothing under transaction pooling): connect without
        # them, once and for all, and leave the timeout to the server.
        user = self._kwargs.get("user") or "genbot"
        log.warning("the database refused statement_timeout as a startup option (PgBouncer "
                    "does): connecting without it, so the server's statement_timeout applies; "
                    "set it there: ALTER ROLE %s SET statement_timeout = %s", user,
                    self._kwargs["options"].rpartition("=")[2])
        del self._kwargs["options"]
        return super()._connect(key)

    def _putconn(self, conn, key=None, close=False):
        if not close and not conn.closed:
            status = conn.info.transaction_status
            if status == psycopg2.extensions.TRANSACTION_STATUS_UNKNOWN:
                close = True
            elif status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                conn.rollback()
        # Behind PgBouncer in transaction mode a server connection may carry another
        # client's LISTEN (the job listener's, before it finds out): psycopg2 keeps every
        # notification it delivers, so a pooled connection would collect them forever.
        del conn.notifies[:]
        if close or conn.closed:
            self._idle_since.pop(id(conn), None)
            return super()._putconn(conn, key, close=True)
        if key is None:
            key = self._rused.get(id(conn))
        now = time.monotonic()
        self._idle_since[id(conn)] = now
        self._pool.append(conn)  # getconn takes from the end: the oldest idle sit in front
        del self._used[key]
        del self._rused[id(conn)]
        while len(self._pool) > self.keep and now - self._idle_since[id(self._pool[0])] > self.idle_s:
            oldest = self._pool.pop(0)
            del self._idle_since[id(oldest)]
            oldest.close()


class Database:
    """A bounded pool of connections with ``transaction()`` as the one way in."""

    def __init__(self, settings: DatabaseSettings, *, minconn: int = 5, maxconn: int = 20,
                 wait_s: float = 10.0, statement_timeout_ms: int = 30_000,
                 application_name: str = "genbot", idle_s: float = 60.0):
        self.settings = settings
        self.maxconn = maxconn
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(maxconn)
        self._busy = 0
        self._busy_lock = threading.Lock()
        kwargs = settings.connect_kwargs()
        kwargs.setdefault("connect_timeout", 5)
        kwargs["application_name"] = application_name
        kwargs["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
        kwargs["cursor_factory"] = self._counting_cursor()
        self.queries = 0  # statements sent, for benchmarks and /metrics
        # Connections are opened on demand; a database that is down at start-up must
        # not stop the process from coming up and answering.
        self._pool = _KeepAlivePool(0, maxconn, keep=minconn, idle_s=idle_s, **kwargs)
        self._warm(minconn)

    def _counting_cursor(self):
        database = self

        class CountingCursor(psycopg2.extensions.cursor):
            def execute(self, query, vars=None):
                database.queries += 1  # a racy += only ever undercounts a benchmark figure
                return super().execute(query, vars)

            def after_commit(self, callback) -> None:
                """Call ``callback()`` once this cursor's transaction has committed, and
                never if it rolls back (at once for a statement that commits itself)."""
                if self.connection.autocommit:
                    _call_isolated(callback)
                else:
                    self.__dict__.setdefault("_after_commit", []).append(callback)

        return CountingCursor

    def _warm(self, count: int) -> None:
        conns = []
        try:
            for _ in range(count):
                conns.append(self._pool.getconn())
        except UNAVAILABLE_ERRORS as exc:
            log.warning("database not reachable at start (%s): %s", self.settings.describe(),
                        logs.first_line(exc))
        finally:
            for conn in conns:
                self._pool.putconn(conn)

    @property
    def busy(self) -> int:
        """Connections handed out right now."""
        return self._busy

    @contextlib.contextmanager
    def connection(self, autocommit: bool = False):
        """A connection for the duration of the block; broken ones are thrown away."""
        if not self._slots.acquire(timeout=self.wait_s):
            raise PoolTimeout(
                f"database pool exhausted: all {self.maxconn} connections busy for {self.wait_s:g} s")
        with self._busy_lock:
            self._busy += 1
        conn = None
        broken = False
        try:
            conn = self._pool.getconn()
            conn.autocommit = autocommit
            yield conn
        except UNAVAILABLE_ERRORS:
            broken = True
            raise
        finally:
            if conn is not None:
                if autocommit and not conn.closed:
                    conn.autocommit = False
                self._pool.putconn(conn, close=broken or bool(conn.closed))
            with self._busy_lock:
                self._busy -= 1
            self._slots.release()

    @contextlib.contextmanager
    def transaction(self):
        """A cursor inside one transaction: committed on success, rolled back on error."""
        with self.connection() as conn:
            try:
                with conn.cursor() as cur:
                    yield cur
                conn.commit()
                for callback in cur.__dict__.pop("_after_commit", ()):
                    _call_isolated(callback)
            except BaseException:
                if not conn.closed:
                    try:
                        conn.rollback()
                    except UNAVAILABLE_ERRORS:
                        pass
                raise

    # One statement is its own transaction: in autocommit mode psycopg2 sends no
    # BEGIN/COMMIT around it, so it costs one round trip instead of three.

    @contextlib.contextmanager
    def _statement(self):
        with self.connection(autocommit=True) as conn, conn.cursor() as cur:
            yield cur

    def fetch_one(self, sql: str, params=None):
        with self._statement() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def fetch_all(self, sql: str, params=None):
        with self._statement() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def execute(self, sql: str, params=None) -> int:
        """Run one statement; returns the number of rows it touched."""
        with self._statement() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def close(self) -> None:
        try:
            self._pool.closeall()
        except psycopg2.pool.PoolError:
            pass


def _call_isolated(callback) -> None:
    """An after-commit callback's failure is logged: the transaction stands."""
    try:
        callback()
    except Exception:
        log.exception("after-commit callback %s failed", getattr(callback, "__name__", callback))


def connect_once(settings: DatabaseSettings, **extra):
    """A single autocommit connection outside the pool, for commands and probes."""
    kwargs = settings.connect_kwargs()
    kwargs.setdefault("connect_timeout", 5)
    kwargs.update(extra)
    conn = psycopg2.connect(**kwargs)
    conn.autocommit = True
    return conn


def listening_connection(settings: DatabaseSettings, channel: str, *, application_name: str):
    """A connection of its own, outside the pool, that has run ``LISTEN channel``.

    Its owner waits on it with ``select()``, then calls ``conn.poll()`` and takes
    ``conn.notifies``. No ``options`` (a PgBouncer refuses them; a listener runs no
    query to time out), and TCP keepalives, so a server gone without a word shows up as
    an error within about a minute rather than as silence.
    """
    conn = connect_once(settings, application_name=application_name, keepalives=1,
                        keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
    try:
        with conn.cursor() as cur:
            cur.execute(psycopg2.sql.SQL("LISTEN {}").format(psycopg2.sql.Identifier(channel)))
    except BaseException:
        conn.close()
        raise
    return conn


def query_once(settings: DatabaseSettings, sql: str, params=None) -> list | None:
    """Run one statement on a connection of its own (commands, tests, benchmarks).

    Returns its rows, or None for a statement that returns none.
    """
    conn = connect_once(settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None
    finally:
        conn.close()


@contextlib.contextmanager
def in_transaction(db: Database, cur=None):
    """Use the caller's transaction when given one, or open a new one."""
    if cur is not None:
        yield cur
    else:
        with db.transaction() as own:
            yield own


def despite_outage(what: str, limit_s: float, work):
    """``work()``, retried with backoff while the database is unreachable, for up to
    ``limit_s`` seconds; then the last error."""
    give_up = time.monotonic() + limit_s
    delay = 0.5
    while True:
        try:
            return work()
        except UNAVAILABLE_ERRORS as exc:
            if time.monotonic() + delay > give_up:
                raise
            log.warning("%s: database unavailable (%s); retrying in %.1f s", what,
                        logs.first_line(exc), delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
