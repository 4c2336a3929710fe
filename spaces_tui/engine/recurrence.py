"""Expanding an RFC 5545 RRULE into occurrences, on the resource's wall clock.

The rule runs on a start that carries the resource's zone, so every occurrence keeps its
wall-clock time across daylight-saving changes: a daily 09:00-10:00 Europe/London slot is
09:00-10:00 local in March and in October, and its UTC instant moves instead. Each wall-clock
time becomes an instant by the same rule as a one-off booking's (times.at_wall_clock): on the
night the clocks go forward an occurrence that would start in the skipped hour moves forward by
the gap, whole (01:30-02:30 becomes 02:30-03:30 BST, as `+1h` after 01:30 does for a one-off);
on the night they go back, 01:30 is the first 01:30 (BST).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pendulum
from dateutil.rrule import rrule, rrulestr

from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.times import (
    BOOKABLE_FROM,
    BOOKABLE_UNTIL,
    WINDOW,
    at_wall_clock,
    check_window,
    exact_length,
    in_zone,
    wall_of,
)

MAX_OCCURRENCES = 1000
# What a form offers, each a rule without its end: none, or one of these.
REPEATS = ("none", "daily", "weekdays", "weekly", "custom")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

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
    if exact_length(start, end) <= timedelta(0):
        raise BadInput("an occurrence must end after it starts")
    wall_length = wall_of(end.astimezone(tz)) - wall_of(first)
    if wall_length <= timedelta(0):
        # A first occurrence across the clocks going back (01:30 BST to 01:30 GMT) has no
        # length on the wall clock; its exact length is the one to repeat.
        wall_length = exact_length(start, end)
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
    # The first occurrence is START..END exactly as given; the others follow its wall clock.
    given = (in_zone(start, zone), in_zone(end, zone))
    occurrences = [
        given
        if index == 0 and wall_of(moment) == wall_of(first)
        else _occurrence(wall_of(moment), wall_length, zone)
        for index, moment in enumerate(starts)
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
    # dateutil keeps the rule's parts private (and its stubs leave them out); COUNT and UNTIL
    # exclude each other.
    if rule._count:  # type: ignore[attr-defined]
        raise BadInput("the rule has COUNT already: give COUNT or --until, not both")
    if not BOOKABLE_FROM.date() <= until < BOOKABLE_UNTIL.date():
        # The end of that day, in a zone west of UTC, would be past the years Python holds.
        raise BadInput(f"--until {until.isoformat()} must lie {WINDOW}")
    last_moment = datetime.combine(until, time.max, tzinfo=tz).astimezone(ZoneInfo("UTC"))
    return rule.replace(until=last_moment)


def _occurrence(wall_start: datetime, wall_length: timedelta, zone: str) -> Occurrence:
    """One occurrence from its wall-clock start and length. A start the clocks skip moves
    forward by the gap, and the end moves with it, so the occurrence keeps its length instead
    of shrinking to nothing inside the gap."""
    start = at_wall_clock(wall_start, zone)
    moved = wall_of(start) - wall_start  # the gap, when the start fell in one; else nothing
    try:
        wall_end = wall_start + wall_length + moved
    except OverflowError:  # past the year 9999 on the wall clock
        raise BadInput(f"an occurrence on {wall_start:%Y-%m-%d} must lie {WINDOW}") from None
    end = at_wall_clock(wall_end, zone)
    check_window(start, "an occurrence's start")
    check_window(end, "an occurrence's end")
    return start, end


def build_rule(
    repeat: str, start: datetime, *, days: str = "", custom: str = "", ends: str = ""
) -> tuple[str, date | None] | None:
    """The RRULE and --until date a form's choices mean, or None for no repeat.
    days: for weekly, e.g. "MO,WE" (default: start's weekday); custom: a whole RRULE;
    ends: a date (until) or a number (count); a custom rule may carry its own end."""
    if repeat not in REPEATS:
        raise BadInput(f"repeat is one of {', '.join(REPEATS)}, not {repeat!r}")
    if repeat == "none":
        return None
    if repeat == "custom":
        rule = custom.strip()
    elif repeat == "daily":
        rule = "FREQ=DAILY"
    elif repeat == "weekdays":
        rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    else:
        rule = f"FREQ=WEEKLY;BYDAY={_weekdays(days, start)}"
    ends = ends.strip()
    if ends.isdigit():
        return f"{rule};COUNT={int(ends)}", None
    if ends:
        try:
            return rule, date.fromisoformat(ends)
        except ValueError:
            raise BadInput(f"repeat until {ends!r}: give a date (2026-12-31) or a count") from None
    if repeat != "custom":
        raise BadInput("repeat until when? give a date (2026-12-31) or a number of times")
    return rule, None


def _weekdays(days: str, start: datetime) -> str:
    chosen = [day.strip().upper()[:2] for day in days.replace(" ", ",").split(",") if day.strip()]
    unknown = [day for day in chosen if day not in WEEKDAYS]
    if unknown:
        raise BadInput(f"weekdays are {','.join(WEEKDAYS)}; not {','.join(unknown)}")
    return ",".join(chosen) or WEEKDAYS[start.weekday()]
