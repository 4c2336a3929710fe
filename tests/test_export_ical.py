"""`spaces export ical` (engine/interop/ical.py, cli/export.py): what each VEVENT says, that the
same booking keeps its UID and a change raises its SEQUENCE, the filters, and icalendar's own
parser reading the file back to the same instants, DST days included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from spaces_tui.engine import blackouts, reservations, resources, series
from spaces_tui.engine.interop.ical import export_ical

YEAR = ("--from", "2027-01-01", "--to", "2028-01-01")


@pytest.fixture(autouse=True)
def london(monkeypatch):
    monkeypatch.setenv("SPACES_TZ", "Europe/London")


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Main Stage", "stage", timezone="Europe/London")
    resources.add_resource(db, "Main DS", "floor_area", parent="Main Stage")
    resources.add_resource(db, "Studio", "room", timezone="Europe/London", approvers=["bob"])
    resources.add_resource(db, "Truck 1", "vehicle", timezone="America/New_York")
    return db


def exported(spaces, *args: str, actor: str = "tester") -> Calendar:
    result = spaces("export", "ical", *YEAR, *args, actor=actor)
    assert result.code == 0, result.err
    return Calendar.from_ical(result.out)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def instance_id(sql) -> str:
    return str(sql.execute("SELECT id FROM spaces.instance").fetchone()[0])


def test_each_reservation_is_a_vevent_on_its_resources_clock(venue, spaces, sql):
    booked = reservations.book(venue, "Main DS", "2027-06-01T14:00", "16:00", "Get-in", 12)
    calendar = exported(spaces)
    assert calendar["prodid"] and str(calendar["version"]) == "2.0"
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"reservation-{booked.id}@{instance_id(sql)}"
    assert event["dtstart"].params["TZID"] == "Europe/London"
    assert event.decoded("dtstart") == datetime(2027, 6, 1, 13, 0, tzinfo=UTC)  # BST
    assert event.decoded("dtend") == datetime(2027, 6, 1, 15, 0, tzinfo=UTC)
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["location"]) == "Main DS, Main Stage"
    assert event["categories"].cats == ["floor_area"]
    assert event["organizer"].params["CN"] == "tester"
    assert str(event["x-spaces-booked-by"]) == "tester"
    assert "Headcount: 12." in str(event["description"])
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
    assert calendar.get_missing_tzids() == set()


def test_uids_are_stable_across_exports_and_the_file_is_the_same(venue, spaces):
    reservations.book(venue, "Main Stage", "2027-06-01T14:00", "16:00", "Tech")
    reservations.book(venue, "Truck 1", "2027-06-02T08:00", "10:00", "Load")
    first, second = (spaces("export", "ical", *YEAR).out for _ in range(2))
    assert first == second  # DTSTAMP is the last change, not the clock: nothing new, no diff
    uids = [str(e["uid"]) for e in Calendar.from_ical(first).walk("VEVENT")]
    assert len(set(uids)) == 2


def test_another_database_gives_other_uids(venue, spaces, sql):
    reservations.book(venue, "Main Stage", "2027-06-01T14:00", "16:00", "Tech")
    before = str(exported(spaces).walk("VEVENT")[0]["uid"])
    # A second Spaces database is another instance: made here by giving this one a new id.
    sql.execute("UPDATE spaces.instance SET id = gen_random_uuid()")
    after = str(exported(spaces).walk("VEVENT")[0]["uid"])
    assert before.split("@")[0] == after.split("@")[0] == "reservation-1"
    assert before != after


def test_pending_is_tentative_and_an_approval_raises_the_sequence(venue, spaces):
    asked = reservations.book(venue, "Studio", "2027-06-01T10:00", "12:00", "Audition")
    event = exported(spaces).walk("VEVENT")[0]
    assert (str(event["status"]), event["sequence"]) == ("TENTATIVE", 0)
    assert spaces("approve", str(asked.id), actor="bob").code == 0
    approved = exported(spaces).walk("VEVENT")[0]
    assert str(approved["status"]) == "CONFIRMED"
    assert approved["sequence"] > event["sequence"]
    assert approved.decoded("last-modified") >= event.decoded("last-modified")
    assert str(approved["x-spaces-decided-by"]) == "bob"
    assert str(approved["uid"]) == str(event["uid"])


def test_cancelled_ones_are_exported_as_cancelled_only_with_status_all(venue, spaces):
    kept = reservations.book(venue, "Main Stage", "2027-06-01T14:00", "16:00", "Tech")
    gone = reservations.book(venue, "Main Stage", "2027-06-02T14:00", "16:00", "Dress")
    reservations.cancel(venue, gone.id, "show moved")
    assert list(events(exported(spaces))) == ["Tech"]
    every = events(exported(spaces, "--status", "all"))
    assert str(every["Dress"]["status"]) == "CANCELLED"
    assert every["Dress"]["sequence"] == 1
    assert str(every["Tech"]["status"]) == "CONFIRMED" and kept.id == 1
    only = events(exported(spaces, "--status", "cancelled"))
    assert list(only) == ["Dress"]


def test_a_series_is_one_vevent_per_occurrence_related_to_the_series(venue, spaces, sql):
    booked = series.book_series(
        venue, "Main Stage", "2027-06-07T09:00", "10:00", "Class", "FREQ=DAILY;COUNT=3"
    )
    [one, two, three] = exported(spaces).walk("VEVENT")
    series_uid = f"series-{booked.reservations[0].series_id}@{instance_id(sql)}"
    for event in (one, two, three):
        assert str(event["related-to"]) == series_uid
        assert event["related-to"].params["RELTYPE"] == "PARENT"
    assert len({str(e["uid"]) for e in (one, two, three)}) == 3


def test_filters(venue, spaces):
    reservations.book(venue, "Main DS", "2027-06-01T14:00", "16:00", "Area")
    reservations.book(venue, "Truck 1", "2027-06-01T08:00", "10:00", "Truck")
    reservations.book(venue, "Studio", "2027-06-03T08:00", "10:00", "Studio")
    spaces("book", "Main Stage", "2027-06-05T08:00", "10:00", "--title", "Alice's", actor="alice")
    assert set(events(exported(spaces, "--under", "Main Stage"))) == {"Area", "Alice's"}
    assert set(events(exported(spaces, "--kind", "vehicle"))) == {"Truck"}
    named = exported(spaces, "--resource", "truck 1", "--resource", "Studio")
    assert set(events(named)) == {"Truck", "Studio"}
    assert set(events(exported(spaces, "--mine", actor="alice"))) == {"Alice's"}
    assert set(events(exported(spaces, "--booked-by", "alice"))) == {"Alice's"}
    assert set(events(exported(spaces, "--status", "pending"))) == {"Studio"}
    window = spaces("export", "ical", "--from", "2027-06-01", "--to", "2027-06-02")
    assert set(events(Calendar.from_ical(window.out))) == {"Area", "Truck"}
    unknown = spaces("export", "ical", "--resource", "Nowhere")
    assert unknown.code == 2 and "Nowhere" in unknown.err


def test_blackouts_are_added_on_request(venue, spaces, sql):
    blackouts.add_blackout(venue, "Main Stage", "2027-06-10T00:00", "2027-06-11T00:00", "Rigging")
    reservations.book(venue, "Main Stage", "2027-06-01T14:00", "16:00", "Tech")
    assert set(events(exported(spaces))) == {"Tech"}
    both = spaces("export", "ical", *YEAR, "--blackouts")
    assert "1 reservations and 1 blackouts" in both.err
    found = events(Calendar.from_ical(both.out))
    blackout = found["Blackout (maintenance): Rigging"]
    assert str(blackout["uid"]) == f"blackout-1@{instance_id(sql)}"
    assert str(blackout["status"]) == "CONFIRMED"
    blackouts.lift_blackout(venue, 1)
    assert "Blackout (maintenance): Rigging" not in events(exported(spaces, "--blackouts"))
    lifted = events(exported(spaces, "--blackouts", "--status", "all"))
    assert str(lifted["Blackout (maintenance): Rigging"]["status"]) == "CANCELLED"
    assert lifted["Blackout (maintenance): Rigging"]["sequence"] == 1


def test_o_writes_the_file_whole_and_a_bad_path_is_bad_input(venue, spaces, tmp_path):
    reservations.book(venue, "Main Stage", "2027-06-01T14:00", "16:00", "Tech")
    target = tmp_path / "spaces.ics"
    target.write_text("old")
    written = spaces("export", "ical", *YEAR, "-o", str(target))
    assert written.code == 0 and written.out == ""
    assert "Exported 1 reservations to" in written.err
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert [p.name for p in tmp_path.iterdir()] == ["spaces.ics"]  # no temporary file left
    for bad in (tmp_path / "no" / "such.ics", tmp_path):
        refused = spaces("export", "ical", "-o", str(bad))
        assert refused.code == 2, refused.err
        assert refused.err.startswith("spaces: -o") and "Traceback" not in refused.err


def test_round_trip_through_icalendar_keeps_titles_instants_and_statuses(venue, spaces):
    made = [
        reservations.book(venue, "Main Stage", "2027-01-15T19:30", "22:00", 'Show; "Opening"'),
        reservations.book(venue, "Truck 1", "2027-07-04T06:00", "2027-07-05T06:00", "Tour, day 1"),
        reservations.book(venue, "Studio", "2027-10-31T00:30", "03:30", "Late"),
    ]
    found = {str(e["uid"]).split("@")[0]: e for e in exported(spaces).walk("VEVENT")}
    for reservation in made:
        event = found[f"reservation-{reservation.id}"]
        assert str(event["summary"]) == reservation.title
        assert event.decoded("dtstart") == reservation.start
        assert event.decoded("dtend") == reservation.end
        assert str(event["status"]) == {"pending": "TENTATIVE"}.get(
            reservation.status, reservation.status.upper()
        )


@pytest.mark.parametrize(
    ("resource", "day", "utc_start", "utc_end"),
    [
        # London's clocks go forward at 01:00 GMT: 00:30 is GMT, 03:30 is BST (2h30 later).
        ("Main Stage", "2027-03-28", datetime(2027, 3, 28, 0, 30), datetime(2027, 3, 28, 2, 30)),
        # New York's go forward at 02:00 EST: 00:30 is EST (-5), 03:30 is EDT (-4).
        ("Truck 1", "2027-03-14", datetime(2027, 3, 14, 5, 30), datetime(2027, 3, 14, 7, 30)),
    ],
)
def test_dst_day_bookings_keep_their_local_times_and_instants(
    venue, spaces, resource, day, utc_start, utc_end
):
    reservations.book(venue, resource, f"{day}T00:30", "03:30", "Overnight")
    calendar = exported(spaces)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == utc_start.replace(tzinfo=UTC)
    assert event.decoded("dtend") == utc_end.replace(tzinfo=UTC)
    assert event["dtstart"].to_ical().decode() == f"{day.replace('-', '')}T003000"
    assert event["dtend"].to_ical().decode() == f"{day.replace('-', '')}T033000"
    [zone] = calendar.timezones
    assert zone.tz_name == event["dtstart"].params["TZID"]


def test_the_engine_counts_and_returns_bytes(venue):
    reservations.book(venue, "Main Stage", "2027-06-01T14:00", "16:00", "Tech")
    done = export_ical(venue, start="2027-01-01", end="2028-01-01", blackouts=True)
    assert (done.reservations, done.blackouts) == (1, 0)
    assert isinstance(done.data, bytes) and b"SUMMARY:Tech\r\n" in done.data
    nothing = export_ical(venue, start="2020-01-01", end="2020-02-01")
    assert nothing.reservations == 0 and b"BEGIN:VCALENDAR" in nothing.data


def test_the_default_window_is_30_days_back_to_a_year_on(venue):
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    for day, title in (
        ("2027-04-20", "Too old"),
        ("2027-05-10", "Recent"),
        ("2028-05-20", "Within a year"),
        ("2028-06-10", "Too far"),
    ):
        reservations.book(venue, "Main Stage", f"{day}T10:00", "11:00", title)  # fmt: skip

    def titles(**window: str) -> set[str]:
        done = export_ical(venue, now=now, **window)
        return {str(e["summary"]) for e in Calendar.from_ical(done.data).walk("VEVENT")}

    assert titles() == {"Recent", "Within a year"}
    assert titles(start="2028-06-01") == {"Too far"}  # --from alone: a year from it
    assert titles(end="2027-05-01") == {"Too old"}  # --to before the default start: the year to it
    assert titles(end="2027-06-01") == {"Recent"}
