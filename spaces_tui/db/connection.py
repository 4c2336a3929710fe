"""One SQLAlchemy engine per process, and transactions that carry the actor. Every connection
the app makes reads timestamps it cannot show as the far past or far future (clamp_timestamps).

Every connection is made by Database.connect: a database that cannot be reached is
DatabaseUnavailable saying so, and the embedded server, found stopped, is started again there
(so the calendar's threads, its event listener and `spaces events --follow` come back by
themselves). A server named by URL is never started: it is only said to be unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from spaces_tui.db.errors import DatabaseUnavailable, InvalidDatabaseUrl

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


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        raise InvalidDatabaseUrl(f"cannot read the database URL {url!r}: {error}") from error
    if parsed.get_backend_name() != "postgresql":
        raise InvalidDatabaseUrl(
            f"{url!r} is not a PostgreSQL URL; use postgresql://USER@HOST/DATABASE"
        )
    return parsed


def sqlalchemy_url(url: str) -> str:
    """postgresql://... as libpq and psql take it, with the psycopg 3 driver for SQLAlchemy."""
    return _parse(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL as psql and psycopg take it: unchanged if it already is one (re-rendering would
    percent-encode a socket path), else without the SQLAlchemy driver name."""
    parsed = _parse(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


# How long a connection attempt waits for the embedded server to come back (it may still be
# shutting down when it is found gone) before saying it is unreachable.
RESTART_PATIENCE = 10.0


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
        self.engine: Engine = create_engine(
            sqlalchemy_url(url),
            creator=self.connect,
            pool_pre_ping=True,
            pool_size=2,
            max_overflow=4,
        )
        event.listen(self.engine, "connect", lambda conn, _record: clamp_timestamps(conn))

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
        with self.engine.begin() as conn:
            conn.execute(
                text("SELECT set_config('spaces.actor', :actor, true)"), {"actor": self.actor}
            )
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one moment, however many queries it runs."""
        with (
            self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
        ):
            conn.execute(text("SET TRANSACTION READ ONLY"))
            yield conn

    def listen_connection(self) -> psycopg.Connection:
        """A dedicated autocommit connection for LISTEN, outside the pool."""
        conn = self.connect(autocommit=True)
        clamp_timestamps(conn)
        return conn

    def dispose(self) -> None:
        self.engine.dispose()
