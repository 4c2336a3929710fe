"""Finding a booking on the calendar: `/` keeps the resources whose name or kind holds the text,
and those with a booking in view whose title holds it. On a fixed clock (11:15 on Tue 24 Nov
2026, Europe/London), 80x24."""

from __future__ import annotations

import pendulum
import pytest
from textual.widgets import Static
from tui_helpers import SIZE, ZONE, home, make_app, press, settle

from spaces_tui.engine import groups, reservations, resources
from spaces_tui.engine.calendar import load_window
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.grid import filter_rows


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


async def search(pilot, text: str) -> None:
    await press(pilot, "slash")
    await pilot.press(*text)
    await press(pilot, "enter")


def rows(app: SpacesApp) -> list[str]:
    grid = home(app).timeline.grid
    assert grid is not None
    return [resource.name for resource in grid.rows]


# --- the grid, without a screen ---------------------------------------------------------------


def test_a_title_in_view_keeps_its_resource_and_the_tree_above_it(venue):
    window = load_window(venue, at(25), at(26))
    kept = filter_rows(window.resources, "ZEBRA", window.reservations)
    assert [r.name for r in kept] == ["Main Stage", "Main DS"]
    assert [r.name for r in filter_rows(window.resources, "zebra")] == [], "titles not given"
    assert [r.name for r in filter_rows(window.resources, "truck", window.reservations)] == [
        "Truck"
    ]


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
