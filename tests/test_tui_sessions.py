"""Rehearsal sessions in the app, driven by Textual's Pilot against a real database on an 80x24
terminal and the fixed clock (Tue 24 Nov 2026 11:15, Europe/London): the timeline counts the
flagged ones, S lists them first, and from there they are booked again or closed."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest
from textual.widget import Widget
from textual.widgets import DataTable, Input
from tui_helpers import (
    SIZE,
    ZONE,
    fill,
    hint,
    home,
    make_app,
    palette,
    press,
    settle,
    text_of,
    wait_until,
)

from spaces_tui.db.connection import Database
from spaces_tui.engine import blackouts, rehearse, reservations, resources
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.help import HelpText, layout
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.screens.prompts import ReasonPrompt
from spaces_tui.tui.screens.session_form import SessionForm
from spaces_tui.tui.screens.sessions import CANCELLED, FLAGGED, SessionsScreen


@dataclass
class Company:
    db: Database
    ids: dict[str, int]  # title -> session id
    url: str

    def session(self, title: str) -> rehearse.Session:
        [found] = [s for s in rehearse.list_sessions(self.db) if s.id == self.ids[title]]
        return found


@pytest.fixture
def company(db: Database, database_url: str) -> Company:
    """Act 1 lost its room to a flood blackout; Act 2 is still to come; the read-through is
    over; the cut scene was cancelled by the company itself."""
    resources.add_resource(db, "Rehearsal 1", "room", timezone=ZONE)
    resources.add_resource(db, "Rehearsal 2", "room", timezone=ZONE)
    add = rehearse.add_session
    ids = {
        title: add(db, room, start, "+2h", title).id
        for title, room, start in (
            ("Act 1", "Rehearsal 1", "2026-11-25T10:00"),
            ("Act 2", "Rehearsal 1", "2026-11-26T10:00"),
            ("Read-through", "Rehearsal 2", "2026-11-20T10:00"),
            ("Cut scene", "Rehearsal 2", "2026-11-27T10:00"),
        )
    }
    rehearse.cancel_session(db, ids["Cut scene"], "cut from the show")
    blackouts.add_blackout(
        db, "Rehearsal 1", "2026-11-25T09:00", "13:00", "flood", cancel_conflicting=True
    )
    return Company(db, ids, database_url)


# An unexpected exception the app only shows as a notification fails the test (no_bugs).
pytestmark = pytest.mark.usefixtures("no_bugs")


async def open_sessions(pilot) -> SessionsScreen:
    await settle(pilot)
    await press(pilot, "S")  # settled: its sessions are loaded and shown
    screen = pilot.app.screen
    assert isinstance(screen, SessionsScreen)
    return screen


def listed(screen: SessionsScreen, company: Company) -> list[str]:
    by_id = {session_id: title for title, session_id in company.ids.items()}
    table = screen.query_one(DataTable)
    return [by_id.get(int(row.key.value), row.key.value) for row in table.ordered_rows]


def row_text(screen: SessionsScreen, company: Company, title: str) -> list[str]:
    return [str(c) for c in screen.query_one(DataTable).get_row(str(company.ids[title]))]


def shown(widget: Widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def notes(app: SpacesApp) -> list[str]:
    return [note.message for note in app._notifications]


# --- finding them ------------------------------------------------------------------------------


async def test_the_timeline_counts_flagged_sessions_and_S_lists_them_first(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(home(app), "#flagged") == f"{FLAGGED} 1 flagged (S)"
        screen = await open_sessions(pilot)
        assert listed(screen, company) == ["Act 1", "Act 2"], "flagged first, then to come"
        assert row_text(screen, company, "Act 1") == [
            FLAGGED,
            "25 Nov 10:00-12:00",
            "Rehearsal 1",
            "Act 1",
            "blackout: flood",
        ]
        assert row_text(screen, company, "Act 2")[0] == " "
        assert "Flagged and upcoming · 2 sessions" in text_of(screen, "#sessions-where")
        detail = text_of(screen, "#sessions-detail")
        assert "'Act 1' · Rehearsal 1 · 2026-11-25 10:00-12:00 (Europe/London)" in detail
        assert "Spaces cancelled its room booking: blackout: flood. n books it again" in detail
        await press(pilot, "j")
        assert "Its room is booked" in text_of(screen, "#sessions-detail")
        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)


async def test_f_shows_the_flagged_then_every_session(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot)
        await press(pilot, "f")
        assert listed(screen, company) == ["Act 1"]
        await press(pilot, "f")
        assert listed(screen, company) == ["Read-through", "Act 1", "Act 2", "Cut scene"]
        assert row_text(screen, company, "Cut scene")[0] == CANCELLED
        assert "All sessions · 4 sessions · ⚐ 1 flagged" in text_of(screen, "#sessions-where")
        await press(pilot, "f")
        assert listed(screen, company) == ["Act 1", "Act 2"]


async def test_no_count_and_a_plain_word_when_nothing_is_flagged(company):
    rehearse.cancel_session(company.db, company.ids["Act 1"], "noted")
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not home(app).query_one("#flagged").display
        screen = await open_sessions(pilot)
        await press(pilot, "f")
        assert listed(screen, company) == []
        assert "every session still has its room" in text_of(screen, "#sessions-detail")


async def test_the_palette_opens_the_sessions(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, "Rehearsal sessions")
        assert isinstance(app.screen, SessionsScreen)


# --- acting on them ----------------------------------------------------------------------------


async def test_x_closes_a_flagged_session_and_the_count_goes(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot)
        await press(pilot, "x")
        assert isinstance(app.screen, ReasonPrompt)
        question = "Close session 'Act 1' (Spaces has released its room): why?"
        assert app.screen.question == question
        await pilot.press(*"moved to the studio")
        await press(pilot, "enter")
        assert app.screen is screen
        assert listed(screen, company) == ["Act 2"]
        assert f"Closed session #{company.ids['Act 1']} 'Act 1'." in notes(app)
        await press(pilot, "escape")
        assert not home(app).query_one("#flagged").display
    assert company.session("Act 1").status == "cancelled"


async def test_x_cancels_a_scheduled_session_and_releases_its_room(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot)
        await press(pilot, "j", "x")
        assert app.screen.question == "Cancel session 'Act 2' and release Rehearsal 1: why?"
        await pilot.press(*"director ill")
        await press(pilot, "enter")
        assert listed(screen, company) == ["Act 1"]
    act2 = company.session("Act 2")
    assert (act2.status, act2.reservation_status) == ("cancelled", "cancelled")
    assert reservations.check(company.db, "Rehearsal 1", "2026-11-26T10:00", "+2h") == []


async def test_n_on_a_flagged_session_books_it_again_and_closes_it(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, SessionForm)
        assert (
            text_of(form, ".dialog-title") == f"Book session #{company.ids['Act 1']} 'Act 1' again"
        )
        values = {
            name: form.query_one(f"#{name}", Input).value for name in ("resource", "title", "end")
        }
        assert values == {"resource": "Rehearsal 1", "title": "Act 1", "end": "+2h"}
        assert app.focused is form.query_one("#start", Input), "its old time is taken"
        hidden = [form.query_one(f"#{name}") for name in ("headcount", "repeat", "ends")]
        assert not any(shown(field) for field in hidden), "one session: no headcount or repeat"
        assert shown(form.query_one("#title"))
        await fill(pilot, form)
        text, state = hint(form)
        assert "blackout flood on Rehearsal 1" in text and "conflict" in state, "why it was lost"

        await fill(pilot, form, start="2026-11-27 14:00")
        assert "free" in hint(form)[1]
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        assert any("Scheduled 'Act 1' in Rehearsal 1" in note for note in notes(app))
        assert f"{FLAGGED}" not in text_of(screen, "#sessions-where")
    assert company.session("Act 1").status == "cancelled"
    [again] = [
        s
        for s in rehearse.list_sessions(company.db)
        if s.title == "Act 1" and s.status == "scheduled"
    ]
    assert again.start.format("YYYY-MM-DD HH:mm") == "2026-11-27 14:00"
    assert again.room == "Rehearsal 1" and (again.end - again.start).total_seconds() == 7200


async def test_n_elsewhere_schedules_a_new_session_with_its_room(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot)
        await press(pilot, "j", "n")
        form = app.screen
        assert text_of(form, ".dialog-title") == "New rehearsal session"
        await fill(pilot, form, resource="Rehearsal 2", start="2026-11-26 10:00", title="Songs")
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        table = screen.query_one(DataTable)
        titles = [str(table.get_row_at(row)[3]) for row in range(table.row_count)]
        assert titles == ["Act 1", "Act 2", "Songs"]
    [songs] = [s for s in rehearse.list_sessions(company.db) if s.title == "Songs"]
    assert (songs.status, songs.reservation_status, songs.room) == (
        "scheduled",
        "confirmed",
        "Rehearsal 2",
    )


async def test_enter_shows_the_room_bookings_history(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        await open_sessions(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, DetailsScreen)
        assert app.screen.item.id == company.session("Act 1").reservation_id


async def test_a_blackout_elsewhere_flags_a_session_here_at_once(company):
    app = make_app(company.db, listen=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_sessions(pilot)
        with psycopg.connect(company.url, autocommit=True) as conn:
            conn.execute("SET spaces.actor = 'tester'")
            conn.execute(
                "SELECT spaces.add_blackout(id,"
                "       tstzrange('2026-11-26 09:00Z', '2026-11-26 13:00Z'), 'boiler',"
                "       'maintenance', true)"
                "  FROM spaces.resources WHERE name = 'Rehearsal 1'"
            )
        await wait_until(
            pilot,
            lambda: row_text(screen, company, "Act 2")[0] == FLAGGED,
            "the blackout from psql flags Act 2",
        )
        assert row_text(screen, company, "Act 2")[4] == "blackout: boiler"
        assert "⚐ 2 flagged" in text_of(screen, "#sessions-where")


async def test_help_lists_the_sessions_screen_and_its_keys(company):
    app = make_app(company.db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "question_mark")
        body = app.screen.query_one(HelpText)
        lines = layout(body.sections, body.size.width)
        at = next(i for i, line in enumerate(lines) if line[0].startswith("Rehearsal sessions"))
        section = lines[at + 1 : lines.index(("", "", ""), at)]
        shown = [key for keys, _, _ in section for key in keys.split()]
        for binding in bindings_of(SessionsScreen.BINDINGS):
            assert app.get_key_display(binding) in shown, binding.key
        assert any(
            keys.strip() == "S" and text.startswith("rehearsal sessions") for keys, _, text in lines
        )


# --- snapshots ---------------------------------------------------------------------------------


def test_snapshot_sessions(company, snap_compare):
    async def sessions(pilot):
        await open_sessions(pilot)

    assert snap_compare(make_app(company.db), terminal_size=SIZE, run_before=sessions)


def test_snapshot_timeline_with_a_flagged_session(company, snap_compare):
    async def timeline(pilot):
        await settle(pilot)

    assert snap_compare(make_app(company.db), terminal_size=SIZE, run_before=timeline)
