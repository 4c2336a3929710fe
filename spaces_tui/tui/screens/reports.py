"""The reports screen: how much of its bookable time each resource was booked over a window of
days, one row each with its share drawn as a bar, the over- and under-used marked; enter opens
a resource's week hour by hour (screens/heat_map.py), and [ ] move the window by its length."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from spaces_tui.engine import resources, utilization
from spaces_tui.engine.utilization import Report, Usage
from spaces_tui.tui.formatting import LOADING, shortened
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.heat_map import HeatMapScreen
from spaces_tui.tui.table import Table
from spaces_tui.tui.table_screen import TableKeys, row_after_reload
from spaces_tui.tui.usage import (
    Days,
    bar_text,
    flag_text,
    hours_cell,
    hours_text,
    percent_text,
)

# Widths that keep every column on an 80-column terminal; the lines under the table say it all.
# The share and its mark come before the hours: on a narrower terminal the hours go off the
# right edge first (the lines under the table give them too).
NAME_WIDTH = 16
KIND_WIDTH = 10
BAR_WIDTH = 10  # a cell a tenth

COLUMNS = (
    ("Resource", "name"),
    ("Kind", "kind"),
    ("Utilization", "utilization"),
    ("", "flag"),
    ("Open", "bookable"),
    ("Conf", "confirmed"),
    ("Pend", "pending"),
    ("Out", "blacked_out"),
)


# --- the order of the rows ---------------------------------------------------------------------


SORTS = ("utilization", "name", "kind")
SORT_LABELS = {"utilization": "busiest first", "name": "by name", "kind": "by kind"}


def sort_key(usage: Usage, kind: str, sort: str) -> tuple[object, ...]:
    name = usage.key.casefold()
    if sort == "name":
        return (name,)
    if sort == "kind":
        return (kind, name)
    # Nothing bookable at all sorts below 0%: there is nothing to read there.
    share = -1.0 if usage.utilization is None else usage.utilization
    return (-share, name)


def sorted_rows(rows: Sequence[Usage], kinds: dict[int, str], sort: str) -> list[Usage]:
    # The engine's rows by resource carry no kind: the screen reads each resource's.
    return sorted(rows, key=lambda usage: sort_key(usage, kind_of(usage, kinds), sort))


def kind_of(usage: Usage, kinds: dict[int, str]) -> str:
    return kinds.get(usage.resource_id, "") if usage.resource_id is not None else ""


# --- what a row says ---------------------------------------------------------------------------


def row_cells(usage: Usage, kind: str) -> list[Text]:
    """One row; an over- or under-used resource stands out by its mark (and its style)."""
    style = {"over": "bold", "under": "dim"}.get(usage.flag or "", "")
    share = usage.utilization
    words = [shortened(usage.key, NAME_WIDTH), shortened(kind, KIND_WIDTH)]
    hours = [usage.bookable, usage.confirmed, usage.pending, usage.blacked_out]
    return [
        *(Text(word, style=style) for word in words),
        Text(f"{bar_text(share, BAR_WIDTH)} {percent_text(share):>4}", style=style),
        Text(flag_text(usage.flag), style=style),
        *(Text(hours_cell(length), style=style, justify="right") for length in hours),
    ]


def detail_text(usage: Usage | None, kind: str, report: Report | None) -> str:
    """The row under the cursor in full, and what the marks mean."""
    if report is None:
        return LOADING
    marks = (
        f"{G.over} over {percent_text(report.over_at)}, {G.under} under"
        f" {percent_text(report.under_at)} of the open hours confirmed"
    )
    if usage is None:
        return f"No resources to report on.\n{marks}"
    what = f"{usage.key} ({kind})" if kind else usage.key
    if usage.utilization is None:
        return f"{what}: nothing was bookable in these days.\n{marks}"
    open_hours = usage.bookable - usage.blacked_out
    lines = [
        f"{what}: {hours_text(usage.confirmed)} confirmed of {hours_text(open_hours)} open"
        f" = {percent_text(usage.utilization)}",
        f"{hours_text(usage.bookable)} bookable, {hours_text(usage.blacked_out)} blacked out,"
        f" {hours_text(usage.pending)} pending, {hours_text(usage.tree_blocked)} stage/area"
        " in use",
        f"{marks} {G.dot} enter: heat map",
    ]
    return "\n".join(lines)


def where_text(report: Report, sort: str) -> str:
    """The line above the table: the window, the order, and how many are marked."""
    days = Days(report.start, report.end)
    parts = [f"[b]{days.text()}[/b]", SORT_LABELS[sort]]
    for flag, mark in (("over", G.over), ("under", G.under)):
        count = sum(1 for usage in report.rows if usage.flag == flag)
        if count:
            parts.append(f"{mark} {count} {flag}")
    return f" {G.dot} ".join(parts)


# --- the screen --------------------------------------------------------------------------------


class ReportsScreen(TableKeys, ReloadsOnEvents, SpacesScreen[None]):
    """One row per resource over the window (by default the 28 days ending today). Every
    database call goes through app.db_call, off the UI thread; any change anywhere reloads it,
    keeping the cursor on the same resource."""

    TITLE = "Utilization"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("left_square_bracket,comma", "shift(-1)", "Prev"),
        Binding("right_square_bracket,full_stop", "shift(1)", "Next"),
        Binding("t", "today", "Today", show=False),
        Binding("s", "cycle_sort", "Sort"),
        Binding("enter", "open_heat_map", "Heat map"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.window: Days | None = None  # None: the engine's default, the days ending today
        self.sort = SORTS[0]
        self.report: Report | None = None
        self.kinds: dict[int, str] = {}  # resource id -> kind
        self.rows: list[Usage] = []

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        yield Static(LOADING, id="reports-where")
        yield Table(id="reports", cursor_type="row", zebra_stripes=False)
        yield Static("", id="reports-detail")
        yield Footer(compact=True)

    @property
    def table(self) -> Table:
        return self.query_one(Table)

    @property
    def current(self) -> Usage | None:
        """The resource's row under the cursor, if there is one."""
        row = self.table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def on_mount(self) -> None:
        self.open_table(COLUMNS)

    # --- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        db, today = self.app.db, self.app.now().date()
        # No window yet: the engine's default, which the report then names.
        start, end = (self.window.start, self.window.end) if self.window else (None, None)

        def work() -> tuple[Report, dict[int, str]]:
            report = utilization.utilization_report(db, start=start, end=end, today=today)
            kinds = {resource.id: resource.kind for resource in resources.list_resources(db)}
            return report, kinds

        self.db_call(
            work,
            lambda loaded: self._loaded(*loaded),
            group="reports",
            exclusive=True,
            reload=True,
        )

    def _loaded(self, report: Report, kinds: dict[int, str]) -> None:
        keep = self.current.resource_id if self.current else None
        row = self.table.cursor_row
        self.report, self.kinds = report, kinds
        self.window = Days(report.start, report.end)
        self._show(keep, row)

    def _show(self, keep: int | None, row: int) -> None:
        assert self.report is not None
        self.rows = sorted_rows(self.report.rows, self.kinds, self.sort)
        table = self.table
        table.clear()
        for usage in self.rows:
            table.add_row(*row_cells(usage, kind_of(usage, self.kinds)))
        keys = [usage.resource_id for usage in self.rows]
        table.move_cursor(row=row_after_reload(keys, keep, row), animate=False)
        self.query_one("#reports-where", Static).update(where_text(self.report, self.sort))
        self._describe()

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        usage = self.current
        kind = kind_of(usage, self.kinds) if usage else ""
        # Text, not markup: a resource's name is typed by people and may hold brackets.
        detail = Text(detail_text(usage, kind, self.report))
        self.query_one("#reports-detail", Static).update(detail)

    # --- keys ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def action_shift(self, steps: int) -> None:
        if self.window is None:
            return  # the first load has not said which days it covers yet
        self.window = self.window.shifted(steps)
        self.load()

    def action_today(self) -> None:
        self.window = None
        self.load()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        if self.report is not None:
            # Put back on the same resource: a new order is no reason to lose one's place.
            self._show(self.current.resource_id if self.current else None, 0)

    @on(DataTable.RowSelected)
    def action_open_heat_map(self) -> None:
        usage = self.current
        if usage is None or usage.resource_id is None or self.window is None:
            return
        self.app.push_screen(
            HeatMapScreen(usage.resource_id, usage.key, self.window), self._back_from_heat_map
        )

    def _back_from_heat_map(self, window: Days | None) -> None:
        """The heat map's [ ] move its window: this list follows it there."""
        if window is not None and window != self.window:
            self.window = window
            self.load()
