"""The booking form on several resources at once: "Rehearsal 6, Truck 7.5t" in the resource
field books one booking group (engine/groups.py), all or nothing, and the hint says how each
resource stands before anything is sent."""

from __future__ import annotations

import pendulum
import pytest
from tui_helpers import ZONE, app_showing, fill, hint, press, wait_until

from spaces_tui.engine import reservations
from spaces_tui.engine.groups import GROUP_LIMIT
from spaces_tui.tui.screens.booking import BookingForm

# Out of the demo's fortnight, so both are empty that day.
DAY = "2026-12-15"
GROUP = {"resource": "Rehearsal 6, Truck 7.5t", "start": f"{DAY} 10:00", "end": "+2h"}


@pytest.fixture
def database_url(demo_url):
    """This module's tests start from the demo venue (overrides conftest's empty one)."""
    return demo_url


def booking_form() -> BookingForm:
    return BookingForm(None, pendulum.datetime(2026, 11, 24, 7, tz=ZONE))


def rows_on(db, name: str) -> list[reservations.Reservation]:
    return reservations.list_reservations(db, resource=name, start=DAY, end="2026-12-16")


async def test_two_free_resources_book_one_group(db):
    async with app_showing(db, booking_form) as (pilot, form, notes):
        await fill(pilot, form, **GROUP, title="Get-in")
        assert hint(form) == (
            "✓ Rehearsal 6 is free\n"
            "✓ Truck 7.5t is free\n"
            "✓ all 2 free: books as one group, 2026-12-15 10:00-12:00 (Europe/London)",
            {"free"},
        )
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is not form, "the form closes")
    [room], [truck] = rows_on(db, "Rehearsal 6"), rows_on(db, "Truck 7.5t")
    assert room.group_id is not None and room.group_id == truck.group_id
    assert (room.title, room.start, room.end) == (truck.title, truck.start, truck.end)
    assert notes[-1] == (
        f"Booked 'Get-in' as one group on Rehearsal 6 and Truck 7.5t (#{room.id}, #{truck.id})."
    )


async def test_a_taken_resource_is_named_and_nothing_is_booked(db):
    taken = reservations.book(db, "Truck 7.5t", f"{DAY}T11:00", "+1h", "Van hire")
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **GROUP, title="Get-in")
        text, state = hint(form)
        assert state == {"conflict"}
        lines = text.splitlines()
        assert lines[0] == "✓ Rehearsal 6 is free"
        assert lines[1].startswith(f"× confirmed booking #{taken.id} Van hire on Truck 7.5t")
        assert lines[2] == "✗ nothing is booked unless all are free"
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: "Nothing was booked" in hint(form)[0], "the refusal")
        refusal = hint(form)[0].splitlines()
        assert refusal[0] == "✗ Nothing was booked: a group books all or none; in the way:"
        assert f"#{taken.id} Van hire on Truck 7.5t" in refusal[1]
        assert pilot.app.screen is form
    assert rows_on(db, "Rehearsal 6") == []
    assert [row.id for row in rows_on(db, "Truck 7.5t")] == [taken.id]


@pytest.mark.parametrize(
    ("field", "said"),
    [
        ("Rehearsal 6, Truck 7.5", "did you mean 'Truck 7.5t'?"),
        ("Rehearsal 6, Nowhere", "No resource is called 'Nowhere'."),
        ("Rehearsal 6, rehearsal 6", "Rehearsal 6 is named twice: a group books each one once."),
        ("Rehearsal 6, ", "Each comma goes between two resource names."),
        (", ".join(["Rehearsal 6"] * (GROUP_LIMIT + 1)), f"at most {GROUP_LIMIT} resources"),
    ],
)
async def test_a_bad_name_among_several_is_said_in_the_hint(db, field, said):
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **(GROUP | {"resource": field}), title="Get-in")
        text, state = hint(form)
        assert said in text
        assert state == {"incomplete"}
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: hint(form)[1] == {"problem"}, "the refusal")
        assert said in hint(form)[0]
    assert rows_on(db, "Rehearsal 6") == []


async def test_names_among_several_are_read_in_any_case(db):
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **(GROUP | {"resource": "rehearsal 6,TRUCK 7.5T"}), title="Get-in")
        assert hint(form)[1] == {"free"}
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is not form, "the form closes")
    [room], [truck] = rows_on(db, "Rehearsal 6"), rows_on(db, "Truck 7.5t")
    assert room.group_id == truck.group_id is not None


async def test_a_repeat_on_several_books_each_occurrence_as_a_group(db):
    async with app_showing(db, booking_form) as (pilot, form, notes):
        await fill(pilot, form, **GROUP, title="Get-in", repeat="daily", pattern="", ends="2")
        assert hint(form)[0].startswith(
            "Each occurrence books as one group on Rehearsal 6 and Truck 7.5t, all or nothing."
        )
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is not form, "the form closes")
    rows = reservations.list_reservations(db, start=DAY, end="2026-12-17", search="Get-in")
    assert len(rows) == 4 and len({row.group_id for row in rows}) == 2
    assert (
        notes[-1]
        == "Booked 2 occurrences of 'Get-in', each as one group on Rehearsal 6 and Truck 7.5t."
    )


async def test_the_field_completes_the_name_after_the_last_comma(db):
    """Right arrow takes the completion; the names typed before the comma stay as typed."""
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        field = form.query_one("#resource")
        field.focus()
        await pilot.press(*"rehearsal 6, tr")
        await wait_until(pilot, lambda: field._suggestion != "", "a completion")
        assert field._suggestion == "rehearsal 6, Truck 18t"
        await pilot.press("right")
        assert field.value == "rehearsal 6, Truck 18t"
