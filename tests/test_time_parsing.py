"""Times as people type them: wall-clock in a resource's zone, across clock changes."""

from __future__ import annotations

import pendulum
import pytest

from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.times import parse_end, parse_moment, parse_period


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
    ],
)
def test_unreadable_or_empty_periods_say_what_is_wrong(start, end, message):
    with pytest.raises(BadInput, match=message):
        parse_period(start, end, "Europe/London")
