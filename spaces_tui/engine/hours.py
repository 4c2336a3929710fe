"""A resource's bookable hours for the whole week (resources.bookable_week): read from what
people write (MO-FR=09:00-23:00), shown back to them compactly, and carried to and from the
database's int4multirange of minutes from Monday 00:00 on the resource's own clock.

The forms read, one or more to a line and from several lines in turn:
    09:00-23:00                every day
    MO-FR=09:00-23:00          some days (MO,WE-FR; SA-MO runs over the weekend)
    FR,SA=18:00-02:00          an until at or before the from is on the next day
    MO=09:00-12:00,14:00-18:00 a day in two parts
    SU=closed  SA=24h  always  daily=...  every day ...
Each day takes the windows of the last form that names it; a day no form names is closed. What
describe() writes is read back as the same week."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from spaces_tui.engine.errors import BadInput, quoted

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY = 24 * 60  # minutes
WEEK = 7 * DAY

# A form: days (optional), then windows. Tokens are split at spaces, commas, ; and =.
_SEPARATORS = re.compile(r"[\s,;=]+")
_EVERY_DAY = re.compile(r"\bevery\s+day\b", re.IGNORECASE)
_AROUND_DASH = re.compile(r"\s*-\s*")
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_DAY_RUN = re.compile(r"([A-Z]{2})(?:-([A-Z]{2}))?")
_WHOLE_DAY = ("24H", "ALWAYS")  # a window from 00:00 to 24:00
_CLOSED = "CLOSED"
_DAILY = "DAILY"
_MULTIRANGE_PIECE = re.compile(r"\[(\d+),(\d+)\)")
_DAY_NAMES_HELP = "MO TU WE TH FR SA SU (MO-FR for a run), or daily"


@dataclass(frozen=True)
class Window:
    """One opening as people write it: on each of days, from start until end, minutes after
    that day's midnight; an end past 24:00 (1440) runs into the next day."""

    days: tuple[int, ...]  # 0 is Monday
    start: int  # 0 .. 1439
    end: int  # start + 1 .. start + 1440

    @property
    def day_names(self) -> list[str]:
        return [DAYS[day] for day in self.days]

    @property
    def from_text(self) -> str:
        return _clock(self.start)

    @property
    def until_text(self) -> str:
        """HH:MM on the clock: 24:00 for a window ending at midnight, and an until at or
        before from_text when it ends on the next day."""
        return _clock(self.end if self.end <= DAY else self.end - DAY)


def _merged(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The ranges sorted, overlapping and touching ones made one, as PostgreSQL keeps a
    multirange (so two Weeks of the same hours are equal)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if not 0 <= start < end <= WEEK:
            raise ValueError(f"[{start}, {end}) is not a range of minutes inside a week")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True)
class Week:
    """Bookable hours for a week: minute ranges [start, end) from Monday 00:00, sorted, apart
    (touching ranges are one) and inside [0, WEEK). Made from any ranges, which it tidies so;
    never empty, as the database's CHECK holds (resources_bookable_week_in_week)."""

    ranges: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ranges", _merged(self.ranges))
        if not self.ranges:
            raise BadInput("bookable hours cannot be closed all week: give at least one window")

    @classmethod
    def from_multirange(cls, text: str) -> Week:
        """From PostgreSQL's text of an int4multirange, {[480,1380),[1920,2820)}."""
        return cls(tuple((int(a), int(b)) for a, b in _MULTIRANGE_PIECE.findall(text)))

    def multirange(self) -> str:
        """As PostgreSQL's int4multirange text: what CAST(... AS int4multirange) reads."""
        return "{" + ",".join(f"[{start},{end})" for start, end in self.ranges) + "}"

    @property
    def always(self) -> bool:
        return self.ranges == ((0, WEEK),)

    def windows(self) -> list[Window]:
        """The week as openings that start on each day, days with the same openings together,
        in the order of their first day; an opening is never longer than a day (a longer one
        is cut at midnight)."""
        per_day: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
        for start, end in _day_pieces(self.ranges):
            per_day[(start // DAY) % 7].append((start % DAY, start % DAY + end - start))
        grouped: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for day, openings in per_day.items():
            if openings:
                grouped.setdefault(tuple(sorted(openings)), []).append(day)
        return [
            Window(tuple(days), start, end)
            for openings, days in grouped.items()
            for start, end in openings
        ]

    def describe(self) -> str:
        """For people, compact enough for a table column, and read back as the same week:
        always, every day 09:00-23:00, MO-FR 09:00-23:00, SA-SU 10:00-18:00."""
        if self.always:
            return "always"
        groups: dict[tuple[int, ...], list[str]] = {}
        for window in self.windows():
            groups.setdefault(window.days, []).append(f"{window.from_text}-{window.until_text}")
        if len(groups) == 1 and len(next(iter(groups))) == 7:
            return "every day " + " ".join(next(iter(groups.values())))
        return ", ".join(f"{_day_list(days)} {' '.join(times)}" for days, times in groups.items())


ALWAYS = Week(((0, WEEK),))


def parse_week(lines: str | Iterable[str]) -> Week:
    """The week that one line, or several in turn, describe (the forms of this module's doc).
    BadInput naming the part that cannot be read, or when the hours leave it closed all week."""
    plan: dict[int, list[tuple[int, int]]] = {}
    for line in [lines] if isinstance(lines, str) else lines:
        for days, openings in _forms(line):
            for day in days:
                plan[day] = openings  # the later form for a day wins
    ranges = [
        piece
        for day, openings in plan.items()
        for start, end in openings
        for piece in _in_week(day * DAY + start, day * DAY + end)
    ]
    if not ranges:
        raise BadInput(
            "those hours leave it closed all week: give at least one window, e.g. 09:00-17:00"
        )
    return Week(tuple(ranges))


# --- reading -----------------------------------------------------------------------------------


def _forms(line: str) -> Iterator[tuple[Sequence[int], list[tuple[int, int]]]]:
    """Each form of a line: the days it names (every day when none) and its openings, minutes
    after that day's midnight."""
    text = _AROUND_DASH.sub("-", _EVERY_DAY.sub(_DAILY, line)).strip()
    if not text:
        raise BadInput("no bookable hours given: write e.g. 09:00-23:00 or MO-FR=09:00-17:00")
    days: list[int] = []
    named: list[str] = []  # the day tokens of the form being read, for a message
    openings: list[tuple[int, int]] | None = None  # None until the form's first window
    for token in filter(None, _SEPARATORS.split(text)):
        opening = _opening(token)
        if opening is not None:
            openings = [*(openings or []), *opening]
            continue
        if openings is not None:  # a day after windows: a new form begins
            yield days or range(7), openings
            days, named, openings = [], [], None
        days.extend(_day_run(token))
        named.append(token)
    if openings is None:
        days_named = ",".join(named)
        raise BadInput(
            f"{quoted(days_named)} names days but no hours: write e.g. MO-FR=09:00-17:00"
        )
    yield days or range(7), openings


def _opening(token: str) -> list[tuple[int, int]] | None:
    """The opening a token is ([] for closed), or None when it is not one (a day, perhaps)."""
    upper = token.upper()
    if upper in _WHOLE_DAY:
        return [(0, DAY)]
    if upper == _CLOSED:
        return []
    match = _WINDOW.fullmatch(token)
    if match is None:
        if any(c.isdigit() for c in token):
            raise BadInput(
                f"{quoted(token)} is not a window of hours: write HH:MM-HH:MM, e.g. 09:00-23:00"
            )
        return None
    start = _minutes(match[1], match[2], token, as_end=False)
    end = _minutes(match[3], match[4], token, as_end=True)
    return [(start, end if end > start else end + DAY)]  # until at or before from: next day


def _minutes(hours: str, minutes: str, token: str, *, as_end: bool) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > DAY or (value == DAY and not as_end):
        raise BadInput(
            f"{quoted(token)}: {hours}:{minutes} is not a time of day"
            " (00:00 to 23:59, and 24:00 as an until)"
        )
    return value


def _day_run(token: str) -> list[int]:
    """The days a token names: MO, MO-FR (SA-MO runs over the weekend), daily."""
    upper = token.upper()
    if upper == _DAILY:
        return list(range(7))
    match = _DAY_RUN.fullmatch(upper)
    if match is None or not {match[1], match[2] or match[1]} <= set(DAYS):
        raise BadInput(f"{quoted(token)} is not a day: use {_DAY_NAMES_HELP}")
    first, last = DAYS.index(match[1]), DAYS.index(match[2] or match[1])
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def _in_week(start: int, end: int) -> list[tuple[int, int]]:
    """A range of minutes from Monday 00:00 as ranges inside the week: one that runs past
    Sunday midnight goes on into Monday."""
    if end <= WEEK:
        return [(start, end)]
    return [(start, WEEK), (0, end - WEEK)]


# --- writing -----------------------------------------------------------------------------------


def _day_pieces(ranges: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The ranges as openings of at most a day each. An opening over Sunday midnight is one
    (its Monday part is not a day's opening of its own), and a longer one is cut at each
    midnight, so every piece starts on one day and reads as HH:MM-HH:MM."""
    pieces = list(ranges)
    if len(pieces) > 1 and pieces[0][0] == 0 and pieces[-1][1] == WEEK:
        pieces = [*pieces[1:-1], (pieces[-1][0], WEEK + pieces[0][1])]
    for start, end in pieces:
        cut = start
        while end - cut > DAY:
            midnight = (cut // DAY + 1) * DAY
            yield cut, midnight
            cut = midnight
        yield cut, end


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_list(days: Sequence[int]) -> str:
    """MO,WE-FR: days in week order, a run of two or more with a dash."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        DAYS[run[0]] if len(run) == 1 else f"{DAYS[run[0]]}-{DAYS[run[-1]]}" for run in runs
    )
