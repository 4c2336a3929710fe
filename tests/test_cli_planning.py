"""The command line of planning: `spaces free` (what can be booked for a period) and `spaces
find` (when several resources are free together), their text, JSON and exit codes."""

from __future__ import annotations

import pytest

from spaces_tui.engine import blackouts, resources


@pytest.fixture(autouse=True)
def london(monkeypatch):
    """The person at the prompt is in London: times without an offset are read there."""
    monkeypatch.setenv("SPACES_TZ", "Europe/London")


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Main Stage", "stage", timezone="Europe/London", capacity=200)
    resources.add_resource(db, "Main DS", "floor_area", parent="Main Stage", capacity=40)
    resources.add_resource(db, "Rehearsal 2", "room", timezone="Europe/London", capacity=24,
                           attributes={"piano": True})  # fmt: skip
    resources.add_resource(db, "Rehearsal 4", "room", timezone="Europe/London", capacity=12)
    resources.add_resource(db, "Truck 1", "vehicle", timezone="Europe/London")
    return db


def test_free_lists_what_can_be_booked_with_capacity_and_place(venue, spaces):
    spaces("book", "Main Stage", "2027-03-02T13:00", "15:00", "--title", "Tech")
    found = spaces("free", "2027-03-02T14:00", "16:00", "--capacity", "20")
    assert found.code == 0, found.err
    assert "Free 2027-03-02 14:00-16:00 Europe/London for 20 people: 2 of 5." in found.out
    assert "Rehearsal 2  room     24" in found.out
    assert "Truck 1" in found.out  # no capacity set: it takes any headcount, as a booking does
    assert "Main DS" not in found.out and "(3 not free: --all says why.)" in found.out


def test_free_all_says_why_each_one_is_not_free(venue, spaces):
    spaces("book", "Main Stage", "2027-03-02T13:00", "15:00", "--title", "Tech")
    found = spaces("free", "2027-03-02T14:00", "+2h", "--capacity", "20", "--all")
    assert "  Main DS:\n    reservation #1 on Main Stage" in found.out
    assert "  Rehearsal 4:\n    too small: holds 12" in found.out


def test_free_json_and_filters(venue, spaces):
    spaces("book", "Rehearsal 4", "2027-03-02T14:00", "15:00", "--title", "Class")
    found = spaces("free", "2027-03-02T14:00", "16:00", "--kind", "room", "--all", "--json")
    assert [r["name"] for r in found.json["free"]] == ["Rehearsal 2"]
    [taken] = found.json["taken"]
    assert taken["resource"]["name"] == "Rehearsal 4" and taken["over_capacity"] is False
    assert [c["title"] for c in taken["conflicts"]] == ["Class"]
    assert found.json["start"] == "2027-03-02T14:00:00+00:00"
    for odd in ("piano=NaN", "piano=1e999", "piano=[Infinity]"):
        found = spaces("free", "2027-03-02T14:00", "16:00", "--attr", odd, "--json")
        assert (found.code, found.json["free"]) == (3, []), found.err  # a string none has
    piano = spaces("free", "2027-03-02T14:00", "16:00", "--attr", "piano=true", "--json")
    assert [r["name"] for r in piano.json["free"]] == ["Rehearsal 2"]
    under = spaces("free", "2027-03-02T14:00", "16:00", "--under", "Main Stage", "--json")
    assert [r["name"] for r in under.json["free"]] == ["Main DS"]


def test_free_exits_3_when_nothing_is_free(venue, spaces):
    blackouts.add_blackout(venue, "Main Stage", "2027-03-02T00:00", "2027-03-03T00:00", "paint")
    found = spaces("free", "2027-03-02T10:00", "11:00", "--under", "Main Stage")
    assert found.code == 3
    assert "Free 2027-03-02 10:00-11:00 Europe/London: 0 of 1." in found.out


@pytest.mark.parametrize(
    "args, message",
    [
        (["2027-03-02T14:00", "13:00"], "must be after the start"),
        (["2027-03-02T14:00", "15:00", "--capacity", "0"], "--capacity '0' must be 1"),
        (["2027-03-02T14:00", "15:00", "--attr", "piano"], "KEY=VALUE"),
        (["2027-03-02T14:00", "15:00", "--under", "Nowhere"], "no resource named Nowhere"),
        (["tomorrow", "15:00"], "cannot read start"),
    ],
)
def test_free_bad_input_exits_2_and_says_why(venue, spaces, args, message):
    found = spaces("free", *args)
    assert found.code == 2 and message in found.err and found.out == ""


def test_find_gives_the_earliest_stretches_for_several_resources(venue, spaces):
    spaces("book", "Rehearsal 2", "2027-03-02T10:00", "12:00", "--title", "Class")
    spaces("book", "Truck 1", "2027-03-02T13:00", "14:00", "--title", "Run")
    found = spaces("find", "2h", "--resource", "Rehearsal 2", "--resource", "Truck 1",
                   "--from", "2027-03-02T08:00", "--to", "18:00")  # fmt: skip
    assert found.code == 0, found.err
    assert found.out.splitlines() == [
        "Rehearsal 2, Truck 1: free together for 2h, 2027-03-02 08:00-18:00 Europe/London:",
        "  Tue 2 Mar 08:00  (only then)",
        "  Tue 2 Mar 14:00  (or any start until 16:00)",
    ]
    both = ["--resource", "Rehearsal 2", "--resource", "Truck 1"]
    window = ["--from", "2027-03-02T08:00", "--to", "18:00"]
    as_json = spaces("find", "2h", *both, *window, "--count", "1", "--json")
    assert as_json.json["openings"] == [
        {"first_start": "2027-03-02T08:00:00+00:00", "last_start": "2027-03-02T08:00:00+00:00"}
    ]


def test_find_exits_3_when_they_are_never_free_together(venue, spaces):
    spaces("book", "Truck 1", "2027-03-02T08:00", "18:00", "--title", "Tour")
    found = spaces("find", "1h", "--resource", "Truck 1", "--from", "2027-03-02T08:00",
                   "--to", "18:00")  # fmt: skip
    assert found.code == 3
    assert "Truck 1: never free for 1h in 2027-03-02 08:00-18:00 Europe/London." in found.out


@pytest.mark.parametrize(
    "args, message",
    [
        (["0m", "--resource", "Truck 1"], "longer than nothing"),
        (["1h", "--resource", "Truck 1", "--step", "10s"], "the step is a minute to a day"),
        (["1h", "--resource", "Truck 1", "--count", "101"], "between 1 and 100 answers"),
        (["1h", "--resource", "Nowhere"], "no resource named Nowhere"),
        (["1h", "--resource", "Truck 1", "--from", "2027-01-01", "--to", "2028-06-01"],
         "at most 366 days"),
    ],
)  # fmt: skip
def test_find_bad_input_exits_2_and_says_why(venue, spaces, args, message):
    found = spaces("find", *args)
    assert found.code == 2 and message in found.err and found.out == ""
