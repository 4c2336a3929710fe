"""Reading times as people write them, and showing them in a resource's own zone.

A time without an offset is wall-clock time in the resource's zone. An end may also be a time of
day (the start's date) or a duration after the start ("+90m", "+1h30m").

Wall-clock time has one rule, here, for a one-off booking and for every occurrence of a repeat
(at_wall_clock): a time the clocks skip (01:30 on the night they go forward in London) moves
forward by the gap (02:30 BST); a time they show twice (01:30 on the night they go back) is the
earlier of the two (01:30 BST, not GMT).

Every time a person gives lies in the window the database keeps bookable periods in
(BOOKABLE_FROM, BOOKABLE_UNTIL); outside it the answer is bad input, never an overflow.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pendulum
from pendulum.parsing.exceptions import ParserError
from pendulum.tz import local_timezone

from spaces_tui.engine.errors import BadInput, quoted

Moment = str | datetime
_DURATION = re.compile(
    r"^\+?\s*(?:(?P<days>\d+)d)?\s*(?:(?P<hours>\d+)h)?\s*(?:(?P<minutes>\d+)m)?"
    r"\s*(?:(?P<seconds>\d+)s)?$"
)
# An ISO 8601 duration: PT30S, PT1H30M, P1D, P2W, P1DT12H (a decimal fraction, PT1.5H, too).
# Read here, not by pendulum.parse: pendulum 3.3 keeps each number in 32 bits and wraps without
# a word, so PT4294967296S reads as no time at all and PT9999999999S as 16 days.
_NUMBER = r"\d+(?:[.,]\d+)?"
_ISO_DURATION = re.compile(
    rf"^\+?\s*P(?:(?P<years>{_NUMBER})Y)?(?:(?P<months>{_NUMBER})M)?(?:(?P<weeks>{_NUMBER})W)?"
    rf"(?:(?P<days>{_NUMBER})D)?(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?"
    rf"(?:(?P<seconds>{_NUMBER})S)?)?$",
    re.IGNORECASE,
)
_MICROSECONDS = {
    "weeks": 7 * 86_400_000_000,
    "days": 86_400_000_000,
    "hours": 3_600_000_000,
    "minutes": 60_000_000,
    "seconds": 1_000_000,
}
DURATION_FORMS = "90m, 2h, 1h30m, 2d or 45s, or ISO 8601 such as PT30S, PT1H30M or P1D"

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
    return local_timezone().name


@lru_cache(maxsize=64)
def _timezone(zone: str) -> pendulum.Timezone:
    # pendulum reads the zone's file from disk on every call; a calendar converts thousands.
    return pendulum.timezone(zone)


def in_zone(moment: datetime, zone: str) -> pendulum.DateTime:
    """An aware datetime shown in zone; a naive one is taken as wall-clock time in zone."""
    if moment.tzinfo is None:
        return at_wall_clock(moment, zone)
    return pendulum.instance(moment.astimezone(_timezone(zone)))


def at_wall_clock(wall: datetime, zone: str) -> pendulum.DateTime:
    """The instant a wall-clock time (a naive datetime) means in zone. A time the clocks skip
    moves forward by the gap; a time they show twice is the earlier one. BadInput when it
    cannot be an instant at all (past the years Python holds)."""
    # PEP 495's fold=0 is exactly that rule: in a gap it reads the time with the offset from
    # before the change (01:30 GMT, which is 02:30 BST), in a fold it takes the first reading.
    # pendulum's own default differs on the second (the later), so it is not asked.
    try:
        instant = wall_of(wall).replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)
    except OverflowError:
        raise BadInput(f"{format_moment(wall)} ({zone}) must lie {WINDOW}") from None
    return pendulum.instance(instant).in_timezone(_timezone(zone))


def wall_of(moment: datetime) -> datetime:
    """What a clock in moment's zone shows, as a plain naive datetime (not pendulum's, whose
    arithmetic and replace() bring their own zone handling)."""
    return datetime(*moment.timetuple()[:6], moment.microsecond)


def exact_length(start: datetime, end: datetime) -> timedelta:
    """How long from start to end as instants. Python compares and subtracts two datetimes of
    one zone by their wall clocks, which is wrong across a clock change: 01:30 GMT is an hour
    after 01:30 BST, not the same time."""
    return end.astimezone(UTC) - start.astimezone(UTC)


Instant = TypeVar("Instant", bound=datetime)


def check_window(moment: Instant, what: str = "time") -> Instant:
    """moment, if it lies in the bookable window (its end included: a period may end there)."""
    if not BOOKABLE_FROM <= moment <= BOOKABLE_UNTIL:
        raise BadInput(f"{what} {format_moment(moment)} must lie {WINDOW}")
    return moment


def parse_moment(value: Moment, zone: str, *, what: str = "time") -> pendulum.DateTime:
    """START-like input: an ISO 8601 date-time or date (midnight), or a datetime."""
    moment = _parse(value, what) if isinstance(value, str) else value
    if isinstance(moment, time):
        raise BadInput(f"{what} {quoted(str(value))} needs a date, e.g. 2026-12-01T{value}")
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is not None:
        check_window(moment, what)  # before showing it in zone, which could overflow
    return check_window(in_zone(moment, zone), what)


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
        parsed = _parse(text, "end")
        if isinstance(parsed, time):
            on_the_day = datetime.combine(start.in_timezone(zone).date(), parsed)
            return check_window(at_wall_clock(on_the_day, zone), "end")
    return parse_moment(value, zone, what="end")


def parse_duration(value: str, what: str = "duration") -> timedelta:
    """A positive length of time written as 90m, 2h, 1h30m, 2d, 45s or 1d12h (a leading + is
    fine), or as an ISO 8601 duration (PT30S, PT1H30M, P1D, P2W), at most MAX_DURATION. Months
    and years are refused: they have no fixed length."""
    text = value.strip()
    unreadable = BadInput(
        f"{what} {quoted(value)} is not a duration like 90m, 2h, 1h30m or 2d"
        " (also 45s, or ISO 8601: PT30S, PT1H30M, P1D)"
    )
    too_long = BadInput(
        f"{what} {quoted(value)} is too long: nothing in Spaces lasts more than"
        f" {MAX_DURATION.days}d"
    )
    try:
        iso = _ISO_DURATION.match(text)
        if iso is not None and any(iso.groupdict().values()):
            length = _iso_duration(iso, value, what)
        else:
            match = _DURATION.match(text)
            if match is None or not any(match.groupdict().values()):
                raise unreadable
            length = timedelta(**{u: int(n or 0) for u, n in match.groupdict().items()})
    except (OverflowError, ValueError):  # past timedelta's days, or too many digits for int()
        raise too_long from None
    if length <= timedelta(0):
        raise BadInput(f"{what} {quoted(value)} must be longer than nothing")
    if length > MAX_DURATION:
        raise too_long
    return length


_NOTHING = re.compile(r"0+[smhd]?")


def parse_margin(value: str, what: str = "margin") -> timedelta:
    """A length that may be none at all: 0 (or 0m, 0h) as well as parse_duration's forms."""
    if _NOTHING.fullmatch(value.strip()):
        return timedelta(0)
    return parse_duration(value, what)


def _iso_duration(match: re.Match[str], value: str, what: str) -> timedelta:
    if match["years"] or match["months"]:
        raise BadInput(
            f"{what} {quoted(value)}: months and years have no fixed length; give days"
            " (P30D) or weeks (P4W)"
        )
    microseconds = sum(
        Decimal(match[unit].replace(",", ".")) * size
        for unit, size in _MICROSECONDS.items()
        if match[unit]
    )
    return timedelta(microseconds=int(microseconds))


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


def duration_text(length: timedelta) -> str:
    """A length as parse_duration reads it back, to the second: 2d, 1h30m, 45s, 1d2h3m4s. For a
    field that starts from the current value (format_duration rounds to minutes, so a 45 s
    threshold would read back as 0m, which is refused)."""
    seconds = max(0, int(length.total_seconds()))
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3_600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"


def parse_period(
    start: Moment, end: Moment, zone: str
) -> tuple[pendulum.DateTime, pendulum.DateTime]:
    """A [start, end) period in zone; BadInput unless end is after start."""
    begins = parse_moment(start, zone, what="start")
    ends = parse_end(end, begins, zone)
    if exact_length(begins, ends) <= timedelta(0):
        raise BadInput(
            f"the end ({format_moment(ends)}) must be after the start ({format_moment(begins)})"
        )
    return begins, ends


def _parse(text: str, what: str) -> datetime | date | time:
    """ISO 8601 as written: a datetime without an offset stays naive (wall-clock time, read by
    at_wall_clock), one with an offset is exact."""
    unreadable = BadInput(
        f"cannot read {what} {quoted(text)}: use ISO 8601, "
        "e.g. 2026-12-01T14:00 or 2026-12-01T14:00+01:00"
    )
    try:
        parsed = pendulum.parse(text.strip(), tz=None, exact=True)
    except (ParserError, ValueError, OverflowError) as error:
        raise unreadable from error
    if isinstance(parsed, pendulum.Duration):  # P1D is ISO 8601 too, but a length, not a time
        raise BadInput(
            f"cannot read {what} {quoted(text)}: that is a length of time; a time is"
            " ISO 8601 like 2026-12-01T14:00, and an END may be a length after a + (+PT1H)"
        )
    return parsed


def format_moment(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def format_period(start: datetime, end: datetime) -> str:
    """'2026-12-01 10:00-12:00', or both dates when the period crosses midnight."""
    if start.date() == end.date():
        return f"{format_moment(start)}-{end.strftime('%H:%M')}"
    return f"{format_moment(start)} - {format_moment(end)}"
