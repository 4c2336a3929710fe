"""A resource's bookable hours: what people write, what they are shown, what the database keeps
(spaces_tui/engine/hours.py), and setting them through the engine."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spaces_tui.engine import resources
from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.hours import ALWAYS, DAY, WEEK, Week, parse_week

MO, TU, WE, TH, FR, SA, SU = (day * DAY for day in range(7))


def at(day: int, clock: str) -> int:
    """Minutes from Monday 00:00 of a time of day on a day (MO, TU... as minutes)."""
    hours, minutes = clock.split(":")
    return day + int(hours) * 60 + int(minutes)


def every_day(start: str, end: str) -> Week:
    return Week(tuple((at(day, start), at(day, end)) for day in (MO, TU, WE, TH, FR, SA, SU)))


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "ranges"),
    [
        ("09:00-23:00", every_day("09:00", "23:00").ranges),
        ("every day 09:00-23:00", every_day("09:00", "23:00").ranges),
        ("Daily=09:00-23:00", every_day("09:00", "23:00").ranges),
        ("00:00-24:00", ((0, WEEK),)),
        ("always", ((0, WEEK),)),
        ("TU=09:00-17:00", ((at(TU, "09:00"), at(TU, "17:00")),)),
        (
            ["MO-FR=09:00-23:00", "SA,SU=10:00-18:00"],
            tuple((at(d, "09:00"), at(d, "23:00")) for d in (MO, TU, WE, TH, FR))
            + tuple((at(d, "10:00"), at(d, "18:00")) for d in (SA, SU)),
        ),
        (
            "mo,we-fr=9:00-17:00",
            tuple((at(d, "09:00"), at(d, "17:00")) for d in (MO, WE, TH, FR)),
        ),
        # Past midnight into the next day; Sunday's night runs into Monday.
        (
            "FR,SA=18:00-02:00",
            ((at(FR, "18:00"), at(SA, "02:00")), (at(SA, "18:00"), at(SU, "02:00"))),
        ),
        ("SU=18:00-02:00", ((0, at(MO, "02:00")), (at(SU, "18:00"), WEEK))),
        ("SU=22:00-22:00", ((0, at(MO, "22:00")), (at(SU, "22:00"), WEEK))),
        # A day in two parts; overlapping parts of one form are one.
        ("MO=09:00-12:00,14:00-18:00", ((540, 720), (840, 1080))),
        ("MO=09:00-12:00,11:00-13:00", ((540, 780),)),
        # A later form for a day replaces the earlier; closed and 24h are forms too.
        (["09:00-17:00", "SA-SU=closed", "FR=12:00-24:00"], None),
        ("MO=24h", ((0, DAY),)),
        (
            "SA-MO=10:00-12:00",
            ((600, 720), (at(SA, "10:00"), at(SA, "12:00")), (at(SU, "10:00"), at(SU, "12:00"))),
        ),
    ],
)
def test_the_forms_people_write(lines, ranges):
    week = parse_week(lines)
    if ranges is None:  # the replacing case, spelled out
        weekdays = tuple((at(d, "09:00"), at(d, "17:00")) for d in (MO, TU, WE, TH))
        ranges = (*weekdays, (at(FR, "12:00"), at(FR, "24:00")))
    assert week.ranges == ranges


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("MX=09:00-17:00", "'MX' is not a day: use MO TU WE TH FR SA SU"),
        ("Monday=09:00-17:00", "'Monday' is not a day"),
        ("MO-XX=09:00-17:00", "'MO-XX' is not a day"),
        ("9-17", "'9-17' is not a window of hours: write HH:MM-HH:MM"),
        ("09:00", "'09:00' is not a window of hours"),
        ("25:00-26:00", "25:00 is not a time of day"),
        ("09:60-10:00", "09:60 is not a time of day"),
        ("24:00-02:00", "24:00 is not a time of day (00:00 to 23:59, and 24:00 as an until)"),
        ("MO-FR", "'MO-FR' names days but no hours"),
        (["MO=09:00-10:00", "SA"], "'SA' names days but no hours"),
        ("", "no bookable hours given"),
        ("closed", "closed all week"),
        (["MO=09:00-17:00", "MO=closed"], "closed all week"),
    ],
)
def test_what_cannot_be_read_is_named(lines, message):
    with pytest.raises(BadInput, match=re.escape(message)):
        parse_week(lines)


def test_a_long_unreadable_value_is_cut_short_in_the_message():
    with pytest.raises(BadInput) as raised:
        parse_week("X" * 10_000 + "=09:00-10:00")
    assert len(str(raised.value)) < 200


# --- showing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "shown"),
    [
        ("always", "always"),
        ("09:00-23:00", "every day 09:00-23:00"),
        (["MO-FR=09:00-23:00", "SA,SU=10:00-18:00"], "MO-FR 09:00-23:00, SA-SU 10:00-18:00"),
        ("MO,WE-FR=09:00-17:00", "MO,WE-FR 09:00-17:00"),
        ("FR,SA=18:00-02:00", "FR-SA 18:00-02:00"),
        ("SU=18:00-02:00", "SU 18:00-02:00"),
        ("MO=09:00-12:00,14:00-18:00", "MO 09:00-12:00 14:00-18:00"),
        (["00:00-24:00", "SU=closed"], "MO-SA 00:00-24:00"),
        # Touching windows are one: this night is Tuesday's.
        ("TU=10:00-24:00 WE=00:00-04:00", "TU 10:00-04:00"),
        ("TU=10:00-24:00 WE=00:00-12:00", "TU 10:00-24:00, WE 00:00-12:00"),
    ],
)
def test_described_for_people(lines, shown):
    assert parse_week(lines).describe() == shown


def test_windows_are_the_machine_shape():
    week = parse_week(["MO-FR=09:00-23:00", "SA,SU=18:00-02:00"])
    assert [(w.day_names, w.from_text, w.until_text) for w in week.windows()] == [
        (["MO", "TU", "WE", "TH", "FR"], "09:00", "23:00"),
        (["SA", "SU"], "18:00", "02:00"),
    ]
    assert [(w.day_names, w.from_text, w.until_text) for w in ALWAYS.windows()] == [
        (["MO", "TU", "WE", "TH", "FR", "SA", "SU"], "00:00", "24:00")
    ]


def test_multirange_text_both_ways():
    week = parse_week("SU=18:00-02:00")
    assert week.multirange() == "{[0,120),[9720,10080)}"
    assert Week.from_multirange("{[0,120),[9720,10080)}") == week
    assert Week.from_multirange("{[0,10080)}") == ALWAYS


def test_a_week_is_tidied_and_never_empty_or_outside_the_week():
    assert Week(((600, 700), (0, 100), (100, 200), (650, 800))).ranges == ((0, 200), (600, 800))
    with pytest.raises(BadInput, match="closed all week"):
        Week(())
    with pytest.raises(ValueError, match="inside a week"):
        Week(((0, WEEK + 1),))


# Any week: a few ranges of whole minutes inside it.
weeks = st.lists(
    st.tuples(st.integers(0, WEEK - 1), st.integers(1, 3 * DAY)).map(
        lambda piece: (piece[0], min(WEEK, piece[0] + piece[1]))
    ),
    min_size=1,
    max_size=12,
).map(lambda ranges: Week(tuple(ranges)))


@given(weeks)
def test_what_is_shown_reads_back_as_the_same_week(week):
    assert parse_week(week.describe()) == week


@given(weeks)
def test_the_database_text_reads_back_as_the_same_week(week):
    assert Week.from_multirange(week.multirange()) == week


@given(weeks)
def test_every_window_is_at_most_a_day_and_they_add_up_to_the_week(week):
    minutes = 0
    for window in week.windows():
        assert 0 <= window.start < DAY and window.start < window.end <= window.start + DAY
        minutes += (window.end - window.start) * len(window.days)
    assert minutes == sum(end - start for start, end in week.ranges)


# --- through the database ----------------------------------------------------------------------


def test_hours_and_margin_are_kept_and_read_back(db, sql):
    week = parse_week(["MO-FR=09:00-23:00", "SA,SU=10:00-18:00"])
    hall = resources.add_resource(
        db, "Hall", "room", hours=week, blackout_margin=timedelta(minutes=30)
    )
    assert (hall.bookable_week, hall.blackout_margin) == (week, timedelta(minutes=30))
    assert sql.execute(
        "SELECT bookable_week = CAST(%s AS int4multirange), blackout_margin"
        " FROM spaces.resources WHERE name = 'Hall'",
        [week.multirange()],
    ).fetchone() == (True, timedelta(minutes=30))
    # What the database makes of them: SQL's own reading of the week, in the resource's zone.
    hours = sql.execute(
        "SELECT spaces.duration(spaces.bookable_hours(%s,"
        " tstzrange('2027-01-04 00:00+00', '2027-01-11 00:00+00')))",
        [hall.id],
    ).fetchone()
    assert hours == (timedelta(hours=5 * 14 + 2 * 8),)


def test_the_defaults_are_always_and_an_hour(db):
    room = resources.add_resource(db, "Room", "room")
    assert (room.bookable_week, room.blackout_margin) == (ALWAYS, timedelta(hours=1))
    assert resources.list_resources(db)[0].bookable_week == ALWAYS


def test_hours_and_margin_are_changed_and_nothing_else(db):
    resources.add_resource(db, "Room", "room", capacity=12, blackout_margin=timedelta(hours=2))
    evenings = parse_week("FR,SA=18:00-02:00")
    changed = resources.update_resource(db, "Room", hours=evenings)
    assert (changed.bookable_week, changed.blackout_margin, changed.capacity) == (
        evenings,
        timedelta(hours=2),
        12,
    )
    changed = resources.update_resource(db, "Room", blackout_margin=timedelta(0))
    assert (changed.bookable_week, changed.blackout_margin) == (evenings, timedelta(0))


@pytest.mark.parametrize("margin", [timedelta(seconds=-1), timedelta(days=7, seconds=1)])
def test_a_margin_outside_0_to_7_days_is_refused_in_plain_words(db, margin):
    with pytest.raises(BadInput, match=r"^the blackout margin must be between 0 and 7 days$"):
        resources.add_resource(db, "Room", "room", blackout_margin=margin)
    assert resources.list_resources(db) == []
    resources.add_resource(db, "Room", "room")
    with pytest.raises(BadInput, match=r"^the blackout margin must be between 0 and 7 days$"):
        resources.update_resource(db, "Room", blackout_margin=margin)
    assert resources.get_resource(db, "Room").blackout_margin == timedelta(hours=1)
