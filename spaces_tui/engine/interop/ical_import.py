"""iCalendar in (RFC 5545): a production's schedule or an external hold list becomes bookings or
blackouts on one resource, through the same rules as any booking.

What this module decides:

- Each occurrence is keyed by the event's UID, plus "|" and its start (its RECURRENCE-ID) in
  UTC for an occurrence of a repeating event, and remembered in spaces.imported with a
  fingerprint of what it said. The same file imported again changes nothing; a changed
  occurrence is cancelled and booked again (never edited in place, so every rule runs again).
- A UID in the file speaks for its whole event: its occurrences the file no longer gives (a
  STATUS:CANCELLED event, a shortened or moved repeat) are cancelled. UIDs absent from the file
  are left alone: a file may be partial.
- Repeats are expanded by engine.recurrence, as Spaces expands its own: on the wall clock.
- One transaction, all or nothing: a clash anywhere rolls everything back (ImportConflict lists
  every one), unless skip_conflicts; a dry run rolls back at the end whatever happened.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pendulum
import psycopg
from icalendar import Calendar, Component
from icalendar.parser import Contentline

from spaces_tui.db.connection import Connection, Database, one_row
from spaces_tui.engine.blackouts import KINDS as BLACKOUT_KINDS
from spaces_tui.engine.errors import BadInput, Conflict, domain_errors, quoted, retrying_races
from spaces_tui.engine.models import Blocked, Obstacle, Resource
from spaces_tui.engine.recurrence import expand
from spaces_tui.engine.reservations import insert_reservation, period_obstacles, set_status
from spaces_tui.engine.resources import find_resource
from spaces_tui.engine.times import at_wall_clock, check_window, check_zone, in_zone

MAKES = ("booking", "blackout")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence the file asks for."""

    key: str  # spaces.imported.source_uid
    uid: str
    title: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    line: int | None


@dataclass(frozen=True)
class Item:
    """What the import did (or, in a dry run, would do) with one occurrence."""

    key: str
    title: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    kind: str = "reservation"  # or "blackout"
    id: int | None = None  # None in a dry run: the row was rolled back
    status: str | None = None
    replaces: int | None = None  # updated: the booking or blackout it replaced
    reason: str | None = None  # cancelled: why
    obstacles: tuple[Obstacle, ...] = ()  # skipped or conflicts: what is in the way


@dataclass
class ImportResult:
    created: list[Item] = field(default_factory=list)
    updated: list[Item] = field(default_factory=list)
    unchanged: int = 0
    cancelled: list[Item] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    conflicts: list[Item] = field(default_factory=list)
    dry_run: bool = False


class ImportConflict(Conflict):
    """Something is in the way of at least one occurrence: nothing was written. result holds
    the plan, with every clash in result.conflicts."""

    def __init__(self, message: str, result: ImportResult) -> None:
        blocked = [Blocked(i.start, i.end, list(i.obstacles)) for i in result.conflicts]
        super().__init__(message, blocked=blocked)
        self.result = result


class _Rollback(Exception):
    """Raised inside the transaction to undo it: a dry run's plan, or a refused import."""


# ---- reading the file ------------------------------------------------------------------------


def read_calendar(data: bytes, name: str) -> tuple[Calendar, list[int]]:
    """The parsed file, and the line of each BEGIN:VEVENT in order (icalendar keeps no line
    numbers, so messages find them here). BadInput names the first line that does not parse."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(f"{name}: not UTF-8 text (byte {error.start})") from None
    starts = [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip().upper() == "BEGIN:VEVENT"
    ]
    try:
        calendar = Calendar.from_ical(text)
    except ValueError as error:
        number, line = _bad_line(text)
        where = f" line {number}: {quoted(line)}:" if number else ""
        raise BadInput(f"{name}:{where} not iCalendar ({error})") from None
    if not isinstance(calendar, Calendar):
        raise BadInput(f"{name}: not an iCalendar file (no VCALENDAR)")
    if not calendar.walk("VEVENT"):
        raise BadInput(f"{name}: no VEVENT in it: nothing to import")
    return calendar, starts


def _bad_line(text: str) -> tuple[int | None, str]:
    """The first content line icalendar cannot split into name, parameters and value."""
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip() or line[:1] in (" ", "\t"):  # blank, or a folded continuation
            continue
        whole = line
        for following in lines[number:]:
            if following[:1] not in (" ", "\t") or not following:
                break
            whole += following[1:]
        try:
            Contentline(whole).parts()
        except ValueError:
            return number, line
    return None, ""


def fingerprint(occurrence: Occurrence, blackout_kind: str | None) -> str:
    """What a change means: another time, title, or (for a blackout) kind. Booking and
    blackout differ too, so importing a file the other way replaces what it made."""
    said = "\x1f".join(
        [
            occurrence.start.in_timezone("UTC").isoformat(),
            occurrence.end.in_timezone("UTC").isoformat(),
            occurrence.title,
            f"blackout:{blackout_kind}" if blackout_kind else "booking",
        ]
    )
    return hashlib.sha256(said.encode()).hexdigest()


def occurrences(
    calendar: Calendar, starts: list[int], zone: str
) -> tuple[dict[str, Occurrence], set[str]]:
    """What the file asks for, by key, and the UIDs it speaks for. A STATUS:CANCELLED event
    (or occurrence) asks for nothing, so whatever it made is cancelled."""
    wanted: dict[str, Occurrence] = {}
    uids: set[str] = set()
    overrides: list[tuple[Component, int | None]] = []
    seen: set[str] = set()
    for index, event in enumerate(calendar.walk("VEVENT")):
        line = starts[index] if index < len(starts) else None
        if "RECURRENCE-ID" in event:
            overrides.append((event, line))
            continue
        uid = _uid(event, line)
        if uid in seen:
            raise BadInput(f"{_where(event, line)}: UID {quoted(uid)} is used by two events")
        seen.add(uid)
        uids.add(uid)
        if _cancelled(event):
            continue
        for occurrence in _expanded(event, uid, line, zone):
            wanted[occurrence.key] = occurrence
    for event, line in overrides:  # one occurrence of a repeat, changed or cancelled
        uid = _uid(event, line)
        uids.add(uid)
        moment = _instant(_value(event, "RECURRENCE-ID", line), zone, end=False)
        key = f"{uid}|{moment.in_timezone('UTC').isoformat()}"
        wanted.pop(key, None)
        if not _cancelled(event):
            start, end = _period(event, line, zone)
            wanted[key] = Occurrence(key, uid, _title(event, line), start, end, line)
    return wanted, uids


def _where(event: Component, line: int | None) -> str:
    uid = event.get("UID")
    summary = event.get("SUMMARY")
    named = f"event {quoted(str(uid))}" if uid else "an event without UID"
    if summary:
        named += f" ({quoted(str(summary))})"
    return f"line {line}: {named}" if line else named


def _uid(event: Component, line: int | None) -> str:
    uid = str(event.get("UID") or "").strip()
    if not uid:
        raise BadInput(f"{_where(event, line)}: no UID (an import remembers events by UID)")
    if len(uid) > 900:  # spaces.imported keeps at most 1000 characters, occurrence included
        raise BadInput(f"{_where(event, line)}: a UID of {len(uid)} characters is too long")
    return uid


def _title(event: Component, line: int | None) -> str:
    title = str(event.get("SUMMARY") or "").strip()
    if not title:
        raise BadInput(f"{_where(event, line)}: no SUMMARY (it becomes the title)")
    return title


def _cancelled(event: Component) -> bool:
    return str(event.get("STATUS") or "").upper() == "CANCELLED"


def _value(event: Component, name: str, line: int | None) -> Any:
    if name not in event:
        raise BadInput(f"{_where(event, line)}: no {name}")
    broken = [why for prop, why in getattr(event, "errors", []) if prop.upper() == name]
    value = event.decoded(name)
    if broken or not isinstance(value, (date, timedelta)):
        raise BadInput(f"{_where(event, line)}: {name} {quoted(str(event[name]))} is not a time")
    return value


def _zone_of(value: date) -> str | None:
    """The IANA zone of a TZID time, when it has one (a custom VTIMEZONE may not)."""
    tz = getattr(value, "tzinfo", None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if not key:
        return None
    try:
        return check_zone(str(key))
    except BadInput:
        return None


def _instant(value: date, zone: str, *, end: bool) -> pendulum.DateTime:
    """A DATE-TIME or DATE on the resource's clock: a floating time and a date (its midnight)
    are read on that clock, the way a one-off booking's times are; a TZID time is exact."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        return at_wall_clock(value, zone)
    return in_zone(value, zone)


def _period(
    event: Component, line: int | None, zone: str
) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    first = _value(event, "DTSTART", line)
    try:
        start = check_window(_instant(first, zone, end=False), "DTSTART")
        if "DTEND" in event:
            last = _value(event, "DTEND", line)
            if isinstance(last, timedelta):
                raise BadInput(f"DTEND {quoted(str(event['DTEND']))} is not a time")
            end = _instant(last, zone, end=True)
        elif "DURATION" in event:
            length = _value(event, "DURATION", line)
            end = start + length if isinstance(length, timedelta) else start
        elif not isinstance(first, datetime):
            end = _instant(first + timedelta(days=1), zone, end=True)  # a day, as RFC 5545 says
        else:
            raise BadInput("no DTEND or DURATION: a booking needs an end")
        check_window(end, "DTEND")
    except BadInput as error:
        raise BadInput(f"{_where(event, line)}: {error}") from None
    if end < start:
        raise BadInput(f"{_where(event, line)}: DTEND is before DTSTART")
    if end == start:
        raise BadInput(f"{_where(event, line)}: DTEND is DTSTART: it takes no time")
    return start, end


def _expanded(event: Component, uid: str, line: int | None, zone: str) -> Iterator[Occurrence]:
    title = _title(event, line)
    start, end = _period(event, line, zone)
    if "RDATE" in event:
        raise BadInput(f"{_where(event, line)}: RDATE is not supported: use RRULE")
    if "RRULE" not in event:
        yield Occurrence(uid, uid, title, start, end, line)
        return
    rule = event["RRULE"]
    written = rule.to_ical() if hasattr(rule, "to_ical") else str(rule)
    rule_text = written.decode() if isinstance(written, bytes) else str(written)
    # The rule runs on the event's own clock (RFC 5545), the resource's for a floating time.
    clock = _zone_of(_value(event, "DTSTART", line)) or zone
    try:
        found = expand(rule_text, start, end, clock)
    except BadInput as error:
        raise BadInput(f"{_where(event, line)}: RRULE {quoted(rule_text)}: {error}") from None
    left_out = _exdates(event, zone)
    for begins, ends in found:
        if begins.in_timezone("UTC") in left_out:
            continue
        key = f"{uid}|{begins.in_timezone('UTC').isoformat()}"
        yield Occurrence(key, uid, title, in_zone(begins, zone), in_zone(ends, zone), line)


def _exdates(event: Component, zone: str) -> set[pendulum.DateTime]:
    found = event.get("EXDATE")
    if found is None:
        return set()
    lists = found if isinstance(found, list) else [found]
    return {
        _instant(item.dt, zone, end=False).in_timezone("UTC")
        for listed in lists
        for item in listed.dts
    }


# ---- writing ---------------------------------------------------------------------------------

_EARLIER = """
    SELECT i.source_uid, i.fingerprint, i.reservation_id, i.blackout_id,
           coalesce(v.title, b.reason) AS title,
           coalesce(lower(v.during), lower(b.during)) AS start,
           coalesce(upper(v.during), upper(b.during)) AS "end",
           coalesce(spaces.is_active_status(v.status), b.status = 'active') AS active
      FROM spaces.imported i
      LEFT JOIN spaces.reservations v ON v.id = i.reservation_id
      LEFT JOIN spaces.blackouts b ON b.id = i.blackout_id
     WHERE i.resource_id = %(resource_id)s
       AND EXISTS (SELECT 1 FROM unnest(%(uids)s::text[]) u
                    WHERE i.source_uid = u OR starts_with(i.source_uid, u || '|'))
     ORDER BY i.source_uid
"""
_REMEMBER = """
    INSERT INTO spaces.imported (resource_id, source_uid, reservation_id, blackout_id, fingerprint)
    VALUES (%(resource_id)s, %(key)s, %(reservation_id)s, %(blackout_id)s, %(fingerprint)s)
    ON CONFLICT (resource_id, source_uid) DO UPDATE
       SET reservation_id = excluded.reservation_id, blackout_id = excluded.blackout_id,
           fingerprint = excluded.fingerprint
"""


def import_ical(
    db: Database,
    data: bytes,
    resource: str | int,
    *,
    name: str = "the file",
    make: str = "booking",
    blackout_kind: str = "hold",
    dry_run: bool = False,
    skip_conflicts: bool = False,
) -> ImportResult:
    """Imports the iCalendar data onto resource as bookings (make="booking") or blackouts of
    blackout_kind, in one transaction. ImportConflict (nothing written) when anything is in the
    way, unless skip_conflicts; dry_run writes nothing and returns the plan."""
    if make not in MAKES:
        raise BadInput(f"import as {', '.join(MAKES)}, not {quoted(make)}")
    if blackout_kind not in BLACKOUT_KINDS:
        known = ", ".join(BLACKOUT_KINDS)
        raise BadInput(f"unknown blackout kind {quoted(blackout_kind)}: use {known}")
    calendar, starts = read_calendar(data, name)
    kind = blackout_kind if make == "blackout" else None
    return retrying_races(
        lambda: _attempt(db, calendar, starts, resource, name, kind, dry_run, skip_conflicts)
    )


def _attempt(
    db: Database,
    calendar: Calendar,
    starts: list[int],
    resource: str | int,
    name: str,
    kind: str | None,
    dry_run: bool,
    skip_conflicts: bool,
) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    try:
        with domain_errors(), db.transaction() as conn:
            target = find_resource(conn, resource)
            wanted, uids = occurrences(calendar, starts, target.timezone)
            # Skipping, an update whose new time is taken keeps its old booking: cancelling is
            # final, so the attempt is undone to a savepoint and made again without touching
            # those (again, until none is newly blocked: at most once per update).
            kept: dict[str, Item] = {}
            while True:
                result = ImportResult(dry_run=dry_run)
                try:
                    with conn.transaction():
                        _apply(conn, target, wanted, uids, name, kind, result, kept)
                        blocked = {
                            i.key: i
                            for i in result.conflicts
                            if i.replaces is not None and i.key not in kept
                        }
                        if skip_conflicts and blocked:
                            kept.update(blocked)
                            raise _Rollback
                    break
                except _Rollback:
                    continue
            if result.conflicts and not skip_conflicts:
                raise _Rollback
            result.skipped, result.conflicts = result.conflicts, []
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if dry_run:
        result = _unwritten(result)
    if result.conflicts:
        count = len(result.conflicts)
        raise ImportConflict(
            f"{count} occurrence{'s' if count != 1 else ''} in {name} cannot go in: nothing"
            " was imported (--skip-conflicts imports the rest)",
            _unwritten(result),
        )
    return result


def _unwritten(result: ImportResult) -> ImportResult:
    """The plan without ids: the rows it made were rolled back."""
    strip = [
        [replace(item, id=None) if item.id is not None else item for item in items]
        for items in (result.created, result.updated)
    ]
    return replace(result, created=strip[0], updated=strip[1])


def _apply(
    conn: Connection,
    target: Resource,
    wanted: dict[str, Occurrence],
    uids: set[str],
    name: str,
    kind: str | None,
    result: ImportResult,
    kept: dict[str, Item],
) -> None:
    """Cancels, then books, into result. kept: updates left as they were (skipped, blocked)."""
    resource_id, zone = target.id, target.timezone
    result.conflicts.extend(kept.values())
    earlier = {
        row.source_uid: row
        for row in conn.execute(
            _EARLIER, {"resource_id": resource_id, "uids": sorted(uids)}
        ).fetchall()
    }
    # Cancel first, in one go per kind: what an update or a cancelled event frees is free for
    # what this same file books.
    replaced: dict[str, int] = {}
    for key, row in earlier.items():
        if key in kept:
            continue
        occurrence = wanted.get(key)
        if occurrence is not None and row.fingerprint == fingerprint(occurrence, kind):
            result.unchanged += 1
            continue
        if occurrence is not None:
            replaced[key] = row.reservation_id or row.blackout_id
        if not row.active:
            continue  # cancelled, rejected or lifted in Spaces since: nothing to undo
        reason = (
            f"updated by import of {name}"
            if occurrence is not None
            else f"cancelled by import of {name}"
        )
        _undo(conn, row, reason)
        if occurrence is None:
            result.cancelled.append(
                Item(
                    key,
                    row.title,
                    in_zone(row.start, zone),
                    in_zone(row.end, zone),
                    "reservation" if row.reservation_id else "blackout",
                    row.reservation_id or row.blackout_id,
                    "lifted" if row.blackout_id else "cancelled",
                    reason=reason,
                )
            )
    new = [key for key in wanted if key not in kept and (key not in earlier or key in replaced)]
    todo = [wanted[key] for key in new]
    for occurrence in sorted(todo, key=lambda o: (o.start, o.key)):
        obstacles = period_obstacles(
            conn, resource_id, occurrence.start, occurrence.end, for_blackout=kind is not None
        )
        item = Item(
            occurrence.key,
            occurrence.title,
            occurrence.start,
            occurrence.end,
            "blackout" if kind else "reservation",
            replaces=replaced.get(occurrence.key),
            obstacles=tuple(obstacles),
        )
        if obstacles:
            result.conflicts.append(item)
            continue
        made, status = _make(conn, resource_id, occurrence, kind)
        conn.execute(
            _REMEMBER,
            {
                "resource_id": resource_id,
                "key": occurrence.key,
                "reservation_id": None if kind else made,
                "blackout_id": made if kind else None,
                "fingerprint": fingerprint(occurrence, kind),
            },
        )
        done = replace(item, id=made, status=status)
        (result.updated if occurrence.key in replaced else result.created).append(done)


def _undo(conn: Connection, row: Any, reason: str) -> None:
    if row.reservation_id is not None:
        set_status(conn, [row.reservation_id], "cancelled", reason)
    else:
        conn.execute("SELECT spaces.lift_blackout(%(id)s)", {"id": row.blackout_id})


def _make(
    conn: Connection, resource_id: int, occurrence: Occurrence, kind: str | None
) -> tuple[int, str]:
    """The booking (the database settles pending or confirmed) or the blackout."""
    try:
        if kind is None:
            made = insert_reservation(
                conn, resource_id, occurrence.start, occurrence.end, occurrence.title
            )
            status = one_row(
                conn.execute("SELECT status FROM spaces.reservations WHERE id = %s", [made])
            ).status
            return made, status
        placed = one_row(
            conn.execute(
                "SELECT * FROM spaces.place_blackout(%(resource_id)s,"
                " tstzrange(%(start)s, %(end)s, '[)'), %(reason)s, %(kind)s, false)",
                {
                    "resource_id": resource_id,
                    "start": occurrence.start,
                    "end": occurrence.end,
                    "reason": occurrence.title,
                    "kind": kind,
                },
            )
        )
        return placed.blackout_id, "active"
    except psycopg.errors.ExclusionViolation as refusal:
        # A booking that went in after the check: the whole import is tried again, and the
        # next check names it.
        raise Conflict("another change raced this import; try again", retryable=True) from refusal


def read_file(path: str) -> bytes:
    """The file's bytes; BadInput when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise BadInput(f"{quoted(path)}: cannot read it: {error.strerror}") from None
