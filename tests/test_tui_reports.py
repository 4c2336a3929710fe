"""The reports screen and its heat map, driven by Textual's Pilot against a real database on an
80x24 terminal and the fixed clock (Tuesday 24 Nov 2026): the default window is the 28 days
ending then, 28 Oct to 24 Nov, which holds four Tuesdays (3, 10, 17 and 24 Nov).

Each resource of the small venue is bookable on Tuesdays 09:00-17:00 only, 8 hours a week, so 32
hours in the window: the annex is booked 10:00-14:00 every Tuesday (16 of 32 hours, 50%), the
box truck 09:00-16:00 (28 of 32, over-used) and the cellar never (under-used)."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from textual.widgets import DataTable
from tui_helpers import (
    SIZE,
    ZONE,
    app_showing,
    make_app,
    palette,
    press,
    settle,
    text_of,
    wait_until,
)

from spaces_tui.engine import reservations, resources
from spaces_tui.tui.glyphs import ASCII, CONSOLE, UNICODE
from spaces_tui.tui.screens.heat_map import HeatMap, HeatMapScreen, cell_width, hours_line
from spaces_tui.tui.screens.reports import ReportsScreen
from spaces_tui.tui.usage import Days, bar_text, heat_cell, hours_cell, hours_text

TUESDAY_9_TO_17 = "{[1980,2460)}"  # minutes from Monday 00:00: Tuesday 09:00-17:00
TUESDAYS = ("2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24")
NEXT_TUESDAY = "2026-12-01"  # the first of the window after: 25 Nov to 22 Dec


@pytest.fixture
def venue(db):
    for name, kind in (("Annex", "room"), ("Box Truck", "vehicle"), ("Cellar", "room")):
        resources.add_resource(db, name, kind, timezone=ZONE)
    with db.transaction() as conn:
        conn.execute("UPDATE spaces.resources SET bookable_week = %s", (TUESDAY_9_TO_17,))
    for day in TUESDAYS:
        reservations.book(db, "Annex", f"{day}T10:00", f"{day}T14:00", title="Class")
        reservations.book(db, "Box Truck", f"{day}T09:00", f"{day}T16:00", title="Tour")
    return db


def reports(db, *, listen: bool = False):
    """The app with the reports screen open (app_showing)."""
    return app_showing(db, ReportsScreen, listen=listen)


def rows(screen: ReportsScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


def names(screen: ReportsScreen) -> list[str]:
    return [row[0] for row in rows(screen)]


def row_of(screen: ReportsScreen, name: str) -> list[str]:
    return next(row for row in rows(screen) if row[0] == name)


def put_cursor(screen: ReportsScreen, name: str) -> None:
    screen.query_one(DataTable).move_cursor(row=names(screen).index(name), animate=False)


# --- drawing, without a screen -----------------------------------------------------------------


def test_a_bar_fills_its_share_of_its_cells_in_every_set():
    assert bar_text(0.5, 10, UNICODE) == "█████·····"
    assert bar_text(0.55, 10, UNICODE) == "█████▌····"
    assert bar_text(0.55, 10, CONSOLE) == "█████▌····"
    assert bar_text(0.55, 10, ASCII) == "#####=...."
    assert bar_text(1.0, 4, ASCII) == "####"
    assert bar_text(0.0, 4, ASCII) == "...."
    assert bar_text(None, 4, ASCII) == "    ", "nothing bookable: nothing to measure"


def test_a_heat_cell_shows_any_booking_and_tells_closed_from_empty():
    assert [heat_cell(share, 1, UNICODE) for share in (0, 0.01, 0.5, 0.76, 1, None)] == [
        " ",
        "░",
        "▒",
        "█",
        "█",
        "─",
    ]
    assert [heat_cell(share, 2, ASCII) for share in (0, 0.25, 0.26, 1, None)] == [
        "  ",
        "..",
        "::",
        "##",
        "--",
    ]


def test_hours_and_windows_read_as_a_person_writes_them():
    assert [hours_text(timedelta(hours=h)) for h in (0, 4, 2.5, 392)] == [
        "0h",
        "4h",
        "2.5h",
        "392h",
    ]
    cells = [hours_cell(timedelta(hours=h)) for h in (0, 2.5, 27.5, 392)]
    assert cells == ["-", "2.5h", "28h", "392h"], "a table's column stays narrow"
    window = Days(date(2026, 10, 28), date(2026, 11, 24))
    assert window.text(UNICODE) == "28 Oct – 24 Nov 2026, 28 days"
    assert window.shifted(1) == Days(date(2026, 11, 25), date(2026, 12, 22))
    assert window.shifted(-1).text(ASCII) == "30 Sep - 27 Oct 2026, 28 days"
    assert Days(date(2026, 12, 20), date(2027, 1, 16)).text(UNICODE).startswith("20 Dec 2026 –")


def test_the_heat_map_has_three_columns_an_hour_at_80_and_two_at_60():
    assert cell_width(76) == 3 and cell_width(58) == 2
    assert hours_line(76).split() == [f"{hour:02d}" for hour in range(24)]
    assert hours_line(58).split() == [f"{hour:02d}" for hour in range(0, 24, 2)]


# --- the screen --------------------------------------------------------------------------------


async def test_u_opens_the_reports_with_the_figures_of_each_resource(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "u")
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        #                       bar and share      flag      open   conf  pend  out
        assert rows(screen) == [
            ["Box Truck", "vehicle", "████████▊·  88%", "▲ over", "32h", "28h", "-", "-"],
            ["Annex", "room", "█████·····  50%", "", "32h", "16h", "-", "-"],
            ["Cellar", "room", "··········   0%", "▼ under", "32h", "-", "-", "-"],
        ]
        where = text_of(screen, "#reports-where")
        assert where.startswith("28 Oct – 24 Nov 2026, 28 days · busiest first")
        assert "▲ 1 over" in where and "▼ 1 under" in where
        detail = text_of(screen, "#reports-detail")
        assert detail.startswith("Box Truck (vehicle): 28h confirmed of 32h open = 88%")
        assert "over 85%" in detail and "under 20%" in detail


async def test_the_palette_opens_the_reports(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, "Reports")
        await settle(pilot)
        assert isinstance(app.screen, ReportsScreen)
        assert names(app.screen) == ["Box Truck", "Annex", "Cellar"]


async def test_pending_and_blacked_out_hours_are_counted_apart(venue):
    with venue.transaction() as conn:
        conn.execute(
            "UPDATE spaces.resources SET requires_approval = true, approvers = '{sam}'"
            " WHERE name = 'Cellar'"
        )
    reservations.book(venue, "Cellar", "2026-11-24T09:00", "2026-11-24T11:00", title="Ask")
    with venue.transaction() as conn:
        conn.execute(
            "INSERT INTO spaces.blackouts (resource_id, during, reason)"
            " SELECT id, tstzrange('2026-11-17 09:00+00', '2026-11-17 17:00+00'), 'Damp'"
            "   FROM spaces.resources WHERE name = 'Cellar'"
        )
    async with reports(venue) as (pilot, screen, _notes):
        assert row_of(screen, "Cellar")[4:] == ["32h", "-", "2h", "8h"]
        put_cursor(screen, "Cellar")
        await settle(pilot)  # the detail follows the cursor
        assert "32h bookable, 8h blacked out, 2h pending" in text_of(screen, "#reports-detail")


async def test_s_sorts_busiest_first_then_by_name_then_by_kind_keeping_the_cursor(venue):
    async with reports(venue) as (pilot, screen, _notes):
        put_cursor(screen, "Annex")
        await press(pilot, "s")
        assert names(screen) == ["Annex", "Box Truck", "Cellar"]
        assert "by name" in text_of(screen, "#reports-where")
        await press(pilot, "s")
        assert names(screen) == ["Annex", "Cellar", "Box Truck"]
        assert "by kind" in text_of(screen, "#reports-where")
        await press(pilot, "down")
        assert screen.current is not None and screen.current.key == "Cellar"
        await press(pilot, "s")
        assert names(screen) == ["Box Truck", "Annex", "Cellar"]
        assert screen.current is not None and screen.current.key == "Cellar"


async def test_brackets_move_the_window_by_its_length_and_t_comes_back(venue):
    reservations.book(venue, "Cellar", f"{NEXT_TUESDAY}T09:00", f"{NEXT_TUESDAY}T17:00", "Store")
    async with reports(venue) as (pilot, screen, _notes):
        await press(pilot, "right_square_bracket")
        assert text_of(screen, "#reports-where").startswith("25 Nov – 22 Dec 2026, 28 days")
        assert names(screen) == ["Cellar", "Annex", "Box Truck"]
        assert row_of(screen, "Cellar")[5] == "8h" and row_of(screen, "Cellar")[2].endswith("25%")
        await press(pilot, "left_square_bracket", "left_square_bracket")
        assert text_of(screen, "#reports-where").startswith("30 Sep – 27 Oct 2026")
        assert all(row[5] == "-" for row in rows(screen)), "nothing confirmed then"
        await press(pilot, "t")
        assert text_of(screen, "#reports-where").startswith("28 Oct – 24 Nov 2026")


async def test_enter_opens_the_heat_map_of_the_resource_and_escape_comes_back(venue):
    async with reports(venue) as (pilot, screen, _notes):
        put_cursor(screen, "Annex")
        await press(pilot, "enter")
        heat = pilot.app.screen
        assert isinstance(heat, HeatMapScreen)
        cells = heat.query_one(HeatMap).cells
        tuesday = {hour: cells[(2, hour)] for hour in range(24) if cells[(2, hour)] is not None}
        assert tuesday == {9: 0.0, 10: 1.0, 11: 1.0, 12: 1.0, 13: 1.0, 14: 0.0, 15: 0.0, 16: 0.0}
        assert all(share is None for (day, _hour), share in cells.items() if day != 2)
        assert text_of(heat, "#heat-where") == "Annex · 28 Oct – 24 Nov 2026, 28 days"
        detail = text_of(heat, "#heat-detail")
        assert detail.startswith("Tue 10:00–11:00: 100% of its bookable time booked")
        assert "4 of 8 open hours never booked" in detail

        await press(pilot, "left")
        assert text_of(heat, "#heat-detail").startswith("Tue 09:00–10:00: open, none of it")
        await press(pilot, "up")
        assert text_of(heat, "#heat-detail").startswith("Mon 09:00–10:00: closed")

        await press(pilot, "escape")
        assert pilot.app.screen is screen
        assert screen.current is not None and screen.current.key == "Annex"


async def test_the_heat_maps_window_moves_and_the_list_follows_it_back(venue):
    async with reports(venue) as (pilot, screen, _notes):
        put_cursor(screen, "Annex")
        await press(pilot, "enter", "right_square_bracket")
        heat = pilot.app.screen
        assert text_of(heat, "#heat-where") == "Annex · 25 Nov – 22 Dec 2026, 28 days"
        assert heat.query_one(HeatMap).cells[(2, 10)] == 0.0, "no class after 24 Nov"
        await press(pilot, "escape")
        assert text_of(screen, "#reports-where").startswith("25 Nov – 22 Dec 2026")


async def test_a_booking_made_elsewhere_reloads_the_report_and_the_heat_map(venue, database_url):
    async with reports(venue, listen=True) as (pilot, screen, _notes):
        put_cursor(screen, "Cellar")
        await press(pilot, "enter")
        heat = pilot.app.screen
        assert heat.query_one(HeatMap).cells[(2, 15)] == 0.0
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange('2026-11-24 15:00+00', '2026-11-24 17:00+00'), 'Store'"
                "   FROM spaces.resources WHERE name = 'Cellar'"
            )
        await wait_until(
            pilot,
            lambda: heat.query_one(HeatMap).cells[(2, 15)] == 0.25,
            "the heat map shows the booking made in psql (1 of 4 Tuesdays)",
        )
        await press(pilot, "escape")
        assert row_of(screen, "Cellar")[5] == "2h", "the list reloaded behind it"
        assert screen.current is not None and screen.current.key == "Cellar"


# --- snapshots: the screens as a user sees them ------------------------------------------------


def test_snapshot_reports(venue, snap_compare):
    async def on_the_annex(pilot):
        await press(pilot, "u")
        put_cursor(pilot.app.screen, "Annex")
        await settle(pilot)

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=on_the_annex)


def test_snapshot_heat_map(venue, snap_compare):
    async def heat_map_of_the_annex(pilot):
        await press(pilot, "u")
        put_cursor(pilot.app.screen, "Annex")
        await press(pilot, "enter")

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=heat_map_of_the_annex)
