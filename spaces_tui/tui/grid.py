"""The timeline's geometry, apart from any drawing: which resources are rows, what time each
column holds, and what occupies each cell. Plain Python, so it is tested without a screen."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pendulum

from spaces_tui.engine.calendar import Window
from spaces_tui.engine.models import Blackout, Reservation, Resource


@dataclass(frozen=True)
class Scale:
    """A view of time: how many days, how long one column is, how many characters it takes."""

    name: str
    days: int
    column_minutes: int
    cell_width: int

    @property
    def columns(self) -> int:
        return self.days * 24 * 60 // self.column_minutes

    @property
    def is_week(self) -> bool:
        return self.days > 1

    @property
    def label(self) -> str:
        if self.column_minutes < 60:
            return f"{self.name}, {self.column_minutes} min"
        return f"{self.name}, {self.column_minutes // 60} h"


DAY = Scale("day", 1, 30, 3)
DAY_FINE = Scale("day", 1, 15, 2)
WEEK = Scale("week", 7, 180, 1)
WEEK_FINE = Scale("week", 7, 30, 1)
ZOOMED = {DAY: DAY_FINE, DAY_FINE: DAY, WEEK: WEEK_FINE, WEEK_FINE: WEEK}

# What wins a cell when several things touch it: the thing that stops a booking most. "blocked"
# is a booking on a resource above or inside this one (a stage's, or one of its areas'), which
# keeps this one from being booked too.
PRIORITY = {"blackout": 4, "confirmed": 3, "pending": 2, "blocked": 1}


@dataclass(frozen=True)
class Span:
    """One reservation or blackout as the timeline draws it."""

    kind: str  # confirmed | pending | blackout | blocked
    mine: bool
    start: datetime
    end: datetime
    label: str
    item: Reservation | Blackout
    session: bool = False  # the room of a rehearsal session (the rehearse module's booking)
    grouped: bool = False  # one row of a booking group


@dataclass(frozen=True)
class Match:
    """A booking whose title holds the filter, where the timeline shows it."""

    row: int
    booking: Reservation
    columns: range  # the columns it occupies on its row

    @property
    def order(self) -> tuple[float, int, int]:
        """Where it comes when going from match to match: by its start, then top to bottom."""
        return (self.booking.start.timestamp(), self.row, self.booking.id)


@dataclass
class Grid:
    """The rows and columns of one window of time."""

    window: Window
    scale: Scale
    origin: pendulum.DateTime  # the start of the first column, in the view's zone
    actor: str
    filter_text: str = ""
    rows: list[Resource] = field(init=False)
    spans: dict[int, list[Span]] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = filter_rows(self.window.resources, self.filter_text, self.window.reservations)
        self.spans = {}
        for reservation in self.window.reservations:
            self.spans.setdefault(reservation.resource_id, []).append(
                Span(
                    reservation.status,
                    reservation.booked_by == self.actor,
                    reservation.start,
                    reservation.end,
                    reservation.title,
                    reservation,
                    session=reservation.id in self.window.sessions,
                    grouped=reservation.group_id is not None,
                )
            )
        for blackout in self.window.blackouts:
            self.spans.setdefault(blackout.resource_id, []).append(
                Span("blackout", False, blackout.start, blackout.end, blackout.reason, blackout)
            )
        self._add_tree_spans()
        for spans in self.spans.values():
            spans.sort(key=lambda span: span.start)
        self._cells: dict[int, list[Span | None]] = {}
        # Column edges as instants (POSIX seconds): Python compares two datetimes of one zone by
        # wall clock, which is wrong in the hour a clock change repeats or skips.
        self._starts = [self._wall_clock(col) for col in range(self.scale.columns + 1)]
        self._edges = _monotonic([start.timestamp() for start in self._starts])

    def _add_tree_spans(self) -> None:
        """Shows on each resource what the resources above and inside it hold, as the rules
        apply them: a stage's blackout is a blackout on its areas too; anything else above
        or inside a resource blocks it."""
        parents = {r.id: r.parent_id for r in self.window.resources}
        own = {rid: list(spans) for rid, spans in self.spans.items()}
        for resource in self.window.resources:
            ancestor = resource.parent_id
            while ancestor is not None:
                for span in own.get(ancestor, ()):
                    inherited = span if span.kind == "blackout" else replace(span, kind="blocked")
                    self.spans.setdefault(resource.id, []).append(inherited)
                for span in own.get(resource.id, ()):
                    self.spans.setdefault(ancestor, []).append(replace(span, kind="blocked"))
                ancestor = parents.get(ancestor)

    @property
    def columns(self) -> int:
        return self.scale.columns

    def column_start(self, col: int) -> pendulum.DateTime:
        return self._starts[col]

    def _wall_clock(self, col: int) -> pendulum.DateTime:
        # Columns are laid out on the wall clock, so a day with a DST change still reads 00-24.
        # (Built from the date: pendulum's add(...).at(...) loses the zone's rules on such days.)
        days, minute = divmod(col * self.scale.column_minutes, 24 * 60)
        day = self.origin.date() + timedelta(days=days)
        return pendulum.datetime(
            day.year, day.month, day.day, minute // 60, minute % 60, tz=self.origin.timezone
        )

    def column_end(self, col: int) -> pendulum.DateTime:
        # (The origin is always in a zone; its type allows None.)
        zone = self.origin.timezone or "UTC"
        return pendulum.from_timestamp(self._edges[col + 1]).in_timezone(zone)

    def column_at(self, moment: datetime) -> int | None:
        """The column holding moment, or None outside the window."""
        instant = moment.timestamp()
        if instant < self._edges[0] or instant >= self._edges[-1]:
            return None
        return bisect_right(self._edges, instant) - 1

    def span_at(self, row: int, col: int) -> Span | None:
        """What occupies a cell: the strongest thing overlapping that stretch of time."""
        if not 0 <= row < len(self.rows) or not 0 <= col < self.columns:
            return None
        return self.row_cells(row)[col]

    def row_cells(self, row: int) -> list[Span | None]:
        """What occupies each cell of a row; worked out once per row, by sweeping its spans."""
        cells = self._cells.get(row)
        if cells is not None:
            return cells
        cells = [None] * self.columns
        edges = self._edges
        for span in self.spans.get(self.rows[row].id, ()):
            for col in self.columns_of(span.start, span.end):
                if edges[col] == edges[col + 1]:
                    continue  # a column the clock skipped holds nothing
                held = cells[col]
                if held is None or PRIORITY[span.kind] > PRIORITY[held.kind]:
                    cells[col] = span
        self._cells[row] = cells
        return cells

    def columns_of(self, start: datetime, end: datetime) -> range:
        """The columns that [start, end) touches (empty outside the window)."""
        first = max(0, bisect_right(self._edges, start.timestamp()) - 1)
        return range(first, min(self.columns, bisect_left(self._edges, end.timestamp())))

    def matches(self, text: str) -> list[Match]:
        """The bookings shown whose title holds text as the filter reads it, each on its own
        resource's row, in the order of Match.order. None for an empty text."""
        rows = {resource.id: index for index, resource in enumerate(self.rows)}
        found = [
            Match(rows[booking.resource_id], booking, self.columns_of(booking.start, booking.end))
            for booking in titled(self.window.reservations, text)
            if booking.resource_id in rows
        ]
        return sorted((match for match in found if match.columns), key=lambda m: m.order)

    def row_of(self, resource_id: int) -> int | None:
        for index, resource in enumerate(self.rows):
            if resource.id == resource_id:
                return index
        return None


def _monotonic(edges: list[float]) -> list[float]:
    """Column edges that never go back: the wall-clock times a spring-forward skips become
    empty columns at the moment of the change."""
    for index in range(len(edges) - 2, -1, -1):
        edges[index] = min(edges[index], edges[index + 1])
    return edges


def folded(text: str) -> str:
    """text as the filter compares it: any case, the spaces around it left out. lower(), as the
    database's search has it (engine.reservations), so a title found in the view and one found
    past it are found alike."""
    return text.strip().lower()


def titled(bookings: Iterable[Reservation], text: str) -> list[Reservation]:
    """The bookings whose title holds text as the filter reads it; none for an empty text."""
    needle = folded(text)
    return [booking for booking in bookings if needle and needle in booking.title.lower()]


def filter_rows(
    resources: list[Resource], text: str, bookings: Iterable[Reservation] = ()
) -> list[Resource]:
    """Resources whose name or kind holds text (any case), or that have one of bookings whose
    title holds it, each with the resources it sits in, so the tree still reads. An empty text
    keeps them all."""
    needle = folded(text)
    if not needle:
        return list(resources)
    booked = {booking.resource_id for booking in titled(bookings, text)}
    by_id = {resource.id: resource for resource in resources}
    keep: set[int] = set()
    for resource in resources:
        if (
            needle in resource.name.lower()
            or needle in resource.kind.lower()
            or resource.id in booked
        ):
            current: Resource | None = resource
            while current is not None and current.id not in keep:
                keep.add(current.id)
                current = by_id.get(current.parent_id) if current.parent_id else None
    return [resource for resource in resources if resource.id in keep]
