"""The cross-resource timeline: rows are resources, columns are time.

A line-API widget: it draws only the lines on screen, from the Grid, with a header of times and
a column of names that stay put while the rest scrolls. No widget per cell, so 200 resources
over a week cost what one screenful costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pendulum
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from spaces_tui.tui import glyphs
from spaces_tui.tui.glyphs import Glyphs
from spaces_tui.tui.grid import Grid, Span

NAME_WIDTH_MAX = 22
HEADER_HEIGHT = 1
LABEL_MIN = 4  # characters a run needs before it shows its title

# Each kind is told apart by its glyph and marker as well as its colour, so a monochrome
# terminal reads it too: a confirmed booking is a solid block, a pending one shaded and
# marked "?", a blackout hatched, your own bookings marked "*", a rehearsal session's room "@",
# a row of a booking group (booked with other resources as one) "+".
# The glyphs come from the set chosen at start (glyphs.py); the colours from the theme, through
# the component classes below (styled in spaces.tcss).
MARK = {"confirmed": "", "pending": "?", "blackout": "!", "blocked": ""}
MINE_MARK, SESSION_MARK, GROUP_MARK = "*", "@", "+"


def fill(kind: str, g: Glyphs) -> str:
    """What fills the rest of a cell of this kind after its marks and label."""
    fills = {"confirmed": " ", "pending": g.pending, "blackout": g.blackout, "blocked": g.blocked}
    return fills[kind]


def cell_text(span: Span, width: int, g: Glyphs) -> str:
    """The characters a run of width cells shows for span."""
    mark = (MINE_MARK if span.mine else "") + (SESSION_MARK if span.session else "")
    mark += (GROUP_MARK if span.grouped and span.kind != "blocked" else "") + MARK[span.kind]
    # A blocked cell's own row names what is there; a label cut to a letter or two is noise.
    label = "" if span.kind == "blocked" or width < LABEL_MIN else span.label
    text = (mark + label)[:width]
    return text + fill(span.kind, g) * (width - len(text))


def cell_class(span: Span) -> str:
    """The component class (its colour and text style) of a cell of span."""
    if span.mine and span.kind == "confirmed":
        return "timeline--mine"
    if span.mine and span.kind == "pending":
        return "timeline--mine-pending"
    return f"timeline--{span.kind}"


def legend_items(g: Glyphs) -> list[tuple[str, str, str, str]]:
    """What the timeline draws, as the home screen's legend and the help show it: (a sample
    drawn as a cell is, its component class, a word for the one-line legend, a longer line for
    the help). Built from the drawing's own pieces, so it cannot say what the cells do not."""
    return [
        ("Title", "timeline--confirmed", "booked", "confirmed (a solid block)"),
        (MARK["pending"] + "Title" + g.pending, "timeline--pending", "pending",
         "pending (waits for an approver)"),
        (MARK["blackout"] + "Why" + g.blackout, "timeline--blackout", "blackout",
         "blackout (maintenance, hold, break)"),
        (g.blocked * 2, "timeline--blocked", "stage/area in use",
         "the stage above it, or an area inside it, is in use"),
        (MINE_MARK, "timeline--mine", "yours", "your own booking"),
        (SESSION_MARK, "timeline--confirmed", "", "a rehearsal session's room (S lists them)"),
        (GROUP_MARK, "timeline--confirmed", "", "booked with other resources as one group"
         " (enter shows them)"),
        (g.now, "timeline--now", "now", f"now ({g.now_marker} in the times above)"),
        (g.hour, "timeline--free", "", "free (the dot marks each hour, in a week each day)"),
    ]  # fmt: skip


@dataclass(frozen=True)
class Cell:
    row: int
    col: int


class Timeline(ScrollView, can_focus=True):
    """Shows a Grid; moves a cell cursor; says when a cell is opened."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--confirmed",
        "timeline--pending",
        "timeline--blackout",
        "timeline--blocked",
        "timeline--mine",
        "timeline--mine-pending",
        "timeline--free",
        "timeline--now",
        "timeline--header",
        "timeline--cursor",
        "timeline--stage",
    }

    BINDINGS = [
        Binding("left,h", "move(0, -1)", "←", show=False),
        Binding("right,l", "move(0, 1)", "→", show=False),
        Binding("up,k", "move(-1, 0)", "↑", show=False),
        Binding("down,j", "move(1, 0)", "↓", show=False),
        Binding("pageup", "move(-10, 0)", show=False),
        Binding("pagedown", "move(10, 0)", show=False),
        Binding("home", "edge(-1)", show=False),
        Binding("end", "edge(1)", show=False),
        Binding("enter", "open", "Open", show=False),
    ]

    cursor: reactive[Cell] = reactive(Cell(0, 0), always_update=True)

    class Opened(Message):
        """The user asked to open the cell under the cursor (enter or double-click)."""

        def __init__(self, cell: Cell, span: Span | None) -> None:
            super().__init__()
            self.cell = cell
            self.span = span

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grid: Grid | None = None
        self.now: pendulum.DateTime | None = None
        self._rows_cache: dict[int, Strip] = {}
        self._header_cache: Strip | None = None
        self._styles: dict[str, Style] = {}
        self.name_width = 12

    # --- styles ---------------------------------------------------------------------------

    def style_of(self, component: str, partial: bool = False) -> Style:
        """A component class's style under the current theme (spaces.tcss styles them); partial:
        only what the class sets, to lay over another style."""
        key = f"{component}:{partial}"
        style = self._styles.get(key)
        if style is None:
            style = self.get_component_rich_style(component, partial=partial)
            self._styles[key] = style
        return style

    def notify_style_update(self) -> None:
        # A new theme (or stylesheet): every cached line was drawn in the old colours.
        super().notify_style_update()
        self._styles.clear()
        self._rows_cache.clear()
        self._header_cache = None

    def legend(self) -> Text:
        """The one-line legend under the timeline, in the timeline's own styles."""
        text = Text()
        for sample, component, word, _ in legend_items(glyphs.GLYPHS):
            if word:
                text.append(sample, self.style_of(component))
                text.append(f" {word} ")
        return text

    # --- data -----------------------------------------------------------------------------

    @staticmethod
    def _name_width(grid: Grid) -> int:
        widest = max((2 * r.depth + len(r.name) for r in grid.rows), default=0)
        return min(max(widest, 10), NAME_WIDTH_MAX) + 1

    def show(self, grid: Grid, now: pendulum.DateTime, cursor: Cell | None = None) -> None:
        """Draws grid; the cursor stays where it was unless told, kept inside the grid."""
        self.grid = grid
        self.now = now
        self.name_width = self._name_width(grid)
        self._rows_cache.clear()
        self._header_cache = None
        width = self.name_width + grid.columns * grid.scale.cell_width
        self.virtual_size = Size(width, len(grid.rows) + HEADER_HEIGHT)
        wanted = cursor or self.cursor
        self.cursor = self._clamped(wanted.row, wanted.col)
        self.refresh()

    def span_under_cursor(self) -> Span | None:
        return self.grid.span_at(self.cursor.row, self.cursor.col) if self.grid else None

    # --- cursor ---------------------------------------------------------------------------

    def _clamped(self, row: int, col: int) -> Cell:
        """The cell nearest (row, col) inside the grid."""
        if self.grid is None:
            return Cell(0, 0)
        rows, columns = len(self.grid.rows), self.grid.columns
        return Cell(max(0, min(row, rows - 1)), max(0, min(col, columns - 1)))

    def watch_cursor(self, cell: Cell) -> None:
        self.call_later(self._scroll_to_cell, cell)
        self.refresh()

    def on_resize(self) -> None:
        # The first layout may come after the first grid: scroll again with the real size.
        self.call_later(self._scroll_to_cell, self.cursor)

    def action_move(self, rows: int, cols: int) -> None:
        if self.grid is None or not self.grid.rows:
            return
        self.cursor = self._clamped(self.cursor.row + rows, self.cursor.col + cols)

    def action_edge(self, direction: int) -> None:
        if self.grid is not None:
            self.cursor = self._clamped(self.cursor.row, 0 if direction < 0 else self.grid.columns)

    def action_open(self) -> None:
        self.post_message(self.Opened(self.cursor, self.span_under_cursor()))

    def _scroll_to_cell(self, cell: Cell) -> None:
        if self.grid is None or cell != self.cursor:
            return
        width, height = self.scrollable_content_region.size
        visible_rows = max(1, height - HEADER_HEIGHT)
        visible_cols = max(1, width - self.name_width)
        cell_width = self.grid.scale.cell_width
        x, y = self.scroll_offset
        left = cell.col * cell_width
        if left < x:
            x = left
        elif left + cell_width > x + visible_cols:
            x = left + cell_width - visible_cols
        if cell.row < y:
            y = cell.row
        elif cell.row >= y + visible_rows:
            y = cell.row - visible_rows + 1
        # force: with no horizontal scrollbar drawn, Textual would refuse to scroll sideways.
        self.scroll_to(x, y, animate=False, immediate=True, force=True)

    def cell_at(self, x: int, y: int) -> Cell | None:
        """The cell at a point of the widget, or None on the header or the names."""
        if self.grid is None or y < HEADER_HEIGHT or x < self.name_width:
            return None
        scroll_x, scroll_y = self.scroll_offset
        row = y - HEADER_HEIGHT + scroll_y
        col = (x - self.name_width + scroll_x) // self.grid.scale.cell_width
        if row >= len(self.grid.rows) or col >= self.grid.columns:
            return None
        return Cell(row, col)

    def on_click(self, event: events.Click) -> None:
        cell = self.cell_at(event.x, event.y)
        if cell is None:
            return
        self.cursor = cell
        if event.chain >= 2:
            self.action_open()

    # --- drawing --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        # Every segment has a style: Textual's NO_COLOR filter fails on one without.
        width = self.scrollable_content_region.width
        names = self.name_width
        scroll_x, scroll_y = self.scroll_offset
        grid = self.grid
        if grid is None:
            return Strip.blank(width, self.rich_style)
        if y < HEADER_HEIGHT:
            if self._header_cache is None:
                self._header_cache = self._header(grid)
            left = [Segment("Resource".ljust(names), self.style_of("timeline--header"))]
            cells = self._header_cache
        else:
            row = y - HEADER_HEIGHT + scroll_y
            if row >= len(grid.rows):
                return Strip.blank(width, self.rich_style)
            left, cells = self._name_cells(grid, row), self._time_cells(grid, row)
        timeline = cells.crop(scroll_x, scroll_x + max(0, width - names))
        return Strip.join([Strip(left, names), timeline]).crop(0, width)

    def _name_cells(self, grid: Grid, row: int) -> list[Segment]:
        resource = grid.rows[row]
        text = ("  " * resource.depth + resource.name)[: self.name_width - 1]
        stage = resource.depth == 0 and resource.kind == "stage"
        style = self.style_of("timeline--stage") if stage else self.rich_style
        if row == self.cursor.row:
            style += Style(underline=True)
        separator = Segment(glyphs.GLYPHS.separator, self.style_of("timeline--free"))
        return [Segment(text.ljust(self.name_width - 1), style), separator]

    def _header(self, grid: Grid) -> Strip:
        width = grid.scale.cell_width
        text = [" "] * (grid.columns * width)
        labels: list[tuple[int, int]] = []  # where each label starts and ends
        for col in range(grid.columns):
            start = grid.column_start(col)
            if grid.scale.is_week:
                label = start.format("ddd D") if start.hour == 0 and start.minute == 0 else ""
            else:
                label = start.format("HH:mm") if start.minute == 0 else ""
            at = col * width
            label = label[: len(text) - at]
            text[at : at + len(label)] = label
            if label:
                labels.append((at, at + len(label)))
        header = self.style_of("timeline--header")
        strip = Strip([Segment("".join(text), header)])
        now_col = grid.column_at(self.now) if self.now else None
        if now_col is None:
            return strip
        # Now: the label its column falls in lit up whole (a week's "Tue 24", a day's "11:00"),
        # or the now marker where the column has no label; never a label cut by the marker.
        at = now_col * width
        now = self.style_of("timeline--now")
        for begin, end in labels:
            if begin <= at < end:
                lit = Strip([Segment("".join(text[begin:end]), now + Style(reverse=True))])
                return Strip.join([strip.crop(0, begin), lit, strip.crop(end)])
        marker = Strip([Segment(glyphs.GLYPHS.now_marker.ljust(width), now)])
        return Strip.join([strip.crop(0, at), marker, strip.crop(at + width)])

    def _time_cells(self, grid: Grid, row: int) -> Strip:
        strip = self._rows_cache.get(row)
        if strip is None:
            strip = self._rows_cache[row] = Strip(Segment.simplify(self._draw_row(grid, row)))
        if row != self.cursor.row:
            return strip
        # The cursor row is drawn fresh with the cursor cell underlined and bold.
        width = grid.scale.cell_width
        at = self.cursor.col * width
        cursor = self.style_of("timeline--cursor", partial=True)
        cursor_cell = [
            Segment(segment.text, (segment.style or self.rich_style) + cursor)
            for segment in strip.crop(at, at + width)
        ]
        return Strip.join([strip.crop(0, at), Strip(cursor_cell), strip.crop(at + width)])

    def _draw_row(self, grid: Grid, row: int) -> list[Segment]:
        width = grid.scale.cell_width
        now_col = grid.column_at(self.now) if self.now else None
        cells = grid.row_cells(row)
        g = glyphs.GLYPHS
        segments: list[Segment] = []
        col = 0
        while col < grid.columns:
            span = cells[col]
            run = 1
            while col + run < grid.columns and cells[col + run] is span:
                run += 1
            if span is None:
                segments.extend(self._free(grid, col, run, now_col, g))
            else:
                segments.append(Segment(cell_text(span, run * width, g), self._style(span)))
            col += run
        return segments

    def _style(self, span: Span) -> Style:
        return self.style_of(cell_class(span))

    def _free(
        self, grid: Grid, col: int, run: int, now_col: int | None, g: Glyphs
    ) -> list[Segment]:
        width = grid.scale.cell_width
        free, now = self.style_of("timeline--free"), self.style_of("timeline--now")
        out = []
        for offset in range(col, col + run):
            start = grid.column_start(offset)
            if offset == now_col:
                out.append(Segment(g.now.ljust(width), now))
            elif start.minute == 0 and (not grid.scale.is_week or start.hour == 0):
                out.append(Segment(g.hour.ljust(width), free))
            else:
                out.append(Segment(" " * width, free))
        return out
