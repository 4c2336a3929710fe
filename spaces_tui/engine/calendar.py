"""What a calendar shows for a stretch of time: every resource in tree order, and the active
reservations and blackouts in that window, read from one snapshot of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from spaces_tui.db.connection import Database
from spaces_tui.engine.blackouts import select_blackouts
from spaces_tui.engine.errors import BadInput, domain_errors
from spaces_tui.engine.models import Blackout, Reservation, Resource
from spaces_tui.engine.rehearse import session_marks
from spaces_tui.engine.reservations import ACTIVE, select_reservations
from spaces_tui.engine.resources import resource_tree


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    resources: list[Resource]
    reservations: list[Reservation]
    blackouts: list[Blackout]
    # Reservations that are a rehearsal session's room: reservation id -> session status.
    sessions: dict[int, str] = field(default_factory=dict)


def load_window(db: Database, start: datetime, end: datetime) -> Window:
    """Active resources, and the active reservations and blackouts overlapping [start, end)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise BadInput("a calendar window needs times with a zone")
    if end <= start:
        raise BadInput("the end of the window must be after its start")
    params = {"from": start, "to": end, "statuses": list(ACTIVE)}
    overlaps = "during && tstzrange(%(from)s, %(to)s, '[)')"
    with domain_errors(), db.snapshot() as conn:
        reservations = select_reservations(
            conn, f"v.status = ANY(%(statuses)s) AND v.{overlaps}", params
        )
        return Window(
            start=start,
            end=end,
            resources=resource_tree(conn, include_inactive=False),
            reservations=reservations,
            blackouts=select_blackouts(conn, f"b.status = 'active' AND b.{overlaps}", params),
            sessions=session_marks(conn, [r.id for r in reservations]),
        )
