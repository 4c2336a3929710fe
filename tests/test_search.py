"""Finding a booking: `spaces list --search TEXT` finds the reservations whose title, booker or
resource's name holds TEXT in any case, LIKE's own characters taken literally, over all time
unless a window is given, together with the other options of `list`."""

from __future__ import annotations

import pytest

from spaces_tui.engine import reservations, resources
from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.reservations import SEARCH_LIMIT, like_pattern


@pytest.fixture
def venue(db, as_):
    for name, kind in (("Rehearsal 1", "room"), ("Main Stage", "stage"), ("Truck", "vehicle")):
        resources.add_resource(db, name, kind, timezone="UTC")
    booked = {
        ("Rehearsal 1", "2027-03-01T10:00", "Fight call", "alice"),
        ("Main Stage", "2027-03-01T10:00", "Tech rehearsal", "bob"),
        ("Truck", "2027-03-01T10:00", "100% sold out", "sam"),
        ("Truck", "2027-03-02T10:00", "100 seats", "sam"),
        ("Rehearsal 1", "2027-03-02T10:00", "get_in", "jo"),
        ("Rehearsal 1", "2027-03-03T10:00", "get-in", "jo"),
        ("Main Stage", "2027-03-02T10:00", r"C:\rig", "jo"),
        ("Main Stage", "2027-03-03T10:00", "Crig", "jo"),
        ("Main Stage", "2026-01-05T10:00", "Old tech notes", "bob"),
    }
    for resource, start, title, booker in sorted(booked):
        reservations.book(as_(booker), resource, start, "+1h", title)
    dropped = reservations.book(as_("bob"), "Truck", "2027-03-04T10:00", "+1h", "Fight props")
    reservations.cancel(as_("bob"), dropped.id, "not needed")
    return db


def titles(found) -> list[str]:
    return [r.title for r in found]


def found(db, text: str, **options) -> list[str]:
    return titles(reservations.list_reservations(db, search=text, **options))


def test_a_title_is_found_in_any_case(venue):
    assert found(venue, "FIGHT") == ["Fight call"]
    assert found(venue, "tech") == ["Old tech notes", "Tech rehearsal"]


def test_a_booker_is_found(venue):
    assert found(venue, "Alice") == ["Fight call"]
    assert found(venue, "bob") == ["Old tech notes", "Tech rehearsal"]


def test_a_resource_name_is_found_and_each_booking_once(venue):
    assert found(venue, "main st") == [
        "Old tech notes",
        "Tech rehearsal",
        r"C:\rig",
        "Crig",
    ]
    # "rehearsal" is the title of one booking on Main Stage and the name of Rehearsal 1.
    assert found(venue, "rehearsal") == ["Tech rehearsal", "Fight call", "get_in", "get-in"]


def test_like_characters_are_plain_characters(venue):
    assert found(venue, "100%") == ["100% sold out"]
    assert found(venue, "get_in") == ["get_in"]
    assert found(venue, "c:\\r") == [r"C:\rig"]
    assert found(venue, "%") == ["100% sold out"]
    assert found(venue, "_") == ["get_in"]


def test_text_running_from_a_title_into_its_booker_is_not_found(venue):
    assert found(venue, "call alice") == []
    assert found(venue, "call") == ["Fight call"]


def test_spaces_around_the_text_do_not_count(venue):
    assert found(venue, "  fight  ") == ["Fight call"]


def test_a_search_combines_with_status_resource_and_window(venue):
    assert found(venue, "fight") == ["Fight call"]
    assert found(venue, "fight", statuses=["cancelled"]) == ["Fight props"]
    assert found(venue, "fight", statuses=reservations.STATUSES) == ["Fight call", "Fight props"]
    assert found(venue, "jo", resource="Rehearsal 1") == ["get_in", "get-in"]
    assert found(venue, "jo", start="2027-03-03") == ["Crig", "get-in"]
    assert found(venue, "tech", end="2027-01-01") == ["Old tech notes"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a search needs something to look for"),
        ("   ", "a search needs something to look for"),
        ("x" * (SEARCH_LIMIT + 1), f"a search is at most {SEARCH_LIMIT} characters"),
    ],
)
def test_an_empty_or_overlong_search_is_bad_input(venue, text, message):
    with pytest.raises(BadInput, match=message):
        reservations.list_reservations(venue, search=text)


def test_the_longest_search_allowed_is_read():
    assert like_pattern("x" * SEARCH_LIMIT) == "%" + "x" * SEARCH_LIMIT + "%"


# --- the command line -------------------------------------------------------------------------


def test_list_search_looks_through_all_time_when_no_window_is_given(venue, spaces):
    plain = spaces("list", "--json")
    assert plain.code == 0, plain.err
    assert "Old tech notes" not in [r["title"] for r in plain.json], "list alone: from now on"
    searched = spaces("list", "--search", "TECH", "--json")
    assert searched.code == 0, searched.err
    assert [r["title"] for r in searched.json] == ["Old tech notes", "Tech rehearsal"]
    assert {r["resource"] for r in searched.json} == {"Main Stage"}
    later = spaces("list", "--search", "tech", "--from", "2027-01-01", "--json")
    assert [r["title"] for r in later.json] == ["Tech rehearsal"]


def test_list_search_with_status_and_resource(venue, spaces):
    cancelled = spaces("list", "--search", "fight", "--status", "cancelled", "--json")
    assert cancelled.code == 0, cancelled.err
    assert [(r["title"], r["status"]) for r in cancelled.json] == [("Fight props", "cancelled")]
    on_truck = spaces("list", "--search", "100%", "--resource", "Truck")
    assert on_truck.code == 0, on_truck.err
    assert "100% sold out" in on_truck.out and "100 seats" not in on_truck.out


def test_list_search_says_when_nothing_matches(venue, spaces):
    done = spaces("list", "--search", " zebra ")
    assert (done.code, done.out) == (0, "No reservations match 'zebra'.\n")
    assert spaces("list", "--search", "zebra", "--json").json == []


@pytest.mark.parametrize(
    "text", ["", "  ", "y" * (SEARCH_LIMIT + 1)], ids=["empty", "blank", "overlong"]
)
def test_list_search_refuses_bad_text_with_exit_2(venue, spaces, text):
    done = spaces("list", "--search", text)
    assert done.code == 2
    assert done.err.startswith("spaces: a search ") and len(done.err.splitlines()) == 1
    assert done.out == ""
    as_json = spaces("list", "--search", text, "--json")
    assert as_json.code == 2 and as_json.json["error"] == "bad_input"
