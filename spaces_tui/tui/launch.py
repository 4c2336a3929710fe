"""Opening the calendar from the command line: the database first (with its messages on the
plain terminal), a demo venue on a brand-new embedded database, then the app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Generic, TypeVar

import pendulum

from spaces_tui.config import Settings
from spaces_tui.db.connection import Database
from spaces_tui.db.open import open_database
from spaces_tui.engine.access import adopt_effective_actor
from spaces_tui.engine.demo import has_data, load_demo
from spaces_tui.engine.times import local_zone
from spaces_tui.tui.prefetch import FirstWindow, read_first_window

T = TypeVar("T")


class InBackground(Generic[T]):
    """work() in a thread from now on; result() waits for it and returns what it returned, or
    raises what it raised."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._result = work()
        except BaseException as error:  # raised again by result(), in the caller's thread
            self._error = error

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


def _open(
    settings: Settings, announce: Callable[[str], None], zone: str
) -> tuple[Database, bool, FirstWindow | None]:
    """The database, acting as whom it says; whether it holds nothing yet; and, if it holds
    something, the first screen's window (None if that read failed: the screen reads it)."""
    db = open_database(settings, announce)
    try:
        adopt_effective_actor(db, announce)
        empty = not has_data(db)
    except BaseException:
        db.dispose()
        raise
    first = None
    if not empty:
        with suppress(Exception):  # the home screen loads it again, and says what went wrong
            first = read_first_window(db, pendulum.now(zone))
    return db, empty, first


def open_calendar(settings: Settings, announce: Callable[[str], None]) -> int:
    """Runs the calendar until it is quit; returns the exit status for the shell: 0 when the
    user quit, non-zero when the app ended by an error (Textual has printed it by then)."""
    zone = settings.timezone or local_zone()
    # The database opens in a thread while Textual is imported here, and the first screen's
    # window is read there too: the one waits mostly on the server, the other on the processor,
    # so the first screen waits for the longer only.
    opening = InBackground(lambda: _open(settings, announce, zone))
    try:
        from spaces_tui.tui.app import SpacesApp
    except BaseException:
        with suppress(Exception):
            opening.result()[0].dispose()
        raise
    db, empty, first = opening.result()
    notice = None
    try:
        if settings.embedded and empty:
            # A new user's first look should be a working venue, not an empty grid.
            summary = load_demo(db, today=pendulum.today(zone).date(), zone=zone, progress=announce)
            notice = (
                f"This is a demo venue ({summary.resources} resources, {summary.reservations}"
                " bookings): try it freely. `spaces demo --reset` starts it over."
            )
        app = SpacesApp(db, zone=zone, notice=notice, first=first)
        app.run()
        # Textual sets 1 when an exception ended the app; None if it never got going.
        return 1 if app.return_code is None else app.return_code
    finally:
        db.dispose()
