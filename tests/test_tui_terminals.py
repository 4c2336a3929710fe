"""The calendar on terminals that are not a modern colour xterm: no colour at all (NO_COLOR, as
Textual applies it: a monochrome filter over every line drawn), a light theme, and small sizes.
Driven by Textual's Pilot against the demo venue, on a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from textual.filter import Monochrome
from textual.geometry import Region
from textual.widgets import Static
from tui_helpers import SIZE, home, make_app, press, settle, text_of

from spaces_tui.db.connection import Database
from spaces_tui.engine.demo import STAGE_MANAGER
from spaces_tui.tui import glyphs
from spaces_tui.tui.glyphs import ASCII, CONSOLE, UNICODE
from spaces_tui.tui.screens.help import HelpScreen
from spaces_tui.tui.screens.help import legend as help_legend
from spaces_tui.tui.timeline import HEADER_HEIGHT, Timeline


@pytest.fixture
def database_url(demo_url):
    """This module's tests start from the demo venue (overrides conftest's empty one)."""
    return demo_url


@pytest.fixture
def venue(db):
    return db


@pytest.mark.parametrize("size", [SIZE, (60, 20)])
async def test_no_color_draws_every_screen_through_the_monochrome_filter(
    venue, monkeypatch, no_bugs, size
):
    # Textual reads NO_COLOR when the app is made, and then passes every line it draws through
    # its Monochrome filter, which needs every segment to have a style.
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(venue)
    assert any(isinstance(f, Monochrome) for f in app.get_line_filters())
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await press(pilot, "right", "down", "w", "down", "d", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        assert home(app).timeline.grid.rows
    # A crash while drawing ends run_test with the exception, failing the test.


def drawn(timeline: Timeline) -> list[str]:
    """The timeline's lines as the screen shows them."""
    return [timeline.render_line(y).text for y in range(timeline.size.height)]


def cells_drawn(timeline: Timeline) -> set[str]:
    """Every character the time cells show (not the names, not the header's times)."""
    lines = drawn(timeline)[HEADER_HEIGHT:]
    return {char for line in lines for char in line[timeline.name_width :]}


def every_column(timeline: Timeline) -> set[str]:
    """What the cells of the whole window show, scrolled through from start to end."""
    seen: set[str] = set()
    grid = timeline.grid
    for col in range(0, grid.columns, 4):
        timeline.scroll_to(col * grid.scale.cell_width, 0, animate=False, immediate=True)
        seen |= cells_drawn(timeline)
    return seen


@pytest.mark.parametrize("g", [UNICODE, CONSOLE, ASCII], ids=lambda g: g.name)
async def test_the_legends_name_every_glyph_the_timeline_draws(venue, monkeypatch, no_bugs, g):
    monkeypatch.setattr(glyphs, "GLYPHS", g)
    app = make_app(venue)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        screen = home(app)
        shown = every_column(screen.timeline)
        await press(pilot, "w")
        shown |= every_column(screen.timeline)
        symbols = {char for char in shown if not char.isalnum() and char != " "}
        # Titles carry their own punctuation: what is left are the timeline's own glyphs.
        symbols -= set("'&-,.()/:") - set(g.pending + g.blackout + g.blocked + g.hour)
        legend = str(screen.query_one("#legend", Static).render())
        help_text = help_legend_text(g)
        assert symbols, "the demo day draws something"
        assert symbols <= set(help_text), symbols - set(help_text)
        line_symbols = {char for char in legend if not char.isalnum() and char not in " /"}
        assert line_symbols <= symbols | {g.blocked}, line_symbols - symbols
        if g is ASCII:
            assert all(line.isascii() for line in drawn(screen.timeline))
            assert legend.isascii()


async def test_the_week_views_now_marker_leaves_the_days_label_whole(venue, no_bugs):
    app = make_app(venue)  # the clock: Tuesday 24 November, 11:15
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "w")
        timeline = home(app).timeline
        timeline.scroll_to(0, 0, animate=False, immediate=True)
        header = timeline.render_line(0)
        assert "Mon 23  Tue 24  Wed 25" in header.text
        # Tuesday's label is lit up whole, as now's day; no marker cuts into it.
        lit = [segment.text for segment in header if segment.style and segment.style.reverse]
        assert lit == ["Tue 24"]
        assert UNICODE.now_marker not in header.text


@pytest.fixture
def stage_manager(database_url) -> Iterator[Database]:
    """The demo's stage manager: requests await them, so both counts share the line."""
    manager = Database(database_url, STAGE_MANAGER)
    yield manager
    manager.dispose()


async def test_the_line_above_the_timeline_keeps_the_count_on_80_columns(stage_manager, no_bugs):
    app = make_app(stage_manager)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = home(app)
        where = screen.query_one("#where", Static)
        shown = "".join(strip.text for strip in where.render_lines(Region(0, 0, *where.size)))
        for count in ("#awaiting", "#flagged"):
            assert screen.query_one(count, Static).display, f"{count} takes its room"
        assert "Tue 24 Nov 2026 · 22 resources" in shown
        await press(pilot, "w")
        shown = "".join(strip.text for strip in where.render_lines(Region(0, 0, *where.size)))
        assert "23 – 29 Nov 2026 · 22 resources ·" in shown
        # A week across two months, and across two years.
        screen.go_to(date(2026, 12, 2))
        await settle(pilot)
        assert "30 Nov – 6 Dec 2026 · 22 resources" in text_of(screen, "#where")
        screen.go_to(date(2026, 12, 30))
        await settle(pilot)
        assert "28 Dec 2026 – 3 Jan 2027 · 22 resources" in text_of(screen, "#where")


def test_snapshot_day_view_on_a_light_theme(venue, snap_compare):
    async def light(pilot):
        pilot.app.theme = "textual-light"
        await settle(pilot)

    assert snap_compare(make_app(venue), terminal_size=SIZE, run_before=light)


def help_legend_text(g) -> str:
    """The help's section on the cells, as text."""
    return "\n".join(f"{row.keys} {row.text}" for row in help_legend(g).rows)
