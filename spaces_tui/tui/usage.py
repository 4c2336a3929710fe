"""How the reports draw usage (the reports screen and its heat map): a share as a bar and a
percentage, a heat map's cell as a shade, hours as a figure, and the window of days a report
covers, moved by its own length. Glyphs carry the meaning, so a monochrome terminal reads it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.glyphs import Glyphs

NO_FIGURE = "-"  # nothing bookable (no share), or no hours of a kind


@dataclass(frozen=True)
class Days:
    """The days a report covers, both ends included."""

    start: date
    end: date

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def shifted(self, steps: int) -> Days:
        """The window steps of its own lengths later (earlier when steps is negative)."""
        by = timedelta(days=self.length * steps)
        return Days(self.start + by, self.end + by)

    def text(self, g: Glyphs = G) -> str:
        """'4 Nov - 1 Dec 2026, 28 days' (the set's dash); both years when it crosses one."""
        days = f"{self.length} day{'' if self.length == 1 else 's'}"
        end = f"{self.end.day} {self.end:%b %Y}"
        if self.start == self.end:
            return f"{end}, {days}"
        start = f"{self.start.day} {self.start:%b}"
        if self.start.year != self.end.year:
            start += f" {self.start:%Y}"
        return f"{start} {g.dash} {end}, {days}"


def hours_text(length: timedelta) -> str:
    """'392h', '2.5h', '0h'."""
    hours = length.total_seconds() / 3600
    return f"{hours:.0f}h" if hours == int(hours) else f"{hours:.1f}h"


def hours_cell(length: timedelta) -> str:
    """Hours in a table's narrow column: whole hours from 10 up ('28h' for 27.5), tenths below;
    a dash for none, so the figures that matter stand out (the line under the table is exact)."""
    if not length:
        return NO_FIGURE
    hours = length.total_seconds() / 3600
    return f"{hours:.0f}h" if hours >= 10 else hours_text(length)


def percent_text(share: float | None) -> str:
    return NO_FIGURE if share is None else f"{share * 100:.0f}%"


def bar_text(share: float | None, width: int, g: Glyphs = G) -> str:
    """share (0..1) as a bar of width cells: full cells, one partly full as finely as the set
    draws it, then the track. Blank when nothing was bookable (there is nothing to measure)."""
    if share is None:
        return " " * width
    steps = len(g.bar_ramp) - 1
    # Clamped: a bar never runs past its column, whatever the figures.
    filled = round(min(max(share, 0.0), 1.0) * width * steps)
    full, part = divmod(filled, steps)
    bar = g.bar_ramp[-1] * full + (g.bar_ramp[part] if part else "")
    return bar + g.bar_track * (width - len(bar))


def flag_text(flag: str | None, g: Glyphs = G) -> str:
    """'▲ over', '▼ under': the glyph says it without colour, the word without the legend."""
    marks = {"over": g.over, "under": g.under}
    return f"{marks[flag]} {flag}" if flag in marks else ""


def heat_level(share: float | None, g: Glyphs = G) -> int | None:
    """Which shade of the ramp a cell takes: 0 when nothing was booked, and any booking at all
    at least the first shade (a booked hour never looks empty); None when it was closed."""
    if share is None:
        return None
    return math.ceil(min(max(share, 0.0), 1.0) * (len(g.heat_ramp) - 1))


def heat_cell(share: float | None, width: int, g: Glyphs = G) -> str:
    level = heat_level(share, g)
    return (g.heat_closed if level is None else g.heat_ramp[level]) * width


def heat_legend(g: Glyphs = G) -> list[tuple[str, str]]:
    """(sample, words) for each kind of heat-map cell, from the glyphs the cells are drawn with
    (the blank of an hour never booked has no sample to show: it is said in words)."""
    shades = len(g.heat_ramp) - 1
    items = [
        (g.heat_ramp[level] * 2, f"to {level * 100 // shades}%") for level in range(1, shades + 1)
    ]
    return [*items, (g.heat_closed * 2, "closed"), ("blank", "open, none booked")]
