"""sql/ states each rule once: every function, trigger and view has one definition, in one file
of sql/rules/, and the versioned files (sql/NNN_*.sql) hold tables and the like only. A rules
file is applied again when it changes (its checksum), and only then; what it stops defining
goes, a signature may change, and an index built on a function that changed is built again."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from spaces_tui.db import migrations
from spaces_tui.db.connection import Database
from spaces_tui.db.migrations import rules

SQL = Path(__file__).resolve().parent.parent / "sql"
VERSIONED = sorted(SQL.glob("*.sql"))
RULES = sorted((SQL / "rules").glob("*.sql"))


def defined(path: Path) -> list[str]:
    return rules.defined_objects(path.read_text(encoding="utf-8"))


# --- one definition each --------------------------------------------------------------------


def test_every_function_trigger_and_view_is_defined_in_exactly_one_sql_file():
    where: dict[str, list[str]] = {}
    for path in VERSIONED + RULES:
        for name in defined(path):
            where.setdefault(name, []).append(str(path.relative_to(SQL)))
    again = {name: files for name, files in where.items() if len(files) > 1}
    assert not again, f"defined more than once: {again}"
    assert len(where) > 80, "the files were not read"


def test_the_versioned_files_define_no_function_trigger_or_view():
    assert {path.name: defined(path) for path in VERSIONED if defined(path)} == {}


def test_every_rule_is_written_to_be_applied_again():
    """A rules file is applied to databases that already have its objects: CREATE OR REPLACE
    everywhere (constraint triggers cannot be replaced, so there are none)."""
    plain = re.compile(r"\bCREATE\s+(?!OR\s+REPLACE\b)(?:\w+\s+)?(FUNCTION|TRIGGER|VIEW)\b", re.I)
    for path in RULES:
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        assert not plain.findall(text), f"{path.name}: CREATE without OR REPLACE"
        assert not re.search(r"\bCONSTRAINT\s+TRIGGER\b", text, re.I), path.name


def test_the_rules_files_define_exactly_what_a_fresh_install_has(sql):
    catalog = Counter(
        name
        for (name,) in sql.execute(
            "SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname IN ('spaces', 'rehearse')"
            " UNION ALL"
            " SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text"
            " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('spaces', 'rehearse') AND NOT t.tgisinternal"
            " UNION ALL"
            " SELECT 'view ' || c.oid::regclass::text FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname IN ('spaces', 'rehearse') AND c.relkind IN ('v', 'm')"
        )
    )
    in_files = Counter(name for path in RULES for name in defined(path))
    assert in_files == catalog


def test_the_table_helpers_are_what_the_tables_call(sql):
    """sql/rules/table_helpers.sql goes in before the tables, so it holds exactly the functions
    that constraints, column defaults and indexes call, and the other files none of them."""
    used = {
        name
        for (name,) in sql.execute(
            "SELECT DISTINCT 'function ' || n.nspname || '.' || p.proname FROM pg_depend d"
            " JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE d.refclassid = 'pg_proc'::regclass AND n.nspname IN ('spaces', 'rehearse')"
            " AND d.classid IN ('pg_constraint'::regclass, 'pg_attrdef'::regclass,"
            " 'pg_class'::regclass)"
        )
    }
    assert rules.BEFORE_TABLES == ("table_helpers.sql",)
    assert set(defined(SQL / "rules" / "table_helpers.sql")) == used


def test_a_function_an_index_calls_calls_no_other_rule(sql):
    """An index is built again when a function it calls changes; a change further down, in a
    function that one calls, would go unseen."""
    bodies = sql.execute(
        "SELECT DISTINCT d.refobjid::regprocedure::text, p.prosrc FROM pg_depend d"
        " JOIN pg_class c ON c.oid = d.objid JOIN pg_proc p ON p.oid = d.refobjid"
        " WHERE d.classid = 'pg_class'::regclass AND c.relkind = 'i'"
        " AND d.refclassid = 'pg_proc'::regclass"
    ).fetchall()
    assert bodies, "no index calls a function: the active-status predicate is gone"
    for function, body in bodies:
        assert not re.search(r"\b(spaces|rehearse)\.", body), function


# --- applied again when changed -------------------------------------------------------------


def upgrade(url: str) -> migrations.SchemaState:
    db = Database(url, "migrator")
    try:
        return migrations.upgrade_database(db.connect)
    finally:
        db.dispose()


def applied(url: str) -> dict[str, tuple[str, object]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT file, checksum, applied_at FROM spaces.rules_applied")
        return {file: (checksum, at) for file, checksum, at in rows}


def functions(url: str) -> dict[str, tuple[int, str, str]]:
    """signature -> (oid, xmin, body): what is made again, or touched, shows."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT p.oid::regprocedure::text, p.oid::int, p.xmin::text, p.prosrc FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname IN ('spaces', 'rehearse')"
        )
        return {signature: (oid, xmin, body) for signature, oid, xmin, body in rows}


@pytest.fixture
def edit(monkeypatch) -> Iterator[Callable[[str, Callable[[str], str]], None]]:
    """edit(file, change): from now on sql/rules/file reads as change(its text), as after an
    edit and a new release."""
    original = rules.read
    changes: dict[str, Callable[[str], str]] = {}

    def read(names=rules.ORDER):
        return [
            rules.RulesFile(file.name, changes[file.name](file.text))
            if file.name in changes
            else file
            for file in original(names)
        ]

    def edit(name: str, change: Callable[[str], str]) -> None:
        changes[name] = change

    monkeypatch.setattr(rules, "read", read)
    yield edit


PERIOD_JSON = "SELECT jsonb_build_object('start', lower(period), 'end', upper(period))"


def test_an_unchanged_rules_file_is_not_applied_again(database_url):
    before_rows, before_functions = applied(database_url), functions(database_url)
    assert set(before_rows) == set(rules.ORDER)

    assert upgrade(database_url) == migrations.SchemaState(migrations.HEAD)

    assert applied(database_url) == before_rows
    assert functions(database_url) == before_functions, "a rule was made again"


def test_a_changed_rules_file_is_applied_again_and_only_it(database_url, edit, spaces):
    assert spaces("resource", "add", "Room", "--kind", "room").code == 0
    before_rows, before_functions = applied(database_url), functions(database_url)
    edit(
        "events.sql",
        lambda text: text.replace(PERIOD_JSON, PERIOD_JSON + " || '{\"edited\": true}'"),
    )
    with psycopg.connect(database_url) as conn:
        assert rules.stale(conn) == ["events.sql"]

    assert upgrade(database_url) == migrations.SchemaState(migrations.HEAD, ("events.sql",))

    after_rows, after_functions = applied(database_url), functions(database_url)
    assert after_rows["events.sql"][0] != before_rows["events.sql"][0]
    assert {file: row for file, row in after_rows.items() if file != "events.sql"} == {
        file: row for file, row in before_rows.items() if file != "events.sql"
    }
    events_functions = {name.split(" ", 1)[1] for name in defined(SQL / "rules" / "events.sql")}
    for signature, made in before_functions.items():
        if signature.split("(")[0] not in events_functions:
            assert after_functions[signature] == made, f"{signature} was touched"
    assert "edited" in after_functions["spaces.period_json(tstzrange)"][2]
    # The new rule is the one in force.
    assert spaces("book", "Room", "2027-01-04 10:00", "2027-01-04 11:00", "--title", "x").code == 0
    with psycopg.connect(database_url) as conn:
        payload = conn.execute(
            "SELECT payload FROM spaces.events WHERE topic = 'spaces.reservation.created'"
        ).fetchone()[0]
        assert payload["edited"] is True
        assert rules.stale(conn) == []

    # And the next upgrade, with nothing new, applies nothing.
    upgrade(database_url)
    assert applied(database_url) == after_rows
    assert functions(database_url) == after_functions


def test_a_rule_may_change_its_signature(database_url, edit):
    edit(
        "events.sql",
        lambda text: text.replace(
            "spaces.period_json(period tstzrange)",
            "spaces.period_json(period tstzrange, p_label text DEFAULT NULL)",
        ),
    )
    upgrade(database_url)
    assert [signature for signature in functions(database_url) if "period_json" in signature] == [
        "spaces.period_json(tstzrange,text)"
    ]


def test_a_rule_may_move_to_another_file(database_url, edit):
    """Moved from events.sql to table_helpers.sql (applied before the tables, and so before the
    file it left drops what it no longer defines), the function is there once, as moved."""
    events = (SQL / "rules" / "events.sql").read_text(encoding="utf-8")
    begin = events.index("CREATE OR REPLACE FUNCTION spaces.period_json")
    end = events.index("$$;\n", events.index("AS $$", begin)) + len("$$;\n")
    edit("events.sql", lambda text: text.replace(events[begin:end], ""))
    edit("table_helpers.sql", lambda text: text + "\n" + events[begin:end])

    upgrade(database_url)

    assert [sig for sig in functions(database_url) if "period_json" in sig] == [
        "spaces.period_json(tstzrange)"
    ]
    with psycopg.connect(database_url) as conn:
        defines = dict(conn.execute("SELECT file, defines FROM spaces.rules_applied"))
    assert "function spaces.period_json" in defines["table_helpers.sql"]
    assert "function spaces.period_json" not in defines["events.sql"]


PROBE = """
CREATE OR REPLACE FUNCTION spaces.probe() RETURNS trigger
LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE OR REPLACE TRIGGER zz_probe BEFORE INSERT ON spaces.series
    FOR EACH ROW EXECUTE FUNCTION spaces.probe();
"""


def test_what_a_rules_file_no_longer_defines_is_dropped(database_url, edit):
    def triggers() -> list[tuple[str]]:
        with psycopg.connect(database_url) as conn:
            return conn.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname = 'zz_probe'"
            ).fetchall()

    edit("series.sql", lambda text: text + PROBE)
    upgrade(database_url)
    assert "spaces.probe()" in functions(database_url)
    assert triggers() == [("zz_probe",)]

    edit("series.sql", lambda text: text.replace(PROBE, ""))
    upgrade(database_url)
    assert "spaces.probe()" not in functions(database_url)
    assert triggers() == []


def test_an_old_signature_still_in_use_stops_the_upgrade(database_url, edit):
    """A CHECK calls spaces.is_valid_period(tstzrange), so the rules cannot drop it for a new
    signature: the upgrade says so and changes nothing."""
    before = functions(database_url)
    edit(
        "table_helpers.sql",
        lambda text: text.replace(
            "spaces.is_valid_period(period tstzrange)",
            "spaces.is_valid_period(period tstzrange, p_strict boolean DEFAULT true)",
        ),
    )
    with pytest.raises(rules.RulesError, match=r"spaces\.is_valid_period"):
        upgrade(database_url)
    assert functions(database_url) == before


def hold_rejected(text: str) -> str:
    old = "SELECT status IN ('pending', 'confirmed')"
    assert old in text
    return text.replace(old, "SELECT status IN ('pending', 'confirmed', 'rejected')")


def rejected_booking(sql: psycopg.Connection) -> int:
    """A resource that needs approval, with a request at 10:00-11:00 rejected; its id."""
    sql.execute("SET spaces.actor = 'tester'")
    resource = sql.execute(
        "INSERT INTO spaces.resources (name, kind, requires_approval, approvers, timezone)"
        " VALUES ('Hall', 'room', true, '{tester}', 'UTC') RETURNING id"
    ).fetchone()[0]
    booking = sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " VALUES (%s, tstzrange('2027-01-04 10:00Z', '2027-01-04 11:00Z'), 'ask') RETURNING id",
        (resource,),
    ).fetchone()[0]
    sql.execute("SELECT spaces.set_status(ARRAY[%s]::bigint[], 'rejected', 'no')", (booking,))
    return resource


def test_an_index_on_a_changed_function_is_built_again(database_url, sql, edit):
    """Were 'rejected' to hold a slot, the exclusion constraint's index must hold the rejected
    rows too: the upgrade builds it again, and an overlap with one is refused at once."""
    resource = rejected_booking(sql)
    index = "SELECT relfilenode FROM pg_class WHERE relname = 'reservations_no_overlap'"
    before = sql.execute(index).fetchone()
    edit("table_helpers.sql", hold_rejected)

    upgrade(database_url)

    assert sql.execute(index).fetchone() != before
    with pytest.raises(psycopg.errors.ExclusionViolation):
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " VALUES (%s, tstzrange('2027-01-04 10:30Z', '2027-01-04 11:30Z'), 'over it')",
            (resource,),
        )


def test_an_index_built_again_checks_the_rows_it_holds(database_url, sql, edit):
    resource = rejected_booking(sql)
    sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " VALUES (%s, tstzrange('2027-01-04 10:30Z', '2027-01-04 11:30Z'), 'after it')",
        (resource,),
    )
    edit("table_helpers.sql", hold_rejected)

    with pytest.raises(psycopg.errors.ExclusionViolation):
        upgrade(database_url)
    assert "'rejected'" not in functions(database_url)["spaces.is_active_status(text)"][2]
