"""The booking form: as the user types, a hint says whether the slot is free or exactly what is
in the way, asked of spaces.check_reservation_conflict off the UI thread. With a repeat, the
hint previews every occurrence and marks each one that collides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pendulum
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Static

from spaces_tui.engine import reservations, resources, series
from spaces_tui.engine.errors import BadInput, Conflict, SpacesError
from spaces_tui.engine.models import Blocked, Obstacle, Reservation, Resource
from spaces_tui.engine.recurrence import REPEATS, build_rule
from spaces_tui.engine.times import format_period, parse_period
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.screen_base import SpacesModal

HINT_DELAY = 0.25  # seconds of quiet typing before the database is asked
PREVIEW_LINES = 6  # occurrences listed in the hint; the rest are counted


@dataclass(frozen=True)
class Request:
    """The form's fields, read and checked; what book() will be given."""

    resource: Resource
    start: pendulum.DateTime
    end: pendulum.DateTime
    title: str
    headcount: int | None
    repeat: tuple[str, date | None] | None = None  # (RRULE, until) for a recurring booking


def occurrence_text(occurrence: Blocked) -> str:
    """One line of a repeat's preview: free, or what is in its way."""
    when = f"{occurrence.start:%a %d %b %H:%M}-{occurrence.end:%H:%M}"
    if not occurrence.obstacles:
        return f"[green]{G.free}[/] {when}"
    first = occurrence.obstacles[0]
    more = f" (+{len(occurrence.obstacles) - 1})" if len(occurrence.obstacles) > 1 else ""
    return f"[red]{G.taken}[/] {when}: {escape(first.title)}, {escape(first.who)}{more}"


def obstacle_text(obstacle: Obstacle) -> str:
    when = format_period(obstacle.start, obstacle.end)
    where = escape(obstacle.resource)
    what = escape(obstacle.title)
    if obstacle.kind == "blackout":
        return f"[red]![/] blackout [b]{what}[/b] on {where}, {when} (set by {obstacle.who})"
    turnover = " [dim](its turnover time)[/]" if obstacle.turnover_only else ""
    return (
        f"[yellow]{G.obstacle}[/] {obstacle.status} booking #{obstacle.id} [b]{what}[/b]"
        f" on {where}, {when}, by {escape(obstacle.who)}{turnover}"
    )


class BookingForm(SpacesModal[Reservation | None]):
    HEADING = "New booking"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("ctrl+s", "book", "Book"),
        Binding("ctrl+k", "book_free", "Book the free ones", show=False),
    ]

    def __init__(
        self,
        resource: Resource | None,
        start: pendulum.DateTime | None,
        *,
        title: str = "",
        end: str = "+1h",
    ) -> None:
        super().__init__()
        self.initial_resource = resource
        self.initial_start = start
        self.initial_title = title
        self.initial_end = end
        self.known: dict[str, Resource] = {}
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        start = self.initial_start
        with Vertical(classes="dialog booking"):
            yield Label(self.HEADING, markup=False, classes="dialog-title")
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
                    yield Input(value=self.initial_end, placeholder="16:30 or +90m", id="end")
            yield Label("Title")
            yield Input(value=self.initial_title, placeholder="what it is for", id="title")
            # Booking-only fields (a rehearsal session has neither): SessionForm hides .extra.
            yield Label("Headcount (optional)", classes="extra")
            yield Input(placeholder="people", id="headcount", type="integer", classes="extra")
            with Horizontal(classes="when extra"):
                with Vertical():
                    yield Label("Repeat")
                    yield Input(
                        value="none",
                        placeholder="none",
                        suggester=SuggestFromList(REPEATS),
                        id="repeat",
                    )
                with Vertical():
                    yield Label("Days or RRULE")
                    yield Input(placeholder="MO,WE", id="pattern")
                with Vertical():
                    yield Label("Until date, or times")
                    yield Input(placeholder="2026-12-31 or 10", id="ends")
            yield Static("", id="hint")
            with Horizontal(classes="buttons"):
                yield Button("Book (ctrl+s)", variant="primary", id="book")
                yield Button("Book the free ones (ctrl+k)", id="book-free")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#book-free").display = False
        self.query_one(self.first_field(), Input).focus()
        self.db_call(lambda: resources.list_resources(self.app.db), self._got_resources)

    def first_field(self) -> str:
        """Where typing starts: the title when the resource is known, else the resource."""
        return "#title" if self.initial_resource else "#resource"

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

    def _repeat(self, start: pendulum.DateTime) -> tuple[str, date | None] | None:
        return build_rule(
            self._value("repeat").lower() or "none",
            start,
            days=self._value("pattern"),
            custom=self._value("pattern"),
            ends=self._value("ends"),
        )

    def request(self) -> Request:
        """The form as a booking; BadInput says what to fix."""
        resource = self._resource()
        start, end = self._period(resource)
        repeat = self._repeat(start)
        title = self._value("title")
        if not title:
            raise BadInput("Give it a title.")
        headcount = self._value("headcount")
        if headcount and (not headcount.isdigit() or int(headcount) < 1):
            raise BadInput("Headcount is a whole number, 1 or more.")
        return Request(resource, start, end, title, int(headcount) if headcount else None, repeat)

    # --- the live hint ------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input.id in ("resource", "start", "end", "repeat", "pattern", "ends"):
            self._ask_soon()

    @property
    def hint_is_current(self) -> bool:
        """True when the hint describes the fields as they are now (nothing waiting)."""
        return self._timer is None and not any(
            worker.node is self and worker.group == "hint" and not worker.is_finished
            for worker in self.workers
        )

    def _ask_soon(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(HINT_DELAY, self._ask)

    def _ask(self) -> None:
        self._timer = None
        try:
            resource = self._resource()
            start, end = self._period(resource)
            repeat = self._repeat(start)
        except BadInput as problem:
            self.workers.cancel_group(self, "hint")  # an answer about the fields as they were
            self._hint(f"[dim]{escape(str(problem))}[/]", "incomplete")
            return
        db = self.app.db
        if repeat is not None:
            rule, until = repeat
            self.db_call(
                lambda: series.preview(db, resource.id, start, end, rule, until=until),
                lambda occurrences: self._show_occurrences(resource, occurrences),
                failed=self._failed_check,
                group="hint",
                exclusive=True,
            )
            return
        self.db_call(
            lambda: reservations.check(db, resource.id, start, end),
            lambda obstacles: self._answer(resource, start, end, obstacles),
            failed=self._failed_check,
            group="hint",
            exclusive=True,
        )

    def _failed_check(self, error: SpacesError) -> None:
        self._hint(escape(str(error)), "problem")

    def _answer(
        self,
        resource: Resource,
        start: pendulum.DateTime,
        end: pendulum.DateTime,
        obstacles: list[Obstacle],
    ) -> None:
        if obstacles:
            self._show_obstacles(resource, obstacles)
            return
        when = format_period(start, end)
        text = f"[green]{G.free} free[/]: {escape(resource.name)}, {when} ({resource.timezone})"
        if resource.requires_approval:
            approvers = ", ".join(resource.approvers) or "an approver"
            text += f"\n[yellow]Needs approval[/]: it stays pending until {approvers} decides."
        self._hint(text, "free")

    def _show_occurrences(self, resource: Resource, occurrences: list[Blocked]) -> None:
        """Every occurrence's fate, blocked ones first, so the ones in the way are never cut off."""
        blocked = [o for o in occurrences if o.obstacles]
        total = len(occurrences)
        where = escape(resource.name)
        if blocked:
            head = f"[red]{G.taken} {len(blocked)} of {total} occurrences in the way[/] on {where}"
        else:
            head = f"[green]{G.free} all {total} occurrences free[/] on {where}"
        if resource.requires_approval:
            head += " [yellow](each waits for approval)[/]"
        shown = (blocked + [o for o in occurrences if not o.obstacles])[:PREVIEW_LINES]
        lines = [head] + [occurrence_text(o) for o in sorted(shown, key=lambda o: o.start)]
        if total > len(shown):
            lines.append(f"[dim]{G.ellipsis} and {total - len(shown)} more[/]")
        self._hint("\n".join(lines), "conflict" if blocked else "free")
        self.query_one("#book-free").display = bool(blocked) and len(blocked) < total

    def _show_obstacles(self, resource: Resource, obstacles: list[Obstacle]) -> None:
        lines = [f"[red]{G.taken} not free[/]: in the way on {escape(resource.name)}:"]
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
        self._submit(skip_conflicts=False)

    @on(Button.Pressed, "#book-free")
    def action_book_free(self) -> None:
        self._submit(skip_conflicts=True)

    def checked_request(self) -> Request | None:
        """The form as a booking, or None once the hint says what to fix."""
        try:
            return self.request()
        except BadInput as problem:
            self._hint(f"[red]{escape(str(problem))}[/]", "problem")
            return None

    def _submit(self, *, skip_conflicts: bool) -> None:
        wanted = self.checked_request()
        if wanted is None:
            return
        db = self.app.db
        if wanted.repeat is not None:
            rule, until = wanted.repeat
            self.db_call(
                lambda: series.book_series(
                    db,
                    wanted.resource.id,
                    wanted.start,
                    wanted.end,
                    wanted.title,
                    rule,
                    until=until,
                    skip_conflicts=skip_conflicts,
                    headcount=wanted.headcount,
                ),
                self._booked_series,
                failed=lambda error: self._refused(wanted.resource, error),
                group="book",
            )
            return
        self.db_call(
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

    def _booked_series(self, booked: series.SeriesBooking) -> None:
        count = len(booked.reservations)
        skipped = f", skipped {len(booked.skipped)} in the way" if booked.skipped else ""
        pending = " They wait for approval." if booked.status == "pending" else ""
        self.app.notify(
            f"Booked {count} occurrences of {booked.reservations[0].title!r}"
            f" (series #{booked.series_id}{skipped}).{pending}"
        )
        self.dismiss(booked.reservations[0])

    def _refused(self, resource: Resource, error: SpacesError) -> None:
        # Taken between the hint and the press: show what won, and stay open.
        if isinstance(error, Conflict) and error.blocked:
            self._ask()  # the preview of every occurrence, now with what took a slot meanwhile
        elif isinstance(error, Conflict) and error.obstacles:
            self._show_obstacles(resource, error.obstacles)
        else:
            self._hint(f"[red]{escape(str(error))}[/]", "problem")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)
