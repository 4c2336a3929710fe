"""The calendar, driven by Textual's Pilot against a real database holding the demo venue, on a
fixed clock and an 80x24 terminal."""

from __future__ import annotations

from contextlib import asynccontextmanager

import psycopg
import pytest
from textual.widgets import Input, Static
from tui_helpers import (
    SIZE,
    fill,
    hint,
    home,
    make_app,
    palette,
    press,
    put_cursor,
    settle,
    wait_until,
)

from spaces_tui.engine import reservations
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.messages import EventsArrived
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.help import HelpScreen, HelpText, layout
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.timeline import Cell, Timeline


@pytest.fixture
def database_url(demo_url):
    """This module's tests start from the demo venue (overrides conftest's empty one)."""
    return demo_url


@pytest.fixture
def venue(db):
    return db


def where_text(app: SpacesApp) -> str:
    return str(home(app).query_one("#where", Static).render())


async def test_the_day_opens_at_now_and_the_keys_move_through_time(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = home(app).timeline
        assert "Tue 24 Nov 2026" in where_text(app)
        assert timeline.grid.column_start(timeline.cursor.col).format("HH:mm") == "11:00"
        assert timeline.cursor.row == 0
        # It scrolls once the first layout has given it a size.
        await wait_until(
            pilot,
            lambda: timeline.scroll_offset.x > 0,
            "scrolled so the cursor (now) is on screen",
        )

        await press(pilot, "right", "l", "down", "j")
        assert timeline.cursor == Cell(2, 24)
        await press(pilot, "left", "k")
        assert timeline.cursor == Cell(1, 23)

        await press(pilot, "right_square_bracket")
        assert "Wed 25 Nov 2026" in where_text(app)
        assert timeline.cursor == Cell(1, 23), "the cursor keeps its resource and time of day"
        await press(pilot, "comma", "comma")
        assert "Mon 23 Nov 2026" in where_text(app)

        await press(pilot, "w")
        assert "23 – 29 Nov 2026" in where_text(app)
        assert timeline.grid.columns == 56
        await press(pilot, "d", "t")
        assert "Tue 24 Nov 2026" in where_text(app)
        assert timeline.grid.columns == 48
        await press(pilot, "z")
        assert timeline.grid.columns == 96


async def test_go_to_a_date(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "g")
        prompt = app.screen
        box = prompt.query_one(Input)
        box.value = "Christmas"
        await press(pilot, "enter")
        assert app.screen is prompt, "a date it cannot read is explained, not taken"
        assert "is not a date" in str(prompt.query_one("#problem", Static).render())
        box.value = "2026-12-25"
        await press(pilot, "enter")
        assert "Fri 25 Dec 2026" in where_text(app)
        await press(pilot, "g")
        app.screen.query_one(Input).value = "+3"
        await press(pilot, "enter")
        assert "Mon 28 Dec 2026" in where_text(app), "days from the day shown"


async def test_filter_keeps_matching_resources_and_their_parents(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash")  # the filter box opens and takes the focus
        await pilot.press(*"vehicle")
        await press(pilot, "enter")
        assert [r.name for r in home(app).timeline.grid.rows] == ["Truck 18t", "Truck 7.5t"]
        await press(pilot, "slash", "escape")
        await press(pilot, "escape")
        assert len(home(app).timeline.grid.rows) == 22


async def test_enter_on_a_booking_opens_its_details_with_history(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = put_cursor(app, "Rehearsal 1", 10)  # Company class, every weekday at 10
        assert timeline.span_under_cursor().label == "Company class"
        await press(pilot, "enter")
        assert isinstance(app.screen, DetailsScreen)
        fields = str(app.screen.query_one("#fields", Static).render())
        assert "Company class" in fields
        assert "2026-11-24 10:00-11:00 (Europe/London)" in fields
        history = str(app.screen.query_one("#history", Static).render())
        assert "created" in history
        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)


async def test_enter_on_a_free_cell_opens_a_prefilled_booking_form(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        put_cursor(app, "Rehearsal 6", 7)
        await press(pilot, "enter")
        form = app.screen
        assert isinstance(form, BookingForm)
        assert form.query_one("#resource", Input).value == "Rehearsal 6"
        assert form.query_one("#start", Input).value == "2026-11-24 07:00"


@asynccontextmanager
async def booking_form(db):
    """The app with the booking form open (the `n` key)."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        yield pilot, app.screen


async def test_the_hint_names_what_is_in_the_way_and_clears_when_fixed(venue):
    async with booking_form(venue) as (pilot, form):
        await fill(pilot, form, resource="Rehearsal 1", start="2026-11-24 10:30", end="+1h")
        text, classes = hint(form)
        assert "conflict" in classes
        assert "Company class" in text and "10:00-11:00" in text

        await fill(pilot, form, start="2026-11-24 07:00", end="08:00")
        text, classes = hint(form)
        assert "free" in classes, text
        assert "Company class" not in text


async def test_the_hint_gives_a_blackouts_reason_and_a_stages_blackout_on_its_area(venue):
    async with booking_form(venue) as (pilot, form):
        # Studio Stage is closed for a rigging inspection two days on, 08:00 to 14:00.
        await fill(pilot, form, resource="Studio Left", start="2026-11-26 09:00", end="+30m")
        text, classes = hint(form)
        assert "conflict" in classes
        assert "Rigging inspection" in text and "Studio Stage" in text


async def test_bad_input_is_explained_in_the_hint_not_raised(venue):
    async with booking_form(venue) as (pilot, form):
        await fill(pilot, form, resource="Nowhere", start="2026-11-24 07:00")
        assert "No resource is called 'Nowhere'" in hint(form)[0]
        await fill(pilot, form, resource="Rehearsal 6", start="tomorrow-ish")
        assert "cannot read start" in hint(form)[0]
        await fill(pilot, form, start="2026-11-24 09:00", end="08:00")
        assert "must be after the start" in hint(form)[0]


async def test_an_approval_resource_says_up_front_it_will_be_pending(venue):
    async with booking_form(venue) as (pilot, form):
        await fill(pilot, form, resource="Rehearsal 5", start="2026-11-24 07:00", end="+1h")
        text, classes = hint(form)
        assert "free" in classes
        assert "Needs approval" in text and "company-manager" in text


async def test_submitting_books_it_and_closes_the_form(venue):
    async with booking_form(venue) as (pilot, form):
        await fill(
            pilot,
            form,
            resource="Rehearsal 6",
            start="2026-11-24 07:00",
            end="+90m",
            title="Early call",
            headcount="4",
        )
        await press(pilot, "ctrl+s")
        assert isinstance(pilot.app.screen, TimelineScreen)
    booked = reservations.list_reservations(
        venue, resource="Rehearsal 6", start="2026-11-24T07:00", end="2026-11-24T08:30"
    )
    assert [(b.title, b.headcount, b.booked_by) for b in booked] == [("Early call", 4, "tester")]
    assert booked[0].end.format("HH:mm") == "08:30"


async def test_a_slot_taken_between_hint_and_submit_shows_the_winner(venue, database_url):
    async with booking_form(venue) as (pilot, form):
        await fill(
            pilot, form, resource="Rehearsal 6", start="2026-11-24 07:00", end="+1h", title="Mine"
        )
        assert "free" in hint(form)[1]
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET spaces.actor = 'quick'")
            other.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange('2026-11-24 07:30+00', '2026-11-24 08:00+00'), 'Sneaky'"
                " FROM spaces.resources WHERE name = 'Rehearsal 6'"
            )
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is form, "the form stays open"
        text, classes = hint(form)
        assert "conflict" in classes
        assert "Sneaky" in text and "quick" in text


async def test_x_cancels_the_booking_under_the_cursor_with_a_reason(venue):
    booking = reservations.book(venue, "Rehearsal 6", "2026-11-24T07:00", "+1h", "To cancel")
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        put_cursor(app, "Rehearsal 6", 7)
        await press(pilot, "x")  # asks why
        await pilot.press(*"room flooded")
        await press(pilot, "enter")
        assert isinstance(app.screen, TimelineScreen)
        assert home(app).timeline.span_under_cursor() is None, "the slot shows free again"
    cancelled = reservations.get_reservation(venue, booking.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "room flooded")


async def test_an_approver_approves_from_the_details(venue):
    venue.actor = "company-manager"
    booking = reservations.book(venue, "Rehearsal 5", "2026-11-24T07:00", "+1h", "Needs a yes")
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        put_cursor(app, "Rehearsal 5", 7)
        await press(pilot, "enter", "a")
        assert "confirmed" in str(app.screen.query_one("#fields", Static).render())
    assert reservations.get_reservation(venue, booking.id).decided_by == "company-manager"


async def test_a_booking_made_elsewhere_appears_by_itself(venue, database_url):
    app = make_app(venue, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = put_cursor(app, "Rehearsal 6", 7)
        cursor = timeline.cursor
        assert timeline.span_under_cursor() is None
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange('2026-11-24 07:00+00', '2026-11-24 08:00+00'), 'From psql'"
                " FROM spaces.resources WHERE name = 'Rehearsal 6'"
            )
        await wait_until(
            pilot,
            lambda: timeline.span_under_cursor() is not None,
            "the booking made in psql is on the timeline",
        )
        assert timeline.span_under_cursor().label == "From psql"
        assert timeline.cursor == cursor, "the cursor stays put"
        assert "live" in app.sub_title


def count_loads(screen: TimelineScreen) -> list[int]:
    """Counts the screen's loads from now on (one item a load)."""
    loads: list[int] = []
    load = screen.load
    screen.load = lambda: (loads.append(1), load())  # type: ignore[method-assign]
    return loads


async def test_an_event_reloads_at_once_not_after_a_delay(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = home(app)
        loads = count_loads(screen)
        screen.on_events_arrived(EventsArrived(None))
        assert loads == [1], "the reload starts as the event is handled, no timer first"
        assert not screen.reload_scheduled
        await settle(pilot)
        assert loads == [1]


async def test_a_burst_of_events_during_a_reload_becomes_one_more_reload(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = home(app)
        loads = count_loads(screen)
        for _ in range(5):  # handled in one go: the first reload cannot have finished
            screen.on_events_arrived(EventsArrived(None))
        assert loads == [1]
        assert screen.reload_scheduled, "the rest wait for the running reload"
        await settle(pilot)
        assert loads == [1, 1], "the four that came during it became one reload after it"
        assert not screen.reload_scheduled


async def test_a_live_app_loads_its_first_screen_once(venue, monkeypatch):
    loads: list[int] = []
    load = TimelineScreen.load
    monkeypatch.setattr(TimelineScreen, "load", lambda self: (loads.append(1), load(self))[1])
    app = make_app(venue, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.listener_ready.is_set()
        assert "live" in app.sub_title
        # The listener follows from the newest event before the first load read: connecting,
        # it has nothing to reload for.
        assert loads == [1]


async def test_help_lists_every_key(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = app.screen.query_one(HelpText)
        timeline = next(s for s in body.sections if s.title.startswith("Timeline"))
        shown = [k for keys, _, _ in layout([timeline], body.size.width) for k in keys.split()]
        for binding in bindings_of([*TimelineScreen.BINDINGS, *Timeline.BINDINGS]):
            assert app.get_key_display(binding) in shown, f"{binding.key} is not in the help"
        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)


# --- snapshots: the screens as a user sees them --------------------------------------------


def test_snapshot_day_view(venue, snap_compare):
    async def morning(pilot):
        await settle(pilot)
        put_cursor(pilot.app, "Main Stage", 13)
        await settle(pilot)

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=morning)


def test_snapshot_week_view(venue, snap_compare):
    async def week(pilot):
        await settle(pilot)
        await press(pilot, "w")

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=week)


def test_snapshot_booking_form_with_a_conflict(venue, snap_compare):
    async def conflict(pilot):
        await settle(pilot)
        put_cursor(pilot.app, "Rehearsal 1", 10)
        await press(pilot, "n")
        await fill(pilot, pilot.app.screen, title="Extra class")
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False  # a blinking cursor would make the picture a coin toss
        await settle(pilot)

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=conflict)


def test_snapshot_help(venue, snap_compare):
    async def help_screen(pilot):
        await settle(pilot)
        await press(pilot, "question_mark")

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=help_screen)


async def test_a_dropped_connection_shows_in_the_header_and_nothing_is_missed(venue, database_url):
    app = make_app(venue, listen=True)
    states: list[str] = []
    show_state = app._set_live
    app._set_live = lambda state: (states.append(state), show_state(state))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # a live app has settled once its listener is connected
        assert states, "the listener said it is live"
        timeline = put_cursor(app, "Rehearsal 6", 7)
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query ILIKE 'LISTEN%%' AND datname = current_database()"
            )
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange('2026-11-24 07:00+00', '2026-11-24 08:00+00'), 'In the gap'"
                " FROM spaces.resources WHERE name = 'Rehearsal 6'"
            )
        await wait_until(
            pilot,
            lambda: timeline.span_under_cursor() is not None and states[-1].startswith("●"),
            f"live again with the booking made in the gap shown (states: {states})",
        )
        assert any(state.startswith("○ offline") for state in states), states
        assert states[-1].startswith("● live")
        assert timeline.span_under_cursor().label == "In the gap"


async def test_a_click_selects_a_cell_and_a_double_click_opens_it(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        timeline = put_cursor(app, "Rehearsal 1", 10)
        await settle(pilot)
        x = timeline.name_width + timeline.cursor.col * 3 - timeline.scroll_offset.x
        row = next(i for i, r in enumerate(timeline.grid.rows) if r.name == "Rehearsal 2")
        y = 1 + row - timeline.scroll_offset.y
        await pilot.click(Timeline, offset=(x + 1, y))
        await settle(pilot)
        assert timeline.cursor == Cell(row, timeline.cursor.col)
        await pilot.double_click(Timeline, offset=(x + 1, y - 1))  # Rehearsal 1 at 10:00
        await settle(pilot)
        assert isinstance(app.screen, DetailsScreen)
        assert app.screen.item.title == "Company class"


async def test_the_command_palette_jumps_to_a_resource(venue):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, "Jump to Truck 18t")
        timeline = home(app).timeline
        assert timeline.grid.rows[timeline.cursor.row].name == "Truck 18t"


async def test_an_approver_rejects_from_the_details_with_a_reason(venue):
    venue.actor = "company-manager"
    booking = reservations.book(venue, "Rehearsal 5", "2026-11-24T07:00", "+1h", "Needs a no")
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        put_cursor(app, "Rehearsal 5", 7)
        await press(pilot, "enter", "r")  # the details, then why
        await pilot.press(*"double booked")
        await press(pilot, "enter")
        assert "rejected" in str(app.screen.query_one("#fields", Static).render())
    rejected = reservations.get_reservation(venue, booking.id)
    assert (rejected.status, rejected.decision_note) == ("rejected", "double booked")
