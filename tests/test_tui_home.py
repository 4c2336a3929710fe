"""The home screen's cursor: the day opens at now with the hour before it in view, a booking
made from the calendar gets the cursor (its day or week, its resource and start), and `x` on a
booking the rules would not let this actor cancel says why before asking for a reason.

On the demo venue, a fixed clock (11:15 on Tue 24 Nov 2026, Europe/London) and 80x24."""

from __future__ import annotations

import pendulum
import pytest
from textual.widgets import Input
from tui_helpers import (
    SIZE,
    ZONE,
    fill,
    hint,
    home,
    make_app,
    palette,
    press,
    settle,
    wait_until,
)

from spaces_tui.engine import reservations
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.screens.prompts import ReasonPrompt
from spaces_tui.tui.timeline import Cell, Timeline


@pytest.fixture
def database_url(demo_url):
    """This module's tests start from the demo venue (overrides conftest's empty one)."""
    return demo_url


def key_of(screen: type, action: str) -> str:
    """The key a screen binds to action (the forms' keys may be renamed: read, not assumed)."""
    return next(b.key for b in bindings_of(screen.BINDINGS) if b.action == action)


def first_visible_time(timeline: Timeline) -> str:
    assert timeline.grid is not None
    col = timeline.scroll_offset.x // timeline.grid.scale.cell_width
    return timeline.grid.column_start(col).format("HH:mm")


def cursor_at(timeline: Timeline) -> tuple[str, str]:
    assert timeline.grid is not None
    resource = timeline.grid.rows[timeline.cursor.row].name
    return resource, timeline.grid.column_start(timeline.cursor.col).format("YYYY-MM-DD HH:mm")


async def book_from_the_calendar(
    pilot, app: SpacesApp, *, with_palette: bool = False, **fields: str
) -> None:
    """Opens the booking form (its key; with_palette: the palette's New booking, the way while
    a filter is set, when n finds), fills it and books."""
    if with_palette:
        await palette(pilot, "New booking")
    else:
        await press(pilot, key_of(TimelineScreen, "new_booking"))
    form = app.screen
    assert isinstance(form, BookingForm)
    await fill(pilot, form, **fields)
    await press(pilot, key_of(BookingForm, "book"))
    assert isinstance(app.screen, TimelineScreen), hint(form)


async def test_the_day_opens_at_now_with_the_hour_before_it_in_view(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = home(app).timeline
        assert cursor_at(timeline) == ("Black Box", "2026-11-24 11:00")
        await wait_until(
            pilot,
            lambda: first_visible_time(timeline) == "10:00",
            "scrolled so the view starts an hour before now, not at midnight",
        )
        header = timeline.render_line(0).text
        assert header.split()[1] == "10:00", header
        # Moving the cursor within view scrolls no more.
        await press(pilot, "right", "right")
        assert first_visible_time(timeline) == "10:00"
        # Today (t) from another day opens at now again.
        await press(pilot, "right_square_bracket", "end", "t")
        await wait_until(
            pilot, lambda: first_visible_time(timeline) == "10:00", "t goes back to now"
        )
        assert cursor_at(timeline)[1] == "2026-11-24 11:00"


async def test_a_booking_made_from_the_calendar_gets_the_cursor_on_its_day(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await book_from_the_calendar(
            pilot,
            app,
            resource="Rehearsal 6",
            start="2026-11-26 06:00",
            end="+1h",
            title="Early notes",
        )
        await settle(pilot)
        screen = home(app)
        assert screen.day.isoformat() == "2026-11-26"
        timeline = screen.timeline
        assert cursor_at(timeline) == ("Rehearsal 6", "2026-11-26 06:00")
        span = timeline.span_under_cursor()
        assert span is not None and span.label == "Early notes"
        await wait_until(
            pilot,
            lambda: first_visible_time(timeline) == "05:00",
            "scrolled to show it with the hour before it",
        )


async def test_in_the_week_view_a_booking_next_week_moves_the_week(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        await book_from_the_calendar(
            pilot,
            app,
            resource="Rehearsal 6",
            start="2026-12-02 06:00",
            end="+3h",
            title="Next week",
        )
        await settle(pilot)
        screen = home(app)
        assert screen.scale.is_week
        assert screen.origin.format("YYYY-MM-DD") == "2026-11-30"
        timeline = screen.timeline
        assert cursor_at(timeline) == ("Rehearsal 6", "2026-12-02 06:00")
        span = timeline.span_under_cursor()
        assert span is not None and span.item.title == "Next week"


async def test_a_filter_that_hides_the_new_booking_is_cleared(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = home(app)
        await press(pilot, "slash")
        await pilot.press(*"Main")
        await press(pilot, "enter")
        assert all("Rehearsal" not in row.name for row in screen.timeline.grid.rows)
        await book_from_the_calendar(
            pilot,
            app,
            with_palette=True,
            resource="Rehearsal 6",
            start="2026-11-24 07:00",
            end="+1h",
            title="Early",
        )
        await settle(pilot)
        assert screen.query_one("#filter", Input).value == ""
        assert cursor_at(screen.timeline) == ("Rehearsal 6", "2026-11-24 07:00")


async def test_x_on_a_booking_this_actor_may_not_cancel_says_why_at_once(db, no_bugs):
    db.actor = "someone-else"
    theirs = reservations.book(db, "Rehearsal 6", "2026-11-24T15:00", "+1h", "Not yours")
    db.actor = "tester"
    app = make_app(db)
    notes: list[str] = []
    show = app.notify
    app.notify = lambda message, **kwargs: (notes.append(message), show(message, **kwargs))[1]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = home(app).timeline
        row = timeline.grid.row_of(theirs.resource_id)
        at = pendulum.datetime(2026, 11, 24, 15, tz=ZONE)
        timeline.cursor = Cell(row, timeline.grid.column_at(at))
        await press(pilot, key_of(TimelineScreen, "cancel_booking"))
        assert not any(isinstance(s, ReasonPrompt) for s in app.screen_stack)
        assert notes and "You cannot cancel 'Not yours'" in notes[-1]
        assert "booked by someone-else" in notes[-1]
    assert reservations.get_reservation(db, theirs.id).status == "confirmed"
