"""Recurring reservations: RRULE expansion on the resource's wall clock across daylight-saving
changes, all-or-nothing and skip modes, cancelling and deciding by scope, the command line's
contract, and a series racing one-off bookings."""

from __future__ import annotations

import contextlib
import threading
from datetime import date

import pendulum
import pytest

from spaces_tui.db.connection import Database
from spaces_tui.engine import reservations, resources, series
from spaces_tui.engine.errors import BadInput, Conflict, InvalidTransition
from spaces_tui.engine.recurrence import MAX_OCCURRENCES, build_rule, expand

# --- expansion, without a database -----------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "first_day", "change_day", "utc_before", "utc_after"),
    [
        ("Europe/London", date(2027, 3, 26), date(2027, 3, 28), "09:00", "08:00"),
        ("Europe/London", date(2027, 10, 29), date(2027, 10, 31), "08:00", "09:00"),
        ("America/New_York", date(2027, 3, 12), date(2027, 3, 14), "14:00", "13:00"),
        ("America/New_York", date(2027, 11, 5), date(2027, 11, 7), "13:00", "14:00"),
    ],
)
def test_a_daily_slot_keeps_its_wall_clock_across_the_change(
    zone, first_day, change_day, utc_before, utc_after
):
    start = pendulum.datetime(first_day.year, first_day.month, first_day.day, 9, tz=zone)
    occurrences = expand("FREQ=DAILY;COUNT=4", start, start.add(hours=1), zone)
    assert [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in occurrences] == [
        ("09:00", "10:00")
    ] * 4
    utc = {a.date(): a.in_timezone("UTC").strftime("%H:%M") for a, _ in occurrences}
    assert utc[first_day] == utc_before
    assert utc[change_day] == utc_after
    assert all((b - a).in_hours() == 1 for a, b in occurrences)


def test_until_and_except_trim_the_rule():
    start = pendulum.datetime(2027, 4, 5, 18, tz="Europe/London")
    occurrences = expand(
        "FREQ=WEEKLY;BYDAY=MO,WE",
        start,
        start.add(hours=2),
        "Europe/London",
        until=date(2027, 4, 19),
        exceptions=[date(2027, 4, 7)],
    )
    assert [a.date().isoformat() for a, _ in occurrences] == [
        "2027-04-05",
        "2027-04-12",
        "2027-04-14",
        "2027-04-19",
    ]


@pytest.mark.parametrize(
    ("rule", "kwargs", "said"),
    [
        ("FREQ=DAILY", {}, f"more than {MAX_OCCURRENCES}"),
        (f"FREQ=DAILY;COUNT={MAX_OCCURRENCES + 1}", {}, f"more than {MAX_OCCURRENCES}"),
        (
            "FREQ=DAILY;COUNT=2",
            {"exceptions": [date(2027, 4, 5), date(2027, 4, 6)]},
            "no occurrences",
        ),
        ("FREQ=DAILY;COUNT=2", {"exceptions": [date(2027, 5, 1)]}, "not a date the rule gives"),
        ("FREQ=DAILY;COUNT=2", {"until": date(2027, 5, 1)}, "COUNT or --until, not both"),
        ("FREQ=SOMETIMES", {}, "cannot read the repeat rule"),
        ("DTSTART:20270101T000000\nRRULE:FREQ=DAILY", {}, "leave DTSTART out"),
        ("", {}, "a repeat rule is needed"),
    ],
)
def test_unusable_rules_are_explained(rule, kwargs, said):
    start = pendulum.datetime(2027, 4, 5, 9, tz="UTC")
    with pytest.raises(BadInput, match=said):
        expand(rule, start, start.add(hours=1), "UTC", **kwargs)


def test_exactly_the_limit_is_fine():
    start = pendulum.datetime(2027, 4, 5, 9, tz="UTC")
    occurrences = expand(
        f"FREQ=HOURLY;COUNT={MAX_OCCURRENCES}", start, start.add(minutes=30), "UTC"
    )
    assert len(occurrences) == MAX_OCCURRENCES


# --- booking a series --------------------------------------------------------------------------


@pytest.fixture
def venue(db: Database) -> Database:
    resources.add_resource(db, "Stage", "stage", timezone="Europe/London")
    resources.add_resource(db, "Left", "floor_area", parent="Stage")
    resources.add_resource(db, "Room", "room", timezone="Europe/London")
    resources.add_resource(
        db, "Truck", "vehicle", timezone="UTC", requires_approval=True, approvers=["jo"]
    )
    return db


def count(sql, table: str = "reservations") -> int:
    return sql.execute(f"SELECT count(*) FROM spaces.{table}").fetchone()[0]


def test_every_occurrence_is_a_row_of_one_series(venue, sql):
    booked = series.book_series(
        venue, "Room", "2027-03-26T09:00", "10:00", "Class", "FREQ=DAILY;COUNT=5"
    )
    assert booked.status == "confirmed" and booked.skipped == []
    assert [r.start.strftime("%d %H:%M %Z") for r in booked.reservations] == [
        "26 09:00 GMT",
        "27 09:00 GMT",
        "28 09:00 BST",
        "29 09:00 BST",
        "30 09:00 BST",
    ]
    assert {r.series_id for r in booked.reservations} == {booked.series_id}
    row = sql.execute(
        "SELECT rrule, timezone, duration, title, created_by FROM spaces.series WHERE id = %s",
        (booked.series_id,),
    ).fetchone()
    assert row[0:2] == ("FREQ=DAILY;COUNT=5", "Europe/London")
    assert (row[2].total_seconds(), row[3], row[4]) == (3600, "Class", "tester")


def test_all_or_nothing_lists_every_blocked_occurrence(venue, sql):
    reservations.book(venue, "Left", "2027-03-27T09:30", "+1h", "Left rig")
    reservations.book(venue, "Stage", "2027-03-29T08:00", "+2h", "Get-in")
    before = count(sql)
    with pytest.raises(Conflict) as refused:
        series.book_series(
            venue, "Stage", "2027-03-26T09:00", "10:00", "Class", "FREQ=DAILY;COUNT=5"
        )
    blocked = refused.value.blocked
    assert [(b.start.day, [o.title for o in b.obstacles]) for b in blocked] == [
        (27, ["Left rig"]),
        (29, ["Get-in"]),
    ]
    assert "2 of 5 occurrences" in str(refused.value)
    assert count(sql) == before
    assert count(sql, "series") == 0


def four_mornings_of_class(db: Database, *, skip_conflicts: bool) -> series.SeriesBooking:
    """A class in Room at 09:00-10:00 each day from Friday 26 March 2027 to Monday the 29th."""
    return series.book_series(
        db,
        "Room",
        "2027-03-26T09:00",
        "10:00",
        "Class",
        "FREQ=DAILY;COUNT=4",
        skip_conflicts=skip_conflicts,
    )


def test_skip_conflicts_books_the_rest_and_says_what_was_skipped(venue):
    reservations.book(venue, "Room", "2027-03-27T09:30", "+1h", "Audition")
    booked = four_mornings_of_class(venue, skip_conflicts=True)
    assert [r.start.day for r in booked.reservations] == [26, 28, 29]
    assert [(b.start.day, b.obstacles[0].title) for b in booked.skipped] == [(27, "Audition")]


def test_a_rule_that_overlaps_itself_blocks_on_its_own_occurrences(venue):
    with pytest.raises(Conflict) as refused:
        series.book_series(venue, "Room", "2027-03-26T09:00", "+3h", "Long", "FREQ=HOURLY;COUNT=3")
    assert [b.obstacles[0].title for b in refused.value.blocked] == ["Long", "Long"]


def test_cancel_one_the_following_or_the_whole_series(venue):
    booked = series.book_series(
        venue, "Room", "2027-04-05T09:00", "10:00", "Class", "FREQ=DAILY;COUNT=6"
    )
    ids = [r.id for r in booked.reservations]
    reservations.cancel(venue, ids[1], "holiday")
    following = series.change_series(venue, ids[3], "cancelled", "term ends", scope="following")
    assert [r.id for r in following] == ids[3:]
    statuses = [reservations.get_reservation(venue, i).status for i in ids]
    assert statuses == ["confirmed", "cancelled", "confirmed"] + ["cancelled"] * 3
    rest = series.change_series(venue, ids[0], "cancelled", "closed", scope="series")
    assert [r.id for r in rest] == [ids[0], ids[2]]
    with pytest.raises(InvalidTransition, match="nothing left to change"):
        series.change_series(venue, ids[0], "cancelled", "again", scope="series")
    lone = reservations.book(venue, "Room", "2027-05-01T09:00", "+1h", "One-off")
    with pytest.raises(BadInput, match="not part of a series"):
        series.change_series(venue, lone.id, "cancelled", "x", scope="series")


def test_a_series_on_an_approval_resource_is_decided_as_one_request(venue, database_url):
    booked = series.book_series(
        venue, "Truck", "2027-04-05T09:00", "+1h", "Tour", "FREQ=WEEKLY;COUNT=3"
    )
    assert booked.status == "pending"
    ids = [r.id for r in booked.reservations]
    jo = Database(database_url, "jo")
    try:
        reservations.reject(jo, ids[2], "no driver that week")
        approved = series.change_series(jo, ids[0], "confirmed", "ok", scope="series")
    finally:
        jo.dispose()
    assert [(r.id, r.status, r.decided_by) for r in approved] == [
        (ids[0], "confirmed", "jo"),
        (ids[1], "confirmed", "jo"),
    ]


def test_an_occurrence_keeps_its_series_and_a_series_is_never_edited(venue, sql):
    booked = series.book_series(venue, "Room", "2027-04-05T09:00", "+1h", "C", "FREQ=DAILY;COUNT=2")
    for statement in (
        "UPDATE spaces.reservations SET series_id = NULL",
        "UPDATE spaces.series SET title = 'other'",
        "DELETE FROM spaces.series",
    ):
        with pytest.raises(Exception) as refused:
            sql.execute(statement)
        assert refused.value.sqlstate == "SP003", statement
    assert count(sql, "series") == 1 and booked.series_id


# --- the command line ----------------------------------------------------------------------


def test_book_with_a_rule_prints_the_series_json(venue, spaces):
    done = spaces(
        "book", "Room", "2027-04-05T18:00", "+2h", "--title", "Tech",
        "--rrule", "FREQ=WEEKLY;BYDAY=MO,WE", "--until", "2027-04-14", "--except", "2027-04-07",
        "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    shown = done.json
    assert set(shown) == {"series_id", "status", "ids", "skipped", "risks"}
    assert (shown["status"], len(shown["ids"]), shown["skipped"], shown["risks"]) == (
        "confirmed",
        3,
        [],
        [],
    )


def test_a_blocked_series_exits_3_with_every_blocked_occurrence(venue, spaces, sql):
    spaces("book", "Room", "2027-04-06T18:30", "+1h", "--title", "Audition")
    before = count(sql)
    refused = spaces(
        "book", "Room", "2027-04-05T18:00", "+2h", "--title", "Tech",
        "--rrule", "FREQ=DAILY;COUNT=3", "--json",
    )  # fmt: skip
    assert refused.code == 3
    assert refused.json["error"] == "conflict"
    [blocked] = refused.json["blocked"]
    assert blocked["start"].startswith("2027-04-06T18:00")
    assert blocked["conflicts"][0]["title"] == "Audition"
    assert count(sql) == before
    skipped = spaces(
        "book", "Room", "2027-04-05T18:00", "+2h", "--title", "Tech",
        "--rrule", "FREQ=DAILY;COUNT=3", "--skip-conflicts", "--json",
    )  # fmt: skip
    assert skipped.code == 0
    assert len(skipped.json["ids"]) == 2
    assert skipped.json["skipped"][0]["conflicts"][0]["title"] == "Audition"


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--rrule", "FREQ=DAILY"], "more than 1000"),
        (["--rrule", "FREQ=DAILY;COUNT=2", "--except", "2030-01-01"], "not a date the rule gives"),
        (["--until", "2027-05-01"], "go with --rrule"),
    ],
)
def test_bad_rules_exit_2_and_write_nothing(venue, spaces, sql, extra, said):
    refused = spaces("book", "Room", "2027-04-05T18:00", "+2h", "--title", "T", *extra)
    assert refused.code == 2 and said in refused.err
    assert count(sql) == 0 and count(sql, "series") == 0


def test_cancel_following_and_series_from_the_command_line(venue, spaces):
    made = spaces(
        "book", "Room", "2027-04-05T09:00", "+1h", "--title", "C",
        "--rrule", "FREQ=DAILY;COUNT=4", "--json",
    ).json  # fmt: skip
    ids = [str(i) for i in made["ids"]]
    following = spaces("cancel", ids[2], "--following", "--reason", "moved", "--json")
    assert [r["id"] for r in following.json] == made["ids"][2:]
    whole = spaces("cancel", ids[0], "--series", "--reason", "gone", "--json")
    assert [r["status"] for r in whole.json] == ["cancelled", "cancelled"]
    one_off = spaces("book", "Room", "2027-06-01T09:00", "+1h", "--title", "x", "--json").json
    refused = spaces("cancel", str(one_off["id"]), "--series", "--reason", "r")
    assert refused.code == 2 and "not part of a series" in refused.err


# --- concurrency ---------------------------------------------------------------------------


def test_a_series_racing_one_off_bookings_never_overlaps(venue, database_url, sql):
    """A daily series over two weeks against four threads booking one-offs into the same
    mornings: whatever wins, the table holds no overlap and the series is whole or absent."""
    barrier = threading.Barrier(5)
    outcomes: list[str] = []

    def one_offs(worker: int) -> None:
        db = Database(database_url, f"racer{worker}")
        barrier.wait()
        try:
            for day in range(1, 15):
                with contextlib.suppress(Conflict):
                    reservations.book(
                        db, "Room", f"2027-04-{day:02d}T09:{worker * 10:02d}", "+20m", "x"
                    )
        finally:
            db.dispose()

    def the_series() -> None:
        db = Database(database_url, "series")
        barrier.wait()
        try:
            series.book_series(
                db, "Room", "2027-04-01T09:00", "+1h", "Class", "FREQ=DAILY;COUNT=14"
            )
            outcomes.append("booked")
        except Conflict as conflict:
            outcomes.append(f"refused {len(conflict.blocked)}")
        finally:
            db.dispose()

    threads = [threading.Thread(target=one_offs, args=(w,)) for w in range(4)]
    threads.append(threading.Thread(target=the_series))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    overlaps = sql.execute(
        "SELECT count(*) FROM spaces.reservations a JOIN spaces.reservations b"
        " ON a.id < b.id AND a.resource_id = b.resource_id AND a.during && b.during"
        " WHERE a.status IN ('pending', 'confirmed') AND b.status IN ('pending', 'confirmed')"
    ).fetchone()[0]
    assert overlaps == 0
    occurrences = sql.execute(
        "SELECT count(*) FROM spaces.reservations WHERE series_id IS NOT NULL"
    ).fetchone()[0]
    assert len(outcomes) == 1
    assert occurrences == (14 if outcomes == ["booked"] else 0)


# --- what a form's repeat choices mean, and the preview ------------------------------------


@pytest.mark.parametrize(
    ("repeat", "days", "custom", "ends", "expected"),
    [
        ("none", "", "", "", None),
        ("daily", "", "", "10", ("FREQ=DAILY;COUNT=10", None)),
        ("weekdays", "", "", "2027-04-30", ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2027, 4, 30))),
        ("weekly", "", "", "4", ("FREQ=WEEKLY;BYDAY=MO;COUNT=4", None)),
        ("weekly", "tu, th", "", "4", ("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", None)),
        (
            "custom",
            "",
            "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3",
            "",
            ("FREQ=MONTHLY;BYMONTHDAY=1;COUNT=3", None),
        ),
    ],
)
def test_a_forms_repeat_choices_become_a_rule(repeat, days, custom, ends, expected):
    monday = pendulum.datetime(2027, 4, 5, 9, tz="UTC")
    pattern = custom or days
    assert build_rule(repeat, monday, days=pattern, custom=pattern, ends=ends) == expected


@pytest.mark.parametrize(
    ("repeat", "days", "ends", "said"),
    [
        ("daily", "", "", "until when"),
        ("weekly", "MO,XX", "3", "not XX"),
        ("daily", "", "soon", "give a date"),
        ("fortnightly", "", "3", "repeat is one of"),
    ],
)
def test_unusable_repeat_choices_are_explained(repeat, days, ends, said):
    monday = pendulum.datetime(2027, 4, 5, 9, tz="UTC")
    with pytest.raises(BadInput, match=said):
        build_rule(repeat, monday, days=days, ends=ends)


def test_the_preview_marks_each_occurrence_in_the_way_and_writes_nothing(venue, sql):
    reservations.book(venue, "Room", "2027-04-06T09:30", "+1h", "Audition")
    before = count(sql)
    checked = series.preview(venue, "Room", "2027-04-05T09:00", "+1h", "FREQ=DAILY;COUNT=3")
    assert [(c.start.day, [o.title for o in c.obstacles]) for c in checked] == [
        (5, []),
        (6, ["Audition"]),
        (7, []),
    ]
    assert (count(sql), count(sql, "series")) == (before, 0)


@pytest.fixture
def one_off_after_the_check(venue, database_url, monkeypatch):
    """Makes the series' check see the 28th free and then, before its insert, commits a
    one-off there from another connection: the window a real race has."""
    checked = series.periods_obstacles
    other = Database(database_url, "quick")

    def check_then_someone_books(*args, **kwargs):
        found = checked(*args, **kwargs)
        reservations.book(other, "Room", "2027-03-28T09:30", "+1h", "Quick one")
        return found

    monkeypatch.setattr(series, "periods_obstacles", check_then_someone_books)
    yield
    other.dispose()


@pytest.mark.parametrize("skip_conflicts", [False, True])
def test_a_one_off_booked_between_the_check_and_the_insert_is_named(
    venue, sql, one_off_after_the_check, skip_conflicts
):
    """The occurrences go in as one statement; when it meets a booking made after the check,
    they are tried one at a time, so the blocked one is named and the rest behave as asked."""
    try:
        booked = four_mornings_of_class(venue, skip_conflicts=skip_conflicts)
    except Conflict as refused:
        assert not skip_conflicts
        assert [(b.start.day, [o.title for o in b.obstacles]) for b in refused.blocked] == [
            (28, ["Quick one"])
        ]
        assert count(sql) == 1 and count(sql, "series") == 0
    else:
        assert skip_conflicts
        assert [r.start.day for r in booked.reservations] == [26, 27, 29]
        assert [(b.start.day, b.obstacles[0].title) for b in booked.skipped] == [(28, "Quick one")]
