"""Finding a booking on the calendar: `/` keeps the resources whose name or kind holds the text,
and those with a booking in view whose title holds it; while it is set, `n` and `N` take the
cursor to the next and the previous such booking (by start, then top to bottom), past the view
into the day or week of the next one, and `n` is no longer "new booking" (enter on a free slot
and the palette still are). On a fixed clock (11:15 on Tue 24 Nov 2026, Europe/London), 80x24."""

from __future__ import annotations

import pendulum
import pytest
from textual.widgets import Input, Static
from tui_helpers import SIZE, ZONE, home, make_app, palette, press, settle, wait_until

from spaces_tui.engine import groups, reservations, resources
from spaces_tui.engine.calendar import load_window
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.grid import DAY, WEEK, Grid, filter_rows
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.home import TimelineScreen


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Main Stage", "stage", timezone=ZONE)
    resources.add_resource(db, "Main DS", "floor_area", parent="Main Stage")
    for name, kind in (("Rehearsal 1", "room"), ("Rehearsal 2", "room"), ("Truck", "vehicle")):
        resources.add_resource(db, name, kind, timezone=ZONE)
    for resource, start, title in (
        ("Truck", "2026-11-16T10:00", "Zebra past"),
        ("Rehearsal 1", "2026-11-24T09:00", "Zebra call"),
        ("Rehearsal 2", "2026-11-24T09:00", "zebra notes"),
        ("Rehearsal 1", "2026-11-24T12:00", "Lunch"),
        ("Truck", "2026-11-24T14:00", "Load ZEBRA"),
        ("Main DS", "2026-11-25T10:00", "Zebra on stage"),
        ("Rehearsal 2", "2026-12-01T10:00", "Zebra far"),
    ):
        reservations.book(db, resource, start, "+1h", title)
    # One booking on two rooms at once (a group): both rows start together.
    groups.book_group(db, ["Rehearsal 2", "Rehearsal 1"], "2026-11-26T10:00", "+1h", "Zebra group")
    return db


def at(day: int, hour: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, day, hour, tz=ZONE)


def cursor(app: SpacesApp) -> tuple[str, str]:
    """The resource and the time of the cell under the calendar's cursor."""
    timeline = home(app).timeline
    grid = timeline.grid
    assert grid is not None
    row, col = timeline.cursor.row, timeline.cursor.col
    return grid.rows[row].name, grid.column_start(col).format("ddd D MMM HH:mm")


def on(app: SpacesApp) -> str:
    """The title of the booking under the cursor."""
    span = home(app).timeline.span_under_cursor()
    assert span is not None, cursor(app)
    return span.item.title


async def search(pilot, text: str) -> None:
    await press(pilot, "slash")
    await pilot.press(*text)
    await press(pilot, "enter")


def rows(app: SpacesApp) -> list[str]:
    grid = home(app).timeline.grid
    assert grid is not None
    return [resource.name for resource in grid.rows]


def key_n(app: SpacesApp) -> str:
    """What n does on the calendar now, as its footer says."""
    return home(app).active_bindings["n"].binding.action


# --- the grid, without a screen ---------------------------------------------------------------


def test_a_title_in_view_keeps_its_resource_and_the_tree_above_it(venue):
    window = load_window(venue, at(25), at(26))
    kept = filter_rows(window.resources, "ZEBRA", window.reservations)
    assert [r.name for r in kept] == ["Main Stage", "Main DS"]
    assert [r.name for r in filter_rows(window.resources, "zebra")] == [], "titles not given"
    assert [r.name for r in filter_rows(window.resources, "truck", window.reservations)] == [
        "Truck"
    ]


def test_matches_are_in_order_of_start_then_row_with_their_columns(venue):
    grid = Grid(load_window(venue, at(24), at(25)), DAY, at(24), "tester", "zebra")
    assert [r.name for r in grid.rows] == ["Rehearsal 1", "Rehearsal 2", "Truck"]
    found = [(m.row, m.booking.title, m.columns) for m in grid.matches(" Zebra ")]
    assert found == [
        (0, "Zebra call", range(18, 20)),
        (1, "zebra notes", range(18, 20)),
        (2, "Load ZEBRA", range(28, 30)),
    ]
    assert grid.matches("") == []
    week = Grid(load_window(venue, at(23), at(30)), WEEK, at(23), "tester", "zebra")
    assert [m.columns for m in week.matches("zebra") if m.booking.title == "Zebra call"] == [
        range(11, 12)
    ]


def test_the_next_booking_past_a_view_is_found_in_the_database(venue):
    later = reservations.next_titled(venue, "ZEBRA", at(25))
    assert later is not None and later.title == "Zebra on stage"
    earlier = reservations.next_titled(venue, "zebra", at(24), backwards=True)
    assert earlier is not None and earlier.title == "Zebra past"
    half_past = pendulum.datetime(2026, 11, 24, 9, 30, tz=ZONE)
    before = reservations.next_titled(venue, "zebra", half_past, backwards=True)
    assert before is not None and before.title == "Zebra past", "Zebra call ends after 09:30"
    assert reservations.next_titled(venue, "lunch", at(25)) is None


# --- the calendar -----------------------------------------------------------------------------


async def test_slash_keeps_the_resources_with_a_matching_title_in_view(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(rows(app)) == 5
        await search(pilot, "zebra")
        assert rows(app) == ["Rehearsal 1", "Rehearsal 2", "Truck"]
        where = str(home(app).query_one("#where", Static).render())
        assert "3 resources matching 'zebra'" in where
        await press(pilot, "right_square_bracket")
        assert rows(app) == ["Main Stage", "Main DS"], "the titles of the day shown"
        await press(pilot, "escape")
        assert len(rows(app)) == 5


async def test_n_is_new_booking_unless_a_filter_is_set(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert key_n(app) == "new_booking"
        assert "N" not in home(app).active_bindings
        await search(pilot, "zebra")
        assert key_n(app) == "find(1)"
        assert home(app).active_bindings["N"].binding.action == "find(-1)"
        await press(pilot, "escape")
        assert key_n(app) == "new_booking"
        await press(pilot, "n")
        assert isinstance(app.screen, BookingForm)


async def test_the_filter_box_takes_n_as_a_letter(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = cursor(app)
        await press(pilot, "slash")
        await pilot.press(*"notes")
        await settle(pilot)
        assert home(app).query_one("#filter", Input).value == "notes"
        assert cursor(app)[1] == start[1] and isinstance(app.screen, TimelineScreen)


async def test_n_and_N_go_from_match_to_match_and_past_the_view(venue, no_bugs):
    app = make_app(venue)
    notes: list[str] = []
    show = app.notify
    app.notify = lambda message, **kwargs: (notes.append(message), show(message, **kwargs))[1]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "zebra")
        assert cursor(app) == ("Rehearsal 1", "Tue 24 Nov 11:00")
        forward = [
            ("Truck", "Tue 24 Nov 14:00", "Load ZEBRA"),
            ("Main DS", "Wed 25 Nov 10:00", "Zebra on stage"),  # the next day
            ("Rehearsal 1", "Thu 26 Nov 10:00", "Zebra group"),  # both rows of the group
            ("Rehearsal 2", "Thu 26 Nov 10:00", "Zebra group"),
            ("Rehearsal 2", "Tue 1 Dec 10:00", "Zebra far"),  # five days on
        ]
        for expected in forward:
            await press(pilot, "n")
            await wait_until(pilot, lambda e=expected: cursor(app) == e[:2], f"n to {expected}")
            assert on(app) == expected[2]
        await press(pilot, "n")
        assert notes[-1] == "No later booking has 'zebra' in its title."
        assert cursor(app) == ("Rehearsal 2", "Tue 1 Dec 10:00")

        backward = [
            ("Rehearsal 2", "Thu 26 Nov 10:00", "Zebra group"),  # the group's last row first
            ("Rehearsal 1", "Thu 26 Nov 10:00", "Zebra group"),
            ("Main DS", "Wed 25 Nov 10:00", "Zebra on stage"),
            ("Truck", "Tue 24 Nov 14:00", "Load ZEBRA"),
            ("Rehearsal 2", "Tue 24 Nov 09:00", "zebra notes"),
            ("Rehearsal 1", "Tue 24 Nov 09:00", "Zebra call"),
            ("Truck", "Mon 16 Nov 10:00", "Zebra past"),
        ]
        for expected in backward:
            await press(pilot, "N")
            await wait_until(pilot, lambda e=expected: cursor(app) == e[:2], f"N to {expected}")
            assert on(app) == expected[2]
        await press(pilot, "N")
        assert notes[-1] == "No earlier booking has 'zebra' in its title."


async def test_in_a_week_n_goes_through_bookings_that_share_a_cell(venue, no_bugs):
    reservations.book(venue, "Rehearsal 1", "2026-11-24T10:00", "+1h", "Zebra again")
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        await search(pilot, "zebra")
        seen = []
        for _ in range(4):
            await press(pilot, "n")
            seen.append(cursor(app))
        assert seen == [
            ("Rehearsal 1", "Tue 24 Nov 09:00"),  # Zebra call: 09:00 to 12:00 is one cell
            ("Rehearsal 2", "Tue 24 Nov 09:00"),  # zebra notes
            ("Rehearsal 1", "Tue 24 Nov 09:00"),  # Zebra again, in Zebra call's cell
            ("Truck", "Tue 24 Nov 12:00"),  # not stuck in that cell
        ]


async def test_with_a_filter_set_the_palette_still_books(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search(pilot, "zebra")
        await palette(pilot, "New booking")
        assert isinstance(app.screen, BookingForm)
