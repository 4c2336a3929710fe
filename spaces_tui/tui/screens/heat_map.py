"""One resource's week, hour by hour, over the reports' window of days: a shade per weekday and
hour for how much of its bookable time there was booked (confirmed), so the hours it is used and
the hours it sits empty show at a glance; closed hours are drawn apart. A cursor reads a cell's
figure; [ ] move the window, and the reports list follows when this closes."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from spaces_tui.engine import utilization
from spaces_tui.tui.formatting import LOADING
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.usage import Days, heat_cell, heat_legend, percent_text

Cells = dict[tuple[int, int], float | None]  # (ISO weekday 1..7, hour 0..23) -> share; None: closed
Place = tuple[int, int]  # a cell: (ISO weekday, hour)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = range(24)
LABEL_WIDTH = 4  # "Mon "
WIDE, NARROW = 3, 2  # a cell's columns: two of shade and a gap, or (below 76 columns) two


def cell_width(width: int) -> int:
    """Three columns an hour where 24 of them fit beside the weekdays, else two."""
    return WIDE if width >= LABEL_WIDTH + WIDE * len(HOURS) else NARROW


def hours_line(width: int) -> str:
    """The hours above the cells; at two columns an hour, every other hour is labelled."""
    columns = cell_width(width)
    labels = (
        f"{hour:02d}".ljust(columns) if columns == WIDE or hour % 2 == 0 else " " * columns
        for hour in HOURS
    )
    return " " * LABEL_WIDTH + "".join(labels)


def busiest(cells: Cells) -> Place | None:
    """The open cell booked the most (the earliest in the week of equal ones), if any is open."""
    open_places = [place for place, share in cells.items() if share is not None]
    if not open_places:
        return None
    return min(open_places, key=lambda place: (-(cells[place] or 0.0), place))


def place_text(place: Place) -> str:
    day, hour = place
    return f"{WEEKDAYS[day - 1]} {hour:02d}:00{G.dash}{(hour + 1) % 24:02d}:00"


def cell_text(cells: Cells, place: Place) -> str:
    """What the cell under the cursor says in words."""
    share = cells.get(place)
    if share is None:
        return f"{place_text(place)}: closed (not bookable)"
    if share == 0:
        return f"{place_text(place)}: open, none of it booked"
    return f"{place_text(place)}: {percent_text(share)} of its bookable time booked"


def summary_text(cells: Cells) -> str:
    """When it is used most, and how many of its open hours sat empty all the while."""
    top = busiest(cells)
    if top is None:
        return "Closed every hour of the week: nothing was bookable."
    shares = [share for share in cells.values() if share is not None]
    empty = sum(1 for share in shares if share == 0)
    used = f"busiest {place_text(top)} ({percent_text(cells[top])})"
    return f"{used[0].upper()}{used[1:]} {G.dot} {empty} of {len(shares)} open hours never booked"


def legend_text() -> Text:
    """The shades on one line; closed hours and the blank of an empty one on the next."""
    *shades, closed, blank = heat_legend()
    text = Text()
    for sample, words in shades:
        text.append(sample, style="bold")
        text.append(f" {words}  ")
    text.append("\n")
    text.append(closed[0], style="bold")
    text.append(f" {closed[1]}  {blank[0]}: {blank[1]}")
    return text


class HeatMap(Widget):
    """Seven weekdays by 24 hours, a shade per cell, with a cell cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "heat-map--header",
        "heat-map--open",
        "heat-map--closed",
        "heat-map--cursor",
    }

    cells: reactive[Cells | None] = reactive(None, always_update=True)  # None: not loaded yet
    cursor: reactive[Place] = reactive((1, 9))

    def render(self) -> Text:
        # Two columns of shade an hour and, where there is room, a gap: the hours stay apart.
        gap = " " * (cell_width(self.size.width) - NARROW)
        header = self.get_component_rich_style("heat-map--header")
        text = Text(hours_line(self.size.width).rstrip(), style=header)
        if self.cells is None:
            return text.append(f"\n{LOADING}")  # not a week of closed hours meanwhile
        for day, name in enumerate(WEEKDAYS, start=1):
            text.append("\n")
            text.append(name.ljust(LABEL_WIDTH), style=header)
            for hour in HOURS:
                share = self.cells.get((day, hour))
                text.append(heat_cell(share, NARROW), style=self._style((day, hour), share))
                text.append(gap)
        return text

    def _style(self, place: Place, share: float | None) -> Style:
        style = self.get_component_rich_style(
            "heat-map--closed" if share is None else "heat-map--open"
        )
        if place == self.cursor:
            style += self.get_component_rich_style("heat-map--cursor")
        return style

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return 1 + len(WEEKDAYS)


class HeatMapScreen(ReloadsOnEvents, SpacesScreen["Days | None"]):
    """Opened from the reports on a resource; closes with the window it shows, so the list
    follows a move made here. Any change anywhere reloads it."""

    TITLE = "Heat map"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("left,h", "move(0, -1)", "Hour", show=False),
        Binding("right,l", "move(0, 1)", "Hour", show=False),
        Binding("up,k", "move(-1, 0)", "Day", show=False),
        Binding("down,j", "move(1, 0)", "Day", show=False),
        Binding("left_square_bracket,comma", "shift(-1)", "Prev"),
        Binding("right_square_bracket,full_stop", "shift(1)", "Next"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self, resource_id: int, name: str, window: Days) -> None:
        super().__init__()
        self.resource_id = resource_id
        self.resource_name = name
        self.window = window
        self._placed = False  # the cursor goes to the busiest hour once, on the first load

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        yield Static(self._where(), id="heat-where")
        yield HeatMap(id="heat-map")
        yield Static(legend_text(), id="heat-legend")
        yield Static(LOADING, id="heat-detail")
        yield Footer(compact=True)

    @property
    def heat_map(self) -> HeatMap:
        return self.query_one(HeatMap)

    def on_mount(self) -> None:
        self.load()

    def _where(self) -> Text:
        # Text, not markup: a resource's name is typed by people and may hold brackets.
        return Text.assemble((self.resource_name, "bold"), f" {G.dot} {self.window.text()}")

    # --- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        db, resource, window = self.app.db, self.resource_id, self.window
        self.db_call(
            lambda: utilization.heat_map(db, resource, window.start, window.end),
            self._loaded,
            group="heat-map",
            exclusive=True,
            reload=True,
        )

    def _loaded(self, cells: Cells) -> None:
        heat_map = self.heat_map
        heat_map.cells = cells
        if not self._placed:
            self._placed = True
            heat_map.cursor = busiest(cells) or heat_map.cursor
        self._describe()

    def _describe(self) -> None:
        cells = self.heat_map.cells
        detail = LOADING
        if cells is not None:
            detail = f"{cell_text(cells, self.heat_map.cursor)}\n{summary_text(cells)}"
        self.query_one("#heat-detail", Static).update(detail)

    # --- keys ----------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(self.window)

    def action_move(self, days: int, hours: int) -> None:
        day, hour = self.heat_map.cursor
        self.heat_map.cursor = ((day - 1 + days) % 7 + 1, (hour + hours) % 24)
        self._describe()

    def action_shift(self, steps: int) -> None:
        self.window = self.window.shifted(steps)
        self.query_one("#heat-where", Static).update(self._where())
        self.heat_map.cells = None  # not the days before under the new days' name meanwhile
        self._describe()
        self.load()

    def action_reload(self) -> None:
        self.load()
