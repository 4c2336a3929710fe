"""Every symbol the app draws, in one place, in three sets; one is chosen at start.

- UNICODE: for a UTF-8 terminal emulator (xterm, GNOME Terminal, iTerm, tmux, Windows Terminal).
- CONSOLE: the Linux virtual console (TERM=linux). Its built-in font has 256 glyphs and the
  kernel's default Unicode map (drivers/tty/vt/cp437.uni) gives it the IBM code page 437 set:
  light box lines (│ ├ └), shades (░), · • ○ ▼ ► √ » ≡ and the arrows are there; ● ✓ ✗ ✕ ⚐ ⚑
  ⚠ ▸ ▾ ┄ ⭘ …, the diagonal U+2571 and the en dash U+2013 are not, and would be drawn as a box.
  So this set is UNICODE with those replaced by what the font holds.
- ASCII: where the terminal cannot be trusted with anything but ASCII: a locale whose encoding
  is not UTF-8, such as en_US.ISO-8859-1 (the bytes of a UTF-8 glyph would show as two or
  three wrong characters), TERM=vt100/vt102/vt220 (a real DEC terminal has no Unicode) and
  TERM=dumb.

SPACES_ASCII=1 forces ASCII, SPACES_ASCII=0 forces UNICODE (say, a console with a full font
loaded by setfont). Colour never carries meaning alone: every kind of cell has its own glyph or
marker, so NO_COLOR and a monochrome terminal read the same.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Glyphs:
    name: str
    # The timeline (timeline.py): what fills a cell of each kind, the line between the names and
    # the times, the now line in the rows and its marker in the header, a free hour's dot.
    pending: str
    blackout: str
    blocked: str
    separator: str
    now: str
    now_marker: str
    hour: str
    # Text: the header's icon, the event bus's state, a range's dash, a list's separator.
    icon: str
    live: str
    offline: str
    dash: str
    dot: str
    ellipsis: str  # the end of a shortened text, and of "loading"
    # Marks on rows and in hints.
    free: str  # the booking form: the slot is free
    taken: str  # ...it is not (also a blackout screen's "in the way")
    obstacle: str  # one thing in the way
    flagged: str  # a rehearsal session whose room Spaces cancelled
    awaiting: str  # requests waiting for you
    cancelled: str
    stalled: str  # a request waiting longer than its resource allows
    risk: str  # the booking form: worth a look, though it books
    suggest: str  # ...what to take instead when the slot is taken
    marked: str  # a request marked in the queue
    closed: str  # a series' row, closed and open
    open: str
    branch: str  # an occurrence under its open series, and the last one
    last_branch: str
    times: str  # before a series' count of occurrences
    arrows: str  # the help's keys, as wide as each other in every set
    updown: str
    # The reports (tui/usage.py): a bar's cells from empty to full (a cell's share of its
    # width, as finely as the set can draw it) and the empty rest of the bar; over and under
    # marks; a heat map's shades from nothing booked to fully booked, and its closed hours.
    bar_ramp: str
    bar_track: str
    over: str
    under: str
    heat_ramp: str
    heat_closed: str


UNICODE = Glyphs(
    name="unicode",
    pending="░",
    blackout="╱",
    blocked="┄",
    separator="│",
    now="│",
    now_marker="▼",
    hour="·",
    icon="⭘",
    live="●",
    offline="○",
    dash="–",
    dot="·",
    ellipsis="…",
    free="✓",
    taken="✗",
    obstacle="×",
    flagged="⚐",
    awaiting="⚑",
    cancelled="✕",
    stalled="⚠",
    risk="⚠",
    suggest="→",
    marked="●",
    closed="▸",
    open="▾",
    branch="├",
    last_branch="└",
    times="×",
    arrows="←↓↑→",
    updown="↑↓",
    bar_ramp=" ▏▎▍▌▋▊▉█",
    bar_track="·",
    over="▲",
    under="▼",
    heat_ramp=" ░▒▓█",
    heat_closed="─",
)

CONSOLE = replace(
    UNICODE,
    name="console",
    blackout="/",
    blocked="-",
    icon="≡",
    live="•",
    dash="-",
    ellipsis="~",
    free="√",
    taken="x",
    obstacle="x",
    flagged="!",
    awaiting="»",
    cancelled="x",
    stalled="!",
    risk="!",
    marked="•",
    closed="►",
    open="▼",
    times="x",
    bar_ramp=" ▌█",  # code page 437 has the half block, not the eighths
)

ASCII = Glyphs(
    name="ascii",
    pending=":",
    blackout="/",
    blocked="-",
    separator="|",
    now="|",
    now_marker="v",
    hour=".",
    icon="=",
    live="*",
    offline="o",
    dash="-",
    dot="|",
    ellipsis="~",
    free="+",
    taken="x",
    obstacle="x",
    flagged="!",
    awaiting=">",
    cancelled="x",
    stalled="!",
    risk="!",
    suggest=">",
    marked="*",
    closed=">",
    open="v",
    branch="|",
    last_branch="`",
    times="x",
    arrows="<v^>",
    updown="^v",
    bar_ramp=" =#",
    bar_track=".",
    over="^",
    under="v",
    heat_ramp=" .:*#",
    heat_closed="-",
)

SETS = {glyphs.name: glyphs for glyphs in (UNICODE, CONSOLE, ASCII)}

ASCII_TERMS = {"dumb", "vt52", "vt100", "vt102", "vt220"}


def _encoding_is_utf8(env: Mapping[str, str], stdout_encoding: str | None) -> bool:
    # The first of LC_ALL, LC_CTYPE, LANG that is set decides, as setlocale(3) does. The C
    # locale (also what no variable at all means) says nothing about the terminal: it is what
    # a container or a bare SSH session has in front of a UTF-8 emulator, and Python reads it as
    # UTF-8 (PEP 538/540); there sys.stdout's encoding decides.
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = env.get(name)
        if value:
            if value in ("C", "POSIX"):
                break
            codeset = value.partition(".")[2].partition("@")[0]
            return codeset.replace("-", "").lower() == "utf8"
    return (stdout_encoding or "").replace("-", "").lower() == "utf8"


def choose(env: Mapping[str, str], stdout_encoding: str | None = None) -> Glyphs:
    """The set for a terminal described by env (the environment) and stdout's encoding."""
    forced = env.get("SPACES_ASCII", "").strip()
    if forced == "1":
        return ASCII
    if forced == "0":
        return UNICODE
    term = env.get("TERM", "")
    if term in ASCII_TERMS or not _encoding_is_utf8(env, stdout_encoding):
        return ASCII
    if term == "linux":
        return CONSOLE
    return UNICODE


GLYPHS = choose(os.environ, getattr(sys.stdout, "encoding", None))
"""The set this run draws with, chosen when the app starts (this module is imported then)."""
