"""Booking groups: several resources as one booking, all rows or none; each row under its own
resource's rules; a rejection releasing the rest in SQL; cancelling together; recurring groups;
groups racing single bookings; and what plain SQL may not do to a group."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from invariants import assert_the_promise_holds

from spaces_tui.db.connection import Database
from spaces_tui.engine import groups, reservations, resources
from spaces_tui.engine.errors import BadInput, Conflict, InvalidTransition, PermissionDenied

DAY = "2027-03-02"


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Stage", "stage", timezone="UTC")
    resources.add_resource(db, "Area A", "floor_area", parent="Stage")
    resources.add_resource(db, "Room", "room", timezone="UTC", capacity=30)
    resources.add_resource(db, "Truck", "vehicle", timezone="UTC")
    resources.add_resource(db, "PA", "equipment", timezone="UTC", approvers=["sam"])
    return db


def test_a_group_books_every_resource_in_one_transaction(venue, sql):
    made = groups.book_group(
        venue, ["Room", "Truck"], f"{DAY} 10:00", f"{DAY} 12:00", "Get-in", headcount=20
    )
    assert len(made.group_ids) == 1
    assert [r.resource for r in made.reservations] == ["Room", "Truck"]
    assert {r.group_id for r in made.reservations} == set(made.group_ids)
    assert made.status == "confirmed"
    assert sql.execute("SELECT spaces.group_status(%s)", (made.group_ids[0],)).fetchone() == (
        "confirmed",
    )


def test_one_resource_in_the_way_writes_nothing_and_names_it(venue, sql):
    reservations.book(venue, "Truck", f"{DAY} 11:00", f"{DAY} 13:00", "Tour")
    before = sql.execute("SELECT count(*) FROM spaces.reservations").fetchone()
    with pytest.raises(Conflict) as refused:
        groups.book_group(venue, ["Room", "Truck", "Area A"], f"{DAY} 10:00", f"{DAY} 12:00", "X")
    assert [b.resource for b in refused.value.blocked] == ["Truck"]
    assert refused.value.blocked[0].obstacles[0].title == "Tour"
    assert "Truck is taken; nothing was booked" in str(refused.value)
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == before
    assert sql.execute("SELECT count(*) FROM spaces.booking_groups").fetchone() == (0,)


def test_a_group_over_a_stage_and_its_own_area_is_bad_input(venue, sql):
    with pytest.raises(BadInput, match="Area A is inside Stage"):
        groups.book_group(venue, ["Stage", "Area A"], f"{DAY} 10:00", f"{DAY} 12:00", "Both")
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == (0,)


def test_bad_groups_are_bad_input(venue):
    with pytest.raises(BadInput, match="two resources or more"):
        groups.book_group(venue, ["Room"], f"{DAY} 10:00", f"{DAY} 12:00", "One")
    with pytest.raises(BadInput, match="named twice"):
        groups.book_group(venue, ["Room", "Room"], f"{DAY} 10:00", f"{DAY} 12:00", "Twice")


def test_a_row_on_an_approval_resource_is_pending_and_so_is_the_group(venue, as_):
    made = groups.book_group(venue, ["Room", "PA"], f"{DAY} 10:00", f"{DAY} 12:00", "Show")
    assert {r.resource: r.status for r in made.reservations} == {
        "Room": "confirmed",
        "PA": "pending",
    }
    assert made.status == "pending"
    pa = next(r for r in made.reservations if r.resource == "PA")
    reservations.approve(as_("sam"), pa.id)
    assert groups.group_status(groups.group_rows(venue, made.group_ids[0])) == "confirmed"


def test_rejecting_one_row_releases_the_rest_in_the_same_transaction(venue, as_, sql):
    made = groups.book_group(venue, ["Room", "PA", "Truck"], f"{DAY} 10:00", f"{DAY} 12:00", "Gig")
    pa = next(r for r in made.reservations if r.resource == "PA")
    reservations.reject(as_("sam"), pa.id, "the PA is in for repair")
    rows = {r.resource: r for r in groups.group_rows(venue, made.group_ids[0])}
    assert rows["PA"].status == "rejected"
    for name in ("Room", "Truck"):
        assert rows[name].status == "cancelled"
        assert rows[name].cancelled_by == "sam"
        assert rows[name].cancel_reason == (
            "released with its group: PA was rejected by sam: the PA is in for repair"
        )
    assert sql.execute("SELECT spaces.group_status(%s)", (made.group_ids[0],)).fetchone() == (
        "rejected",
    )
    [event] = sql.execute(
        "SELECT payload FROM spaces.events WHERE topic = 'spaces.group.released'"
    ).fetchall()
    assert event[0]["booked_by"] == "tester"
    assert event[0]["released"] == sorted(rows[n].id for n in ("Room", "Truck"))
    # The slots are free again.
    assert not reservations.check(venue, "Room", f"{DAY} 10:00", f"{DAY} 12:00")


def test_cancel_group_cancels_every_row_together(venue):
    made = groups.book_group(venue, ["Room", "Truck"], f"{DAY} 10:00", f"{DAY} 12:00", "Get-in")
    cancelled = groups.cancel_group(venue, made.reservations[1].id, "show moved")
    assert {r.status for r in cancelled} == {"cancelled"}
    assert len(cancelled) == 2
    with pytest.raises(InvalidTransition, match="nothing left to cancel"):
        groups.cancel_group(venue, made.reservations[0].id, "again")
    single = reservations.book(venue, "Room", f"{DAY} 14:00", f"{DAY} 15:00", "Alone")
    with pytest.raises(BadInput, match="not part of a booking group"):
        groups.cancel_group(venue, single.id, "no group")


def test_someone_else_may_not_cancel_a_group_they_may_not_cancel(venue, as_):
    made = groups.book_group(venue, ["Room", "Truck"], f"{DAY} 10:00", f"{DAY} 12:00", "Get-in")
    with pytest.raises(PermissionDenied):
        groups.cancel_group(as_("mallory"), made.reservations[0].id, "mine now")


def test_a_recurring_group_books_each_occurrence_as_a_group(venue, sql):
    made = groups.book_group(
        venue,
        ["Room", "Truck"],
        f"{DAY} 10:00",
        f"{DAY} 12:00",
        "Weekly get-in",
        rule="FREQ=WEEKLY;COUNT=3",
    )
    assert len(made.group_ids) == 3
    assert len(made.series_ids) == 2
    assert len(made.reservations) == 6
    per_group = Counter(r.group_id for r in made.reservations)
    assert set(per_group.values()) == {2}
    series_of = {r.resource: r.series_id for r in made.reservations}
    assert len(set(series_of.values())) == 2


def test_a_recurring_group_is_all_or_nothing_or_skips_whole_occurrences(venue, sql):
    reservations.book(venue, "Truck", "2027-03-09 11:00", "2027-03-09 11:30", "Service")
    with pytest.raises(Conflict) as refused:
        groups.book_group(
            venue,
            ["Room", "Truck"],
            f"{DAY} 10:00",
            f"{DAY} 12:00",
            "W",
            rule="FREQ=WEEKLY;COUNT=3",
        )
    assert "2 of 3" not in str(refused.value)
    assert "1 of 3 occurrences" in str(refused.value)
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == (1,)
    made = groups.book_group(
        venue,
        ["Room", "Truck"],
        f"{DAY} 10:00",
        f"{DAY} 12:00",
        "W",
        rule="FREQ=WEEKLY;COUNT=3",
        skip_conflicts=True,
    )
    assert len(made.group_ids) == 2
    assert [b.start.day for b in made.skipped] == [9]
    assert not any(r.start.day == 9 for r in made.reservations)  # the Room is skipped too


# --- what plain SQL may not do --------------------------------------------------------------


def test_a_row_cannot_join_a_group_after_its_transaction(venue, sql, database_url):
    made = groups.book_group(venue, ["Room", "Truck"], f"{DAY} 10:00", f"{DAY} 12:00", "Get-in")
    stage = sql.execute("SELECT id FROM spaces.resources WHERE name = 'Stage'").fetchone()[0]
    with pytest.raises(psycopg.Error, match="a group's rows go in with it"):
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title, group_id)"
            " VALUES (%s, tstzrange('2027-03-02 10:00Z', '2027-03-02 12:00Z'), 'late', %s)",
            (stage, made.group_ids[0]),
        )
    with pytest.raises(psycopg.Error, match="only its status changes"):
        sql.execute(
            "UPDATE spaces.reservations SET group_id = NULL WHERE id = %s",
            (made.reservations[0].id,),
        )


def test_a_row_cannot_join_somebody_elses_new_group(venue, database_url):
    with psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL spaces.actor = 'alice'")
        [group] = conn.execute("SELECT spaces.new_booking_groups('{}'::bigint[])").fetchone()
        conn.execute("SET LOCAL spaces.actor = 'mallory'")
        room = conn.execute("SELECT id FROM spaces.resources WHERE name = 'Room'").fetchone()[0]
        with pytest.raises(psycopg.Error, match="not one mallory made"):
            conn.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title, group_id)"
                " VALUES (%s, tstzrange('2027-03-02 10:00Z', '2027-03-02 12:00Z'), 'x', %s)",
                (room, group),
            )


# --- racing ---------------------------------------------------------------------------------

RACERS = 8
ROUNDS = 15
MEMBERS = ("Room", "Truck", "PA")


def _racer(url: str, seed: int, barrier: threading.Barrier, tally: Counter) -> None:
    rng = random.Random(seed)
    db = Database(url, f"racer{seed}")
    try:
        barrier.wait()
        for round_ in range(ROUNDS):
            # Every other round on a day only racers of the same kind use: the first attempt
            # there finds it empty, so both kinds are made whatever the scheduler does, while
            # the shared day races groups against single bookings.
            day = 2 if round_ % 2 == 0 else 3 + seed % 2
            start = datetime(2027, 3, day, tzinfo=UTC) + timedelta(minutes=30 * rng.randrange(16))
            end = start + timedelta(minutes=30 * rng.randrange(1, 5))
            try:
                if seed % 2:
                    groups.book_group(db, list(MEMBERS), start, end, f"group {seed}")
                    tally["group made"] += 1
                else:
                    reservations.book(db, rng.choice(MEMBERS), start, end, f"single {seed}")
                    tally["single made"] += 1
            except Conflict:
                tally["refused"] += 1
            except Exception as error:  # anything else is a failure of the rules
                tally[f"unexpected {type(error).__name__}: {error}"] += 1
    finally:
        db.dispose()


def test_groups_racing_single_bookings_are_whole_or_absent(venue, database_url, sql):
    barrier = threading.Barrier(RACERS)
    tally: Counter = Counter()
    threads = [
        threading.Thread(target=_racer, args=(database_url, seed, barrier, tally))
        for seed in range(RACERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not [key for key in tally if key.startswith("unexpected")], tally
    assert tally["group made"] > 0 and tally["single made"] > 0, tally
    # Every group holds exactly its three rows, and no group was left without them.
    partial = sql.execute(
        "SELECT g.id, count(r.id) FROM spaces.booking_groups g"
        "  LEFT JOIN spaces.reservations r ON r.group_id = g.id"
        " GROUP BY g.id HAVING count(r.id) <> %s",
        (len(MEMBERS),),
    ).fetchall()
    assert partial == []
    assert sql.execute("SELECT count(*) FROM spaces.booking_groups").fetchone() == (
        tally["group made"],
    )
    assert_the_promise_holds(sql)


def test_the_database_caps_a_group_so_no_caller_takes_every_trees_turn(venue, sql):
    for n in range(21):
        resources.add_resource(venue, f"Kit {n}", "equipment")
    ids = [
        row[0] for row in sql.execute("SELECT id FROM spaces.resources WHERE kind = 'equipment'")
    ]
    with pytest.raises(psycopg.Error, match="at most 20 resources"):
        sql.execute("SELECT spaces.new_booking_groups(%s::bigint[])", (ids,))
    with pytest.raises(BadInput, match="at most 20"):
        groups.book_group(
            venue, [f"Kit {n}" for n in range(21)], f"{DAY} 10:00", f"{DAY} 11:00", "x"
        )
