"""What every test of the terminal app shares: a fixed clock, an 80x24 terminal, the app on a
test database, and waiting for what the app does by itself (database work in threads, reloads
the event bus asks for, the booking form's hint) to land. conftest.py loads it as a plugin, so
its fixtures (no_bugs) are there for every test module.

A test waits for a condition, never for a length of time: settle() returns once the app has
nothing left to do by itself, wait_until() once something the test names has happened. Both
give up only after WAIT_LIMIT, far beyond what any step takes on a loaded machine, and then fail
saying what they were still waiting for.

Neither draws a frame while it waits (Pilot.pause does, at its end): the screens draw
themselves, and a snapshot draws its own frame once the app has settled. The list screens'
tables measure a row when it is added (tui/table.py says why: Textual's DataTable did so on a
later idle, and a frame drawn before then showed the queue's and the blackouts' columns cut
off on a loaded machine); settle() still waits for that idle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from datetime import date
from time import monotonic
from typing import TypeVar

import pendulum
import pytest
from rich.cells import cell_len
from textual.command import CommandList, CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import Worker

from spaces_tui.db.connection import Database
from spaces_tui.engine.demo import load_demo
from spaces_tui.tui.app import Clock, SpacesApp
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screens.form_base import ResourceForm
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.table import Table
from spaces_tui.tui.timeline import Cell, Timeline

S = TypeVar("S", bound=Screen)

ZONE = "Europe/London"
TODAY = date(2026, 11, 24)  # a Tuesday
SIZE = (80, 24)

WAIT_LIMIT = 60.0
"""Seconds a wait may last before the test fails: only a hang or a bug comes near it."""


def fixed_clock(zone: str) -> pendulum.DateTime:
    return pendulum.datetime(2026, 11, 24, 11, 15, tz=ZONE).in_timezone(zone)


def make_app(db: Database, *, listen: bool = False, clock: Clock = fixed_clock) -> SpacesApp:
    return SpacesApp(db, zone=ZONE, clock=clock, listen=listen)


# --- waiting for the app -----------------------------------------------------------------------


def _nodes(app: SpacesApp) -> list[DOMNode]:
    """The app, every screen on its stack and every widget on them."""
    nodes: list[DOMNode] = [app]
    for screen in app.screen_stack:
        nodes.extend(screen.walk_children(with_self=True))
    return nodes


async def _handled(app: SpacesApp, deadline: float) -> None:
    """Until every node has handled what was in its queue when this was called: a callback
    queued behind it on each node has run (or its node has gone)."""
    waiting: list[tuple[DOMNode, asyncio.Event]] = []
    for node in _nodes(app):
        done = asyncio.Event()
        if node.call_later(done.set):
            waiting.append((node, done))
    while monotonic() < deadline and app.is_running:
        # A node closed meanwhile (a screen dismissed) will never run its callback.
        waiting = [(node, done) for node, done in waiting if not done.is_set() and node.is_running]
        if not waiting:
            return
        tasks = [asyncio.ensure_future(done.wait()) for _, done in waiting]
        try:
            await asyncio.wait(tasks, timeout=0.1, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()


def _running(app: SpacesApp) -> list[Worker]:
    return [worker for worker in app.workers if not worker.is_finished]


def _columns_fit(table: DataTable) -> bool:
    """Whether the table has measured every row added (on its Idle, where Textual's DataTable
    does) and every auto-width column is as wide as its widest cell."""
    if getattr(table, "_require_update_dimensions", False):  # what Textual's _on_idle reads
        return False
    for index, column in enumerate(table.ordered_columns):
        if not column.auto_width:
            continue
        widest = max(
            (cell_len(str(row[index])) for row in map(table.get_row_at, range(table.row_count))),
            default=0,
        )
        if column.content_width < widest:
            return False
    return True


def busy(app: SpacesApp) -> list[str]:
    """What the app is still doing by itself, in words; empty when it has settled."""
    doing = []
    if workers := _running(app):
        doing.append(f"workers running: {', '.join(sorted(w.group for w in workers))}")
    if calls := app.db_calls_in_threads:
        doing.append(f"{calls} database call(s) running in threads")
    if app.listen and not app.listener_ready.is_set():
        doing.append("the event listener has not connected (and reloaded) yet")
    for screen in app.screen_stack:
        if isinstance(screen, ReloadsOnEvents) and screen.reload_scheduled:
            doing.append(f"{type(screen).__name__}: a reload is scheduled")
        if isinstance(screen, ResourceForm) and not screen.hint_is_current:
            doing.append(f"{type(screen).__name__}: the hint is not current")
    tables = list(app.screen.query(DataTable))
    if plain := [table for table in tables if not isinstance(table, Table)]:
        raise AssertionError(f"{plain}: a list screen's table is a tui.table.Table (it says why)")
    if tables := [table for table in tables if not _columns_fit(table)]:
        doing.append(f"{len(tables)} table(s) still sizing their columns")
    if queued := [node for node in _nodes(app) if node.message_queue_size]:
        doing.append(f"messages queued on {', '.join(sorted({repr(n) for n in queued}))}")
    return doing


async def _finished(worker: Worker) -> None:
    with suppress(Exception):  # cancelled (replaced by a newer one), failed: finished either way
        await worker.wait()


async def _one_finished(workers: list[Worker], timeout: float) -> None:
    """Until one of workers has finished, or timeout seconds. The waits are left to end with
    their workers: cancelling a wait would cancel the worker it awaits."""
    tasks = [asyncio.ensure_future(_finished(worker)) for worker in workers]
    await asyncio.wait(tasks, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)


async def settle(pilot, *, limit: float = WAIT_LIMIT) -> None:
    """Waits until the app has nothing left to do by itself: every message handled, no worker
    and no database call in a thread still running, no reload or hint check scheduled, and a
    live app's listener connected with its first reload done. The screens show the data by then.
    Fails after limit seconds saying what is still going on."""
    app = pilot.app
    deadline = monotonic() + limit
    while True:
        await _handled(app, deadline)
        doing = busy(app)
        if not doing or not app.is_running:
            return
        if monotonic() >= deadline:
            raise AssertionError(f"the app was still busy after {limit:.0f}s: {'; '.join(doing)}")
        started = [worker for worker in _running(app) if worker.is_running]
        if started:
            await _one_finished(started, deadline - monotonic())
        else:
            await asyncio.sleep(0.02)  # a timer to fire, a thread to hand back: look again soon


async def wait_until(
    pilot, condition: Callable[[], object], what: str, *, limit: float = WAIT_LIMIT
) -> None:
    """Settles the app until condition() is true (say, a change made elsewhere has arrived by
    the event bus); fails after limit seconds saying what never happened."""
    deadline = monotonic() + limit
    while True:
        await settle(pilot, limit=max(1.0, deadline - monotonic()))
        if condition():
            return
        if monotonic() >= deadline:
            raise AssertionError(f"not within {limit:.0f}s: {what}")
        await asyncio.sleep(0.05)  # something from outside the app (the event bus) is awaited


async def press(pilot, *keys: str) -> None:
    """Presses each key once the app has settled from the one before: a key that opens a screen
    or moves the focus has done so before the next one arrives (Pilot.press sends the next key
    after a short idle pause, which on a loaded machine can come before that). For text typed
    into the focused field, pilot.press(*text) is enough: every key goes to the same widget."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def push(pilot, screen: S) -> S:
    """Opens screen over the settled app and lets its first load land."""
    await settle(pilot)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


async def palette(pilot, command: str) -> None:
    """Runs a command from the palette (ctrl+p) by typing it: enter is pressed once the
    search has put that command first."""
    await settle(pilot)
    await pilot.press("ctrl+p")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "the command palette opens"
    )
    await pilot.press(*command)

    def first_hit() -> str | None:
        commands = pilot.app.screen.query_one(CommandList)
        option = commands.highlighted_option
        return None if option is None else str(option.hit.text)

    await wait_until(pilot, lambda: first_hit() == command, f"the palette offers {command!r} first")
    await pilot.press("enter")
    await wait_until(
        pilot, lambda: not isinstance(pilot.app.screen, CommandPalette), "the palette closes"
    )


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


@pytest.fixture(scope="session")
def demo_template(scratch, template_name: str) -> Iterator[str]:
    """The demo venue around TODAY, loaded once per run into a template."""
    with scratch("spaces_demo", template_name) as (name, url):
        loader = Database(url, "tester")
        load_demo(loader, today=TODAY, zone=ZONE)
        loader.dispose()
        yield name


@pytest.fixture
def demo_url(scratch, demo_template: str) -> Iterator[str]:
    """A fresh copy of the demo venue for one test: a module whose tests start from it says
    `def database_url(demo_url): return demo_url`."""
    with scratch("spaces_test", demo_template) as (_name, url):
        yield url


def home(app: SpacesApp) -> TimelineScreen:
    screen = app.screen_stack[1]
    assert isinstance(screen, TimelineScreen)
    return screen


def put_cursor(app: SpacesApp, resource: str, hour: int, minute: int = 0) -> Timeline:
    """The calendar's cursor on resource's row, at hour:minute of TODAY."""
    timeline = home(app).timeline
    row = next(i for i, r in enumerate(timeline.grid.rows) if r.name == resource)
    at = pendulum.datetime(TODAY.year, TODAY.month, TODAY.day, hour, minute, tz=ZONE)
    timeline.cursor = Cell(row, timeline.grid.column_at(at))
    return timeline


async def fill(pilot, form: ResourceForm, **fields: str) -> None:
    """Types into a form's fields (or picks from a Select: kind=) and waits for its hint to
    describe them (its check waits for typing to pause, then asks the database)."""
    for name, value in fields.items():
        field = form.query_one(f"#{name}")
        assert isinstance(field, Input | Select), field
        field.value = value
    await wait_until(pilot, lambda: form.hint_is_current, "the hint catches up with the form")


def hint(form: ResourceForm) -> tuple[str, set[str]]:
    widget = form.query_one("#hint", Static)
    return str(widget.render()), set(widget.classes)
