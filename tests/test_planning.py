"""What is free (spaces free) and when a set is free together (spaces find), against hand-built
trees: a stage and its areas, blackouts above, turnover buffers, capacity, bookable hours across
a clock change; and the same answers as asking the conflict check resource by resource."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spaces_tui.engine import blackouts, planning, reservations, resources
from spaces_tui.engine.errors import BadInput, NotFound
from spaces_tui.engine.hours import parse_week

DAY = "2027-03-02"
HOUR = timedelta(hours=1)


def at(clock: str, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}+00:00")


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Stage", "stage", timezone="UTC", capacity=200)
    resources.add_resource(db, "Stage Left", "floor_area", parent="Stage", capacity=40)
    resources.add_resource(db, "Stage Right", "floor_area", parent="Stage", capacity=40)
    resources.add_resource(db, "Room 1", "room", timezone="UTC", capacity=12, buffer_minutes=30)
    resources.add_resource(db, "Room 2", "room", timezone="UTC", capacity=25)
    resources.add_resource(db, "Truck", "vehicle", timezone="UTC")
    return db


def free_names(db, start, end, **options) -> list[str]:
    found = planning.free_resources(db, start, end, zone="UTC", **options)
    return [a.resource.name for a in found.free]


# --- free ----------------------------------------------------------------------------------


def test_everything_is_free_on_an_empty_day(venue):
    assert free_names(venue, at("10:00"), at("12:00")) == [
        "Room 1",
        "Room 2",
        "Stage",
        "Stage Left",
        "Stage Right",
        "Truck",
    ]


def test_an_area_under_a_booked_stage_is_not_free_and_says_why(venue):
    show = reservations.book(venue, "Stage", at("10:00"), at("12:00"), "Show")
    found = planning.free_resources(venue, at("11:00"), at("13:00"), zone="UTC")
    taken = {a.resource.name: a for a in found.taken}
    assert set(taken) == {"Stage", "Stage Left", "Stage Right"}
    assert [o.id for o in taken["Stage Left"].obstacles] == [show.id]
    assert taken["Stage Left"].obstacles[0].resource == "Stage"


def test_a_stage_with_a_booked_area_is_not_free_but_the_other_area_is(venue):
    reservations.book(venue, "Stage Left", at("10:00"), at("12:00"), "Rig")
    names = free_names(venue, at("10:00"), at("12:00"))
    assert "Stage" not in names and "Stage Left" not in names and "Stage Right" in names


def test_a_blackout_above_takes_everything_inside_it(venue):
    blackouts.add_blackout(venue, "Stage", at("09:00"), at("18:00"), "repaint", kind="maintenance")
    names = free_names(venue, at("17:00"), at("19:00"))
    assert not {"Stage", "Stage Left", "Stage Right"} & set(names)
    assert {"Stage", "Stage Left"} <= set(free_names(venue, at("18:00"), at("19:00")))


def test_turnover_keeps_the_next_booking_off_and_the_one_before(venue):
    reservations.book(venue, "Room 1", at("10:00"), at("12:00"), "Class")
    assert "Room 1" not in free_names(venue, at("12:00"), at("13:00"))  # cleaning until 12:30
    assert "Room 1" in free_names(venue, at("12:30"), at("13:00"))
    # a booking ending at 10:00 would need its own 30 minutes before the class
    assert "Room 1" not in free_names(venue, at("09:00"), at("10:00"))
    assert "Room 1" in free_names(venue, at("09:00"), at("09:30"))


def test_capacity_kind_under_and_attributes_narrow_the_answer(venue):
    resources.update_resource(venue, "Room 2", attributes={"piano": True, "floor": "sprung"})
    assert free_names(venue, at("10:00"), at("11:00"), kinds=["room"], headcount=20) == ["Room 2"]
    assert free_names(venue, at("10:00"), at("11:00"), under="Stage") == [
        "Stage Left",
        "Stage Right",
    ]
    assert free_names(venue, at("10:00"), at("11:00"), attributes={"piano": True}) == ["Room 2"]
    assert free_names(venue, at("10:00"), at("11:00"), attributes={"floor": "sprung"}) == ["Room 2"]
    over = planning.free_resources(venue, at("10:00"), at("11:00"), zone="UTC", headcount=20)
    assert {a.resource.name for a in over.taken if a.over_capacity} == {"Room 1"}


def test_inactive_resources_are_not_offered(venue):
    resources.update_resource(venue, "Truck", active=False)
    assert "Truck" not in free_names(venue, at("10:00"), at("11:00"))


def test_bad_questions_are_bad_input(venue):
    with pytest.raises(BadInput):
        free_names(venue, at("12:00"), at("10:00"))
    with pytest.raises(NotFound):
        free_names(venue, at("10:00"), at("11:00"), under="Nowhere")
    with pytest.raises(BadInput):
        planning.parse_attributes(["no-equals"])


def test_free_agrees_with_the_conflict_check_resource_by_resource(venue):
    reservations.book(venue, "Stage Left", at("09:00"), at("11:00"), "Rig")
    reservations.book(venue, "Room 1", at("10:00"), at("11:30"), "Class")
    blackouts.add_blackout(venue, "Room 2", at("11:00"), at("12:00"), "hold", kind="hold")
    for start, end in [
        (at("08:00"), at("09:00")),
        (at("10:30"), at("12:30")),
        (at("11:30"), at("11:45")),
        (at("12:00"), at("14:00")),
    ]:
        found = planning.free_resources(venue, start, end, zone="UTC")
        for availability in found.resources:
            by_check = reservations.check(venue, availability.resource.id, start, end)
            assert [o.id for o in availability.obstacles] == [o.id for o in by_check]


# --- find ----------------------------------------------------------------------------------


def openings(db, names, length, start, end, **options) -> list[tuple[str, str]]:
    found = planning.find_times(db, names, length, start=start, end=end, **options)
    return [(o.first.strftime("%d %H:%M"), o.last.strftime("%d %H:%M")) for o in found.openings]


def test_find_gives_the_stretches_when_every_resource_is_free_at_once(venue):
    reservations.book(venue, "Room 2", at("10:00"), at("12:00"), "Class")
    reservations.book(venue, "Truck", at("13:00"), at("14:00"), "Run")
    found = openings(venue, ["Room 2", "Truck"], 2 * HOUR, at("08:00"), at("18:00"))
    # 08:00 fits exactly before the class; then 14:00 to 16:00 (ending at 18:00)
    assert found == [("02 08:00", "02 08:00"), ("02 14:00", "02 16:00")]


def test_find_keeps_the_tree_and_the_turnover(venue):
    reservations.book(venue, "Stage", at("10:00"), at("11:00"), "Show")
    reservations.book(venue, "Room 1", at("12:00"), at("13:00"), "Class")
    found = openings(venue, ["Stage Left", "Room 1"], HOUR, at("09:00"), at("15:00"))
    # 09:00 ends as the show starts; the area is free again at 11:00, but then the room's
    # turnover would run into the class (its last start before it is 10:30); after the class
    # the room is clean at 13:30
    assert found == [("02 09:00", "02 09:00"), ("02 13:30", "02 14:00")]


def test_find_within_hours_stays_inside_each_resources_hours(venue):
    resources.update_resource(venue, "Room 2", hours=parse_week(["09:00-17:00"]))
    found = openings(
        venue, ["Room 2"], 3 * HOUR, at("00:00"), at("00:00", "2027-03-04"), within_hours=True
    )
    assert found == [("02 09:00", "02 14:00"), ("03 09:00", "03 14:00")]


def test_find_within_hours_across_a_clock_change(db):
    resources.add_resource(
        db, "London Room", "room", timezone="Europe/London", hours=parse_week(["09:00-17:00"])
    )
    # the clocks go forward on Sunday 28 March 2027: 09:00 local is 09:00 UTC before, 08:00 after
    found = planning.find_times(
        db,
        ["London Room"],
        8 * HOUR,
        start="2027-03-27T00:00",
        end="2027-03-29T00:00",
        within_hours=True,
    )
    assert [o.first.isoformat() for o in found.openings] == [
        "2027-03-27T09:00:00+00:00",
        "2027-03-28T09:00:00+01:00",
    ]


def test_find_leaves_a_moving_booking_out_and_honours_step_and_count(venue):
    held = reservations.book(venue, "Truck", at("10:00"), at("12:00"), "Run")
    assert openings(venue, ["Truck"], HOUR, at("10:00"), at("12:00")) == []
    assert openings(venue, ["Truck"], HOUR, at("10:00"), at("12:00"), exclude_id=held.id) == [
        ("02 10:00", "02 11:00")
    ]
    reservations.book(venue, "Room 2", at("09:10"), at("09:20"), "Chat")
    reservations.book(venue, "Room 2", at("10:00"), at("10:05"), "Chat")
    assert openings(
        venue,
        ["Room 2"],
        timedelta(minutes=20),
        at("09:00"),
        at("11:00"),
        step=timedelta(minutes=30),
        count=2,
    ) == [
        ("02 09:30", "02 09:30"),
        ("02 10:30", "02 10:30"),
    ]


def test_find_refuses_what_it_cannot_answer(venue):
    with pytest.raises(BadInput):
        openings(venue, ["Truck"], HOUR, at("10:00"), at("10:00", "2028-06-01"))
    with pytest.raises(BadInput):
        openings(venue, ["Truck"], HOUR, at("10:00"), at("12:00"), step=timedelta(seconds=5))
    with pytest.raises(BadInput):
        openings(venue, ["Truck"], HOUR, at("10:00"), at("12:00"), count=0)
    with pytest.raises(NotFound):
        openings(venue, ["Truck", "Nowhere"], HOUR, at("10:00"), at("12:00"))
    resources.update_resource(venue, "Truck", active=False)
    with pytest.raises(BadInput, match="not active"):
        openings(venue, ["Truck"], HOUR, at("10:00"), at("12:00"))


def test_suggestions_offer_the_next_free_start_and_another_resource(venue):
    reservations.book(venue, "Room 2", at("10:00"), at("12:00"), "Class")
    offered = planning.suggestions(venue, "Room 2", at("11:00"), at("12:00"), headcount=10)
    assert offered.next_start is not None and offered.next_start.strftime("%H:%M") == "12:00"
    assert offered.elsewhere is not None and offered.elsewhere.name == "Room 1"
    crowd = planning.suggestions(venue, "Room 2", at("11:00"), at("12:00"), headcount=20)
    assert crowd.elsewhere is None  # Room 1 holds 12


# --- the same answers as the conflict check, over random venues ------------------------------

QUARTER = timedelta(minutes=15)
WINDOW = (at("08:00"), at("14:00"))


@st.composite
def venues(draw):
    """A stage with two areas and a room, each with a buffer, and bookings and blackouts on
    them at quarter hours between 08:00 and 14:00: (buffers, holds, blackouts, asked, length)."""
    buffers = draw(st.lists(st.sampled_from([0, 15, 30]), min_size=4, max_size=4))
    slot = st.tuples(st.integers(0, 3), st.integers(0, 23), st.integers(1, 8))
    holds = draw(st.lists(slot, max_size=6))
    blacks = draw(st.lists(slot, max_size=2))
    asked = draw(st.lists(st.integers(0, 3), min_size=1, max_size=2, unique=True))
    length = draw(st.integers(1, 8))
    return buffers, holds, blacks, asked, length


_built = iter(range(10**6))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(venue_plan=venues())
def test_find_and_free_agree_with_the_conflict_check_on_random_venues(db, venue_plan):
    buffers, holds, blacks, asked, length = venue_plan
    tag = next(_built)
    names = [f"S{tag}", f"S{tag} A", f"S{tag} B", f"R{tag}"]
    parents = [None, names[0], names[0], None]
    for name, parent, buffer in zip(names, parents, buffers, strict=True):
        resources.add_resource(
            db, name, "room", parent=parent, timezone="UTC", buffer_minutes=buffer
        )
    for which, start, quarters in holds:
        begins = WINDOW[0] + start * QUARTER
        if not reservations.check(db, names[which], begins, begins + quarters * QUARTER):
            reservations.book(db, names[which], begins, begins + quarters * QUARTER, "x")
    for which, start, quarters in blacks:
        begins = WINDOW[0] + start * QUARTER
        blackouts.add_blackout(
            db,
            names[which],
            begins,
            begins + quarters * QUARTER,
            "b",
            kind="hold",
            cancel_conflicting=True,
        )
    wanted = [names[i] for i in asked]
    span = length * QUARTER
    found = planning.find_times(
        db, wanted, span, start=WINDOW[0], end=WINDOW[1], count=100, step=QUARTER
    )
    by_find = {
        o.first + k * QUARTER
        for o in found.openings
        for k in range(int((o.last - o.first).total_seconds() // 900) + 1)
    }
    starts = [
        WINDOW[0] + k * QUARTER for k in range(int((WINDOW[1] - WINDOW[0] - span) / QUARTER) + 1)
    ]
    by_check = {
        s for s in starts if not any(reservations.check(db, n, s, s + span) for n in wanted)
    }
    assert by_find == by_check
    free = planning.free_resources(
        db, WINDOW[0] + 4 * QUARTER, WINDOW[0] + 4 * QUARTER + span, zone="UTC"
    )
    for availability in free.resources:
        if availability.resource.name in names:
            by_one = reservations.check(
                db,
                availability.resource.id,
                WINDOW[0] + 4 * QUARTER,
                WINDOW[0] + 4 * QUARTER + span,
            )
            assert [o.id for o in availability.obstacles] == [o.id for o in by_one]


def test_a_slot_in_the_past_is_offered_a_start_from_now_on(venue):
    reservations.book(venue, "Room 2", at("10:00"), at("12:00"), "Class")
    offered = planning.suggestions(
        venue, "Room 2", at("10:00"), at("11:00"), not_before=at("15:07")
    )
    assert offered.next_start is not None and offered.next_start.strftime("%H:%M") == "15:15"
