"""The command line of groups and moves: `book R1 R2 …`, `cancel --group`, `move`, and
`history` showing what a booking goes with."""

from __future__ import annotations

import pytest

from spaces_tui.engine import resources


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Rehearsal 2", "room", timezone="Europe/London", capacity=24)
    resources.add_resource(db, "Rehearsal 4", "room", timezone="Europe/London", capacity=24)
    resources.add_resource(db, "Truck 1", "vehicle", timezone="Europe/London")
    resources.add_resource(db, "PA rig", "equipment", timezone="Europe/London", approvers=["sam"])
    return db


def test_book_several_resources_as_one_group(venue, spaces):
    made = spaces(
        "book",
        "Rehearsal 2",
        "Truck 1",
        "2027-03-02T14:00",
        "16:00",
        "--title",
        "Get-in",
        "--headcount",
        "20",
        "--json",
    )
    assert made.code == 0, made.err
    shown = made.json
    assert shown["status"] == "confirmed"
    assert len(shown["ids"]) == 2 and shown["group_id"] >= 1
    assert [r["resource"] for r in shown["reservations"]] == ["Rehearsal 2", "Truck 1"]
    assert {r["group_id"] for r in shown["reservations"]} == {shown["group_id"]}
    text = spaces("history", str(shown["ids"][0]))
    assert f"with #{shown['ids'][1]} Truck 1" in text.out
    assert f"booking group #{shown['group_id']}" in text.out


def test_a_group_in_the_way_exits_3_listing_each_resource(venue, spaces, sql):
    spaces("book", "Truck 1", "2027-03-02T15:00", "17:00", "--title", "Tour")
    refused = spaces(
        "book", "Rehearsal 2", "Truck 1", "PA rig", "2027-03-02T14:00", "16:00", "--title", "Get-in"
    )
    assert refused.code == 3
    assert "Truck 1 is taken; nothing was booked" in refused.err
    assert "Truck 1, " in refused.err and "'Tour'" in refused.err
    as_json = spaces(
        "book", "Rehearsal 2", "Truck 1", "2027-03-02T14:00", "16:00", "--title", "Get-in", "--json"
    )
    assert as_json.code == 3
    assert [b["resource"] for b in as_json.json["blocked"]] == ["Truck 1"]
    assert sql.execute("SELECT count(*) FROM spaces.reservations").fetchone() == (1,)


def test_a_group_with_an_approval_row_is_pending(venue, spaces):
    made = spaces("book", "Rehearsal 2", "PA rig", "2027-03-02T14:00", "16:00", "--title", "Show")
    assert made.code == 0, made.err
    assert "(pending)" in made.out
    assert "a rejection releases the rest" in made.out


def test_cancel_group_and_its_bad_combinations(venue, spaces):
    made = spaces(
        "book", "Rehearsal 2", "Truck 1", "2027-03-02T14:00", "16:00", "--title", "Get-in", "--json"
    ).json
    mixed = spaces("cancel", str(made["ids"][0]), "--group", "--series", "--reason", "x")
    assert mixed.code == 2
    done = spaces("cancel", str(made["ids"][0]), "--group", "--reason", "show off", "--json")
    assert done.code == 0, done.err
    assert {r["status"] for r in done.json} == {"cancelled"} and len(done.json) == 2


def test_a_recurring_group(venue, spaces):
    made = spaces(
        "book",
        "Rehearsal 2",
        "Truck 1",
        "2027-03-02T14:00",
        "16:00",
        "--title",
        "Weekly",
        "--rrule",
        "FREQ=WEEKLY;COUNT=3",
        "--json",
    )
    assert made.code == 0, made.err
    assert len(made.json["group_ids"]) == 3 and len(made.json["series_ids"]) == 2
    assert len(made.json["ids"]) == 6


def test_move_and_its_links(venue, spaces):
    made = spaces(
        "book", "Rehearsal 2", "2027-03-02T14:00", "16:00", "--title", "Tech", "--json"
    ).json
    moved = spaces(
        "move", str(made["id"]), "2027-03-02T15:00", "17:00", "--resource", "Rehearsal 4", "--json"
    )
    assert moved.code == 0, moved.err
    [pair] = moved.json["moved"]
    assert pair["from"] == made["id"]
    assert moved.json["reservations"][0]["moved_from"] == made["id"]
    assert moved.json["reservations"][0]["resource"] == "Rehearsal 4"
    old = spaces("history", str(made["id"]))
    assert f"moved to #{pair['to']}" in old.out
    assert "moved to Rehearsal 4, 2027-03-02 15:00-2027-03-02 17:00" in old.out
    text = spaces("move", str(pair["to"]), "2027-03-02T16:00", "18:00")
    assert text.code == 0 and text.out.startswith(f"Moved #{pair['to']} to #")


def test_a_move_onto_a_taken_slot_exits_3_and_changes_nothing(venue, spaces):
    spaces("book", "Rehearsal 4", "2027-03-02T15:00", "17:00", "--title", "Dance")
    made = spaces(
        "book", "Rehearsal 2", "2027-03-02T14:00", "16:00", "--title", "Tech", "--json"
    ).json
    refused = spaces(
        "move", str(made["id"]), "2027-03-02T16:00", "18:00", "--resource", "Rehearsal 4"
    )
    assert refused.code == 3
    assert "nothing was changed" in refused.err and "'Dance'" in refused.err
    listed = spaces("list", "--resource", "Rehearsal 2", "--from", "2027-03-01", "--json").json
    assert [r["id"] for r in listed] == [made["id"]]
    unknown = spaces("move", "999", "2027-03-02T16:00", "18:00")
    assert unknown.code == 2
