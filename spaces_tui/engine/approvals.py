"""The approval workflow around the database's rules: what waits for a decision and for how
long, deciding many requests at once, and a reservation's recorded life.

Who may approve, reject and cancel is decided by the database (sql/rules/reservations.sql and
series.sql); this module gathers what a person needs to decide well and reports each refusal
separately.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pendulum

from spaces_tui.db.connection import Connection, Database, first_value
from spaces_tui.engine import events, series
from spaces_tui.engine.errors import BadInput, SpacesError, domain_errors
from spaces_tui.engine.insights import Asked, risks_of
from spaces_tui.engine.models import Event, Reservation, Risk
from spaces_tui.engine.reservations import approve, get_reservation, reject, select_reservations
from spaces_tui.engine.times import in_zone

SORTS = ("oldest", "resource", "start")
# What the queue leaves out of a request's risks: its approvers' own backlog is what they are
# looking at (and each request's wait is shown beside it).
_APPROVERS_OWN = frozenset({"approval_delay"})


@dataclass(frozen=True)
class Request:
    """A pending reservation as an approver sees it."""

    reservation: Reservation
    approvers: tuple[str, ...]
    waited: timedelta  # since it was made, by the clock asked with
    stall_after: timedelta  # the resource's threshold
    may_decide: bool  # the asking actor is one of its approvers
    risks: tuple[Risk, ...]  # what to look at before approving (engine/insights.py)
    moved_from: str | None = None  # where and when it was before a move: "Tue 1 Dec 10:00"

    @property
    def stalled(self) -> bool:
        return self.waited > self.stall_after


@dataclass(frozen=True)
class SeriesRequest:
    """The pending occurrences of one recurring booking, shown and decided as one request. A
    series never leaves its resource (sql/rules/series.sql), so they share approvers and stall
    threshold."""

    series_id: int
    occurrences: tuple[Request, ...]  # by start, at least two

    @property
    def reservation(self) -> Reservation:
        """The first pending occurrence: it stands for the series in lists and sorting."""
        return self.occurrences[0].reservation

    @property
    def approvers(self) -> tuple[str, ...]:
        return self.occurrences[0].approvers

    @property
    def stall_after(self) -> timedelta:
        return self.occurrences[0].stall_after

    @property
    def may_decide(self) -> bool:
        return self.occurrences[0].may_decide

    @property
    def waited(self) -> timedelta:
        return max(occurrence.waited for occurrence in self.occurrences)

    @property
    def stalled(self) -> bool:
        return any(occurrence.stalled for occurrence in self.occurrences)

    @property
    def risks(self) -> tuple[Risk, ...]:
        """A risk every occurrence shares (no approver) once; the others with their date."""
        shared = set.intersection(*(set(o.risks) for o in self.occurrences))
        dated = [
            replace(risk, message=f"{o.reservation.start.format('ddd D MMM')}: {risk.message}")
            for o in self.occurrences
            for risk in o.risks
            if risk not in shared
        ]
        return (*(r for r in self.occurrences[0].risks if r in shared), *dated)


QueueItem = Request | SeriesRequest


def group_series(requests: Iterable[Request]) -> list[QueueItem]:
    """The requests with the pending occurrences of each series gathered into one
    SeriesRequest, where the series' first listed occurrence was; a series with only one
    occurrence still pending stays a plain request."""
    members: dict[tuple[str, int], list[Request]] = {}
    for request in requests:
        series_id = request.reservation.series_id
        key = ("one", request.reservation.id) if series_id is None else ("series", series_id)
        members.setdefault(key, []).append(request)
    return [
        group[0]
        if len(group) == 1
        else SeriesRequest(number, tuple(sorted(group, key=lambda r: r.reservation.start)))
        for (_kind, number), group in members.items()
    ]


@dataclass(frozen=True)
class Outcome:
    """What happened to one request of a bulk decision: what it decided, or why not."""

    reservation_id: int
    decided: tuple[Reservation, ...] = ()
    error: SpacesError | None = None


_CONTEXT = """
    SELECT v.id, r.approvers, r.stall_after, lower(o.during) AS moved_from_start,
           nullif(was.name, r.name) AS moved_from_resource
      FROM spaces.reservations v JOIN spaces.resources r ON r.id = v.resource_id
      LEFT JOIN spaces.reservations o ON o.id = v.moved_from
      LEFT JOIN spaces.resources was ON was.id = o.resource_id
     WHERE v.status = 'pending'
"""


def pending_requests(
    db: Database,
    *,
    now: datetime | None = None,
    mine_only: bool = False,
    requested_only: bool = False,
    stalled_only: bool = False,
    older_than: timedelta | None = None,
    sort: str = "oldest",
) -> list[Request]:
    """Pending reservations with how long each has waited (as of now), whether the actor may
    decide it, and what is worth a look. mine_only: those db.actor may approve;
    requested_only: those db.actor asked for (booked), still waiting for someone else."""
    if sort not in SORTS:
        raise BadInput(f"unknown order {sort!r}: use {', '.join(SORTS)}")
    moment = now or pendulum.now("UTC")
    with domain_errors(), db.snapshot() as conn:
        requests = _requests(conn, db.actor, moment)
    chosen = [
        request
        for request in requests
        if (request.may_decide or not mine_only)
        and (request.reservation.booked_by == db.actor or not requested_only)
        and (request.stalled or not stalled_only)
        and (older_than is None or request.waited >= older_than)
    ]
    return sorted(chosen, key=_ORDER[sort])


_ORDER: dict[str, Callable[[Request], Any]] = {
    "oldest": lambda request: (request.reservation.created_at, request.reservation.id),
    "resource": lambda request: (request.reservation.resource, request.reservation.start),
    "start": lambda request: (request.reservation.start, request.reservation.id),
}


def _requests(conn: Connection, actor: str, now: datetime) -> list[Request]:
    pending = select_reservations(conn, "v.status = 'pending'", {})
    context = {row.id: row for row in conn.execute(_CONTEXT)}
    found = risks_of(conn, [Asked.booked(reservation) for reservation in pending], now)
    requests = []
    for reservation, risks in zip(pending, found, strict=True):
        row = context[reservation.id]
        approvers = tuple(row.approvers)
        requests.append(
            Request(
                reservation=reservation,
                approvers=approvers,
                waited=now - reservation.created_at,
                stall_after=row.stall_after,
                may_decide=actor in approvers,
                risks=tuple(risk for risk in risks if risk.kind not in _APPROVERS_OWN),
                moved_from=_moved_from(row, reservation.timezone),
            )
        )
    return requests


def _moved_from(row: Any, zone: str) -> str | None:
    """Where a moved request was before, for an approver deciding it again: "moved from Tue 1
    Dec 10:00" (on its resource then, when that was another)."""
    if row.moved_from_start is None:
        return None
    said = f"moved from {in_zone(row.moved_from_start, zone).format('ddd D MMM HH:mm')}"
    return said + (f" on {row.moved_from_resource}" if row.moved_from_resource else "")


def decide_many(
    db: Database,
    reservation_ids: Iterable[int],
    decision: str,
    note: str | None = None,
    *,
    whole_series: Collection[int] = (),
) -> list[Outcome]:
    """Approves or rejects each reservation in its own transaction, so one refusal (decided
    elsewhere meanwhile, not an approver) does not undo the others. A rejection needs a note.
    An id in whole_series stands for every pending occurrence of its series: those are decided
    together, in one transaction, all or none."""
    if decision not in ("approve", "reject"):
        raise BadInput(f"a decision is approve or reject, not {decision!r}")
    if decision == "reject" and not (note or "").strip():
        raise BadInput("rejecting a reservation needs a reason")
    outcomes = []
    for reservation_id in dict.fromkeys(reservation_ids):
        try:
            decided = _decide(db, reservation_id, decision, note, reservation_id in whole_series)
            outcomes.append(Outcome(reservation_id, decided=decided))
        except SpacesError as error:
            outcomes.append(Outcome(reservation_id, error=error))
    return outcomes


def _decide(
    db: Database, reservation_id: int, decision: str, note: str | None, whole_series: bool
) -> tuple[Reservation, ...]:
    if whole_series:
        status = "confirmed" if decision == "approve" else "rejected"
        return tuple(series.change_series(db, reservation_id, status, note, scope="series"))
    if decision == "approve":
        return (approve(db, reservation_id, note),)
    return (reject(db, reservation_id, note or ""),)


def awaiting_count(db: Database) -> int:
    """How many requests db.actor may decide, a series' pending occurrences counted once (as
    group_series lists them): one count query, for a screen that shows only the number."""
    query = """
        SELECT count(DISTINCT coalesce('series ' || v.series_id, 'one ' || v.id))
          FROM spaces.reservations v JOIN spaces.resources r ON r.id = v.resource_id
         WHERE v.status = 'pending' AND %(actor)s = ANY(r.approvers)
    """
    with domain_errors(), db.snapshot() as conn:
        return first_value(conn.execute(query, {"actor": db.actor}))


def life(db: Database, reservation_id: int) -> tuple[Reservation, list[Event]]:
    """A reservation and everything that happened to it, oldest first, from the event log."""
    return get_reservation(db, reservation_id), events.history(db, reservation_id=reservation_id)


def describe_event(event: Event) -> str:
    """One line of a reservation's life: 'approved by sam: fine by me'."""
    what = event.topic.rsplit(".", 1)[-1]
    status = event.payload.get("status")
    if what == "created" and status:
        what = f"created ({status})"
    if event.payload.get("moved_from"):
        what += f" in place of #{event.payload['moved_from']}"
    if what == "released":
        what = f"rejected, releasing its group's other rows ({len(event.payload['released'])})"
    note = event.payload.get("note")
    return f"{what} by {event.actor}" + (f": {note}" if note else "")
