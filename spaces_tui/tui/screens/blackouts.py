"""Blackouts, first class: every maintenance slot, hold and break in one list, filtered by status,
kind and resource; a form that adds one (and, if asked, cancels the bookings in its way in the
same transaction); lifting one early; its details and history on enter."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pendulum
from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, Select, Static

from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import blackouts
from spaces_tui.engine.blackouts import KINDS, STATUSES
from spaces_tui.engine.errors import BadInput, Conflict, PermissionDenied, SpacesError
from spaces_tui.engine.models import Blackout, Obstacle, Reservation, Resource
from spaces_tui.engine.times import format_duration, format_moment
from spaces_tui.tui.db_calls import Refusal
from spaces_tui.tui.formatting import shortened, when_text
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.form_base import NO_RESOURCE, NO_START, ResourceForm
from spaces_tui.tui.screens.prompts import YesNoPrompt
from spaces_tui.tui.table import Table
from spaces_tui.tui.table_screen import TableKeys, row_after_reload

STATUS_CHOICES = ("active", "lifted", "all")
KIND_CHOICES = ("all", *KINDS)

# Column widths that keep the table inside 80 columns; the lines under the table have it all.
RESOURCE_WIDTH = 12
REASON_WIDTH = 12
WHO_WIDTH = 8
LISTED_AT_MOST = 5  # bookings in the way named in the form; the rest are counted


# --- what a row says ---------------------------------------------------------------------------


def lifted_text(blackout: Blackout) -> str:
    """Who lifted it and when, in its resource's zone; empty while it is active."""
    if blackout.lifted_by is None or blackout.lifted_at is None:
        return ""
    return f"lifted by {blackout.lifted_by}, {blackout.lifted_at:%d %b %Y %H:%M}"


def row_cells(blackout: Blackout, this_year: int) -> list[Text]:
    # Lifted ones are dimmed, and say so in words too, for a monochrome terminal.
    style = "dim" if blackout.status == "lifted" else ""
    values = [
        shortened(blackout.resource, RESOURCE_WIDTH),
        when_text(blackout.start, blackout.end, this_year),
        blackout.kind,
        shortened(blackout.reason, REASON_WIDTH),
        shortened(blackout.created_by, WHO_WIDTH),
        blackout.status,  # who lifted it, and when: under the table, for the selected row
    ]
    return [Text(value, style=style) for value in values]


def detail_text(blackout: Blackout) -> str:
    """The selected blackout in full, for the three lines under the table."""
    when = when_text(blackout.start, blackout.end, 0)
    length = format_duration(blackout.end - blackout.start)
    lifted = lifted_text(blackout)
    return "\n".join(
        [
            f"[b]#{blackout.id} {escape(blackout.reason)}[/b] · {blackout.kind}"
            f" · {escape(blackout.resource)}",
            f"{when} {blackout.timezone} ({length})",
            f"set by {escape(blackout.created_by)}" + (f" · {escape(lifted)}" if lifted else ""),
        ]
    )


# --- the filters -------------------------------------------------------------------------------


def next_choice(choices: tuple[str, ...], current: str) -> str:
    return choices[(choices.index(current) + 1) % len(choices)]


@dataclass(frozen=True)
class Filters:
    """What the list shows: status and kind are asked of the engine; the resource filter is a
    part of a name, applied as the user types, without a round trip."""

    status: str = "active"
    kind: str = "all"
    resource: str = ""

    @property
    def statuses(self) -> tuple[str, ...]:
        return STATUSES if self.status == "all" else (self.status,)

    @property
    def kinds(self) -> tuple[str, ...]:
        return KINDS if self.kind == "all" else (self.kind,)

    def shows(self, blackout: Blackout) -> bool:
        return self.resource.strip().casefold() in blackout.resource.casefold()

    def describe(self, shown: int) -> str:
        resource = escape(repr(self.resource.strip())) if self.resource.strip() else "any"
        count = f"{shown} blackout{'' if shown == 1 else 's'}"
        return (
            f"[b]Blackouts[/b] · status [b]{self.status}[/b] (s) · kind [b]{self.kind}[/b] (k)"
            f" · resource [b]{resource}[/b] (/) · {count}"
        )


# --- the list ----------------------------------------------------------------------------------


class BlackoutsScreen(TableKeys, ReloadsOnEvents, SpacesScreen[None]):
    """Every blackout, filtered; n adds one, l lifts the selected one, enter shows it in full."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("n", "new", "New"),
        Binding("l", "lift", "Lift"),
        Binding("s", "cycle_status", "Status"),
        Binding("k", "cycle_kind", "Kind"),
        Binding("slash", "filter", "Resource"),
        Binding("enter", "open_details", "Details", show=False),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.listed: list[Blackout] = []  # as the engine gave them (status and kind applied)
        self.shown: list[Blackout] = []  # the rows of the table, the resource filter applied
        self._placed = False  # the cursor goes to the first one not yet over, once
        self._wanted: int | None = None  # a blackout just added: the cursor goes to it

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        yield Static(id="blackout-filters")
        yield Input(
            placeholder="resource name (enter keeps it, escape clears)", id="resource-filter"
        )
        yield Table(cursor_type="row", zebra_stripes=True, id="blackout-table")
        yield Static(id="blackout-detail")
        yield Footer()

    @property
    def table(self) -> Table:
        return self.query_one("#blackout-table", Table)

    @property
    def selected(self) -> Blackout | None:
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def on_mount(self) -> None:
        self.table.add_columns("Resource", "When", "Kind", "Reason", "Set by", "Status")
        self.query_one("#resource-filter").display = False
        self.table.focus()
        self._describe()
        self.load()

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        asked = self.filters
        db = self.app.db
        self.db_call(
            lambda: blackouts.list_blackouts(db, statuses=asked.statuses, kinds=asked.kinds),
            self._loaded,
            group="blackouts",
            exclusive=True,
            reload=True,
        )

    def _loaded(self, listed: list[Blackout]) -> None:
        self.listed = listed
        self._show()

    def _show(self) -> None:
        """Fills the table from listed, keeping the cursor on the same blackout if it can."""
        wanted, self._wanted = self._wanted, None
        keep = wanted or (self.selected.id if self.selected else None)
        row = self.table.cursor_row
        self.shown = [blackout for blackout in self.listed if self.filters.shows(blackout)]
        this_year = self.app.now().year
        self.table.clear()
        for blackout in self.shown:
            self.table.add_row(*row_cells(blackout, this_year), key=str(blackout.id))
        self.table.move_cursor(row=self._cursor_row(keep, row), animate=False)
        self._describe()

    def _cursor_row(self, keep: int | None, row: int) -> int:
        ids = [blackout.id for blackout in self.shown]
        if not self._placed and self.shown:
            # The first time: the first one not yet over, so the past scrolls out of the way.
            self._placed = True
            now = self.app.now()
            return next((i for i, b in enumerate(self.shown) if b.end > now), len(ids) - 1)
        return row_after_reload(ids, keep, row)

    def _describe(self) -> None:
        self.query_one("#blackout-filters", Static).update(self.filters.describe(len(self.shown)))
        chosen = self.selected
        self.query_one("#blackout-detail", Static).update(
            detail_text(chosen) if chosen else "[dim]No blackout here: n adds one.[/]"
        )

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._describe()

    # --- live refresh -----------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    # --- filters ----------------------------------------------------------------------------

    def action_cycle_status(self) -> None:
        self._filter_by(status=next_choice(STATUS_CHOICES, self.filters.status))

    def action_cycle_kind(self) -> None:
        self._filter_by(kind=next_choice(KIND_CHOICES, self.filters.kind))

    def _filter_by(self, **changes: str) -> None:
        self.filters = replace(self.filters, **changes)
        self._describe()
        self.load()

    def action_filter(self) -> None:
        box = self.query_one("#resource-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#resource-filter")
    def _resource_filter_changed(self, event: Input.Changed) -> None:
        self.filters = replace(self.filters, resource=event.value)
        self._show()

    @on(Input.Submitted, "#resource-filter")
    def _resource_filter_kept(self) -> None:
        self.table.focus()

    def _clear_resource_filter(self) -> None:
        box = self.query_one("#resource-filter", Input)
        box.value = ""
        box.display = False
        self.table.focus()

    def action_close(self) -> None:
        # escape in the filter box clears the filter; anywhere else it leaves the screen.
        if self.query_one("#resource-filter", Input).has_focus:
            self._clear_resource_filter()
        else:
            self.dismiss(None)

    # --- opening, adding, lifting -----------------------------------------------------------

    @on(DataTable.RowSelected)
    def action_open_details(self) -> None:
        chosen = self.selected
        if chosen is not None:
            self.app.push_screen(DetailsScreen(chosen), lambda _closed: self.load())

    def action_new(self) -> None:
        self.app.push_screen(BlackoutForm(self.app.now()), self._added)

    def _added(self, added: Blackout | None) -> None:
        if added is not None:
            self._wanted = added.id
        self.load()

    def action_lift(self) -> None:
        chosen = self.selected
        if chosen is None:
            self.notify("Nothing to lift: select a blackout.", timeout=4)
            return
        if chosen.status != "active":
            self.notify(f"#{chosen.id} is already lifted.", severity="warning", timeout=4)
            return
        question = (
            f"Lift blackout #{chosen.id} {chosen.reason!r} on {chosen.resource},"
            f" {when_text(chosen.start, chosen.end, 0)}? Its time becomes bookable again."
        )
        self.app.push_screen(
            YesNoPrompt(question, "Lift"), lambda yes: self._lift(chosen) if yes else None
        )

    def _lift(self, chosen: Blackout) -> None:
        db = self.app.db
        self.db_call(lambda: blackouts.lift_blackout(db, chosen.id), self._lifted)

    def _lifted(self, lifted: Blackout) -> None:
        self.notify(f"Lifted #{lifted.id} {lifted.reason!r} on {lifted.resource}.")
        self.load()


# --- the form ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    """The form's fields, as the engine's add_blackout takes them (it reads the times)."""

    resource: str
    start: str
    end: str
    kind: str
    reason: str


def booking_line(obstacle: Obstacle, this_year: int) -> str:
    """A booking in the way, on one line where it fits: what, where, when and whose."""
    when = when_text(obstacle.start, obstacle.end, this_year)
    pending = " (pending)" if obstacle.status == "pending" else ""
    return (
        f"[yellow]{G.obstacle}[/] #{obstacle.id} [b]{escape(obstacle.title)}[/b]{pending}"
        f" · {escape(obstacle.resource)} · {when} · by {escape(obstacle.who)}"
    )


def booking_lines(obstacles: list[Obstacle], this_year: int) -> list[str]:
    """The first few bookings in the way and a count of the rest, so that the form's buttons
    stay on an 80x24 screen however many there are."""
    lines = [booking_line(obstacle, this_year) for obstacle in obstacles[:LISTED_AT_MOST]]
    if len(obstacles) > LISTED_AT_MOST:
        lines.append(f"[dim]{G.ellipsis} and {len(obstacles) - LISTED_AT_MOST} more[/]")
    return lines


def cancelled_text(cancelled: list[Reservation]) -> str:
    if not cancelled:
        return ""
    count = len(cancelled)
    return f" Cancelled {count} booking{'' if count == 1 else 's'} in its way."


class BlackoutForm(ResourceForm[Blackout | None]):
    """A new blackout. As it is typed, the hint lists the active bookings it would meet (asked
    of spaces.check_blackout_conflict). Sent over them, the database refuses and the form offers
    to cancel them with it: pressing again (or the button that names them) does so, in one
    transaction, if this actor may cancel them all. Only a press cancels, never the live hint."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("ctrl+s", "save", "Black out"),  # not priority: see BookingFormBase
    ]

    def __init__(self, now: pendulum.DateTime) -> None:
        super().__init__()
        self.now = now
        self.in_the_way: list[Obstacle] = []  # refused over these; pressing again cancels them.
        # Any change to the form empties it: the list no longer describes it.
        self.saving = False

    def compose(self) -> ComposeResult:
        start = self.now.add(hours=1).start_of("hour")
        with Vertical(classes="dialog form"):
            yield Label("New blackout", classes="dialog-title")
            with VerticalScroll(classes="fields"):
                yield from self.resource_field()
                with Horizontal(classes="when"):
                    yield from self.period_columns(start.format("YYYY-MM-DD HH:mm"), "+1h")
                    with Vertical(classes="kind"):
                        yield Label("Kind")
                        yield Select(
                            [(kind, kind) for kind in KINDS],
                            value=KINDS[0],
                            allow_blank=False,
                            compact=True,
                            id="kind",
                        )
                yield Label("Reason (required)")
                yield Input(placeholder="why it is closed (kept with it)", id="reason")
                yield Static("", id="hint")
            with Horizontal(classes="buttons"):
                yield Button("Black out (ctrl+s)", variant="primary", id="save")
                yield Button("", variant="error", id="override")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#override").display = False
        self.query_one("#resource", Input).focus()

    # --- reading the form ---------------------------------------------------------------------

    def wanted(self) -> Wanted:
        """The form as a request; BadInput says what to fill in. The engine checks the rest."""
        if not self.value("resource"):
            raise BadInput(NO_RESOURCE)
        if not self.value("start"):
            raise BadInput(NO_START)
        if not self.value("reason"):
            raise BadInput("Give a reason: people whose bookings it blocks will read it.")
        kind = self.query_one("#kind", Select).value
        return Wanted(
            self.value("resource"),
            self.value("start"),
            self.value("end") or "+1h",
            str(kind),
            self.value("reason"),
        )

    # --- what the fields would meet, as they are typed ----------------------------------------

    def edited(self, field: str) -> None:
        self._forget_conflict()

    @on(Select.Changed)
    def _kind_changed(self) -> None:
        self._forget_conflict()

    def ask(self) -> None:
        resource = self.resource()
        start, end = self.period(resource)
        db = self.app.db
        self.ask_database(
            lambda: blackouts.in_the_way(db, resource.id, start, end),
            lambda obstacles: self._show_meets(resource, start, end, obstacles),
        )

    def _show_meets(
        self,
        resource: Resource,
        start: pendulum.DateTime,
        end: pendulum.DateTime,
        obstacles: list[Obstacle],
    ) -> None:
        period = (
            f"{escape(resource.name)}: {format_moment(start)} to {format_moment(end)}"
            f" {resource.timezone} ({format_duration(end - start)}), and everything inside it"
        )
        if not obstacles:
            self.hint(f"[green]{G.free}[/] {period}. No booking is in its way.", "free")
            return
        count = len(obstacles)
        lines = [
            period + ".",
            f"[red]{G.taken} {count} active booking{'' if count == 1 else 's'} in the way[/]"
            f" (Black out offers to cancel {'it' if count == 1 else 'them'}):",
            *booking_lines(obstacles, self.now.year),
        ]
        self.hint("\n".join(lines), "conflict")

    # --- sending it ---------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        # Pressed again over a listed conflict: that is the go-ahead to cancel what is listed.
        self._submit(cancel_conflicting=bool(self.in_the_way))

    @on(Button.Pressed, "#override")
    def _override(self) -> None:
        self._submit(cancel_conflicting=True)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    def _submit(self, *, cancel_conflicting: bool) -> None:
        if self.saving:
            return  # one request at a time: a second press would race the first
        try:
            wanted = self.wanted()
        except BadInput as problem:
            self.hint(f"[red]{escape(str(problem))}[/]", "problem")
            return
        self.saving = True
        db = self.app.db
        self.db_call(
            lambda: blackouts.add_blackout(
                db,
                wanted.resource,
                wanted.start,
                wanted.end,
                wanted.reason,
                kind=wanted.kind,
                cancel_conflicting=cancel_conflicting,
            ),
            self._saved,
            failed=self._refused,
            group="blackout-form",
        )

    def _saved(self, outcome: tuple[Blackout, list[Reservation]]) -> None:
        self.saving = False
        blackout, cancelled = outcome
        when = when_text(blackout.start, blackout.end, 0)
        self.app.notify(
            f"Blacked out {blackout.resource}, {when}: {blackout.reason!r}"
            f" (#{blackout.id}).{cancelled_text(cancelled)}",
            markup=False,
        )
        self.dismiss(blackout)

    def _refused(self, error: Refusal) -> None:
        self.saving = False
        if isinstance(error, DatabaseUnavailable):
            self._forget_conflict()
            self.unreachable(error, ": nothing was blacked out")
        elif isinstance(error, Conflict) and error.obstacles:
            self._show_conflict(error.obstacles)
        elif isinstance(error, PermissionDenied) and self.in_the_way:
            self._show_refusal(error)
        else:
            self._forget_conflict()
            self.hint(f"[red]{escape(str(error))}[/]", "problem")

    def _show_conflict(self, obstacles: list[Obstacle]) -> None:
        """What is in the way, and the offer to cancel it with the blackout."""
        self.in_the_way = list(obstacles)
        count = len(obstacles)
        plural = "" if count == 1 else "s"
        lines = [f"[red]{G.taken} Nothing was blacked out: {count} active booking{plural}"]
        lines[0] += " in the way[/]:"
        lines += booking_lines(obstacles, self.now.year)
        lines.append(f"ctrl+s again cancels {'it' if count == 1 else 'them'} with the blackout.")
        self.hint("\n".join(lines), "conflict")
        override = self.query_one("#override", Button)
        # Short enough to sit beside Close at 60 columns.
        override.label = f"Cancel {count} booking{plural}, black out (ctrl+s)"
        override.display = True
        self.query_one("#save").display = False

    def _show_refusal(self, error: SpacesError) -> None:
        """The database would not cancel one of them for this actor; nothing was written."""
        lines = [f"[red]{G.taken} Not allowed: {escape(str(error))}[/]", "Nothing was changed."]
        lines += booking_lines(self.in_the_way, self.now.year)
        self._forget_conflict()
        self.hint("\n".join(lines), "problem")

    def _forget_conflict(self) -> None:
        self.in_the_way = []
        if not self.is_mounted:
            return
        self.query_one("#override").display = False
        self.query_one("#save").display = True
