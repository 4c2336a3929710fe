"""One rule for wall-clock times the clocks skip or show twice, the same for a one-off booking
and for every occurrence of a repeat: a skipped time moves forward by the gap, a repeated time
is the earlier of the two. Through the engine and through the command line."""

from __future__ import annotations

from datetime import datetime

import pendulum
import pytest

from spaces_tui.engine.recurrence import expand
from spaces_tui.engine.times import at_wall_clock, parse_moment, parse_period

LONDON = "Europe/London"
# 2026 in London: the clocks go forward at 01:00 GMT on 29 March (01:00-02:00 never shows) and
# back at 02:00 BST on 25 October (01:00-02:00 shows twice, first BST then GMT).


def utc(moment: datetime) -> str:
    return pendulum.instance(moment).in_timezone("UTC").format("MM-DD HH:mm")


def daily(start: str, end: str, count: int = 3) -> dict[str, tuple[str, str]]:
    """The occurrences of a daily repeat of START..END in London, by local date."""
    begins, ends = parse_period(start, end, LONDON)
    occurrences = expand(f"FREQ=DAILY;COUNT={count}", begins, ends, LONDON)
    return {a.date().isoformat(): (utc(a), utc(b)) for a, b in occurrences}


def one_off(start: str, end: str) -> tuple[str, str]:
    begins, ends = parse_period(start, end, LONDON)
    return utc(begins), utc(ends)


# --- the engine ------------------------------------------------------------------------------


def test_a_skipped_time_moves_forward_by_the_gap_in_a_one_off_and_in_a_repeat():
    assert utc(parse_moment("2026-03-29T01:30", LONDON)) == "03-29 01:30"  # 02:30 BST
    series = daily("2026-03-28T01:30", "+1h")
    assert series["2026-03-28"] == ("03-28 01:30", "03-28 02:30")  # 01:30 GMT
    assert (
        series["2026-03-29"] == one_off("2026-03-29T01:30", "+1h") == ("03-29 01:30", "03-29 02:30")
    )
    assert series["2026-03-30"] == ("03-30 00:30", "03-30 01:30")  # 01:30 BST: its wall clock


def test_an_occurrence_that_starts_in_the_gap_keeps_its_length():
    # 01:15-02:00 on the wall: the start moves to 02:15 BST and the end with it, to 03:00 BST,
    # instead of an end (02:00 BST) before the start.
    series = daily("2026-03-28T01:15", "02:00")
    assert series["2026-03-29"] == ("03-29 01:15", "03-29 02:00")


def test_an_end_in_the_gap_moves_forward_too():
    assert one_off("2026-03-29T00:30", "01:30") == ("03-29 00:30", "03-29 01:30")
    assert daily("2026-03-28T00:30", "01:30")["2026-03-29"] == ("03-29 00:30", "03-29 01:30")


def test_a_time_shown_twice_is_the_earlier_in_a_one_off_and_in_a_repeat():
    assert utc(parse_moment("2026-10-25T01:30", LONDON)) == "10-25 00:30"  # BST, not GMT
    series = daily("2026-10-24T01:30", "02:30")
    assert series["2026-10-25"] == one_off("2026-10-25T01:30", "02:30")
    assert series["2026-10-25"] == ("10-25 00:30", "10-25 02:30")  # 01:30 BST to 02:30 GMT
    assert series["2026-10-26"] == ("10-26 01:30", "10-26 02:30")


def test_an_hour_from_the_first_of_the_two_times_is_the_second():
    # 01:30 BST + 1h is 01:30 GMT: later, though the wall clocks read the same.
    assert one_off("2026-10-25T01:30", "+1h") == ("10-25 00:30", "10-25 01:30")
    series = daily("2026-10-25T01:30", "+1h", count=2)
    assert series["2026-10-25"] == ("10-25 00:30", "10-25 01:30")  # the first, as given
    assert series["2026-10-26"] == ("10-26 01:30", "10-26 02:30")


@pytest.mark.parametrize(
    ("zone", "wall", "local"),
    [
        ("America/New_York", datetime(2026, 3, 8, 2, 30), "2026-03-08 03:30 -04:00"),
        ("America/New_York", datetime(2026, 11, 1, 1, 30), "2026-11-01 01:30 -04:00"),
        ("Australia/Lord_Howe", datetime(2026, 10, 4, 2, 15), "2026-10-04 02:45 +11:00"),  # 30m
        ("Australia/Lord_Howe", datetime(2026, 4, 5, 1, 45), "2026-04-05 01:45 +11:00"),
        ("America/Santiago", datetime(2026, 9, 6, 0, 0), "2026-09-06 01:00 -03:00"),  # midnight
        ("Europe/London", datetime(2026, 7, 1, 9, 0), "2026-07-01 09:00 +01:00"),
    ],
)
def test_the_rule_is_the_same_in_every_zone(zone, wall, local):
    assert at_wall_clock(wall, zone).format("YYYY-MM-DD HH:mm Z") == local
    assert parse_moment(wall.isoformat(), zone) == at_wall_clock(wall, zone)


def test_a_date_at_a_skipped_midnight_starts_when_the_day_does():
    assert utc(parse_moment("2026-09-06", "America/Santiago")) == "09-06 04:00"  # 01:00 -03


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def studios(spaces):
    for name in ("Studio 1", "Studio 2"):
        assert spaces("resource", "add", name, "--kind", "room", "--tz", LONDON).code == 0
    return spaces


def stored(sql, reservation_id: int) -> tuple[str, str]:
    lower, upper = sql.execute(
        "SELECT lower(during), upper(during) FROM spaces.reservations WHERE id = %s",
        (reservation_id,),
    ).fetchone()
    return utc(lower), utc(upper)


def booked_series(spaces, start: str, end: str) -> list[int]:
    done = spaces(
        "book", "Studio 1", start, end, "--title", "Class", "--rrule", "FREQ=DAILY;COUNT=3",
        "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    return done.json["ids"]


def booked_once(spaces, start: str, end: str) -> int:
    done = spaces("book", "Studio 2", start, end, "--title", "Once", "--json")
    assert done.code == 0, done.err
    return done.json["id"]


def test_the_command_line_stores_a_skipped_time_alike_in_a_series_and_a_one_off(studios, sql):
    first, gap_day, after = booked_series(studios, "2026-03-28T01:30", "+1h")
    once = booked_once(studios, "2026-03-29T01:30", "+1h")
    assert stored(sql, gap_day) == stored(sql, once) == ("03-29 01:30", "03-29 02:30")
    assert stored(sql, first) == ("03-28 01:30", "03-28 02:30")
    assert stored(sql, after) == ("03-30 00:30", "03-30 01:30")


def test_the_command_line_stores_a_time_shown_twice_alike_in_a_series_and_a_one_off(studios, sql):
    _first, fold_day, _after = booked_series(studios, "2026-10-24T01:30", "02:30")
    once = booked_once(studios, "2026-10-25T01:30", "02:30")
    assert stored(sql, fold_day) == stored(sql, once) == ("10-25 00:30", "10-25 02:30")
    shown = studios("list", "--resource", "Studio 2", "--from", "2026-10-25", "--json").json
    assert shown[0]["start"] == "2026-10-25T01:30:00+01:00"  # BST
