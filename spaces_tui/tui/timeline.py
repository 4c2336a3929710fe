"""The cross-resource timeline: rows are resources, columns are time.

A line-API widget: it draws only the lines on screen, from the Grid, with a header of times and
a column of names that stay put while the rest scrolls. No widget per cell, so 200 resources
over a week cost what one screenful costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from spaces_tui.tui.grid import Grid, Span

NAME_WIDTH_MAX = 22
HEADER_HEIGHT = 1
LABEL_MIN = 4  # characters a run needs before it shows its title

# Each kind is told apart by its glyph and marker as well as its colour, so a monochrome
# terminal reads it too: a confirmed booking is solid (reverse video), a pending one shaded and
# marked "?", a blackout hatched, your own bookings marked "*", a rehearsal session's room "@".
FILL = {"confirmed": " ", "pending": "░", "blackout": "╱", "blocked": "┄"}
MARK = {"confirmed": "", "pending": "?", "blackout": "!", "blocked": ""}
STYLE = {
    "confirmed": Style(color="green", reverse=True),
    "pending": Style(color="yellow", italic=True),
    "blackout": Style(color="red"),
    "blocked": Style(dim=True),
}
MINE = Style(color="cyan", reverse=True, bold=True)
MINE_PENDING = Style(color="cyan", italic=True, bold=True)
FREE = Style(dim=True)
NOW = Style(color="magenta", bold=True)
HEADER = Style(bold=True)
CURSOR = Style(underline=True, bold=True)


@dataclass(frozen=True)
class Cell:
    row: int
    col: int


class Timeline(ScrollView, can_focus=True):
    """Shows a Grid; moves a cell cursor; says when a cell is opened."""

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
        self.name_width = 12

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
        width = self.scrollable_content_region.width
        names = self.name_width
        scroll_x, scroll_y = self.scroll_offset
        if self.grid is None:
            return Strip.blank(width, self.rich_style)
        if y < HEADER_HEIGHT:
            if self._header_cache is None:
                self._header_cache = self._header()
            left, cells = [Segment("Resource".ljust(names), HEADER)], self._header_cache
        else:
            row = y - HEADER_HEIGHT + scroll_y
            if row >= len(self.grid.rows):
                return Strip.blank(width, self.rich_style)
            left, cells = self._name_cells(row), self._time_cells(row)
        timeline = cells.crop(scroll_x, scroll_x + max(0, width - names))
        return Strip.join([Strip(left, names), timeline]).crop(0, width)

    def _name_cells(self, row: int) -> list[Segment]:
        resource = self.grid.rows[row]
        text = ("  " * resource.depth + resource.name)[: self.name_width - 1]
        style = Style(bold=resource.depth == 0 and resource.kind == "stage")
        if row == self.cursor.row:
            style += Style(underline=True)
        return [Segment(text.ljust(self.name_width - 1), style), Segment("│", FREE)]

    def _header(self) -> Strip:
        grid = self.grid
        width = grid.scale.cell_width
        text = [" "] * (grid.columns * width)
        for col in range(grid.columns):
            start = grid.column_start(col)
            if grid.scale.is_week:
                label = start.format("ddd D") if start.hour == 0 and start.minute == 0 else ""
            else:
                label = start.format("HH:mm") if start.minute == 0 else ""
            for offset, char in enumerate(label):
                if col * width + offset < len(text):
                    text[col * width + offset] = char
        strip = Strip([Segment("".join(text), HEADER)])
        now_col = grid.column_at(self.now) if self.now else None
        if now_col is None:
            return strip
        # Now: its column's label lit up, or a ▼ where the column has no label.
        at = now_col * width
        marker = strip.crop(at, at + width)
        if not marker.text.strip():
            marker = Strip([Segment("▼".ljust(width), NOW)])
        else:
            marker = Strip([Segment(marker.text, NOW + Style(reverse=True))])
        return Strip.join([strip.crop(0, at), marker, strip.crop(at + width)])

    def _time_cells(self, row: int) -> Strip:
        strip = self._rows_cache.get(row)
        if strip is None:
            strip = self._rows_cache[row] = Strip(Segment.simplify(self._draw_row(row)))
        if row != self.cursor.row:
            return strip
        # The cursor row is drawn fresh with the cursor cell underlined and bold.
        width = self.grid.scale.cell_width
        at = self.cursor.col * width
        cursor_cell = [
            Segment(segment.text, (segment.style or Style()) + CURSOR)
            for segment in strip.crop(at, at + width)
        ]
        return Strip.join([strip.crop(0, at), Strip(cursor_cell), strip.crop(at + width)])

    def _draw_row(self, row: int) -> list[Segment]:
        grid = self.grid
        width = grid.scale.cell_width
        now_col = grid.column_at(self.now) if self.now else None
        cells = grid.row_cells(row)
        segments: list[Segment] = []
        col = 0
        while col < grid.columns:
            span = cells[col]
            run = 1
            while col + run < grid.columns and cells[col + run] is span:
                run += 1
            if span is None:
                segments.extend(self._free(col, run, now_col))
            else:
                segments.append(self._occupied(span, run * width))
            col += run
        return segments

    def _free(self, col: int, run: int, now_col: int | None) -> list[Segment]:
        grid = self.grid
        width = grid.scale.cell_width
        out = []
        for offset in range(col, col + run):
            start = grid.column_start(offset)
            if offset == now_col:
                out.append(Segment("│".ljust(width), NOW))
            elif start.minute == 0 and (not grid.scale.is_week or start.hour == 0):
                out.append(Segment("·".ljust(width), FREE))
            else:
                out.append(Segment(" " * width, FREE))
        return out

    def _occupied(self, span: Span, width: int) -> Segment:
        mark = ("*" if span.mine else "") + ("@" if span.session else "") + MARK[span.kind]
        # A blocked cell's own row names what is there; a label cut to a letter or two is noise.
        label = "" if span.kind == "blocked" or width < LABEL_MIN else span.label
        text = (mark + label)[:width]
        text += FILL[span.kind] * (width - len(text))
        style = STYLE[span.kind]
        if span.mine and span.kind != "blocked":
            style = MINE if span.kind == "confirmed" else MINE_PENDING
        return Segment(text, style)
