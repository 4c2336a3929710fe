"""Expanding an RFC 5545 RRULE into occurrences, on the resource's wall clock.

The rule runs on a start that carries the resource's zone, so every occurrence keeps its
wall-clock time across daylight-saving changes: a daily 09:00-10:00 Europe/London slot is
09:00-10:00 local in March and in October, and its UTC instant moves instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pendulum
from dateutil.rrule import rrule, rrulestr

from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.times import in_zone

MAX_OCCURRENCES = 1000

Occurrence = tuple[pendulum.DateTime, pendulum.DateTime]


def expand(
    rule_text: str,
    start: datetime,
    end: datetime,
    zone: str,
    *,
    until: date | None = None,
    exceptions: Iterable[date] = (),
) -> list[Occurrence]:
    """Every [start, end) of the rule, the first at start. until: no occurrence after that
    local date; exceptions: local dates left out (each must be one of the rule's dates)."""
    tz = ZoneInfo(zone)
    first = start.astimezone(tz)
    wall_length = _wall(end.astimezone(tz)) - _wall(first)
    if wall_length <= timedelta(0):
        raise BadInput("an occurrence must end after it starts")
    rule = _parse(rule_text, first)
    if until is not None:
        rule = _until(rule, until, tz)
    starts = list(islice(rule, MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise BadInput(
            f"the rule gives more than {MAX_OCCURRENCES} occurrences: "
            "add COUNT or UNTIL to it, or --until DATE"
        )
    skipped = set(exceptions)
    unknown = skipped - {moment.date() for moment in starts}
    if unknown:
        listed = ", ".join(day.isoformat() for day in sorted(unknown))
        raise BadInput(f"--except {listed}: not a date the rule gives")
    occurrences = [
        (in_zone(moment, zone), in_zone(_local(_wall(moment) + wall_length, tz), zone))
        for moment in starts
        if moment.date() not in skipped
    ]
    if not occurrences:
        raise BadInput("the rule gives no occurrences")
    return occurrences


def _parse(rule_text: str, first: datetime) -> rrule:
    text = (rule_text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text:
        raise BadInput("a repeat rule is needed, e.g. FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10")
    if "DTSTART" in text.upper():
        raise BadInput("leave DTSTART out of the rule: the booking's START is its first time")
    try:
        parsed = rrulestr(text, dtstart=first)
    except (ValueError, TypeError) as error:
        raise BadInput(f"cannot read the repeat rule {rule_text!r}: {error}") from error
    if not isinstance(parsed, rrule):
        raise BadInput(f"cannot read the repeat rule {rule_text!r}: give one RRULE")
    return parsed


def _until(rule: rrule, until: date, tz: ZoneInfo) -> rrule:
    if rule._count:  # dateutil keeps the rule's parts private; COUNT and UNTIL exclude each other
        raise BadInput("the rule has COUNT already: give COUNT or --until, not both")
    last_moment = datetime.combine(until, time.max, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    return rule.replace(until=last_moment)


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def _local(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz)
