"""The rehearse module's sessions, through its own SQL functions (sql/010_rehearse.sql): a
session and its room's reservation are made and cancelled together, and a session whose
reservation Spaces cancelled is flagged by the database itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pendulum
from sqlalchemy import Connection, text

from spaces_tui.db.connection import Database
from spaces_tui.engine.errors import BadInput, Conflict, NotFound, domain_errors
from spaces_tui.engine.reservations import conflict_message, period_obstacles, retrying_races
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import Moment, in_zone, parse_period

STATUSES = ("scheduled", "cancelled", "flagged")


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
    values = dict(row._mapping)
    values["start"] = in_zone(values["start"], values["timezone"])
    values["end"] = in_zone(values["end"], values["timezone"])
    return Session(**values)


def _fetch(conn: Connection, session_id: int) -> Session:
    row = conn.execute(text(_SELECT + " WHERE s.id = :id"), {"id": session_id}).first()
    if row is None:
        raise NotFound(f"no rehearsal session with id {session_id}")
    return _session(row)


def add_session(db: Database, room: str | int, start: Moment, end: Moment, title: str) -> Session:
    """Books room for a new session, both in one transaction; Conflict names what is in the
    way, and then neither exists."""
    title = (title or "").strip()
    if not title:
        raise BadInput("a rehearsal session needs a title")

    def attempt() -> Session:
        with domain_errors(), db.transaction() as conn:
            target = find_resource(conn, room)
            begins, ends = parse_period(start, end, target.timezone)
            obstacles = period_obstacles(conn, target.id, begins, ends)
            if obstacles:
                raise Conflict(conflict_message(target.name, obstacles), obstacles)
            session_id = conn.execute(
                text(
                    "SELECT rehearse.create_session(:title, :room_id,"
                    " tstzrange(:start, :end, '[)'))"
                ),
                {"title": title, "room_id": target.id, "start": begins, "end": ends},
            ).scalar_one()
            return _fetch(conn, session_id)

    return retrying_races(attempt)


def cancel_session(db: Database, session_id: int, reason: str) -> Session:
    """Cancels the session and releases its room."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("cancelling a rehearsal session needs a reason")
    with domain_errors(), db.transaction() as conn:
        conn.execute(
            text("SELECT rehearse.cancel_session(:id, :reason)"),
            {"id": session_id, "reason": reason},
        )
        return _fetch(conn, session_id)


def list_sessions(db: Database, *, flagged_only: bool = False) -> list[Session]:
    """Sessions by start time; flagged_only: those whose room Spaces took away."""
    where = " WHERE s.status = 'flagged'" if flagged_only else ""
    with domain_errors(), db.transaction() as conn:
        rows = conn.execute(text(_SELECT + where + " ORDER BY lower(v.during), s.id")).all()
    return [_session(row) for row in rows]


def session_marks(conn: Connection, reservation_ids: list[int]) -> dict[int, str]:
    """For the calendar: which of these reservations belong to a session, and its status."""
    rows = conn.execute(
        text(
            "SELECT reservation_id, status FROM rehearse.sessions WHERE reservation_id = ANY(:ids)"
        ),
        {"ids": reservation_ids},
    )
    return {row.reservation_id: row.status for row in rows}
