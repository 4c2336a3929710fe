"""Alembic revisions. Each one applies files from sql/ in order; the SQL is the source of truth."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import ProgrammingError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision. Kept here so a command can tell "up to date" without loading Alembic's
# script directory; tests/test_migrations.py checks it against Alembic's own head.
HEAD = "0004"

VERSION_TABLE_SCHEMA = "spaces"
# Two processes meeting an empty database at the same moment must not both migrate it.
MIGRATION_LOCK = 7_715_001


def sql_file(name: str) -> str:
    return resources.files("spaces_tui.sql").joinpath(name).read_text(encoding="utf-8")


def apply_sql_files(names: list[str]) -> None:
    """Runs sql/ files as they are written, in the migration's transaction: on the psycopg
    connection itself, with no parameters, so no `%` or `:name` in them is taken for one."""
    from alembic import op

    driver_connection = op.get_bind().connection.driver_connection
    for name in names:
        driver_connection.execute(sql_file(name))


def current_revision(conn: Connection) -> str | None:
    try:
        with conn.begin_nested():
            row = conn.execute(
                text(f"SELECT version_num FROM {VERSION_TABLE_SCHEMA}.alembic_version")
            ).first()
    except ProgrammingError:  # no schema or table yet: an empty database
        return None
    return row[0] if row else None


def alembic_config(conn: Connection) -> Config:
    from alembic.config import Config  # Alembic loads only when a migration may run

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Brings the schema to HEAD inside the caller's transaction; returns (before, after)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    before = current_revision(conn)
    if before != HEAD:
        # Alembic writes its version table before the first revision runs.
        conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {VERSION_TABLE_SCHEMA}"))
        from alembic import command

        command.upgrade(alembic_config(conn), "head")
    return before, HEAD
