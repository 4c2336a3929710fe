"""The help is generated from the screens' bindings and laid out for 80 columns: every binding
with a description is listed under its screen with its key as Textual shows it, the notes no
binding can give (the booking form's repeat row, the legend of the cells) are there, and no
line is left holding one word. The README's keys are keys the app binds."""

from __future__ import annotations

import re
from pathlib import Path

from rich.cells import cell_len
from textual.keys import key_to_character
from tui_helpers import SIZE, make_app, press, settle

from spaces_tui.db.connection import Database
from spaces_tui.engine.recurrence import REPEATS
from spaces_tui.tui.app import SpacesApp
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.screens.blackouts import BlackoutForm
from spaces_tui.tui.screens.booking import BookingForm
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.help import (
    HelpScreen,
    HelpText,
    Section,
    layout,
    legend,
    own_bindings,
    sections,
)
from spaces_tui.tui.screens.home import TimelineScreen
from spaces_tui.tui.timeline import Timeline

README = Path(__file__).resolve().parent.parent / "README.md"


async def open_help(pilot) -> HelpText:
    await settle(pilot)
    await press(pilot, "question_mark")
    assert isinstance(pilot.app.screen, HelpScreen)
    return pilot.app.screen.query_one(HelpText)


def keys_of(section: Section, width: int) -> list[str]:
    """Every key shown in a section's keys column."""
    keys: list[str] = []
    for column, _style, _text in layout([section], width)[1:]:
        keys.extend(column.split())
    return keys


async def test_every_binding_with_a_description_is_in_the_help_under_its_screen(db: Database):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_help(pilot)
        width = body.size.width
        checked = 0
        for section in body.sections:
            shown = keys_of(section, width)
            for cls in section.sources:
                for binding in bindings_of(own_bindings(cls)):
                    if binding.description:
                        key = app.get_key_display(binding)
                        assert key in shown, f"{cls.__name__}: {binding.key} not in {section.title}"
                        checked += 1
        assert checked > 50
        titles = [section.title for section in body.sections]
        for wanted in ("Timeline", "Booking form", "Details", "Approval queue", "Blackout form"):
            assert any(title.startswith(wanted) for title in titles), wanted
        assert any(t.startswith("Resources") for t in titles)
        assert any(t.startswith("Rehearsal sessions") for t in titles)


async def test_the_booking_forms_keys_come_from_its_bindings_and_the_repeat_row_is_explained(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_help(pilot)
        form = next(s for s in body.sections if s.title.startswith("Booking form"))
        shown = keys_of(form, body.size.width)
        for binding in bindings_of(BookingForm.BINDINGS):
            assert app.get_key_display(binding) in shown, binding.key
        rows = {row.keys: row.text for row in form.rows}
        assert rows["Repeat"] == "none, daily, weekdays, weekly or custom"
        assert all(repeat in rows["Repeat"] for repeat in REPEATS)
        assert "TU,TH" in rows["Days or RRULE"] and "RRULE" in rows["Days or RRULE"]
        assert "2026-12-31" in rows["Until"]


async def test_at_80_columns_no_line_of_the_help_is_a_lone_word_and_none_is_wrapped(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        body = await open_help(pilot)
        width = body.size.width
        assert width >= 70, "the help has most of an 80-column terminal"
        lines = body.lines(width)
        assert len(lines) > 60
        lone = [line for line in lines if len(line.split()) == 1]
        assert lone == []
        assert all(cell_len(line) <= width for line in lines), "Textual would wrap it again"
        # As drawn: the widget is as tall as its lines, so nothing was wrapped past them.
        assert body.size.height == len(lines)


def test_at_other_widths_too_no_word_is_left_alone():
    app = SpacesApp.__new__(SpacesApp)  # get_key_display needs no running app
    for width in (50, 60, 64, 70, 76, 100):
        for keys, _style, text in layout(sections(app), width):
            line = (keys + text).strip()
            assert len(line.split()) != 1, (width, line)


def test_the_legend_names_every_kind_of_cell_including_the_blocked_one():
    legend_keys = [row.keys for row in legend().rows]
    for glyph in ("░", "╱", "┄", "*", "@", "│", "·"):
        assert any(glyph in keys for keys in legend_keys), glyph


# --- the README -------------------------------------------------------------------------------


def readme_bullet(name: str) -> str:
    """A bullet of the README's "The calendar" section: from "- **name**" to the next bullet."""
    calendar = README.read_text().split("## The calendar", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"^- \*\*{name}\*\*(.*?)(?=^- |\Z)", calendar, re.DOTALL | re.MULTILINE)
    assert match, f"no {name} bullet"
    return match.group(1)


def code_spans(text: str) -> list[str]:
    return [key for span in re.findall(r"`([^`]+)`", text) for key in span.split()]


def bound_keys(*classes: type) -> set[str]:
    """Every key the classes bind, as BINDINGS name it, as the footer shows it, and as the
    character it types ("[" for left_square_bracket)."""
    app = SpacesApp.__new__(SpacesApp)
    keys: set[str] = {SpacesApp.COMMAND_PALETTE_BINDING}
    for cls in classes:
        for binding in bindings_of(own_bindings(cls)):
            keys |= {binding.key, app.get_key_display(binding)}
            if (character := key_to_character(binding.key)) is not None:
                keys.add(character)
    return keys


def test_every_key_in_the_readmes_keys_bullet_is_bound():
    keys = code_spans(readme_bullet("Keys"))
    assert len(keys) > 20
    bound = bound_keys(Timeline, TimelineScreen, SpacesApp)
    assert [key for key in keys if key not in bound] == []


def test_the_readmes_keys_bullet_names_every_key_of_the_timeline():
    """The other way round: no key of the timeline (and the app) is missing from the README."""
    keys = set(code_spans(readme_bullet("Keys")))
    app = SpacesApp.__new__(SpacesApp)
    for cls in (Timeline, TimelineScreen, SpacesApp):
        for binding in bindings_of(own_bindings(cls)):
            names = {binding.key, app.get_key_display(binding), key_to_character(binding.key)}
            assert names & keys, f"{cls.__name__}'s {binding.key} is not in the README's Keys"


def test_the_readmes_details_keys_are_the_details_screens():
    keys = code_spans(readme_bullet("Details"))
    assert keys
    bound = bound_keys(DetailsScreen)
    assert [key for key in keys if key not in bound] == []


def test_the_readme_names_every_key_of_the_forms():
    """The forms' keys (ctrl+s books, ctrl+o books a repeat's free ones, ...) as the README
    tells them: a renamed key must be renamed there too."""
    text = README.read_text()
    for form in (BookingForm, BlackoutForm):
        for binding in bindings_of(own_bindings(form)):
            assert f"`{binding.key}`" in text, f"{form.__name__}'s {binding.key}"


def test_snapshot_help_at_its_end_with_the_legend(db, snap_compare):
    async def at_the_end(pilot):
        await settle(pilot)
        await press(pilot, "question_mark", "end")

    assert snap_compare(make_app(db), terminal_size=SIZE, run_before=at_the_end)
