"""From settings to a ready Database: start the embedded server if that is where it lives, and
bring the schema up to date on first use."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import psycopg

from spaces_tui.config import Settings
from spaces_tui.db import embedded, migrations
from spaces_tui.db.connection import Database, first_value
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.db.urls import libpq_url, shown_url

Announce = Callable[[str], None]


def database_url(settings: Settings, announce: Announce | None = None) -> str:
    """The URL to connect to, starting the embedded server first where needed."""
    if settings.database_url is not None:
        return settings.database_url
    return embedded.start(settings.data_dir, announce)


def where(settings: Settings) -> str:
    """Where the database is, for people: the URL without its password, or the data folder."""
    if settings.database_url is None:
        return f"embedded PostgreSQL in {embedded.pgdata_path(settings.data_dir)}"
    return shown_url(libpq_url(settings.database_url))


def open_database(
    settings: Settings, announce: Announce | None = None, *, migrate: bool = True
) -> Database:
    """A Database for settings.actor, its schema migrated to the newest revision."""
    db = Database(
        database_url(settings, announce),
        settings.actor,
        # The embedded server may be stopped later (db stop in another terminal, a kill):
        # the next connection attempt starts it again. A server named by URL is never started.
        start_server=partial(embedded.start, settings.data_dir) if settings.embedded else None,
    )
    if migrate:
        ensure_schema(db, announce)
    return db


def schema_state(db: Database) -> migrations.SchemaState:
    try:
        with db.snapshot() as conn:
            revision = migrations.current_revision(conn)
            stale = migrations.stale_rules(conn) if revision == migrations.HEAD else []
    except psycopg.Error as error:
        raise _unavailable(error) from error
    return migrations.SchemaState(revision, tuple(stale))


def ensure_schema(db: Database, announce: Announce | None = None) -> migrations.SchemaState:
    """Migrates when behind, and applies the rules files that changed; returns the state the
    upgrade found under its lock (up_to_date: nothing was done, here or by a racing process)."""
    found = schema_state(db)
    if found.up_to_date:
        return found
    if announce is not None:
        if found.revision is None:
            announce("Setting up the Spaces schema...")
        elif found.revision != migrations.HEAD:
            announce(f"Upgrading the Spaces schema from {found.revision}...")
        else:
            announce(f"Applying the changed rules ({', '.join(found.stale_rules)})...")
    try:
        return migrations.upgrade_database(db.connect)
    except psycopg.Error as error:
        raise _unavailable(error) from error


def server_version(db: Database) -> str:
    try:
        with db.snapshot() as conn:
            return first_value(conn.execute("SHOW server_version"))
    except psycopg.Error as error:
        raise _unavailable(error) from error


def _unavailable(error: psycopg.Error) -> DatabaseUnavailable:
    if isinstance(error, psycopg.errors.InsufficientPrivilege):
        return DatabaseUnavailable(
            f"the database refused to set up the Spaces schema: {error.diag.message_primary}. "
            "The role needs CREATE on the database, and btree_gist installed or the right "
            "to CREATE EXTENSION btree_gist"
        )
    message = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return DatabaseUnavailable(f"cannot use the database: {message}")
