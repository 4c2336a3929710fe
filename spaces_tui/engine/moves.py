"""Moving a booking: cancelled and booked again in one transaction, the replacement linked to
the original (moved_from, and moved_to read the other way), by spaces.move_reservations.

The old slot is free for its own replacement; when the new slot is taken nothing changes. A
whole booking group moves together, and so, when asked, do the following occurrences of a
series or all of it: each row by the same shift on its own wall clock, and by the same change
of length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from spaces_tui.db.connection import Connection, Database
from spaces_tui.engine.errors import (
    BadInput,
    Conflict,
    InvalidTransition,
    NotFound,
    domain_errors,
    retrying_races,
)
from spaces_tui.engine.models import ACTIVE, Blocked, Reservation
from spaces_tui.engine.reservations import (
    period_obstacles,
    select_reservations,
    what_happened,
)
from spaces_tui.engine.resources import Resource, find_resource
from spaces_tui.engine.series import SCOPES, new_series, occurrences_in_scope
from spaces_tui.engine.times import (
    Moment,
    at_wall_clock,
    exact_length,
    in_zone,
    parse_period,
    wall_of,
)


@dataclass(frozen=True)
class Moved:
    """What a move did: each original (now cancelled) with its replacement, in start order."""

    pairs: list[tuple[Reservation, Reservation]]

    @property
    def replacements(self) -> list[Reservation]:
        return [new for _, new in self.pairs]


@dataclass(frozen=True)
class _Plan:
    """One row's move: where it goes (the resource's id, name and zone) and when."""

    row: Reservation
    resource_id: int
    resource: str
    zone: str
    start: datetime
    end: datetime
    series_id: int | None = None


def move(
    db: Database,
    reservation_id: int,
    start: Moment,
    end: Moment,
    *,
    resource: str | int | None = None,
    scope: str | None = None,
) -> Moved:
    """Moves the reservation to start..end (on resource, if given), with the rest of its
    booking group, and with scope ("following" or "series") the occurrences of its series
    too. Times are read on the new resource's wall clock. Conflict (nothing changed) when a
    new slot is taken."""
    if scope is not None and scope not in SCOPES:
        raise BadInput(f"scope is one of {', '.join(SCOPES)}, not {scope!r}")

    def attempt() -> Moved:
        with domain_errors(), db.transaction() as conn:
            plans = _plans(conn, reservation_id, start, end, resource, scope)
            return _move(conn, plans)

    return retrying_races(attempt)


def _named(conn: Connection, reservation_id: int) -> Reservation:
    found = select_reservations(conn, "v.id = %(id)s", {"id": reservation_id})
    if not found:
        raise NotFound(f"no reservation with id {reservation_id}")
    [named] = found
    if not named.active:
        raise InvalidTransition(f"{what_happened(named)}: only a pending or confirmed one moves")
    return named


def _plans(
    conn: Connection,
    reservation_id: int,
    start: Moment,
    end: Moment,
    resource: str | int | None,
    scope: str | None,
) -> list[_Plan]:
    named = _named(conn, reservation_id)
    target = find_resource(conn, resource) if resource is not None else None
    zone = target.timezone if target else named.timezone
    begins, ends = parse_period(start, end, zone)
    rows = occurrences_in_scope(conn, named, scope, ACTIVE) if scope else [named]
    rows = _with_their_groups(conn, rows)
    shift = _wall(begins, zone) - _wall(named.start, zone)
    stretch = exact_length(begins, ends) - exact_length(named.start, named.end)
    moved_series = (
        _series_on(conn, named, target, begins, ends)
        if scope and target and target.id != named.resource_id
        else None
    )
    plans = []
    for row in rows:
        on_named_resource = row.resource_id == named.resource_id
        goes_to = (
            (target.id, target.name, target.timezone)
            if target and on_named_resource
            else (row.resource_id, row.resource, row.timezone)
        )
        if row.id == named.id:
            new_start, new_end = begins, ends
        else:
            new_start = at_wall_clock(_wall(row.start, zone) + shift, zone)
            # As instants: pendulum's own arithmetic brings its own zone handling.
            length = (exact_length(row.start, row.end) + stretch).total_seconds()
            new_end = in_zone(datetime.fromtimestamp(new_start.timestamp() + length, UTC), zone)
        if new_end <= new_start:
            raise BadInput(f"reservation {row.id} would end before it starts")
        series = moved_series if on_named_resource and row.series_id == named.series_id else None
        plans.append(_Plan(row, *goes_to, new_start, new_end, series))
    return plans


def _with_their_groups(conn: Connection, rows: list[Reservation]) -> list[Reservation]:
    """rows, and every active row of the booking groups among them: a group moves whole."""
    groups = sorted({row.group_id for row in rows if row.group_id is not None})
    if not groups:
        return rows
    members = select_reservations(
        conn,
        "v.group_id = ANY(%(groups)s) AND v.status = ANY(%(active)s)",
        {"groups": groups, "active": list(ACTIVE)},
    )
    by_id = {row.id: row for row in rows} | {row.id: row for row in members}
    return sorted(by_id.values(), key=lambda row: (row.start, row.id))


def _series_on(
    conn: Connection, named: Reservation, target: Resource, start: datetime, end: datetime
) -> int:
    """The series that occurrences moved to another resource join there: the rule of theirs,
    from the first moved occurrence."""
    rule = conn.execute(
        "SELECT rrule, title FROM spaces.series WHERE id = %(id)s", {"id": named.series_id}
    ).fetchone()
    assert rule is not None  # the reservation names it
    return new_series(conn, target, rule.rrule, start, end, rule.title)


def _wall(moment: datetime, zone: str) -> datetime:
    """moment as a naive wall-clock time in zone (a shift by days keeps the hour across DST)."""
    return wall_of(in_zone(moment, zone))


def _move(conn: Connection, plans: list[_Plan]) -> Moved:
    try:
        with conn.transaction():  # a savepoint: refused whole, and then asked what is in the way
            pairs = conn.execute(
                "SELECT moved_from, id FROM spaces.move_reservations("
                " %(ids)s::bigint[], %(resources)s::bigint[], %(starts)s::timestamptz[],"
                " %(ends)s::timestamptz[], %(series)s::bigint[])",
                {
                    "ids": [plan.row.id for plan in plans],
                    "resources": [plan.resource_id for plan in plans],
                    "starts": [plan.start for plan in plans],
                    "ends": [plan.end for plan in plans],
                    "series": [plan.series_id for plan in plans],
                },
            ).fetchall()
    except psycopg.errors.ExclusionViolation as refusal:
        blocked = _blocked(conn, plans)
        raise Conflict(
            _conflict_message(plans, blocked), blocked=blocked, retryable=not blocked
        ) from refusal
    replaced = dict(pairs)
    rows = select_reservations(
        conn, "v.id = ANY(%(ids)s)", {"ids": list(replaced) + list(replaced.values())}
    )
    by_id = {row.id: row for row in rows}
    return Moved([(by_id[old], by_id[new]) for old, new in replaced.items()])


def _blocked(conn: Connection, plans: list[_Plan]) -> list[Blocked]:
    """What is in the way of each new slot, leaving out the bookings that move (their slots
    are given up first)."""
    moving = {plan.row.id for plan in plans}
    blocked = []
    for plan in plans:
        found = [
            obstacle
            for obstacle in period_obstacles(
                conn, plan.resource_id, plan.start, plan.end, exclude_id=plan.row.id
            )
            if obstacle.kind != "reservation" or obstacle.id not in moving
        ]
        if found:
            start, end = in_zone(plan.start, plan.zone), in_zone(plan.end, plan.zone)
            blocked.append(Blocked(start, end, found, resource=plan.resource))
    return blocked


def _conflict_message(plans: list[_Plan], blocked: list[Blocked]) -> str:
    what = f"reservation {plans[0].row.id}" if len(plans) == 1 else f"{len(plans)} reservations"
    taken = ", ".join(sorted({b.resource or "" for b in blocked}))
    return f"could not move {what}: {taken} not free then; nothing was changed"
