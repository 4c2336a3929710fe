"""Absurd input on the command line: each exits 2 with one line on stderr and writes nothing."""

from __future__ import annotations

import pytest

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
