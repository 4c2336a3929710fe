"""Opening the calendar from the command line: the database first (with its messages on the
plain terminal), a demo venue on a brand-new embedded database, then the app."""

from __future__ import annotations

from collections.abc import Callable

import pendulum

from spaces_tui.config import Settings
from spaces_tui.db.open import open_database
from spaces_tui.engine.access import adopt_effective_actor
from spaces_tui.engine.demo import has_data, load_demo
from spaces_tui.engine.times import local_zone
from spaces_tui.tui.app import SpacesApp


def open_calendar(settings: Settings, announce: Callable[[str], None]) -> int:
    """Runs the calendar until it is quit; returns the exit status for the shell: 0 when the
    user quit, non-zero when the app ended by an error (Textual has printed it by then)."""
    zone = settings.timezone or local_zone()
    db = open_database(settings, announce)
    notice = None
    try:
        adopt_effective_actor(db, announce)
        if settings.embedded and not has_data(db):
            # A new user's first look should be a working venue, not an empty grid.
            summary = load_demo(db, today=pendulum.today(zone).date(), zone=zone, progress=announce)
            notice = (
                f"This is a demo venue ({summary.resources} resources, {summary.reservations}"
                " bookings): try it freely. `spaces demo --reset` starts it over."
            )
        app = SpacesApp(db, zone=zone, notice=notice)
        app.run()
        # Textual sets 1 when an exception ended the app; None if it never got going.
        return 1 if app.return_code is None else app.return_code
    finally:
        db.dispose()
