"""Utilization (sql/rules/utilization.sql, engine/utilization.py, `spaces report utilization`):
hand-computed figures, each resource measured against its own bookable hours in its own zone."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from spaces_tui.cli import main
from spaces_tui.engine.errors import BadInput, NotFound
from spaces_tui.engine.utilization import Report, Usage, heat_map, utilization_report

DAY = 1440  # minutes
MONDAY = date(2026, 11, 30)


def week(*windows: tuple[int, str, str]) -> str:
    """An int4multirange of (weekday 0 = Monday, "09:00", "17:00") windows."""

    def minutes(clock: str) -> int:
        hours, mins = clock.split(":")
        return int(hours) * 60 + int(mins)

    pieces = [f"[{d * DAY + minutes(a)},{d * DAY + minutes(b)})" for d, a, b in windows]
    return "{" + ",".join(pieces) + "}"


NINE_TO_FIVE = week(*[(day, "09:00", "17:00") for day in range(7)])
ALL_WEEK = "{[0,10080)}"


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.fixture
def add(sql):
    """add(name, kind=, zone=, week=, parent=, active=) -> the new resource's id."""

    def make(
        name: str,
        *,
        kind: str = "room",
        zone: str = "Europe/London",
        bookable: str = NINE_TO_FIVE,
        parent: int | None = None,
        active: bool = True,
    ) -> int:
        return sql.execute(
            "INSERT INTO spaces.resources (name, kind, timezone, bookable_week, parent_id, active)"
            " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (name, kind, zone, bookable, parent, active),
        ).fetchone()[0]

    return make


@pytest.fixture
def book(sql):
    """book(resource_id, "2026-11-30 10:00", "2026-11-30 14:00", status=) in the resource's
    zone."""

    def make(resource_id: int, start: str, end: str, status: str = "confirmed") -> None:
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, status, title)"
            " SELECT id, tstzrange(%(start)s::timestamp AT TIME ZONE timezone,"
            "                      %(end)s::timestamp AT TIME ZONE timezone, '[)'),"
            "        %(status)s, 'booked' FROM spaces.resources WHERE id = %(id)s",
            {"id": resource_id, "start": start, "end": end, "status": status},
        )

    return make


@pytest.fixture
def black_out(sql):
    def make(resource_id: int, start: str, end: str) -> None:
        sql.execute(
            "INSERT INTO spaces.blackouts (resource_id, during, reason)"
            " SELECT id, tstzrange(%(start)s::timestamp AT TIME ZONE timezone,"
            "                      %(end)s::timestamp AT TIME ZONE timezone, '[)'), 'works'"
            "   FROM spaces.resources WHERE id = %(id)s",
            {"id": resource_id, "start": start, "end": end},
        )

    return make


def on(db, day: date, **options) -> Report:
    return utilization_report(db, start=day, end=day, **options)


def row(report: Report, key: str) -> Usage:
    return next(usage for usage in report.rows if usage.key == key)


def figures(usage: Usage) -> tuple[float, ...]:
    """bookable, confirmed, pending, blacked out and tree-blocked hours."""
    lengths = (usage.bookable, usage.confirmed, usage.pending, usage.blacked_out)
    return tuple(length / hours(1) for length in (*lengths, usage.tree_blocked))


# --- the figures ------------------------------------------------------------------------------


def test_one_four_hour_booking_in_an_eight_hour_day_is_half(db, add, book):
    room = add("Room 1")
    book(room, "2026-11-30 10:00", "2026-11-30 14:00")
    report = on(db, MONDAY)
    assert report.rows == [
        Usage("Room 1", room, hours(8), hours(4), hours(0), hours(0), hours(0), 0.5, None, 0)
    ]
    assert (report.start, report.end, report.by) == (MONDAY, MONDAY, "resource")
    assert report.zones == ("Europe/London",)


def test_a_blackout_shrinks_the_denominator_by_its_time_inside_the_bookable_hours(
    db, add, book, black_out
):
    room = add("Room 1")
    book(room, "2026-11-30 10:00", "2026-11-30 14:00")
    black_out(room, "2026-11-30 16:00", "2026-11-30 19:00")  # one hour of it is bookable time
    usage = on(db, MONDAY).rows[0]
    assert figures(usage) == (8, 4, 0, 1, 0)
    assert usage.utilization == pytest.approx(4 / 7)


def test_nothing_bookable_left_has_no_utilization(db, add, black_out):
    room = add("Room 1")
    black_out(room, "2026-11-30 08:00", "2026-11-30 18:00")
    usage = on(db, MONDAY).rows[0]
    assert figures(usage) == (8, 0, 0, 8, 0)
    assert (usage.utilization, usage.flag) == (None, None)


def test_a_day_the_clocks_go_back_in_london(db, add, book):
    around = add("Round the clock", bookable=ALL_WEEK)
    office = add("Office hours")
    book(around, "2026-10-25 00:00", "2026-10-25 03:00")  # 00:00 BST to 03:00 GMT: 4 hours
    book(office, "2026-10-25 09:00", "2026-10-25 17:00")
    report = on(db, date(2026, 10, 25))
    assert figures(row(report, "Round the clock")) == (25, 4, 0, 0, 0)
    assert row(report, "Round the clock").utilization == pytest.approx(4 / 25)
    assert row(report, "Round the clock").flag == "under"
    assert figures(row(report, "Office hours")) == (8, 8, 0, 0, 0)
    assert (row(report, "Office hours").utilization, row(report, "Office hours").flag) == (
        1.0,
        "over",
    )


def test_a_day_the_clocks_go_forward_in_new_york(db, add, book):
    around = add("Truck", kind="vehicle", zone="America/New_York", bookable=ALL_WEEK)
    office = add("Desk", zone="America/New_York")
    book(around, "2026-03-08 00:00", "2026-03-08 04:00")  # 01:00 to 03:00 is one hour: 3 hours
    book(office, "2026-03-08 09:00", "2026-03-08 13:00")
    report = on(db, date(2026, 3, 8))
    assert figures(row(report, "Truck")) == (23, 3, 0, 0, 0)
    assert figures(row(report, "Desk")) == (8, 4, 0, 0, 0)
    assert row(report, "Desk").utilization == 0.5
    assert report.zones == ("America/New_York",)


def test_each_resource_counts_its_own_days_in_its_own_zone(db, add, book):
    london = add("London", bookable=ALL_WEEK)
    new_york = add("New York", zone="America/New_York", bookable=ALL_WEEK)
    # 21:00-23:00 on the 30th in New York is 02:00-04:00 on 1 December in London.
    book(new_york, "2026-11-30 21:00", "2026-11-30 23:00")
    book(london, "2026-12-01 02:00", "2026-12-01 04:00")
    report = on(db, MONDAY)
    assert figures(row(report, "New York")) == (24, 2, 0, 0, 0)
    assert figures(row(report, "London")) == (24, 0, 0, 0, 0)
    assert report.zones == ("America/New_York", "Europe/London")


def test_bookable_hours_per_weekday(db, add, book):
    room = add("Hall", bookable=week((0, "09:00", "17:00"), (5, "10:00", "22:00")))
    book(room, "2026-12-05 08:00", "2026-12-05 12:00")  # Saturday: two hours inside its hours
    sunday = MONDAY + timedelta(days=6)
    assert figures(utilization_report(db, start=MONDAY, end=sunday).rows[0]) == (20, 2, 0, 0, 0)
    by_weekday = utilization_report(db, start=MONDAY, end=sunday, by="weekday")
    assert [usage.key for usage in by_weekday.rows] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    assert figures(row(by_weekday, "Mon")) == (8, 0, 0, 0, 0)
    assert row(by_weekday, "Mon").flag == "under"
    assert figures(row(by_weekday, "Sat")) == (12, 2, 0, 0, 0)
    assert row(by_weekday, "Sat").utilization == pytest.approx(2 / 12)
    assert (row(by_weekday, "Tue").bookable, row(by_weekday, "Tue").utilization) == (
        hours(0),
        None,
    )


def test_the_tree_blocks_up_and_down_but_not_sideways(db, add, book, black_out):
    stage = add("Stage", kind="stage")
    area_a = add("Area A", kind="floor_area", parent=stage)
    area_b = add("Area B", kind="floor_area", parent=stage)
    book(stage, "2026-11-30 10:00", "2026-11-30 12:00")
    book(area_a, "2026-11-30 13:00", "2026-11-30 16:00")
    black_out(area_b, "2026-11-30 09:00", "2026-11-30 10:00")
    report = on(db, MONDAY)
    assert [usage.key for usage in report.rows] == ["Stage", "Area A", "Area B"]  # tree order
    assert figures(row(report, "Stage")) == (8, 2, 0, 1, 3)
    assert figures(row(report, "Area A")) == (8, 3, 0, 0, 2)
    assert figures(row(report, "Area B")) == (8, 0, 0, 1, 2)
    assert row(report, "Stage").utilization == pytest.approx(2 / 7)


def test_a_blackout_on_the_stage_blocks_its_areas(db, add, black_out):
    stage = add("Stage", kind="stage")
    add("Area A", kind="floor_area", parent=stage)
    black_out(stage, "2026-11-30 09:00", "2026-11-30 11:00")
    assert figures(row(on(db, MONDAY), "Area A")) == (8, 0, 0, 2, 0)


def test_pending_is_counted_apart_from_confirmed(db, add, book):
    room = add("Room 1")
    book(room, "2026-11-30 09:00", "2026-11-30 11:00", status="pending")
    book(room, "2026-11-30 13:00", "2026-11-30 15:00")
    book(room, "2026-11-30 15:00", "2026-11-30 16:00")
    usage = on(db, MONDAY).rows[0]
    assert figures(usage) == (8, 3, 2, 0, 0)
    assert usage.utilization == 3 / 8


def test_cancelled_and_rejected_bookings_count_for_nothing(db, add, book, sql):
    room = add("Room 1")
    book(room, "2026-11-30 09:00", "2026-11-30 11:00")
    sql.execute("UPDATE spaces.reservations SET status = 'cancelled', cancel_reason = 'x'")
    assert figures(on(db, MONDAY).rows[0]) == (8, 0, 0, 0, 0)


def test_a_booking_across_midnight_is_split_between_its_days(db, add, book):
    room = add("Studio", bookable=ALL_WEEK)
    book(room, "2026-11-30 22:00", "2026-12-01 02:00")
    tuesday = MONDAY + timedelta(days=1)
    by_day = utilization_report(db, start=MONDAY, end=tuesday, by="day")
    assert [usage.key for usage in by_day.rows] == ["2026-11-30", "2026-12-01"]
    assert [figures(usage) for usage in by_day.rows] == [(24, 2, 0, 0, 0)] * 2
    by_hour = utilization_report(db, start=MONDAY, end=tuesday, by="hour")
    assert [usage.key for usage in by_hour.rows] == [f"{hour:02}" for hour in range(24)]
    booked = {usage.key: usage.confirmed / hours(1) for usage in by_hour.rows if usage.confirmed}
    assert booked == {"22": 1, "23": 1, "00": 1, "01": 1}
    assert row(by_hour, "22").bookable == hours(2)  # two days of it
    assert row(by_hour, "22").utilization == 0.5


def test_the_hour_the_clocks_show_twice_is_two_hours_of_that_hour(db, add):
    add("Studio", bookable=ALL_WEEK)
    by_hour = on(db, date(2026, 10, 25), by="hour")
    assert row(by_hour, "01").bookable == hours(2)
    assert sum((usage.bookable for usage in by_hour.rows), timedelta()) == hours(25)
    skipped = on(db, date(2026, 3, 29), by="hour")  # 01:00 GMT is 02:00 BST
    assert row(skipped, "01").bookable == hours(0)
    assert row(skipped, "01").utilization is None


def test_a_day_of_the_window_with_nothing_bookable_still_has_its_row(db, add):
    add("Weekdays", bookable=week(*[(day, "09:00", "17:00") for day in range(5)]))
    by_day = utilization_report(db, start=date(2026, 12, 5), end=date(2026, 12, 7), by="day")
    assert [(usage.key, usage.bookable / hours(1)) for usage in by_day.rows] == [
        ("2026-12-05", 0),
        ("2026-12-06", 0),
        ("2026-12-07", 8),
    ]


def test_by_kind_sums_the_hours_and_shares_them_out_again(db, add, book):
    one = add("Room 1")
    two = add("Room 2")
    add("Truck", kind="vehicle")
    book(one, "2026-11-30 09:00", "2026-11-30 13:00")
    book(two, "2026-11-30 09:00", "2026-11-30 17:00")
    report = on(db, MONDAY, by="kind")
    assert [usage.key for usage in report.rows] == ["room", "vehicle"]
    assert figures(row(report, "room")) == (16, 12, 0, 0, 0)
    assert row(report, "room").utilization == 0.75
    assert row(report, "room").resource_id is None
    assert (row(report, "vehicle").utilization, row(report, "vehicle").flag) == (0, "under")


def test_the_flags_follow_the_thresholds(db, add, book):
    room = add("Room 1")
    book(room, "2026-11-30 09:00", "2026-11-30 13:00")
    assert on(db, MONDAY).rows[0].flag is None
    assert on(db, MONDAY, over_at=0.5).rows[0].flag == "over"
    assert on(db, MONDAY, under_at=0.5).rows[0].flag == "under"
    assert (on(db, MONDAY, over_at=0.6, under_at=0.4).over_at, 0.4) == (0.6, 0.4)


def test_which_resources_a_report_covers(db, add):
    stage = add("Stage", kind="stage")
    add("Area A", kind="floor_area", parent=stage)
    add("Room 1")
    add("Old room", active=False)

    def keys(**options) -> list[str]:
        return [usage.key for usage in on(db, MONDAY, **options).rows]

    assert keys() == ["Room 1", "Stage", "Area A"]  # active ones, in tree order
    assert keys(resources=["Old room", "Room 1"]) == ["Old room", "Room 1"]
    assert keys(resources=[stage]) == ["Stage"]
    assert keys(within="Stage") == ["Stage", "Area A"]
    assert keys(kind="floor_area") == ["Area A"]
    assert keys(within="Stage", kind="room") == []


def test_the_default_window_is_the_four_weeks_ending_today(db, add):
    add("Room 1")
    report = utilization_report(db, today=MONDAY)
    assert (report.start, report.end) == (MONDAY - timedelta(days=27), MONDAY)
    assert report.rows[0].bookable == hours(8 * 28)
    assert (report.over_at, report.under_at) == (0.85, 0.20)


def test_one_end_of_the_window_gives_the_four_weeks_from_or_to_it(db, add):
    add("Room 1")
    later = MONDAY + timedelta(days=27)
    from_monday = utilization_report(db, start=MONDAY, today=date(2020, 1, 1))
    assert (from_monday.start, from_monday.end) == (MONDAY, later)
    to_later = utilization_report(db, end=later, today=date(2020, 1, 1))
    assert (to_later.start, to_later.end) == (MONDAY, later)


def test_heat_map_cells_are_weekday_and_hour_on_the_resources_clock(db, add, book):
    room = add("Hall", zone="America/New_York", bookable=week((0, "09:00", "17:00")))
    book(room, "2026-11-30 09:00", "2026-11-30 10:30")
    cells = heat_map(db, "Hall", MONDAY - timedelta(days=7), MONDAY + timedelta(days=6))
    assert len(cells) == 7 * 24
    assert cells[(1, 9)] == 0.5  # one of the two Mondays' 09:00 hours
    assert cells[(1, 10)] == 0.25
    assert cells[(1, 11)] == 0
    assert cells[(1, 8)] is None
    assert cells[(2, 9)] is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"by": "month"}, "use resource, kind, day, weekday, hour"),
        ({"start": date(2026, 12, 2), "end": date(2026, 12, 1)}, "before it starts"),
        ({"start": date(2020, 1, 1), "end": date(2031, 1, 1)}, "ten years at most"),
        ({"kind": "spaceship"}, "no resource is of kind 'spaceship': the kinds are room"),
        ({"start": date.max}, "cannot run four weeks from 9999-12-31"),
        ({"end": date.min}, "cannot run four weeks from 0001-01-01"),
        ({"over_at": 1.5}, "shares from 0 to 1"),
        ({"under_at": -0.1}, "shares from 0 to 1"),
        ({"over_at": 0.3, "under_at": 0.3}, "must be below the over-booked one"),
    ],
)
def test_bad_input_is_refused(db, add, options, message):
    add("Room 1")
    with pytest.raises(BadInput, match=message):
        utilization_report(db, today=MONDAY, **options)


def test_the_last_days_a_date_can_hold_are_reported(db, add):
    add("Room 1")
    report = utilization_report(db, start=date(9999, 12, 30), end=date.max)
    assert report.rows[0].bookable == hours(16)


def test_an_unknown_resource_is_not_found(db, add):
    add("Room 1")
    with pytest.raises(NotFound, match="no resource named Room 9"):
        utilization_report(db, resources=["Room 9"], today=MONDAY)
    with pytest.raises(NotFound):
        utilization_report(db, within="Room 9", today=MONDAY)
    with pytest.raises(NotFound):
        heat_map(db, "Room 9", MONDAY, MONDAY)


def test_the_figures_do_not_depend_on_the_sessions_time_zone(db, add, book, sql):
    database = sql.execute("SELECT current_database()").fetchone()[0]
    sql.execute(f"ALTER DATABASE \"{database}\" SET timezone = 'Pacific/Auckland'")
    desk = add("Desk", zone="America/New_York")
    book(desk, "2026-03-08 09:00", "2026-03-08 13:00")
    book(desk, "2026-03-08 16:00", "2026-03-08 18:00")  # one hour of it after closing
    report = on(db, date(2026, 3, 8), by="hour")
    assert {usage.key: usage.confirmed / hours(1) for usage in report.rows if usage.confirmed} == {
        "09": 1,
        "10": 1,
        "11": 1,
        "12": 1,
        "16": 1,
    }
    assert [usage.key for usage in report.rows if usage.bookable] == [
        f"{hour:02}" for hour in range(9, 17)
    ]


def week_hours(sql, bookable: str, zone: str, start: str, end: str) -> str:
    sql.execute("SET timezone = 'UTC'")
    return sql.execute(
        "SELECT spaces.week_hours(%s, %s, tstzrange(%s::timestamp AT TIME ZONE %s,"
        " %s::timestamp AT TIME ZONE %s, '[)'))::text",
        (bookable, zone, start, zone, end, zone),
    ).fetchone()[0]


def test_week_hours_are_wall_clock_times_in_the_zone(sql):
    assert week_hours(sql, NINE_TO_FIVE, "America/New_York", "2026-03-08", "2026-03-09") == (
        '{["2026-03-08 13:00:00+00","2026-03-08 21:00:00+00")}'
    )
    # A window that starts and ends inside the bookable hours keeps only its own part.
    assert week_hours(
        sql, NINE_TO_FIVE, "Europe/London", "2026-11-30 12:00", "2026-12-01 10:00"
    ) == ('{["2026-11-30 12:00:00+00","2026-11-30 17:00:00+00"),'
          '["2026-12-01 09:00:00+00","2026-12-01 10:00:00+00")}')  # fmt: skip
    # Monday 23:00 to Tuesday 01:00 is one stretch; Sunday night runs into Monday morning.
    late = week(
        (0, "23:00", "24:00"), (1, "00:00", "01:00"), (6, "22:00", "24:00"), (0, "00:00", "02:00")
    )
    assert week_hours(sql, late, "UTC", "2026-11-29", "2026-12-01") == (
        '{["2026-11-29 22:00:00+00","2026-11-30 02:00:00+00"),'
        '["2026-11-30 23:00:00+00","2026-12-01 00:00:00+00")}'
    )


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def venue(add, book, black_out):
    stage = add("Stage", kind="stage")
    area = add("Area A", kind="floor_area", parent=stage)
    room = add("Room 1", zone="America/New_York")
    book(area, "2026-11-30 09:00", "2026-11-30 13:00")
    book(room, "2026-11-30 09:00", "2026-11-30 16:00")
    book(room, "2026-11-30 16:00", "2026-11-30 17:00", status="pending")
    black_out(stage, "2026-11-30 16:00", "2026-11-30 17:00")
    return {"stage": stage, "area": area, "room": room}


def test_the_report_as_a_table(spaces, venue):
    result = spaces("report", "utilization", "--from", "2026-11-30", "--to", "2026-11-30")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "Utilization 2026-11-30 to 2026-11-30 by resource, each resource on its own clock"
        " (America/New_York, Europe/London); over at 85%, under at 20%",
        "",
        "RESOURCE  BOOKABLE  CONFIRMED  PENDING  BLACKED OUT  TREE  UTILIZATION  FLAG",
        "Room 1    8.0h      7.0h       1.0h     0.0h         0.0h  87.5%        over",
        "Stage     8.0h      0.0h       0.0h     1.0h         4.0h  0.0%         under",
        "  Area A  8.0h      4.0h       0.0h     1.0h         0.0h  57.1%",
    ]


def test_the_report_as_json(spaces, venue):
    result = spaces("report", "utilization", "--from", "2026-11-30", "--to", "2026-11-30", "--json")
    assert result.code == 0
    assert result.json == {
        "from": "2026-11-30",
        "to": "2026-11-30",
        "by": "resource",
        "over_at": 0.85,
        "under_at": 0.2,
        "rows": [
            {
                "key": "Room 1",
                "resource_id": venue["room"],
                "bookable_hours": 8.0,
                "confirmed_hours": 7.0,
                "pending_hours": 1.0,
                "blacked_out_hours": 0.0,
                "tree_blocked_hours": 0.0,
                "utilization": 0.875,
                "flag": "over",
            },
            {
                "key": "Stage",
                "resource_id": venue["stage"],
                "bookable_hours": 8.0,
                "confirmed_hours": 0.0,
                "pending_hours": 0.0,
                "blacked_out_hours": 1.0,
                "tree_blocked_hours": 4.0,
                "utilization": 0.0,
                "flag": "under",
            },
            {
                "key": "Area A",
                "resource_id": venue["area"],
                "bookable_hours": 8.0,
                "confirmed_hours": 4.0,
                "pending_hours": 0.0,
                "blacked_out_hours": 1.0,
                "tree_blocked_hours": 0.0,
                "utilization": 0.5714,
                "flag": None,
            },
        ],
    }


def test_the_report_as_csv_by_kind_with_thresholds(spaces, venue):
    result = spaces(
        "report",
        "utilization",
        "--from",
        "2026-11-30",
        "--to",
        "2026-11-30",
        "--by",
        "kind",
        "--over-at",
        "50",
        "--under-at",
        "10",
        "--csv",
    )
    assert result.code == 0
    assert list(csv.reader(io.StringIO(result.out))) == [
        [
            "key",
            "resource_id",
            "bookable_hours",
            "confirmed_hours",
            "pending_hours",
            "blacked_out_hours",
            "tree_blocked_hours",
            "utilization",
            "flag",
        ],
        ["floor_area", "", "8.0", "4.0", "0.0", "1.0", "0.0", "0.5714", "over"],
        ["room", "", "8.0", "7.0", "1.0", "0.0", "0.0", "0.875", "over"],
        ["stage", "", "8.0", "0.0", "0.0", "1.0", "4.0", "0.0", "under"],
    ]


def test_the_report_picks_resources_by_name_kind_and_tree(spaces, venue):
    def keys(*options: str) -> list[str]:
        result = spaces("report", "utilization", "--to", "2026-11-30", "--json", *options)
        assert result.code == 0, result.err
        return [shown["key"] for shown in result.json["rows"]]

    assert keys("--resource", "Room 1", "--resource", "Area A") == ["Room 1", "Area A"]
    assert keys("--under", "Stage") == ["Stage", "Area A"]
    assert keys("--kind", "stage") == ["Stage"]


def test_the_default_window_ends_today(spaces, venue):
    result = spaces("report", "utilization", "--json")
    assert result.code == 0
    shown = result.json
    assert date.fromisoformat(shown["to"]) - date.fromisoformat(shown["from"]) == timedelta(27)


def test_today_is_a_date_too(spaces, venue):
    result = spaces("report", "utilization", "--from", "today", "--to", "today", "--by", "hour")
    assert result.code == 0
    assert "by hour" in result.out.splitlines()[0]
    assert result.out.splitlines()[2].startswith("HOUR")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-12-02", "--to", "2026-12-01"], "before it starts"),
        (["--from", "tomorrowish"], "--from 'tomorrowish' is not a date"),
        (["--over-at", "120"], "--over-at '120' must be a percentage from 0 to 100"),
        (["--under-at", "x"], "--under-at 'x' must be a percentage from 0 to 100"),
        (["--over-at", "20"], "must be below the over-booked one"),
        (["--resource", "Room 9"], "no resource named Room 9"),
        (["--kind", "spaceship"], "no resource is of kind 'spaceship'"),
    ],
)
def test_bad_input_exits_2_with_one_line(spaces, venue, args, message):
    result = spaces("report", "utilization", *args)
    assert result.code == 2
    assert result.err.startswith("spaces: ") and message in result.err
    assert len(result.err.splitlines()) == 1
    assert result.out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "month"], "invalid choice: 'month' (choose from 'resource', 'kind', 'day'"),
        (["--json", "--csv"], "argument --csv: not allowed with argument --json"),
    ],
)
def test_a_malformed_command_is_a_usage_error(database_url, capsys, args, message):
    with pytest.raises(SystemExit) as exited:
        main(["--db", database_url, "report", "utilization", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_every_option_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["report", "utilization", "--help"])
    shown = capsys.readouterr().out
    for option in ("--from", "--to", "--resource", "--kind", "--under", "--by", "--over-at"):
        assert option in shown
    assert "default 85%" in shown and "default 20%" in shown
