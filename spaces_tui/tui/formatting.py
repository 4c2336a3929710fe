"""Text that several screens put in a cell or a line: a period, compact; a value cut to a width."""

from __future__ import annotations

from datetime import datetime

from spaces_tui.tui.glyphs import GLYPHS as G


def when_text(start: datetime, end: datetime, this_year: int) -> str:
    """A period, compact, in the times' own zone: '26 Nov 08:00-14:00', or both days when it
    crosses midnight; the year only when it is not this one."""
    day = "%d %b" if start.year == this_year else "%d %b %Y"
    if start.date() == end.date():
        return f"{start.strftime(day)} {start:%H:%M}-{end:%H:%M}"
    return f"{start.strftime(day)} {start:%H:%M}-{end.strftime(day)} {end:%H:%M}"


def shortened(value: str, width: int) -> str:
    """value cut to width, with an ellipsis when it was longer."""
    return value if len(value) <= width else value[: width - 1] + G.ellipsis


LOADING = f"loading{G.ellipsis}"  # what a line says until its first answer
