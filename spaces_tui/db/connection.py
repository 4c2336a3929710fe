"""The database connections of one process, and transactions that carry the actor. Every
connection reads timestamps it cannot show as the far past or far future (clamp_timestamps).

The engine speaks to PostgreSQL through psycopg 3 alone: a command that books or lists makes a
handful of round trips and imports no ORM (SQLAlchemy loads only when Alembic migrates). A
connection carries its actor for the session; a transaction is BEGIN, its statements and
COMMIT, and a single write needs neither (Database.statements).

Every connection is made by Database.connect: a database that cannot be reached is
DatabaseUnavailable saying so, and the embedded server, found stopped, is started again there
(so the calendar's threads, its event listener and `spaces events --follow` come back by
themselves). A server named by URL is never started: it is only said to be unreachable.
"""

from __future__ import annotations

import select
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format, TransactionStatus
from psycopg.rows import RowMaker, no_result

from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.db.urls import libpq_url

# What the engine is handed inside a transaction: rows come back as named tuples (row.name,
# row[0], row._asdict()).
Connection = psycopg.Connection[Any]


@lru_cache(maxsize=256)
def _row_type(encoding: str, names: tuple[bytes, ...]) -> Any:
    # rename: a column named twice (count(*), count(*) FILTER ...) or not an identifier gets a
    # positional name, where psycopg's namedtuple_row refuses the whole result.
    return namedtuple("Row", [name.decode(encoding) for name in names], rename=True)


def named_rows(cursor: psycopg.Cursor[Any]) -> RowMaker[Any]:
    """psycopg row factory: each row a named tuple of its columns. The names are read from the
    result itself: cursor.description makes an object a column, every statement."""
    result = cursor.pgresult
    if result is None or not result.nfields:
        return no_result
    names = tuple(result.fname(i) or b"" for i in range(result.nfields))
    make: Callable[[Sequence[Any]], Any] = _row_type(cursor.connection.info.encoding, names)._make
    return make


# What a timestamp Python cannot hold is read as. The database keeps every period between 1900
# and 9999 by CHECK, but a row from before that rule may have an 'infinity', '-infinity', BC or
# year-10000 bound, which psycopg refuses to load ("timestamp too large"): one such row made
# every listing, check and calendar load that met it fail. These two are as far out as Python
# goes with a day to spare, so the instant can still be shown in any zone (no UTC offset is a
# day long); a reader sees such a row as starting 0001-01-02 or ending 9999-12-30.
FAR_PAST = datetime(1, 1, 2, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 30, tzinfo=UTC)
TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid


class _ClampedTimestamptz(Loader):
    """psycopg's own timestamptz loader (the C one where installed, which cannot be subclassed
    as psycopg's "Handling infinity date" recipe does, so it is wrapped), with values it refuses
    and values beyond FAR_PAST or FAR_FUTURE clamped to those."""

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        loader = psycopg.adapters.get_loader(oid, self.format)
        if loader is None:  # psycopg has one in either format; this is not reached
            raise RuntimeError(f"psycopg has no loader for type {oid}")
        self._load = loader(oid, context).load

    def load(self, data: Buffer) -> datetime:
        try:
            moment = self._load(data)
        except psycopg.DataError:
            return FAR_PAST if self._before_year_one(bytes(data)) else FAR_FUTURE
        return min(max(moment, FAR_PAST), FAR_FUTURE)

    @staticmethod
    def _before_year_one(data: bytes) -> bool:
        raise NotImplementedError


class _ClampedTimestamptzText(_ClampedTimestamptz):
    format = Format.TEXT

    @staticmethod
    def _before_year_one(data: bytes) -> bool:
        return data.startswith(b"-") or data.endswith(b"BC")  # '-infinity', '0044-03-15 ... BC'


class _ClampedTimestamptzBinary(_ClampedTimestamptz):
    format = Format.BINARY

    @staticmethod
    def _before_year_one(data: bytes) -> bool:
        return int.from_bytes(data, "big", signed=True) < 0  # microseconds since 2000, -infinity


def clamp_timestamps(conn: psycopg.Connection[Any]) -> None:
    """Makes conn read every timestamptz, and so every tstzrange bound, as one Python can hold
    and show: never an error that stops a reader over one row it cannot show."""
    conn.adapters.register_loader(TIMESTAMPTZ_OID, _ClampedTimestamptzText)
    conn.adapters.register_loader(TIMESTAMPTZ_OID, _ClampedTimestamptzBinary)


# How long a connection attempt waits for the embedded server to come back (it may still be
# shutting down when it is found gone) before saying it is unreachable.
RESTART_PATIENCE = 10.0
# Connections kept open between transactions: the calendar's worker threads reuse them; a
# command uses one.
KEPT_IDLE = 4


def unreachable(error: psycopg.OperationalError) -> DatabaseUnavailable:
    """What a failed connection attempt means to a person: the database cannot be reached."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return DatabaseUnavailable(f"the database is unreachable: {reason}")


class Database:
    """The configured database, used by one actor. Every transaction records who acts.

    start_server: for the embedded server, what starts it (when it is not running) and returns
    its URL; a connection attempt that fails calls it once and tries again. None for a server
    named by URL, which is never started."""

    def __init__(
        self, url: str, actor: str, *, start_server: Callable[[], str] | None = None
    ) -> None:
        self.url = libpq_url(url)
        self.actor = actor
        self.start_server = start_server
        self._idle: list[Connection] = []
        self._idle_lock = threading.Lock()
        self._carried: dict[Connection, str] = {}  # the actor each open connection carries

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection:
        """A new connection (the pool's, or one of its own). DatabaseUnavailable when the
        database cannot be reached, after starting the embedded server again if that is where
        it is and it has stopped."""
        try:
            return psycopg.connect(self.url, autocommit=autocommit)
        except psycopg.OperationalError as error:
            if self.start_server is None:
                raise unreachable(error) from error
        # A server that is shutting down (db stop from elsewhere, a crash) still looks like it
        # is running until its last process has gone: try again for a moment, starting it as
        # soon as it has stopped. EmbeddedServerError (a DatabaseUnavailable) when it cannot be
        # started.
        deadline = time.monotonic() + RESTART_PATIENCE
        while True:
            self.url = libpq_url(self.start_server())
            try:
                return psycopg.connect(self.url, autocommit=autocommit)
            except psycopg.OperationalError as error:
                if time.monotonic() >= deadline:
                    raise unreachable(error) from error
            time.sleep(0.2)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction that commits on success and rolls back on any error."""
        with self._in_transaction(b"BEGIN") as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one moment, however many queries it runs."""
        with self._in_transaction(b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") as conn:
            yield conn

    @contextmanager
    def statements(self) -> Iterator[Connection]:
        """A connection on which each statement is a transaction of its own (autocommit): for
        work that is one write, or reads that need not agree, it saves the round trips of BEGIN
        and COMMIT. A statement that fails has changed nothing."""
        conn = self._taken(b"")
        try:
            yield conn
        finally:
            self._keep_or_close(conn)

    @contextmanager
    def _in_transaction(self, begin: bytes) -> Iterator[Connection]:
        conn = self._taken(begin)
        try:
            yield conn
        except BaseException:
            self._end(conn, b"ROLLBACK")
            raise
        self._end(conn, b"COMMIT")

    def _taken(self, begin: bytes) -> Connection:
        """A kept connection, or a new one, that carries the actor; begin (BEGIN..., or
        nothing) sent first, with the actor's setting where that is needed, in one round trip."""
        conn, carried = self._kept() or (self._new(), None)
        statements = [begin] if begin else []
        if carried != self.actor:
            # Set for the session, not the transaction, so that statements() carries it too;
            # a transaction that acts for someone else (the demo) sets it LOCAL over this. After
            # the BEGIN: a setting before it would start the transaction (and then BEGIN could
            # no longer choose its isolation level); a ROLLBACK undoes it (see _end).
            set_actor = sql.SQL("SELECT set_config('spaces.actor', {}, false)")
            statements.append(set_actor.format(sql.Literal(self.actor)).as_bytes(conn))
        try:
            if statements:
                # No parameters: psycopg sends it in the simple protocol, both statements at once.
                conn.execute(b"; ".join(statements))
        except BaseException:  # the actor refused as a value (a NUL in it), an outage
            self._close(conn)
            raise
        self._carried[conn] = self.actor
        return conn

    def _kept(self) -> tuple[Connection, str | None] | None:
        """A kept connection that is still open, with the actor it carries. An idle connection
        has nothing to say, so one with something to read has heard the server end it (a
        restart, a shutdown, an idle timeout): it is closed, at no round trip's cost."""
        while True:
            with self._idle_lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if not conn.closed and not select.select([conn.fileno()], [], [], 0)[0]:
                return conn, self._carried.get(conn)
            self._close(conn)

    def _new(self) -> Connection:
        conn = self.connect(autocommit=True)
        conn.row_factory = named_rows
        clamp_timestamps(conn)
        return conn

    def _end(self, conn: Connection, end: bytes) -> None:
        """Ends conn's transaction with end (COMMIT or ROLLBACK) and keeps conn for the next
        one; a COMMIT's error (a deferred rule refusing) is the caller's, after conn is safe."""
        if end == b"ROLLBACK":
            self._carried.pop(conn, None)  # a session setting made in it is undone too
        try:
            if not conn.broken:
                conn.execute(end)
        finally:
            self._keep_or_close(conn)

    def _keep_or_close(self, conn: Connection) -> None:
        if conn.broken or conn.info.transaction_status != TransactionStatus.IDLE:
            self._close(conn)
            return
        with self._idle_lock:
            if len(self._idle) < KEPT_IDLE:
                self._idle.append(conn)
                return
        self._close(conn)

    def _close(self, conn: Connection) -> None:
        self._carried.pop(conn, None)
        conn.close()

    def _drop_idle(self) -> None:
        with self._idle_lock:
            stale, self._idle = self._idle, []
        for conn in stale:
            self._close(conn)

    def listen_connection(self) -> psycopg.Connection:
        """A dedicated autocommit connection for LISTEN, outside the pool."""
        conn = self.connect(autocommit=True)
        clamp_timestamps(conn)
        return conn

    def dispose(self) -> None:
        """Closes the kept connections (a transaction in progress keeps its own)."""
        self._drop_idle()


def one_row(cursor: psycopg.Cursor[Any]) -> Any:
    """The first row a statement returned: one it always returns (a RETURNING, an aggregate)."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the statement returned no row")
    return row


def first_value(cursor: psycopg.Cursor[Any]) -> Any:
    """The first column of the first row a statement returned: a function's result, a new id."""
    return one_row(cursor)[0]
