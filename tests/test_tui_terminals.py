"""The calendar on terminals that are not a modern colour xterm: no colour at all (NO_COLOR, as
Textual applies it: a monochrome filter over every line drawn), a light theme, and small sizes.
Driven by Textual's Pilot against the demo venue, on a fixed clock."""

from __future__ import annotations

import pytest
from textual.filter import Monochrome
from tui_helpers import SIZE, TODAY, ZONE, home, make_app, press, settle

from spaces_tui.db.connection import Database
from spaces_tui.engine.demo import load_demo
from spaces_tui.tui.screens.help import HelpScreen


@pytest.fixture(scope="module")
def demo_template(scratch, template_name):
    """The demo venue, loaded once into a template every test here clones."""
    with scratch("spaces_demo", template_name) as (name, url):
        loader = Database(url, "tester")
        load_demo(loader, today=TODAY, zone=ZONE)
        loader.dispose()
        yield name


@pytest.fixture
def database_url(scratch, demo_template):
    with scratch("spaces_test", demo_template) as (_name, url):
        yield url


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
