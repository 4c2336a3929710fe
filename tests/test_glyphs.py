"""The glyph sets and which one a terminal gets, without a screen."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta

import pytest

from spaces_tui.tui.glyphs import ASCII, CONSOLE, UNICODE, Glyphs, choose
from spaces_tui.tui.grid import Span
from spaces_tui.tui.screens.help import legend as help_legend
from spaces_tui.tui.timeline import MARK, cell_text, legend_items

# What the Linux console's built-in font shows (the kernel's default Unicode map,
# drivers/tty/vt/cp437.uni): code page 437, whose first 32 positions are these dingbats.
CP437_DINGBATS = set("☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼⌂▶◀◆¤")


def on_the_console(char: str) -> bool:
    if char in CP437_DINGBATS:
        return True
    try:
        char.encode("cp437")
    except UnicodeEncodeError:
        return False
    return True


def glyphs_of(g: Glyphs) -> dict[str, str]:
    return {f.name: getattr(g, f.name) for f in fields(g) if f.name != "name"}


@pytest.mark.parametrize(
    ("env", "encoding", "chosen"),
    [
        ({"TERM": "xterm-256color", "LANG": "en_GB.UTF-8"}, "utf-8", UNICODE),
        ({"TERM": "tmux-256color", "LC_ALL": "C.UTF-8"}, "utf-8", UNICODE),
        ({"TERM": "xterm", "LANG": "en_US.utf8"}, "utf-8", UNICODE),
        ({"TERM": "linux", "LANG": "en_GB.UTF-8"}, "utf-8", CONSOLE),
        ({"TERM": "vt100", "LANG": "en_GB.UTF-8"}, "utf-8", ASCII),
        ({"TERM": "vt220"}, "utf-8", ASCII),
        ({"TERM": "dumb"}, "utf-8", ASCII),
        # The locale's encoding: the first of LC_ALL, LC_CTYPE, LANG that is set.
        ({"TERM": "xterm", "LANG": "en_US.ISO-8859-1"}, "iso8859-1", ASCII),
        ({"TERM": "xterm", "LANG": "de_DE@euro"}, "utf-8", ASCII),
        ({"TERM": "xterm", "LANG": "en_US.UTF-8", "LC_ALL": "en_US.ISO-8859-15"}, "utf-8", ASCII),
        (
            {"TERM": "xterm", "LANG": "en_US.ISO-8859-1", "LC_CTYPE": "en_US.UTF-8"},
            "utf-8",
            UNICODE,
        ),
        # C says nothing of the terminal (a container, a bare SSH session): stdout decides.
        ({"TERM": "xterm", "LANG": "C"}, "utf-8", UNICODE),
        ({"TERM": "xterm"}, "utf-8", UNICODE),
        ({"TERM": "xterm"}, "ascii", ASCII),
        # Forced, either way.
        ({"TERM": "xterm-256color", "LANG": "en_GB.UTF-8", "SPACES_ASCII": "1"}, "utf-8", ASCII),
        ({"TERM": "linux", "SPACES_ASCII": "0"}, "utf-8", UNICODE),
        ({"TERM": "dumb", "LANG": "en_US.ISO-8859-1", "SPACES_ASCII": "0"}, "ascii", UNICODE),
    ],
)
def test_the_set_follows_the_terminal_and_the_locale(env, encoding, chosen):
    assert choose(env, encoding) is chosen


def test_ascii_is_ascii_and_the_console_set_is_in_the_consoles_font():
    for name, glyph in glyphs_of(ASCII).items():
        assert glyph.isascii(), name
    for name, glyph in glyphs_of(CONSOLE).items():
        assert all(on_the_console(char) for char in glyph), (name, glyph)
    # The console set keeps what the font has: it is not ASCII for nothing.
    assert CONSOLE.separator == "│" and CONSOLE.pending == "░" and CONSOLE.now_marker == "▼"


@pytest.mark.parametrize("g", [UNICODE, CONSOLE, ASCII], ids=lambda g: g.name)
def test_every_kind_of_cell_has_its_own_glyphs_in_every_set(g):
    # Colour may be gone (NO_COLOR): the fills and marks must still tell the kinds apart.
    fills = [g.pending, g.blackout, g.blocked, g.hour, g.now]
    assert len(set(fills)) == len(fills), fills
    assert " " not in fills
    assert g.free != g.taken and g.closed != g.open and g.live != g.offline
    assert len(g.arrows) == len(UNICODE.arrows) and len(g.updown) == len(UNICODE.updown)


def span(kind: str, label: str, *, mine: bool = False, session: bool = False) -> Span:
    now = datetime(2026, 11, 24, 10)
    return Span(kind, mine, now, now + timedelta(hours=1), label, None, session)  # type: ignore[arg-type]


@pytest.mark.parametrize("g", [UNICODE, CONSOLE, ASCII], ids=lambda g: g.name)
def test_the_legend_shows_cells_as_the_timeline_draws_them(g):
    samples: dict[str, str] = {}
    for sample, component, _, _ in legend_items(g):
        samples.setdefault(component, sample)
    assert samples["timeline--confirmed"] == cell_text(span("confirmed", "Title"), 5, g)
    assert samples["timeline--pending"] == cell_text(span("pending", "Title"), 7, g)
    assert samples["timeline--blackout"] == cell_text(span("blackout", "Why"), 5, g)
    assert samples["timeline--blocked"] == cell_text(span("blocked", "Load"), 2, g)
    assert cell_text(span("confirmed", "Mine", mine=True), 5, g).startswith(
        samples["timeline--mine"]
    )
    help_text = help_legend_text(g)
    drawn = {g.pending, g.blackout, g.blocked, g.now, g.hour, g.now_marker, *MARK.values()}
    drawn |= {"*", "@"}
    for glyph in drawn - {""}:
        assert glyph in help_text, glyph


def help_legend_text(g) -> str:
    """The help's section on the cells, as text."""
    return "\n".join(f"{row.keys} {row.text}" for row in help_legend(g).rows)
