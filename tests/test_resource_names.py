"""A resource's name on the command line and in the forms: its exact name first, then its id,
then its name in any case when only one resource has it; several in different cases are bad
input naming them, a near miss is bad input saying "did you mean", and nothing close is not
found, as before. One function (resources.find_resource) decides for every command."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_helpers import SIZE, fill, hint, make_app, press, settle

from spaces_tui.engine import blackouts, reservations, resources
from spaces_tui.engine.errors import BadInput, NotFound
from spaces_tui.engine.resources import pick_name
from spaces_tui.tui.screens.blackouts import BlackoutForm
from spaces_tui.tui.screens.booking import BookingForm

TABLES = ("resources", "reservations", "blackouts", "events")


def counts(sql) -> dict[str, int]:
    return {t: sql.execute(f"SELECT count(*) FROM spaces.{t}").fetchone()[0] for t in TABLES}


@pytest.fixture
def venue(db):
    for name, kind in (
        ("Rehearsal 1", "room"),
        ("Rehearsal 2", "room"),
        ("Main Stage", "stage"),
        ("Room", "room"),
        ("room", "room"),
        ("Truck 18t", "vehicle"),
    ):
        resources.add_resource(db, name, kind, timezone="UTC")
    return db


# --- the rule -------------------------------------------------------------------------------


def test_a_name_in_another_case_finds_the_one_resource_it_fits(venue):
    assert resources.get_resource(venue, "rehearsal 1").name == "Rehearsal 1"
    assert resources.get_resource(venue, "MAIN STAGE").name == "Main Stage"
    assert resources.get_resource(venue, "truck 18T").name == "Truck 18t"


def test_an_exact_name_wins_over_the_same_name_in_another_case(venue):
    assert resources.get_resource(venue, "Room").name == "Room"
    assert resources.get_resource(venue, "room").name == "room"


def test_an_id_still_finds_its_resource(venue):
    stage = resources.get_resource(venue, "Main Stage")
    assert resources.get_resource(venue, stage.id).name == "Main Stage"
    assert resources.get_resource(venue, str(stage.id)).name == "Main Stage"


def test_several_names_in_other_cases_are_bad_input_naming_them(venue):
    with pytest.raises(BadInput, match=r"'ROOM' could be 'Room' or 'room': give the name as"):
        resources.get_resource(venue, "ROOM")


def test_a_near_miss_is_bad_input_with_did_you_mean(venue):
    with pytest.raises(
        BadInput, match=r"^no resource named Rehersal 1; did you mean 'Rehearsal 1'\?$"
    ):
        resources.get_resource(venue, "Rehersal 1")
    with pytest.raises(BadInput, match=r"did you mean 'Main Stage'\?"):
        resources.get_resource(venue, "main stg")


def test_nothing_close_is_not_found_as_before(venue):
    with pytest.raises(NotFound, match=r"^no resource named Nowhere$"):
        resources.get_resource(venue, "Nowhere")


def test_another_number_is_not_a_near_miss(venue):
    """Rehearsal 7 is another room, not a slip for Rehearsal 1; "rehearsal" is either room."""
    for ref in ("Rehearsal 7", "rehearsal", "Truck 7t"):
        with pytest.raises(NotFound):
            resources.get_resource(venue, ref)


def test_digits_that_are_not_ascii_are_a_name_not_an_id(venue):
    with pytest.raises(NotFound, match="no resource named ²"):
        resources.get_resource(venue, "²")


def test_a_name_python_lowers_as_postgresql_may_not_is_still_found(venue):
    # "İ" lowers to "i̇" (two characters) in Python; PostgreSQL's lower() may give "i".
    resources.add_resource(venue, "İstanbul", "room", timezone="UTC")
    assert resources.get_resource(venue, "İstanbul".lower()).name == "İstanbul"


def test_pick_name_over_a_list_of_names():
    names = ["Rehearsal 1", "Main Stage", "Room", "room"]
    assert pick_name("Room", names) == "Room"
    assert pick_name("main stage", names) == "Main Stage"
    with pytest.raises(BadInput, match="could be 'Room' or 'room'"):
        pick_name("rOOm", names)
    long = "x" * 50
    with pytest.raises(NotFound, match=r"no resource named 'x{40}…' \(50 characters\)"):
        pick_name(long, names)


# --- every command that names a resource ----------------------------------------------------


def test_a_booking_on_a_name_in_another_case_is_made(venue, spaces):
    done = spaces("book", "rehearsal 1", "2027-03-01T10:00", "+1h", "--title", "Call", "--json")
    assert done.code == 0, done.err
    assert done.json["resource"] == "Rehearsal 1"
    listed = spaces("list", "--resource", "REHEARSAL 1", "--from", "2027-03-01", "--json")
    assert [r["title"] for r in listed.json] == ["Call"]


def test_other_commands_read_names_in_any_case(venue, spaces):
    done = spaces("blackout", "add", "main stage", "2027-03-02T00:00", "+1d", "--reason", "Paint")
    assert done.code == 0, done.err
    assert [b.reason for b in blackouts.list_blackouts(venue, resource="Main Stage")] == ["Paint"]
    assert spaces("resource", "set", "truck 18t", "--capacity", "3").code == 0
    assert resources.get_resource(venue, "Truck 18t").capacity == 3
    booked = reservations.book(venue, "Rehearsal 1", "2027-03-03T10:00", "+1h", "Notes")
    moved = spaces("move", str(booked.id), "2027-03-03T11:00", "+1h", "--resource", "rehearsal 2")
    assert moved.code == 0, moved.err
    assert "Rehearsal 2" in moved.out


@pytest.mark.parametrize(
    ("name", "message", "kind"),
    [
        ("ROOM", "spaces: 'ROOM' could be 'Room' or 'room': give the name as it is written\n",
         "bad_input"),
        ("Rehersal 1", "spaces: no resource named Rehersal 1; did you mean 'Rehearsal 1'?\n",
         "bad_input"),
        ("Nowhere", "spaces: no resource named Nowhere\n", "not_found"),
    ],
)  # fmt: skip
def test_a_name_that_fits_no_one_resource_exits_2_and_writes_nothing(
    venue, spaces, sql, name, message, kind
):
    before = counts(sql)
    done = spaces("book", name, "2027-03-01T10:00", "+1h", "--title", "Call")
    assert (done.code, done.err, done.out) == (2, message, "")
    as_json = spaces("book", name, "2027-03-01T10:00", "+1h", "--title", "Call", "--json")
    assert as_json.code == 2
    assert as_json.json == {"error": kind, "message": message.removeprefix("spaces: ").strip()}
    assert counts(sql) == before


# --- the forms ------------------------------------------------------------------------------


async def test_the_booking_form_reads_a_name_as_the_command_line_does(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = BookingForm(None, None)
        await app.push_screen(form)
        await settle(pilot)
        await fill(pilot, form, resource="main stage", start="2026-12-01 10:00", title="Call")
        text, classes = hint(form)
        assert "free" in classes and "Main Stage" in text
        await fill(pilot, form, resource="Rehersal 1")
        assert "did you mean 'Rehearsal 1'?" in hint(form)[0]
        await fill(pilot, form, resource="ROOM")
        assert "'ROOM' could be 'Room' or 'room'" in hint(form)[0]
        await fill(pilot, form, resource="Nowhere")
        assert "No resource is called 'Nowhere'" in hint(form)[0]
        await fill(pilot, form, resource="main stage")
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, BookingForm), hint(form)
    [booked] = reservations.list_reservations(venue, start="2026-12-01")
    assert (booked.resource, booked.title) == ("Main Stage", "Call")


async def test_the_blackout_form_reads_a_name_in_another_case(venue, no_bugs):
    app = make_app(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        form = BlackoutForm(app.now())
        await app.push_screen(form)
        await settle(pilot)
        await fill(pilot, form, resource="truck 18T", start="2026-12-01 10:00", reason="Service")
        assert "Truck 18t" in hint(form)[0]
        assert form.query_one("#resource", Input).value == "truck 18T"
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, BlackoutForm), hint(form)
    assert [b.reason for b in blackouts.list_blackouts(venue, resource="Truck 18t")] == ["Service"]
