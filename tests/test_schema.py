"""Migrations: an empty database gets the schema once, by `db upgrade` or by any command; running
them again changes nothing; two at once do not collide."""

from __future__ import annotations

import importlib
import io
import pkgutil
import threading
from pathlib import Path

import psycopg

from spaces_tui.cli import main
from spaces_tui.db import migrations
from spaces_tui.db.connection import Database

CATALOGUE = """
    SELECT c.relkind::text || ':' || c.relname FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'spaces'
    UNION ALL
    SELECT 'f:' || p.proname FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'spaces'
    UNION ALL
    SELECT 't:' || tgname FROM pg_trigger WHERE NOT tgisinternal
    ORDER BY 1
"""


def run(url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", url, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def catalogue(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(CATALOGUE)]


def has_schema(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'spaces')"
        ).fetchone()[0]


def test_status_on_an_empty_database_says_so_and_creates_nothing(empty_database_url):
    code, out, _ = run(empty_database_url, "db", "status")
    assert code == 0
    assert "schema:    none (not set up yet" in out
    assert "server:    PostgreSQL " in out
    assert not has_schema(empty_database_url)


def test_upgrade_builds_the_schema_once_and_again_is_a_no_op(empty_database_url):
    code, out, _ = run(empty_database_url, "db", "upgrade")
    assert code == 0 and f"to revision {migrations.HEAD}" in out
    built = catalogue(empty_database_url)
    for table in ("resources", "reservations", "blackouts", "events", "claims"):
        assert f"r:{table}" in built
    assert "f:check_reservation_conflict" in built
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'").fetchone()

    code, out, _ = run(empty_database_url, "db", "upgrade")
    assert code == 0 and "up to date" in out
    assert catalogue(empty_database_url) == built
    code, out, _ = run(empty_database_url, "db", "status")
    assert f"schema:    {migrations.HEAD} (up to date)" in out


def test_any_command_sets_up_an_empty_database_itself(empty_database_url):
    code, out, err = run(empty_database_url, "resource", "list")
    assert code == 0, err
    assert "Setting up the Spaces schema" in err
    assert "No resources yet" in out


def test_head_is_alembics_head_and_every_sql_file_is_applied(empty_database_url, repo_root):
    from alembic.script import ScriptDirectory

    db = Database(empty_database_url, "t")
    with db.engine.connect() as conn:
        script = ScriptDirectory.from_config(migrations.alembic_config(conn))
    db.dispose()
    assert script.get_current_head() == migrations.HEAD
    versions = importlib.import_module("spaces_tui.db.migrations.versions")
    applied = {
        name
        for module in pkgutil.iter_modules(versions.__path__)
        for name in importlib.import_module(f"{versions.__name__}.{module.name}").SQL_FILES
    }
    assert applied == {path.name for path in Path(repo_root, "sql").glob("*.sql")}


def test_two_upgrades_at_once_both_succeed(empty_database_url):
    results: list[int] = []
    barrier = threading.Barrier(2)

    def upgrade() -> None:
        barrier.wait()
        results.append(run(empty_database_url, "db", "upgrade")[0])

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0]
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT version_num FROM spaces.alembic_version").fetchall() == [
            (migrations.HEAD,)
        ]
