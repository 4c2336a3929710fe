"""One PostgreSQL server per test run; every test gets a fresh database cloned from a migrated
template, so tests are isolated and the schema is built once (by each worker process).

The server is the embedded one (started in a temporary folder and deleted afterwards), or the
one named by SPACES_TEST_DATABASE_URL (its role must be able to create databases). The suite
runs in worker processes (pytest-xdist, -n in pyproject.toml): the process that runs them starts
the embedded server once and hands its URL to each worker.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from spaces_tui.cli import main
from spaces_tui.db import embedded, migrations
from spaces_tui.db.connection import Database

pytest_plugins = ["tui_helpers"]  # the terminal app's shared fixtures

# The app picks its glyphs from the environment when its modules are first imported (glyphs.py,
# after this file): the suite draws the Unicode set on any runner (CI's TERM may be dumb), so
# its snapshots and texts do not depend on the terminal. test_terminal gives the real program
# its own environment, and tests of the other sets ask for them by name.
os.environ["SPACES_ASCII"] = "0"

TEST_URL_ENV = "SPACES_TEST_DATABASE_URL"


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test may touch the user's own embedded database or pick up their settings."""
    saved = {
        key: os.environ.get(key)
        for key in ("SPACES_DATA_DIR", "SPACES_DATABASE_URL", "SPACES_ACTOR", "SPACES_TZ")
    }
    os.environ["SPACES_DATA_DIR"] = str(tmp_path_factory.mktemp("spaces-data"))
    for key in ("SPACES_DATABASE_URL", "SPACES_ACTOR", "SPACES_TZ"):
        os.environ.pop(key, None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


SHARED_URL = "spaces_server_url"  # the key of the server's URL in an xdist worker's workerinput


class EmbeddedTestServer:
    """The embedded server a run starts once: in a temporary folder, deleted when it stops."""

    def __init__(self) -> None:
        self._server: Any = None
        self._folder: Path | None = None
        self.url = ""

    def start(self) -> str:
        if not self._server:
            self._folder = Path(tempfile.mkdtemp(prefix="spaces-test-pg-"))
            pgdata = self._folder / "pgdata"
            pgdata.mkdir()
            self._server = embedded._package().get_server(pgdata, cleanup_mode="delete")
            socket_dir = self._server.get_postmaster_info().socket_dir
            self.url = embedded.socket_url(socket_dir, embedded.SUPERUSER)
            with psycopg.connect(self.url, autocommit=True) as conn:
                # Durability is worth nothing in a throw-away test server; speed is.
                for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                    conn.execute(f"ALTER SYSTEM SET {setting} = off")
                conn.execute("SELECT pg_reload_conf()")
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.cleanup()
            self._server = None
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


RUN_SERVER = EmbeddedTestServer()


MOST_WORKERS = 4  # a cap, so a big machine does not start dozens of app processes on one server


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    return max(1, min(MOST_WORKERS, os.cpu_count() or 1))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist, in the process running the workers: each worker is given the one server's URL,
    started here (once, and only when there are workers) unless the run names its own."""
    node.workerinput[SHARED_URL] = os.environ.get(TEST_URL_ENV) or RUN_SERVER.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    RUN_SERVER.stop()


@pytest.fixture(scope="session")
def server_url(request: pytest.FixtureRequest) -> str:
    """A maintenance URL (database postgres) of the server this run uses."""
    handed = getattr(request.config, "workerinput", {}).get(SHARED_URL)
    return handed or os.environ.get(TEST_URL_ENV) or RUN_SERVER.start()


@contextmanager
def scratch_database(
    server_url: str, prefix: str, template: str | None = None
) -> Iterator[tuple[str, str]]:
    """A database made for the moment (empty, or cloned from template) and dropped after:
    yields its name and URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    clone = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clone}')
    try:
        yield name, with_database(server_url, name)
    finally:
        drop_database(server_url, name)


def drop_database(server_url: str, name: str, patience: float = 60.0) -> None:
    """DROP ... WITH (FORCE), retried while it is refused for lack of rights: an autovacuum
    worker in the database belongs to no role a non-superuser may signal, and leaves once it
    is done, which on a loaded machine may take a while. Retried until patience seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InsufficientPrivilege:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def scratch(server_url: str):
    """scratch(prefix, template=None): scratch_database on this run's server."""
    return partial(scratch_database, server_url)


@pytest.fixture(scope="session")
def template_name(scratch) -> Iterator[str]:
    with scratch("spaces_template") as (name, url):
        db = Database(url, "migrator")
        migrations.upgrade_database(db.connect)
        db.dispose()
        yield name


@pytest.fixture
def database_url(scratch, template_name: str) -> Iterator[str]:
    """A fresh, migrated database for this test alone."""
    with scratch("spaces_test", template_name) as (_name, url):
        yield url


@pytest.fixture
def empty_database_url(scratch) -> Iterator[str]:
    """A database with nothing in it, for migration tests."""
    with scratch("spaces_empty") as (_name, url):
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The engine's handle on the test database, acting as 'tester'."""
    database = Database(database_url, "tester")
    yield database
    database.dispose()


@pytest.fixture
def as_(database_url: str):
    """as_("sam") -> a Database acting as sam; closed after the test."""
    opened: list[Database] = []

    def acting(actor: str) -> Database:
        opened.append(Database(database_url, actor))
        return opened[-1]

    yield acting
    for database in opened:
        database.dispose()


@pytest.fixture
def sql(database_url: str) -> Iterator[psycopg.Connection]:
    """A plain autocommit psycopg connection, as another module or psql would use."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(url: str, actor: str, *args: str) -> CliResult:
    """The real `spaces` command line, in-process, against url as actor."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", url, "--as", actor, *args], out=out, err=err)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def spaces(database_url: str):
    """Runs the real `spaces` command line in-process against the test database:
    spaces("book", "Room 1", ..., actor="alice") -> CliResult."""

    def run(*args: str, actor: str = "tester") -> CliResult:
        return run_cli(database_url, actor, *args)

    return run


@pytest.fixture
def spaces_at():
    """spaces_at(url, actor, *args): the command line against another URL (another role)."""
    return run_cli


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
