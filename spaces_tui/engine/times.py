"""Reading times as people write them, and showing them in a resource's own zone.

A time without an offset is wall-clock time in the resource's zone. An end may also be a time of
day (the start's date) or a duration after the start ("+90m", "+1h30m").

Every time a person gives lies in the window the database keeps bookable periods in
(BOOKABLE_FROM, BOOKABLE_UNTIL); outside it the answer is bad input, never an overflow.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pendulum
from pendulum.parsing.exceptions import ParserError

from spaces_tui.engine.errors import BadInput, quoted

Moment = str | datetime
_DURATION = re.compile(
    r"^\+?\s*(?:(?P<days>\d+)d)?\s*(?:(?P<hours>\d+)h)?\s*(?:(?P<minutes>\d+)m)?$"
)

# The window every bookable period lies in, [BOOKABLE_FROM, BOOKABLE_UNTIL): the database holds
# the same bounds by CHECK (reservations_during_in_window, blackouts_during_in_window), so the
# two must change together. Inside it every instant can be shown in every zone (Python's years
# end at 9999, and a zone's offset must not push a wall time past them), and saying so here
# gives a plain message before the database is asked.
BOOKABLE_FROM = datetime(1900, 1, 1, tzinfo=UTC)
BOOKABLE_UNTIL = datetime(9999, 1, 1, tzinfo=UTC)
WINDOW = "between the years 1900 and 9998"
# No length of time means anything in Spaces beyond the whole window: a booking, a stall
# threshold or "waiting longer than" cannot be longer.
MAX_DURATION = BOOKABLE_UNTIL - BOOKABLE_FROM
_LONGEST_ZONE = 64  # IANA names are at most about 30 characters; anything longer is not one


def check_zone(zone: str) -> str:
    """The zone if it is an IANA name this machine knows; BadInput otherwise."""
    unknown = BadInput(f"unknown time zone {quoted(zone)}: use an IANA name such as Europe/London")
    pattern = r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*"
    if len(zone or "") > _LONGEST_ZONE or not re.fullmatch(pattern, zone or ""):
        raise unknown
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise unknown from error
    return zone


def local_zone() -> str:
    return pendulum.local_timezone().name


@lru_cache(maxsize=64)
def _timezone(zone: str) -> pendulum.Timezone:
    # pendulum reads the zone's file from disk on every call; a calendar converts thousands.
    return pendulum.timezone(zone)


def in_zone(moment: datetime, zone: str) -> pendulum.DateTime:
    """An aware datetime shown in zone; a naive one is taken as wall-clock time in zone."""
    tz = _timezone(zone)
    if moment.tzinfo is None:
        return pendulum.instance(moment, tz=tz)
    return pendulum.instance(moment.astimezone(tz))


def check_window(moment: datetime, what: str = "time") -> datetime:
    """moment, if it lies in the bookable window (its end included: a period may end there)."""
    if not BOOKABLE_FROM <= moment <= BOOKABLE_UNTIL:
        raise BadInput(f"{what} {format_moment(moment)} must lie {WINDOW}")
    return moment


def parse_moment(value: Moment, zone: str, *, what: str = "time") -> pendulum.DateTime:
    """START-like input: an ISO 8601 date-time or date (midnight), or a datetime."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            check_window(value, what)  # before showing it in zone, which could overflow
        return check_window(in_zone(value, zone), what)
    parsed = _parse(value, zone, what)
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        return check_window(pendulum.datetime(parsed.year, parsed.month, parsed.day, tz=zone), what)
    if isinstance(parsed, time):
        raise BadInput(f"{what} {quoted(value)} needs a date, e.g. 2026-12-01T{value}")
    return check_window(in_zone(parsed, zone), what)


def parse_end(value: Moment, start: pendulum.DateTime, zone: str) -> pendulum.DateTime:
    """END-like input: anything parse_moment takes, a time of day on the start's date, or
    +DURATION."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("+"):
            length = parse_duration(text, "end")
            try:
                return check_window(start + length, "end")
            except OverflowError:
                raise BadInput(f"end {quoted(text)} must lie {WINDOW}") from None
        parsed = _parse(text, zone, "end")
        if isinstance(parsed, time):
            local = start.in_timezone(zone)
            return pendulum.datetime(
                local.year,
                local.month,
                local.day,
                parsed.hour,
                parsed.minute,
                parsed.second,
                tz=zone,
            )
    return parse_moment(value, zone, what="end")


def parse_duration(value: str, what: str = "duration") -> timedelta:
    """A positive length of time written as 90m, 2h, 1h30m, 2d or 1d12h (a leading + is fine),
    at most MAX_DURATION."""
    match = _DURATION.match(value.strip())
    if match is None or not any(match.groupdict().values()):
        raise BadInput(f"{what} {quoted(value)} is not a duration like 90m, 2h, 1h30m or 2d")
    too_long = BadInput(
        f"{what} {quoted(value)} is too long: nothing in Spaces lasts more than"
        f" {MAX_DURATION.days}d"
    )
    try:
        length = timedelta(**{u: int(n or 0) for u, n in match.groupdict().items()})
    except (OverflowError, ValueError):  # past timedelta's days, or too many digits for int()
        raise too_long from None
    if length <= timedelta(0):
        raise BadInput(f"{what} {quoted(value)} must be longer than nothing")
    if length > MAX_DURATION:
        raise too_long
    return length


def format_duration(length: timedelta) -> str:
    """How long, roughly, for people: 45m, 3h 20m, 2d 4h."""
    minutes = max(0, int(length.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


def parse_period(
    start: Moment, end: Moment, zone: str
) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """A [start, end) period in zone; BadInput unless end is after start."""
    begins = parse_moment(start, zone, what="start")
    ends = parse_end(end, begins, zone)
    if ends <= begins:
        raise BadInput(
            f"the end ({format_moment(ends)}) must be after the start ({format_moment(begins)})"
        )
    return begins, ends


def _parse(text: str, zone: str, what: str) -> datetime | date | time:
    try:
        return pendulum.parse(text.strip(), tz=zone, exact=True)
    except (ParserError, ValueError, OverflowError) as error:
        raise BadInput(
            f"cannot read {what} {quoted(text)}: use ISO 8601, "
            "e.g. 2026-12-01T14:00 or 2026-12-01T14:00+01:00"
        ) from error


def format_moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def format_period(start: datetime, end: datetime) -> str:
    """'2026-12-01 10:00-12:00', or both dates when the period crosses midnight."""
    if start.date() == end.date():
        return f"{format_moment(start)}-{end.strftime('%H:%M')}"
    return f"{format_moment(start)} - {format_moment(end)}"
