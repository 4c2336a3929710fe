"""Risks before booking (spaces.booking_risks, worded by engine/insights.py): each kind, with
its context, and none for a plain booking in the middle of an empty day."""

from __future__ import annotations

import time
from datetime import timedelta

import pendulum
import pytest

from spaces_tui.db.connection import Database
from spaces_tui.engine import blackouts, insights, reservations, resources
from spaces_tui.engine.hours import parse_week
from spaces_tui.engine.insights import Asked

ZONE = "Europe/London"
DAY = "2027-03-02"  # a Tuesday
BEFORE = pendulum.datetime(2027, 3, 1, tz="UTC")  # "now" for every test, the day before


@pytest.fixture
def venue(db: Database) -> Database:
    resources.add_resource(db, "Stage", "stage", timezone=ZONE, capacity=50, buffer_minutes=15)
    resources.add_resource(db, "Left", "floor_area", parent="Stage", capacity=10)
    resources.add_resource(db, "Room", "room", timezone=ZONE, capacity=12)
    resources.add_resource(
        db, "Hall", "room", timezone=ZONE, requires_approval=True, approvers=["sam"]
    )
    return db


def risks(db: Database, resource: str, start: str, end: str, headcount: int | None = None):
    return insights.assess(db, resource, f"{DAY}T{start}", f"{DAY}T{end}", headcount, now=BEFORE)


def kinds(assessment: insights.Assessment) -> list[str]:
    return [risk.kind for risk in assessment.risks]


def test_a_plain_booking_in_the_middle_of_an_empty_day_has_no_risk(venue):
    found = risks(venue, "Room", "11:00", "13:00", headcount=4)
    assert found.bookable and found.risks == [] and found.over_capacity is None


def test_near_capacity_from_90_percent_and_over_capacity_is_a_reason_not_a_risk(venue):
    assert kinds(risks(venue, "Room", "11:00", "12:00", headcount=10)) == []
    near = risks(venue, "Room", "11:00", "12:00", headcount=11)
    assert [(r.kind, r.message) for r in near.risks] == [
        ("near_capacity", "11 people fills 92% of Room (capacity 12)")
    ]
    full = risks(venue, "Room", "11:00", "12:00", headcount=12)
    assert full.risks[0].message == "12 people fills 100% of Room (capacity 12)"
    assert full.bookable
    over = risks(venue, "Room", "11:00", "12:00", headcount=13)
    assert not over.bookable and over.risks == []
    assert over.over_capacity is not None
    assert over.over_capacity.message == "13 people is more than Room holds (capacity 12)"


def test_near_blackout_says_which_how_far_and_why(venue):
    blackout, _ = blackouts.add_blackout(
        venue, "Stage", f"{DAY}T17:30", f"{DAY}T18:30", "Union meal break", kind="break"
    )
    found = risks(venue, "Left", "16:00", "17:00")  # the area, under the blacked-out stage
    assert [(r.kind, r.message, r.blackout_ids) for r in found.risks] == [
        (
            "near_blackout",
            "blackout 'Union meal break' (break, set by tester) on Stage starts 30m after it"
            " ends, 17:30-18:30",
            (blackout.id,),
        )
    ]
    touching = risks(venue, "Stage", "16:30", "17:30").risks
    assert "starts just as it ends" in touching[0].message
    after = risks(venue, "Stage", "19:00", "20:00").risks
    assert "ends 30m before it starts" in after[0].message
    assert kinds(risks(venue, "Stage", "15:00", "16:29")) == [], "over an hour away"
    assert kinds(risks(venue, "Room", "16:00", "17:00")) == [], "another resource's blackout"


def test_the_blackout_margin_is_the_resources_own(venue):
    blackouts.add_blackout(venue, "Room", f"{DAY}T14:00", f"{DAY}T15:00", "Floor repair")
    assert kinds(risks(venue, "Room", "11:00", "12:30")) == []
    resources.update_resource(venue, "Room", blackout_margin=timedelta(hours=2))
    assert kinds(risks(venue, "Room", "11:00", "12:30")) == ["near_blackout"]


def test_a_lifted_blackout_is_no_risk(venue):
    blackout, _ = blackouts.add_blackout(
        venue, "Room", f"{DAY}T14:00", f"{DAY}T15:00", "Floor repair"
    )
    blackouts.lift_blackout(venue, blackout.id)
    assert kinds(risks(venue, "Room", "12:30", "13:30")) == []


def test_back_to_back_names_the_booking_and_who_holds_it(as_, venue):
    get_out = reservations.book(as_("jo"), "Left", f"{DAY}T10:00", f"{DAY}T12:00", "Get-out")
    # The stage's turnover is 15 min, so a booking from 12:15 is free, and back to back.
    found = risks(venue, "Stage", "12:15", "13:00")
    assert found.bookable
    assert [(r.kind, r.message, r.reservation_ids) for r in found.risks] == [
        (
            "back_to_back",
            f"back to back: confirmed booking #{get_out.id} 'Get-out' by jo on Left ends 15m"
            " before it starts, 10:00-12:00",
            (get_out.id,),
        )
    ]
    assert kinds(risks(venue, "Stage", "12:30", "13:00")) == ["back_to_back"], "turnover + 15"
    assert kinds(risks(venue, "Stage", "12:31", "13:00")) == []
    before = risks(venue, "Room", "09:00", "10:00")
    assert kinds(before) == [], "another resource"
    reservations.book(venue, "Room", f"{DAY}T10:00", f"{DAY}T11:00", "Fitting")
    assert "starts just as it ends" in risks(venue, "Room", "09:00", "10:00").risks[0].message


def test_busy_day_counts_the_tree_against_the_days_bookable_hours(venue):
    # Stage is bookable 09:00-19:00 (10 hours) on Tuesdays.
    set_hours(venue, "Stage", "TU=09:00-19:00")
    reservations.book(venue, "Stage", f"{DAY}T09:00", f"{DAY}T13:00", "Tech")
    reservations.book(venue, "Left", f"{DAY}T13:15", f"{DAY}T17:45", "Get-in")  # the tree
    found = risks(venue, "Stage", "18:00", "19:00")
    busy = [r for r in found.risks if r.kind == "busy_day"]
    assert [r.message for r in busy] == [
        "Stage is already booked for 85% of its bookable hours on Tue 2 Mar (8h 30m of 10h,"
        " counting what its tree blocks)"
    ]
    set_hours(venue, "Stage", "TU=09:00-20:00")
    assert "busy_day" not in kinds(risks(venue, "Stage", "18:00", "19:00")), "8.5 of 11 hours"


def test_outside_hours_says_how_much_and_the_days_hours(venue):
    set_hours(venue, "Room", "MO-FR=09:00-17:00")
    found = risks(venue, "Room", "16:00", "18:30")
    assert [(r.kind, r.message) for r in found.risks] == [
        (
            "outside_hours",
            "1h 30m of it is outside Room's hours (bookable 09:00-17:00 on Tue 2 Mar)",
        )
    ]
    sunday = insights.assess(venue, "Room", "2027-03-07T10:00", "2027-03-07T11:00", now=BEFORE)
    assert sunday.risks[0].message == "1h of it is outside Room's hours (not bookable on Sun 7 Mar)"


def test_in_past(venue):
    found = insights.assess(
        venue, "Room", f"{DAY}T10:00", f"{DAY}T11:00", now=pendulum.parse(f"{DAY}T12:30:00Z")
    )
    assert [(r.kind, r.message) for r in found.risks] == [("in_past", "it starts in the past")]


def test_approval_delay_counts_the_approvers_stalled_requests(venue, as_):
    assert kinds(risks(venue, "Hall", "10:00", "11:00")) == []
    for hour in (10, 12):
        reservations.book(
            as_("jo"), "Hall", f"2027-03-05T{hour}:00", f"2027-03-05T{hour + 1}:00", "X"
        )
    later = pendulum.now("UTC").add(days=2, hours=1)  # both have waited past the default 24h
    found = insights.assess(venue, "Hall", f"{DAY}T10:00", f"{DAY}T11:00", now=later)
    assert [(r.kind, r.message) for r in found.risks if r.kind != "in_past"] == [
        (
            "approval_delay",
            "a slow decision is likely: its approvers (sam) have 2 stalled requests waiting"
            " (the oldest for 2d 1h)",
        )
    ]


def test_no_approver(venue):
    resources.update_resource(venue, "Hall", remove_approvers=["sam"])
    assert kinds(risks(venue, "Hall", "10:00", "11:00")) == ["no_approver"]


def test_a_booking_asked_about_again_is_not_its_own_risk(venue):
    booked = reservations.book(venue, "Room", f"{DAY}T10:00", f"{DAY}T11:00", "Fitting")
    assert insights.booking_risks(venue, [Asked.booked(booked)], now=BEFORE) == [[]]


def set_hours(db: Database, name: str, *specs: str) -> None:
    resources.update_resource(db, name, hours=parse_week(list(specs)))


# --- the command line -------------------------------------------------------------------------


def test_check_json_lists_the_risks_and_exits_0_when_bookable(venue, spaces):
    blackouts.add_blackout(venue, "Room", "2030-03-05T14:00", "+1h", "Floor repair")
    result = spaces("check", "Room", "2030-03-05T12:00", "13:30", "--headcount", "11", "--json")
    assert result.code == 0, result.err
    found = result.json
    assert (found["free"], found["bookable"], found["over_capacity"]) == (True, True, None)
    assert [(r["kind"], r["blackout_ids"]) for r in found["risks"]] == [
        ("near_capacity", []),
        ("near_blackout", [1]),
    ]
    assert found["risks"][1]["message"].startswith("blackout 'Floor repair' (maintenance")


def test_check_exits_3_over_capacity_and_says_why(venue, spaces):
    result = spaces("check", "Room", "2030-03-05T12:00", "13:30", "--headcount", "13")
    assert result.code == 3
    assert result.out == (
        "Room cannot be booked for them: 13 people is more than Room holds (capacity 12).\n"
    )
    as_json = spaces("check", "Room", "2030-03-05T12:00", "13:30", "--headcount", "13", "--json")
    assert as_json.code == 3
    assert as_json.json["free"] is True and as_json.json["bookable"] is False
    assert as_json.json["over_capacity"] == "13 people is more than Room holds (capacity 12)"


def test_check_text_says_the_risks_under_free(venue, spaces):
    reservations.book(venue, "Room", "2030-03-05T10:00", "12:00", "Fitting")
    result = spaces("check", "Room", "2030-03-05T12:00", "13:00")
    assert result.code == 0
    assert result.out.splitlines() == [
        "Room is free then.",
        "Worth a look:",
        "  ! back to back: confirmed booking #1 'Fitting' by tester on Room ends just as it"
        " starts, 10:00-12:00",
    ]


def test_book_json_has_the_risks_of_the_booking_it_made(venue, spaces):
    spaces("book", "Room", "2030-03-05T10:00", "12:00", "--title", "Fitting")
    result = spaces("book", "Room", "2030-03-05T12:00", "13:00", "--title", "Call", "--json")
    assert result.code == 0, result.err
    booked = result.json
    assert booked["id"] == 2 and booked["status"] == "confirmed"
    assert [(r["kind"], r["reservation_ids"]) for r in booked["risks"]] == [("back_to_back", [1])]
    plain = spaces("book", "Room", "2030-03-06T10:00", "12:00", "--title", "Alone", "--json")
    assert plain.json["risks"] == []
    said = spaces("book", "Room", "2030-03-05T13:00", "14:00", "--title", "Next")
    assert said.err == (
        "warning: back to back: confirmed booking #2 'Call' by tester on Room ends just as it"
        " starts, 12:00-13:00\n"
    )


def test_a_repeat_booked_with_json_lists_each_occurrences_risks(venue, spaces):
    blackouts.add_blackout(venue, "Room", "2030-03-06T12:15", "+1h", "Deep clean")
    result = spaces(
        "book", "Room", "2030-03-05T10:00", "12:00", "--title", "Class", "--rrule",
        "FREQ=DAILY;COUNT=3", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    second = result.json["ids"][1]
    assert [(r["reservation_id"], r["kind"]) for r in result.json["risks"]] == [
        (second, "near_blackout")
    ]


def test_hours_and_the_day_are_the_resources_own_clock_on_a_dst_day(db):
    """New York springs forward on Sunday 14 March 2027: its 09:00-17:00 is still 8 hours,
    at 13:00-21:00 UTC, whatever the session's zone."""
    resources.add_resource(db, "Loft", "room", timezone="America/New_York")
    set_hours(db, "Loft", "09:00-17:00")
    reservations.book(db, "Loft", "2027-03-14T09:00", "16:00", "Load-in")  # 7 of its 8 hours
    found = insights.assess(db, "Loft", "2027-03-14T16:30", "17:30", now=BEFORE)
    assert [r.message for r in found.risks] == [
        "Loft is already booked for 88% of its bookable hours on Sun 14 Mar (7h of 8h, counting"
        " what its tree blocks)",
        "30m of it is outside Loft's hours (bookable 09:00-17:00 on Sun 14 Mar)",
    ]


# Each kind of risk through the command line: (set-up commands, the period asked, the headcount).
FAR = "2030-03-05"  # a Tuesday
SCENARIOS = {
    "near_capacity": ([], ("11:00", "12:00"), "11"),
    "near_blackout": ([("blackout", "add", "Room", f"{FAR}T12:30", "+1h", "--reason", "Fix")],
                      ("11:00", "12:00"), None),
    "back_to_back": ([("book", "Room", f"{FAR}T10:00", "11:00", "--title", "Before")],
                     ("11:00", "12:00"), None),
    "busy_day": ([("resource", "set", "Room", "--hours", "TU=09:00-13:00"),
                  ("book", "Room", f"{FAR}T09:00", "12:30", "--title", "Long")],
                 ("12:30", "13:00"), None),
    "outside_hours": ([("resource", "set", "Room", "--hours", "MO-FR=09:00-17:00")],
                      ("16:00", "18:00"), None),
    "in_past": ([], None, None),
    "no_approver": ([("resource", "set", "Room", "--approval")], ("11:00", "12:00"), None),
    "approval_delay": ([("resource", "set", "Room", "--approver", "sam", "--stall-after", "1s"),
                        ("book", "Room", f"{FAR}T08:00", "09:00", "--title", "Waiting")],
                       ("11:00", "12:00"), None),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(SCENARIOS))
def test_each_risk_is_in_check_json_and_book_json(venue, spaces, kind):
    commands, period, headcount = SCENARIOS[kind]
    for command in commands:
        done = spaces(*command)
        assert done.code == 0, (command, done.err)
    if kind == "approval_delay":
        wait_until_stalled(spaces)
    start, end = (f"{FAR}T{period[0]}", period[1]) if period else ("2020-03-03T10:00", "11:00")
    extra = ("--headcount", headcount) if headcount else ()
    checked = spaces("check", "Room", start, end, *extra, "--json")
    assert checked.code == 0, checked.err
    assert kind in [risk["kind"] for risk in checked.json["risks"]]
    booked = spaces("book", "Room", start, end, "--title", "Asked", *extra, "--json")
    assert booked.code == 0, booked.err
    assert kind in [risk["kind"] for risk in booked.json["risks"]]


def wait_until_stalled(spaces) -> None:
    """The request made with a 1 s threshold has waited past it (a condition, not a sleep of
    a guessed length)."""
    deadline = time.monotonic() + 30
    while not spaces("pending", "--stalled", "--json").json:
        assert time.monotonic() < deadline, "the request never stalled"
        time.sleep(0.1)


def test_a_booking_stands_when_its_risks_cannot_be_asked_for(venue, spaces, sql):
    """Risks are asked after the booking, beside it: a failure there (here the function is
    gone, as on a database whose rules another module broke) is a warning, not a failed
    command over a booking that was made."""
    sql.execute("DROP FUNCTION spaces.booking_risks")
    result = spaces("book", "Room", "2030-03-05T10:00", "12:00", "--title", "Fitting", "--json")
    assert result.code == 0, result.err
    assert result.json["status"] == "confirmed" and result.json["risks"] == []
    assert result.err.startswith("warning: booked, but its risks could not be asked for: ")
