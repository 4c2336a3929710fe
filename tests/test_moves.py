"""Moving a booking: cancelled and booked again in one transaction, linked both ways; the
original untouched when the new slot is taken; its own old slot free for it; approval asked
again unless the mover approves; groups and series moving together; the links kept honest
against plain SQL."""

from __future__ import annotations

import psycopg
import pytest
from invariants import assert_the_promise_holds

from spaces_tui.engine import groups, moves, reservations, resources, series
from spaces_tui.engine.errors import BadInput, Conflict, InvalidTransition, PermissionDenied


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Room", "room", timezone="Europe/London")
    resources.add_resource(db, "Other room", "room", timezone="Europe/London")
    resources.add_resource(db, "Truck", "vehicle", timezone="Europe/London")
    resources.add_resource(db, "Studio", "room", timezone="Europe/London", approvers=["sam"])
    return db


def test_a_move_into_its_own_old_slot_works_and_links_both_ways(venue, sql):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    moved = moves.move(venue, old.id, "2027-03-02 11:00", "2027-03-02 13:00")
    [(before, after)] = moved.pairs
    assert before.id == old.id and before.status == "cancelled"
    assert before.cancel_reason == "moved to Room, 2027-03-02 11:00-2027-03-02 13:00"
    assert before.moved_to == after.id
    assert after.moved_from == old.id
    assert (after.title, after.booked_by, after.status) == ("Tech", "tester", "confirmed")
    assert after.start.hour == 11 and after.end.hour == 13
    topics = sql.execute(
        "SELECT topic, reservation_id, payload->>'moved_from' FROM spaces.events"
        " WHERE reservation_id IN (%s, %s) ORDER BY id",
        (old.id, after.id),
    ).fetchall()
    assert topics[-2:] == [
        ("spaces.reservation.cancelled", old.id, None),
        ("spaces.reservation.created", after.id, str(old.id)),
    ]
    assert_the_promise_holds(sql)


def test_a_move_onto_a_taken_slot_leaves_the_original_untouched(venue, sql):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    reservations.book(venue, "Other room", "2027-03-02 14:00", "2027-03-02 16:00", "Dance")
    with pytest.raises(Conflict) as refused:
        moves.move(venue, old.id, "2027-03-02 15:00", "2027-03-02 17:00", resource="Other room")
    assert "nothing was changed" in str(refused.value)
    assert refused.value.blocked[0].resource == "Other room"
    assert refused.value.blocked[0].obstacles[0].title == "Dance"
    again = reservations.get_reservation(venue, old.id)
    assert again.status == "confirmed" and again.moved_to is None
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == (2,)


def test_a_move_to_an_approval_resource_is_pending_unless_the_mover_approves(venue, as_):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    [(_, by_booker)] = moves.move(
        venue, old.id, "2027-03-03 10:00", "2027-03-03 12:00", resource="Studio"
    ).pairs
    assert by_booker.status == "pending"
    reservations.approve(as_("sam"), by_booker.id)
    [(_, by_approver)] = moves.move(
        as_("sam"), by_booker.id, "2027-03-04 10:00", "2027-03-04 12:00"
    ).pairs
    assert by_approver.status == "confirmed"
    assert by_approver.booked_by == "tester"  # the approver moved it; the booking stays theirs
    [(_, by_booker_again)] = moves.move(
        venue, by_approver.id, "2027-03-05 10:00", "2027-03-05 12:00"
    ).pairs
    assert by_booker_again.status == "pending"


def test_only_who_may_cancel_may_move(venue, as_):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    with pytest.raises(PermissionDenied):
        moves.move(as_("mallory"), old.id, "2027-03-03 10:00", "2027-03-03 12:00")
    assert reservations.get_reservation(venue, old.id).status == "confirmed"


def test_a_cancelled_booking_does_not_move(venue):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    reservations.cancel(venue, old.id, "off")
    with pytest.raises(InvalidTransition, match="only a pending or confirmed one moves"):
        moves.move(venue, old.id, "2027-03-03 10:00", "2027-03-03 12:00")


def test_a_group_moves_whole(venue, sql):
    made = groups.book_group(
        venue, ["Room", "Truck"], "2027-03-02 10:00", "2027-03-02 12:00", "Get-in"
    )
    room = made.reservations[0]
    moved = moves.move(
        venue, room.id, "2027-03-02 14:00", "2027-03-02 17:00", resource="Other room"
    )
    after = {new.resource: new for new in moved.replacements}
    assert set(after) == {"Other room", "Truck"}
    assert (after["Truck"].start.hour, after["Truck"].end.hour) == (14, 17)
    assert after["Truck"].group_id == after["Other room"].group_id != room.group_id
    assert {old.status for old, _ in moved.pairs} == {"cancelled"}


def test_a_group_blocked_on_one_row_moves_nothing(venue, sql):
    made = groups.book_group(
        venue, ["Room", "Truck"], "2027-03-02 10:00", "2027-03-02 12:00", "Get-in"
    )
    reservations.book(venue, "Truck", "2027-03-02 15:00", "2027-03-02 16:00", "Tour")
    with pytest.raises(Conflict) as refused:
        moves.move(venue, made.reservations[0].id, "2027-03-02 14:00", "2027-03-02 16:00")
    assert [b.resource for b in refused.value.blocked] == ["Truck"]
    assert {r.status for r in groups.group_rows(venue, made.group_ids[0])} == {"confirmed"}


def test_following_occurrences_move_by_the_same_wall_clock_shift_across_dst(venue, sql):
    # Weekly on Tuesdays from 16 March 2027; London goes to summer time on 28 March.
    booked = series.book_series(
        venue, "Room", "2027-03-16 10:00", "2027-03-16 11:00", "Class", "FREQ=WEEKLY;COUNT=4"
    )
    second = booked.reservations[1]
    moved = moves.move(venue, second.id, "2027-03-23 14:00", "2027-03-23 15:30", scope="following")
    replacements = sorted(moved.replacements, key=lambda r: r.start)
    assert [
        (r.start.day, r.start.hour, r.start.minute, r.end.hour, r.end.minute) for r in replacements
    ] == [(23, 14, 0, 15, 30), (30, 14, 0, 15, 30), (6, 14, 0, 15, 30)]
    assert {r.series_id for r in replacements} == {booked.series_id}
    first = reservations.get_reservation(venue, booked.reservations[0].id)
    assert first.status == "confirmed" and first.start.hour == 10


def test_a_series_moved_to_another_resource_gets_a_series_there(venue, sql):
    booked = series.book_series(
        venue, "Room", "2027-03-16 10:00", "2027-03-16 11:00", "Class", "FREQ=WEEKLY;COUNT=3"
    )
    moved = moves.move(
        venue,
        booked.reservations[0].id,
        "2027-03-16 10:00",
        "2027-03-16 11:00",
        resource="Other room",
        scope="series",
    )
    new_series = {r.series_id for r in moved.replacements}
    assert len(new_series) == 1 and booked.series_id not in new_series
    assert {r.resource for r in moved.replacements} == {"Other room"}


def test_a_bad_move_is_bad_input(venue):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    with pytest.raises(BadInput):
        moves.move(venue, old.id, "2027-03-02 12:00", "2027-03-02 11:00")
    with pytest.raises(BadInput, match="not part of a series"):
        moves.move(venue, old.id, "2027-03-02 12:00", "2027-03-02 13:00", scope="following")


def test_plain_sql_cannot_forge_a_move_link(venue, sql):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    room = old.resource_id
    with pytest.raises(psycopg.Error, match="was not cancelled by"):
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title, moved_from)"
            " VALUES (%s, tstzrange('2027-03-05 10:00Z', '2027-03-05 12:00Z'), 'fake', %s)",
            (room, old.id),
        )
    reservations.cancel(venue, old.id, "done")
    with pytest.raises(psycopg.Error, match="was not cancelled by"):  # not in this transaction
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title, moved_from)"
            " VALUES (%s, tstzrange('2027-03-05 10:00Z', '2027-03-05 12:00Z'), 'fake', %s)",
            (room, old.id),
        )


def test_the_approval_queue_says_where_a_moved_request_was(venue, as_, spaces):
    from spaces_tui.engine import approvals

    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    moves.move(venue, old.id, "2027-03-03 14:00", "2027-03-03 16:00", resource="Studio")
    [request] = approvals.pending_requests(as_("sam"))
    assert request.moved_from == "moved from Tue 2 Mar 10:00 on Room"
    listed = spaces("pending", actor="sam")
    assert "moved from Tue 2 Mar 10:00 on Room" in listed.out


def test_history_says_what_a_replacement_replaced(venue, spaces):
    old = reservations.book(venue, "Room", "2027-03-02 10:00", "2027-03-02 12:00", "Tech")
    [(_, new)] = moves.move(venue, old.id, "2027-03-02 14:00", "2027-03-02 16:00").pairs
    shown = spaces("history", str(new.id))
    assert f"created (confirmed) in place of #{old.id} by tester" in shown.out
    assert f"moved from #{old.id}" in shown.out
