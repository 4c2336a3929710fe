"""Blackouts: maintenance, holds and breaks that no booking may cross."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spaces_tui.db.connection import Connection, Database, one_row
from spaces_tui.engine.errors import BadInput, Conflict, NotFound, domain_errors
from spaces_tui.engine.models import Blackout, Obstacle, Reservation
from spaces_tui.engine.reservations import period_obstacles, select_reservations, time_window
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import Moment, in_zone, parse_period

KINDS = ("maintenance", "hold", "break", "other")
STATUSES = ("active", "lifted")

_SELECT = """
    SELECT b.id, b.resource_id, r.name AS resource, r.timezone, lower(b.during) AS start,
           upper(b.during) AS "end", b.reason, b.kind, b.status, b.created_by, b.created_at,
           b.lifted_by, b.lifted_at
      FROM spaces.blackouts b JOIN spaces.resources r ON r.id = b.resource_id
"""

_TIMESTAMPS = ("start", "end", "created_at", "lifted_at")


def _blackout(row: Any) -> Blackout:
    values = row._asdict()
    for key in _TIMESTAMPS:
        if values[key] is not None:
            values[key] = in_zone(values[key], values["timezone"])
    return Blackout(**values)


def _fetch(conn: Connection, blackout_id: int) -> Blackout:
    row = conn.execute(_SELECT + " WHERE b.id = %(id)s", {"id": blackout_id}).fetchone()
    if row is None:
        raise NotFound(f"no blackout with id {blackout_id}")
    return _blackout(row)


def add_blackout(
    db: Database,
    resource: str | int,
    start: Moment,
    end: Moment,
    reason: str,
    *,
    kind: str = "maintenance",
    cancel_conflicting: bool = False,
) -> tuple[Blackout, list[Reservation]]:
    """Blacks resource out (and everything inside it). Over active bookings it raises Conflict
    listing them, unless cancel_conflicting: then they are cancelled with reason
    "blackout: <reason>" in the same transaction, and returned."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("a blackout needs a reason")
    if kind not in KINDS:
        raise BadInput(f"unknown blackout kind {kind!r}: use {', '.join(KINDS)}")
    with domain_errors(), db.transaction() as conn:
        target = find_resource(conn, resource)
        begins, ends = parse_period(start, end, target.timezone)
        obstacles = (
            []
            if cancel_conflicting
            else period_obstacles(conn, target.id, begins, ends, for_blackout=True)
        )
        if obstacles:
            raise Conflict(
                f"{target.name} has {len(obstacles)} active booking"
                f"{'s' if len(obstacles) != 1 else ''} in that time"
                " (cancel them with the blackout: --cancel-conflicting)",
                obstacles,
            )
        placed = one_row(
            conn.execute(
                "SELECT * FROM spaces.place_blackout(%(resource_id)s,"
                " tstzrange(%(start)s, %(end)s, '[)'), %(reason)s, %(kind)s, %(cancel)s)",
                {
                    "resource_id": target.id,
                    "start": begins,
                    "end": ends,
                    "reason": reason,
                    "kind": kind,
                    "cancel": cancel_conflicting,
                },
            )
        )
        blackout = _fetch(conn, placed.blackout_id)
        # What the database cancelled under the tree's turn, not what the check above saw: a
        # booking may have gone in, or been cancelled by someone else, in between.
        cancelled = select_reservations(conn, "v.id = ANY(%(ids)s)", {"ids": placed.cancelled})
    return blackout, cancelled


def in_the_way(db: Database, resource: str | int, start: Moment, end: Moment) -> list[Obstacle]:
    """The active bookings a blackout of resource from start to end would meet (its tree's
    included): what add_blackout refuses over, or with cancel_conflicting cancels."""
    with domain_errors(), db.transaction() as conn:
        target = find_resource(conn, resource)
        begins, ends = parse_period(start, end, target.timezone)
        return period_obstacles(conn, target.id, begins, ends, for_blackout=True)


def get_blackout(db: Database, blackout_id: int) -> Blackout:
    with domain_errors(), db.transaction() as conn:
        return _fetch(conn, blackout_id)


def lift_blackout(db: Database, blackout_id: int) -> Blackout:
    """Ends a blackout early; its time is bookable again."""
    with domain_errors(), db.transaction() as conn:
        conn.execute("SELECT spaces.lift_blackout(%(id)s)", {"id": blackout_id})
        return _fetch(conn, blackout_id)


def list_blackouts(
    db: Database,
    *,
    resource: str | int | None = None,
    statuses: Sequence[str] = ("active",),
    kinds: Sequence[str] = KINDS,
    start: Moment | None = None,
    end: Moment | None = None,
    zone: str = "UTC",
) -> list[Blackout]:
    """Blackouts by start time, overlapping [start, end) when given (naive times in the
    resource's zone when one is asked for, else in zone)."""
    unknown = set(statuses) - set(STATUSES)
    if unknown:
        raise BadInput(
            f"unknown blackout status {', '.join(sorted(unknown))}: use active or lifted"
        )
    strange = set(kinds) - set(KINDS)
    if strange:
        raise BadInput(
            f"unknown blackout kind {', '.join(sorted(strange))}: use {', '.join(KINDS)}"
        )
    with domain_errors(), db.transaction() as conn:
        clauses = ["b.status = ANY(%(statuses)s)", "b.kind = ANY(%(kinds)s)"]
        params: dict[str, Any] = {"statuses": list(statuses), "kinds": list(kinds)}
        if resource is not None:
            target = find_resource(conn, resource)
            zone = target.timezone
            clauses.append("b.resource_id = %(resource_id)s")
            params["resource_id"] = target.id
        window = time_window(start, end, zone)
        if window is not None:
            clauses.append("b.during && tstzrange(%(from)s, %(to)s, '[)')")
            params.update(window)
        return select_blackouts(conn, " AND ".join(clauses), params)


def select_blackouts(conn: Connection, where: str, params: dict[str, Any]) -> list[Blackout]:
    """Blackouts (alias b, their resource r) matching where, by start time."""
    rows = conn.execute(
        _SELECT + " WHERE " + where + " ORDER BY lower(b.during), b.id", params
    ).fetchall()
    return [_blackout(row) for row in rows]
