"""One SQLAlchemy engine per process, and transactions that carry the actor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from spaces_tui.db.errors import InvalidDatabaseUrl


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


class Database:
    """The configured database, used by one actor. Every transaction records who acts."""

    def __init__(self, url: str, actor: str) -> None:
        self.url = libpq_url(url)
        self.actor = actor
        self.engine: Engine = create_engine(
            sqlalchemy_url(url), pool_pre_ping=True, pool_size=2, max_overflow=4
        )

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
        return psycopg.connect(self.url, autocommit=True)

    def dispose(self) -> None:
        self.engine.dispose()
