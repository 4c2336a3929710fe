"""The blackouts screen, driven by Textual's Pilot against a real database holding a small venue
with five blackouts (one of them lifted), on a fixed clock and an 80x24 terminal.

The screen is not on a key yet, so each test pushes it once the app has started."""

from __future__ import annotations

import psycopg
import pytest
from textual.widgets import Button, DataTable, Input
from tui_helpers import (
    SIZE,
    ZONE,
    app_showing,
    fill,
    hint,
    make_app,
    press,
    push,
    settle,
    text_of,
    wait_until,
)

from spaces_tui.engine import access, blackouts, reservations, resources
from spaces_tui.tui.screens.blackouts import BlackoutForm, BlackoutsScreen
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.screens.prompts import YesNoPrompt

STAGE_MANAGER = "stage-manager"


@pytest.fixture
def venue(db):
    """A stage with an area, a room and a truck; blackouts set by the stage manager around the
    fixed clock's Tuesday 24 Nov 2026 11:15 (one already over, one lifted)."""
    add = resources.add_resource
    add(db, "Main Stage", "stage", timezone=ZONE)
    add(db, "Main DS", "floor_area", parent="Main Stage")
    add(db, "Rehearsal 1", "room", capacity=40, timezone=ZONE)
    add(db, "Truck 18t", "vehicle", timezone=ZONE)
    db.actor = STAGE_MANAGER
    blackout = blackouts.add_blackout
    blackout(db, "Rehearsal 1", "2026-11-22T09:00", "+8h", "Floor repair")
    blackout(db, "Main Stage", "2026-11-24T18:00", "+1h", "Union meal break", kind="break")
    blackout(db, "Truck 18t", "2026-11-25T07:00", "17:00", "MOT service")
    blackout(db, "Main DS", "2026-11-27T12:00", "+11h", "Sponsor hold", kind="hold")
    painting, _ = blackout(db, "Rehearsal 1", "2026-11-26T09:00", "+3h", "Painting", kind="other")
    blackouts.lift_blackout(db, painting.id)
    db.actor = "tester"
    return db


async def open_blackouts(pilot) -> BlackoutsScreen:
    return await push(pilot, BlackoutsScreen())


def blackouts_screen(db, *, listen: bool = False):
    """The app with the blackouts screen open (app_showing)."""
    return app_showing(db, BlackoutsScreen, listen=listen)


def reasons(screen: BlackoutsScreen) -> list[str]:
    """The table's rows, by their reason, as shown (and in the same order)."""
    table = screen.query_one(DataTable)
    assert table.row_count == len(screen.shown)
    return [blackout.reason for blackout in screen.shown]


# --- the list ----------------------------------------------------------------------------------


async def test_active_ones_are_listed_from_the_first_not_yet_over(venue):
    async with blackouts_screen(venue) as (_pilot, screen, _notes):
        assert reasons(screen) == [
            "Floor repair",
            "Union meal break",
            "MOT service",
            "Sponsor hold",
        ]
        assert screen.selected.reason == "Union meal break", "the past is above the cursor"
        row = [str(cell) for cell in screen.query_one(DataTable).get_row_at(1)]
        assert row == [
            "Main Stage",
            "24 Nov 18:00-19:00",
            "break",
            "Union meal …",
            "stage-m…",
            "active",
        ]
        filters = text_of(screen, "#blackout-filters")
        assert "status active" in filters and "kind all" in filters and "4 blackouts" in filters
        detail = text_of(screen, "#blackout-detail")
        assert "Union meal break" in detail and "Europe/London" in detail
        assert "set by stage-manager" in detail


async def test_s_cycles_the_status_filter_and_lifted_ones_say_who_lifted_them(venue):
    async with blackouts_screen(venue) as (pilot, screen, _notes):
        await press(pilot, "s")
        assert reasons(screen) == ["Painting"]
        assert "status lifted" in text_of(screen, "#blackout-filters")
        assert str(screen.query_one(DataTable).get_row_at(0)[-1]) == "lifted"
        lifted_at = blackouts.get_blackout(venue, screen.selected.id).lifted_at
        assert f"lifted by stage-manager, {lifted_at:%d %b %Y %H:%M}" in text_of(
            screen, "#blackout-detail"
        ), "the lines under the table say who lifted the selected one, and when"
        await press(pilot, "s")
        assert len(reasons(screen)) == 5
        assert "status all" in text_of(screen, "#blackout-filters")
        await press(pilot, "s")
        assert "Painting" not in reasons(screen)


async def test_k_cycles_the_kind_filter(venue):
    async with blackouts_screen(venue) as (pilot, screen, _notes):
        await press(pilot, "k")
        assert reasons(screen) == ["Floor repair", "MOT service"]
        assert "kind maintenance" in text_of(screen, "#blackout-filters")
        await press(pilot, "k")
        assert reasons(screen) == ["Sponsor hold"]
        await press(pilot, "k")
        assert reasons(screen) == ["Union meal break"]
        await press(pilot, "k")
        assert reasons(screen) == [], "the only 'other' one is lifted"
        assert "No blackout here" in text_of(screen, "#blackout-detail")
        await press(pilot, "s", "s")  # all statuses
        assert reasons(screen) == ["Painting"]
        await press(pilot, "k")
        assert len(reasons(screen)) == 5, "back to every kind"


async def test_slash_filters_by_resource_name_and_escape_clears_then_closes(venue):
    async with blackouts_screen(venue) as (pilot, screen, _notes):
        await press(pilot, "slash")  # the filter box opens and takes the focus
        await pilot.press(*"main")
        await press(pilot, "enter")
        assert reasons(screen) == ["Union meal break", "Sponsor hold"]
        assert "resource 'main'" in text_of(screen, "#blackout-filters")
        assert screen.query_one(DataTable).has_focus, "enter keeps the filter, back in the list"
        await press(pilot, "slash", "escape")
        assert len(reasons(screen)) == 4
        assert not screen.query_one("#resource-filter", Input).display
        assert pilot.app.screen is screen, "the first escape only clears the filter"
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, TimelineScreen)


async def test_enter_opens_the_details_of_the_selected_blackout(venue):
    async with blackouts_screen(venue) as (pilot, screen, _notes):
        await press(pilot, "down")
        assert screen.selected.reason == "MOT service"
        await press(pilot, "enter")
        details = pilot.app.screen
        assert isinstance(details, DetailsScreen)
        assert details.item.id == screen.selected.id
        assert "MOT service" in text_of(details, "#fields")
        await press(pilot, "escape")
        assert pilot.app.screen is screen


# --- lifting -----------------------------------------------------------------------------------


async def test_l_lifts_the_selected_one_after_a_yes(venue):
    access.grant_access(venue, "tester", admin=True)  # may lift the stage manager's blackouts
    async with blackouts_screen(venue) as (pilot, screen, notes):
        chosen = screen.selected
        await press(pilot, "l")
        assert isinstance(pilot.app.screen, YesNoPrompt)
        assert "Union meal break" in text_of(pilot.app.screen, "#question")
        await press(pilot, "n")
        assert pilot.app.screen is screen
        assert blackouts.get_blackout(venue, chosen.id).status == "active", "no means no"

        await press(pilot, "l", "y")
        assert any(note.startswith(f"Lifted #{chosen.id}") for note in notes), notes
        assert "Union meal break" not in reasons(screen), "gone from the active ones"
        assert screen.selected.reason == "MOT service", "the cursor stays where it was"
    lifted = blackouts.get_blackout(venue, chosen.id)
    assert (lifted.status, lifted.lifted_by) == ("lifted", "tester")


async def test_a_lifted_one_cannot_be_lifted_again(venue):
    async with blackouts_screen(venue) as (pilot, screen, notes):
        await press(pilot, "s")
        await press(pilot, "l")
        assert pilot.app.screen is screen, "no question for what is already done"
        assert any("already lifted" in note for note in notes), notes


# --- the form ----------------------------------------------------------------------------------


async def open_form(pilot) -> BlackoutForm:
    await press(pilot, "n")
    form = pilot.app.screen
    assert isinstance(form, BlackoutForm)
    return form


async def test_n_adds_a_blackout_and_the_list_shows_it(venue):
    async with blackouts_screen(venue) as (pilot, screen, notes):
        form = await open_form(pilot)
        await fill(
            pilot,
            form,
            kind="hold",
            resource="Rehearsal 1",
            start="2026-11-25 10:00",
            end="12:30",
            reason="Auditions",
        )
        assert "Rehearsal 1: 2026-11-25 10:00 to 2026-11-25 12:30 Europe/London" in hint(form)[0]
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is screen, "the form closes"
        assert screen.selected.reason == "Auditions", "the cursor is on the new one"
        assert any(note.startswith("Blacked out Rehearsal 1") for note in notes), notes
    [added] = blackouts.list_blackouts(venue, resource="Rehearsal 1", start="2026-11-25")
    assert (added.reason, added.kind, added.created_by) == ("Auditions", "hold", "tester")
    assert (added.start.format("YYYY-MM-DD HH:mm"), added.end.format("HH:mm")) == (
        "2026-11-25 10:00",
        "12:30",
    )


async def test_bad_input_is_explained_in_the_form_and_nothing_is_written(venue):
    async with blackouts_screen(venue) as (pilot, _screen, _notes):
        form = await open_form(pilot)
        await fill(pilot, form, resource="Rehearsal 1", start="2026-11-25 10:00", end="09:00")
        assert "must be after the start" in hint(form)[0], "said as it is typed"
        await fill(pilot, form, reason="Backwards")
        await press(pilot, "ctrl+s")
        text, classes = hint(form)
        assert "must be after the start" in text and "problem" in classes
        assert pilot.app.screen is form

        await fill(pilot, form, end="+2h", reason="  ")
        await press(pilot, "ctrl+s")
        text, classes = hint(form)
        assert "Give a reason" in text and "problem" in classes

        await fill(pilot, form, resource="Nowhere", reason="Leak")
        assert "No resource is called 'Nowhere'" in hint(form)[0]
        await press(pilot, "ctrl+s")
        assert "Nowhere" in hint(form)[0] and "problem" in hint(form)[1], "the engine's word"
        assert pilot.app.screen is form
    assert blackouts.list_blackouts(venue, resource="Rehearsal 1", start="2026-11-25") == []


async def test_a_booking_in_the_way_is_shown_then_cancelled_with_the_blackout(venue):
    booking = reservations.book(venue, "Rehearsal 1", "2026-11-25T14:00", "+1h", "Run-through")
    async with blackouts_screen(venue) as (pilot, _screen, notes):
        form = await open_form(pilot)
        await fill(
            pilot,
            form,
            resource="Rehearsal 1",
            start="2026-11-25 13:00",
            end="16:00",
            reason="Leak",
        )
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is form, "the form stays open over a conflict"
        text, classes = hint(form)
        assert "conflict" in classes
        assert "1 active booking in the way" in text
        assert "Run-through" in text and "25 Nov 14:00-15:00" in text and "tester" in text
        override = form.query_one("#override", Button)
        assert override.display and "Cancel 1 booking, black out" in str(override.label)
        assert not form.query_one("#save", Button).display
        assert blackouts.list_blackouts(venue, resource="Rehearsal 1", start="2026-11-25") == []

        await press(pilot, "ctrl+s")
        assert pilot.app.screen is not form, "the form closes once it is done"
        assert any("Cancelled 1 booking in its way" in note for note in notes), notes
    cancelled = reservations.get_reservation(venue, booking.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "blackout: Leak")
    [added] = blackouts.list_blackouts(venue, resource="Rehearsal 1", start="2026-11-25")
    assert added.reason == "Leak"


async def test_changing_the_form_withdraws_the_offer_to_cancel(venue):
    booking = reservations.book(venue, "Rehearsal 1", "2026-11-25T14:00", "+1h", "Run-through")
    async with blackouts_screen(venue) as (pilot, _screen, _notes):
        form = await open_form(pilot)
        await fill(
            pilot,
            form,
            resource="Rehearsal 1",
            start="2026-11-25 13:00",
            end="16:00",
            reason="Leak",
        )
        await press(pilot, "ctrl+s")
        assert form.query_one("#override", Button).display
        await fill(pilot, form, end="15:00")
        assert not form.query_one("#override", Button).display
        await press(pilot, "ctrl+s")  # a fresh request: refused again, not a go-ahead
        assert pilot.app.screen is form
        assert "conflict" in hint(form)[1]
    assert reservations.get_reservation(venue, booking.id).status == "confirmed"


async def test_an_actor_who_may_not_cancel_the_booking_is_refused_in_the_form(venue):
    venue.actor = "someone-else"
    booking = reservations.book(venue, "Rehearsal 1", "2026-11-25T14:00", "+1h", "Their class")
    venue.actor = "tester"
    async with blackouts_screen(venue) as (pilot, _screen, _notes):
        form = await open_form(pilot)
        await fill(
            pilot,
            form,
            resource="Rehearsal 1",
            start="2026-11-25 13:00",
            end="16:00",
            reason="Leak",
        )
        await press(pilot, "ctrl+s")
        assert "Their class" in hint(form)[0] and "someone-else" in hint(form)[0]
        await pilot.click("#override")
        await settle(pilot)
        assert pilot.app.screen is form, "still open"
        text, classes = hint(form)
        assert "Not allowed" in text and "may not cancel" in text and "problem" in classes
        assert "Nothing was changed" in text
        assert not form.query_one("#override", Button).display
    assert reservations.get_reservation(venue, booking.id).status == "confirmed"
    assert blackouts.list_blackouts(venue, resource="Rehearsal 1", start="2026-11-25") == []


async def test_an_admin_may_cancel_anyones_booking_with_the_blackout(venue, sql):
    venue.actor = "someone-else"
    booking = reservations.book(venue, "Rehearsal 1", "2026-11-25T14:00", "+1h", "Their class")
    venue.actor = "tester"
    sql.execute("SELECT spaces.grant_access('tester', true)")
    async with blackouts_screen(venue) as (pilot, _screen, _notes):
        form = await open_form(pilot)
        await fill(
            pilot,
            form,
            resource="Rehearsal 1",
            start="2026-11-25 13:00",
            end="16:00",
            reason="Leak",
        )
        await press(pilot, "ctrl+s")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is not form
    cancelled = reservations.get_reservation(venue, booking.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "blackout: Leak")


# --- live --------------------------------------------------------------------------------------


async def test_a_blackout_added_elsewhere_appears_and_the_cursor_stays_on_its_blackout(
    venue, database_url
):
    async with blackouts_screen(venue, listen=True) as (pilot, screen, _notes):
        await press(pilot, "down")
        chosen = screen.selected
        assert chosen.reason == "MOT service"
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "INSERT INTO spaces.blackouts (resource_id, during, reason, kind)"
                " SELECT id, tstzrange('2026-11-24 13:00+00', '2026-11-24 14:00+00'),"
                " 'From psql', 'other' FROM spaces.resources WHERE name = 'Truck 18t'"
            )
        await wait_until(
            pilot, lambda: "From psql" in reasons(screen), "the blackout from psql is listed"
        )
        assert reasons(screen)[1] == "From psql", "it is listed in time order"
        assert screen.selected.id == chosen.id, "the cursor stays on the same blackout"


# --- how it looks ------------------------------------------------------------------------------


def test_snapshot_blackouts(venue, snap_compare):
    async def opened(pilot):
        await open_blackouts(pilot)

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=opened)
