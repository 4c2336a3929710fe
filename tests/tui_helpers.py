"""What every test of the terminal app shares: a fixed clock, an 80x24 terminal, the app on a
test database, and waiting for database work in threads to land. conftest.py loads it as a
plugin, so its fixtures (no_bugs) are there for every test module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from datetime import date
from typing import TypeVar

import pendulum
import pytest
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import WorkerCancelled

from spaces_tui.db.connection import Database
from spaces_tui.tui.app import Clock, SpacesApp
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.home import TimelineScreen

S = TypeVar("S", bound=Screen)

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


async def push(pilot, screen: S) -> S:
    """Opens screen over the settled app and lets its first load land."""
    await settle(pilot)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


@asynccontextmanager
async def app_showing(
    db: Database, make_screen: Callable[[], S], *, listen: bool = False
) -> AsyncIterator[tuple[object, S, list[str]]]:
    """The app with a screen open; yields the pilot, the screen and the messages of the
    notifications shown so far."""
    app = make_app(db, listen=listen)
    notes: list[str] = []
    show = app.notify
    app.notify = lambda message, **kwargs: (notes.append(message), show(message, **kwargs))[1]
    async with app.run_test(size=SIZE) as pilot:
        yield pilot, await push(pilot, make_screen()), notes


def text_of(screen: Screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


@pytest.fixture
def no_bugs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails a test on an unexpected exception the app would only have shown as a
    notification (it keeps running on one, so a test could otherwise pass over it)."""
    bugs: list[Exception] = []
    monkeypatch.setattr(SpacesApp, "_notify_bug", lambda _app, error: bugs.append(error))
    yield
    assert bugs == []


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
