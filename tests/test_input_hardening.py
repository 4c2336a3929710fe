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
