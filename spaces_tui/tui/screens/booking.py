"""The booking form: as the user types, a hint says whether the slot is free or exactly what is
in the way, asked of spaces.check_reservation_conflict off the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static

from spaces_tui.engine import reservations, resources
from spaces_tui.engine.errors import BadInput, Conflict, SpacesError
from spaces_tui.engine.models import Obstacle, Reservation, Resource
from spaces_tui.engine.times import format_period, parse_period

HINT_DELAY = 0.25  # seconds of quiet typing before the database is asked


@dataclass(frozen=True)
class Request:
    """The form's fields, read and checked; what book() will be given."""

    resource: Resource
    start: pendulum.DateTime
    end: pendulum.DateTime
    title: str
    headcount: int | None


def obstacle_text(obstacle: Obstacle) -> str:
    when = format_period(obstacle.start, obstacle.end)
    where = escape(obstacle.resource)
    what = escape(obstacle.title)
    if obstacle.kind == "blackout":
        return f"[red]![/] blackout [b]{what}[/b] on {where}, {when} (set by {obstacle.who})"
    turnover = " [dim](its turnover time)[/]" if obstacle.turnover_only else ""
    return (
        f"[yellow]×[/] {obstacle.status} booking #{obstacle.id} [b]{what}[/b] on {where},"
        f" {when}, by {escape(obstacle.who)}{turnover}"
    )


class BookingForm(ModalScreen[Reservation | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("ctrl+s", "book", "Book"),
    ]

    def __init__(self, resource: Resource | None, start: pendulum.DateTime | None) -> None:
        super().__init__()
        self.initial_resource = resource
        self.initial_start = start
        self.known: dict[str, Resource] = {}
        self._timer: Timer | None = None
        self._asked = 0  # the newest hint request; older answers are dropped
        self._answered = 0

    def compose(self) -> ComposeResult:
        start = self.initial_start
        with Vertical(classes="dialog booking"):
            yield Label("New booking", classes="dialog-title")
            yield Label("Resource")
            yield Input(
                value=self.initial_resource.name if self.initial_resource else "",
                placeholder="name (type to search)",
                id="resource",
            )
            with Horizontal(classes="when"):
                with Vertical():
                    yield Label("Start")
                    yield Input(
                        value=start.format("YYYY-MM-DD HH:mm") if start else "",
                        placeholder="2026-12-01 14:00",
                        id="start",
                    )
                with Vertical():
                    yield Label("End, time or +duration")
                    yield Input(value="+1h", placeholder="16:30 or +90m", id="end")
            yield Label("Title")
            yield Input(placeholder="what it is for", id="title")
            yield Label("Headcount (optional)")
            yield Input(placeholder="people", id="headcount", type="integer")
            yield Static("", id="hint")
            with Horizontal(classes="buttons"):
                yield Button("Book (ctrl+s)", variant="primary", id="book")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#title" if self.initial_resource else "#resource", Input).focus()
        self.app.db_call(lambda: resources.list_resources(self.app.db), self._got_resources)

    def _got_resources(self, listed: list[Resource]) -> None:
        self.known = {resource.name: resource for resource in listed if resource.active}
        names = sorted(self.known, key=str.casefold)
        self.query_one("#resource", Input).suggester = SuggestFromList(names, case_sensitive=False)
        self._ask_soon()

    # --- reading the form ---------------------------------------------------------------------

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def _resource(self) -> Resource:
        name = self._value("resource")
        if not name:
            raise BadInput("Which resource? Type its name.")
        found = self.known.get(name) or next(
            (r for r in self.known.values() if r.name.casefold() == name.casefold()), None
        )
        if found is None:
            raise BadInput(f"No resource is called {name!r}.")
        return found

    def _period(self, resource: Resource) -> tuple[pendulum.DateTime, pendulum.DateTime]:
        if not self._value("start"):
            raise BadInput("When does it start? e.g. 2026-12-01 14:00")
        return parse_period(self._value("start"), self._value("end") or "+1h", resource.timezone)

    def request(self) -> Request:
        """The form as a booking; BadInput says what to fix."""
        resource = self._resource()
        start, end = self._period(resource)
        title = self._value("title")
        if not title:
            raise BadInput("Give it a title.")
        headcount = self._value("headcount")
        if headcount and (not headcount.isdigit() or int(headcount) < 1):
            raise BadInput("Headcount is a whole number, 1 or more.")
        return Request(resource, start, end, title, int(headcount) if headcount else None)

    # --- the live hint ------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id in ("resource", "start", "end"):
            self._ask_soon()

    @property
    def hint_is_current(self) -> bool:
        """True when the hint describes the fields as they are now (nothing waiting)."""
        return self._timer is None and self._answered == self._asked

    def _ask_soon(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(HINT_DELAY, self._ask)

    def _ask(self) -> None:
        self._timer = None
        try:
            resource = self._resource()
            start, end = self._period(resource)
        except BadInput as problem:
            self._hint(f"[dim]{escape(str(problem))}[/]", "incomplete")
            return
        self._asked += 1
        asked = self._asked
        db = self.app.db
        self.app.db_call(
            lambda: reservations.check(db, resource.id, start, end),
            lambda obstacles: self._answer(asked, resource, start, end, obstacles),
            failed=lambda error: self._failed_check(asked, error),
            group="hint",
            exclusive=True,
        )

    def _failed_check(self, asked: int, error: SpacesError) -> None:
        self._answered = max(self._answered, asked)
        self._hint(escape(str(error)), "problem")

    def _answer(
        self,
        asked: int,
        resource: Resource,
        start: pendulum.DateTime,
        end: pendulum.DateTime,
        obstacles: list[Obstacle],
    ) -> None:
        if asked != self._asked:
            return  # the form changed since; a newer answer is on its way
        self._answered = asked
        if obstacles:
            self._show_obstacles(resource, obstacles)
            return
        when = format_period(start, end)
        text = f"[green]✓ free[/]: {escape(resource.name)}, {when} ({resource.timezone})"
        if resource.requires_approval:
            approvers = ", ".join(resource.approvers) or "an approver"
            text += f"\n[yellow]Needs approval[/]: it stays pending until {approvers} decides."
        self._hint(text, "free")

    def _show_obstacles(self, resource: Resource, obstacles: list[Obstacle]) -> None:
        lines = [f"[red]✗ not free[/]: in the way on {escape(resource.name)}:"]
        lines += [obstacle_text(obstacle) for obstacle in obstacles]
        self._hint("\n".join(lines), "conflict")

    def _hint(self, text: str, state: str) -> None:
        hint = self.query_one("#hint", Static)
        hint.update(text)
        hint.set_classes(state)

    # --- booking ------------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#book")
    def action_book(self) -> None:
        try:
            wanted = self.request()
        except BadInput as problem:
            self._hint(f"[red]{escape(str(problem))}[/]", "problem")
            return
        db = self.app.db
        self.app.db_call(
            lambda: reservations.book(
                db, wanted.resource.id, wanted.start, wanted.end, wanted.title, wanted.headcount
            ),
            self._booked,
            failed=lambda error: self._refused(wanted.resource, error),
            group="book",
        )

    def _booked(self, booking: Reservation) -> None:
        pending = " It waits for approval." if booking.status == "pending" else ""
        self.app.notify(f"Booked {booking.title!r} on {booking.resource} (#{booking.id}).{pending}")
        self.dismiss(booking)

    def _refused(self, resource: Resource, error: SpacesError) -> None:
        # Taken between the hint and the press: show what won, and stay open.
        if isinstance(error, Conflict) and error.obstacles:
            self._show_obstacles(resource, error.obstacles)
        else:
            self._hint(f"[red]{escape(str(error))}[/]", "problem")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
