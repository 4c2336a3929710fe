"""The approval queue: pending requests, oldest first, decided from the keyboard one at a time
or many at once, with what each one risks and how long it has waited. A recurring booking's
pending occurrences are one row, decided as one request; enter opens it to decide them one by
one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.widgets import DataTable, Footer, Header, Static

from spaces_tui.engine import approvals
from spaces_tui.engine.approvals import Outcome, QueueItem, Request, SeriesRequest
from spaces_tui.engine.models import Reservation
from spaces_tui.engine.times import format_duration, format_period
from spaces_tui.tui.formatting import LOADING, shortened
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.prompts import ask_why_then
from spaces_tui.tui.table import Table
from spaces_tui.tui.table_screen import TableKeys, row_after_reload

MARK = G.marked  # a marked row: y and r act on every marked row
STALLED = G.stalled  # waited longer than its resource allows; a glyph, so it shows without colour
RISK = "!"
CLOSED, OPEN = G.closed, G.open  # a series' row: enter opens it to show its occurrences one by one
BRANCH, LAST_BRANCH = G.branch, G.last_branch  # an occurrence under its open series

SORT_LABELS = {"oldest": "oldest first", "resource": "by resource", "start": "by start time"}
FILTER_LABELS = {True: "Awaiting you", False: "All pending"}
PAST = {"approve": "Approved", "reject": "Rejected"}

# Widths that keep every column on an 80-column terminal; the lines under the table say it all.
RESOURCE_WIDTH = 14
BOOKER_WIDTH = 10
APPROVERS_MIN_WIDTH = 8  # the last column takes what is left, but never less than this
CELL_PADDING = 2  # a DataTable cell's padding, one each side
SCROLLBAR = 1

COLUMNS = (
    ("", "mark"),
    ("When", "when"),
    ("Resource", "resource"),
    ("By", "by"),
    ("Waited", "waited"),
    ("Risk", "risk"),
    ("Approvers", "approvers"),
)


# --- what a row says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table: a request, a series, or an occurrence under its open series."""

    item: QueueItem
    key: str  # the table's row key; marks are kept by it
    tree: str = ""  # CLOSED or OPEN on a series, a BRANCH on an occurrence under it


def rows_of(items: Sequence[QueueItem], opened: set[int]) -> list[Row]:
    """The table's lines: each item, and under each opened series its occurrences."""
    rows = []
    for item in items:
        if not isinstance(item, SeriesRequest):
            rows.append(Row(item, str(item.reservation.id)))
            continue
        is_open = item.series_id in opened
        rows.append(Row(item, f"series-{item.series_id}", OPEN if is_open else CLOSED))
        if is_open:
            branches = [BRANCH] * (len(item.occurrences) - 1) + [LAST_BRANCH]
            rows.extend(
                Row(occurrence, str(occurrence.reservation.id), branch)
                for occurrence, branch in zip(item.occurrences, branches, strict=True)
            )
    return rows


def short_when(reservation: Reservation) -> str:
    """'Tue 1 Dec 10:00-12:00' in the resource's zone; a request across midnight is its start
    and length ('Tue 1 Dec 22:00 +4h'), which stays narrow."""
    start, end = reservation.start, reservation.end
    day = start.format("ddd D MMM HH:mm")
    if start.date() == end.date():
        return f"{day}-{end.format('HH:mm')}"
    return f"{day} +{format_duration(end - start)}"


def series_when(item: SeriesRequest) -> str:
    """'Tue 1 Dec 10:00', a times sign and how many: the first occurrence still pending, and
    the count of them."""
    return f"{item.reservation.start.format('ddd D MMM HH:mm')} {G.times}{len(item.occurrences)}"


def waited_text(request: QueueItem) -> str:
    waited = format_duration(request.waited)
    return f"{STALLED} {waited}" if request.stalled else waited


def risk_text(request: QueueItem) -> str:
    return f"{RISK} {len(request.risks)}" if request.risks else ""


def approvers_text(request: QueueItem) -> str:
    return ", ".join(request.approvers) or "nobody"


def row_values(row: Row, marked: bool) -> list[str]:
    """One table row as plain strings (styled by the screen)."""
    request = row.item
    reservation = request.reservation
    when = series_when(request) if isinstance(request, SeriesRequest) else short_when(reservation)
    return [
        (MARK if marked else " ") + row.tree,
        when,
        shortened(reservation.resource, RESOURCE_WIDTH),
        shortened(reservation.booked_by, BOOKER_WIDTH),
        waited_text(request),
        risk_text(request),
        approvers_text(request),
    ]


def fit_last_column(rows: list[list[str]], width: int) -> list[list[str]]:
    """The rows with their last column (the approvers) cut to what the others leave of width, so
    the table never scrolls sideways; the line under it names every approver."""
    widths = [
        max([cell_len(label), *(cell_len(row[column]) for row in rows)])
        for column, (label, _key) in enumerate(COLUMNS[:-1])
    ]
    room = width - sum(widths) - CELL_PADDING * len(COLUMNS)
    room = max(APPROVERS_MIN_WIDTH, room)
    return [[*row[:-1], shortened(row[-1], room)] for row in rows]


def detail_text(request: QueueItem | None, mine_only: bool) -> str:
    """The request under the cursor in full: what, where, when (with the zone), who asked, how
    long it has waited against its threshold, who may decide it, and every risk."""
    if request is None:
        if mine_only:
            return "Nothing waits for you. f shows every pending request."
        return "Nothing is pending."
    booking = request.reservation
    when = f"{format_period(booking.start, booking.end)} ({booking.timezone})"
    what = f"#{booking.id} {booking.title!r}"
    if isinstance(request, SeriesRequest):
        what, when = series_what(request), series_span(request)
    waited = f"waited {format_duration(request.waited)}"
    if request.stalled:
        waited = f"{STALLED} stalled: {waited}, over its {format_duration(request.stall_after)}"
    who = f"approvers: {approvers_text(request)}"
    if not request.may_decide:
        who += " (not you)"
    lines = [
        f"{what} · {booking.resource} · {when}",
        f"by {booking.booked_by} · {waited} · {who}",
        *([request.moved_from] if isinstance(request, Request) and request.moved_from else []),
        *(f"{RISK} {risk.message}" for risk in request.risks),
    ]
    if isinstance(request, SeriesRequest):
        count = len(request.occurrences)
        lines.insert(2, f"y/r decide all {count} as one request · enter lists them one by one")
    return "\n".join(lines)


def series_what(item: SeriesRequest) -> str:
    return f"{len(item.occurrences)} occurrences of {item.reservation.title!r}"


def series_span(item: SeriesRequest) -> str:
    """'Tue 1 Dec to Wed 9 Dec, 10:00-12:00 (Europe/London)': first to last occurrence."""
    first, last = item.reservation, item.occurrences[-1].reservation
    hours = format_period(first.start, first.end).split(" ", 1)[1]
    days = f"{first.start.format('ddd D MMM')} to {last.start.format('ddd D MMM')}"
    return f"{days}, {hours} ({first.timezone})"


def where_text(requests: Sequence[QueueItem], mine_only: bool, sort: str, marked: int) -> str:
    """The line above the table: which requests, in which order, and how many of what."""
    count = len(requests)
    parts = [
        f"[b]{FILTER_LABELS[mine_only]}[/b]",
        SORT_LABELS[sort],
        f"{count} request{'' if count == 1 else 's'}",
    ]
    stalled = sum(1 for request in requests if request.stalled)
    if stalled:
        parts.append(f"{STALLED} {stalled} stalled")
    if marked:
        parts.append(f"{MARK} {marked} marked")
    return " · ".join(parts)


# --- what a decision says ----------------------------------------------------------------------


def outcome_summary(
    decision: str, outcomes: Sequence[Outcome], requests: dict[int, QueueItem]
) -> str:
    """One line for the whole decision: 'Approved 3; 1 failed', or for a single request what
    happened to it."""
    done = [outcome for outcome in outcomes if outcome.error is None]
    failed = len(outcomes) - len(done)
    if len(outcomes) == 1 and done:
        return f"{PAST[decision]} {describe_request(done[0].reservation_id, requests)}."
    summary = f"{PAST[decision]} {len(done)}"
    return f"{summary}; {failed} failed" if failed else summary


def failure_messages(outcomes: Sequence[Outcome], requests: dict[int, QueueItem]) -> list[str]:
    """One message per refusal, naming the request and saying why (the engine's own words,
    e.g. 'reservation 12 was already rejected by sam at 2026-12-01 14:02: clashes')."""
    return [
        f"{describe_request(outcome.reservation_id, requests)}: {outcome.error}"
        for outcome in outcomes
        if outcome.error is not None
    ]


def describe_request(reservation_id: int, requests: dict[int, QueueItem]) -> str:
    request = requests.get(reservation_id)
    if request is None:
        return f"#{reservation_id}"
    booking = request.reservation
    if isinstance(request, SeriesRequest):
        return f"{series_what(request)} on {booking.resource}"
    return f"#{booking.id} {booking.title!r} on {booking.resource}"


# --- the screen --------------------------------------------------------------------------------


class QueueTable(Table):
    """The queue's table; its row styles are component classes, so they live in spaces.tcss."""

    COMPONENT_CLASSES: ClassVar[set[str]] = DataTable.COMPONENT_CLASSES | {
        "queue--stalled",
        "queue--marked",
        "queue--not-yours",
    }


class ApprovalQueue(TableKeys, ReloadsOnEvents, SpacesScreen[None]):
    """Pending requests, one row each (a series is one row until opened). Every database call
    goes through app.db_call, off the UI thread; every change anywhere reloads it, keeping the
    cursor on the same row."""

    TITLE = "Approval queue"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("y", "decide('approve')", "Approve"),
        Binding("r", "decide('reject')", "Reject"),
        Binding("space", "toggle_mark", "Mark"),
        Binding("f", "toggle_filter", "Filter"),
        Binding("s", "cycle_sort", "Sort"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mine_only = True
        self.sort = approvals.SORTS[0]
        self.requests: list[QueueItem] = []
        self.rows: list[Row] = []
        self.opened: set[int] = set()  # series ids shown occurrence by occurrence
        self.marked: set[str] = set()  # row keys

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        yield Static(LOADING, id="queue-where")
        yield QueueTable(id="queue", cursor_type="row", zebra_stripes=False)
        yield Static("", id="queue-detail")
        yield Footer(compact=True)  # every key and the palette fit in 80 columns

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    @property
    def current_row(self) -> Row | None:
        row = self.table.cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @property
    def current(self) -> QueueItem | None:
        """The request (or series) under the cursor, if there is one."""
        row = self.current_row
        return row.item if row else None

    def on_mount(self) -> None:
        self.open_table(COLUMNS)

    # --- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        db, now = self.app.db, self.app.now()
        mine_only, sort = self.mine_only, self.sort
        self.db_call(
            lambda: approvals.group_series(
                approvals.pending_requests(db, now=now, mine_only=mine_only, sort=sort)
            ),
            self._loaded,
            group="queue",
            exclusive=True,
            reload=True,
        )

    def _loaded(self, requests: list[QueueItem]) -> None:
        keep = self.current_row.key if self.current_row else None
        row = self.table.cursor_row
        self.requests = requests
        self.opened &= {r.series_id for r in requests if isinstance(r, SeriesRequest)}
        self.rows = rows_of(requests, self.opened)
        # A mark on a row that is no longer listed (decided elsewhere) would act unseen.
        self.marked &= {listed.key for listed in self.rows}
        self._show(keep, row)

    def on_resize(self) -> None:
        if self.rows:  # the approvers' column is cut to the width: cut it again
            self._show(self.current_row.key if self.current_row else None, 0)

    def _show(self, key: str | None, row: int) -> None:
        self._fill_table()
        keys = [listed.key for listed in self.rows]
        self.table.move_cursor(row=row_after_reload(keys, key, row), animate=False)
        self._describe()

    def _fill_table(self) -> None:
        table = self.table
        table.clear()
        values = fit_last_column(
            [row_values(row, row.key in self.marked) for row in self.rows],
            table.size.width - SCROLLBAR,
        )
        for row, shown in zip(self.rows, values, strict=True):
            table.add_row(*self._styled(row, shown), key=row.key)

    def _styled(self, row: Row, values: list[str]) -> list[Text]:
        style = self._row_style(row.item, row.key in self.marked)
        return [Text(value, style=style) for value in values]

    def _row_style(self, request: QueueItem, marked: bool) -> Style:
        classes = []
        if not request.may_decide:
            classes.append("queue--not-yours")
        if request.stalled:
            classes.append("queue--stalled")
        if marked:
            classes.append("queue--marked")
        # Combined here, not by Textual (where the last class's text-style would replace the
        # others'), so a stalled request that is not yours is both bold and dim.
        styles = (self.table.get_component_rich_style(name, partial=True) for name in classes)
        return sum(styles, Style())

    def _refresh_row(self, row: Row) -> None:
        shown = [str(cell) for cell in self.table.get_row(row.key)]
        values = [*row_values(row, row.key in self.marked)[:-1], shown[-1]]
        for (_label, column), cell in zip(COLUMNS, self._styled(row, values), strict=True):
            self.table.update_cell(row.key, column, cell)

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        # Text, not markup: titles and reasons are typed by people and may hold brackets.
        detail = Text(detail_text(self.current, self.mine_only))
        self.query_one("#queue-detail", Static).update(detail)
        where = where_text(self.requests, self.mine_only, self.sort, len(self.marked))
        self.query_one("#queue-where", Static).update(where)

    # --- keys ----------------------------------------------------------------------------------

    def action_toggle_mark(self) -> None:
        row = self.current_row
        if row is None:
            return
        self.marked ^= {row.key}
        self._refresh_row(row)
        # Like a file manager: space marks and moves on, so a run of rows is a run of spaces.
        self.table.action_cursor_down()
        self._describe()

    def action_toggle_filter(self) -> None:
        self.mine_only = not self.mine_only
        self.load()

    def action_cycle_sort(self) -> None:
        sorts = approvals.SORTS
        self.sort = sorts[(sorts.index(self.sort) + 1) % len(sorts)]
        self.load()

    @on(DataTable.RowSelected)
    def _open(self) -> None:
        """enter: a series opens (or closes) to list its occurrences; a request shows its
        details and history."""
        row = self.current_row
        if row is None:
            return
        if isinstance(row.item, SeriesRequest):
            self.opened ^= {row.item.series_id}
            self.rows = rows_of(self.requests, self.opened)
            self.marked &= {listed.key for listed in self.rows}
            self._show(row.key, self.table.cursor_row)
            return
        self.app.push_screen(DetailsScreen(row.item.reservation), lambda _: self.load())

    # --- deciding ------------------------------------------------------------------------------

    def chosen(self) -> list[QueueItem]:
        """What y and r act on: every marked row, or else the one under the cursor. An
        occurrence whose whole series is marked too goes with its series."""
        if not self.marked:
            return [self.current] if self.current else []
        rows = [row for row in self.rows if row.key in self.marked]
        whole = {row.item.series_id for row in rows if isinstance(row.item, SeriesRequest)}
        return [
            row.item
            for row in rows
            if isinstance(row.item, SeriesRequest) or row.item.reservation.series_id not in whole
        ]

    def action_decide(self, decision: str) -> None:
        chosen = self.chosen()
        if not chosen:
            self.notify("Nothing to decide here.", timeout=4)
            return
        ids = [request.reservation.id for request in chosen]
        whole = {r.reservation.id for r in chosen if isinstance(r, SeriesRequest)}
        asked = {request.reservation.id: request for request in chosen}
        db = self.app.db

        def decide(reason: str | None = None) -> list[Outcome]:
            return approvals.decide_many(db, ids, decision, reason, whole_series=whole)

        def done(outcomes: list[Outcome]) -> None:
            self._report(decision, outcomes, asked)

        if decision == "approve":
            self.db_call(decide, done)
            return
        # A rejection always needs a reason: the prompt refuses an empty one.
        what = describe_request(ids[0], asked) if len(ids) == 1 else f"{len(ids)} requests"
        ask_why_then(self, f"Reject {what}: why?", "Reject", decide, done)

    def _report(self, decision: str, outcomes: list[Outcome], asked: dict[int, QueueItem]) -> None:
        failures = failure_messages(outcomes, asked)
        if len(outcomes) > 1 or not failures:
            severity: SeverityLevel = "warning" if failures else "information"
            summary = outcome_summary(decision, outcomes, asked)
            self.notify(summary, severity=severity, markup=False)
        for failure in failures:
            self.notify(failure, severity="error", timeout=10, markup=False)
        self.marked.clear()
        self.load()
