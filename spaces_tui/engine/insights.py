"""Risks: what is worth a look before a period is booked, though nothing refuses it (a blackout
just after it, a full room, a get-out straight into a get-in). One SQL function finds them
(spaces.booking_risks, sql/rules/insights.sql) and this module words them, so the booking form,
`spaces check`, `spaces book` and the approval queue all say the same thing.

Insights sit beside the booking path, never in it: nothing here is asked by book() itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pendulum

from spaces_tui.db.connection import Connection, Database
from spaces_tui.engine.errors import domain_errors
from spaces_tui.engine.models import Obstacle, Reservation, Resource, Risk
from spaces_tui.engine.reservations import period_obstacles
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import Moment, format_duration, in_zone, parse_period

# Every kind of risk, in the order a list of them is shown. over_capacity is not among them:
# the database refuses it, so it is a reason a period cannot be booked (Assessment).
KINDS = (
    "inactive",
    "in_past",
    "near_capacity",
    "near_blackout",
    "back_to_back",
    "busy_day",
    "outside_hours",
    "no_approver",
    "approval_delay",
)
OVER_CAPACITY = "over_capacity"


@dataclass(frozen=True)
class Asked:
    """A period someone means to book on a resource (timezone: the resource's), or has booked:
    then exclude_id is that booking, so it is not its own risk."""

    resource_id: int
    timezone: str
    start: datetime
    end: datetime
    headcount: int | None = None
    exclude_id: int | None = None

    @classmethod
    def booked(cls, reservation: Reservation) -> Asked:
        return cls(
            reservation.resource_id,
            reservation.timezone,
            reservation.start,
            reservation.end,
            reservation.headcount,
            reservation.id,
        )


@dataclass(frozen=True)
class Assessment:
    """Everything the form and `spaces check` say about one period: what is in the way, whether
    the headcount fits, and the risks."""

    resource: Resource
    start: pendulum.DateTime
    end: pendulum.DateTime
    obstacles: list[Obstacle]
    over_capacity: Risk | None
    risks: list[Risk]

    @property
    def bookable(self) -> bool:
        return not self.obstacles and self.over_capacity is None


def assess(
    db: Database,
    resource: str | int,
    start: Moment,
    end: Moment,
    headcount: int | None = None,
    *,
    now: datetime | None = None,
    exclude_id: int | None = None,
) -> Assessment:
    """What is in the way of booking resource from start to end, and what is worth a look."""
    with domain_errors(), db.snapshot() as conn:
        target = find_resource(conn, resource)
        begins, ends = parse_period(start, end, target.timezone)
        obstacles = period_obstacles(conn, target.id, begins, ends, exclude_id=exclude_id)
        asked = Asked(target.id, target.timezone, begins, ends, headcount, exclude_id)
        found = risks_of(conn, [asked], now)[0]
    over = next((risk for risk in found if risk.kind == OVER_CAPACITY), None)
    risks = [risk for risk in found if risk.kind != OVER_CAPACITY]
    return Assessment(target, begins, ends, obstacles, over, risks)


def booking_risks(
    db: Database, asked: Sequence[Asked], *, now: datetime | None = None
) -> list[list[Risk]]:
    """The risks of each asked period, in order (over capacity among them, as a risk of kind
    over_capacity, for a booking that has it)."""
    with domain_errors(), db.snapshot() as conn:
        return risks_of(conn, asked, now)


def risks_of(
    conn: Connection, asked: Sequence[Asked], now: datetime | None = None
) -> list[list[Risk]]:
    """booking_risks in the caller's transaction: one statement for all of them."""
    if not asked:
        return []
    rows = conn.execute(
        "SELECT * FROM spaces.booking_risks(%(resources)s::bigint[], %(starts)s::timestamptz[],"
        " %(ends)s::timestamptz[],"
        " %(headcounts)s::integer[], %(excludes)s::bigint[], %(now)s)",
        {
            "resources": [a.resource_id for a in asked],
            "starts": [a.start for a in asked],
            "ends": [a.end for a in asked],
            "headcounts": [a.headcount for a in asked],
            "excludes": [a.exclude_id for a in asked],
            "now": now or pendulum.now("UTC"),
        },
    ).fetchall()
    found: list[list[Risk]] = [[] for _ in asked]
    for row in rows:
        found[row.n - 1].append(_risk(row, asked[row.n - 1]))
    order = {kind: place for place, kind in enumerate((OVER_CAPACITY, *KINDS))}
    return [sorted(risks, key=lambda risk: order[risk.kind]) for risks in found]


def _risk(row: Any, asked: Asked) -> Risk:
    zone = asked.timezone
    reservations = (row.ref_id,) if row.ref_kind == "reservation" else ()
    blackouts = (row.ref_id,) if row.ref_kind == "blackout" else ()
    return Risk(row.kind, _WORDS[row.kind](row, asked, zone), reservations, blackouts)


def _capacity(row: Any, asked: Asked, _zone: str) -> str:
    people = f"{asked.headcount} people"
    if row.kind == OVER_CAPACITY:
        return f"{people} is more than {row.ref_resource} holds (capacity {row.amount})"
    return f"{people} fills {row.share:.0%} of {row.ref_resource} (capacity {row.amount})"


def _near_blackout(row: Any, asked: Asked, zone: str) -> str:
    when = _around(row, asked)
    span = _clock(row.ref_start, row.ref_end, zone)
    return (
        f"blackout {row.ref_title!r} ({row.ref_detail}, set by {row.ref_who}) on"
        f" {row.ref_resource} {when}, {span}"
    )


def _back_to_back(row: Any, asked: Asked, zone: str) -> str:
    when = _around(row, asked)
    span = _clock(row.ref_start, row.ref_end, zone)
    return (
        f"back to back: {row.ref_detail} booking #{row.ref_id} {row.ref_title!r} by"
        f" {row.ref_who} on {row.ref_resource} {when}, {span}"
    )


def _around(row: Any, asked: Asked) -> str:
    """Where the other thing lies: "ends 20m before it starts", "starts just as it ends"."""
    if row.ref_end <= asked.start:
        return _apart("ends", row.span, "before it starts", "just as it starts")
    return _apart("starts", row.span, "after it ends", "just as it ends")


def _apart(verb: str, gap: timedelta, side: str, touching: str) -> str:
    """So that no gap reads as none: "starts just as it ends", not "starts 0m after"."""
    if gap <= timedelta(0):
        return f"{verb} {touching}"
    if gap < timedelta(minutes=1):
        return f"{verb} under a minute {side}"
    return f"{verb} {format_duration(gap)} {side}"


def _busy_day(row: Any, _asked: Asked, zone: str) -> str:
    day = in_zone(row.ref_start, zone).format("ddd D MMM")
    open_for = sum((piece.upper - piece.lower for piece in row.hours), timedelta(0))
    return (
        f"{row.ref_resource} is already booked for {row.share:.0%} of its bookable hours on"
        f" {day} ({format_duration(row.span)} of {format_duration(open_for)}, counting what"
        " its tree blocks)"
    )


def _outside_hours(row: Any, asked: Asked, zone: str) -> str:
    day = in_zone(asked.start, zone).format("ddd D MMM")
    windows = ", ".join(_clock(piece.lower, piece.upper, zone) for piece in row.hours)
    hours = f"bookable {windows} on {day}" if windows else f"not bookable on {day}"
    return f"{format_duration(row.span)} of it is outside {row.ref_resource}'s hours ({hours})"


def _in_past(_row: Any, _asked: Asked, _zone: str) -> str:
    # Not how long ago: the start is shown beside it, and a queue's words must not change with
    # every minute the approver looks at them.
    return "it starts in the past"


def _no_approver(_row: Any, _asked: Asked, _zone: str) -> str:
    return "no approver: nobody can decide it"


def _approval_delay(row: Any, _asked: Asked, _zone: str) -> str:
    requests = "request" if row.amount == 1 else "requests"
    return (
        f"a slow decision is likely: its approvers ({row.ref_who}) have {row.amount} stalled"
        f" {requests} waiting (the oldest for {format_duration(row.span)})"
    )


def _inactive(_row: Any, _asked: Asked, _zone: str) -> str:
    return "the resource has been made inactive"


def _clock(start: datetime, end: datetime, zone: str) -> str:
    """A span as the resource's clock shows it: "18:00-19:00", "22:00-24:00", or with the days
    when it runs into another."""
    begins, ends = in_zone(start, zone), in_zone(end, zone)
    if ends.date() == begins.date():
        return f"{begins:%H:%M}-{ends:%H:%M}"
    if ends == begins.start_of("day").add(days=1):
        return f"{begins:%H:%M}-24:00"
    return f"{begins:%a %d %b %H:%M} - {ends:%a %d %b %H:%M}"


_WORDS = {
    OVER_CAPACITY: _capacity,
    "near_capacity": _capacity,
    "near_blackout": _near_blackout,
    "back_to_back": _back_to_back,
    "busy_day": _busy_day,
    "outside_hours": _outside_hours,
    "in_past": _in_past,
    "no_approver": _no_approver,
    "approval_delay": _approval_delay,
    "inactive": _inactive,
}
