"""A rehearsal session's form: the booking form's room, time and title with the same live hint,
scheduled through the rehearse module so the session and its room's reservation are made
together. Given a session to replace (one Spaces took the room from), it books that session
again and closes the old one in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

import pendulum

from spaces_tui.engine import rehearse
from spaces_tui.engine.models import Resource
from spaces_tui.engine.rehearse import Session
from spaces_tui.engine.times import format_duration
from spaces_tui.tui.screens.booking import BookingFormBase, Request


class SessionForm(BookingFormBase[Session | None]):
    """Closes with the session scheduled (its room reserved with it), or None."""

    HEADING = "New rehearsal session"

    def __init__(
        self,
        room: Resource | None,
        start: pendulum.DateTime | None,
        *,
        replacing: Session | None = None,
    ) -> None:
        if replacing is None:
            super().__init__(room, start)
        else:
            length = f"+{format_duration(replacing.end - replacing.start)}"
            super().__init__(room, start, title=replacing.title, end=length)
            self.HEADING = f"Book session #{replacing.id} {replacing.title!r} again"
        self.replacing = replacing

    def first_field(self) -> str:
        if self.replacing is not None:
            return "#start"  # its old time is taken: a new one is the point
        return super().first_field()

    def booking(self, wanted: Request, *, skip_conflicts: bool) -> Callable[[], Session]:
        db, replacing = self.app.db, self.replacing
        room, start, end, title = wanted.resource.id, wanted.start, wanted.end, wanted.title
        if replacing is None:
            return lambda: rehearse.add_session(db, room, start, end, title)
        return lambda: rehearse.replace_session(
            db, replacing.id, start, end, room=room, title=title
        )

    def booked(self, outcome: Session) -> None:
        closed = f" Session #{self.replacing.id} is closed." if self.replacing else ""
        self.app.notify(
            f"Scheduled {outcome.title!r} in {outcome.room} (session #{outcome.id}).{closed}",
            markup=False,
        )
        self.dismiss(outcome)
