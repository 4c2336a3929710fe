"""iCalendar out (RFC 5545): reservations, and blackouts when asked, as one VCALENDAR that khal,
calcurse, Thunderbird and any other client can import or subscribe to.

The text is icalendar's, not ours: folding, escaping and the VTIMEZONE rules are where
hand-written exports go wrong. What this module decides is what each field means:

- UID is reservation-<id>@<the database's own id> (spaces.instance), so the same booking has the
  same UID in every export and a client updates it instead of adding a copy, while another Spaces
  database's reservation #42 stays a different event.
- SEQUENCE counts the booking's events after its creation and LAST-MODIFIED is its newest
  event's time: events are never deleted, so both only grow, and a client takes a re-export
  after an approval or a cancellation as the newer version.
- Times carry the resource's own zone (TZID, with its VTIMEZONE), so a client shows 09:00 on the
  venue's clock whatever its own zone, DST days included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pendulum
from icalendar import Calendar, Event, Timezone, vCalAddress

from spaces_tui.db.connection import Connection, Database, first_value
from spaces_tui.engine.errors import BadInput, domain_errors
from spaces_tui.engine.models import ACTIVE
from spaces_tui.engine.reservations import STATUSES, time_window
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import Moment

# The default window: what a calendar client needs to show the recent past and what is coming.
DEFAULT_BEFORE = timedelta(days=30)
DEFAULT_AFTER = timedelta(days=365)

PRODID = "-//Spaces TUI//spaces export ical//EN"

# pending holds the slot but may still be refused: a client's "tentative" says exactly that.
# A rejected request never held the slot; to a calendar that once showed it, it is gone.
ICAL_STATUS = {
    "pending": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
}

# One query each, whatever the number of rows: each row's event count is a lateral probe of the
# events by reservation_id or blackout_id (both indexed), never a query per booking.
_RESERVATIONS = """
    SELECT v.id, lower(v.during) AS start, upper(v.during) AS "end", v.status, v.title,
           v.booked_by, v.headcount, v.decided_by, v.decided_at, v.decision_note,
           v.cancelled_by, v.cancel_reason, v.created_at, v.series_id, v.group_id,
           r.name AS resource, r.kind, r.timezone, p.name AS stage,
           coalesce(e.changes, 0) AS changes, coalesce(e.modified, v.created_at) AS modified
      FROM spaces.reservations v
      JOIN spaces.resources r ON r.id = v.resource_id
      LEFT JOIN spaces.resources p ON p.id = r.parent_id
      LEFT JOIN LATERAL (
          SELECT count(*) FILTER (WHERE e.topic <> 'spaces.reservation.created') AS changes,
                 max(e.created_at) AS modified
            FROM spaces.events e WHERE e.reservation_id = v.id
      ) e ON true
     WHERE {where}
     ORDER BY lower(v.during), v.id
"""
_BLACKOUTS = """
    SELECT b.id, lower(b.during) AS start, upper(b.during) AS "end", b.status, b.reason,
           b.kind AS blackout_kind, b.created_by, b.created_at, b.lifted_by,
           r.name AS resource, r.kind, r.timezone, p.name AS stage,
           coalesce(e.changes, 0) AS changes, coalesce(e.modified, b.created_at) AS modified
      FROM spaces.blackouts b
      JOIN spaces.resources r ON r.id = b.resource_id
      LEFT JOIN spaces.resources p ON p.id = r.parent_id
      LEFT JOIN LATERAL (
          SELECT count(*) FILTER (WHERE e.topic <> 'spaces.blackout.created') AS changes,
                 max(e.created_at) AS modified
            FROM spaces.events e WHERE e.blackout_id = b.id
      ) e ON true
     WHERE {where}
     ORDER BY lower(b.during), b.id
"""


@dataclass(frozen=True)
class IcalExport:
    data: bytes  # the .ics file, CRLF lines as RFC 5545 wants
    reservations: int
    blackouts: int


def export_ical(
    db: Database,
    *,
    resources: Sequence[str | int] = (),
    kind: str | None = None,
    under: str | int | None = None,
    booked_by: str | None = None,
    start: Moment | None = None,
    end: Moment | None = None,
    statuses: Sequence[str] = ACTIVE,
    blackouts: bool = False,
    zone: str = "UTC",
    now: datetime | None = None,
) -> IcalExport:
    """The reservations matching every filter given (and, with blackouts, the blackouts on the
    same resources: active ones, lifted ones too when cancelled is among statuses) overlapping
    [start, end), as an iCalendar file. Naive times are read in the only resource's zone when
    one is named, else in zone. Without start and end: from 30 days ago to a year from now."""
    unknown = set(statuses) - set(STATUSES)
    if unknown:
        raise BadInput(f"unknown status {', '.join(sorted(unknown))}: use {', '.join(STATUSES)}")
    with domain_errors(), db.transaction() as conn:
        resource_ids = [find_resource(conn, ref).id for ref in resources]
        if len(resources) == 1:
            zone = find_resource(conn, resources[0]).timezone
        common, params = _resource_filter(conn, resource_ids, kind, under)
        window = _window(start, end, zone, now)
        params.update(window)
        period = "{alias}.during && tstzrange(%(from)s, %(to)s, '[)')"
        booked = [*common, period.format(alias="v"), "v.status = ANY(%(statuses)s)"]
        params["statuses"] = list(statuses)
        if booked_by is not None:
            booked.append("v.booked_by = %(booked_by)s")
            params["booked_by"] = booked_by
        instance = str(first_value(conn.execute("SELECT id FROM spaces.instance")))
        booking_rows = conn.execute(
            _RESERVATIONS.format(where=" AND ".join(booked)), params
        ).fetchall()
        blackout_rows: list[Any] = []
        if blackouts:  # blackouts block every booker's bookings: --booked-by does not apply
            blackout_statuses = (["active"] if set(statuses) & set(ACTIVE) else []) + (
                ["lifted"] if "cancelled" in statuses else []
            )
            params["blackout_statuses"] = blackout_statuses
            where = [*common, period.format(alias="b"), "b.status = ANY(%(blackout_statuses)s)"]
            query = _BLACKOUTS.format(where=" AND ".join(where))
            blackout_rows = conn.execute(query, params).fetchall()
    calendar = _calendar()
    for row in booking_rows:
        calendar.add_component(_booking_event(row, instance))
    for row in blackout_rows:
        calendar.add_component(_blackout_event(row, instance))
    _add_zones(calendar, [*booking_rows, *blackout_rows])
    return IcalExport(calendar.to_ical(), len(booking_rows), len(blackout_rows))


def _resource_filter(
    conn: Connection, resource_ids: list[int], kind: str | None, under: str | int | None
) -> tuple[list[str], dict[str, Any]]:
    """WHERE clauses on the resource r, shared by reservations and blackouts."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if resource_ids:
        clauses.append("r.id = ANY(%(resource_ids)s)")
        params["resource_ids"] = resource_ids
    if kind is not None:
        clauses.append("r.kind = %(kind)s")
        params["kind"] = kind.strip()
    if under is not None:
        clauses.append("r.id IN (SELECT resource_id FROM spaces.resource_subtree(%(under)s))")
        params["under"] = find_resource(conn, under).id
    return clauses, params


def _window(
    start: Moment | None, end: Moment | None, zone: str, now: datetime | None
) -> dict[str, Any]:
    """{"from", "to"} of --from and --to, with their defaults: from 30 days ago to a year from
    now; --from alone: a year from it (from now when it is past); --to alone, already before 30
    days ago: the year before it."""
    now = now or pendulum.now("UTC")
    if start is None and end is None:
        return {"from": now - DEFAULT_BEFORE, "to": now + DEFAULT_AFTER}
    if start is None:
        ends = time_window(None, end, zone)["to"]  # type: ignore[index]
        recent = now - DEFAULT_BEFORE
        return {"from": recent if ends > recent else ends - DEFAULT_AFTER, "to": ends}
    window = time_window(start, end, zone)
    assert window is not None  # start was given
    if window["to"] is None:
        window["to"] = max(window["from"], now) + DEFAULT_AFTER
    return window


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Spaces")
    return calendar


def _local(moment: datetime, zone: str) -> datetime:
    """moment on the resource's clock, with a tzinfo whose key icalendar writes as TZID."""
    return moment.astimezone(ZoneInfo(zone))


def _where(row: Any) -> str:
    return f"{row.resource}, {row.stage}" if row.stage else row.resource


def _person(name: str) -> vCalAddress:
    """Spaces knows people by name, not by address: an ORGANIZER needs a URI, so the name goes
    into a urn that no client will try to mail, and into CN, which clients show."""
    address = vCalAddress(f"urn:spaces:person:{quote(name, safe='')}")
    address.params["CN"] = name
    return address


def _common(event: Event, row: Any, uid: str) -> None:
    event.add("uid", uid)
    event.add("dtstart", _local(row.start, row.timezone))
    event.add("dtend", _local(row.end, row.timezone))
    # DTSTAMP is the last change, not the export's clock, so exporting the same data twice gives
    # the same bytes (a subscribed client sees nothing new when nothing is).
    event.add("dtstamp", row.modified)
    event.add("created", row.created_at)
    event.add("last-modified", row.modified)
    event.add("sequence", row.changes)
    event.add("location", _where(row))
    event.add("categories", [row.kind])


def _booking_event(row: Any, instance: str) -> Event:
    event = Event()
    _common(event, row, f"reservation-{row.id}@{instance}")
    event.add("summary", row.title)
    event.add("status", ICAL_STATUS[row.status])
    # No TRANSP: OPAQUE is a VEVENT's default, so a pending request already shows as busy.
    event.add("organizer", _person(row.booked_by))
    event.add("x-spaces-status", row.status)
    event.add("x-spaces-booked-by", row.booked_by)
    if row.decided_by is not None:
        event.add("x-spaces-decided-by", row.decided_by)
    if row.cancelled_by is not None:
        event.add("x-spaces-cancelled-by", row.cancelled_by)
    if row.series_id is not None:
        event.add("related-to", f"series-{row.series_id}@{instance}", {"RELTYPE": "PARENT"})
    if row.group_id is not None:
        event.add("related-to", f"group-{row.group_id}@{instance}", {"RELTYPE": "PARENT"})
    event.add("description", _description(row))
    return event


def _description(row: Any) -> str:
    """What a person reading the event in any client wants to know, in words."""
    lines = [f"{row.status.capitalize()} reservation #{row.id}, booked by {row.booked_by}."]
    if row.headcount is not None:
        lines.append(f"Headcount: {row.headcount}.")
    if row.decided_by is not None:
        lines.append(f"{row.status.capitalize()} by {row.decided_by}.")
    if row.decision_note:
        lines.append(f"Note: {row.decision_note}")
    if row.cancelled_by is not None:
        lines.append(f"Cancelled by {row.cancelled_by}: {row.cancel_reason}")
    return "\n".join(lines)


def _blackout_event(row: Any, instance: str) -> Event:
    event = Event()
    _common(event, row, f"blackout-{row.id}@{instance}")
    event.add("summary", f"Blackout ({row.blackout_kind}): {row.reason}")
    event.add("status", "CONFIRMED" if row.status == "active" else "CANCELLED")
    event.add("organizer", _person(row.created_by))
    event.add("x-spaces-status", row.status)
    if row.lifted_by is not None:
        event.add("x-spaces-lifted-by", row.lifted_by)
    return event


def _add_zones(calendar: Calendar, rows: Sequence[Any]) -> None:
    """A VTIMEZONE for each zone used, from icalendar's own tables, covering only the exported
    span (a year's rules, not a zone's whole history), before the events that use them. The
    zones are known from the rows: Calendar.add_missing_timezones would find them by walking
    every event's properties again, a tenth of a big export's time."""
    zones = sorted({row.timezone for row in rows} - {"UTC"})  # UTC is written as Z: no VTIMEZONE
    if not zones:
        return
    first = min(row.start for row in rows).date() - timedelta(days=1)
    last = max(row.end for row in rows).date() + timedelta(days=1)
    calendar.subcomponents[:0] = [
        Timezone.from_tzid(zone, first_date=first, last_date=last) for zone in zones
    ]
