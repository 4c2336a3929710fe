"""Recurring reservations: a series and its occurrences, each a real reservation row under the
same exclusion constraints as a one-off booking.

All or nothing by default: if any occurrence is in the way, nothing is written and the Conflict
lists every blocked occurrence with what blocks it. With skip_conflicts the free ones are booked
and the blocked ones reported. Cancelling and deciding work on one occurrence, this and the
following ones, or the whole series.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import psycopg

from spaces_tui.db.connection import Connection, Database, first_value
from spaces_tui.engine.errors import (
    BadInput,
    Conflict,
    InvalidTransition,
    domain_errors,
    retrying_races,
)
from spaces_tui.engine.insights import Asked, risks_of
from spaces_tui.engine.models import ACTIVE, Blocked, Obstacle, Reservation
from spaces_tui.engine.recurrence import Occurrence, expand
from spaces_tui.engine.reservations import (
    NewRow,
    checked_title,
    get_reservation,
    insert_reservation,
    insert_rows,
    period_obstacles,
    periods_obstacles,
    select_reservations,
    set_status,
    what_happened,
)
from spaces_tui.engine.resources import Resource, find_resource
from spaces_tui.engine.times import Moment, format_moment, parse_period

SCOPES = ("following", "series")


@dataclass(frozen=True)
class SeriesBooking:
    series_id: int
    reservations: list[Reservation]
    skipped: list[Blocked]

    @property
    def status(self) -> str:
        """pending where the resource requires approval, else confirmed."""
        return self.reservations[0].status


def book_series(
    db: Database,
    resource: str | int,
    start: Moment,
    end: Moment,
    title: str,
    rule: str,
    *,
    until: date | None = None,
    exceptions: Iterable[date] = (),
    skip_conflicts: bool = False,
    headcount: int | None = None,
) -> SeriesBooking:
    """Books every occurrence of rule (RFC 5545 RRULE) starting at start..end, in one
    transaction, on the resource's wall clock."""
    title = checked_title(title, headcount)
    skipped_dates = list(exceptions)

    def attempt() -> SeriesBooking:
        with domain_errors(), db.transaction() as conn:
            return book_series_on(
                conn,
                resource,
                start,
                end,
                title,
                rule,
                until=until,
                exceptions=skipped_dates,
                skip_conflicts=skip_conflicts,
                headcount=headcount,
            )

    return retrying_races(attempt)


def preview(
    db: Database,
    resource: str | int,
    start: Moment,
    end: Moment,
    rule: str,
    *,
    until: date | None = None,
    exceptions: Iterable[date] = (),
    headcount: int | None = None,
    now: datetime | None = None,
) -> list[Blocked]:
    """Every occurrence the rule gives, each with what is in its way now (none: it is free) and
    its risks (engine/insights.py; over_capacity among them when the headcount does not fit).
    Writes nothing; the booking itself checks again."""
    with domain_errors(), db.snapshot() as conn:
        target = find_resource(conn, resource)
        begins, ends = parse_period(start, end, target.timezone)
        occurrences = expand(
            rule, begins, ends, target.timezone, until=until, exceptions=list(exceptions)
        )
        in_the_way = periods_obstacles(conn, target.id, occurrences)
        asked = [Asked(target.id, target.timezone, b, e, headcount) for b, e in occurrences]
        risks = risks_of(conn, asked, now)
        return [
            Blocked(begins, ends, obstacles, tuple(found))
            for (begins, ends), obstacles, found in zip(occurrences, in_the_way, risks, strict=True)
        ]


def book_series_on(
    conn: Connection,
    resource: str | int,
    start: Moment,
    end: Moment,
    title: str,
    rule: str,
    *,
    until: date | None = None,
    exceptions: Iterable[date] = (),
    skip_conflicts: bool = False,
    headcount: int | None = None,
) -> SeriesBooking:
    """book_series inside the caller's transaction (the demo venue loads in one); the title
    is taken as given."""
    target = find_resource(conn, resource)
    begins, ends = parse_period(start, end, target.timezone)
    occurrences = expand(
        rule, begins, ends, target.timezone, until=until, exceptions=list(exceptions)
    )
    series_id = new_series(conn, target, rule, begins, ends, title)
    blocked = _book_occurrences(
        conn, target.id, occurrences, title, headcount, series_id, all_or_none=not skip_conflicts
    )
    booked = len(occurrences) - len(blocked)
    if blocked and (not skip_conflicts or booked == 0):
        raise Conflict(_blocked_message(target.name, len(occurrences), blocked), blocked=blocked)
    made = select_reservations(conn, "v.series_id = %(series_id)s", {"series_id": series_id})
    return SeriesBooking(series_id, made, blocked)


def new_series(
    conn: Connection, target: Resource, rule: str, start: datetime, end: datetime, title: str
) -> int:
    """Records a series of target (its first occurrence start..end) and returns its id."""
    return first_value(
        conn.execute(
            "INSERT INTO spaces.series (resource_id, rrule, timezone, first_start, duration,"
            " title) VALUES (%(resource_id)s, %(rule)s, %(zone)s, %(start)s, %(duration)s,"
            " %(title)s)"
            " RETURNING id",
            {
                "resource_id": target.id,
                "rule": rule.strip(),
                "zone": target.timezone,
                "start": start,
                "duration": end - start,
                "title": title,
            },
        )
    )


def _book_occurrences(
    conn: Connection,
    resource_id: int,
    occurrences: list[Occurrence],
    title: str,
    headcount: int | None,
    series_id: int,
    *,
    all_or_none: bool,
) -> list[Blocked]:
    """Books the free occurrences, all in one statement, and returns the blocked ones with
    what is in their way (all_or_none: when any is blocked, books none)."""
    in_the_way = periods_obstacles(conn, resource_id, occurrences)
    checked = list(zip(occurrences, in_the_way, strict=True))
    blocked = [Blocked(*o, found) for o, found in checked if found]
    free = [o for o, found in checked if not found]
    if not free or (blocked and all_or_none):
        return blocked
    try:
        with conn.transaction():  # a savepoint: the statement is refused whole
            rows = [NewRow(resource_id, start, end, series_id) for start, end in free]
            insert_rows(conn, rows, title, headcount)
    except psycopg.errors.ExclusionViolation:
        # Something committed between the check and the insert: one at a time, each asked
        # again, so the ones it took can be named.
        for occurrence in free:
            obstacles = _book_occurrence(conn, resource_id, occurrence, title, headcount, series_id)
            if obstacles:
                blocked.append(Blocked(*occurrence, obstacles))
        blocked.sort(key=lambda b: b.start)
    return blocked


def _book_occurrence(
    conn: Connection,
    resource_id: int,
    occurrence: Occurrence,
    title: str,
    headcount: int | None,
    series_id: int,
) -> list[Obstacle]:
    """Books one occurrence; returns what is in the way instead when it cannot."""
    start, end = occurrence
    obstacles = period_obstacles(conn, resource_id, start, end)
    if obstacles:
        return obstacles
    try:
        with conn.transaction():  # a savepoint
            insert_reservation(conn, resource_id, start, end, title, headcount, series_id)
    except psycopg.errors.ExclusionViolation:
        # A one-off committed between the check and the insert: now the check can name it.
        return period_obstacles(conn, resource_id, start, end)
    return []


def _blocked_message(resource: str, total: int, blocked: list[Blocked]) -> str:
    first = ", ".join(format_moment(b.start) for b in blocked[:3])
    more = f" and {len(blocked) - 3} more" if len(blocked) > 3 else ""
    return (
        f"{resource} is not free for {len(blocked)} of {total} occurrences ({first}{more});"
        " nothing was booked (--skip-conflicts books the rest)"
        if len(blocked) < total
        else f"{resource} is not free for any of the {total} occurrences; nothing was booked"
    )


def _scope_clause(scope: str) -> str:
    if scope not in SCOPES:
        raise BadInput(f"scope is one of {', '.join(SCOPES)}, not {scope!r}")
    return {
        "following": "v.series_id = %(series_id)s AND lower(v.during) >= %(start)s",
        "series": "v.series_id = %(series_id)s",
    }[scope]


def occurrences_in_scope(
    conn: Connection, reservation: Reservation, scope: str, statuses: tuple[str, ...]
) -> list[Reservation]:
    """The occurrences of the reservation's series from it on, or all of them, in statuses."""
    clause = _scope_clause(scope)
    if reservation.series_id is None:
        raise BadInput(f"reservation {reservation.id} is not part of a series")
    return select_reservations(
        conn,
        f"{clause} AND v.status = ANY(%(statuses)s)",
        {
            "series_id": reservation.series_id,
            "start": reservation.start,
            "statuses": list(statuses),
        },
    )


def change_series(
    db: Database,
    reservation_id: int,
    status: str,
    note: str | None,
    *,
    scope: str,
) -> list[Reservation]:
    """Cancels (status cancelled), approves (confirmed) or rejects (rejected) the reservation
    and the following occurrences of its series, or the whole series, as one request: in one
    transaction, all or none, each row under the database's rules."""
    still_open = ACTIVE if status == "cancelled" else ("pending",)
    reservation = get_reservation(db, reservation_id)
    with domain_errors(), db.transaction() as conn:
        targets = occurrences_in_scope(conn, reservation, scope, still_open)
        if not targets:
            raise InvalidTransition(
                f"nothing left to change in the series of reservation {reservation_id}: "
                + what_happened(reservation)
            )
        ids = [target.id for target in targets]
        set_status(conn, ids, status, note)
        return select_reservations(conn, "v.id = ANY(%(ids)s)", {"ids": ids})
