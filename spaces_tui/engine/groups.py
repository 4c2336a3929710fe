"""Several resources, one booking: a booking group is every row or none.

The rows go in with their group in one statement, in the transaction that made it (the database
refuses a row joining a group later), each under its own resource's rules: a row on a resource
that asks for approval is pending, and the group is pending until every row is confirmed. When
an approver rejects one row the database releases the others in the same transaction
(sql/rules/groups.sql). A recurring group books each occurrence as a group of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import psycopg

from spaces_tui.db.connection import Connection, Database
from spaces_tui.engine.errors import (
    BadInput,
    Conflict,
    InvalidTransition,
    domain_errors,
    retrying_races,
)
from spaces_tui.engine.models import ACTIVE, Blocked, Reservation
from spaces_tui.engine.recurrence import Occurrence, expand
from spaces_tui.engine.reservations import (
    NewRow,
    checked_title,
    get_reservation,
    insert_rows,
    periods_obstacles,
    select_reservations,
    set_status,
    what_happened,
)
from spaces_tui.engine.resources import Resource, find_resource
from spaces_tui.engine.series import new_series
from spaces_tui.engine.times import Moment, format_moment, parse_period

GROUP_LIMIT = 20  # resources in one booking, as spaces.group_limit() says


@dataclass(frozen=True)
class GroupBooking:
    """What a group booking made: its groups (one, or one an occurrence), their rows by start
    and then resource, the series it recorded (one a resource, when recurring) and the
    occurrences skipped whole because something was in the way."""

    group_ids: list[int]
    reservations: list[Reservation]
    series_ids: list[int]
    skipped: list[Blocked]

    @property
    def status(self) -> str:
        """pending until every row is confirmed."""
        return group_status(self.reservations)


def group_status(rows: Iterable[Reservation]) -> str:
    """A group's status from its rows, as spaces.group_status says it."""
    statuses = {row.status for row in rows}
    if "rejected" in statuses:
        return "rejected"
    if not statuses & set(ACTIVE):
        return "cancelled"
    return "pending" if "pending" in statuses else "confirmed"


def book_group(
    db: Database,
    resources: Sequence[str | int],
    start: Moment,
    end: Moment,
    title: str,
    *,
    headcount: int | None = None,
    rule: str | None = None,
    until: date | None = None,
    exceptions: Iterable[date] = (),
    skip_conflicts: bool = False,
) -> GroupBooking:
    """Books every resource from start to end as one group, in one transaction: all of them, or
    (Conflict, listing what is in the way of each) none. Times are read on the first resource's
    wall clock. With rule (an RRULE), each occurrence is a group; all or nothing, or with
    skip_conflicts the occurrences where anything is in the way are skipped whole."""
    title = checked_title(title, headcount)
    if len(resources) < 2:
        raise BadInput("a group books two resources or more; one is booked on its own")
    if len(resources) > GROUP_LIMIT:
        raise BadInput(f"a group books at most {GROUP_LIMIT} resources, not {len(resources)}")
    if rule is None and (until or exceptions or skip_conflicts):
        raise BadInput("--until, --except and --skip-conflicts go with --rrule")
    skipped_dates = list(exceptions)

    def attempt() -> GroupBooking:
        with domain_errors(), db.transaction() as conn:
            targets = _targets(conn, resources)
            begins, ends = parse_period(start, end, targets[0].timezone)
            occurrences = (
                [(begins, ends)]
                if rule is None
                else expand(
                    rule, begins, ends, targets[0].timezone, until=until, exceptions=skipped_dates
                )
            )
            return _book(conn, targets, occurrences, title, headcount, rule, skip_conflicts)

    return retrying_races(attempt)


def _targets(conn: Connection, resources: Sequence[str | int]) -> list[Resource]:
    targets = [find_resource(conn, resource) for resource in resources]
    seen: set[int] = set()
    for target in targets:
        if target.id in seen:
            raise BadInput(f"{target.name} is named twice: a group books each resource once")
        seen.add(target.id)
    nested = conn.execute(
        "SELECT inner_.name AS inner_name, outer_.name AS outer_name"
        "  FROM unnest(%(ids)s::bigint[]) AS wanted (id)"
        "  CROSS JOIN LATERAL spaces.resource_line(wanted.id) AS line"
        "  JOIN spaces.resources inner_ ON inner_.id = wanted.id"
        "  JOIN spaces.resources outer_ ON outer_.id = line.resource_id"
        " WHERE line.depth > 0 AND line.resource_id = ANY(%(ids)s::bigint[]) LIMIT 1",
        {"ids": list(seen)},
    ).fetchone()
    if nested is not None:
        raise BadInput(
            f"{nested.inner_name} is inside {nested.outer_name}: booking"
            f" {nested.outer_name} holds it already, so a group names one of them"
        )
    return targets


def _book(
    conn: Connection,
    targets: list[Resource],
    occurrences: list[Occurrence],
    title: str,
    headcount: int | None,
    rule: str | None,
    skip_conflicts: bool,
) -> GroupBooking:
    # All or nothing needs no check first: the constraints decide, and what is in the way is
    # asked for only when they refused. Skipping what is in the way needs to know it first.
    blocked = _blocked(conn, targets, occurrences) if skip_conflicts else []
    free = [o for o in occurrences if not any(b.start == o[0] for b in blocked)]
    if not free:
        raise Conflict(_blocked_message(targets, occurrences, blocked, rule), blocked=blocked)
    ids = [target.id for target in targets]
    group_ids = [
        row[0]
        for row in conn.execute(
            "SELECT spaces.new_booking_groups(%(ids)s::bigint[], %(count)s)",
            {"ids": ids, "count": len(free)},
        ).fetchall()
    ]
    first_start, first_end = occurrences[0]
    series_ids = (
        []
        if rule is None
        else [new_series(conn, t, rule, first_start, first_end, title) for t in targets]
    )
    rows = [
        NewRow(target.id, begins, ends, series_ids[n] if series_ids else None, group_id)
        for (begins, ends), group_id in zip(free, group_ids, strict=True)
        for n, target in enumerate(targets)
    ]
    try:
        with conn.transaction():  # a savepoint: the statement is refused whole
            insert_rows(conn, rows, title, headcount)
    except psycopg.errors.ExclusionViolation as refusal:
        # Asked now, the answer names what was in the way. Nothing, if it has gone again
        # since (or a skip's check was overtaken): then the whole request is tried again.
        blocked = _blocked(conn, targets, occurrences)
        message = _blocked_message(targets, occurrences, blocked, rule)
        raise Conflict(message, blocked=blocked, retryable=not blocked) from refusal
    made = select_reservations(conn, "v.group_id = ANY(%(groups)s)", {"groups": group_ids})
    made.sort(key=lambda row: (row.start, row.group_id or 0, ids.index(row.resource_id)))
    return GroupBooking(group_ids, made, series_ids, blocked)


def _blocked(
    conn: Connection, targets: list[Resource], occurrences: list[Occurrence]
) -> list[Blocked]:
    """What is in the way, by occurrence: for one period, one Blocked a resource in the way;
    for a series, one an occurrence (resource None) with everything in its way."""
    in_the_way = [periods_obstacles(conn, target.id, occurrences) for target in targets]
    if len(occurrences) == 1:
        [(begins, ends)] = occurrences
        return [
            Blocked(begins, ends, found[0], resource=target.name)
            for target, found in zip(targets, in_the_way, strict=True)
            if found[0]
        ]
    blocked = []
    for n, (begins, ends) in enumerate(occurrences):
        found = [obstacle for per_target in in_the_way for obstacle in per_target[n]]
        if found:
            blocked.append(Blocked(begins, ends, found))
    return blocked


def _blocked_message(
    targets: list[Resource],
    occurrences: list[Occurrence],
    blocked: list[Blocked],
    rule: str | None,
) -> str:
    names = ", ".join(target.name for target in targets)
    if rule is None:
        taken = ", ".join(b.resource or "" for b in blocked)
        verb = "is" if len(blocked) == 1 else "are"
        return f"not free together: {taken} {verb} taken; nothing was booked"
    first = ", ".join(format_moment(b.start) for b in blocked[:3])
    more = f" and {len(blocked) - 3} more" if len(blocked) > 3 else ""
    if len(blocked) == len(occurrences):
        return (
            f"{names} are not free together for any of the {len(occurrences)} occurrences;"
            " nothing was booked"
        )
    return (
        f"{names} are not free together for {len(blocked)} of {len(occurrences)} occurrences"
        f" ({first}{more}); nothing was booked (--skip-conflicts books the rest)"
    )


def group_rows(db: Database, group_id: int) -> list[Reservation]:
    """Every row of a group, by resource order of booking (their ids)."""
    with domain_errors(), db.transaction() as conn:
        return select_reservations(conn, "v.group_id = %(group)s", {"group": group_id})


def cancel_group(db: Database, reservation_id: int, reason: str) -> list[Reservation]:
    """Cancels every row of the reservation's group that still holds a slot, together: one
    transaction, each row under the database's rules (who may cancel it)."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("cancelling a group needs a reason")
    reservation = get_reservation(db, reservation_id)
    if reservation.group_id is None:
        raise BadInput(f"reservation {reservation_id} is not part of a booking group")
    with domain_errors(), db.transaction() as conn:
        rows = select_reservations(
            conn,
            "v.group_id = %(group)s AND v.status = ANY(%(active)s)",
            {"group": reservation.group_id, "active": list(ACTIVE)},
        )
        if not rows:
            raise InvalidTransition(
                f"nothing left to cancel in booking group {reservation.group_id}: "
                + what_happened(reservation)
            )
        ids = [row.id for row in rows]
        set_status(conn, ids, "cancelled", reason)
        return select_reservations(conn, "v.id = ANY(%(ids)s)", {"ids": ids})
