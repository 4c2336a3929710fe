"""What the booking form offers for a taken slot, driven by Textual's Pilot against a real
database on the fixed clock (Tuesday 24 Nov 2026, 11:15 in London).

The small venue at 11:00: Stage Left is rigged 10:00-12:00 (so its stage is in use too, and Stage
Right is not), Room 1 has a class 11:00-13:00; Room 2, Room 3, Stage Right and the truck are
free."""

from __future__ import annotations

import pytest
from textual.geometry import Offset
from textual.widgets import Input, Static
from tui_helpers import (
    ZONE,
    app_showing,
    fill,
    hint,
    press,
    wait_until,
)

from spaces_tui.engine import reservations, resources
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.move_form import MoveForm

DAY = "2026-11-24"


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


def field(screen, name: str) -> str:
    return screen.query_one(f"#{name}", Input).value


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
    """Moving the class to 10:00 meets an early call until 10:30; its own slot (11:00-13:00)
    is no obstacle to its replacement, so the next free start is 10:30, not 13:00."""
    reservations.book(venue, "Room 1", f"{DAY}T09:00", f"{DAY}T10:30", "Early call")
    booked = reservations.list_reservations(venue, resource="Room 1", start=DAY)
    [klass] = [b for b in booked if b.title == "Class"]
    [room] = [r for r in resources.list_resources(venue) if r.name == "Room 1"]

    async with app_showing(venue, lambda: MoveForm(klass, room)) as (pilot, form, _notes):
        await fill(pilot, form, start=f"{DAY} 10:00")
        text, state = hint(form)
        assert state == {"conflict"} and "Early call" in text
        assert "→ next free: Tue 10:30 (ctrl+t)" in text
        await press(pilot, "ctrl+t", "ctrl+s")
    moved = reservations.list_reservations(venue, resource="Room 1", start=DAY)
    assert [(b.title, b.start.format("HH:mm")) for b in moved] == [
        ("Early call", "09:00"),
        ("Class", "10:30"),
    ]
