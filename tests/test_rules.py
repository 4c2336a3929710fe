"""The rules as the database enforces them, through plain SQL, as psql or another module uses it.
No Python of ours between the test and PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

DAY = "2027-01-10"


def at(hours: str) -> str:
    """'10-12' -> a tstzrange literal on DAY, UTC."""
    start, end = hours.split("-")
    return f"[{DAY} {start}:00+00, {DAY} {end}:00+00)"


@pytest.fixture
def venue(sql):
    """A stage with two areas and a sub-area, a room with a 30-minute turnover, an approval
    room; returns name -> id."""
    sql.execute("SET spaces.actor = 'planner'")
    rows = [
        ("Stage", "stage", None, 0, False, []),
        ("Left", "floor_area", "Stage", 0, False, []),
        ("Right", "floor_area", "Stage", 0, False, []),
        ("Downstage", "floor_area", "Left", 0, False, []),
        ("Room", "room", None, 30, False, []),
        ("Studio", "room", None, 0, True, ["boss"]),
    ]
    ids: dict[str, int] = {}
    for name, kind, parent, buffer, approval, approvers in rows:
        ids[name] = sql.execute(
            "INSERT INTO spaces.resources (name, kind, parent_id, buffer_minutes,"
            " requires_approval, approvers) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (name, kind, ids.get(parent), buffer, approval, approvers),
        ).fetchone()[0]
    return ids


def book(sql, resource_id: int, hours: str, title: str = "x"):
    return sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title) VALUES (%s, %s, %s)"
        " RETURNING id, status, booked_by",
        (resource_id, at(hours), title),
    ).fetchone()


def black_out(sql, resource_id: int, hours: str, reason: str = "works"):
    return sql.execute(
        "INSERT INTO spaces.blackouts (resource_id, during, reason) VALUES (%s, %s, %s)"
        " RETURNING id, kind, created_by, status",
        (resource_id, at(hours), reason),
    ).fetchone()


def test_the_overlap_rule_is_exactly_the_one_promised(sql):
    definition = sql.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conname = 'reservations_no_overlap'"
    ).fetchone()[0]
    assert definition == (
        "EXCLUDE USING gist (resource_id WITH =, during WITH &&) "
        "WHERE (spaces.is_active_status(status))"
    )
    # ...and the statuses that hold a slot are the ones promised (test_sql_statuses.py ties
    # them to the engine's list).
    holding = sql.execute(
        "SELECT array_agg(s ORDER BY s) FROM unnest(ARRAY['pending', 'confirmed', 'rejected',"
        " 'cancelled']) s WHERE spaces.is_active_status(s)"
    ).fetchone()[0]
    assert holding == ["confirmed", "pending"]


def test_a_plain_insert_gets_its_status_and_booker_from_the_database(sql, venue):
    assert book(sql, venue["Room"], "10-11")[1:] == ("confirmed", "planner")
    assert book(sql, venue["Studio"], "10-11")[1:] == ("pending", "planner")
    sql.execute("RESET spaces.actor")
    role = sql.execute("SELECT session_user").fetchone()[0]
    assert book(sql, venue["Room"], "14-15")[2] == role, "no actor set: the role books"


def test_a_plain_blackout_insert_works_with_defaults(sql, venue):
    assert black_out(sql, venue["Room"], "08-09")[1:] == ("maintenance", "planner", "active")


def test_overlaps_are_refused_and_half_open_ends_may_touch(sql, venue):
    book(sql, venue["Left"], "10-12")
    with pytest.raises(errors.ExclusionViolation):
        book(sql, venue["Left"], "11-13")
    book(sql, venue["Right"], "10-11")
    book(sql, venue["Right"], "11-12")  # [10,11) then [11,12): touching, allowed
    with pytest.raises(errors.ExclusionViolation):
        book(sql, venue["Right"], "11-12")


def test_cancelled_and_rejected_bookings_free_their_slot(sql, venue):
    first = book(sql, venue["Room"], "10-11")[0]
    sql.execute(
        "UPDATE spaces.reservations SET status = 'cancelled', cancel_reason = 'moved'"
        " WHERE id = %s",
        (first,),
    )
    book(sql, venue["Room"], "10-11")
    pending = book(sql, venue["Studio"], "10-11")[0]
    sql.execute("SET spaces.actor = 'boss'")
    sql.execute(
        "UPDATE spaces.reservations SET status = 'rejected', decision_note = 'no' WHERE id = %s",
        (pending,),
    )
    book(sql, venue["Studio"], "10-11")


@pytest.mark.parametrize(
    "period",
    [
        "empty",
        f"[{DAY} 10:00+00,)",
        f"(,{DAY} 10:00+00)",
        f"[{DAY} 10:00+00,{DAY} 11:00+00]",
    ],
)
def test_only_finite_non_empty_half_open_periods_are_accepted(sql, venue, period):
    with pytest.raises(errors.CheckViolation):
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title) VALUES (%s, %s, 'x')",
            (venue["Room"], period),
        )


def test_a_stage_and_its_areas_block_each_other_but_siblings_do_not(sql, venue):
    book(sql, venue["Downstage"], "10-11")
    book(sql, venue["Right"], "10-11")  # a sibling branch: fine
    for above in ("Left", "Stage"):
        with pytest.raises(errors.ExclusionViolation):
            book(sql, venue[above], "10-12")
    book(sql, venue["Stage"], "12-13")
    for inside in ("Left", "Right", "Downstage"):
        with pytest.raises(errors.ExclusionViolation):
            book(sql, venue[inside], "12-13")


def test_a_blackout_blocks_its_resource_what_is_inside_and_what_it_is_in(sql, venue):
    black_out(sql, venue["Left"], "10-12", "floor repair")
    for blocked in ("Left", "Downstage", "Stage"):
        with pytest.raises(errors.ExclusionViolation):
            book(sql, venue[blocked], "11-13")
    book(sql, venue["Right"], "11-13")  # the other side of the stage is fine


def test_blackouts_stack_and_a_booking_cannot_be_blacked_out_by_plain_insert(sql, venue):
    black_out(sql, venue["Stage"], "08-18", "maintenance")
    black_out(sql, venue["Stage"], "12-13", "union break")
    black_out(sql, venue["Left"], "09-10", "nested")
    book(sql, venue["Room"], "10-11")
    with pytest.raises(errors.ExclusionViolation):
        black_out(sql, venue["Room"], "10-12")


def test_lifting_is_the_only_change_a_blackout_takes(sql, venue):
    sql.execute("SET spaces.actor = 'ops'")
    blackout = black_out(sql, venue["Room"], "10-12")[0]
    with pytest.raises(psycopg.Error) as refused:
        sql.execute("UPDATE spaces.blackouts SET reason = 'other' WHERE id = %s", (blackout,))
    assert refused.value.sqlstate == "SP003"
    sql.execute("UPDATE spaces.blackouts SET status = 'lifted' WHERE id = %s", (blackout,))
    lifted = sql.execute(
        "SELECT lifted_by, lifted_at IS NOT NULL FROM spaces.blackouts WHERE id = %s", (blackout,)
    ).fetchone()
    assert lifted == ("ops", True)
    book(sql, venue["Room"], "10-12")  # the slot is free again


def test_a_turnover_buffer_keeps_the_next_booking_off_but_not_a_blackout(sql, venue):
    book(sql, venue["Room"], "10-11")
    with pytest.raises(errors.ExclusionViolation):
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " VALUES (%s, %s, 'too soon')",
            (venue["Room"], f"[{DAY} 11:15+00, {DAY} 12:00+00)"),
        )
    sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title) VALUES (%s, %s, 'ok')",
        (venue["Room"], f"[{DAY} 11:30+00, {DAY} 12:00+00)"),
    )
    black_out(sql, venue["Room"], "12-13")  # a blackout right after the ok booking's end


def test_add_blackout_refuses_over_bookings_or_cancels_them_with_its_reason(sql, venue):
    booked = book(sql, venue["Downstage"], "10-11")[0]
    with pytest.raises(errors.ExclusionViolation):
        sql.execute("SELECT spaces.add_blackout(%s, %s, 'rigging')", (venue["Stage"], at("09-12")))
    sql.execute("SET spaces.actor = 'ops'")
    # Cancelling what is in the way is cancelling someone else's booking: only for admins.
    with pytest.raises(psycopg.DatabaseError) as refused:
        sql.execute(
            "SELECT spaces.add_blackout(%s, %s, 'rigging', 'maintenance', true)",
            (venue["Stage"], at("09-12")),
        )
    assert refused.value.sqlstate == "SP002"
    sql.execute("SELECT spaces.grant_access('ops', true)")
    sql.execute(
        "SELECT spaces.add_blackout(%s, %s, 'rigging', 'maintenance', true)",
        (venue["Stage"], at("09-12")),
    )
    cancelled = sql.execute(
        "SELECT status, cancel_reason, cancelled_by FROM spaces.reservations WHERE id = %s",
        (booked,),
    ).fetchone()
    assert cancelled == ("cancelled", "blackout: rigging", "ops")


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        ("pending", "confirmed", True),
        ("pending", "rejected", True),
        ("pending", "cancelled", True),
        ("confirmed", "cancelled", True),
        ("confirmed", "pending", False),
        ("confirmed", "rejected", False),
        ("rejected", "confirmed", False),
        ("cancelled", "confirmed", False),
        ("cancelled", "pending", False),
    ],
)
def test_the_state_machine(sql, venue, start, to, allowed):
    sql.execute("SET spaces.actor = 'boss'")
    booking = book(sql, venue["Studio"], "10-11")[0]
    notes = {"rejected": "decision_note", "cancelled": "cancel_reason"}

    def move(status: str) -> None:
        column = notes.get(status, "decision_note")
        sql.execute(
            f"UPDATE spaces.reservations SET status = %s, {column} = 'why' WHERE id = %s",
            (status, booking),
        )

    if start != "pending":
        move(start)
    if allowed:
        move(to)
        assert sql.execute(
            "SELECT status FROM spaces.reservations WHERE id = %s", (booking,)
        ).fetchone() == (to,)
    else:
        with pytest.raises(psycopg.Error) as refused:
            move(to)
        assert refused.value.sqlstate == "SP001"


def test_only_an_approver_decides_and_the_decision_is_recorded(sql, venue):
    booking = book(sql, venue["Studio"], "10-11")[0]
    sql.execute("SET spaces.actor = 'mallory'")
    with pytest.raises(psycopg.Error) as refused:
        sql.execute("UPDATE spaces.reservations SET status = 'confirmed' WHERE id = %s", (booking,))
    assert refused.value.sqlstate == "SP002"
    with pytest.raises(psycopg.Error) as refused:
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title, status)"
            " VALUES (%s, %s, 'sneak', 'confirmed')",
            (venue["Studio"], at("12-13")),
        )
    assert refused.value.sqlstate == "SP002"
    sql.execute("SET spaces.actor = 'boss'")
    sql.execute(
        "UPDATE spaces.reservations SET status = 'confirmed', decision_note = 'ok' WHERE id = %s",
        (booking,),
    )
    decided = sql.execute(
        "SELECT decided_by, decided_at IS NOT NULL FROM spaces.reservations WHERE id = %s",
        (booking,),
    ).fetchone()
    assert decided == ("boss", True)


def test_reasons_are_required_and_history_cannot_be_rewritten(sql, venue):
    booking = book(sql, venue["Room"], "10-11")[0]
    with pytest.raises(psycopg.Error) as refused:
        sql.execute("UPDATE spaces.reservations SET status = 'cancelled' WHERE id = %s", (booking,))
    assert refused.value.sqlstate == "SP003"
    for change in ("during = %s", "resource_id = %s"):
        value = at("12-13") if "during" in change else venue["Left"]
        with pytest.raises(psycopg.Error) as refused:
            sql.execute(f"UPDATE spaces.reservations SET {change} WHERE id = %s", (value, booking))
        assert refused.value.sqlstate == "SP003"


def test_the_tree_has_no_cycles(sql, venue):
    with pytest.raises(psycopg.Error) as refused:
        sql.execute(
            "UPDATE spaces.resources SET parent_id = %s WHERE id = %s",
            (venue["Downstage"], venue["Stage"]),
        )
    assert refused.value.sqlstate == "SP003"


def test_the_conflict_check_names_everything_in_the_way(sql, venue):
    sql.execute("SET spaces.actor = 'alice'")
    on_area = book(sql, venue["Downstage"], "10-11", "Rig")[0]
    sql.execute("SET spaces.actor = 'ops'")
    black_out(sql, venue["Stage"], "11-12", "Repaint")
    rows = sql.execute(
        "SELECT kind, resource_name, lower(during)::text, status, title, who"
        " FROM spaces.check_reservation_conflict(%s, %s)",
        (venue["Stage"], at("09-13")),
    ).fetchall()
    assert rows == [
        ("reservation", "Downstage", f"{DAY} 10:00:00+00", "confirmed", "Rig", "alice"),
        ("blackout", "Stage", f"{DAY} 11:00:00+00", "active", "Repaint", "ops"),
    ]
    assert sql.execute(
        "SELECT count(*) FROM spaces.check_reservation_conflict(%s, %s)",
        (venue["Right"], at("09-11")),
    ).fetchone() == (0,), "free is an empty answer"
    assert sql.execute(
        "SELECT count(*) FROM spaces.check_reservation_conflict(%s, %s, %s)",
        (venue["Downstage"], at("10-11"), on_area),
    ).fetchone() == (0,), "exclude_id leaves the booking being re-checked out"
