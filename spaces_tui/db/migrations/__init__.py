"""Migrations: the SQL in sql/ is the source of truth, in two kinds.

- Versioned (sql/NNN_*.sql, applied once each by the Alembic revisions in versions/, in order):
  tables, constraints, indexes, types, grants on tables, data moves, and drops of what is gone.
  A released file is never edited for a new rule: add a file and a revision. A versioned file
  never creates a function, trigger or view, and its data moves are plain SQL that call no rule
  (on an upgrade they run under the rules the database had before it).
- Rules (sql/rules/*.sql, see rules.py): every function, trigger and view, each defined in one
  file as it is today, with CREATE OR REPLACE, and the grants on those functions. Edit the rule
  where it is; the next upgrade applies the file again because its checksum changed. No revision
  is needed unless tables or existing rows must change with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from spaces_tui.db.migrations import rules

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

# The newest revision. Kept here so a command can tell "up to date" without loading Alembic's
# script directory; tests/test_migrations.py checks it against Alembic's own head.
HEAD = "0009"

VERSION_TABLE_SCHEMA = "spaces"
# Two processes meeting an empty database at the same moment must not both migrate it.
MIGRATION_LOCK = 7_715_001


def sql_file(name: str) -> str:
    return resources.files("spaces_tui.sql").joinpath(name).read_text(encoding="utf-8")


def apply_sql_files(names: list[str]) -> None:
    """Runs versioned sql/ files as they are written, in the migration's transaction: on the
    psycopg connection itself, with no parameters, so no `%` or `:name` in them is taken for
    one."""
    from alembic import op

    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None
    for name in names:
        driver_connection.execute(sql_file(name))


def current_revision(conn: psycopg.Connection[Any]) -> str | None:
    """The revision Alembic stamped; None for an empty database (no version table yet)."""
    table = f"{VERSION_TABLE_SCHEMA}.alembic_version"
    if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
        return None
    row = conn.execute(f"SELECT version_num FROM {table}").fetchone()
    return row[0] if row else None


def stale_rules(conn: psycopg.Connection[Any]) -> list[str]:
    """The sql/rules/ files an upgrade would apply to a database at HEAD (none: up to date)."""
    return rules.stale(conn)


@contextmanager
def alembic_connection(connect: Callable[[], psycopg.Connection[Any]]) -> Iterator[Connection]:
    """A SQLAlchemy connection, in a transaction, over a connection from connect: what Alembic
    runs on. SQLAlchemy is loaded here and nowhere else: the engine speaks psycopg."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine("postgresql+psycopg://", creator=connect, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def upgrade_database(connect: Callable[[], psycopg.Connection[Any]]) -> SchemaState:
    """upgrade(), in a transaction of its own on a connection from connect."""
    with alembic_connection(connect) as conn:
        return upgrade(conn)


def alembic_config(conn: Connection) -> Config:
    from alembic.config import Config  # Alembic loads only when a migration may run

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = conn
    return config


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands: its revision, and the sql/rules/ files whose text it
    does not hold (a release may change a rule without a new revision)."""

    revision: str | None
    stale_rules: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        return self.revision == HEAD and not self.stale_rules

    def describe(self) -> str:
        if self.revision is None:
            return "not set up yet; any command (or `spaces db upgrade`) sets it up"
        if self.revision != HEAD:
            return f"behind: newest is {HEAD}"
        if self.stale_rules:
            return f"rules changed: {', '.join(self.stale_rules)}; any command applies them"
        return "up to date"


def upgrade(conn: Connection) -> SchemaState:
    """Brings the schema to HEAD inside the caller's transaction, and the rules to what
    sql/rules/ says; returns the state it found once it held the migration lock (a racing
    upgrade may have done the work meanwhile)."""
    driver_connection = conn.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
    before = current_revision(driver_connection)
    behind = before != HEAD
    if behind:
        # Alembic writes its version table, and the rules their first functions, before the
        # first revision runs.
        driver_connection.execute(f"CREATE SCHEMA IF NOT EXISTS {VERSION_TABLE_SCHEMA}")
    plan = rules.Plan.make(driver_connection, everything=behind)
    found = SchemaState(before, () if behind else tuple(file.name for file in plan.files))
    if not plan.files:
        return found
    plan.apply_before_tables(driver_connection)
    if behind:
        from alembic import command

        command.upgrade(alembic_config(conn), "head")
    plan.apply_after_tables(driver_connection)
    plan.finish(driver_connection)
    return found
