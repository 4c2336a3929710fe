"""The approval queue, driven by Textual's Pilot against a real database on an 80x24 terminal.

The database stamps every request with its own now(), so the app's clock is set from that stamp:
all requests are made in one transaction (one stamp), and the clock reads 25 hours later. Sam
approves the stage (stalls after a day) and the trucks (after two days); company-manager approves
a rehearsal room; nobody approves the projector."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pendulum
import psycopg
import pytest
from rich.text import Text
from tui_helpers import (
    SIZE,
    ZONE,
    home,
    make_app,
    palette,
    press,
    settle,
    text_of,
    wait_until,
)

from spaces_tui.db.connection import Database
from spaces_tui.engine import approvals, blackouts, reservations, resources, series
from spaces_tui.tui.app import Clock, SpacesApp
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.help import HelpText, layout
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.screens.prompts import ReasonPrompt
from spaces_tui.tui.screens.queue import (
    BRANCH,
    CLOSED,
    LAST_BRANCH,
    MARK,
    OPEN,
    STALLED,
    ApprovalQueue,
    QueueTable,
)

APPROVER = "sam"
# (who asks, resource, start, end, title): wall-clock times in Europe/London (UTC in winter).
REQUESTS = (
    ("bob", "Main Stage", "2026-12-01 10:00", "2026-12-01 12:30", "Tech rehearsal"),
    ("lena", "Truck 18t", "2026-12-02 08:00", "2026-12-02 12:00", "Load-in"),
    ("bob", "Rehearsal 5", "2026-11-30 14:00", "2026-11-30 16:00", "Fight call"),
    ("ola", "Truck 18t", "2026-11-28 07:00", "2026-11-28 09:00", "Get-out"),
    ("bob", "Projector", "2026-12-01 09:00", "2026-12-01 10:00", "Screening"),
)
MINE = ["Tech rehearsal", "Load-in", "Get-out"]  # oldest first: one stamp, so in id order
EVERYONE = ["Tech rehearsal", "Load-in", "Fight call", "Get-out", "Screening"]


@dataclass
class Venue:
    db: Database  # acting as sam
    ids: dict[str, int]  # title -> reservation id
    made: datetime  # when the database stamped every request
    url: str

    def title(self, reservation_id: int) -> str:
        return next(title for title, rid in self.ids.items() if rid == reservation_id)

    def status(self, title: str) -> str:
        return reservations.get_reservation(self.db, self.ids[title]).status


def clock_after(made: datetime, hours: float) -> Clock:
    """A fixed clock this long after the requests were made."""
    moment = pendulum.instance(made) + timedelta(hours=hours)
    return lambda zone: moment.in_timezone(zone)


def make_requests(url: str) -> tuple[dict[str, int], datetime]:
    """Every request in one transaction, each as its own asker: one created_at for all."""
    ids: dict[str, int] = {}
    stamps = set()
    with psycopg.connect(url) as conn, conn.transaction():
        for who, resource, start, end, title in REQUESTS:
            conn.execute("SELECT set_config('spaces.actor', %s, true)", (who,))
            row = conn.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange(%s::timestamp AT TIME ZONE %s,"
                "                      %s::timestamp AT TIME ZONE %s), %s"
                "   FROM spaces.resources WHERE name = %s RETURNING id, status, created_at",
                (start, ZONE, end, ZONE, title, resource),
            ).fetchone()
            assert row is not None and row[1] == "pending", (title, row)
            ids[title] = row[0]
            stamps.add(row[2])
    (made,) = stamps
    return ids, made


@pytest.fixture
def venue(db: Database, database_url: str) -> Venue:
    add = resources.add_resource
    add(db, "Main Stage", "stage", requires_approval=True, approvers=[APPROVER], timezone=ZONE)
    add(db, "Main DS", "floor_area", parent="Main Stage")
    add(
        db,
        "Truck 18t",
        "vehicle",
        requires_approval=True,
        approvers=[APPROVER, "jo"],
        stall_after=timedelta(days=2),
        timezone=ZONE,
    )
    add(db, "Rehearsal 5", "room", requires_approval=True, approvers=["company-manager"])
    add(db, "Projector", "equipment", requires_approval=True, timezone=ZONE)
    blackouts.add_blackout(db, "Main Stage", "2026-12-01T13:00", "14:00", "Floor repaint")
    ids, made = make_requests(database_url)
    db.actor = APPROVER
    return Venue(db, ids, made, database_url)


@pytest.fixture
def other(database_url: str) -> Iterator[Database]:
    """Jo, who also approves the trucks, at another desk."""
    jo = Database(database_url, "jo")
    yield jo
    jo.dispose()


# An unexpected exception the app only shows as a notification fails the test (no_bugs).
pytestmark = pytest.mark.usefixtures("no_bugs")


def app_for(venue: Venue, *, hours: float = 25, listen: bool = False) -> SpacesApp:
    return make_app(venue.db, clock=clock_after(venue.made, hours), listen=listen)


async def open_queue(pilot) -> ApprovalQueue:
    await settle(pilot)
    await press(pilot, "a")  # settled: its requests are loaded and shown
    screen = pilot.app.screen
    assert isinstance(screen, ApprovalQueue)
    return screen


def table(screen: ApprovalQueue) -> QueueTable:
    return screen.query_one(QueueTable)


def listed(screen: ApprovalQueue, venue: Venue) -> list[str]:
    """The titles of the table's rows, top to bottom."""
    return [venue.title(int(row.key.value)) for row in table(screen).ordered_rows]


def row_text(screen: ApprovalQueue, venue: Venue, title: str) -> list[str]:
    return [str(cell) for cell in table(screen).get_row(str(venue.ids[title]))]


def under_cursor(screen: ApprovalQueue, venue: Venue) -> str:
    return venue.title(screen.current.reservation.id)


def notes(app: SpacesApp) -> list[tuple[str, str]]:
    return [(note.message, note.severity) for note in app._notifications]


# --- getting there and moving about ------------------------------------------------------------


async def test_a_opens_the_queue_of_what_awaits_you_and_the_keys_move(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        assert listed(queue, venue) == MINE
        assert row_text(queue, venue, "Tech rehearsal") == [
            " ",
            "Tue 1 Dec 10:00-12:30",
            "Main Stage",
            "bob",
            f"{STALLED} 1d 1h",
            "! 2",  # a blackout just after it, and it is in the past
            "sam",
        ]
        assert row_text(queue, venue, "Load-in")[1:] == [
            "Wed 2 Dec 08:00-12:00",
            "Truck 18t",
            "lena",
            "1d 1h",
            "! 1",  # in the past
            "sam, jo",
        ]
        assert "Awaiting you" in text_of(queue, "#queue-where")
        assert "oldest first" in text_of(queue, "#queue-where")

        assert under_cursor(queue, venue) == "Tech rehearsal"
        detail = text_of(queue, "#queue-detail")
        assert "'Tech rehearsal' · Main Stage · 2026-12-01 10:00-12:30 (Europe/London)" in detail
        assert (
            "blackout 'Floor repaint' (maintenance, set by tester) on Main Stage starts 30m"
            " after it ends, 13:00-14:00" in detail
        )
        await press(pilot, "j")
        assert under_cursor(queue, venue) == "Load-in"
        assert "'Load-in'" in text_of(queue, "#queue-detail"), "the detail follows the cursor"
        await press(pilot, "down")
        assert under_cursor(queue, venue) == "Get-out"
        await press(pilot, "k", "up")
        assert under_cursor(queue, venue) == "Tech rehearsal"

        await press(pilot, "a")
        assert app.screen is queue, "a on the queue does not open another one"
        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)


async def test_a_blackout_right_next_to_a_request_is_said_so_not_0m_away(venue):
    bob = Database(venue.url, "bob")
    try:
        # Floor repaint blacks out Main Stage 13:00-14:00 on 1 Dec: one request ends as it
        # starts, one starts as it ends.
        before = reservations.book(bob, "Main Stage", "2026-12-01T12:30", "13:00", "Notes")
        after = reservations.book(bob, "Main Stage", "2026-12-01T14:00", "15:00", "Cue to cue")
    finally:
        bob.dispose()
    venue.ids.update({"Notes": before.id, "Cue to cue": after.id})
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        said = {}
        for title in ("Notes", "Cue to cue"):
            table(queue).move_cursor(row=listed(queue, venue).index(title), animate=False)
            await settle(pilot)
            assert under_cursor(queue, venue) == title
            said[title] = text_of(queue, "#queue-detail")
        floor_repaint = "blackout 'Floor repaint' (maintenance, set by tester) on Main Stage"
        assert f"{floor_repaint} starts just as it ends" in said["Notes"]
        assert f"{floor_repaint} ends just as it starts" in said["Cue to cue"]
        assert "0m" not in said["Notes"] + said["Cue to cue"]


async def test_enter_opens_the_details_of_the_request(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "j", "enter")
        assert isinstance(app.screen, DetailsScreen)
        assert app.screen.item.id == venue.ids["Load-in"]
        await press(pilot, "escape")
        assert app.screen is queue
        assert under_cursor(queue, venue) == "Load-in"


async def test_the_palette_opens_the_queue(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, "Approval queue")
        assert isinstance(app.screen, ApprovalQueue)


# --- deciding ----------------------------------------------------------------------------------


async def test_y_approves_the_request_under_the_cursor(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "j", "y")
        assert listed(queue, venue) == ["Tech rehearsal", "Get-out"]
        assert under_cursor(queue, venue) == "Get-out", "the cursor rests on the next one"
        assert ("Approved #2 'Load-in' on Truck 18t.", "information") in notes(app)
    assert venue.status("Load-in") == "confirmed"
    assert venue.status("Tech rehearsal") == "pending"


async def test_r_asks_why_refuses_no_reason_and_rejects_with_one(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "r")
        prompt = app.screen
        assert isinstance(prompt, ReasonPrompt)
        assert "Reject #1 'Tech rehearsal' on Main Stage" in prompt.question
        await press(pilot, "enter")
        assert app.screen is prompt, "an empty reason is refused"
        assert "A reason is needed" in text_of(prompt, "#problem")
        assert venue.status("Tech rehearsal") == "pending"

        await pilot.press(*"clashes with the get-in")
        await press(pilot, "enter")
        assert app.screen is queue
        assert listed(queue, venue) == ["Load-in", "Get-out"]
    rejected = reservations.get_reservation(venue.db, venue.ids["Tech rehearsal"])
    assert (rejected.status, rejected.decision_note) == ("rejected", "clashes with the get-in")


async def test_backing_out_of_the_reason_rejects_nothing(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "r")
        await press(pilot, "escape")
        assert app.screen is queue
        assert listed(queue, venue) == MINE
    assert venue.status("Tech rehearsal") == "pending"


async def test_space_marks_two_and_y_approves_both(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "space")  # marks Tech rehearsal and moves on to Load-in
        assert under_cursor(queue, venue) == "Load-in"
        await press(pilot, "j", "space")  # Get-out
        assert row_text(queue, venue, "Tech rehearsal")[0] == MARK
        assert row_text(queue, venue, "Load-in")[0] == " "
        assert row_text(queue, venue, "Get-out")[0] == MARK
        assert f"{MARK} 2 marked" in text_of(queue, "#queue-where")
        await press(pilot, "k", "k", "space")  # unmarks Tech rehearsal
        assert row_text(queue, venue, "Tech rehearsal")[0] == " "
        assert f"{MARK} 1 marked" in text_of(queue, "#queue-where")
        await press(pilot, "k", "space")  # and marks it again
        assert row_text(queue, venue, "Tech rehearsal")[0] == MARK

        await press(pilot, "y")
        assert listed(queue, venue) == ["Load-in"]
        assert queue.marked == set()
        assert "marked" not in text_of(queue, "#queue-where")
        assert ("Approved 2", "information") in notes(app)
    assert [venue.status(t) for t in MINE] == ["confirmed", "pending", "confirmed"]


async def test_marked_rejection_asks_once_for_every_marked_request(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "space", "space", "r")
        assert "Reject 2 requests" in app.screen.question
        await pilot.press(*"venue closed")
        await press(pilot, "enter")
        assert listed(queue, venue) == ["Get-out"]
        assert ("Rejected 2", "information") in notes(app)
    assert [venue.status(t) for t in MINE] == ["rejected", "rejected", "pending"]


async def test_a_bulk_decision_reports_the_one_decided_elsewhere(venue, other):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "space", "space", "space")
        assert len(queue.marked) == 3
        # Jo rejects the load-in at another desk while sam is deciding: no event reaches this
        # app (it is not listening), so the row is still on screen, still marked.
        approvals.decide_many(other, [venue.ids["Load-in"]], "reject", "truck in for repair")
        await press(pilot, "y")
        messages = notes(app)
        assert ("Approved 2; 1 failed", "warning") in messages
        failures = [message for message, severity in messages if severity == "error"]
        assert len(failures) == 1
        assert failures[0].startswith("#2 'Load-in' on Truck 18t: reservation 2 was already")
        assert "rejected by jo" in failures[0] and "truck in for repair" in failures[0]
        assert not any("Traceback" in message or "Error" in message for message in failures)
        assert listed(queue, venue) == [], "every one is decided now"
        assert queue.marked == set()
        assert "Nothing waits for you" in text_of(queue, "#queue-detail")
    assert [venue.status(t) for t in MINE] == ["confirmed", "rejected", "confirmed"]


async def test_deciding_one_decided_elsewhere_says_what_happened(venue, other):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "j")
        approvals.decide_many(other, [venue.ids["Load-in"]], "approve", "keys at the desk")
        await press(pilot, "y")
        (failure,) = notes(app)
        assert failure[1] == "error"
        assert "reservation 2 was already approved by jo" in failure[0]
        assert listed(queue, venue) == ["Tech rehearsal", "Get-out"]


async def test_a_title_with_brackets_is_shown_as_typed(venue):
    bracketed = "Rig [b]A[/b] & [red]"
    bob = Database(venue.url, "bob")
    booked = reservations.book(bob, "Main Stage", "2026-12-05T10:00", "+1h", bracketed)
    bob.dispose()
    venue.ids[bracketed] = booked.id
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "s", "s")  # by start time: it starts last
        await settle(pilot)
        await press(pilot, "j", "j")
        assert under_cursor(queue, venue) == bracketed
        await press(pilot, "r")
        question = f"Reject #{booked.id} {bracketed!r} on Main Stage: why?"
        assert text_of(app.screen, "Label") == question
        await press(pilot, "escape")
        assert repr(bracketed) in text_of(queue, "#queue-detail")


# --- a series: one request, or occurrence by occurrence ---------------------------------------


@pytest.fixture
def evenings(venue: Venue) -> list[int]:
    """Bob asks for the stage three evenings running, as one series: the newest request. Years
    ahead (a Monday 7 December, as the rows read), so that it never starts in the past."""
    bob = Database(venue.url, "bob")
    booked = series.book_series(
        bob, "Main Stage", "2037-12-07T18:00", "+2h", "Evening tech", "FREQ=DAILY;COUNT=3"
    )
    bob.dispose()
    return [reservation.id for reservation in booked.reservations]


def keys(queue: ApprovalQueue) -> list[str]:
    return [str(row.key.value) for row in table(queue).ordered_rows]


def statuses(venue: Venue, ids: list[int]) -> list[str]:
    return [reservations.get_reservation(venue.db, i).status for i in ids]


async def test_a_series_is_one_row_and_y_approves_all_of_it(venue, evenings):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        mine = [str(venue.ids[title]) for title in MINE]
        assert keys(queue)[:3] == mine and len(keys(queue)) == 4, "one row for three evenings"
        header = keys(queue)[3]
        row = [str(cell) for cell in table(queue).get_row(header)]
        assert row[:4] == [f" {CLOSED}", "Mon 7 Dec 18:00 ×3", "Main Stage", "bob"]
        assert row[5:] == ["", "sam"]
        assert text_of(home(app), "#awaiting") == "⚑ 4 awaiting you (a)"

        await press(pilot, "j", "j", "j")
        detail = text_of(queue, "#queue-detail")
        assert "3 occurrences of 'Evening tech' · Main Stage · Mon 7 Dec to Wed 9 Dec" in detail
        assert "18:00-20:00 (Europe/London)" in detail
        assert "y/r decide all 3 as one request" in detail
        await press(pilot, "y")
        assert keys(queue) == mine
        message = "Approved 3 occurrences of 'Evening tech' on Main Stage."
        assert (message, "information") in notes(app)
    assert statuses(venue, evenings) == ["confirmed"] * 3
    assert [venue.status(title) for title in MINE] == ["pending"] * 3


async def test_enter_opens_a_series_to_decide_its_occurrences_one_by_one(venue, evenings):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "j", "j", "j", "enter")
        header = keys(queue)[3]
        assert keys(queue)[4:] == [str(i) for i in evenings], "its occurrences, under it"
        assert str(table(queue).get_row(header)[0]) == f" {OPEN}"
        branches = [str(table(queue).get_row(str(i))[0]) for i in evenings]
        assert branches == [f" {BRANCH}", f" {BRANCH}", f" {LAST_BRANCH}"]
        assert str(table(queue).get_row(str(evenings[1]))[1]) == "Tue 8 Dec 18:00-20:00"

        await press(pilot, "j", "j", "y")  # the second evening only
        await settle(pilot)
        assert keys(queue)[3:] == [header, str(evenings[0]), str(evenings[2])], "still open"
        approved = f"Approved #{evenings[1]} 'Evening tech' on Main Stage."
        assert (approved, "information") in notes(app)
        assert str(table(queue).get_row(header)[1]) == "Mon 7 Dec 18:00 ×2"

        await press(pilot, "k", "k")  # back on the series: r rejects what is left of it
        assert queue.current_row.key == header
        await press(pilot, "r")
        assert app.screen.question == "Reject 2 occurrences of 'Evening tech' on Main Stage: why?"
        await pilot.press(*"stage is dark that week")
        await press(pilot, "enter")
        assert keys(queue) == [str(venue.ids[title]) for title in MINE]
    assert statuses(venue, evenings) == ["rejected", "confirmed", "rejected"]
    note = reservations.get_reservation(venue.db, evenings[2]).decision_note
    assert note == "stage is dark that week"


async def test_enter_closes_an_open_series_and_an_occurrence_opens_its_details(venue, evenings):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "j", "j", "j", "enter", "j", "enter")
        assert isinstance(app.screen, DetailsScreen)
        assert app.screen.item.id == evenings[0]
        await press(pilot, "escape")
        await press(pilot, "k", "enter")
        assert len(keys(queue)) == 4, "closed again"


async def test_a_marked_series_and_a_marked_request_are_decided_together(venue, evenings):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "space", "j", "j", "space")  # Tech rehearsal and the series
        assert str(table(queue).get_row(keys(queue)[3])[0]) == f"{MARK}{CLOSED}"
        await press(pilot, "enter", "j", "space")  # open it; mark an occurrence as well
        await press(pilot, "r")
        assert app.screen.question == "Reject 2 requests: why?", "the occurrence goes with it"
        await pilot.press(*"double booked crew")
        await press(pilot, "enter")
        assert ("Rejected 2", "information") in notes(app)
    assert statuses(venue, evenings) == ["rejected"] * 3
    assert venue.status("Tech rehearsal") == "rejected"


# --- filter, sort, live ------------------------------------------------------------------------


async def test_f_shows_every_pending_request_and_back(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "j")  # Load-in
        await press(pilot, "f")
        assert listed(queue, venue) == EVERYONE
        assert "All pending" in text_of(queue, "#queue-where")
        assert under_cursor(queue, venue) == "Load-in", "the cursor keeps its request"
        assert row_text(queue, venue, "Screening")[5:] == ["! 2", "nobody"]  # and in the past
        assert row_text(queue, venue, "Fight call")[6] == "company-manager"
        await press(pilot, "j")  # Fight call: company-manager's, not sam's
        assert "approvers: company-manager (not you)" in text_of(queue, "#queue-detail")
        await press(pilot, "f")
        assert listed(queue, venue) == MINE
        assert "Awaiting you" in text_of(queue, "#queue-where")


async def test_approving_a_request_that_is_not_yours_says_why_not(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "f")
        await press(pilot, "j", "j")
        assert under_cursor(queue, venue) == "Fight call"
        await press(pilot, "y")
        ((message, severity),) = notes(app)
        assert severity == "error"
        assert message.startswith("#3 'Fight call' on Rehearsal 5: ")
        assert "approver" in message, "the database's refusal, in words"
        assert "Fight call" in listed(queue, venue)
    assert venue.status("Fight call") == "pending"


async def test_s_cycles_oldest_first_by_resource_by_start_time(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        assert listed(queue, venue) == MINE
        await press(pilot, "s")
        assert "by resource" in text_of(queue, "#queue-where")
        assert listed(queue, venue) == ["Tech rehearsal", "Get-out", "Load-in"]
        await press(pilot, "s")
        assert "by start time" in text_of(queue, "#queue-where")
        assert listed(queue, venue) == ["Get-out", "Tech rehearsal", "Load-in"]
        await press(pilot, "s")
        assert "oldest first" in text_of(queue, "#queue-where")
        assert listed(queue, venue) == MINE


async def test_a_request_made_elsewhere_appears_and_the_cursor_stays(venue):
    app = app_for(venue, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        await press(pilot, "s", "s")  # by start time: the new one goes above the cursor
        await settle(pilot)
        assert listed(queue, venue) == ["Get-out", "Tech rehearsal", "Load-in"]
        assert under_cursor(queue, venue) == "Tech rehearsal"
        with psycopg.connect(venue.url, autocommit=True) as conn:
            conn.execute("SET spaces.actor = 'lena'")
            row = conn.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title)"
                " SELECT id, tstzrange('2026-11-27 08:00+00', '2026-11-27 10:00+00'), 'Early van'"
                "   FROM spaces.resources WHERE name = 'Truck 18t' RETURNING id"
            ).fetchone()
        venue.ids["Early van"] = row[0]
        await wait_until(
            pilot, lambda: len(table(queue).ordered_rows) == 4, "the request from psql is listed"
        )
        assert listed(queue, venue) == ["Early van", "Get-out", "Tech rehearsal", "Load-in"]
        assert under_cursor(queue, venue) == "Tech rehearsal", "the cursor keeps its request"


# --- stalled requests --------------------------------------------------------------------------


def stalled_style(queue: ApprovalQueue):
    return table(queue).get_component_rich_style("queue--stalled", partial=True)


async def test_stalled_requests_are_marked_by_glyph_and_style(venue):
    app = app_for(venue, hours=25)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        style = stalled_style(queue)
        assert style.bold, "the stalled style is set in spaces.tcss"
        stage = table(queue).get_row(str(venue.ids["Tech rehearsal"]))
        truck = table(queue).get_row(str(venue.ids["Load-in"]))
        assert str(stage[4]) == f"{STALLED} 1d 1h"
        assert all(isinstance(cell, Text) and cell.style == style for cell in stage)
        assert str(truck[4]) == "1d 1h", "the trucks stall after two days"
        assert all(cell.style != style for cell in truck)
        assert f"{STALLED} 1 stalled" in text_of(queue, "#queue-where")
        assert f"{STALLED} stalled: waited 1d 1h, over its 1d" in text_of(queue, "#queue-detail")


async def test_nothing_is_stalled_an_hour_after_the_requests(venue):
    app = app_for(venue, hours=1)
    async with app.run_test(size=SIZE) as pilot:
        queue = await open_queue(pilot)
        waited = [row_text(queue, venue, title)[4] for title in MINE]
        assert waited == ["1h", "1h", "1h"]
        assert "stalled" not in text_of(queue, "#queue-where")


# --- the timeline's count, the help ------------------------------------------------------------


async def test_the_timeline_counts_what_awaits_you(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(home(app), "#awaiting") == "⚑ 3 awaiting you (a)"
        assert home(app).query_one("#awaiting").display
        queue = await open_queue(pilot)
        await press(pilot, "y")
        await press(pilot, "escape")
        assert app.screen is home(app)
        assert queue.is_attached is False
        assert text_of(home(app), "#awaiting") == "⚑ 2 awaiting you (a)"


async def test_the_timeline_shows_no_count_to_someone_nothing_awaits(venue):
    venue.db.actor = "bob"
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not home(app).query_one("#awaiting").display
        assert "awaiting" not in text_of(home(app), "#awaiting")


async def test_help_lists_the_queue_and_its_keys(venue):
    app = app_for(venue)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        body = app.screen.query_one(HelpText)
        lines = layout(body.sections, body.size.width)
        at = next(i for i, line in enumerate(lines) if line[0].startswith("Approval queue"))
        section = lines[at + 1 : lines.index(("", "", ""), at)]
        shown = [key for keys, _, _ in section for key in keys.split()]
        for binding in bindings_of(ApprovalQueue.BINDINGS):
            assert app.get_key_display(binding) in shown, binding.key
        assert any(
            keys.strip() == "a" and text.startswith("the approval queue") for keys, _, text in lines
        )


# --- snapshots: the queue as a user sees it ----------------------------------------------------


def test_snapshot_queue(venue, snap_compare):
    async def queue(pilot):
        await open_queue(pilot)

    assert snap_compare(app_for(venue), terminal_size=SIZE, run_before=queue)


def test_snapshot_queue_all_pending_with_marks(venue, snap_compare):
    async def marked(pilot):
        await open_queue(pilot)
        await press(pilot, "f")
        await press(pilot, "space", "j", "space")

    assert snap_compare(app_for(venue), terminal_size=SIZE, run_before=marked)


def test_snapshot_timeline_with_the_awaiting_count(venue, snap_compare):
    # The timeline shows no waits, so it keeps the usual fixed clock (a fixed day on screen).
    async def timeline(pilot):
        await settle(pilot)

    assert snap_compare(make_app(venue.db), terminal_size=SIZE, run_before=timeline)


def test_snapshot_queue_with_an_open_series(venue, evenings, snap_compare):
    async def opened(pilot):
        await open_queue(pilot)
        await press(pilot, "j", "j", "j", "enter", "j")

    assert snap_compare(app_for(venue), terminal_size=SIZE, run_before=opened)
