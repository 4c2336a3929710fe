"""The finder: what is free for a period. A start and an end (prefilled from the calendar's
cursor: its column's start, for an hour), an optional kind and headcount; below them every
resource free then, in tree order, with its kind, its capacity and where it sits, and how many
are taken. Editing a field asks again once typing pauses, off the UI thread, and any change on
the event bus asks again at once, so a resource booked elsewhere leaves the list. Enter opens
the booking form on the highlighted resource for the period (and headcount); a booking made
there closes the finder, and the calendar shows it."""

from __future__ import annotations

from dataclasses import dataclass

import pendulum
from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, Select, Static

from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import planning, resources
from spaces_tui.engine.errors import BadInput, SpacesError
from spaces_tui.engine.models import Reservation
from spaces_tui.engine.planning import Availability, FreeResources
from spaces_tui.engine.times import exact_length, format_duration, parse_period
from spaces_tui.tui.db_calls import Refusal
from spaces_tui.tui.formatting import LOADING, shortened
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.keys import key_for
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.form_base import HINT_DELAY, NO_START
from spaces_tui.tui.table import Table
from spaces_tui.tui.table_screen import TableKeys, row_after_reload

LENGTH = "+1h"  # the prefilled period: from the cursor's column, an hour, as `n` books

# Widths that keep every column inside 60 columns; a longer name is cut with an ellipsis.
NAME_WIDTH = 18
KIND_WIDTH = 10
PARENT_WIDTH = 16

COLUMNS = (("Resource", "name"), ("Kind", "kind"), ("Holds", "capacity"), ("In", "parent"))


@dataclass(frozen=True)
class Asked:
    """The fields, read: what the list is asked for."""

    start: pendulum.DateTime
    end: pendulum.DateTime
    kind: str | None
    headcount: int | None


# What a query hands back: the list, or why there is none (said on the screen each time, not
# as a notification told once: it is about the fields as they are now).
Answer = FreeResources | Refusal


def row_cells(free: Availability) -> list[Text]:
    resource = free.resource
    capacity = str(resource.capacity) if resource.capacity is not None else ""
    return [
        Text(shortened(resource.name, NAME_WIDTH)),
        Text(shortened(resource.kind, KIND_WIDTH)),
        Text(capacity, justify="right"),
        Text(shortened(resource.parent or "", PARENT_WIDTH)),
    ]


def summary_text(found: FreeResources, zone: str) -> str:
    """The line above the list: how many are free and how many not (taken, or too small for
    the headcount), and the period, on the calendar's clock (the fields may say +1h)."""
    taken = sum(1 for a in found.taken if a.obstacles)
    small = len(found.taken) - taken
    parts = [f"[b]{G.free} {len(found.free)} free[/b]", f"{G.taken} {taken} taken"]
    if small:
        parts.append(f"{small} too small")
    parts.append(period_text(found, zone))
    return f" {G.dot} ".join(parts)


def period_text(found: FreeResources, zone: str) -> str:
    """'Tue 24 Nov 11:00-12:00', on zone's clock (both days when it crosses midnight)."""
    start, end = found.start.in_timezone(zone), found.end.in_timezone(zone)
    if start.date() == end.date():
        return f"{start.format('ddd D MMM HH:mm')}-{end.format('HH:mm')}"
    return f"{start.format('ddd D MMM HH:mm')} {G.dash} {end.format('ddd D MMM HH:mm')}"


def detail_text(free: Availability | None, found: FreeResources | None, key: str, zone: str) -> str:
    """The line under the list: what key does with the highlighted resource (its name in
    full; the period on its clock, as its booking form reads it, named when it is not the
    calendar's zone)."""
    if found is None:
        return ""
    if free is None:
        return "Nothing is free then: try another time, another kind or fewer people."
    resource = free.resource
    when = period_text(found, resource.timezone)
    if resource.timezone != zone:
        when += f" {resource.timezone}"
    return f"{key} books {resource.name}, {when}"


class FinderScreen(TableKeys, ReloadsOnEvents, SpacesScreen[Reservation | None]):
    """Closes with the booking made from it, or None."""

    TITLE = "Find a free resource"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("enter", "book", "Book it"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self, start: pendulum.DateTime) -> None:
        super().__init__()
        self.initial_start = start
        self.answer: tuple[Asked, FreeResources] | None = None  # what the list shows
        self.listed: list[Availability] = []  # its rows
        self._timer: Timer | None = None
        self._fields_asked: tuple[object, ...] | None = None  # the fields at the last question

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        with Horizontal(id="finder-fields"):
            with Vertical(classes="start"):
                yield Label("Start")
                start = self.initial_start.format("YYYY-MM-DD HH:mm")
                yield Input(value=start, placeholder="2026-12-01 14:00", id="start")
            with Vertical(classes="end"):
                yield Label("End")
                yield Input(value=LENGTH, placeholder="16:30 or +90m", id="end")
            with Vertical(classes="kind"):
                yield Label("Kind")
                yield Select([], prompt="any", compact=True, id="kind")
            with Vertical(classes="headcount"):
                yield Label("People")
                yield Input(placeholder="any", id="headcount", type="integer")
        yield Static(LOADING, id="finder-summary")
        yield Table(id="finder", cursor_type="row", zebra_stripes=False)
        yield Static("", id="finder-detail", markup=False)  # names people typed
        yield Footer(compact=True)

    @property
    def table(self) -> Table:
        return self.query_one(Table)

    @property
    def current(self) -> Availability | None:
        row = self.table.cursor_row
        return self.listed[row] if 0 <= row < len(self.listed) else None

    @property
    def reload_scheduled(self) -> bool:
        """A query is still to come: the event bus asked, or typing has not paused yet."""
        return super().reload_scheduled or self._timer is not None

    def on_mount(self) -> None:
        db = self.app.db
        self.db_call(lambda: resources.known_kinds(db), self._got_kinds, group="kinds")
        self.open_table(COLUMNS)

    def _got_kinds(self, kinds: list[str]) -> None:
        box = self.query_one("#kind", Select)
        with box.prevent(Select.Changed):  # no kind was picked: nothing to ask again
            box.set_options([(kind, kind) for kind in kinds])

    # --- reading the fields -----------------------------------------------------------------

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def _fields(self) -> tuple[object, ...]:
        kind = self.query_one("#kind", Select).value
        return (self.value("start"), self.value("end"), kind, self.value("headcount"))

    def asked(self) -> Asked:
        """The fields as a question; BadInput says what to fix."""
        if not self.value("start"):
            raise BadInput(NO_START)
        start, end = parse_period(self.value("start"), self.value("end") or LENGTH, self.app.zone)
        kind = self.query_one("#kind", Select).value
        headcount = self.value("headcount")
        if headcount and (not headcount.isdigit() or int(headcount) < 1):
            raise BadInput("People is a whole number, 1 or more.")
        return Asked(
            start,
            end,
            kind if isinstance(kind, str) else None,
            int(headcount) if headcount else None,
        )

    # --- asking -----------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self) -> None:
        if self._fields() == self._fields_asked:
            return  # as asked already (the fields' first values, as they are mounted)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(HINT_DELAY, self.load)

    def load(self) -> None:
        """Asks for the fields as they are now (the event bus's reloads come here too)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._fields_asked = self._fields()
        try:
            asked = self.asked()
        except BadInput as problem:
            self.workers.cancel_group(self, "finder")  # an answer about the fields as they were
            self._show_problem(str(problem))
            return
        db, zone = self.app.db, self.app.zone

        def work() -> Answer:
            try:
                return planning.free_resources(
                    db,
                    asked.start,
                    asked.end,
                    zone=zone,
                    kinds=[asked.kind] if asked.kind else [],
                    headcount=asked.headcount,
                )
            except (SpacesError, DatabaseUnavailable) as error:  # a Refusal
                return error

        self.db_call(
            work,
            lambda answer: self._answered(asked, answer),
            group="finder",
            exclusive=True,
            reload=True,
        )

    def _answered(self, asked: Asked, answer: Answer) -> None:
        if isinstance(answer, Refusal):
            self._show_problem(str(answer))
            return
        keep = self.current.resource.id if self.current else None
        row = self.table.cursor_row
        self.answer = (asked, answer)
        self.listed = answer.free
        table = self.table
        table.clear()
        for free in self.listed:
            table.add_row(*row_cells(free))
        keys = [free.resource.id for free in self.listed]
        table.move_cursor(row=row_after_reload(keys, keep, row), animate=False)
        summary = self.query_one("#finder-summary", Static)
        summary.update(summary_text(answer, self.app.zone))
        summary.remove_class("problem")
        self._describe()

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        found = self.answer[1] if self.answer else None
        key = key_for(self.app, self.BINDINGS, "book")
        self.query_one("#finder-detail", Static).update(
            detail_text(self.current, found, key, self.app.zone)
        )

    def _show_problem(self, problem: str) -> None:
        """Bad input, or no answer: the list is emptied, since it no longer describes the fields."""
        self.answer, self.listed = None, []
        self.table.clear()
        self._describe()
        summary = self.query_one("#finder-summary", Static)
        summary.update(f"{G.taken} {escape(problem)}")
        summary.add_class("problem")

    # --- keys -------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    @on(Input.Submitted)
    def _to_the_list(self) -> None:
        self.table.focus()

    @on(DataTable.RowSelected)
    def action_book(self) -> None:
        """The booking form on the highlighted resource, for the period the list is of (on the
        resource's clock) and its headcount."""
        free = self.current
        if free is None or self.answer is None:
            self.notify("Nothing to book here: no free resource is highlighted.", timeout=4)
            return
        asked, found = self.answer
        resource = free.resource
        length = f"+{format_duration(exact_length(found.start, found.end))}"
        form = BookingForm(
            resource,
            found.start.in_timezone(resource.timezone),
            end=length,
            headcount=asked.headcount,
        )
        self.app.push_screen(form, self._booked)

    def _booked(self, booking: Reservation | None) -> None:
        if booking is not None:
            self.dismiss(booking)  # the calendar goes to it
