"""Booking, checking, deciding and cancelling reservations.

The database refuses every overlap, illegal transition and unauthorised decision on its own;
this module asks it first (spaces.check_reservation_conflict) so a refusal can say what is in the
way, and turns a refusal that slipped past the check in a race into the same Conflict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from spaces_tui.db.connection import Connection, Database, first_value, one_row
from spaces_tui.engine.errors import (
    BadInput,
    Conflict,
    InvalidTransition,
    NotFound,
    domain_errors,
    quoted,
    retrying_races,
)
from spaces_tui.engine.models import ACTIVE, Obstacle, Reservation
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import (
    Moment,
    exact_length,
    format_moment,
    in_zone,
    parse_end,
    parse_moment,
    parse_period,
)

STATUSES = ("pending", "confirmed", "rejected", "cancelled")

_COLUMNS = """
    v.id, v.resource_id, r.name AS resource, r.timezone, lower(v.during) AS start,
    upper(v.during) AS "end", v.status, v.title, v.booked_by, v.headcount, v.decided_by,
    v.decided_at, v.decision_note, v.cancelled_by, v.cancelled_at, v.cancel_reason,
    v.created_at, v.series_id, v.group_id, v.moved_from,
    (SELECT m.id FROM spaces.reservations m WHERE m.moved_from = v.id) AS moved_to
"""
_SELECT = f"""
    SELECT {_COLUMNS}
      FROM spaces.reservations v JOIN spaces.resources r ON r.id = v.resource_id
"""
_INSERT_VALUES = """
    INSERT INTO spaces.reservations (resource_id, during, title, headcount, series_id)
    VALUES (%(resource_id)s, tstzrange(%(start)s, %(end)s, '[)'), %(title)s, %(headcount)s,
            %(series_id)s)
"""
# A booking and the row it became, in one round trip.
_BOOK = f"""
    WITH v AS ({_INSERT_VALUES} RETURNING *)
    SELECT {_COLUMNS} FROM v JOIN spaces.resources r ON r.id = v.resource_id
"""

_TIMESTAMPS = ("start", "end", "decided_at", "cancelled_at", "created_at")


def _reservation(row: Any) -> Reservation:
    values = row._asdict()
    for key in _TIMESTAMPS:
        if values[key] is not None:
            values[key] = in_zone(values[key], values["timezone"])
    return Reservation(**values)


def obstacles_from(rows: Iterable[Any]) -> list[Obstacle]:
    """Obstacle records from rows shaped like spaces.obstacle plus the resource's timezone."""
    return [
        Obstacle(
            kind=row.kind,
            id=row.id,
            resource_id=row.resource_id,
            resource=row.resource_name,
            timezone=row.timezone,
            start=in_zone(row.during.lower, row.timezone),
            end=in_zone(row.during.upper, row.timezone),
            status=row.status,
            title=row.title,
            who=row.who,
            turnover_only=row.turnover_only,
        )
        for row in rows
    ]


def period_obstacles(
    conn: Connection,
    resource_id: int,
    start: datetime,
    end: datetime,
    *,
    for_blackout: bool = False,
    exclude_id: int | None = None,
) -> list[Obstacle]:
    """What the database says is in the way of a reservation (or, for_blackout, of a blackout:
    the active reservations it would collide with) on resource_id from start to end."""
    period = "tstzrange(%(start)s, %(end)s, '[)')"
    probe = (
        f"spaces.check_blackout_conflict(%(resource_id)s, {period})"
        if for_blackout
        else f"spaces.check_reservation_conflict(%(resource_id)s, {period}, %(exclude_id)s)"
    )
    rows = conn.execute(
        f"SELECT o.*, r.timezone FROM {probe} AS o JOIN spaces.resources r ON r.id = o.resource_id",
        {"resource_id": resource_id, "start": start, "end": end, "exclude_id": exclude_id},
    ).fetchall()
    return obstacles_from(rows)


def periods_obstacles(
    conn: Connection, resource_id: int, periods: Sequence[tuple[datetime, datetime]]
) -> list[list[Obstacle]]:
    """period_obstacles for each of many periods on one resource (a repeat's occurrences), in
    one statement: what is in the way of each, in the order given."""
    if not periods:
        return []
    rows = conn.execute(
        "SELECT p.n, o.*, r.timezone"
        "  FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[])"
        "       WITH ORDINALITY AS p (starts, ends, n)"
        " CROSS JOIN LATERAL spaces.check_reservation_conflict("
        "       %(resource_id)s, tstzrange(p.starts, p.ends, '[)')) AS o"
        "  JOIN spaces.resources r ON r.id = o.resource_id"
        " ORDER BY p.n",
        {
            "resource_id": resource_id,
            "starts": [start for start, _ in periods],
            "ends": [end for _, end in periods],
        },
    ).fetchall()
    found: list[list[Obstacle]] = [[] for _ in periods]
    for row in rows:
        found[row.n - 1].extend(obstacles_from([row]))
    return found


def check(
    db: Database, resource: str | int, start: Moment, end: Moment, exclude_id: int | None = None
) -> list[Obstacle]:
    """What stands in the way of booking resource from start to end; empty when it is free."""
    with domain_errors(), db.statements() as conn:
        target = find_resource(conn, resource)
        begins, ends = parse_period(start, end, target.timezone)
        return period_obstacles(conn, target.id, begins, ends, exclude_id=exclude_id)


def conflict_message(resource: str, obstacles: Sequence[Obstacle]) -> str:
    count = len(obstacles)
    return f"{resource} is not free: {count} thing{'s' if count != 1 else ''} in the way"


def book(
    db: Database,
    resource: str | int,
    start: Moment,
    end: Moment,
    title: str,
    headcount: int | None = None,
) -> Reservation:
    """Books resource; pending where it requires approval. Conflict lists what is in the way."""
    title = checked_title(title, headcount)
    return retrying_races(lambda: _insert(db, resource, start, end, title, headcount))


def checked_title(title: str, headcount: int | None) -> str:
    """The title, tidied; BadInput for an empty one or a headcount below 1."""
    title = (title or "").strip()
    if not title:
        raise BadInput("a booking needs a title")
    if headcount is not None and headcount < 1:
        raise BadInput("headcount must be at least 1")
    return title


def _booking(
    resource_id: int,
    start: datetime,
    end: datetime,
    title: str,
    headcount: int | None,
    series_id: int | None,
) -> dict[str, Any]:
    return {
        "resource_id": resource_id,
        "start": start,
        "end": end,
        "title": title,
        "headcount": headcount,
        "series_id": series_id,
    }


@dataclass(frozen=True)
class NewRow:
    """One reservation to insert: where and when, and the series or group it belongs to."""

    resource_id: int
    start: datetime
    end: datetime
    series_id: int | None = None
    group_id: int | None = None


def insert_rows(
    conn: Connection, rows: Sequence[NewRow], title: str, headcount: int | None
) -> None:
    """Inserts the rows in one statement (every rule fires for each): all of them, or, when
    one is refused, none."""
    conn.execute(
        "INSERT INTO spaces.reservations"
        "       (resource_id, during, title, headcount, series_id, group_id)"
        " SELECT p.resource_id, tstzrange(p.starts, p.ends, '[)'), %(title)s, %(headcount)s,"
        "        p.series_id, p.group_id"
        "   FROM unnest(%(resource_ids)s::bigint[], %(starts)s::timestamptz[],"
        "               %(ends)s::timestamptz[], %(series_ids)s::bigint[], %(group_ids)s::bigint[])"
        "        WITH ORDINALITY AS p (resource_id, starts, ends, series_id, group_id, n)"
        "  ORDER BY p.n",
        {
            "title": title,
            "headcount": headcount,
            "resource_ids": [row.resource_id for row in rows],
            "starts": [row.start for row in rows],
            "ends": [row.end for row in rows],
            "series_ids": [row.series_id for row in rows],
            "group_ids": [row.group_id for row in rows],
        },
    )


def insert_reservation(
    conn: Connection,
    resource_id: int,
    start: datetime,
    end: datetime,
    title: str,
    headcount: int | None = None,
    series_id: int | None = None,
) -> int:
    """Inserts one reservation (the database settles its status); returns its id."""
    return first_value(
        conn.execute(
            _INSERT_VALUES + " RETURNING id",
            _booking(resource_id, start, end, title, headcount, series_id),
        )
    )


def _insert(
    db: Database,
    resource: str | int,
    start: Moment,
    end: Moment,
    title: str,
    headcount: int | None,
) -> Reservation:
    # No check first: the constraint decides, and what is in the way is asked for only when it
    # refused. A check before the insert cost a round trip and the probe's work on every
    # booking, to say what the constraint's refusal is followed by anyway. One statement, so
    # no transaction around it: it is one, and a refused one has written nothing.
    with domain_errors(), db.statements() as conn:
        target = find_resource(conn, resource)
        begins, ends = parse_period(start, end, target.timezone)
        try:
            booked = conn.execute(_BOOK, _booking(target.id, begins, ends, title, headcount, None))
        except psycopg.errors.ExclusionViolation as refusal:
            # Asked now, the answer names what was in the way (a booking that won a race
            # included: it is committed by now). Nothing, if it has gone again since: then
            # the booking is simply tried again.
            obstacles = period_obstacles(conn, target.id, begins, ends)
            raise Conflict(
                conflict_message(target.name, obstacles), obstacles, retryable=not obstacles
            ) from refusal
        return _reservation(one_row(booked))


def _fetch(conn: Connection, reservation_id: int) -> Reservation:
    row = conn.execute(_SELECT + " WHERE v.id = %(id)s", {"id": reservation_id}).fetchone()
    if row is None:
        raise NotFound(f"no reservation with id {reservation_id}")
    return _reservation(row)


def get_reservation(db: Database, reservation_id: int) -> Reservation:
    with domain_errors(), db.transaction() as conn:
        return _fetch(conn, reservation_id)


def set_status(
    conn: Connection, reservation_ids: Sequence[int], status: str, note: str | None
) -> None:
    """Moves the reservations to status in the caller's transaction, through spaces.set_status:
    it takes the trees' turns before any row, and the database decides what is allowed."""
    conn.execute(
        "SELECT spaces.set_status(CAST(%(ids)s AS bigint[]), %(status)s, %(note)s)",
        {"ids": list(reservation_ids), "status": status, "note": note},
    )


def _decide(db: Database, reservation_id: int, status: str, note: str | None) -> Reservation:
    """Moves a reservation to status; the database decides whether that is allowed."""
    try:
        with domain_errors(), db.transaction() as conn:
            set_status(conn, [reservation_id], status, note)
            return _fetch(conn, reservation_id)
    except InvalidTransition:
        # Decided or cancelled already, most likely by someone else a moment ago: say so.
        raise InvalidTransition(what_happened(get_reservation(db, reservation_id))) from None


def what_happened(reservation: Reservation) -> str:
    """How a reservation came to be what it is now, for someone who tried to change it too:
    'reservation 12 was already rejected by sam at 2026-12-01 14:02: clashes with the get-in'."""
    if reservation.status == "cancelled":
        who, when, why = (
            reservation.cancelled_by,
            reservation.cancelled_at,
            reservation.cancel_reason,
        )
    else:
        who, when, why = reservation.decided_by, reservation.decided_at, reservation.decision_note
    verb = "approved" if reservation.status == "confirmed" and who else reservation.status
    told = f"reservation {reservation.id} was already {verb}"
    if who:
        told += f" by {who}"
    if when:
        told += f" at {format_moment(when)}"
    return told + (f": {why}" if why else "")


def _required(reason: str | None, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(f"{what} needs a reason")
    return reason


def approve(db: Database, reservation_id: int, note: str | None = None) -> Reservation:
    """Confirms a pending reservation; only the resource's approvers may."""
    return _decide(db, reservation_id, "confirmed", (note or "").strip() or None)


def reject(db: Database, reservation_id: int, reason: str) -> Reservation:
    """Rejects a pending reservation with a reason; only the resource's approvers may."""
    return _decide(db, reservation_id, "rejected", _required(reason, "rejecting a reservation"))


def cancel(db: Database, reservation_id: int, reason: str) -> Reservation:
    """Cancels a pending or confirmed reservation, freeing its slot."""
    return _decide(db, reservation_id, "cancelled", _required(reason, "cancelling a reservation"))


SEARCH_LIMIT = 200  # characters: words to look for, not a whole description pasted in


def words_hold(alias: str, *columns: str) -> str:
    """SQL: the title or booker (columns: which) of the booking aliased alias holds the LIKE
    pattern %(pattern)s, in any case. Spelled first with the expression of the trigram index of
    sql/018_planning.sql, which is what lets that index answer it without reading every booking;
    then each column alone, since the index's expression also holds text that runs from the end
    of a title into the booker's name ("call bob")."""
    each = " OR ".join(f"lower({alias}.{column}) LIKE lower(%(pattern)s)" for column in columns)
    words = f"lower({alias}.title || ' ' || {alias}.booked_by)"
    return f"{words} LIKE lower(%(pattern)s) AND ({each})"


# A booking found by its words or by its resource's name: two lists of ids, since one OR across
# the join would read every booking (measured: 200 ms against 8 ms at 200,000 bookings), where
# each list here has an index or a few rows to read (a venue's resources).
_SEARCHED = f"""v.id IN (
    SELECT w.id FROM spaces.reservations w WHERE {words_hold("w", "title", "booked_by")}
     UNION ALL
    SELECT w.id FROM spaces.reservations w JOIN spaces.resources n ON n.id = w.resource_id
     WHERE lower(n.name) LIKE lower(%(pattern)s))"""


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds text anywhere, as written: its % _ and \\ are escaped (\\ is
    LIKE's escape character), and spaces around it are dropped. BadInput for a blank or
    over-long text."""
    text = text.strip()
    if not text:
        raise BadInput("a search needs something to look for")
    if len(text) > SEARCH_LIMIT:
        raise BadInput(f"a search is at most {SEARCH_LIMIT} characters: {quoted(text)}")
    return "%" + re.sub(r"[\\%_]", lambda found: "\\" + found.group(), text) + "%"


def list_reservations(
    db: Database,
    *,
    resource: str | int | None = None,
    start: Moment | None = None,
    end: Moment | None = None,
    statuses: Sequence[str] = ACTIVE,
    zone: str = "UTC",
    search: str | None = None,
) -> list[Reservation]:
    """Reservations overlapping [start, end) (either may be open), oldest first. Naive times are
    read in the resource's zone when one resource is asked for, else in zone. search: only those
    whose title, booker or resource's name holds it, in any case."""
    unknown = set(statuses) - set(STATUSES)
    if unknown:
        raise BadInput(f"unknown status {', '.join(sorted(unknown))}: use {', '.join(STATUSES)}")
    clauses = ["v.status = ANY(%(statuses)s)"]
    params: dict[str, Any] = {"statuses": list(statuses)}
    if search is not None:
        clauses.append(_SEARCHED)
        params["pattern"] = like_pattern(search)
    with domain_errors(), db.transaction() as conn:
        if resource is not None:
            target = find_resource(conn, resource)
            zone = target.timezone
            clauses.append("v.resource_id = %(resource_id)s")
            params["resource_id"] = target.id
        window = time_window(start, end, zone)
        if window is not None:
            clauses.append("v.during && tstzrange(%(from)s, %(to)s, '[)')")
            params.update(window)
        return select_reservations(conn, " AND ".join(clauses), params)


def next_titled(
    db: Database, text: str, moment: datetime, *, backwards: bool = False
) -> Reservation | None:
    """Where a calendar's search goes past the view that ends at moment: the active booking on
    an active resource whose title holds text (any case) that starts first at or after moment;
    backwards (the view starts at moment), the one that starts last of those ending by then.
    None when there is none."""
    params: dict[str, Any] = {
        "statuses": list(ACTIVE),
        "pattern": like_pattern(text),
        "moment": moment,
    }
    where = f"v.status = ANY(%(statuses)s) AND r.active AND {words_hold('v', 'title')}"
    if backwards:
        where += " AND upper(v.during) <= %(moment)s ORDER BY lower(v.during) DESC, v.id DESC"
    else:
        where += " AND lower(v.during) >= %(moment)s ORDER BY lower(v.during), v.id"
    with domain_errors(), db.statements() as conn:
        row = conn.execute(_SELECT + " WHERE " + where + " LIMIT 1", params).fetchone()
    return None if row is None else _reservation(row)


def select_reservations(conn: Connection, where: str, params: dict[str, Any]) -> list[Reservation]:
    """Reservations (alias v, their resource r) matching where, by start time."""
    rows = conn.execute(
        _SELECT + " WHERE " + where + " ORDER BY lower(v.during), v.id", params
    ).fetchall()
    return [_reservation(row) for row in rows]


def time_window(start: Moment | None, end: Moment | None, zone: str) -> dict[str, Any] | None:
    """{"from", "to"} for a listing's --from/--to (either may be open), or None for no window."""
    if start is None and end is None:
        return None
    begins = parse_moment(start, zone, what="--from") if start is not None else None
    ends = None
    if end is not None:
        ends = (
            parse_end(end, begins, zone)
            if begins is not None
            else parse_moment(end, zone, what="--to")
        )
    if begins is not None and ends is not None and exact_length(begins, ends) <= timedelta(0):
        raise BadInput("the end of the window must be after its start")
    return {"from": begins, "to": ends}
