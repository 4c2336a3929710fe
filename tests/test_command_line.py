"""The `spaces` command line as scripts rely on it: exit codes, nothing written on bad input,
JSON shapes, time zones, approvals, blackouts, and events as they happen."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from following import following

from spaces_tui.cli import main
from spaces_tui.db.connection import Database
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import resources

TABLES = ("resources", "reservations", "blackouts", "events")


def counts(sql) -> dict[str, int]:
    return {t: sql.execute(f"SELECT count(*) FROM spaces.{t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def venue(spaces):
    for args in (
        ("Stage", "--kind", "stage", "--tz", "UTC"),
        ("Left", "--kind", "floor_area", "--parent", "Stage"),
        ("Room", "--kind", "room", "--tz", "UTC", "--capacity", "10"),
        ("Hall", "--kind", "room", "--tz", "America/New_York"),
        ("Truck", "--kind", "vehicle", "--tz", "UTC", "--approver", "boss"),
    ):
        assert spaces("resource", "add", *args).code == 0
    return spaces


def test_book_prints_the_promised_json(venue):
    done = venue("book", "Room", "2027-01-10T10:00", "+90m", "--title", "Band call", "--json")
    assert done.code == 0, done.err
    booked = done.json
    assert {"id", "status", "resource", "start", "end", "title"} <= booked.keys()
    assert (booked["status"], booked["resource"], booked["title"]) == (
        "confirmed",
        "Room",
        "Band call",
    )
    assert (booked["start"], booked["end"]) == (
        "2027-01-10T10:00:00+00:00",
        "2027-01-10T11:30:00+00:00",
    )


def test_a_conflict_exits_3_and_lists_what_is_in_the_way_as_json(venue, sql):
    venue("book", "Left", "2027-01-10T10:00", "11:00", "--title", "Rig", actor="alice")
    venue("blackout", "add", "Stage", "2027-01-10T12:00", "13:00", "--reason", "Repaint")
    before = counts(sql)
    done = venue("book", "Stage", "2027-01-10T09:00", "14:00", "--title", "Show", "--json")
    assert done.code == 3
    assert counts(sql) == before
    answer = done.json
    assert answer["error"] == "conflict"
    first, second = answer["conflicts"]
    assert {k: first[k] for k in ("kind", "resource", "status", "title", "by")} == {
        "kind": "reservation",
        "resource": "Left",
        "status": "confirmed",
        "title": "Rig",
        "by": "alice",
    }
    assert (second["kind"], second["resource"], second["reason"]) == (
        "blackout",
        "Stage",
        "Repaint",
    )
    assert {"id", "start", "end"} <= first.keys() and "title" not in second


def test_check_exits_0_when_free_and_3_when_not(venue):
    venue("book", "Room", "2027-01-10T10:00", "11:00", "--title", "x")
    assert venue("check", "Room", "2027-01-10T11:00", "12:00").code == 0  # half-open
    in_the_way = venue("check", "Room", "2027-01-10T10:30", "+1h", "--json")
    assert in_the_way.code == 3
    assert in_the_way.json["free"] is False and len(in_the_way.json["conflicts"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("book", "Nowhere", "2027-01-10T10:00", "11:00", "--title", "x"), "no resource named"),
        (("book", "Room", "tomorrowish", "11:00", "--title", "x"), "cannot read start"),
        (("book", "Room", "2027-01-10T10:00", "09:00", "--title", "x"), "must be after"),
        (("book", "Room", "2027-01-10T10:00", "10:00", "--title", "x"), "must be after"),
        (("book", "Room", "2027-01-10T10:00", "+1h", "--title", "  "), "needs a title"),
        (("book", "Room", "2027-01-10T10:00", "+1h", "--title", "x", "--headcount", "11"),
         "more than Room holds"),
        (("resource", "add", "Moon", "--kind", "room", "--tz", "Mars/Olympus"), "time zone"),
        (("resource", "add", "Room", "--kind", "room"),
         "there is already a resource called 'Room'"),
        (("resource", "add", "Bar", "--kind", "room", "--hours", "MO-FX=09:00-17:00"),
         "'MO-FX' is not a day: use MO TU WE TH FR SA SU"),
        (("resource", "add", "Bar", "--kind", "room", "--hours", "MO=9-17"),
         "'9-17' is not a window of hours: write HH:MM-HH:MM"),
        (("resource", "add", "Bar", "--kind", "room", "--hours", "SU=closed"),
         "closed all week"),
        (("resource", "add", "Bar", "--kind", "room", "--blackout-margin", "8d"),
         "the blackout margin must be between 0 and 7 days"),
        (("resource", "add", "Bar", "--kind", "room", "--blackout-margin", "soon"),
         "--blackout-margin 'soon' is not a duration"),
        (("resource", "set", "Room", "--capacity", "5", "--hours", "MO=25:00-26:00"),
         "25:00 is not a time of day"),
        (("resource", "set", "Room", "--capacity", "5", "--hours", "MO-FR"),
         "'MO-FR' names days but no hours"),
        (("resource", "set", "Room", "--capacity", "5", "--blackout-margin", "P8D"),
         "the blackout margin must be between 0 and 7 days"),
        (("approve", "999"), "no reservation with id 999"),
        (("blackout", "lift", "999"), "no blackout with id 999"),
    ],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line_and_writes_nothing(venue, sql, args, message):
    before = counts(sql)
    done = venue(*args)
    assert done.code == 2, done.err
    assert done.err.startswith("spaces: ") and message in done.err
    assert len(done.err.strip().splitlines()) == 1 and "Traceback" not in done.err
    assert counts(sql) == before


def test_bookable_hours_and_blackout_margin_are_set_and_listed(venue):
    added = venue(
        "resource", "add", "Bar", "--kind", "room", "--tz", "Europe/London",
        "--hours", "MO-FR=09:00-23:00", "--hours", "SA,SU=10:00-18:00",
        "--blackout-margin", "30m",
    )  # fmt: skip
    assert (added.code, added.err) == (0, "")
    assert added.out.splitlines()[1] == (
        "Bookable hours: MO-FR 09:00-23:00, SA-SU 10:00-18:00 (Europe/London)."
    )
    listed = venue("resource", "list").out.splitlines()
    assert listed[0].split()[-1] == "HOURS"
    hours = {line.split()[0]: line[listed[0].index("HOURS") :] for line in listed[1:]}
    assert (hours["Bar"], hours["Room"]) == ("MO-FR 09:00-23:00, SA-SU 10:00-18:00", "always")

    bar = next(r for r in venue("resource", "list", "--json").json if r["name"] == "Bar")
    assert "bookable_week" not in bar
    assert bar["hours"] == [
        {"days": ["MO", "TU", "WE", "TH", "FR"], "from": "09:00", "until": "23:00"},
        {"days": ["SA", "SU"], "from": "10:00", "until": "18:00"},
    ]
    assert bar["blackout_margin_seconds"] == 1800

    # Late nights on the weekend; a later --hours for a day replaces the earlier.
    changed = venue(
        "resource", "set", "Bar", "--hours", "18:00-02:00", "--hours", "MO-TH=closed",
        "--blackout-margin", "0", "--json",
    )  # fmt: skip
    assert changed.code == 0, changed.err
    assert changed.json["hours"] == [
        {"days": ["FR", "SA", "SU"], "from": "18:00", "until": "02:00"}
    ]
    assert changed.json["blackout_margin_seconds"] == 0
    margin_only = venue("resource", "set", "Bar", "--blackout-margin", "2h", "--json").json
    assert (margin_only["hours"], margin_only["blackout_margin_seconds"]) == (
        changed.json["hours"],
        7200,
    )


def test_bad_hours_in_resource_set_change_nothing_else(venue, sql):
    row = "SELECT * FROM spaces.resources WHERE id = (SELECT min(id) FROM spaces.resources)"
    before = sql.execute(row).fetchone()
    done = venue("resource", "set", "Stage", "--rename", "Den", "--hours", "XX=10:00-12:00")
    assert (done.code, done.err) == (
        2,
        "spaces: 'XX' is not a day: use MO TU WE TH FR SA SU (MO-FR for a run), or daily\n",
    )
    assert sql.execute(row).fetchone() == before


def test_resource_help_explains_hours_and_margin(capsys):
    with pytest.raises(SystemExit):
        main(["resource", "set", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--hours SPEC bookable hours in the resource's zone (repeat to combine)" in shown
    assert "MO-FR=09:00-23:00" in shown and "SU=closed" in shown
    assert "--blackout-margin DURATION a blackout this near a booking is warned of" in shown


def test_usage_errors_exit_2(database_url):
    for argv in (["book", "Room", "2027-01-10T10:00", "11:00"], ["teleport"]):
        done = subprocess.run(
            [sys.executable, "-m", "spaces_tui", "--db", database_url, *argv],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "usage: spaces" in done.stderr and "Traceback" not in done.stderr


def test_bad_input_as_json_is_an_error_object(venue):
    done = venue("book", "Nowhere", "2027-01-10T10:00", "11:00", "--title", "x", "--json")
    assert done.code == 2
    assert done.json == {"error": "not_found", "message": "no resource named Nowhere"}


def test_unreachable_and_malformed_databases(tmp_path):
    from spaces_tui.cli import main

    def run(url: str) -> tuple[int, str]:
        import io

        err = io.StringIO()
        code = main(["--db", url, "resource", "list"], out=io.StringIO(), err=err)
        return code, err.getvalue()

    code, err = run("postgresql://nobody@127.0.0.1:1/nothing")
    assert code == 1 and err.startswith("spaces: ") and len(err.strip().splitlines()) == 1
    code, err = run("mysql://root@localhost/x")
    assert code == 2 and "not a PostgreSQL URL" in err


def test_naive_times_are_wall_clock_in_the_resources_zone(venue, sql):
    done = venue("book", "Hall", "2027-01-10T09:00", "10:00", "--title", "Matinee", "--json")
    assert done.json["start"] == "2027-01-10T09:00:00-05:00"
    assert (
        sql.execute(
            "SELECT lower(during) AT TIME ZONE 'UTC' FROM spaces.reservations WHERE id = %s",
            (done.json["id"],),
        )
        .fetchone()[0]
        .isoformat()
        == "2027-01-10T14:00:00"
    )
    exact = venue("book", "Hall", "2027-07-10T09:00+00:00", "+1h", "--title", "x", "--json")
    assert exact.json["start"] == "2027-07-10T05:00:00-04:00", "an offset wins; shown in EDT"
    listed = venue("list", "--resource", "Hall", "--from", "2027-01-10", "--to", "2027-01-11")
    assert "09:00-10:00" in listed.out and "America/New_York" in listed.out


def test_the_approval_flow(venue, sql):
    booked = venue("book", "Truck", "2027-01-10T08:00", "+4h", "--title", "Load", "--json")
    assert booked.json["status"] == "pending"
    number = str(booked.json["id"])
    refused = venue("approve", number, actor="mallory")
    assert refused.code == 4 and "not an approver" in refused.err
    with pytest.raises(SystemExit) as usage:  # argparse's own exit: a rejection needs --reason
        venue("reject", number, actor="boss")
    assert usage.value.code == 2
    approved = venue("approve", number, "--note", "keys at desk", "--json", actor="boss")
    assert approved.code == 0 and approved.json["status"] == "confirmed"
    assert approved.json["decided_by"] == "boss"
    again = venue("approve", number, actor="boss")
    assert again.code == 4 and "was already approved by boss" in again.err
    cancelled = venue("cancel", number, "--reason", "rain", "--json")
    assert cancelled.json["status"] == "cancelled"
    assert venue("cancel", number, "--reason", "again").code == 4
    rebooked = venue("book", "Truck", "2027-01-10T08:00", "+4h", "--title", "Load 2")
    assert rebooked.code == 0, "a cancelled booking frees its slot"


def test_blackouts_from_the_command_line(venue, sql):
    booked = venue("book", "Left", "2027-01-10T10:00", "+1h", "--title", "Rig", "--json").json
    refused = venue("blackout", "add", "Stage", "2027-01-10T09:00", "12:00", "--reason", "Paint")
    assert refused.code == 3 and "Rig" in refused.err
    done = venue(
        "blackout", "add", "Stage", "2027-01-10T09:00", "12:00", "--reason", "Paint",
        "--kind", "maintenance", "--cancel-conflicting", "--json",
    )  # fmt: skip
    assert done.code == 0
    assert [c["id"] for c in done.json["cancelled"]] == [booked["id"]]
    assert sql.execute(
        "SELECT cancel_reason FROM spaces.reservations WHERE id = %s", (booked["id"],)
    ).fetchone() == ("blackout: Paint",)
    blocked = venue("book", "Left", "2027-01-10T10:00", "+1h", "--title", "Again", "--json")
    assert blocked.code == 3 and blocked.json["conflicts"][0]["reason"] == "Paint"
    listed = venue("blackout", "list", "--json").json
    assert [b["reason"] for b in listed] == ["Paint"]
    assert venue("blackout", "lift", str(listed[0]["id"])).code == 0
    assert venue("book", "Left", "2027-01-10T10:00", "+1h", "--title", "Again").code == 0


def test_blackout_list_filters_by_kind_state_resource_and_time(venue):
    for args in (
        ("Stage", "2027-01-10T09:00", "12:00", "--reason", "Paint"),
        ("Room", "2027-01-10T13:00", "14:00", "--reason", "Lunch", "--kind", "break"),
        ("Room", "2027-01-12T09:00", "10:00", "--reason", "VIP", "--kind", "hold"),
    ):
        assert venue("blackout", "add", *args).code == 0

    def reasons(*options: str) -> list[str]:
        return [b["reason"] for b in venue("blackout", "list", *options, "--json").json]

    lunch = next(b for b in venue("blackout", "list", "--json").json if b["reason"] == "Lunch")
    assert venue("blackout", "lift", str(lunch["id"])).code == 0
    assert reasons() == ["Paint", "VIP"]
    assert reasons("--lifted") == ["Lunch"]
    assert reasons("--all") == ["Paint", "Lunch", "VIP"]
    assert reasons("--all", "--kind", "break", "--kind", "hold") == ["Lunch", "VIP"]
    assert reasons("--all", "--resource", "Room") == ["Lunch", "VIP"]
    assert reasons("--all", "--from", "2027-01-10T11:00", "--to", "2027-01-11") == [
        "Paint",
        "Lunch",
    ]
    [lifted] = venue("blackout", "list", "--lifted", "--json").json
    assert (lifted["status"], lifted["lifted_by"]) == ("lifted", "tester")


def test_list_filters_by_resource_window_and_status(venue):
    venue("book", "Room", "2027-01-10T10:00", "+1h", "--title", "A")
    venue("book", "Room", "2027-01-11T10:00", "+1h", "--title", "B")
    venue("book", "Left", "2027-01-10T10:00", "+1h", "--title", "C")
    venue("book", "Truck", "2027-01-10T10:00", "+1h", "--title", "D")

    def titles(*args: str) -> list[str]:
        return [r["title"] for r in venue("list", *args, "--json").json]

    assert titles("--from", "2027-01-10", "--to", "2027-01-11") == ["A", "C", "D"]
    assert titles("--resource", "Room", "--from", "2027-01-01") == ["A", "B"]
    assert titles("--status", "pending", "--from", "2027-01-01") == ["D"]


def test_events_as_json(venue):
    venue("book", "Room", "2027-01-10T10:00", "+1h", "--title", "A", actor="alice")
    events = [json.loads(line) for line in venue("events", "--json").out.splitlines()]
    booked = [(e["topic"], e["actor"]) for e in events if e["topic"].startswith("spaces.reserv")]
    assert booked == [("spaces.reservation.created", "alice")]


@pytest.mark.slow
def test_events_follow_prints_each_event_as_it_happens(venue, database_url, tmp_path):
    with following(["--db", database_url, "events", "--follow", "--json"], tmp_path) as follower:
        seen = follower.first_line_while(
            lambda attempt: venue(
                "book", "Room", f"2027-02-{attempt + 1:02d}T10:00", "+1h", "--title", "F"
            )
        )
        assert seen is not None, "events --follow printed nothing"
        assert json.loads(seen)["topic"] == "spaces.reservation.created"


def test_no_command_outside_a_terminal_prints_help(spaces):
    done = spaces()
    assert done.code == 0 and "usage: spaces" in done.out


def test_a_name_already_taken_is_bad_input_in_plain_words(venue, sql):
    before = counts(sql)
    again = venue("resource", "add", "Room", "--kind", "room")
    assert (again.code, again.err) == (2, "spaces: there is already a resource called 'Room'\n")
    assert counts(sql) == before
    as_json = venue("resource", "add", "Room", "--kind", "room", "--json")
    assert as_json.json == {
        "error": "bad_input",
        "message": "there is already a resource called 'Room'",
    }
    renamed = venue("resource", "set", "Hall", "--rename", "Room")
    assert (renamed.code, renamed.err) == (2, "spaces: there is already a resource called 'Room'\n")


def test_a_new_kind_is_made_with_a_warning_naming_the_known_ones(venue, sql):
    made = venue("resource", "add", "Broom cupboard", "--kind", "closet")
    assert made.code == 0, made.err
    assert made.err == (
        "warning: 'closet' is a new kind: no resource is one yet. Known kinds: equipment,"
        " floor_area, room, stage, vehicle.\n"
    )
    assert sql.execute(
        "SELECT kind FROM spaces.resources WHERE name = 'Broom cupboard'"
    ).fetchone() == ("closet",)
    typo = venue("resource", "add", "Annex", "--kind", "rooms")
    assert "Did you mean 'room'?" in typo.err and "closet, equipment" in typo.err
    assert venue("resource", "add", "Cupboard 2", "--kind", "closet").err == "", "known now"
    assert venue("resource", "add", "Kit store", "--kind", "equipment").err == "", "a usual one"


def test_resource_add_help_lists_the_usual_kinds(capsys):
    with pytest.raises(SystemExit):
        main(["resource", "add", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "stage, floor_area, room, vehicle, equipment" in shown


def test_a_server_named_by_url_that_is_down_is_unreachable_not_an_unknown_resource(tmp_path):
    nowhere = f"postgresql://postgres@/spaces?host={tmp_path / 'no-server'}"
    err = io.StringIO()
    code = main(
        ["--db", nowhere, "book", "Black Box", "2027-01-10T10:00", "+1h", "--title", "x"],
        out=io.StringIO(),
        err=err,
    )
    assert code == 1
    assert err.getvalue().startswith("spaces: the database is unreachable: ")
    assert list(tmp_path.iterdir()) == [], "nothing was started"
    with pytest.raises(DatabaseUnavailable, match="the database is unreachable"):
        resources.get_resource(Database(nowhere, "tester"), "Black Box")
