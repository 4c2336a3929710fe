"""The first screen's data, read while Textual is still being imported (see launch.py): the
calendar opens on today's day, so that window is known before the app exists. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from spaces_tui.db.connection import Database
from spaces_tui.engine import events
from spaces_tui.engine.calendar import Window, load_window
from spaces_tui.tui.grid import DAY


@dataclass(frozen=True)
class FirstWindow:
    since: int  # the newest event before the window was read: the listener follows from there
    window: Window


def read_first_window(db: Database, now: pendulum.DateTime) -> FirstWindow:
    """The day of now (in its zone) at the home screen's first scale, and where the event bus
    stood just before it was read."""
    since = events.latest_event_id(db)
    start = now.start_of("day")
    return FirstWindow(since, load_window(db, start, start.add(days=DAY.days)))
