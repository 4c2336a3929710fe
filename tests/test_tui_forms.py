"""The booking, session and blackout forms: every key they advertise works from inside a field,
a refused repeat says what was not booked and why, an unreachable database is said in those
words (and the form recovers by itself), and the buttons stay on screen down to 60x20."""

from __future__ import annotations

import pendulum
import pytest
from textual import events
from textual.geometry import Region
from textual.widgets import Button, Input
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
    wait_until,
)

from spaces_tui.db.connection import Database
from spaces_tui.engine import blackouts, reservations, resources, series
from spaces_tui.engine.hours import parse_week
from spaces_tui.engine.recurrence import build_rule
from spaces_tui.engine.rehearse import list_sessions
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.screens.blackouts import BlackoutForm
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.form_base import RETRY_EVERY
from spaces_tui.tui.screens.session_form import SessionForm
from spaces_tui.tui.screens.sessions import SessionsScreen

# The demo venue has "Company class" in Rehearsal 1 every weekday 10:00-11:00 (and more): a
# daily repeat at 10:30 from Tuesday 24 Nov, 7 times, meets something on most days but not all.
REPEAT = {"resource": "Rehearsal 1", "start": "2026-11-24 10:30", "end": "+1h"}
DAILY = {"repeat": "daily", "pattern": "", "ends": "7"}
START = pendulum.datetime(2026, 11, 24, 7, tz=ZONE)


@pytest.fixture
def database_url(demo_url):
    """This module's tests start from the demo venue (overrides conftest's empty one)."""
    return demo_url


def booking_form() -> BookingForm:
    return BookingForm(None, START)


def session_form() -> SessionForm:
    return SessionForm(None, START)


def blackout_form() -> BlackoutForm:
    return BlackoutForm(START)


FORMS = [booking_form, session_form, blackout_form]


# --- every key, from inside every field --------------------------------------------------------


@pytest.mark.parametrize("make_form", FORMS, ids=lambda make: make.__name__)
async def test_every_key_a_form_binds_works_from_inside_each_of_its_fields(db, make_form):
    """A key the form advertises must reach the form wherever the focus is: an Input binds
    many ctrl keys of its own (ctrl+k deletes to the end of the line), a Select others."""
    async with app_showing(db, make_form) as (pilot, form, _notes):
        fields = [w for w in form.query("Input, Select") if w.display and w.focusable]
        assert len(fields) >= 4
        for binding in bindings_of(form.BINDINGS):
            action = binding.action.partition("(")[0]
            for field in fields:
                pressed: list[str] = []
                setattr(form, f"action_{action}", lambda *_args, seen=pressed: seen.append("x"))
                field.focus()
                if isinstance(field, Input):
                    field.value, field.cursor_position = "abc", 1
                await press(pilot, binding.key)
                where = f"{binding.key} in #{field.id}"
                assert pressed == ["x"], f"{where}: the form's {action} did not run"
                if isinstance(field, Input):
                    assert field.value == "abc", f"{where}: the field took the key"
                assert pilot.app.screen is form


@pytest.mark.parametrize("make_form", FORMS, ids=lambda make: make.__name__)
async def test_a_key_typed_straight_after_text_acts_on_all_of_the_text(db, make_form):
    """Keys that arrive together (typed fast, or over SSH, where a burst comes in one read)
    are handled in the order typed: the form's ctrl+s must not act before the text typed
    just before it has reached its field. A priority binding did: it ran in the app's own
    queue while the last characters still waited in the field's."""
    async with app_showing(db, make_form) as (_pilot, form, _notes):
        field = form.query_one("#start", Input)
        field.focus()
        field.value = ""
        seen: list[str] = []
        form.action_book = form.action_save = lambda *_args: seen.append(field.value)
        typed = "2026-11-24 10:30"
        for key in [*typed, "ctrl+s"]:
            character = key if len(key) == 1 else None
            _pilot.app.post_message(events.Key(key.replace(" ", "space"), character))
        await wait_until(_pilot, lambda: seen, "the form's action runs")
        assert seen == [typed]


# --- risks in the hint -------------------------------------------------------------------------

# Out of the demo's fortnight, so Rehearsal 6 (capacity 12) is empty that week.
QUIET = {"resource": "Rehearsal 6", "start": "2026-12-15 10:00", "end": "+2h"}


async def test_the_hint_says_what_is_worth_a_look_under_a_free_slot(db):
    blackouts.add_blackout(db, "Rehearsal 6", "2026-12-15T12:30", "+1h", "Deep clean")
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **QUIET, title="Fitting")
        text, state = hint(form)
        assert state == {"free"}
        assert text.splitlines()[1:] == [
            "⚠ blackout 'Deep clean' (maintenance, set by tester) on Rehearsal 6 starts 30m after"
            " it ends, 12:30-13:30"
        ]
        await fill(pilot, form, headcount="11")
        assert "⚠ 11 people fills 92% of Rehearsal 6 (capacity 12)" in hint(form)[0]
        await fill(pilot, form, start="2026-12-15 09:00")
        assert hint(form) == (
            "✓ free: Rehearsal 6, 2026-12-15 09:00-11:00 (Europe/London)\n"
            "⚠ 11 people fills 92% of Rehearsal 6 (capacity 12)",
            {"free"},
        )


async def test_a_headcount_over_capacity_is_said_before_anything_is_sent(db):
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **QUIET, title="Open call", headcount="13")
        assert hint(form) == (
            "✗ too many people: 13 people is more than Rehearsal 6 holds (capacity 12).",
            {"conflict"},
        )
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: "Nothing was booked" in hint(form)[0], "the refusal")
        assert reservations.list_reservations(db, resource="Rehearsal 6", start="2026-12-15") == []


async def test_a_repeats_preview_marks_each_occurrence_with_a_risk(db):
    blackouts.add_blackout(db, "Rehearsal 6", "2026-12-16T12:15", "+1h", "Deep clean")
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **QUIET, title="Fitting", repeat="daily", pattern="", ends="3")
        text, state = hint(form)
        assert state == {"free"}
        assert text.splitlines() == [
            "✓ all 3 occurrences free on Rehearsal 6, ⚠ 1 worth a look",
            "✓ Tue 15 Dec 10:00-12:00",
            "✓ Wed 16 Dec 10:00-12:00 ⚠ blackout 'Deep clean' (maintenance, set by tester) on"
            " Rehearsal 6 starts 15m after it ends, 12:15-13:15",
            "✓ Thu 17 Dec 10:00-12:00",
        ]


def _set_hours(db: Database, spec: str) -> None:
    resources.update_resource(db, "Rehearsal 6", hours=parse_week(spec))


# Every other kind of risk in the hint: (what makes it, the fields asked, the risk's words).
FORM_RISKS = {
    "back_to_back": (
        lambda db: reservations.book(db, "Rehearsal 6", "2026-12-15T08:00", "10:00", "Get-out"),
        {},
        "⚠ back to back: confirmed booking",
    ),
    "busy_day": (
        lambda db: (
            _set_hours(db, "TU=10:00-13:00"),
            reservations.book(db, "Rehearsal 6", "2026-12-15T10:00", "12:40", "Long call"),
        ),
        {"start": "2026-12-15 12:40", "end": "13:00"},
        "⚠ Rehearsal 6 is already booked for 89% of its bookable hours on Tue 15 Dec",
    ),
    "outside_hours": (
        lambda db: None,
        {"start": "2026-12-15 22:30"},
        "⚠ 1h 30m of it is outside Rehearsal 6's hours (bookable 08:00-23:00 on Tue 15 Dec)",
    ),
    "in_past": (
        lambda db: None,
        {"start": "2026-11-24 10:30", "end": "+30m"},
        "⚠ it starts in the past",
    ),
    "no_approver": (
        lambda db: resources.update_resource(db, "Rehearsal 6", requires_approval=True),
        {},
        "⚠ no approver: nobody can decide it",
    ),
}


@pytest.mark.parametrize("kind", list(FORM_RISKS))
async def test_each_kind_of_risk_is_a_line_of_the_hint(db, kind):
    make, fields, said = FORM_RISKS[kind]
    make(db)
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, **{**QUIET, **fields}, title="Asked")
        text, state = hint(form)
        assert "conflict" not in state, text
        assert any(line.startswith(said) for line in text.splitlines()), text


async def test_the_session_form_says_the_risks_too(db):
    blackouts.add_blackout(db, "Rehearsal 6", "2026-12-15T09:30", "10:00", "Deep clean")
    async with app_showing(db, session_form) as (pilot, form, _notes):
        await fill(pilot, form, **QUIET, title="Early call")
        assert (
            "⚠ blackout 'Deep clean' (maintenance, set by tester) on Rehearsal 6 ends just as"
            " it starts" in hint(form)[0]
        )


# --- a repeat with clashes ---------------------------------------------------------------------


async def test_ctrl_s_on_a_repeat_with_clashes_says_what_was_not_booked_and_ctrl_o_books_the_rest(
    db,
):
    rehearsal = resources.get_resource(db, "Rehearsal 1")
    start = pendulum.datetime(2026, 11, 24, 10, 30, tz=ZONE)
    rule = build_rule("daily", start, days="", custom="", ends="7")
    assert rule is not None
    preview = series.preview(db, rehearsal.id, start, start.add(hours=1), rule[0], until=rule[1])
    free = [o for o in preview if not o.obstacles]
    assert 0 < len(free) < len(preview), "the venue still has the clashes this test is about"
    async with app_showing(db, booking_form) as (pilot, form, notes):
        await fill(pilot, form, **REPEAT, title="Extra class", **DAILY)
        before = reservations.list_reservations(db, resource="Rehearsal 1")

        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: form.hint_is_current, "the form says why")
        text, classes = hint(form)
        assert pilot.app.screen is form and "conflict" in classes
        assert "Nothing was booked" in text
        blocked = len(preview) - len(free)
        assert f"{blocked} of {len(preview)} in the way" in text
        assert f"ctrl+o books the {len(free)} free one" in text
        assert "Company class" in text, "what is in the way is named"
        assert form.query_one("#book-free", Button).display
        assert reservations.list_reservations(db, resource="Rehearsal 1") == before

        await press(pilot, "ctrl+o")
        await wait_until(pilot, lambda: pilot.app.screen is not form, "the form closes")
        booked = [
            r
            for r in reservations.list_reservations(db, resource="Rehearsal 1")
            if r.title == "Extra class"
        ]
        assert sorted(r.start for r in booked) == [o.start for o in free]
        assert any(f"skipped {blocked} in the way" in note for note in notes), notes


async def test_a_one_off_refused_after_the_hint_says_nothing_was_booked(db):
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, resource="Rehearsal 6", start="2026-11-24 07:00", title="Solo")
        assert "free" in hint(form)[1]
        reservations.book(db, "Rehearsal 6", "2026-11-24T07:00", "+1h", "Got there first")
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: "Nothing was booked" in hint(form)[0], "the refusal")
        assert "Got there first" in hint(form)[0]
        assert pilot.app.screen is form
        # asked again: what to take instead, under what won
        await wait_until(pilot, lambda: "next free" in hint(form)[0], "the offer")
        assert "Nothing was booked" in hint(form)[0] and "Got there first" in hint(form)[0]


# --- the database out of reach -----------------------------------------------------------------


def unreachable_database() -> Database:
    """A database nobody listens for (port 1 on loopback): every call fails to connect."""
    return Database("postgresql://tester@127.0.0.1:1/spaces", "tester")


@pytest.mark.parametrize("make_form", [booking_form, blackout_form], ids=lambda m: m.__name__)
async def test_an_unreachable_database_is_said_so_and_the_form_recovers_by_itself(db, make_form):
    down = unreachable_database()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.db = down
        form = make_form()
        await push(pilot, form)
        await fill(pilot, form, resource="Rehearsal 6", start="2026-11-24 07:00")
        await wait_until(
            pilot, lambda: "cannot be reached" in hint(form)[0], "the hint says the database is out"
        )
        text = hint(form)[0]
        assert "No resource is called" not in text
        assert f"Trying again every {RETRY_EVERY:g} s" in text

        app.db = db  # back (on the embedded default, Database.connect starts it again)
        await wait_until(
            pilot,
            lambda: "cannot be reached" not in hint(form)[0] and form.hint_is_current,
            "the form asks again by itself",
        )
        assert "free" in hint(form)[1], hint(form)
    down.dispose()


async def test_booking_while_the_database_is_out_says_nothing_was_booked(db):
    async with app_showing(db, booking_form) as (pilot, form, _notes):
        await fill(pilot, form, resource="Rehearsal 6", start="2026-11-24 07:00", title="Solo")
        down = unreachable_database()
        pilot.app.db = down
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: "cannot be reached" in hint(form)[0], "the refusal")
        assert "nothing was booked" in hint(form)[0]
        assert pilot.app.screen is form
        pilot.app.db = db
        down.dispose()


# --- the blackout form's live hint -------------------------------------------------------------


async def test_the_blackout_form_lists_what_it_would_cancel_as_it_is_typed(db):
    async with app_showing(db, blackout_form) as (pilot, form, _notes):
        await fill(pilot, form, resource="Rehearsal 1", start="2026-11-25 09:00", end="12:00")
        text, classes = hint(form)
        assert "conflict" in classes
        assert "1 active booking in the way" in text and "Company class" in text
        assert not form.query_one("#override").display, "only a refused press offers to cancel"

        await fill(pilot, form, start="2026-11-25 07:00", end="08:00")
        text, classes = hint(form)
        assert "free" in classes and "No booking is in its way" in text
        assert blackouts.list_blackouts(db, resource="Rehearsal 1") == [], "nothing was written"


# --- the session form closes with its session --------------------------------------------------


async def test_a_new_session_gets_the_cursor_in_the_list(db):
    async with app_showing(db, SessionsScreen) as (pilot, screen, _notes):
        await press(pilot, "n")
        form = pilot.app.screen
        assert isinstance(form, SessionForm)
        await fill(
            pilot, form, resource="Rehearsal 6", start="2026-11-26 15:00", title="Fight call"
        )
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: pilot.app.screen is screen, "back on the list")
        await settle(pilot)
        made = next(s for s in list_sessions(db, view="all") if s.title == "Fight call")
        assert screen.current is not None and screen.current.id == made.id


# --- a short terminal --------------------------------------------------------------------------


def on_screen(widget, size: tuple[int, int]) -> bool:
    region = widget.region
    return bool(region) and Region(0, 0, *size).contains_region(region)


@pytest.mark.parametrize("size", [(70, 20), (60, 20)])
async def test_the_buttons_stay_on_a_short_terminal_with_a_repeat_preview(db, size):
    app = make_app(db)
    async with app.run_test(size=size) as pilot:
        form = await push(pilot, booking_form())
        await fill(pilot, form, **REPEAT, title="Extra class", **DAILY)
        assert "in the way" in hint(form)[0]
        free_ones = form.query_one("#book-free")
        await wait_until(pilot, lambda: bool(free_ones.region), "the free ones' button is shown")
        for button in form.query(Button):
            if button.display:
                assert on_screen(button, size), f"{button.id} at {button.region} of {size}"
        # The fields scroll: the one at the top comes back into view when it has the focus.
        resource = form.query_one("#resource", Input)
        resource.focus()
        await settle(pilot)
        assert on_screen(resource, size)
        hint_widget = form.query_one("#hint")
        hint_widget.scroll_visible(animate=False)
        await settle(pilot)
        assert hint_widget.region, "the hint can be scrolled to"

        await fill(pilot, form, end="Extra call")  # the title typed in the wrong field
        assert "cannot read end" in hint(form)[0]
        assert not free_ones.display, "no offer to book the free ones of a repeat it cannot read"


def test_snapshot_booking_form_at_60x20_after_a_refused_repeat(db, snap_compare):
    async def refused(pilot):
        form = await push(pilot, booking_form())
        await fill(pilot, form, **REPEAT, title="Extra class", **DAILY)
        await press(pilot, "ctrl+s")
        await wait_until(pilot, lambda: "Nothing was booked" in hint(form)[0], "the refusal")
        for box in form.query(Input):
            box.cursor_blink = False
        form.query_one("#hint").scroll_visible(animate=False)
        await settle(pilot)

    assert snap_compare(make_app(db), terminal_size=(60, 20), run_before=refused)
