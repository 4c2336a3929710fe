"""`spaces export ical` imported into real calendar clients: khal (`khal import`) and calcurse
(`calcurse -i`). Each must show the titles at the venue's local times, DST days included, and
khal the statuses; a second import after a change updates the event instead of adding a copy.
Skipped only when a client is not installed at all (CI installs both: .ci/run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from spaces_tui.engine import reservations, resources

pytestmark = pytest.mark.slow

YEAR = ("--from", "2027-01-01", "--to", "2028-01-01")


def _program(name: str) -> str | None:
    """The client's binary: beside this Python (khal comes with the [test] extra), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


KHAL = _program("khal")
CALCURSE = _program("calcurse")
needs_khal = pytest.mark.skipif(KHAL is None, reason="khal is not installed (pip install khal)")
needs_calcurse = pytest.mark.skipif(
    CALCURSE is None, reason="calcurse is not installed (apt-get install calcurse)"
)


@pytest.fixture(autouse=True)
def london(monkeypatch):
    monkeypatch.setenv("SPACES_TZ", "Europe/London")


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Main Stage", "stage", timezone="Europe/London")
    resources.add_resource(db, "Studio", "room", timezone="Europe/London", approvers=["bob"])
    resources.add_resource(db, "Truck 1", "vehicle", timezone="America/New_York")
    # The days clocks go forward: 00:30-03:30 local is three wall-clock hours, two real ones.
    reservations.book(db, "Main Stage", "2027-03-28T00:30", "03:30", "London overnight")
    reservations.book(db, "Truck 1", "2027-03-14T00:30", "03:30", "New York overnight")
    reservations.book(db, "Studio", "2027-03-28T10:00", "12:00", "Audition")  # pending
    gone = reservations.book(db, "Main Stage", "2027-03-28T18:00", "20:00", "Dropped")
    reservations.cancel(db, gone.id, "no show")
    return db


def export_to(spaces, path: Path, *args: str) -> Path:
    result = spaces("export", "ical", *YEAR, "--status", "all", *args, "-o", str(path))
    assert result.code == 0, result.err
    return path


def run(command: list[str], zone: str) -> str:
    done = subprocess.run(
        command,
        env={**os.environ, "TZ": zone, "LC_ALL": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# --- khal ------------------------------------------------------------------------------------


def khal_config(folder: Path) -> Path:
    calendars = folder / "calendars"
    calendars.mkdir()
    config = folder / "khal.conf"
    config.write_text(
        "[calendars]\n[[spaces]]\n"
        f"path = {calendars}\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        f"[sqlite]\npath = {folder / 'khal.db'}\n"
    )
    return config


def khal_list(config: Path, zone: str, day: str) -> list[str]:
    assert KHAL is not None
    shown = run(
        [KHAL, "-c", str(config), "list", "--format", "{start}|{end}|{title}|{status}", day, "1d"],
        zone,
    )
    return [line.strip() for line in shown.splitlines() if "|" in line]


@needs_khal
def test_khal_imports_titles_local_times_and_statuses(venue, spaces, tmp_path):
    config = khal_config(tmp_path)
    ics = export_to(spaces, tmp_path / "spaces.ics")
    assert KHAL is not None
    run([KHAL, "-c", str(config), "import", "--batch", str(ics)], "Europe/London")
    assert khal_list(config, "Europe/London", "2027-03-28") == [
        "2027-03-28 00:30|2027-03-28 03:30|London overnight|CONFIRMED",
        "2027-03-28 10:00|2027-03-28 12:00|Audition|TENTATIVE",
        "2027-03-28 18:00|2027-03-28 20:00|Dropped|CANCELLED",
    ]
    assert khal_list(config, "America/New_York", "2027-03-14") == [
        "2027-03-14 00:30|2027-03-14 03:30|New York overnight|CONFIRMED",
    ]
    # What khal stored, read back: the same UIDs and the same instants as the export.
    stored = {}
    for file in (tmp_path / "calendars").iterdir():
        for event in Calendar.from_ical(file.read_bytes()).walk("VEVENT"):
            stored[str(event["summary"])] = event
    sent = {str(e["summary"]): e for e in Calendar.from_ical(ics.read_bytes()).walk("VEVENT")}
    assert set(stored) == set(sent)
    for title, event in sent.items():
        assert str(stored[title]["uid"]) == str(event["uid"])
        assert stored[title].decoded("dtstart") == event.decoded("dtstart")
    assert stored["London overnight"].decoded("dtend") == datetime(2027, 3, 28, 2, 30, tzinfo=UTC)


@needs_khal
def test_khal_updates_an_event_on_a_second_import(venue, spaces, tmp_path):
    config = khal_config(tmp_path)
    assert KHAL is not None
    run([KHAL, "-c", str(config), "import", "--batch", str(export_to(spaces, tmp_path / "a.ics"))],
        "Europe/London")  # fmt: skip
    assert spaces("approve", "3", actor="bob").code == 0  # the audition
    run([KHAL, "-c", str(config), "import", "--batch", str(export_to(spaces, tmp_path / "b.ics"))],
        "Europe/London")  # fmt: skip
    listed = khal_list(config, "Europe/London", "2027-03-28")
    assert [line for line in listed if "Audition" in line] == [
        "2027-03-28 10:00|2027-03-28 12:00|Audition|CONFIRMED"
    ]


# --- calcurse --------------------------------------------------------------------------------


def calcurse_day(folder: Path, zone: str, day: str) -> list[str]:
    assert CALCURSE is not None
    shown = run(
        [CALCURSE, "-D", str(folder), "--input-datefmt", "4", "-Q", "--from", day, "--days", "1",
         "--format-apt", "%S-%E %m\\n"],
        zone,
    )  # fmt: skip
    return [line for line in shown.splitlines() if not line.endswith(":")]  # not the date


@needs_calcurse
@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("Europe/London", "2027-03-28", ["00:30-03:30 London overnight", "10:00-12:00 Audition"]),
        ("America/New_York", "2027-03-14", ["00:30-03:30 New York overnight"]),
    ],
)
def test_calcurse_imports_titles_at_local_times(venue, spaces, tmp_path, zone, day, expected):
    ics = export_to(spaces, tmp_path / "spaces.ics", "--status", "active")
    folder = tmp_path / "calcurse"
    folder.mkdir()
    assert CALCURSE is not None
    report = run([CALCURSE, "-D", str(folder), "-i", str(ics)], zone)
    assert "3 apps" in report and "0 skipped" in report, report
    assert calcurse_day(folder, zone, day) == expected


@needs_calcurse
def test_calcurse_in_another_zone_shows_the_same_instants(venue, spaces, tmp_path):
    """calcurse keeps local times of the zone it runs in: read in UTC, the DST-day booking is
    the two real hours it is (00:30 GMT to 02:30 UTC = 03:30 BST)."""
    ics = export_to(spaces, tmp_path / "spaces.ics", "--resource", "Main Stage")
    folder = tmp_path / "calcurse"
    folder.mkdir()
    assert CALCURSE is not None
    run([CALCURSE, "-D", str(folder), "-i", str(ics)], "UTC")
    assert calcurse_day(folder, "UTC", "2027-03-28") == [
        "00:30-02:30 London overnight",
        "17:00-19:00 Dropped",
    ]
