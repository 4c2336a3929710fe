"""The finder (f on the calendar) and what the booking form offers for a taken slot, driven by
Textual's Pilot against a real database on the fixed clock (Tuesday 24 Nov 2026, 11:15 in
London): the calendar opens with its cursor on the 11:00 column, so the finder opens on
11:00-12:00.

The small venue then: Stage Left is rigged 10:00-12:00 (so its stage is in use too, and Stage
Right is not), Room 1 has a class 11:00-13:00; Room 2, Room 3, Stage Right and the truck are
free."""

from __future__ import annotations

import psycopg
import pytest
from textual.geometry import Offset
from textual.widgets import DataTable, Input, Select, Static
from tui_helpers import (
    SIZE,
    ZONE,
    app_showing,
    fill,
    hint,
    home,
    make_app,
    palette,
    press,
    put_cursor,
    settle,
    text_of,
    wait_until,
)

from spaces_tui.db.connection import Database
from spaces_tui.engine import planning, reservations, resources
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.finder import FinderScreen
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.screens.move_form import MoveForm

DAY = "2026-11-24"
FREE_AT_11 = ["Room 2", "Room 3", "Stage Right", "Truck"]


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Stage", "stage", timezone=ZONE, capacity=200)
    resources.add_resource(db, "Stage Left", "floor_area", parent="Stage", capacity=40)
    resources.add_resource(db, "Stage Right", "floor_area", parent="Stage", capacity=40)
    resources.add_resource(db, "Room 1", "room", timezone=ZONE, capacity=12)
    resources.add_resource(db, "Room 2", "room", timezone=ZONE, capacity=25)
    resources.add_resource(db, "Room 3", "room", timezone=ZONE, capacity=15)
    resources.add_resource(db, "Truck", "vehicle", timezone=ZONE)
    reservations.book(db, "Stage Left", f"{DAY}T10:00", f"{DAY}T12:00", "Rig")
    reservations.book(db, "Room 1", f"{DAY}T11:00", f"{DAY}T13:00", "Class")
    return db


def names(finder: FinderScreen) -> list[str]:
    table = finder.query_one(DataTable)
    return [str(table.get_row_at(row)[0]) for row in range(table.row_count)]


def field(screen, name: str) -> str:
    return screen.query_one(f"#{name}", Input).value


async def open_finder(pilot) -> FinderScreen:
    await settle(pilot)
    await press(pilot, "f")
    finder = pilot.app.screen
    assert isinstance(finder, FinderScreen)
    return finder


async def set_fields(pilot, finder: FinderScreen, **fields: str | None) -> None:
    """Types into the finder's fields (kind= picks from its list; None: any kind) and waits
    for the list to answer them."""
    for name, value in fields.items():
        widget = finder.query_one(f"#{name}")
        if isinstance(widget, Select):
            widget.value = Select.NULL if value is None else value
        else:
            assert isinstance(widget, Input)
            widget.value = value or ""
    await settle(pilot)


def put_row(finder: FinderScreen, name: str) -> None:
    finder.query_one(DataTable).move_cursor(row=names(finder).index(name), animate=False)


# --- the list ----------------------------------------------------------------------------------


async def test_f_lists_exactly_what_is_free_for_an_hour_from_the_cursor(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        finder = await open_finder(pilot)
        assert (field(finder, "start"), field(finder, "end")) == (f"{DAY} 11:00", "+1h")
        assert names(finder) == FREE_AT_11
        found = planning.free_resources(venue, f"{DAY}T11:00", f"{DAY}T12:00", zone=ZONE)
        assert names(finder) == [a.resource.name for a in found.free], "the engine's answer"
        assert text_of(finder, "#finder-summary") == "✓ 4 free · ✗ 3 taken · Tue 24 Nov 11:00-12:00"
        table = finder.query_one(DataTable)
        assert [str(cell) for cell in table.get_row_at(2)] == [
            "Stage Right",
            "floor_area",
            "40",
            "Stage",
        ]
        assert text_of(finder, "#finder-detail") == "⏎ books Room 2, Tue 24 Nov 11:00-12:00"

        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)


async def test_the_period_follows_the_cursor(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        put_cursor(app, "Room 1", 13)
        finder = await open_finder(pilot)
        assert field(finder, "start") == f"{DAY} 13:00"
        assert "Room 1" in names(finder), "its class is over by then"
        assert "Stage" in names(finder), "and the rig"


async def test_a_kind_and_a_headcount_narrow_the_list(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        finder = await open_finder(pilot)
        await set_fields(pilot, finder, kind="room")  # a Select refuses a value it does not offer
        assert names(finder) == ["Room 2", "Room 3"]
        await set_fields(pilot, finder, headcount="20")
        assert names(finder) == ["Room 2"]
        assert text_of(finder, "#finder-summary").startswith("✓ 1 free · ✗ 1 taken · 1 too small")
        await set_fields(pilot, finder, kind=None)
        assert names(finder) == ["Room 2", "Stage Right", "Truck"], "a truck holds any number"
        await set_fields(pilot, finder, headcount="")
        assert names(finder) == FREE_AT_11


async def test_a_booking_made_elsewhere_leaves_the_list_at_once(venue, database_url):
    app = make_app(venue, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        finder = await open_finder(pilot)
        put_row(finder, "Room 3")
        assert "Room 2" in names(finder)
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange('2026-11-24 11:30+00', '2026-11-24 12:30+00'), 'Sneaky'"
                " FROM spaces.resources WHERE name = 'Room 2'"
            )
        await wait_until(
            pilot, lambda: "Room 2" not in names(finder), "Room 2 leaves the list by itself"
        )
        assert names(finder) == ["Room 3", "Stage Right", "Truck"]
        assert finder.current is not None and finder.current.resource.name == "Room 3"
        assert text_of(finder, "#finder-summary").startswith("✓ 3 free · ✗ 4 taken")


async def test_enter_opens_the_booking_form_on_the_resource_and_booking_it_works(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        finder = await open_finder(pilot)
        await set_fields(pilot, finder, kind="room", headcount="10")
        put_row(finder, "Room 3")
        finder.query_one(DataTable).focus()
        await press(pilot, "enter")
        form = app.screen
        assert isinstance(form, BookingForm)
        wanted = {"resource": "Room 3", "start": f"{DAY} 11:00", "end": "+1h", "headcount": "10"}
        assert {name: field(form, name) for name in wanted} == wanted
        await fill(pilot, form, title="Notes session")
        assert hint(form)[1] == {"free"}
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, TimelineScreen), "the finder closes with the form"
        timeline = home(app).timeline
        assert timeline.grid.rows[timeline.cursor.row].name == "Room 3", "the calendar shows it"
    booked = reservations.list_reservations(venue, resource="Room 3", start=DAY)
    assert [(b.title, b.headcount) for b in booked] == [("Notes session", 10)]
    assert (booked[0].start.format("HH:mm"), booked[0].end.format("HH:mm")) == ("11:00", "12:00")


async def test_escape_from_its_booking_form_comes_back_to_the_finder(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        finder = await open_finder(pilot)
        await press(pilot, "enter", "escape")
        assert app.screen is finder
        assert names(finder) == FREE_AT_11


async def test_input_it_cannot_read_is_said_on_the_screen(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        finder = await open_finder(pilot)
        await set_fields(pilot, finder, end="10:00")
        summary = text_of(finder, "#finder-summary")
        assert summary.startswith("✗ the end (2026-11-24 10:00) must be after the start")
        assert names(finder) == [] and text_of(finder, "#finder-detail") == ""
        await press(pilot, "enter")  # nothing to book: said, not raised
        assert app.screen is finder
        await set_fields(pilot, finder, end="+1h", start="next tuesday")
        assert text_of(finder, "#finder-summary").startswith("✗ cannot read start 'next tuesday'")
        await set_fields(pilot, finder, start=f"{DAY} 11:00", headcount="0")
        assert text_of(finder, "#finder-summary") == "✗ People is a whole number, 1 or more."
        await set_fields(pilot, finder, headcount="")
        assert names(finder) == FREE_AT_11


async def test_the_palette_opens_the_finder(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, "Find a free resource")
        await settle(pilot)
        assert isinstance(app.screen, FinderScreen)
        assert names(app.screen) == FREE_AT_11


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_every_field_column_and_line_is_on_screen(venue, size):
    app = make_app(venue)
    async with app.run_test(size=size) as pilot:
        finder = await open_finder(pilot)
        width, height = size
        for selector in ("#start", "#end", "#kind", "#headcount", "#finder-detail"):
            region = finder.query_one(selector).region
            assert region.width > 0 and region.right <= width and region.bottom <= height
        assert finder.query_one("#start").region.width >= len(f"{DAY} 11:00") + 2
        table = finder.query_one(DataTable)
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= width
        assert table.region.height >= 6, "room for a list"


# --- the booking form's offer for a taken slot ------------------------------------------------


async def test_a_taken_slots_hint_offers_the_next_free_time_and_a_free_room(venue, no_bugs):
    async with app_showing(venue, lambda: BookingForm(None, None)) as (pilot, form, _notes):
        await fill(pilot, form, resource="Room 1", start=f"{DAY} 11:30", end="+1h", title="Call")
        text, state = hint(form)
        assert state == {"conflict"}
        assert "Class" in text
        assert "→ next free: Tue 13:00 (ctrl+t), or Room 2 at this time (ctrl+r)" in text
        await fill(pilot, form, headcount="30")
        assert "→ next free: Tue 13:00 (ctrl+t)\n" in hint(form)[0] + "\n", "no room holds 30"
        await fill(pilot, form, start=f"{DAY} 13:00", headcount="")
        assert hint(form)[1] == {"free"} and "→" not in hint(form)[0], "free: nothing offered"


async def test_ctrl_t_takes_the_next_free_time_and_ctrl_r_the_free_room(venue):
    async with app_showing(venue, lambda: BookingForm(None, None)) as (pilot, form, notes):
        await fill(pilot, form, resource="Room 1", start=f"{DAY} 11:30", end="12:00", title="Call")
        await press(pilot, "ctrl+t")
        await wait_until(pilot, lambda: form.hint_is_current, "the hint of the time taken")
        assert (field(form, "resource"), field(form, "start"), field(form, "end")) == (
            "Room 1",
            f"{DAY} 13:00",
            "+30m",
        )
        assert hint(form)[0].startswith("✓ free: Room 1, 2026-11-24 13:00-13:30")

        await fill(pilot, form, start=f"{DAY} 11:30")
        assert hint(form)[1] == {"conflict"}
        await press(pilot, "ctrl+r")
        await wait_until(pilot, lambda: form.hint_is_current, "the hint of the room taken")
        assert (field(form, "resource"), field(form, "start")) == ("Room 2", f"{DAY} 11:30")
        assert hint(form)[1] == {"free"}
        await press(pilot, "ctrl+r")
        assert notes[-1].startswith("No resource to take"), "a free slot offers nothing"
        await press(pilot, "ctrl+s")
    booked = reservations.list_reservations(venue, resource="Room 2", start=DAY)
    assert [(b.title, b.start.format("HH:mm"), b.end.format("HH:mm")) for b in booked] == [
        ("Call", "11:30", "12:00")
    ]


def where_drawn(widget: Static, text: str) -> Offset | None:
    """Where text is drawn in widget (its first character), as an offset to click at: its
    lines are the content's, inside the border and padding."""
    gutter = widget.styles.gutter
    for y in range(widget.size.height):
        x = widget.render_line(y).text.find(text)
        if x >= 0:
            return Offset(gutter.left + x, gutter.top + y)
    return None


@pytest.mark.parametrize(
    ("link", "wanted"),
    [("Tue 13:00", ("Room 1", f"{DAY} 13:00")), ("Room 2", ("Room 2", f"{DAY} 11:30"))],
)
async def test_a_click_on_an_offer_takes_it(venue, link, wanted):
    async with app_showing(venue, lambda: BookingForm(None, None)) as (pilot, form, _notes):
        await fill(pilot, form, resource="Room 1", start=f"{DAY} 11:30", end="+1h", title="Call")
        box = form.query_one("#hint", Static)
        # Drawn at the hint's new size once a frame has been laid out (not a message awaited).
        await wait_until(pilot, lambda: where_drawn(box, link), f"{link!r} is drawn")
        await pilot.click(box, offset=where_drawn(box, link))
        await wait_until(pilot, lambda: form.hint_is_current, "the hint of what was taken")
        assert (field(form, "resource"), field(form, "start")) == wanted
        assert hint(form)[1] == {"free"}


async def test_a_moves_offer_leaves_the_booking_moved_out(venue):
    """Moving tomorrow's class to 10:00 meets an early call until 10:30; its own slot
    (11:00-13:00) is no obstacle to its replacement, so the next free start is 10:30, not 13:00.
    Tomorrow: a slot in the past (before the app's 11:15 today) is offered times from now on."""
    tomorrow = "2026-11-25"
    klass = reservations.book(venue, "Room 1", f"{tomorrow}T11:00", "13:00", "Class")
    reservations.book(venue, "Room 1", f"{tomorrow}T09:00", "10:30", "Early call")
    [room] = [r for r in resources.list_resources(venue) if r.name == "Room 1"]

    async with app_showing(venue, lambda: MoveForm(klass, room)) as (pilot, form, _notes):
        await fill(pilot, form, start=f"{tomorrow} 10:00")
        text, state = hint(form)
        assert state == {"conflict"} and "Early call" in text
        assert "→ next free: Wed 10:30 (ctrl+t)" in text
        await press(pilot, "ctrl+t", "ctrl+s")
    moved = reservations.list_reservations(venue, resource="Room 1", start=tomorrow)
    assert [(b.title, b.start.format("HH:mm")) for b in moved] == [
        ("Early call", "09:00"),
        ("Class", "10:30"),
    ]


async def test_a_slot_in_the_past_is_offered_a_time_from_now_on(venue):
    """The app's clock reads 11:15: the class's room at 09:00 today is offered 13:00 (after
    the class), never a time already gone."""
    async with app_showing(venue, lambda: BookingForm(None, None)) as (pilot, form, _notes):
        await fill(pilot, form, resource="Room 1", start=f"{DAY} 09:00", end="+3h", title="x")
        text, _state = hint(form)
        assert "→ next free: Tue 13:00 (ctrl+t)" in text


# --- as a user sees it -------------------------------------------------------------------------


@pytest.fixture
def demo(demo_url):
    database = Database(demo_url, "tester")
    yield database
    database.dispose()


def test_snapshot_finder(demo, snap_compare):
    """The demo venue at the calendar's opening time, rooms for 20."""

    async def rooms_for_twenty(pilot):
        finder = await open_finder(pilot)
        await set_fields(pilot, finder, kind="room", headcount="20")
        for box in finder.query(Input):
            box.cursor_blink = False

    assert snap_compare(make_app(demo), terminal_size=SIZE, run_before=rooms_for_twenty)


def test_snapshot_finder_with_an_end_before_its_start(venue, snap_compare):
    async def end_before_start(pilot):
        finder = await open_finder(pilot)
        await set_fields(pilot, finder, end="09:00")
        for box in finder.query(Input):
            box.cursor_blink = False

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=end_before_start)
