"""Absurd input on the command line: each exits 2 with one line on stderr and writes nothing.
And every reader survives a row from before the database's window rule (infinite, BC, past
year 9999), on the command line and in the calendar."""

from __future__ import annotations

import psycopg
import pytest
from tui_helpers import SIZE, home, make_app, settle

from spaces_tui.config import default_actor, load_settings
from spaces_tui.engine import events, resources
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.screens import home as home_screen

TABLES = (
    "spaces.resources",
    "spaces.reservations",
    "spaces.blackouts",
    "spaces.events",
    "spaces.series",
    "spaces.access",
    "rehearse.sessions",
)
BIGINT_MAX = 2**63 - 1
HUGE = str(10**20)
WINDOW = "between the years 1900 and 9998"


def counts(sql) -> dict[str, int]:
    return {t: sql.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def venue(spaces):
    for args in (
        ("Room", "--kind", "room", "--tz", "UTC", "--capacity", "10"),
        ("Hall", "--kind", "room", "--tz", "America/New_York"),
        ("Truck", "--kind", "vehicle", "--tz", "UTC", "--approver", "boss"),
    ):
        assert spaces("resource", "add", *args).code == 0
    return spaces


def refused(venue, sql, *args: str, actor: str = "tester") -> str:
    """Runs args, which must exit 2 with one short line and change nothing; returns the line."""
    before = counts(sql)
    done = venue(*args, actor=actor)
    assert done.code == 2, (done.code, done.err[:300])
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spaces: "), done.err[:300]
    assert "Traceback" not in done.err and len(lines[0]) < 200, lines[0][:300]
    assert counts(sql) == before
    return lines[0]


# --- periods and durations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("Room", "2026-12-01T10:00", "+99999999d"), "too long"),
        (("Room", "2026-12-01T10:00", "+2950000d"), WINDOW),
        (("Room", "9999-12-31T23:30", "+1h"), WINDOW),
        (("Room", "9998-12-31T23:30", "+1h"), WINDOW),  # its end is past
        (("Room", "1899-12-31T23:00", "+1h"), WINDOW),
        (("Hall", "9998-12-31T20:00", "+1h"), WINDOW),  # 01:00 UTC in 9999
        (("Room", "2026-12-01T10:00", "+" + "9" * 5000 + "d"), "too long"),
    ],
)
def test_a_period_outside_the_window_is_refused_before_the_database(venue, sql, args, said):
    assert said in refused(venue, sql, "book", *args, "--title", "x")
    assert said in refused(venue, sql, "check", *args)
    assert said in refused(venue, sql, "blackout", "add", *args, "--reason", "x")
    assert said in refused(venue, sql, "rehearse", "add", *args, "--title", "x")


def test_the_window_is_half_open_like_the_databases(venue):
    last = venue("book", "Room", "9998-12-31T23:00", "+1h", "--title", "Last", "--json")
    assert last.code == 0, last.err
    assert last.json["end"] == "9999-01-01T00:00:00+00:00"
    first = venue("book", "Room", "1900-01-01T00:00", "+1h", "--title", "First", "--json")
    assert first.code == 0, first.err


def test_a_repeat_past_the_window_is_refused(venue, sql):
    far = ("book", "Room", "2026-12-01T10:00", "+1h", "--title", "x", "--rrule")
    said = refused(venue, sql, *far, "FREQ=YEARLY;INTERVAL=7973;COUNT=2")
    assert WINDOW in said
    said = refused(venue, sql, *far[:-1], "--rrule", "FREQ=YEARLY", "--until", "9999-12-31")
    assert "9999-12-31" in said
    hall = ("book", "Hall", "2026-12-01T10:00", "+1h", "--title", "x", "--rrule", "FREQ=DAILY")
    assert "9999-12-31" in refused(venue, sql, *hall, "--until", "9999-12-31")


@pytest.mark.parametrize(
    "args",
    [
        ("pending", "--older-than", "9999999999d"),
        ("pending", "--older-than", "99999999999999999999999h"),
        ("resource", "set", "Room", "--stall-after", "99999999999d"),
        ("resource", "add", "Van", "--kind", "vehicle", "--stall-after", "99999999999d"),
    ],
)
def test_a_duration_too_long_to_hold_exits_2(venue, sql, args):
    assert "too long" in refused(venue, sql, *args)


def test_a_long_duration_that_fits_is_fine(venue):
    assert venue("pending", "--older-than", "365000d").code == 0
    assert venue("resource", "set", "Room", "--stall-after", "3650d").code == 0


# --- ids and numbers -----------------------------------------------------------------------


ID_COMMANDS = [
    ("cancel", "{}", "--reason", "x"),
    ("approve", "{}"),
    ("reject", "{}", "--reason", "x"),
    ("history", "{}"),
    ("blackout", "lift", "{}"),
    ("rehearse", "cancel", "{}", "--reason", "x"),
    ("rehearse", "rebook", "{}", "2026-12-01T10:00", "+1h"),
]


@pytest.mark.parametrize("command", ID_COMMANDS, ids=lambda c: " ".join(c[:2]))
@pytest.mark.parametrize("number", [str(2**63), "0", "-1", HUGE])
def test_an_id_no_row_can_have_is_not_a_valid_id(venue, sql, command, number):
    said = refused(venue, sql, *(part.format(number) for part in command))
    assert f"{number} is not a valid id" in said


@pytest.mark.parametrize("command", ID_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_the_largest_id_is_simply_not_found(venue, sql, command):
    said = refused(venue, sql, *(part.format(BIGINT_MAX) for part in command))
    assert f"with id {BIGINT_MAX}" in said


@pytest.mark.parametrize(
    "args",
    [
        ("book", "Room", "2026-12-01T10:00", "+1h", "--title", "x", "--headcount", HUGE),
        ("resource", "add", "Big", "--kind", "room", "--capacity", HUGE),
        ("resource", "set", "Room", "--capacity", HUGE),
        ("resource", "add", "Slow", "--kind", "room", "--buffer", HUGE),
        ("resource", "set", "Room", "--buffer", HUGE),
        ("events", "--since", HUGE),
        ("events", "--since", "-1"),
    ],
)
def test_numbers_too_large_to_hold_exit_2(venue, sql, args):
    refused(venue, sql, *args)


# --- text ----------------------------------------------------------------------------------


def test_a_huge_time_zone_is_refused_without_echoing_it(venue, sql):
    said = refused(venue, sql, "resource", "add", "Moon", "--kind", "room", "--tz", "A" * 100_000)
    assert "time zone" in said
    said = refused(venue, sql, "resource", "set", "Room", "--tz", "Europe/" + "x" * 100_000)
    assert "time zone" in said


@pytest.mark.parametrize(
    "args",
    [
        ("book", "Room", "2026-12-01T10:00", "+1h", "--title", "Band\0call"),
        ("book", "Ro\0om", "2026-12-01T10:00", "+1h", "--title", "x"),
        ("resource", "add", "Nul\0Room", "--kind", "room"),
        ("resource", "set", "Room", "--rename", "R\0"),
        ("resource", "set", "Room", "--approver", "bo\0ss"),
        ("blackout", "add", "Room", "2026-12-01T10:00", "+1h", "--reason", "paint\0"),
        ("rehearse", "add", "Room", "2026-12-01T10:00", "+1h", "--title", "\0"),
        ("list", "--resource", "R\0"),
        ("access", "grant", "bo\0b"),
    ],
)
def test_a_nul_character_in_text_exits_2(venue, sql, args):
    assert "cannot contain a NUL character" in refused(venue, sql, *args)


def test_a_nul_character_in_a_reason_or_note_exits_2(venue, sql):
    booked = venue("book", "Truck", "2026-12-01T10:00", "+1h", "--title", "Load", "--json")
    number = str(booked.json["id"])
    for args in (
        ("cancel", number, "--reason", "gone\0"),
        ("reject", number, "--reason", "no\0"),
        ("approve", number, "--note", "ok\0"),
    ):
        assert "cannot contain a NUL character" in refused(venue, sql, *args, actor="boss")
    assert "cannot contain a NUL character" in refused(venue, sql, "list", actor="te\0ster")


# --- rows from before the window rule --------------------------------------------------------

# Bounds psycopg cannot load, each with a time inside the row (None: no bookable time is).
OLD_ROWS = [
    ("2030-01-01 00:00+00", "infinity", "2031-06-01T10:00"),
    ("-infinity", "2020-01-01 00:00+00", "2019-06-01T10:00"),
    ("-infinity", "infinity", "2026-12-01T10:00"),
    ("0044-03-15 00:00+00 BC", "0044-03-16 00:00+00 BC", None),
    ("10000-01-01 00:00+00", "10001-01-01 00:00+00", None),
]


def without_the_window_rule(sql) -> None:
    """As a database from before the rule: the CHECK that keeps periods in 1900-9999 gone."""
    for table in ("reservations", "blackouts"):
        sql.execute(
            f"ALTER TABLE spaces.{table} DROP CONSTRAINT IF EXISTS {table}_during_in_window"
        )


def old_row(sql, resource: str, lower: str, upper: str, title: str = "Old") -> int:
    """A reservation booked by tester with bounds no reader can show."""
    sql.execute("SET spaces.actor = 'tester'")
    return sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " SELECT id, tstzrange(%s::timestamptz, %s::timestamptz), %s"
        " FROM spaces.resources WHERE name = %s RETURNING id",
        (lower, upper, title, resource),
    ).fetchone()[0]


def old_blackout(sql, resource: str, lower: str, upper: str) -> None:
    sql.execute(
        "INSERT INTO spaces.blackouts (resource_id, during, reason)"
        " SELECT id, tstzrange(%s::timestamptz, %s::timestamptz), 'Old hold'"
        " FROM spaces.resources WHERE name = %s",
        (lower, upper, resource),
    )


@pytest.mark.parametrize(("lower", "upper", "inside"), OLD_ROWS)
def test_every_reader_survives_a_row_it_cannot_show(venue, sql, lower, upper, inside):
    assert venue("resource", "add", "Dock", "--kind", "room", "--tz", "Asia/Tokyo").code == 0
    without_the_window_rule(sql)
    hall = old_row(sql, "Hall", lower, upper)  # shown in New York: west of UTC
    truck = old_row(sql, "Truck", lower, upper, "Old request")  # pending
    old_blackout(sql, "Dock", lower, upper)  # shown in Tokyo: east of UTC

    for args in (
        ("list", "--json"),
        ("list", "--json", "--status", "all", "--from", "1900-01-01", "--to", "9999-01-01"),
        ("list", "--resource", "Hall", "--from", "1900-01-01"),
        ("pending", "--json"),
        ("pending", "--older-than", "1m"),
        ("history", str(hall)),
        ("history", str(truck), "--json"),
        ("blackout", "list", "--json", "--all"),
        ("blackout", "list", "--from", "1900-01-01", "--to", "9999-01-01"),
        ("resource", "list"),
    ):
        done = venue(*args)
        assert done.code == 0, (args, done.err)
    listed = venue(
        "list", "--json", "--status", "all", "--from", "1900-01-01", "--to", "9999-01-01"
    )
    if inside is not None:
        assert hall in {row["id"] for row in listed.json}
    assert truck in {request["id"] for request in venue("pending", "--json").json}

    when = inside or "2026-12-01T10:00"
    in_the_way = 3 if inside else 0
    for resource in ("Hall", "Dock"):
        assert venue("check", resource, when, "+1h").code == in_the_way
        checked = venue("check", resource, when, "+1h", "--json")
        assert checked.code == in_the_way and checked.json["free"] is not bool(inside)
        booked = venue("book", resource, when, "+1h", "--title", "New", "--json")
        assert booked.code == in_the_way, booked.err
    assert venue("cancel", str(hall), "--reason", "from before the rule").code == 0
    assert venue("reject", str(truck), "--reason", "from before the rule", actor="boss").code == 0
    if inside:  # cancelled, it is out of the way
        assert venue("book", "Hall", when, "+1h", "--title", "Now free").code == 0


def test_a_row_it_cannot_show_reads_as_the_far_past_or_future(venue, sql):
    without_the_window_rule(sql)
    number = old_row(sql, "Room", "-infinity", "infinity")
    shown = venue("history", str(number), "--json").json["reservation"]
    assert (shown["start"], shown["end"]) == (
        "0001-01-02T00:00:00+00:00",
        "9999-12-30T00:00:00+00:00",
    )


# --- the calendar ---------------------------------------------------------------------------


def titles(app) -> set[str]:
    grid = home(app).timeline.grid
    return {span.label for spans in grid.spans.values() for span in spans} if grid else set()


def book_elsewhere(database_url: str, title: str, hour: int) -> None:
    """A booking on Room B from another connection, as psql or another module would make."""
    with psycopg.connect(database_url, autocommit=True) as other:
        other.execute("SET spaces.actor = 'elsewhere'")
        other.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT id, tstzrange(%s::timestamptz, %s::timestamptz), %s"
            " FROM spaces.resources WHERE name = 'Room B'",
            (f"2026-11-24 {hour}:00+00", f"2026-11-24 {hour + 1}:00+00", title),
        )


async def shows(pilot, title: str, seconds: float = 6.0) -> bool:
    for _ in range(int(seconds / 0.05)):  # the event bus brings it within a second or so
        if title in titles(pilot.app):
            return True
        await pilot.pause(0.05)
    return title in titles(pilot.app)


@pytest.fixture
def rooms(db):
    for name in ("Room A", "Room B"):
        resources.add_resource(db, name, "room", timezone="UTC")
    return db


async def test_the_calendar_keeps_refreshing_after_a_row_it_cannot_show(
    rooms, database_url, sql, no_bugs
):
    without_the_window_rule(sql)
    old_row(sql, "Room A", "-infinity", "infinity", "Forever")  # across the whole view
    app = make_app(rooms, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Forever" in titles(app)
        for title, hour in (("Later", 9), ("Later still", 12)):
            book_elsewhere(database_url, title, hour)
            assert await shows(pilot, title), "the calendar stopped refreshing"


async def test_a_failed_reload_is_told_once_and_the_next_one_works(
    rooms, database_url, monkeypatch
):
    bugs: list[Exception] = []
    monkeypatch.setattr(SpacesApp, "_notify_bug", lambda _app, error: bugs.append(error))
    broken = {"yes": True}
    load_window = home_screen.load_window

    def flaky(*args, **kwargs):
        if broken["yes"]:
            raise psycopg.DataError("timestamp too large (after year 10K): 'infinity'")
        return load_window(*args, **kwargs)

    monkeypatch.setattr(home_screen, "load_window", flaky)
    app = make_app(rooms, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        book_elsewhere(database_url, "Unseen", 9)  # its reload fails the same way
        for _ in range(40):
            await pilot.pause(0.05)
        await settle(pilot)
        assert len(bugs) == 1, bugs
        broken["yes"] = False
        book_elsewhere(database_url, "Seen", 12)
        assert await shows(pilot, "Seen") and "Unseen" in titles(app)
        assert len(bugs) == 1


async def test_the_live_calendar_survives_a_read_of_the_event_log_that_fails(
    rooms, database_url, monkeypatch
):
    failures: list[int] = []
    events_since = events.events_since

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise psycopg.DataError("timestamp too large (after year 10K): 'infinity'")
        return events_since(*args, **kwargs)

    monkeypatch.setattr(events, "events_since", fails_once)
    states: list[str] = []
    app = make_app(rooms, listen=True)
    show_state = app._set_live
    app._set_live = lambda state: (states.append(state), show_state(state))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if any("offline" in state for state in states):
                break
            await pilot.pause(0.05)
        assert any("offline" in state and "timestamp too large" in state for state in states)
        await pilot.pause(0.3)
        await settle(pilot)  # the reload asked for on connecting, before the failure, is done
        book_elsewhere(database_url, "After the failure", 9)
        assert await shows(pilot, "After the failure"), states
        assert states[-1].startswith("● live")


# --- who is acting ------------------------------------------------------------------------------


def test_an_actor_is_trimmed_so_lena_with_spaces_is_lena(venue):
    booked = venue("book", "Room", "2026-12-01T10:00", "+1h", "--title", "Class", "--json")
    assert booked.code == 0
    mine = venue("book", "Room", "2026-12-02T10:00", "+1h", "--title", "Hers", actor=" lena ")
    assert mine.code == 0, mine.err
    listed = venue("list", "--resource", "Room", "--from", "2026-12-01", "--json").json
    assert {r["title"]: r["booked_by"] for r in listed} == {"Class": "tester", "Hers": "lena"}
    hers = next(r["id"] for r in listed if r["title"] == "Hers")
    cancelled = venue("cancel", str(hers), "--reason", "moved", actor="lena")
    assert cancelled.code == 0, "lena may cancel what ' lena ' booked: the same person"


def test_a_blank_actor_is_refused(venue, sql):
    assert "--as needs a person's name" in refused(venue, sql, "list", actor="   ")


def test_a_blank_spaces_actor_is_unset_and_a_padded_one_trimmed(monkeypatch):
    monkeypatch.setenv("SPACES_ACTOR", "  ")
    assert load_settings().actor == default_actor()
    monkeypatch.setenv("SPACES_ACTOR", " lena\t")
    assert load_settings().actor == "lena"
    assert load_settings(actor="sam").actor == "sam", "the flag wins over the environment"
