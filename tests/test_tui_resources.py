"""The resources screen, driven by Textual's Pilot against a real database holding a small venue
(one resource in it needs approval and has nobody to give it), on a fixed clock and 80x24.

The screen is not on a key yet, so each test pushes it once the app has started."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg
import pytest
from textual.widgets import DataTable, Input, OptionList, Static
from tui_helpers import SIZE, ZONE, app_showing, make_app, press, push, settle, wait_until

from spaces_tui.engine import reservations, resources
from spaces_tui.engine.hours import parse_week
from spaces_tui.tui.screens.prompts import LinePrompt
from spaces_tui.tui.screens.resources import PROBLEM_MARK, ResourcesScreen

NO_APPROVER = "requires approval but has no approver"


@pytest.fixture
def venue(db):
    """A stage with two areas, a room, two trucks (one retired) and a projector that needs
    approval but has no approver."""
    add = resources.add_resource
    add(
        db,
        "Main Stage",
        "stage",
        capacity=80,
        requires_approval=True,
        approvers=["stage-manager"],
        timezone=ZONE,
    )
    add(db, "Main DS", "floor_area", parent="Main Stage", capacity=30)
    add(db, "Main US", "floor_area", parent="Main Stage", capacity=30)
    add(db, "Rehearsal 1", "room", capacity=40, timezone=ZONE, hours=parse_week("09:00-23:00"))
    add(
        db,
        "Truck 18t",
        "vehicle",
        requires_approval=True,
        approvers=["company-manager"],
        stall_after=timedelta(days=2),
        timezone=ZONE,
        hours=parse_week(["MO-FR=07:00-19:00", "SA=08:00-12:00"]),
        blackout_margin=timedelta(minutes=30),
    )
    add(db, "Projector", "equipment", requires_approval=True, timezone=ZONE)
    add(db, "Old Van", "vehicle", timezone=ZONE)
    resources.update_resource(db, "Old Van", active=False)
    return db


async def open_resources(pilot) -> ResourcesScreen:
    return await push(pilot, ResourcesScreen())


def resources_screen(db, *, listen: bool = False):
    """The app with the resources screen open (app_showing)."""
    return app_showing(db, ResourcesScreen, listen=listen)


def names(screen: ResourcesScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_cell_at((row, 1))) for row in range(table.row_count)]


def row_of(screen: ResourcesScreen, name: str) -> list[str]:
    table = screen.query_one(DataTable)
    row = [n.strip() for n in names(screen)].index(name)
    return [str(cell) for cell in table.get_row_at(row)]


def put_cursor(screen: ResourcesScreen, name: str) -> None:
    row = [n.strip() for n in names(screen)].index(name)
    screen.query_one(DataTable).move_cursor(row=row, animate=False)


def detail(screen: ResourcesScreen) -> str:
    return str(screen.query_one("#resource-detail", Static).render())


async def answer(pilot, text: str) -> None:
    """Types into the open prompt and presses enter."""
    pilot.app.screen.query_one(Input).value = text
    await press(pilot, "enter")


async def test_the_tree_is_listed_with_areas_indented_under_their_stage(venue):
    async with resources_screen(venue) as (pilot, screen, _notes):
        assert names(screen) == [
            "Main Stage",
            "  Main DS",
            "  Main US",
            "Old Van",
            "Projector",
            "Rehearsal 1",
            "Truck 18t",
        ]
        #            mark  name  kind  cap  approval (who approves)  stall  active  hours
        assert row_of(screen, "Truck 18t") == [
            " ",
            "Truck 18t",
            "vehicle",
            "-",
            "company-manager",
            "2d",
            "yes",
            "MO-FR 07:00…",
        ]
        assert row_of(screen, "Rehearsal 1")[3:5] == ["40", "-"]
        assert row_of(screen, "Rehearsal 1")[-1] == "09:00-23:00", "every day, in short"
        assert row_of(screen, "Old Van")[-2:] == ["no", "always"]
        assert "7 resources" in str(screen.query_one("#resources-where", Static).render())

        await press(pilot, "j", "j", "down", "k")
        assert screen.current is not None and screen.current.name == "Main US"
        assert detail(screen).startswith("Main US (floor_area): bookings are confirmed at once")


async def test_p_toggles_approval_and_says_pending_requests_stay_pending(venue):
    truck = resources.get_resource(venue, "Truck 18t")
    waiting = reservations.book(venue, truck.id, "2026-11-25T08:00", "+4h", title="Load-in")
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Rehearsal 1")
        await press(pilot, "p")
        assert resources.get_resource(venue, "Rehearsal 1").requires_approval
        assert row_of(screen, "Rehearsal 1")[4] == "nobody"
        assert screen.current is not None and screen.current.name == "Rehearsal 1"

        put_cursor(screen, "Truck 18t")
        await press(pilot, "p")
        assert not resources.get_resource(venue, "Truck 18t").requires_approval
        assert reservations.get_reservation(venue, waiting.id).status == "pending"
        assert "the 1 request waiting stays pending until an approver decides" in notes[-1]
        assert row_of(screen, "Truck 18t")[4] == "off (company-m…"


async def test_approvers_are_added_and_removed(venue):
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Main Stage")
        await press(pilot, "plus")
        assert isinstance(pilot.app.screen, LinePrompt)
        await answer(pilot, "  alice ")
        assert resources.get_resource(venue, "Main Stage").approvers == ("stage-manager", "alice")
        assert row_of(screen, "Main Stage")[4] == "stage-manager,…", "the row is short"
        assert "bookings wait for stage-manager, alice" in detail(screen), "the detail is not"
        assert "alice now approves bookings of Main Stage." in notes

        await press(pilot, "minus")
        picker = pilot.app.screen.query_one(OptionList)
        assert [picker.get_option_at_index(i).id for i in range(picker.option_count)] == [
            "stage-manager",
            "alice",
        ]
        await press(pilot, "enter")  # the first: stage-manager
        await settle(pilot)
        assert resources.get_resource(venue, "Main Stage").approvers == ("alice",)
        assert screen.current is not None and screen.current.name == "Main Stage"


async def test_adding_an_approver_turns_approval_on_as_the_command_line_does(venue):
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Rehearsal 1")  # confirmed at once: nobody approves it
        await press(pilot, "plus")
        await answer(pilot, "carol")
        changed = resources.get_resource(venue, "Rehearsal 1")
        assert (changed.requires_approval, changed.approvers) == (True, ("carol",))
        assert "carol now approves bookings of Rehearsal 1." in notes


async def lock_waits(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as watcher:
        return watcher.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0]


async def test_an_approver_added_here_while_another_is_added_elsewhere_keeps_both(
    venue, database_url
):
    """The screen's add is one statement: one that waits for another person's uncommitted
    change of the same approvers adds to what that change left, instead of writing back the
    list it read before (which would drop bob)."""
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Main Stage")
        await press(pilot, "plus")
        with psycopg.connect(database_url) as other:
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "UPDATE spaces.resources SET approvers = approvers || 'bob'::text"
                " WHERE name = 'Main Stage'"
            )
            pilot.app.screen.query_one(Input).value = "alice"
            await pilot.press("enter")  # its write now waits for the other transaction
            await wait_for(lambda: lock_waits(database_url), "the screen's write to wait")
            other.commit()
        await settle(pilot)
        approvers = resources.get_resource(venue, "Main Stage").approvers
        assert approvers == ("stage-manager", "bob", "alice"), notes


async def wait_for(count, what: str) -> None:
    """Until count() is above 0 (settle() would wait for the blocked write itself)."""
    for _ in range(600):
        if await count():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within 60s: {what}")


async def test_removing_the_last_approver_shows_the_problem(venue):
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Truck 18t")
        await press(pilot, "minus")
        await press(pilot, "enter")
        assert resources.get_resource(venue, "Truck 18t").approvers == ()
        assert row_of(screen, "Truck 18t")[0] == PROBLEM_MARK
        assert NO_APPROVER in notes[-1]


async def test_a_resource_needing_approval_without_an_approver_is_marked(venue):
    async with resources_screen(venue) as (pilot, screen, _notes):
        marked = [row_of(screen, name.strip())[0] for name in names(screen)]
        assert marked == [" ", " ", " ", " ", PROBLEM_MARK, " ", " "]
        assert "1 with a problem" in str(screen.query_one("#resources-where", Static).render())
        put_cursor(screen, "Projector")
        await settle(pilot)  # the detail follows the cursor
        assert f"{PROBLEM_MARK} {NO_APPROVER}" in detail(screen)

        await press(pilot, "plus")
        await answer(pilot, "tech-manager")
        assert row_of(screen, "Projector")[0] == " ", "an approver fixes it"
        assert NO_APPROVER not in detail(screen)


async def test_the_stall_threshold_is_set_and_a_bad_duration_is_explained(venue):
    async with resources_screen(venue) as (pilot, screen, _notes):
        put_cursor(screen, "Truck 18t")
        await press(pilot, "t")
        prompt = pilot.app.screen
        assert isinstance(prompt, LinePrompt)
        assert prompt.query_one(Input).value == "2d", "it starts from the current threshold"

        await answer(pilot, "soon")
        assert pilot.app.screen is prompt, "the prompt stays open to fix it"
        problem = str(prompt.query_one("#problem", Static).render())
        assert "'soon' is not a duration like 90m, 2h, 1h30m or 2d" in problem
        assert resources.get_resource(venue, "Truck 18t").stall_after == timedelta(days=2)

        await answer(pilot, "90m")
        assert pilot.app.screen is screen
        assert resources.get_resource(venue, "Truck 18t").stall_after == timedelta(minutes=90)
        assert row_of(screen, "Truck 18t")[5] == "1h 30m"


async def test_the_blackout_margin_is_set_by_m_and_0_means_none(venue):
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Truck 18t")
        await press(pilot, "m")
        prompt = pilot.app.screen
        assert isinstance(prompt, LinePrompt)
        assert prompt.query_one(Input).value == "30m", "it starts from the current margin"
        await answer(pilot, "8d")
        assert pilot.app.screen is prompt, "over 7 days: the prompt stays open to fix it"
        assert "7 days" in str(prompt.query_one("#problem", Static).render())
        await answer(pilot, "0")
        assert pilot.app.screen is screen
        assert resources.get_resource(venue, "Truck 18t").blackout_margin == timedelta(0)
        assert detail(screen).splitlines()[1].endswith("; no warning of blackouts nearby")
        assert "Truck 18t: no warning of blackouts nearby." in notes


async def test_the_hours_are_shown_in_full_and_set_by_h(venue):
    async with resources_screen(venue) as (pilot, screen, notes):
        put_cursor(screen, "Truck 18t")
        await settle(pilot)
        assert detail(screen).splitlines()[1] == (
            f"bookable MO-FR 07:00-19:00, SA 08:00-12:00 ({ZONE}); warns of a blackout within 30m"
        )
        await press(pilot, "h")
        prompt = pilot.app.screen
        assert isinstance(prompt, LinePrompt)
        assert prompt.query_one(Input).value == "MO-FR 07:00-19:00, SA 08:00-12:00"

        await answer(pilot, "MO-FR 07:00-19:00, SX 08:00-12:00")
        assert pilot.app.screen is prompt, "the prompt stays open to fix it"
        problem = str(prompt.query_one("#problem", Static).render())
        assert problem == "'SX' is not a day: use MO TU WE TH FR SA SU (MO-FR for a run), or daily"
        await answer(pilot, "SU=closed")
        assert "closed all week" in str(prompt.query_one("#problem", Static).render())
        assert resources.get_resource(venue, "Truck 18t").bookable_week == parse_week(
            ["MO-FR=07:00-19:00", "SA=08:00-12:00"]
        )

        await answer(pilot, "FR,SA 18:00-02:00")
        assert pilot.app.screen is screen
        nights = parse_week("FR,SA=18:00-02:00")
        assert resources.get_resource(venue, "Truck 18t").bookable_week == nights
        assert row_of(screen, "Truck 18t")[-1] == "FR-SA 18:00…", "in full below"
        assert detail(screen).splitlines()[1].startswith(f"bookable FR-SA 18:00-02:00 ({ZONE});")
        assert f"Truck 18t is now bookable FR-SA 18:00-02:00 ({ZONE})." in notes


async def test_escape_backs_out_of_a_prompt_and_closes_the_screen(venue):
    async with resources_screen(venue) as (pilot, screen, _notes):
        put_cursor(screen, "Rehearsal 1")
        await press(pilot, "plus")
        await press(pilot, "escape")
        assert pilot.app.screen is screen
        assert resources.get_resource(venue, "Rehearsal 1").approvers == ()
        await press(pilot, "escape")
        assert not isinstance(pilot.app.screen, ResourcesScreen)


async def test_a_change_made_elsewhere_appears_and_the_cursor_stays(venue, database_url):
    async with resources_screen(venue, listen=True) as (pilot, screen, _notes):
        put_cursor(screen, "Truck 18t")
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET spaces.actor = 'elsewhere'")
            other.execute(
                "UPDATE spaces.resources SET approvers = approvers || 'bob'::text"
                " WHERE name = 'Truck 18t'"
            )
            other.execute(
                "INSERT INTO spaces.resources (name, kind, timezone)"
                " VALUES ('Aerial Rig', 'equipment', 'Europe/London')"
            )
        await wait_until(
            pilot, lambda: "Aerial Rig" in names(screen), "the resource from psql is listed"
        )
        assert names(screen)[0] == "Aerial Rig"
        assert "bookings wait for company-manager, bob" in detail(screen)
        assert screen.current is not None and screen.current.name == "Truck 18t"


# --- snapshot: the screen as a user sees it --------------------------------------------------


def test_snapshot_resources(venue, snap_compare):
    async def on_the_projector(pilot):
        screen = await open_resources(pilot)
        put_cursor(screen, "Projector")
        await settle(pilot)

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=on_the_projector)


def test_snapshot_hours_prompt(venue, snap_compare):
    async def asking_the_trucks_hours(pilot):
        screen = await open_resources(pilot)
        put_cursor(screen, "Truck 18t")
        await press(pilot, "h")
        await answer(pilot, "MO-FR 07:00-19:00, SX 08:00-12:00")

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=asking_the_trucks_hours)
