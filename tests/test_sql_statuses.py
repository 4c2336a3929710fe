"""The statuses a reservation may have, and the ones that hold its slot, are the database's:
spaces.is_active_status (sql/rules/table_helpers.sql) decides what holds a slot, and the
reservations' CHECK which statuses exist. The engine's constants must say the same."""

from __future__ import annotations

import re

import psycopg

from spaces_tui.engine import models, reservations, series


def database_statuses(sql: psycopg.Connection) -> list[str]:
    """The statuses the CHECK on spaces.reservations.status allows, in its order."""
    definitions = [
        definition
        for (definition,) in sql.execute(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
            " WHERE c.conrelid = 'spaces.reservations'::regclass AND c.contype = 'c'"
            " AND a.attname = 'status' AND cardinality(c.conkey) = 1"
        )
    ]
    assert len(definitions) == 1, definitions
    return re.findall(r"'(\w+)'::text", definitions[0])


def database_active(sql: psycopg.Connection) -> tuple[str, ...]:
    """The statuses spaces.is_active_status holds a slot for, in the CHECK's order."""
    statuses = database_statuses(sql)
    held = sql.execute(
        "SELECT s FROM unnest(%s::text[]) WITH ORDINALITY AS t (s, n)"
        " WHERE spaces.is_active_status(s) ORDER BY n",
        (statuses,),
    ).fetchall()
    return tuple(status for (status,) in held)


def test_the_engine_knows_the_statuses_the_database_allows(sql):
    assert tuple(database_statuses(sql)) == reservations.STATUSES


def test_the_engine_holds_a_slot_for_the_statuses_the_database_does(sql):
    active = database_active(sql)
    assert active, "no status holds a slot: the database was not read"
    assert active == models.ACTIVE
    # The other places that ask "does it hold its slot" use that one constant.
    assert reservations.ACTIVE is models.ACTIVE
    assert series.ACTIVE is models.ACTIVE
    for status in reservations.STATUSES:
        reservation = object.__new__(models.Reservation)
        object.__setattr__(reservation, "status", status)
        assert reservation.active == (status in active), status


def test_the_constraints_ask_the_one_definition(sql):
    """The exclusion constraint and the window check call spaces.is_active_status rather than
    naming statuses: a constraint that spelled the list again would drift from it."""
    definitions = dict(
        sql.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'spaces.reservations'::regclass"
            " AND conname IN ('reservations_no_overlap', 'reservations_during_in_window')"
        ).fetchall()
    )
    assert set(definitions) == {"reservations_no_overlap", "reservations_during_in_window"}
    for name, definition in definitions.items():
        assert "spaces.is_active_status(status)" in definition, name
        assert "'pending'" not in definition and "'confirmed'" not in definition, name
