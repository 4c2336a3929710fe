"""Moving a booking in the app (`m` on the calendar, the move form) and what a booking goes
with (its booking group, the bookings a move linked it to) on the details screen."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import (
    SIZE,
    app_showing,
    fill,
    hint,
    home,
    make_app,
    press,
    put_cursor,
    settle,
    text_of,
    wait_until,
)

from spaces_tui.engine import groups, moves, reservations, resources
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.move_form import MoveForm

DAY = "2026-11-24"


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Room A", "room", timezone="Europe/London")
    resources.add_resource(db, "Room B", "room", timezone="Europe/London")
    resources.add_resource(db, "Truck", "vehicle", timezone="Europe/London")
    return db


def room(db, name: str = "Room A"):
    return resources.get_resource(db, name)


async def test_the_move_form_leaves_its_own_slot_free_and_moves(venue, no_bugs):
    booking = reservations.book(venue, "Room A", f"{DAY}T14:00", "+2h", "Tech")
    async with app_showing(venue, lambda: MoveForm(booking, room(venue))) as (pilot, form, notes):
        assert form.query_one("#title", Input).disabled
        assert pilot.app.focused is form.query_one("#start", Input)
        await fill(pilot, form, start=f"{DAY} 15:00")
        text, classes = hint(form)
        assert "free" in classes, text  # overlaps only the booking itself
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is not form, "the form closes")
        assert notes and notes[-1].startswith("Moved 'Tech' to Room A")
    old = reservations.get_reservation(venue, booking.id)
    assert old.status == "cancelled" and old.moved_to is not None
    new = reservations.get_reservation(venue, old.moved_to)
    assert (new.start.hour, new.end.hour) == (15, 17)


async def test_a_group_row_in_the_way_moves_nothing_and_says_so(venue, no_bugs):
    made = groups.book_group(venue, ["Room A", "Truck"], f"{DAY}T10:00", f"{DAY}T12:00", "Get-in")
    reservations.book(venue, "Truck", f"{DAY}T13:00", "+1h", "Tour")
    booking = made.reservations[0]
    async with app_showing(venue, lambda: MoveForm(booking, room(venue))) as (pilot, form, _n):
        await fill(pilot, form, start=f"{DAY} 12:30")
        assert "free" in hint(form)[1]  # Room A itself is free then
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: "Nothing was moved" in hint(form)[0], "the refusal")
        text, classes = hint(form)
        assert "conflict" in classes and "Tour" in text
        assert pilot.app.screen is form
    assert {r.status for r in groups.group_rows(venue, made.group_ids[0])} == {"confirmed"}


async def test_m_on_the_calendar_opens_the_move_form_on_the_booking(venue, no_bugs):
    booking = reservations.book(venue, "Room B", f"{DAY}T07:00", "+1h", "Early")
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        put_cursor(app, "Room B", 7)
        await press(pilot, "m")
        await wait_until(pilot, lambda: isinstance(app.screen, MoveForm), "the move form opens")
        assert app.screen.booking_moved.id == booking.id
        assert app.screen.query_one("#resource", Input).value == "Room B"
        await press(pilot, "escape")
        put_cursor(app, "Room A", 7)
        await press(pilot, "m")
        assert not isinstance(app.screen, MoveForm)


async def test_details_show_the_group_and_the_move_links(venue, no_bugs):
    made = groups.book_group(venue, ["Room A", "Truck"], f"{DAY}T10:00", f"{DAY}T12:00", "Get-in")
    moved = moves.move(venue, made.reservations[0].id, f"{DAY}T13:00", f"{DAY}T15:00")
    room_row = next(new for new in moved.replacements if new.resource == "Room A")
    async with app_showing(venue, lambda: DetailsScreen(room_row)) as (_pilot, screen, _n):
        fields = text_of(screen, "#fields")
        assert "Goes with" in fields and "confirmed" in fields
        assert "Truck (confirmed)" in fields
        assert f"Moved from   #{made.reservations[0].id}" in fields


async def test_shift_arrows_nudge_the_booking_a_column_and_a_taken_slot_changes_nothing(
    venue, no_bugs
):
    booking = reservations.book(venue, "Room B", f"{DAY}T07:00", "+1h", "Early")
    before = reservations.book(venue, "Room B", f"{DAY}T06:00", "+1h", "Before")
    app = make_app(venue)
    errors: list[str] = []
    show = app.notify
    app.notify = lambda message, **kwargs: (errors.append(message), show(message, **kwargs))[1]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        minutes = home(app).timeline.grid.scale.column_minutes
        put_cursor(app, "Room B", 6)
        await press(pilot, "shift+right")  # into Early
        await wait_until(pilot, lambda: errors, "the refusal is said")
        assert "could not move" in errors[-1]
        assert "nothing was changed" in errors[-1]
        assert reservations.get_reservation(venue, before.id).status == "confirmed"
        put_cursor(app, "Room B", 7)
        await press(pilot, "shift+right")
        await wait_until(
            pilot,
            lambda: reservations.get_reservation(venue, booking.id).moved_to is not None,
            "the booking moves",
        )
    moved_to = reservations.get_reservation(venue, booking.id).moved_to
    moved = reservations.get_reservation(venue, moved_to)
    assert moved.start.hour * 60 + moved.start.minute == 7 * 60 + minutes
    assert (moved.end - moved.start).in_minutes() == 60
