"""The rehearse module's sessions, through its own SQL functions (sql/rules/rehearse.sql): a
session and its room's reservation are made and cancelled together, and a session whose
reservation Spaces cancelled is flagged by the database itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum

from spaces_tui.db.connection import Connection, Database, first_value
from spaces_tui.engine.errors import BadInput, Conflict, NotFound, domain_errors, retrying_races
from spaces_tui.engine.models import Resource
from spaces_tui.engine.reservations import conflict_message, period_obstacles
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import Moment, format_period, in_zone, parse_period

STATUSES = ("scheduled", "cancelled", "flagged")
# Which sessions a list shows. open: what needs attention or is still to come (flagged ones
# first, whenever they were); flagged: those whose room Spaces took away; all: every one.
VIEWS = ("open", "flagged", "all")
_VIEW_WHERE = {
    "open": "s.status = 'flagged' OR (s.status = 'scheduled' AND upper(v.during) > %(now)s)",
    "flagged": "s.status = 'flagged'",
    "all": "true",
}
_VIEW_ORDER = {
    "open": "s.status <> 'flagged', lower(v.during), s.id",
    "flagged": "lower(v.during), s.id",
    "all": "lower(v.during), s.id",
}


@dataclass(frozen=True)
class Session:
    id: int
    title: str
    room_id: int
    room: str
    timezone: str
    reservation_id: int
    start: pendulum.DateTime  # the reservation's time: a session has no other
    end: pendulum.DateTime
    status: str
    flag_reason: str | None
    reservation_status: str
    created_by: str


_SELECT = """
    SELECT s.id, s.title, s.room_id, r.name AS room, r.timezone, s.reservation_id,
           lower(v.during) AS start, upper(v.during) AS "end", s.status, s.flag_reason,
           v.status AS reservation_status, s.created_by
      FROM rehearse.sessions s
      JOIN spaces.reservations v ON v.id = s.reservation_id
      JOIN spaces.resources r ON r.id = s.room_id
"""


def _session(row: Any) -> Session:
    values = row._asdict()
    values["start"] = in_zone(values["start"], values["timezone"])
    values["end"] = in_zone(values["end"], values["timezone"])
    return Session(**values)


def _fetch(conn: Connection, session_id: int) -> Session:
    row = conn.execute(_SELECT + " WHERE s.id = %(id)s", {"id": session_id}).fetchone()
    if row is None:
        raise NotFound(f"no rehearsal session with id {session_id}")
    return _session(row)


def add_session(db: Database, room: str | int, start: Moment, end: Moment, title: str) -> Session:
    """Books room for a new session, both in one transaction; Conflict names what is in the
    way, and then neither exists."""
    title = _checked(title, "a rehearsal session needs a title")

    def attempt() -> Session:
        with domain_errors(), db.transaction() as conn:
            target, begins, ends = _place(conn, room, start, end)
            return _fetch(conn, _create(conn, target, begins, ends, title))

    return retrying_races(attempt)


def replace_session(
    db: Database,
    session_id: int,
    start: Moment,
    end: Moment,
    *,
    room: str | int | None = None,
    title: str | None = None,
) -> Session:
    """Cancels the session (releasing its room, if Spaces has not already taken it: a flagged
    session) and schedules its replacement, in the same room and under the same title unless
    told otherwise, in one transaction: both or neither. The old one's reason says when the
    new one is."""
    if title is not None:
        title = _checked(title, "a rehearsal session needs a title")

    def attempt() -> Session:
        with domain_errors(), db.transaction() as conn:
            old = _fetch(conn, session_id)
            target, begins, ends = _place(conn, room or old.room_id, start, end)
            _cancel(conn, session_id, f"rebooked: {target.name}, {format_period(begins, ends)}")
            return _fetch(conn, _create(conn, target, begins, ends, title or old.title))

    return retrying_races(attempt)


def _place(
    conn: Connection, room: str | int, start: Moment, end: Moment
) -> tuple[Resource, pendulum.DateTime, pendulum.DateTime]:
    """The room and the period, read on the room's wall clock."""
    target = find_resource(conn, room)
    begins, ends = parse_period(start, end, target.timezone)
    return target, begins, ends


def _create(
    conn: Connection, target: Resource, begins: datetime, ends: datetime, title: str
) -> int:
    """Books the room for a new session; Conflict names what is in the way."""
    obstacles = period_obstacles(conn, target.id, begins, ends)
    if obstacles:
        raise Conflict(conflict_message(target.name, obstacles), obstacles)
    return first_value(
        conn.execute(
            "SELECT rehearse.create_session(%(title)s, %(room_id)s,"
            " tstzrange(%(start)s, %(end)s, '[)'))",
            {"title": title, "room_id": target.id, "start": begins, "end": ends},
        )
    )


def cancel_session(db: Database, session_id: int, reason: str) -> Session:
    """Cancels the session and releases its room; a flagged session is closed (Spaces has
    released its room already)."""
    reason = _checked(reason, "cancelling a rehearsal session needs a reason")
    with domain_errors(), db.transaction() as conn:
        _cancel(conn, session_id, reason)
        return _fetch(conn, session_id)


def _cancel(conn: Connection, session_id: int, reason: str) -> None:
    conn.execute(
        "SELECT rehearse.cancel_session(%(id)s, %(reason)s)", {"id": session_id, "reason": reason}
    )


def _checked(value: str, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise BadInput(missing)
    return value


def list_sessions(db: Database, *, view: str = "all", now: datetime | None = None) -> list[Session]:
    """Sessions in a view (VIEWS) by start time; open ones as of now (default: the database's
    clock)."""
    if view not in VIEWS:
        raise BadInput(f"unknown view {view!r}: use {', '.join(VIEWS)}")
    query = f"{_SELECT} WHERE {_VIEW_WHERE[view]} ORDER BY {_VIEW_ORDER[view]}"
    with domain_errors(), db.snapshot() as conn:
        moment = now or first_value(conn.execute("SELECT now()"))
        rows = conn.execute(query, {"now": moment}).fetchall()
    return [_session(row) for row in rows]


def count_flagged(db: Database) -> int:
    """How many sessions lost their room to Spaces and wait for someone to act."""
    with domain_errors(), db.snapshot() as conn:
        query = "SELECT count(*) FROM rehearse.sessions WHERE status = 'flagged'"
        return first_value(conn.execute(query))


def session_marks(conn: Connection, reservation_ids: list[int]) -> dict[int, str]:
    """For the calendar: which of these reservations belong to a session, and its status."""
    rows = conn.execute(
        "SELECT reservation_id, status FROM rehearse.sessions WHERE reservation_id = ANY(%(ids)s)",
        {"ids": reservation_ids},
    )
    return {row.reservation_id: row.status for row in rows}
