"""Utilization: how much of each resource's own bookable hours its confirmed bookings fill.

The figures are range arithmetic in SQL (sql/rules/utilization.sql), each resource measured over
whole days of its own calendar in its own zone: a window from 2026-11-02 to 2026-11-29 is
midnight to midnight in London for a London room and in New York for a New York truck. This
module picks the resources, asks for the figures and flags what is over- or under-used.

Which resources a report covers: those named (whatever their state), else every active
resource, narrowed by kind and by "within" (a resource and everything under it) when given.
Rows by resource come in the resource tree's order (each stage followed by its areas); by kind,
by kind name; by day, weekday or hour, in calendar order with every bucket of the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pendulum

from spaces_tui.db.connection import Connection, Database
from spaces_tui.engine.errors import BadInput, domain_errors, quoted
from spaces_tui.engine.models import Resource
from spaces_tui.engine.resources import find_resource, resource_tree
from spaces_tui.engine.times import local_zone

BY = ("resource", "kind", "day", "weekday", "hour")
DEFAULT_DAYS = 28  # the window when none is given: four weeks ending today
OVER_AT = 0.85
UNDER_AT = 0.20
WEEKDAYS = range(1, 8)  # ISO: 1 is Monday
HOURS = range(24)


@dataclass(frozen=True)
class Usage:
    key: str  # a resource's name, a kind, a date "2026-11-30", a weekday "Mon", an hour "09"
    resource_id: int | None  # by resource: the resource; otherwise None
    bookable: timedelta
    confirmed: timedelta
    pending: timedelta
    blacked_out: timedelta
    tree_blocked: timedelta
    utilization: float | None  # confirmed / (bookable - blacked_out); None: nothing bookable
    flag: str | None  # "over" | "under" | None
    depth: int = 0  # by resource: how many resources it sits inside (for indenting the tree)


@dataclass(frozen=True)
class Report:
    start: date  # first day of the window, inclusive
    end: date  # last day, inclusive
    by: str
    over_at: float
    under_at: float
    rows: list[Usage]
    zones: tuple[str, ...] = ()  # the time zones the resources were measured in, sorted


def utilization_report(
    db: Database,
    *,
    start: date | None = None,
    end: date | None = None,
    resources: Sequence[str | int] = (),
    kind: str | None = None,
    within: str | int | None = None,
    by: str = "resource",
    over_at: float = OVER_AT,
    under_at: float = UNDER_AT,
    today: date | None = None,
) -> Report:
    """Utilization per resource, kind, day, weekday or hour, from start to end (dates in each
    resource's own calendar, both included; by default the DEFAULT_DAYS ending today). A row is
    flagged "over" at over_at or more, "under" at under_at or less."""
    if by not in BY:
        raise BadInput(f"unknown report grouping {quoted(by)}: use {', '.join(BY)}")
    _check_thresholds(over_at, under_at)
    start, end = _window(start, end, today)
    with domain_errors(), db.snapshot() as conn:
        chosen = _chosen(conn, resources, kind, within)
        rows = _figures(conn, chosen, start, end, by)
    if by == "resource":
        place = {resource.id: index for index, resource in enumerate(chosen)}
        rows.sort(key=lambda row: place[row.resource_id])
    depths = {resource.id: resource.depth for resource in chosen}
    usages = [_usage(row, over_at, under_at, depths.get(row.resource_id, 0)) for row in rows]
    zones = tuple(sorted({resource.timezone for resource in chosen}))
    return Report(start, end, by, over_at, under_at, usages, zones)


def heat_map(
    db: Database, resource: str | int, start: date, end: date
) -> dict[tuple[int, int], float | None]:
    """(ISO weekday 1..7, hour 0..23) -> the confirmed share of the resource's bookable time
    (less what was blacked out) in that hour of that weekday over the window, on its own clock;
    None where the cell had no bookable time. Every one of the 168 cells is there."""
    start, end = _window(start, end, None)
    with domain_errors(), db.snapshot() as conn:
        target = find_resource(conn, resource)
        rows = _figures(conn, [target], start, end, "weekday_hour")
    cells: dict[tuple[int, int], float | None] = {
        (weekday, hour): None for weekday in WEEKDAYS for hour in HOURS
    }
    for row in rows:
        weekday, hour = divmod(row.position, 24)
        cells[(weekday + 1, hour)] = row.utilization
    return cells


def _check_thresholds(over_at: float, under_at: float) -> None:
    if not (0 <= under_at <= 1 and 0 <= over_at <= 1):
        raise BadInput(
            f"utilization thresholds are shares from 0 to 1, not {over_at:g} and {under_at:g}"
        )
    if under_at >= over_at:
        raise BadInput(
            f"the under-used threshold ({under_at:.0%}) must be below the over-booked one"
            f" ({over_at:.0%})"
        )


def _window(start: date | None, end: date | None, today: date | None) -> tuple[date, date]:
    """The report's first and last days: given, or the DEFAULT_DAYS ending today (or, with only
    one end given, the DEFAULT_DAYS from or to it). The database refuses more than ten years."""
    weeks = timedelta(days=DEFAULT_DAYS - 1)
    try:
        if end is None:
            end = (today or pendulum.today(local_zone()).date()) if start is None else start + weeks
        if start is None:
            start = end - weeks
    except OverflowError:  # four weeks past the last day Python has, or before the first
        raise BadInput(f"a report cannot run four weeks from {start or end}") from None
    if end < start:
        raise BadInput(f"the report ends ({end}) before it starts ({start})")
    return start, end


def _chosen(
    conn: Connection, named: Sequence[str | int], kind: str | None, within: str | int | None
) -> list[Resource]:
    """The resources a report covers, in tree order (see the module's docstring)."""
    everything = resource_tree(conn)
    if named:
        ids = {find_resource(conn, ref).id for ref in named}
        chosen = [resource for resource in everything if resource.id in ids]
    else:
        chosen = [resource for resource in everything if resource.active]
    if within is not None:
        top = find_resource(conn, within)
        below = {
            row.resource_id
            for row in conn.execute(
                "SELECT resource_id FROM spaces.resource_subtree(%(id)s)", {"id": top.id}
            )
        }
        chosen = [resource for resource in chosen if resource.id in below]
    if kind is not None:
        kinds = sorted({resource.kind for resource in everything})
        if kind not in kinds:
            raise BadInput(
                f"no resource is of kind {quoted(kind)}: the kinds are {', '.join(kinds)}"
                if kinds
                else "there are no resources yet"
            )
        chosen = [resource for resource in chosen if resource.kind == kind]
    return chosen


def _figures(
    conn: Connection, chosen: Sequence[Resource], start: date, end: date, by: str
) -> list[Any]:
    return conn.execute(
        "SELECT * FROM spaces.utilization(%(ids)s, %(from)s, %(to)s, %(by)s)",
        {"ids": [resource.id for resource in chosen], "from": start, "to": end, "by": by},
    ).fetchall()


def _usage(row: Any, over_at: float, under_at: float, depth: int) -> Usage:
    share = row.utilization
    flag = None
    if share is not None and share >= over_at:
        flag = "over"
    elif share is not None and share <= under_at:
        flag = "under"
    return Usage(
        key=row.key,
        resource_id=row.resource_id,
        bookable=row.bookable,
        confirmed=row.confirmed,
        pending=row.pending,
        blacked_out=row.blacked_out,
        tree_blocked=row.tree_blocked,
        utilization=share,
        flag=flag,
        depth=depth,
    )
