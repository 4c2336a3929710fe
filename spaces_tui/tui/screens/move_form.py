"""Moving a booking: the booking form on its resource and time, whose hint leaves the booking's
own slot out (its replacement may take it). Sent, the booking is cancelled and booked again in
one transaction (engine/moves.py), with the rest of its booking group; when the new slot is
taken nothing changes and the form says what is in the way."""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape
from textual.widgets import Button, Input

from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import moves
from spaces_tui.engine.errors import Conflict
from spaces_tui.engine.models import Reservation, Resource
from spaces_tui.engine.moves import Moved
from spaces_tui.engine.times import exact_length, format_duration, format_period
from spaces_tui.tui.db_calls import Refusal
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.screens.booking import BookingFormBase, Request, obstacle_text


class MoveForm(BookingFormBase[Reservation | None]):
    """Closes with the booking's replacement, or None."""

    def __init__(self, booking: Reservation, resource: Resource) -> None:
        length = f"+{format_duration(exact_length(booking.start, booking.end))}"
        start = booking.start.in_timezone(resource.timezone)
        super().__init__(resource, start, title=booking.title, end=length)
        self.HEADING = f"Move booking #{booking.id} {booking.title!r}"
        self.booking_moved = booking
        self.exclude_id = booking.id

    def on_mount(self) -> None:
        super().on_mount()
        # A move keeps what the booking is; what changes is where and when.
        self.query_one("#title", Input).disabled = True
        self.query_one("#book", Button).label = "Move (ctrl+s)"

    def first_field(self) -> str:
        return "#start"

    def booking(self, wanted: Request, *, skip_conflicts: bool) -> Callable[[], Moved]:
        db, booking = self.app.db, self.booking_moved
        elsewhere = wanted.resource.id if wanted.resource.id != booking.resource_id else None
        return lambda: moves.move(db, booking.id, wanted.start, wanted.end, resource=elsewhere)

    def booked(self, outcome: Moved) -> None:
        replacement = next(new for old, new in outcome.pairs if old.id == self.booking_moved.id)
        others = len(outcome.pairs) - 1
        group = (
            f", with the {others} other row{'s' if others != 1 else ''} of its group"
            if others
            else ""
        )
        pending = " It waits for approval again." if replacement.status == "pending" else ""
        self.app.notify(
            f"Moved {replacement.title!r} to {replacement.resource},"
            f" {format_period(replacement.start, replacement.end)}"
            f" (#{replacement.id}){group}.{pending}",
            markup=False,
        )
        self.dismiss(replacement)

    def _refused(self, resource: Resource, error: Refusal) -> None:
        # A group moves whole: what is in the way may be on another of its rows.
        if isinstance(error, Conflict) and error.blocked:
            lines = [f"[red]{G.taken} Nothing was moved[/]: {escape(str(error))}"]
            for blocked in error.blocked:
                lines += [obstacle_text(obstacle) for obstacle in blocked.obstacles]
            self.hint("\n".join(lines), "conflict")
        elif isinstance(error, DatabaseUnavailable):
            self.unreachable(error, ": nothing was moved")
        else:
            self.hint(f"[red]{G.taken} Nothing was moved[/]: {escape(str(error))}", "problem")
