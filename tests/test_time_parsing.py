"""Times as people type them: wall-clock in a resource's zone, across clock changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pendulum
import pytest

from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.times import (
    duration_text,
    parse_duration,
    parse_end,
    parse_moment,
    parse_period,
)


def utc(moment: pendulum.DateTime) -> str:
    return moment.in_timezone("UTC").format("YYYY-MM-DD HH:mm")


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2027-01-12T09:00", "Europe/London", "2027-01-12 09:00"),  # GMT
        ("2027-07-12T09:00", "Europe/London", "2027-07-12 08:00"),  # BST
        ("2027-01-12T09:00", "America/New_York", "2027-01-12 14:00"),
        ("2027-07-12 09:00", "America/New_York", "2027-07-12 13:00"),
        ("2027-07-12T09:00+02:00", "America/New_York", "2027-07-12 07:00"),  # an offset wins
        ("2027-07-12", "Europe/London", "2027-07-11 23:00"),  # a date is local midnight
    ],
)
def test_naive_input_is_wall_clock_time_in_the_zone(text, zone, expected):
    assert utc(parse_moment(text, zone)) == expected


def test_an_end_may_be_a_time_of_day_or_a_duration():
    start = parse_moment("2027-03-28T00:30", "Europe/London")  # the night the clocks go forward
    assert utc(parse_end("16:30", start, "Europe/London")) == "2027-03-28 15:30"
    assert utc(parse_end("+90m", start, "Europe/London")) == "2027-03-28 02:00"
    assert utc(parse_end("+1h30m", start, "Europe/London")) == "2027-03-28 02:00"
    assert utc(parse_end("+2h", start, "Europe/London")) == "2027-03-28 02:30"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2027-01-12T10:00", "09:00", "must be after the start"),
        ("2027-01-12T10:00", "10:00", "must be after the start"),
        ("soon", "+1h", "cannot read start"),
        ("2027-01-12T10:00", "+an hour", "not a duration"),
        ("10:00", "+1h", "needs a date"),
        ("P1D", "+1h", "cannot read start 'P1D': that is a length of time"),
        ("2027-01-12T10:00", "PT1H", r"an END may be a length after a \+ \(\+PT1H\)"),
    ],
)
def test_unreadable_or_empty_periods_say_what_is_wrong(start, end, message):
    with pytest.raises(BadInput, match=message):
        parse_period(start, end, "Europe/London")


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("30s", timedelta(seconds=30)),
        ("1h30m15s", timedelta(hours=1, minutes=30, seconds=15)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("PT30S", timedelta(seconds=30)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("P1D", timedelta(days=1)),
        ("P2W", timedelta(weeks=2)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("PT1.5H", timedelta(hours=1, minutes=30)),
        ("pt45m", timedelta(minutes=45)),
        ("+PT90M", timedelta(minutes=90)),
        # Past 32 bits: pendulum.parse wraps these to nothing and to 16 days without a word.
        ("PT4294967296S", timedelta(seconds=4294967296)),
        ("PT9999999999S", timedelta(seconds=9999999999)),
    ],
)
def test_a_duration_is_short_form_or_iso_8601(text, length):
    assert parse_duration(text, "--older-than") == length


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "'soon' is not a duration like 90m, 2h, 1h30m or 2d (also 45s, or ISO 8601"),
        ("P", "not a duration"),
        ("PT", "not a duration"),
        ("P1H", "not a duration"),  # hours go after the T
        ("P1M", "months and years have no fixed length"),
        ("P1Y", "months and years have no fixed length"),
        ("PT0S", "must be longer than nothing"),
        ("P99999999D", "too long"),
        ("PT" + "9" * 5000 + "S", "too long"),
    ],
)
def test_a_duration_that_is_not_one_says_what_is_wrong(text, message):
    with pytest.raises(BadInput, match=re.escape(message)):
        parse_duration(text, "--older-than")


def test_an_end_may_be_an_iso_8601_duration():
    start = parse_moment("2027-01-12T10:00", "Europe/London")
    assert utc(parse_end("+PT1H30M", start, "Europe/London")) == "2027-01-12 11:30"
    assert utc(parse_end("+45s", start, "Europe/London")) == "2027-01-12 10:00"


@pytest.mark.parametrize(
    "length",
    [
        timedelta(seconds=45),
        timedelta(minutes=90),
        timedelta(days=2),
        timedelta(days=1, hours=2, minutes=3, seconds=4),
        timedelta(days=3652),
    ],
)
def test_duration_text_reads_back_as_the_same_length(length):
    assert parse_duration(duration_text(length)) == length
    assert duration_text(timedelta(seconds=45)) == "45s"
