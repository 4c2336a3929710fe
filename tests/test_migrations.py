"""Migrations, as the issue asks for them: an empty database gets the schema from `spaces db
upgrade` or from any ordinary command; running them again changes nothing; `db status` only looks;
two upgrades meeting the same empty database both succeed and the schema is applied once; the
Alembic revisions apply every file in sql/, in order, and HEAD cannot drift from Alembic's head."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import psycopg
import pytest

from spaces_tui.cli import main
from spaces_tui.db import migrations
from spaces_tui.db.connection import Database
from spaces_tui.db.migrations import rules
from spaces_tui.engine.hours import ALWAYS, Week, parse_week

TABLES = ("resources", "reservations", "blackouts", "events")

# Everything a migration could create, drop, recreate or rewrite, with the oids and file nodes
# that change when an object is made again: equal snapshots mean nothing was touched.
SNAPSHOT = """
    SELECT 'schema ' || nspname || ' ' || oid FROM pg_namespace
    UNION ALL
    SELECT 'extension ' || extname || ' ' || extversion || ' ' || oid FROM pg_extension
    UNION ALL
    SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' '
           || c.oid || ' ' || c.relfilenode
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    UNION ALL
    SELECT 'function ' || n.nspname || '.' || p.proname || ' ' || p.oid || ' ' || md5(p.prosrc)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'trigger ' || tgname || ' ' || oid FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'constraint ' || n.nspname || '.' || c.conname || ' ' || c.oid
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'type ' || n.nspname || '.' || t.typname || ' ' || t.oid
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    ORDER BY 1
"""

# The same objects by name only, to compare two databases with each other.
NAMES = """
    SELECT 'relation ' || c.relname || ' ' || c.relkind::text
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'spaces'
    UNION ALL
    SELECT 'function ' || p.proname || ' ' || md5(p.prosrc)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'spaces'
    UNION ALL
    SELECT 'trigger ' || t.tgname
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'spaces' AND NOT t.tgisinternal
    UNION ALL
    SELECT 'constraint ' || c.conname
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE n.nspname = 'spaces'
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension
    ORDER BY 1
"""


# What a database's rules and tables are, by name and definition, to compare an upgraded
# database with a fresh install: every function (with its grants), trigger, view, constraint,
# index, column (type, default, identity) and table or schema grant in Spaces' schemas.
SCHEMA = """
    WITH ours AS (SELECT oid FROM pg_namespace WHERE nspname IN ('spaces', 'rehearse'))
    SELECT 'schema ' || nspname || ' ' || coalesce(nspacl::text, '')
      FROM pg_namespace WHERE oid IN (SELECT oid FROM ours)
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension
    UNION ALL
    SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text || ' '
           || coalesce(c.relacl::text, '')
      FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ours) AND c.relkind <> 'i'
    UNION ALL
    SELECT 'column ' || a.attrelid::regclass::text || '.' || a.attname || ' '
           || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || ' '
           || a.attidentity::text || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' '
           || coalesce(a.attacl::text, '')
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace IN (SELECT oid FROM ours) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' '
           || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relnamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid) || ' ' || coalesce(p.proacl::text, '')
      FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ours)
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace IN (SELECT oid FROM ours) AND NOT t.tgisinternal
    UNION ALL
    SELECT 'view ' || c.oid::regclass::text || ' ' || pg_get_viewdef(c.oid)
      FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ours) AND c.relkind IN ('v', 'm')
    ORDER BY 1
"""


def run(url: str, *args: str) -> tuple[int, str, str]:
    """The `spaces` command line, in this process, against url."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", url, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def rows(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def snapshot(url: str) -> list[str]:
    return [row[0] for row in rows(url, SNAPSHOT)]


def schema(url: str) -> list[str]:
    return [row[0] for row in rows(url, SCHEMA)]


def has_schema(url: str) -> bool:
    return bool(rows(url, "SELECT 1 FROM pg_namespace WHERE nspname = 'spaces'"))


def revisions(url: str) -> list[tuple]:
    return rows(url, "SELECT version_num FROM spaces.alembic_version")


def assert_schema_at_head(url: str) -> None:
    for table in TABLES:
        assert rows(url, "SELECT to_regclass(%s)", (f"spaces.{table}",)) == [(f"spaces.{table}",)]
    assert rows(url, "SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'") == [(1,)]
    assert revisions(url) == [(migrations.HEAD,)]


# --- db status ------------------------------------------------------------------------------


def test_status_on_an_empty_database_says_none_and_creates_nothing(empty_database_url):
    before = snapshot(empty_database_url)

    code, out, err = run(empty_database_url, "db", "status")

    assert code == 0, err
    assert "schema:    none (not set up yet" in out
    assert "server:    PostgreSQL " in out
    assert "Setting up" not in err
    assert not has_schema(empty_database_url)
    assert snapshot(empty_database_url) == before, "db status changed the database"


def test_status_after_upgrade_names_head_as_up_to_date(empty_database_url):
    assert run(empty_database_url, "db", "upgrade")[0] == 0
    code, out, err = run(empty_database_url, "db", "status")
    assert code == 0, err
    assert f"schema:    {migrations.HEAD} (up to date)" in out


def test_a_release_that_changes_only_a_rule_is_applied_by_the_next_command(empty_database_url):
    """A rules file whose text differs from what the database was given (here: the database
    records another checksum) is named by db status, applied by the next command that opens the
    database, and then the schema is up to date again."""
    assert run(empty_database_url, "db", "upgrade")[0] == 0
    with psycopg.connect(empty_database_url) as conn:
        conn.execute(
            "UPDATE spaces.rules_applied SET checksum = 'an older text' WHERE file = 'events.sql'"
        )

    code, out, err = run(empty_database_url, "db", "status")
    assert code == 0, err
    assert f"schema:    {migrations.HEAD} (rules changed: events.sql;" in out

    code, out, err = run(empty_database_url, "resource", "list")
    assert code == 0, err
    assert "Applying the changed rules (events.sql)" in err
    code, out, err = run(empty_database_url, "db", "upgrade")
    assert out == f"The schema is up to date (revision {migrations.HEAD}).\n", err


# --- db upgrade -----------------------------------------------------------------------------


def test_upgrade_creates_the_schema(empty_database_url):
    code, out, err = run(empty_database_url, "db", "upgrade")

    assert code == 0, err
    assert out == f"Upgraded the schema from nothing to revision {migrations.HEAD}.\n"
    assert "Setting up the Spaces schema" in err
    assert_schema_at_head(empty_database_url)
    # The rule the whole project stands on came with it.
    assert rows(
        empty_database_url,
        "SELECT count(*) FROM pg_constraint"
        " WHERE conrelid = 'spaces.reservations'::regclass AND contype = 'x'",
    ) == [(1,)]


def test_upgrade_again_is_a_no_op(empty_database_url):
    assert run(empty_database_url, "db", "upgrade")[0] == 0
    assert run(empty_database_url, "resource", "add", "Room 1", "--kind", "room")[0] == 0
    before = snapshot(empty_database_url)
    version_row = rows(empty_database_url, "SELECT xmin::text FROM spaces.alembic_version")

    code, out, err = run(empty_database_url, "db", "upgrade")

    assert code == 0, err
    assert out == f"The schema is up to date (revision {migrations.HEAD}).\n"
    assert err == "", "nothing to announce when there is nothing to do"
    assert snapshot(empty_database_url) == before
    assert rows(empty_database_url, "SELECT xmin::text FROM spaces.alembic_version") == (
        version_row
    ), "the version row was rewritten"
    assert rows(empty_database_url, "SELECT name FROM spaces.resources") == [("Room 1",)]

    # Neither does an ordinary command on an up-to-date database.
    code, out, err = run(empty_database_url, "resource", "list")
    assert code == 0 and "Setting up" not in err
    assert snapshot(empty_database_url) == before


# Databases made before the rules moved to sql/rules/ (revisions 0001 to 0004) hold what the SQL
# of those releases made, functions and triggers included: tests/sql_released/ is that SQL, as
# it was released, and each revision applied these files of it.
RELEASED = Path(__file__).parent / "sql_released"
RELEASED_FILES = {
    "0001": [
        "001_foundation.sql",
        "002_resources.sql",
        "003_reservations.sql",
        "004_blackouts.sql",
        "005_claims.sql",
        "006_conflict_check.sql",
        "007_events.sql",
    ],
    "0002": ["008_tree_write_lock.sql"],
    "0003": ["009_series.sql", "010_rehearse.sql", "011_access.sql"],
    "0004": ["012_tree_turns.sql", "013_event_order.sql", "014_guards.sql"],
}
OLDER = list(RELEASED_FILES)


def upgrade_to(url: str, revision: str) -> None:
    """Makes an empty database what the release at revision left: its SQL, and the revision
    stamped, as Alembic did."""
    assert revision in RELEASED_FILES, f"no released SQL for revision {revision}"
    files = [name for older in OLDER[: OLDER.index(revision) + 1] for name in RELEASED_FILES[older]]
    db = Database(url, "migrator")
    try:
        with migrations.alembic_connection(db.connect) as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {migrations.VERSION_TABLE_SCHEMA}")
            driver_connection = conn.connection.driver_connection
            for name in files:
                driver_connection.execute((RELEASED / name).read_text(encoding="utf-8"))
            from alembic import command

            command.stamp(migrations.alembic_config(conn), revision)
    finally:
        db.dispose()


def upgrade_to_0005(url: str) -> None:
    """Makes an empty database what the 0005 release left, as far as its tables go: the 0004
    release's SQL, then 0005's own files (sql/ keeps a versioned file as it was released) after
    the one rules file they call (table_helpers.sql, applied first as every upgrade does), and
    0005 stamped. The other rules are the 0004 release's; any upgrade applies them all again."""
    upgrade_to(url, "0004")
    db = Database(url, "migrator")
    try:
        with migrations.alembic_connection(db.connect) as conn:
            driver_connection = conn.connection.driver_connection
            driver_connection.execute(migrations.sql_file("rules/table_helpers.sql"))
            for name in ("015_rules_applied.sql", "016_active_statuses.sql"):
                driver_connection.execute(migrations.sql_file(name))
            from alembic import command

            command.stamp(migrations.alembic_config(conn), "0005")
    finally:
        db.dispose()


def test_a_daily_window_from_0005_becomes_the_same_window_every_day_of_the_week(
    empty_database_url,
):
    """0006 replaced bookable_from and bookable_until (one window, every day) with the week's
    hours: a resource open 09:00-17:00 is open 09:00-17:00 on each of the seven days, one open
    all day is always open, and its margin for blackouts is the default hour."""
    upgrade_to_0005(empty_database_url)
    assert revisions(empty_database_url) == [("0005",)]
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        conn.execute("SET spaces.actor = 'old-timer'")
        conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone, bookable_from, bookable_until)"
            " VALUES ('Office', 'room', 'Europe/London', '09:00', '17:00'),"
            " ('Late Bar', 'room', 'UTC', '18:00', '24:00'), ('Store', 'room', 'UTC', '00:00',"
            " '24:00')"
        )
    code, _, err = run(empty_database_url, "db", "upgrade")
    assert code == 0, err
    assert_schema_at_head(empty_database_url)

    week = {
        name: Week.from_multirange(text)
        for name, text in rows(
            empty_database_url, "SELECT name, bookable_week::text FROM spaces.resources"
        )
    }
    assert week == {
        "Office": parse_week("09:00-17:00"),
        "Late Bar": parse_week("18:00-24:00"),
        "Store": ALWAYS,
    }
    assert week["Office"].ranges[:2] == ((540, 1020), (1980, 2460))
    code, out, err = run(empty_database_url, "resource", "list", "--json")
    assert code == 0, err
    office = next(r for r in json.loads(out) if r["name"] == "Office")
    assert office["hours"] == [
        {"days": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"], "from": "09:00", "until": "17:00"}
    ]
    assert office["blackout_margin_seconds"] == 3600


def test_upgrade_from_an_older_revision_applies_only_what_is_missing(empty_database_url):
    older = "0001"
    assert older != migrations.HEAD
    upgrade_to(empty_database_url, older)
    assert revisions(empty_database_url) == [(older,)]
    resources_oid = rows(empty_database_url, "SELECT 'spaces.resources'::regclass::oid")

    code, out, _ = run(empty_database_url, "db", "status")
    assert code == 0
    assert f"schema:    {older} (behind: newest is {migrations.HEAD})" in out

    code, out, err = run(empty_database_url, "db", "upgrade")
    assert code == 0, err
    assert out == f"Upgraded the schema from {older} to revision {migrations.HEAD}.\n"
    assert f"Upgrading the Spaces schema from {older}" in err
    assert_schema_at_head(empty_database_url)
    assert rows(empty_database_url, "SELECT 'spaces.resources'::regclass::oid") == (
        resources_oid
    ), "the older revision's tables were made again"


@contextmanager
def granted_role(urls: list[str], wanted: bool) -> Iterator[str | None]:
    """A role for the test to give access to (spaces.grant_access) in these databases, taken
    away and dropped afterwards; None if not wanted or the server's role may not create roles."""
    with psycopg.connect(urls[0], autocommit=True) as conn:
        may_create = conn.execute(
            "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]
        if not (wanted and may_create):
            yield None
            return
        role = f"old_hand_{uuid.uuid4().hex[:8]}"
        conn.execute(f"CREATE ROLE {role}")
        try:
            yield role
        finally:
            for url in urls:
                with psycopg.connect(url, autocommit=True) as other:
                    if other.execute(
                        "SELECT 1 FROM spaces.access WHERE name = %s", (role,)
                    ).fetchone():
                        other.execute("SELECT spaces.revoke_access(%s)", (role,))
            conn.execute(f"DROP ROLE {role}")


def use_at(url: str, revision: str, role: str | None) -> tuple[int, int]:
    """What a venue had put in at revision: a stage with an area and a turnover, bookings (one
    cancelled), a blackout and, where the revision had them, a series, a rehearsal session and a
    role given access. Returns (stage, area)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET spaces.actor = 'old-timer'")
        stage = conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone, buffer_minutes)"
            " VALUES ('Stage', 'stage', 'UTC', 15) RETURNING id"
        ).fetchone()[0]
        area = conn.execute(
            "INSERT INTO spaces.resources (name, kind, parent_id, timezone)"
            " VALUES ('Area', 'floor_area', %s, 'UTC') RETURNING id",
            (stage,),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " VALUES (%s, tstzrange('2027-01-01 10:00Z', '2027-01-01 12:00Z'), 'kept'),"
            " (%s, tstzrange('2027-01-02 10:00Z', '2027-01-02 12:00Z'), 'dropped')",
            (area, area),
        )
        conn.execute(
            "UPDATE spaces.reservations SET status = 'cancelled', cancel_reason = 'no show'"
            " WHERE title = 'dropped'"
        )
        conn.execute(
            "INSERT INTO spaces.blackouts (resource_id, during, reason)"
            " VALUES (%s, tstzrange('2027-02-01 10:00Z', '2027-02-01 12:00Z'), 'paint')",
            (stage,),
        )
        if revision < "0004":  # allowed until the bookable window came
            conn.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " VALUES (%s, tstzrange('2030-01-01 00:00Z', 'infinity'), 'forever')",
                (area,),
            )
        if revision >= "0003":
            series = conn.execute(
                "INSERT INTO spaces.series (resource_id, rrule, timezone, first_start, duration,"
                " title) VALUES (%s, 'FREQ=DAILY;COUNT=1', 'UTC', '2027-03-01 09:00Z', '1 hour',"
                " 'class') RETURNING id",
                (stage,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title, series_id)"
                " VALUES (%s, tstzrange('2027-03-01 09:00Z', '2027-03-01 10:00Z'), 'class', %s)",
                (stage, series),
            )
            conn.execute(
                "SELECT rehearse.create_session('run', %s,"
                " tstzrange('2027-04-01 09:00Z', '2027-04-01 10:00Z'))",
                (area,),
            )
            if role is not None:
                conn.execute("SELECT spaces.grant_access(%s)", (role,))
    return stage, area


@pytest.mark.parametrize("older", OLDER)
def test_an_upgrade_from_each_revision_keeps_bookings_events_and_the_rules(
    empty_database_url, database_url, older
):
    """A database in use at an older revision, made by that release's own SQL, with bookings,
    their events, a row outside the bookable window (allowed before 0004) and a role given
    access, upgrades to HEAD: everything kept, the tree rules in force, new event ids above the
    old ones, and every function, trigger, view, constraint, index, column and grant just as a
    fresh install has them."""
    upgrade_to(empty_database_url, older)
    with granted_role([empty_database_url, database_url], older >= "0003") as role:
        stage, area = use_at(empty_database_url, older, role)
        old_events = rows(empty_database_url, "SELECT max(id) FROM spaces.events")[0][0]
        code, _, err = run(empty_database_url, "db", "upgrade")
        assert code == 0, err
        assert_schema_at_head(empty_database_url)
        titles = [
            row[0] for row in rows(empty_database_url, "SELECT title FROM spaces.reservations")
        ]
        assert {"kept", "dropped"} <= set(titles)
        assert ("forever" in titles) == (older < "0004")
        with psycopg.connect(empty_database_url, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.ExclusionViolation):
                conn.execute(
                    "INSERT INTO spaces.reservations (resource_id, during, title)"
                    " VALUES (%s, tstzrange('2027-01-01 11:00Z', '2027-01-01 13:00Z'), 'over it')",
                    (stage,),
                )
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(
                    "INSERT INTO spaces.reservations (resource_id, during, title)"
                    " VALUES (%s, tstzrange('2040-01-01 00:00Z', 'infinity'), 'no more')",
                    (stage,),
                )
            conn.execute("UPDATE spaces.resources SET parent_id = NULL WHERE id = %s", (area,))
            new_event = conn.execute("SELECT max(id) FROM spaces.events").fetchone()[0]
            assert new_event > old_events
            assert conn.execute("SELECT spaces.latest_event_id()").fetchone() == (new_event,)
            assert conn.execute("SELECT count(*) FROM spaces.tree_turns").fetchone() == (2,)

        # The same schema as a fresh install: where the old rows break a rule that came later,
        # its constraint stays NOT VALID (the upgrade warned), and that is the only difference.
        if role is not None:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("SELECT spaces.grant_access(%s)", (role,))
        upgraded, fresh = schema(empty_database_url), schema(database_url)
        not_valid = [line for line in upgraded if line.endswith(" NOT VALID")]
        expected = ["reservations_during_in_window"] if older < "0004" else []
        assert [line.split()[2] for line in not_valid] == expected
        assert [line.removesuffix(" NOT VALID") for line in upgraded] == fresh
        if role is not None:
            assert rows(
                empty_database_url,
                "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
                " WHERE r.rolname = %s",
                (role,),
            ) == [(["idle_in_transaction_session_timeout=5s"],)]


# --- any command ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (("resource", "list", "--json"), []),
        (("list", "--json"), []),
        (("resource", "add", "Room 1", "--kind", "room", "--json"), None),
    ],
    ids=["resource-list", "list", "resource-add"],
)
def test_an_ordinary_command_on_an_empty_database_sets_it_up_itself(
    empty_database_url, command, expected
):
    code, out, err = run(empty_database_url, *command)

    assert code == 0, err
    assert "Setting up the Spaces schema" in err
    # The announcement goes to stderr only: a script's JSON on stdout stays clean.
    answer = json.loads(out)
    if expected is not None:
        assert answer == expected
    else:
        assert answer["name"] == "Room 1"
    assert_schema_at_head(empty_database_url)


# --- HEAD and the revisions -----------------------------------------------------------------


@pytest.fixture
def script_directory(empty_database_url):
    from alembic.script import ScriptDirectory

    db = Database(empty_database_url, "migrator")
    try:
        with migrations.alembic_connection(db.connect) as conn:
            yield ScriptDirectory.from_config(migrations.alembic_config(conn))
    finally:
        db.dispose()


def test_head_is_alembics_one_head(script_directory):
    assert script_directory.get_heads() == [migrations.HEAD]
    assert script_directory.get_current_head() == migrations.HEAD


def chain(script_directory) -> list:
    """The revisions from the first to the head."""
    return list(reversed(list(script_directory.walk_revisions("base", "heads"))))


def test_every_revision_file_is_in_the_one_chain(script_directory):
    modules = {
        path.stem
        for path in (Path(migrations.__file__).parent / "versions").glob("*.py")
        if path.name != "__init__.py"
    }
    walked = chain(script_directory)
    assert len(walked) == len(modules), "a revision file is not on the way to HEAD"
    assert walked[0].down_revision is None
    assert walked[-1].revision == migrations.HEAD


def test_every_sql_file_is_applied_by_exactly_one_revision_in_order(script_directory, repo_root):
    applied = [name for revision in chain(script_directory) for name in revision.module.SQL_FILES]
    in_repository = sorted(path.name for path in (repo_root / "sql").glob("*.sql"))
    packaged = sorted(
        entry.name
        for entry in resources.files("spaces_tui.sql").iterdir()
        if entry.name.endswith(".sql")
    )

    assert set(applied) == set(in_repository)
    assert len(applied) == len(set(applied)), "a file is applied twice"
    assert applied == in_repository, "sql/ files are applied out of order"
    assert packaged == in_repository, "the package does not carry sql/ as it is"


def test_every_rules_file_is_applied_once_and_packaged(repo_root):
    """sql/rules/ holds exactly the files the rules are applied from, each named once, and the
    installed package carries them (package-data covers the subfolder)."""
    in_repository = sorted(path.name for path in (repo_root / "sql" / "rules").glob("*"))
    packaged = sorted(
        entry.name for entry in resources.files("spaces_tui.sql").joinpath("rules").iterdir()
    )

    assert len(rules.ORDER) == len(set(rules.ORDER)), "a rules file is applied twice"
    assert sorted(rules.ORDER) == in_repository, "a rules file is not applied, or is missing"
    assert packaged == in_repository, "the package does not carry sql/rules/ as it is"
    assert (
        "rules/*.sql"
        in tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"][
            "package-data"
        ]["spaces_tui.sql"]
    ), "a wheel would not carry sql/rules/"


# --- two at once ----------------------------------------------------------------------------


@contextmanager
def migration_lock_held(url: str) -> Iterator[psycopg.Connection]:
    """Holds the migration lock, as a migration in progress does, until the block ends."""
    with psycopg.connect(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (migrations.MIGRATION_LOCK,))
        try:
            yield conn
        finally:
            conn.rollback()


def wait_for_waiters(url: str, count: int, alive) -> None:
    """Until count sessions wait for the migration lock: then they all raced past the check."""
    deadline = time.monotonic() + 60
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            (waiting,) = conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid = 0 AND objid = %s",
                (migrations.MIGRATION_LOCK,),
            ).fetchone()
            if waiting >= count:
                return
            assert alive(), "a racer finished before it reached the migration lock"
            assert time.monotonic() < deadline, f"only {waiting} of {count} racers are waiting"
            time.sleep(0.05)


def assert_applied_once(url: str, outputs: list[str], reference_url: str) -> None:
    upgraded = [out for out in outputs if out.startswith("Upgraded the schema from nothing")]
    up_to_date = [out for out in outputs if out.startswith("The schema is up to date")]
    assert len(upgraded) == 1, outputs
    assert len(upgraded) + len(up_to_date) == len(outputs), outputs
    assert_schema_at_head(url)
    assert [row[0] for row in rows(url, NAMES)] == [row[0] for row in rows(reference_url, NAMES)]


def test_two_upgrades_in_threads_racing_on_an_empty_database(empty_database_url, database_url):
    results: list[tuple[int, str, str]] = []
    failures: list[BaseException] = []

    def upgrade() -> None:
        try:
            results.append(run(empty_database_url, "db", "upgrade"))
        except BaseException as error:  # reported below, in the test's own thread
            failures.append(error)

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    with migration_lock_held(empty_database_url):
        for thread in threads:
            thread.start()
        # Leaving the block, even on a failure, releases the lock, so the threads always end.
        wait_for_waiters(
            empty_database_url, 2, lambda: all(thread.is_alive() for thread in threads)
        )
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert [code for code, _, _ in results] == [0, 0], results
    assert_applied_once(empty_database_url, [out for _, out, _ in results], database_url)


def test_upgrades_in_threads_released_together_without_a_held_lock(
    empty_database_url, database_url
):
    barrier = threading.Barrier(3)
    results: list[tuple[int, str, str]] = []

    def upgrade() -> None:
        barrier.wait(timeout=30)
        results.append(run(empty_database_url, "db", "upgrade"))

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [code for code, _, _ in results] == [0, 0, 0], results
    assert_applied_once(empty_database_url, [out for _, out, _ in results], database_url)


@pytest.mark.slow
def test_upgrade_processes_and_a_command_racing_on_an_empty_database(
    empty_database_url, database_url
):
    env = {key: value for key, value in os.environ.items() if key != "SPACES_DATABASE_URL"}
    commands = [
        ("db", "upgrade"),
        ("db", "upgrade"),
        ("resource", "list", "--json"),
    ]
    with migration_lock_held(empty_database_url):
        racers = [
            subprocess.Popen(
                [sys.executable, "-m", "spaces_tui", "--db", empty_database_url, *command],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for command in commands
        ]
        try:
            wait_for_waiters(
                empty_database_url,
                len(racers),
                lambda: all(racer.poll() is None for racer in racers),
            )
        except BaseException:
            for racer in racers:
                racer.kill()
                racer.wait()
            raise
    results = [racer.communicate(timeout=120) for racer in racers]

    assert [racer.returncode for racer in racers] == [0, 0, 0], results
    assert json.loads(results[2][0]) == []
    assert "Setting up the Spaces schema" in results[2][1], "the command met an empty database"
    # Each upgrade either applied the schema or found it done; at most one applied it (the list
    # command may have been the one), and the result is the schema, once.
    upgrade_outputs = [out for out, _ in results[:2]]
    assert all(
        out.startswith(("Upgraded the schema from nothing", "The schema is up to date"))
        for out in upgrade_outputs
    ), upgrade_outputs
    assert sum(out.startswith("Upgraded") for out in upgrade_outputs) <= 1, upgrade_outputs
    assert_schema_at_head(empty_database_url)
    assert [row[0] for row in rows(empty_database_url, NAMES)] == [
        row[0] for row in rows(database_url, NAMES)
    ]
