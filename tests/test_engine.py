"""The engine's own behaviour: the resource registry, and how refusals reach Python."""

import pytest

from spaces_tui.engine import blackouts, reservations, resources
from spaces_tui.engine.errors import BadInput, Conflict, InvalidTransition, NotFound


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Stage A", "stage", timezone="Europe/London")
    resources.add_resource(db, "Left", "floor_area", parent="Stage A")
    resources.add_resource(db, "Right", "floor_area", parent="Stage A", buffer_minutes=30)
    resources.add_resource(db, "Downstage", "floor_area", parent="Left")
    resources.add_resource(db, "Annex", "room", timezone="UTC")
    return db


def test_resources_are_listed_as_a_tree(venue):
    listed = [(r.name, r.depth, r.parent) for r in resources.list_resources(venue)]
    assert listed == [
        ("Annex", 0, None),
        ("Stage A", 0, None),
        ("Left", 1, "Stage A"),
        ("Downstage", 2, "Left"),
        ("Right", 1, "Stage A"),
    ]


def test_an_area_keeps_its_stages_zone_unless_told(venue):
    assert resources.get_resource(venue, "Downstage").timezone == "Europe/London"
    own = resources.add_resource(venue, "Wing", "floor_area", parent="Stage A", timezone="UTC")
    assert own.timezone == "UTC"


def test_resources_are_found_by_name_or_id(venue):
    annex = resources.get_resource(venue, "Annex")
    assert resources.get_resource(venue, annex.id).name == "Annex"
    assert resources.get_resource(venue, str(annex.id)).name == "Annex"
    with pytest.raises(NotFound, match="no resource named Nowhere"):
        resources.get_resource(venue, "Nowhere")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "Big Room"}, "one lower-case word"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"capacity": 0}, "capacity must be at least 1"),
        ({"buffer_minutes": 2000}, "between 0 and 1440"),
        ({"colour": "red"}, "cannot change colour"),
        ({"name": "  "}, "needs a name"),
    ],
)
def test_bad_resource_changes_are_refused_kindly(venue, changes, message):
    with pytest.raises(BadInput, match=message):
        resources.update_resource(venue, "Annex", **changes)


def test_a_resource_cannot_be_placed_inside_its_own_area(venue):
    with pytest.raises(BadInput, match="cannot be placed inside"):
        resources.update_resource(venue, "Stage A", parent="Downstage")
    assert resources.get_resource(venue, "Stage A").parent is None


def test_moving_a_resource_carries_its_bookings_and_is_refused_if_they_would_collide(venue):
    reservations.book(venue, "Annex", "2026-12-01T10:00", "12:00", "Annex rehearsal")
    reservations.book(venue, "Stage A", "2026-12-01T11:00", "13:00", "Stage call")
    collide = r"Annex cannot move inside Stage A: .*'Annex rehearsal'.* with 'Stage call'"
    with pytest.raises(BadInput, match=collide):
        resources.update_resource(venue, "Annex", parent="Stage A")
    assert resources.get_resource(venue, "Annex").parent is None

    reservations.book(venue, "Right", "2026-12-02T10:00", "12:00", "Right rig")
    resources.update_resource(venue, "Right", parent=None)  # out of the stage: stage is free
    reservations.book(venue, "Stage A", "2026-12-02T10:00", "12:00", "Whole stage")


def test_raising_a_buffer_is_refused_when_bookings_would_then_touch(venue):
    reservations.book(venue, "Annex", "2026-12-01T10:00", "12:00", "first")
    reservations.book(venue, "Annex", "2026-12-01T12:15", "13:00", "second")
    resources.update_resource(venue, "Annex", buffer_minutes=15)
    with pytest.raises(BadInput, match=r"turnover of 30 minutes: .*'first'.* with .*'second'"):
        resources.update_resource(venue, "Annex", buffer_minutes=30)
    assert resources.get_resource(venue, "Annex").buffer_minutes == 15


def test_booking_input_is_checked_before_anything_is_written(venue):
    cases = [
        (("Annex", "2026-12-01T10:00", "09:00", "backwards"), "must be after the start"),
        (("Annex", "2026-12-01T10:00", "10:00", "empty"), "must be after the start"),
        (("Annex", "soon", "+1h", "vague"), "cannot read start"),
        (("Annex", "2026-12-01T10:00", "+1x", "odd"), "not a duration"),
        (("Annex", "2026-12-01T10:00", "+1h", "   "), "needs a title"),
        (("Nowhere", "2026-12-01T10:00", "+1h", "lost"), "no resource"),
    ]
    for args, message in cases:
        with pytest.raises((BadInput, NotFound), match=message):
            reservations.book(venue, *args)
    assert reservations.list_reservations(venue, statuses=reservations.STATUSES) == []


def test_headcount_over_capacity_is_refused_by_the_database(venue):
    resources.add_resource(venue, "Booth", "room", capacity=2)
    with pytest.raises(BadInput, match="headcount of 3 is more than Booth holds"):
        reservations.book(venue, "Booth", "2026-12-01T10:00", "+1h", "crowd", headcount=3)


def test_deciding_twice_says_who_decided(venue):
    resources.add_resource(venue, "Truck", "vehicle", requires_approval=True, approvers=["tester"])
    booked = reservations.book(venue, "Truck", "2026-12-01T10:00", "+1h", "load")
    reservations.approve(venue, booked.id, "fine")
    said = r"reservation \d+ was already approved by tester at 20\d\d-\d\d-\d\d \d\d:\d\d: fine"
    with pytest.raises(InvalidTransition, match=said):
        reservations.approve(venue, booked.id)
    with pytest.raises(InvalidTransition, match=said):
        reservations.reject(venue, booked.id, "too late")
    reservations.cancel(venue, booked.id, "show moved")
    with pytest.raises(InvalidTransition, match=r"was already cancelled by tester .*: show moved"):
        reservations.cancel(venue, booked.id, "again")


def test_a_conflict_names_what_is_in_the_way_in_its_own_zone(venue):
    reservations.book(venue, "Left", "2026-07-01T10:00", "12:00", "Left rig")
    blackouts.add_blackout(venue, "Right", "2026-07-01T11:00", "15:00", "paint", kind="maintenance")
    with pytest.raises(Conflict) as refused:
        reservations.book(venue, "Stage A", "2026-07-01T09:00", "18:00", "Show")
    found = {(o.kind, o.resource, o.title, o.start.isoformat()) for o in refused.value.obstacles}
    assert found == {
        ("reservation", "Left", "Left rig", "2026-07-01T10:00:00+01:00"),
        ("blackout", "Right", "paint", "2026-07-01T11:00:00+01:00"),
    }


def test_listing_a_window_uses_the_resources_zone_for_naive_times(venue):
    booked = reservations.book(venue, "Stage A", "2026-07-01T00:10", "00:50", "late")
    # 00:10-00:50 in London is 23:10-23:50 UTC the day before: a UTC window for 1 July misses it
    in_utc = reservations.list_reservations(venue, start="2026-07-01", end="2026-07-02", zone="UTC")
    assert in_utc == []
    # ... and the resource's own day finds it.
    own = reservations.list_reservations(
        venue, resource="Stage A", start="2026-07-01", end="2026-07-02"
    )
    assert [r.id for r in own] == [booked.id]
