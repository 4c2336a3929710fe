"""`spaces import ical` (engine/interop/ical_import.py, cli/importing.py): a file books, the same
file again changes nothing, an updated one cancels and rebooks, repeats keep the wall clock,
clashes are all or nothing, bad files are bad input, and an import exported again gives the
same events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from spaces_tui.engine import reservations, resources

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


@pytest.fixture(autouse=True)
def london(monkeypatch):
    monkeypatch.setenv("SPACES_TZ", "Europe/London")


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Studio", "room", timezone="Europe/London")
    resources.add_resource(db, "Vault", "room", timezone="Europe/London", approvers=["bob"])
    return db


def event(uid: str, start: str, end: str, summary: str, *extra: str) -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20270101T000000Z",
        f"DTSTART{start}",
        f"DTEND{end}",
        f"SUMMARY:{summary}",
        *extra,
        "END:VEVENT",
    ]
    return "\r\n".join(lines) + "\r\n"


def ics(tmp_path, *events: str, name: str = "show.ics"):
    path = tmp_path / name
    path.write_text(HEAD + "".join(events) + TAIL, newline="")
    return path


TECH = event("tech@show", ":20270601T100000", ":20270601T120000", "Tech")
DRESS = event("dress@show", ";TZID=Europe/London:20270602T180000", ":20270602T200000Z", "Dress")


def run_import(spaces, path, *args: str, resource: str = "Studio"):
    return spaces("import", "ical", str(path), "--resource", resource, "--json", *args)


def counts(sql) -> tuple[int, int, int, int]:
    return tuple(
        sql.execute(f"SELECT count(*) FROM spaces.{table}").fetchone()[0]
        for table in ("reservations", "blackouts", "imported", "events")
    )


def active(sql) -> list[tuple[str, datetime, datetime]]:
    return sql.execute(
        "SELECT title, lower(during), upper(during) FROM spaces.reservations"
        " WHERE status IN ('pending', 'confirmed') ORDER BY lower(during)"
    ).fetchall()


def test_a_simple_file_books(venue, spaces, sql, tmp_path):
    result = run_import(spaces, ics(tmp_path, TECH, DRESS))
    assert result.code == 0, result.err
    shown = result.json
    assert [c["title"] for c in shown["created"]] == ["Tech", "Dress"]
    assert shown["unchanged"] == 0 and shown["conflicts"] == [] and shown["skipped"] == []
    assert all(c["status"] == "confirmed" and c["id"] for c in shown["created"])
    assert active(sql) == [
        ("Tech", datetime(2027, 6, 1, 9, tzinfo=UTC), datetime(2027, 6, 1, 11, tzinfo=UTC)),
        ("Dress", datetime(2027, 6, 2, 17, tzinfo=UTC), datetime(2027, 6, 2, 20, tzinfo=UTC)),
    ]
    booked_by = sql.execute("SELECT DISTINCT booked_by FROM spaces.reservations").fetchall()
    assert booked_by == [("tester",)]


def test_on_an_approval_resource_they_are_pending(venue, spaces, tmp_path):
    result = run_import(spaces, ics(tmp_path, TECH), resource="Vault")
    assert result.code == 0, result.err
    assert result.json["created"][0]["status"] == "pending"


def test_importing_twice_changes_nothing(venue, spaces, sql, tmp_path):
    path = ics(tmp_path, TECH, DRESS)
    first = run_import(spaces, path).json
    before = counts(sql)
    again = run_import(spaces, path)
    assert again.code == 0, again.err
    assert again.json["unchanged"] == 2
    assert again.json["created"] == again.json["updated"] == again.json["cancelled"] == []
    assert counts(sql) == before
    ids = [row[0] for row in sql.execute("SELECT reservation_id FROM spaces.imported ORDER BY 1")]
    assert ids == sorted(c["id"] for c in first["created"])


def test_an_updated_file_cancels_and_rebooks(venue, spaces, sql, tmp_path):
    first = run_import(spaces, ics(tmp_path, TECH, DRESS)).json
    old = {c["title"]: c["id"] for c in first["created"]}
    moved = event("tech@show", ":20270601T140000", ":20270601T160000", "Tech (moved)")
    gone = event(
        "dress@show",
        ";TZID=Europe/London:20270602T180000",
        ":20270602T200000Z",
        "Dress",
        "STATUS:CANCELLED",
    )
    result = run_import(spaces, ics(tmp_path, moved, gone))
    assert result.code == 0, result.err
    shown = result.json
    assert [(u["title"], u["replaces"]) for u in shown["updated"]] == [
        ("Tech (moved)", old["Tech"])
    ]
    assert [(c["title"], c["id"]) for c in shown["cancelled"]] == [("Dress", old["Dress"])]
    assert active(sql) == [
        (
            "Tech (moved)",
            datetime(2027, 6, 1, 13, tzinfo=UTC),
            datetime(2027, 6, 1, 15, tzinfo=UTC),
        )
    ]
    reason = sql.execute(
        "SELECT cancel_reason FROM spaces.reservations WHERE id = %s", [old["Tech"]]
    ).fetchone()[0]
    assert reason == "updated by import of show.ics"
    # A cancelled event never imported is skipped quietly.
    fresh = event("x@show", ":20270603T100000", ":20270603T110000", "X", "STATUS:CANCELLED")
    again = run_import(spaces, ics(tmp_path, fresh, name="other.ics"))
    assert again.code == 0 and again.json["created"] == again.json["cancelled"] == []


def test_a_weekly_rule_keeps_the_wall_clock_across_the_clocks_change(venue, spaces, sql, tmp_path):
    # London goes forward on 28 March 2027: 10:00 GMT before, 10:00 BST after.
    weekly = event(
        "class@show",
        ":20270314T100000",
        ":20270314T110000",
        "Class",
        "RRULE:FREQ=WEEKLY;COUNT=4",
    )
    result = run_import(spaces, ics(tmp_path, weekly))
    assert result.code == 0, result.err
    assert len(result.json["created"]) == 4
    starts = [row[1] for row in active(sql)]
    assert starts == [
        datetime(2027, 3, 14, 10, tzinfo=UTC),
        datetime(2027, 3, 21, 10, tzinfo=UTC),
        datetime(2027, 3, 28, 9, tzinfo=UTC),
        datetime(2027, 4, 4, 9, tzinfo=UTC),
    ]
    keys = [row[0] for row in sql.execute("SELECT source_uid FROM spaces.imported ORDER BY 1")]
    assert keys[0] == "class@show|2027-03-14T10:00:00+00:00"
    assert run_import(spaces, ics(tmp_path, weekly)).json["unchanged"] == 4


def test_a_clash_writes_nothing_and_lists_every_clash(venue, spaces, sql, tmp_path):
    reservations.book(venue, "Studio", "2027-06-01T11:00", "13:00", "Fit-up")
    reservations.book(venue, "Studio", "2027-06-02T20:00", "22:00", "Get-out")
    free = event("free@show", ":20270605T100000", ":20270605T120000", "Free")
    path = ics(tmp_path, TECH, DRESS, free)
    before = counts(sql)
    result = run_import(spaces, path)
    assert result.code == 3
    shown = result.json
    assert shown["error"] == "conflict"
    assert [c["title"] for c in shown["conflicts"]] == ["Tech", "Dress"]
    assert [c["conflicts"][0]["title"] for c in shown["conflicts"]] == ["Fit-up", "Get-out"]
    assert [c["title"] for c in shown["created"]] == ["Free"]
    assert counts(sql) == before
    text = spaces("import", "ical", str(path), "--resource", "Studio")
    assert text.code == 3 and "Fit-up" in text.out and "Get-out" in text.out
    assert "nothing was imported" in text.err


def test_skip_conflicts_books_the_rest(venue, spaces, sql, tmp_path):
    reservations.book(venue, "Studio", "2027-06-01T11:00", "13:00", "Fit-up")
    result = run_import(spaces, ics(tmp_path, TECH, DRESS), "--skip-conflicts")
    assert result.code == 0, result.err
    assert [c["title"] for c in result.json["created"]] == ["Dress"]
    assert [s["title"] for s in result.json["skipped"]] == ["Tech"]
    assert [row[0] for row in active(sql)] == ["Fit-up", "Dress"]


def test_a_dry_run_writes_nothing_but_shows_the_plan(venue, spaces, sql, tmp_path):
    before = counts(sql)
    result = run_import(spaces, ics(tmp_path, TECH, DRESS), "--dry-run")
    assert result.code == 0, result.err
    assert result.json["dry_run"] is True
    assert [(c["title"], c["id"]) for c in result.json["created"]] == [
        ("Tech", None),
        ("Dress", None),
    ]
    assert counts(sql) == before
    text = spaces("import", "ical", str(tmp_path / "show.ics"), "--resource", "Studio", "--dry-run")
    assert "would be created" in text.out and "nothing written" in text.err
    assert counts(sql) == before


def test_as_blackout_makes_holds(venue, spaces, sql, tmp_path):
    path = ics(tmp_path, TECH)
    result = spaces(
        "--as", "bob", "import", "ical", str(path), "--resource", "Studio",
        "--as", "blackout", "--kind", "hold", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json["created"][0]["kind"] == "blackout"
    rows = sql.execute("SELECT kind, reason, created_by, status FROM spaces.blackouts").fetchall()
    assert rows == [("hold", "Tech", "bob", "active")]
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("this is not a calendar\r\n", "line 1"),
        (HEAD + "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:A\r\nEND:VEVENT\r\n" + TAIL, "no DTSTART"),
        (
            HEAD + event("late@x", ":20270601T120000", ":20270601T100000", "Backwards") + TAIL,
            "DTEND is before DTSTART",
        ),
        (HEAD + TAIL, "no VEVENT"),
        (
            HEAD + event("odd@x", ":2027x", ":20270601T100000", "Odd") + TAIL,
            "line 4: event 'odd@x' ('Odd'): DTSTART '2027x' is not a time",
        ),
        (HEAD + event("", ":20270601T100000", ":20270601T110000", "Anon") + TAIL, "no UID"),
        (
            HEAD
            + event("r@x", ":20270601T100000", ":20270601T110000", "R", "RRULE:FREQ=DAILY")
            + TAIL,
            "more than 1000",
        ),
    ],
)
def test_bad_files_are_bad_input(venue, spaces, sql, tmp_path, text, said):
    path = tmp_path / "bad.ics"
    path.write_text(text, newline="")
    before = counts(sql)
    result = spaces("import", "ical", str(path), "--resource", "Studio")
    assert result.code == 2, result.err
    assert said in result.err and "Traceback" not in result.err
    assert counts(sql) == before


def test_a_bad_event_names_its_line_and_uid(venue, spaces, tmp_path):
    path = ics(tmp_path, TECH, event("late@x", ":20270601T120000", ":20270601T100000", "Late"))
    result = spaces("import", "ical", str(path), "--resource", "Studio")
    assert result.code == 2
    assert "line 11: event 'late@x' ('Late')" in result.err


def test_import_then_export_gives_the_same_events(venue, spaces, tmp_path):
    weekly = event(
        "class@show", ":20270314T100000", ":20270314T110000", "Class", "RRULE:FREQ=WEEKLY;COUNT=3"
    )
    allday = "\r\n".join(
        [
            "BEGIN:VEVENT",
            "UID:day@show",
            "DTSTAMP:20270101T000000Z",
            "DTSTART;VALUE=DATE:20270610",
            "DTEND;VALUE=DATE:20270611",
            "SUMMARY:Load-in day",
            "END:VEVENT",
            "",
        ]
    )
    path = ics(tmp_path, TECH, DRESS, weekly, allday)
    assert run_import(spaces, path).code == 0
    result = spaces("export", "ical", "--from", "2027-01-01", "--to", "2028-01-01")
    assert result.code == 0, result.err
    exported = sorted(
        (
            str(e["summary"]),
            e.decoded("dtstart").astimezone(UTC),
            e.decoded("dtend").astimezone(UTC),
        )
        for e in Calendar.from_ical(result.out).walk("VEVENT")
    )
    hour = timedelta(hours=1)
    week = timedelta(weeks=1)
    first = datetime(2027, 3, 14, 10, tzinfo=UTC)  # GMT; BST from 28 March: an hour earlier
    assert exported == sorted(
        [
            ("Tech", datetime(2027, 6, 1, 9, tzinfo=UTC), datetime(2027, 6, 1, 11, tzinfo=UTC)),
            ("Dress", datetime(2027, 6, 2, 17, tzinfo=UTC), datetime(2027, 6, 2, 20, tzinfo=UTC)),
            ("Class", first, first + hour),
            ("Class", first + week, first + week + hour),
            ("Class", first + 2 * week - hour, first + 2 * week),
            # a whole day on London's clock: midnight BST is 23:00 UTC the day before
            (
                "Load-in day",
                datetime(2027, 6, 9, 23, tzinfo=UTC),
                datetime(2027, 6, 10, 23, tzinfo=UTC),
            ),
        ]
    )


def test_skipping_an_update_whose_new_time_is_taken_keeps_the_old_booking(
    venue, spaces, sql, tmp_path
):
    first = run_import(spaces, ics(tmp_path, TECH, DRESS)).json
    old_tech = first["created"][0]["id"]
    reservations.book(venue, "Studio", "2027-06-01T14:00", "16:00", "Fit-up")
    moved = event("tech@show", ":20270601T140000", ":20270601T160000", "Tech (moved)")
    retitled = event(
        "dress@show", ";TZID=Europe/London:20270602T180000", ":20270602T200000Z", "Dress 2"
    )
    refused = run_import(spaces, ics(tmp_path, moved, retitled))
    assert refused.code == 3 and [c["title"] for c in refused.json["conflicts"]] == ["Tech (moved)"]
    result = run_import(spaces, ics(tmp_path, moved, retitled), "--skip-conflicts")
    assert result.code == 0, result.err
    assert [(s["title"], s["replaces"]) for s in result.json["skipped"]] == [
        ("Tech (moved)", old_tech)
    ]
    assert [u["title"] for u in result.json["updated"]] == ["Dress 2"]
    assert [row[0] for row in active(sql)] == ["Tech", "Fit-up", "Dress 2"]
