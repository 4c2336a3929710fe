"""What every test of the terminal app shares: a fixed clock, an 80x24 terminal, the app on a
test database, and waiting for database work in threads to land."""

from __future__ import annotations

from contextlib import suppress
from datetime import date

import pendulum
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled

from spaces_tui.db.connection import Database
from spaces_tui.tui.app import Clock, SpacesApp
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.home import TimelineScreen

ZONE = "Europe/London"
TODAY = date(2026, 11, 24)  # a Tuesday
SIZE = (80, 24)


def fixed_clock(zone: str) -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, 24, 11, 15, tz=ZONE).in_timezone(zone)


def make_app(db: Database, *, listen: bool = False, clock: Clock = fixed_clock) -> SpacesApp:
    return SpacesApp(db, zone=ZONE, clock=clock, listen=listen)


async def settle(pilot) -> None:
    """Lets database work in threads finish and the screen catch up."""
    for _ in range(3):
        # A cancelled worker is an exclusive load replaced by a newer one (the listener's
        # reload on connect); the newer one is waited for on the next round.
        with suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def home(app: SpacesApp) -> TimelineScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, TimelineScreen)
    return screen


async def fill(pilot, form: BookingForm, **fields: str) -> None:
    """Types into a booking form's fields and waits for its hint to describe them."""
    for name, value in fields.items():
        form.query_one(f"#{name}", Input).value = value
    await pilot.pause(0.3)  # past the hint's debounce
    for _ in range(100):
        await settle(pilot)
        if form.hint_is_current:
            return
        await pilot.pause(0.05)
    raise AssertionError("the hint never caught up with the form")


def hint(form: BookingForm) -> tuple[str, set[str]]:
    widget = form.query_one("#hint", Static)
    return str(widget.render()), set(widget.classes)
