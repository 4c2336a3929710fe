"""The rules in sql/rules/: every function, trigger and view, each defined once, as it is today.

How they are applied (the way repeatable migrations are): spaces.rules_applied keeps each file's
checksum and what it defined. An upgrade applies every file whose checksum differs, and every
file whenever a versioned revision runs (a revision may drop or remake what a rule stands on),
all in the upgrade's own transaction, in this order:
  1. BEFORE_TABLES: the functions the tables' CHECK constraints, defaults and index predicates
     call. A fresh database needs them before its first CREATE TABLE, so they go in before the
     revisions, with check_function_bodies off (a body may read a table a revision makes).
  2. the versioned revisions (Alembic: tables, constraints, indexes, grants on tables, data
     moves, drops of what is gone; never a function, trigger or view).
  3. AFTER_TABLES, in order: a file may use what the files before it define.
Before a file is applied, what it made last time and no rules file makes now is dropped, and so
is each of its functions that nothing depends on, so a parameter list or return type may change;
CREATE OR REPLACE remakes the rest. An index whose expression or predicate calls a function whose
definition changed is built again (which checks an exclusion constraint again).

What that asks of a contributor:
- a function's grants (REVOKE ... FROM PUBLIC) stand next to it in its file: it may be made again;
- a function that a trigger, view, constraint or default uses keeps its signature (the upgrade
  stops with RulesError otherwise): give the new one another name and move the users in a
  revision; a view loses or renames a column only after a revision drops it;
- a function an index calls calls no other rule (a change there would not rebuild the index);
- a rule whose change alters what existing rows mean (which statuses hold a slot, what a claim
  is) needs a revision that brings the rows along (the claims, say).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import psycopg

FOLDER = "rules"
BEFORE_TABLES = ("table_helpers.sql",)
AFTER_TABLES = (
    "resources.sql",
    "hours.sql",
    "utilization.sql",
    "access.sql",
    "tree_turns.sql",
    "claims.sql",
    "conflicts.sql",
    "insights.sql",
    "reservations.sql",
    "blackouts.sql",
    "series.sql",
    "groups.sql",
    "moves.sql",
    "planning.sql",
    "imports.sql",
    "events.sql",
    "ids.sql",
    "rehearse.sql",
)
ORDER = BEFORE_TABLES + AFTER_TABLES
TABLE = "spaces.rules_applied"

_COMMENT = re.compile(r"--[^\n]*")
_FUNCTION = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+([\w.]+)\s*\(", re.I)
_TRIGGER = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+(\w+)\s.*?\bON\s+([\w.]+)",
    re.I | re.S,
)
_VIEW = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+([\w.]+)", re.I)


class RulesError(Exception):
    """sql/rules/ and the database disagree in a way no re-application can mend."""


def defined_objects(sql: str) -> list[str]:
    """What a file of SQL creates, one entry per CREATE statement: 'function spaces.f',
    'trigger t on spaces.x' or 'view spaces.v'. Comments are not read."""
    sql = _COMMENT.sub("", sql)
    found = [(m.start(), f"function {m[1]}") for m in _FUNCTION.finditer(sql)]
    found += [(m.start(), f"trigger {m[1]} on {m[2]}") for m in _TRIGGER.finditer(sql)]
    found += [(m.start(), f"view {m[1]}") for m in _VIEW.finditer(sql)]
    return [name for _, name in sorted(found)]


@dataclass(frozen=True)
class RulesFile:
    name: str
    text: str

    @cached_property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @cached_property
    def defines(self) -> list[str]:
        return defined_objects(self.text)


def read(names: Iterable[str] = ORDER) -> list[RulesFile]:
    folder = resources.files("spaces_tui.sql").joinpath(FOLDER)
    return [RulesFile(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in names]


def recorded(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, list[str]]]:
    """file -> (checksum, what it defined), as the database last applied it."""
    if conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone() == (None,):
        return {}
    rows = conn.execute(f"SELECT file, checksum, defines FROM {TABLE}").fetchall()
    return {file: (checksum, list(defines)) for file, checksum, defines in rows}


def stale(conn: psycopg.Connection[Any]) -> list[str]:
    """The rules files whose text in the database is not the one in sql/rules/."""
    applied = recorded(conn)
    return [file.name for file in read() if applied.get(file.name, ("",))[0] != file.checksum]


@dataclass
class Plan:
    """The rules files an upgrade applies, and what they made the last time."""

    files: list[RulesFile]
    previous: dict[str, list[str]] = field(default_factory=dict)
    # What all of sql/rules/ defines now, whether it is applied this time or not.
    everywhere: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, conn: psycopg.Connection[Any], *, everything: bool) -> Plan:
        applied = recorded(conn)
        every_file = read()
        files = [
            file
            for file in every_file
            if everything or applied.get(file.name, ("",))[0] != file.checksum
        ]
        previous = {name: defines for name, (_, defines) in applied.items()}
        return cls(files, previous, [name for file in every_file for name in file.defines])

    def apply_before_tables(self, conn: psycopg.Connection[Any]) -> None:
        self._apply(conn, [file for file in self.files if file.name in BEFORE_TABLES], False)

    def apply_after_tables(self, conn: psycopg.Connection[Any]) -> None:
        self._apply(conn, [file for file in self.files if file.name not in BEFORE_TABLES], True)

    def finish(self, conn: psycopg.Connection[Any]) -> None:
        """Checks that no old form of a function is left over, and records the files."""
        self._refuse_leftovers(conn)
        for file in self.files:
            conn.execute(
                f"INSERT INTO {TABLE} (file, checksum, defines) VALUES (%s, %s, %s)"
                " ON CONFLICT (file) DO UPDATE SET checksum = EXCLUDED.checksum,"
                " defines = EXCLUDED.defines, applied_at = now()",
                (file.name, file.checksum, file.defines),
            )

    def _apply(
        self, conn: psycopg.Connection[Any], files: Sequence[RulesFile], check_bodies: bool
    ) -> None:
        if not files:
            return
        indexed = _index_functions(conn)
        for file in files:
            _drop_what_is_gone(conn, self.previous.get(file.name, []), self.everywhere)
            _drop_free_functions(conn, _functions(file.defines))
        setting = "on" if check_bodies else "off"
        saved = conn.execute("SELECT current_setting('check_function_bodies')").fetchone()
        conn.execute("SELECT set_config('check_function_bodies', %s, true)", (setting,))
        for file in files:
            # As written: no parameters, so nothing in the file is taken for a placeholder.
            conn.execute(file.text)
        conn.execute("SELECT set_config('check_function_bodies', %s, true)", saved)
        _rebuild_indexes(conn, indexed)

    def _refuse_leftovers(self, conn: psycopg.Connection[Any]) -> None:
        wanted = Counter(_functions(self.everywhere))
        touched = set(_functions(name for file in self.files for name in file.defines))
        for file in self.files:
            touched |= set(_functions(self.previous.get(file.name, [])))
        for function in sorted(touched):
            schema, name = function.split(".", 1)
            there = [
                row[0]
                for row in conn.execute(
                    "SELECT p.oid::regprocedure::text FROM pg_proc p"
                    " JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = %s AND p.proname = %s ORDER BY 1",
                    (schema, name),
                )
            ]
            if len(there) != wanted[function]:
                raise RulesError(
                    f"{function} exists as {', '.join(there)}, but sql/rules/ defines "
                    f"{wanted[function]} of it: an old signature that something still uses "
                    "(a trigger, view, constraint or default) cannot be dropped by the rules; "
                    "move its users in a versioned revision and drop it there"
                )


def _functions(defines: Iterable[str]) -> list[str]:
    return [entry.split(" ", 1)[1] for entry in defines if entry.startswith("function ")]


def _drop_what_is_gone(
    conn: psycopg.Connection[Any], before: Sequence[str], now: Sequence[str]
) -> None:
    """What a file made last time and no rules file makes now: its triggers and views, and then
    its functions that nothing depends on any longer."""
    gone = [entry.split(" ", 1) for entry in before if entry not in now]
    for kind, name in gone:
        if kind == "trigger":
            trigger, table = name.split(" on ")
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone() != (None,):
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        elif kind == "view":
            conn.execute(f"DROP VIEW IF EXISTS {name}")
    _drop_free_functions(conn, [name for kind, name in gone if kind == "function"])


def _drop_free_functions(conn: psycopg.Connection[Any], names: Iterable[str]) -> None:
    """Every form of these functions that nothing depends on: the file makes it again."""
    for name in names:
        schema, proname = name.split(".", 1)
        free = conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = %s AND p.proname = %s AND NOT EXISTS ("
            "   SELECT 1 FROM pg_depend d"
            "    WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid)",
            (schema, proname),
        ).fetchall()
        for (signature,) in free:
            conn.execute(f"DROP FUNCTION {signature}")


_INDEXED = """
    SELECT DISTINCT d.objid::regclass::text AS index, md5(pg_get_functiondef(d.refobjid))
      FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_proc'::regclass
       AND c.relkind IN ('i', 'I')
"""


def _index_functions(conn: psycopg.Connection[Any]) -> set[tuple[str, str]]:
    """(index, definition of a function it calls) for every index that calls one."""
    return {(index, definition) for index, definition in conn.execute(_INDEXED)}


def _rebuild_indexes(conn: psycopg.Connection[Any], before: set[tuple[str, str]]) -> None:
    """An index built with a function's old definition holds the wrong rows: build it again
    (an exclusion constraint's index is checked again as it is built)."""
    for index in sorted({index for index, _ in before - _index_functions(conn)}):
        conn.execute(f"REINDEX INDEX {index}")
