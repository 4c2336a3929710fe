"""Rows nobody can forge or quietly rewrite, and periods every reader can show: plain SQL, as a
careless or hostile module would write it, against the rules (sql/014_guards.sql for the
tables, sql/rules/ for the rest)."""

from __future__ import annotations

import psycopg
import pytest

from spaces_tui.engine import resources

HOUR = "tstzrange('2027-06-01 10:00Z', '2027-06-01 11:00Z')"


@pytest.fixture
def room(db, sql) -> int:
    resources.add_resource(db, "Room", "room", timezone="UTC", capacity=10)
    sql.execute("SET spaces.actor = 'bob'")
    return sql.execute("SELECT id FROM spaces.resources WHERE name = 'Room'").fetchone()[0]


def refused(sql: psycopg.Connection, statement: str, params: tuple = ()) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        sql.execute(statement, params)
    return caught.value


def book(sql: psycopg.Connection, room: int, period: str = HOUR) -> int:
    return sql.execute(
        f"INSERT INTO spaces.reservations (resource_id, during, title, headcount)"
        f" VALUES (%s, {period}, 'Band call', 4) RETURNING id",
        (room,),
    ).fetchone()[0]


@pytest.mark.parametrize(
    "period",
    [
        "tstzrange('2030-01-01+00', 'infinity')",
        "tstzrange('-infinity', '2030-01-01+00')",
        "tstzrange('0044-03-15 BC', '0044-03-16 BC')",
        "tstzrange('9999-12-31 23:30+00', '10000-01-01 00:30+00')",
        "tstzrange('1899-12-31 10:00+00', '1899-12-31 11:00+00')",
    ],
)
def test_a_period_outside_1900_to_9998_is_refused_for_bookings_blackouts_and_series(
    sql, room, period
):
    for statement in (
        f"INSERT INTO spaces.reservations (resource_id, during, title) VALUES (%s, {period}, 'x')",
        f"INSERT INTO spaces.blackouts (resource_id, during, reason) VALUES (%s, {period}, 'x')",
        f"SELECT * FROM spaces.check_reservation_conflict(%s, {period})",
    ):
        assert refused(sql, statement, (room,)).sqlstate in ("23514", "SP003"), statement
    series = refused(
        sql,
        "INSERT INTO spaces.series (resource_id, rrule, timezone, first_start, duration, title)"
        f" VALUES (%s, 'FREQ=DAILY', 'UTC', lower({period}), upper({period}) - lower({period}),"
        " 'x')",
        (room,),
    )
    # Refused by the window, or already by interval arithmetic on an infinite bound.
    assert series.sqlstate == "23514" or series.sqlstate.startswith("22"), series
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == (0,)


def test_a_row_from_before_the_window_can_still_be_cancelled_and_lifted(sql, room):
    """The upgrade keeps such rows (it cannot know what they were for); the way to be rid of one
    is to cancel or lift it, so the rule is on what holds time."""
    for table, column, period in (
        ("reservations", "title", "tstzrange('2030-01-01+00', 'infinity')"),
        ("blackouts", "reason", "tstzrange('-infinity', '1800-01-01+00')"),
    ):
        constraint = f"{table}_during_in_window"
        rule = sql.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            (constraint,),
        ).fetchone()[0]
        sql.execute(f"ALTER TABLE spaces.{table} DROP CONSTRAINT {constraint}")
        sql.execute(
            f"INSERT INTO spaces.{table} (resource_id, during, {column})"
            f" VALUES (%s, {period}, 'old')",
            (room,),
        )
        sql.execute(f"ALTER TABLE spaces.{table} ADD CONSTRAINT {constraint} {rule} NOT VALID")
    old = sql.execute("SELECT id FROM spaces.reservations WHERE title = 'old'").fetchone()[0]
    sql.execute("SELECT spaces.set_status(ARRAY[%s]::bigint[], 'cancelled', 'gone')", (old,))
    blackout = sql.execute("SELECT id FROM spaces.blackouts WHERE reason = 'old'").fetchone()[0]
    sql.execute("SELECT spaces.lift_blackout(%s)", (blackout,))
    book(sql, room, "tstzrange('2031-01-01+00', '2031-01-01 01:00+00')")  # free again


def test_the_edges_of_the_window_are_bookable(sql, room):
    book(sql, room, "tstzrange('1900-01-01 00:00+00', '1900-01-01 01:00+00')")
    book(sql, room, "tstzrange('9998-12-31 23:00+00', '9999-01-01 00:00+00')")


def test_an_id_cannot_be_chosen_with_overriding_system_value(sql, room):
    taken = refused(
        sql,
        "INSERT INTO spaces.reservations (id, resource_id, during, title) OVERRIDING SYSTEM VALUE"
        f" VALUES (1000, %s, {HOUR}, 'squatter')",
        (room,),
    )
    assert taken.sqlstate == "SP003" and "given by Spaces" in taken.diag.message_primary
    for statement in (
        "INSERT INTO spaces.blackouts (id, resource_id, during, reason) OVERRIDING SYSTEM VALUE"
        f" VALUES (1000, {room}, {HOUR}, 'x')",
        "INSERT INTO spaces.resources (id, name, kind) OVERRIDING SYSTEM VALUE"
        " VALUES (1000, 'Squat', 'room')",
    ):
        assert refused(sql, statement).sqlstate == "SP003", statement
    # Ordinary inserts, one at a time and several in one statement, still get their ids.
    first = book(sql, room)
    several = sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title) VALUES"
        " (%s, tstzrange('2027-06-02 10:00Z', '2027-06-02 11:00Z'), 'a'),"
        " (%s, tstzrange('2027-06-03 10:00Z', '2027-06-03 11:00Z'), 'b') RETURNING id",
        (room, room),
    ).fetchall()
    assert [row[0] for row in several] == [first + 1, first + 2]


def test_a_booking_changes_only_its_status(sql, room):
    booking = book(sql, room)
    for change, value in (
        ("title = %s", "Renamed quietly"),
        ("headcount = %s", 400),
        ("series_id = %s", 999),
    ):
        error = refused(
            sql,
            f"UPDATE spaces.reservations SET {change}, status = status WHERE id = %s",
            (value, booking),
        )
        assert error.sqlstate == "SP003", change
    assert sql.execute(
        "SELECT title, headcount FROM spaces.reservations WHERE id = %s", (booking,)
    ).fetchone() == ("Band call", 4)


def test_a_cancel_records_its_reason_and_leaves_the_decision_note(sql, db, room):
    resources.update_resource(db, "Room", requires_approval=True, approvers=["carol"])
    booking = book(sql, room)
    sql.execute("SET spaces.actor = 'carol'")
    sql.execute(
        "SELECT spaces.set_status(ARRAY[%s]::bigint[], 'confirmed', 'keys at the desk')",
        (booking,),
    )
    sql.execute("SET spaces.actor = 'bob'")
    rewrite = refused(
        sql,
        "UPDATE spaces.reservations SET status = 'cancelled', cancel_reason = 'off',"
        " decision_note = 'carol said no' WHERE id = %s",
        (booking,),
    )
    assert rewrite.sqlstate == "SP003"
    sql.execute("SELECT spaces.set_status(ARRAY[%s]::bigint[], 'cancelled', 'off')", (booking,))
    assert sql.execute(
        "SELECT status, decision_note, cancel_reason FROM spaces.reservations WHERE id = %s",
        (booking,),
    ).fetchone() == ("cancelled", "keys at the desk", "off")


def test_only_whoever_put_a_blackout_in_an_approver_or_an_admin_may_lift_it(sql, db, room):
    resources.update_resource(db, "Room", approvers=["carol"])
    sql.execute("SET spaces.actor = 'alice'")
    safety = sql.execute(
        f"SELECT (spaces.add_blackout(%s, {HOUR}, 'live wiring')).id", (room,)
    ).fetchone()[0]
    sql.execute("SET spaces.actor = 'mallory'")
    for lift in (
        "SELECT spaces.lift_blackout(%s)",
        "UPDATE spaces.blackouts SET status = 'lifted' WHERE id = %s",
    ):
        assert refused(sql, lift, (safety,)).sqlstate == "SP002", lift
    for who in ("carol", "alice"):  # an approver, then its creator (on a fresh one)
        sql.execute(f"SET spaces.actor = '{who}'")
        sql.execute("SELECT spaces.lift_blackout(%s)", (safety,))
        assert sql.execute(
            "SELECT lifted_by FROM spaces.blackouts WHERE id = %s", (safety,)
        ).fetchone() == (who,)
        sql.execute("SET spaces.actor = 'alice'")
        safety = sql.execute(
            f"SELECT (spaces.add_blackout(%s, {HOUR}, 'live wiring')).id", (room,)
        ).fetchone()[0]


def test_an_occurrence_joins_only_its_own_makers_series(sql, room):
    sql.execute("SET spaces.actor = 'bob'")
    series = sql.execute(
        "INSERT INTO spaces.series (resource_id, rrule, timezone, first_start, duration, title,"
        " created_by) VALUES (%s, 'FREQ=DAILY;COUNT=2', 'UTC', '2027-06-01 10:00Z', '1 hour',"
        " 'Class', 'alice') RETURNING id, created_by",
        (room,),
    ).fetchone()
    assert series[1] == "bob", "who made a series is stamped by the database"
    sql.execute("SET spaces.actor = 'mallory'")
    slipped = refused(
        sql,
        "INSERT INTO spaces.reservations (resource_id, during, title, series_id)"
        f" VALUES (%s, {HOUR}, 'me too', %s)",
        (room, series[0]),
    )
    assert slipped.sqlstate == "SP003"
    sql.execute("SET spaces.actor = 'bob'")
    sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title, series_id)"
        f" VALUES (%s, {HOUR}, 'Class', %s)",
        (room, series[0]),
    )


@pytest.mark.parametrize("zone", ["NZDT", "EST5EDT,M3.2.0,M11.1.0", "XYZ5", "posix/Europe/London"])
def test_a_zone_is_an_iana_name_not_an_abbreviation_or_a_rule(sql, zone):
    error = refused(
        sql,
        "INSERT INTO spaces.resources (name, kind, timezone) VALUES ('Hall', 'room', %s)",
        (zone,),
    )
    assert error.sqlstate == "23514", zone


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "UTC", "America/Argentina/Buenos_Aires"])
def test_iana_zones_are_accepted(sql, zone):
    sql.execute(
        "INSERT INTO spaces.resources (name, kind, timezone) VALUES ('Hall', 'room', %s)", (zone,)
    )


def test_a_window_across_the_repeated_hour_is_compared_as_instants(spaces, room):
    """01:30 BST to 01:15 GMT is 45 minutes, though its clock reading goes backwards."""
    resources_ok = spaces("resource", "set", "Room", "--tz", "Europe/London")
    assert resources_ok.code == 0, resources_ok.err
    listed = spaces(
        "list",
        "--resource",
        "Room",
        "--from",
        "2026-10-25T01:30",
        "--to",
        "2026-10-25T01:15+00:00",
        "--json",
    )
    assert listed.code == 0, listed.err
