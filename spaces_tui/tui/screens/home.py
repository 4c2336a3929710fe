"""The home screen: the timeline of every resource, a day or a week at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pendulum
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.widgets import Footer, Header, Input, Static

from spaces_tui.engine import access, approvals, moves, rehearse, reservations
from spaces_tui.engine.access import Permissions
from spaces_tui.engine.calendar import Window, load_window
from spaces_tui.engine.models import Blackout, Reservation
from spaces_tui.engine.moves import Moved
from spaces_tui.engine.times import exact_length, format_duration, format_period, wall_of
from spaces_tui.tui.glyphs import GLYPHS
from spaces_tui.tui.grid import DAY, WEEK, ZOOMED, Grid, Match, Scale
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.prompts import LinePrompt, ask_why_then, read_date
from spaces_tui.tui.timeline import Cell, Timeline


class TimelineScreen(ReloadsOnEvents, SpacesScreen[None]):
    BINDINGS = [
        Binding("left_square_bracket,comma", "shift(-1)", "Prev", show=False),
        Binding("right_square_bracket,full_stop", "shift(1)", "Next", show=False),
        Binding("t", "today", "Today", show=False),
        Binding("d", "scale('day')", "Day"),
        Binding("w", "scale('week')", "Week"),
        Binding("z", "zoom", "Zoom", show=False),
        Binding("g", "go_to_date", "Go to"),
        # n is new booking, except while a filter is set: then n and N go to the next and the
        # previous booking whose title holds it, as after a search in vi (check_action).
        Binding("n", "new_booking", "New"),
        Binding("n", "find(1)", "Next"),
        Binding("N", "find(-1)", "Previous", show=False),
        # Not in the footer (nor m, below): with them q Quit would not fit in 80 columns; the
        # help and the palette name them.
        Binding("f", "find_free", "Find", show=False),
        Binding("x", "cancel_booking", "Cancel"),
        Binding("m", "move_booking", "Move", show=False),
        Binding("shift+left", "nudge(-1)", "Earlier by a column", show=False),
        Binding("shift+right", "nudge(1)", "Later by a column", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("escape", "clear_filter", show=False),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.scale: Scale = DAY
        self.day: date = date.today()
        self.window: Window | None = None
        self._placed = False  # the cursor is put at "now" once, on the first load
        self._booked: Reservation | None = None  # made here: the cursor goes to it once shown
        # n or N found a booking past the view: its direction, the edge of the view it left,
        # and the booking (the view that shows it goes to the first match past that edge).
        self._sought: tuple[int, datetime, Reservation] | None = None
        self._found_id: int | None = None  # the booking n or N last put the cursor on

    def compose(self) -> ComposeResult:
        yield Header(icon=GLYPHS.icon)
        with Horizontal(id="where-bar"):
            yield Static(id="where")
            yield Static(id="awaiting")
            yield Static(id="flagged")
        yield Input(
            placeholder="filter: name, kind or booking title (enter keeps it, escape clears)",
            id="filter",
        )
        yield Timeline(id="timeline")
        yield Static(id="legend")
        yield Footer()

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    def on_mount(self) -> None:
        self.day = self.app.now().date()
        self.query_one("#filter").display = False
        self.timeline.focus()
        self._show_legend()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._show_legend())
        self.load()

    def _show_legend(self) -> None:
        # Drawn by the timeline, in its own glyphs and theme colours: it says what the cells do.
        self.query_one("#legend", Static).update(self.timeline.legend())

    # --- the window of time --------------------------------------------------------------------

    @property
    def origin(self) -> pendulum.DateTime:
        start = pendulum.datetime(self.day.year, self.day.month, self.day.day, tz=self.app.zone)
        return start.start_of("week") if self.scale.is_week else start

    def load(self) -> None:
        """The window shown, then the counts beside it (after it, not beside it: the timeline
        is what a change elsewhere is waited for)."""
        origin = self.origin
        end = origin.add(days=self.scale.days)
        app = self.app

        def window() -> Window:
            app.before_load()  # the first load starts the event listener
            return load_window(app.db, origin, end)

        self.db_call(window, self._loaded, group="timeline", exclusive=True, reload=True)

    def count_awaiting(self) -> None:
        """What waits for someone: requests this actor may decide ('⚑ 3 awaiting you (a)')
        and rehearsal sessions that lost their room ('⚐ 1 flagged (S)')."""
        db = self.app.db

        def count() -> tuple[int, int]:
            return approvals.awaiting_count(db), rehearse.count_flagged(db)

        self.db_call(
            count,
            lambda counts: self._show_counts(*counts),
            group="awaiting",
            exclusive=True,
            reload=True,
        )

    def _show_counts(self, awaiting: int, flagged: int) -> None:
        shown = (
            ("#awaiting", awaiting, GLYPHS.awaiting + " {} awaiting you (a)"),
            ("#flagged", flagged, GLYPHS.flagged + " {} flagged (S)"),
        )
        for selector, count, text in shown:
            label = self.query_one(selector, Static)
            label.update(text.format(count) if count else "")
            label.set_class(count > 0, "some")

    def _loaded(self, window: Window) -> None:
        origin = self.origin
        if (window.start, window.end) != (origin, origin.add(days=self.scale.days)):
            return  # the user moved on while this was loading (and that load counts)
        self.window = window
        self._show()
        self.count_awaiting()

    def _show(self, cursor: Cell | None = None) -> None:
        if self.window is None:
            return
        timeline = self.timeline
        old = timeline.grid
        grid = self._grid()
        left = None  # the column to scroll to the left edge, if not the least scroll
        if cursor is None and self._booked is not None:
            cursor, grid = self._on_booked(grid)
            if cursor is not None:
                left = self._hour_before(grid, cursor.col)
        if cursor is None and self._sought is not None:
            cursor = self._past_the_edge(grid)
        if cursor is None and not self._placed:
            self._placed = True
            cursor, left = self._at_now(grid)
        if cursor is None:
            cursor = self._same_place(old, grid, timeline.cursor)
        timeline.show(grid, self.app.now(), cursor)
        if left is not None:
            # After the timeline's own scroll to the cursor (queued by show): from the hour
            # before the cursor, rather than the cursor at the right edge. A later resize
            # leaves it, the cursor being in view.
            x = left * grid.scale.cell_width
            timeline.call_later(timeline.scroll_to, x, animate=False, immediate=True, force=True)
        self._describe()

    def _grid(self) -> Grid:
        assert self.window is not None
        return Grid(self.window, self.scale, self.origin, self.app.actor, self.filter_text)

    def _at_now(self, grid: Grid) -> tuple[Cell, int]:
        """Where the view opens: the cursor on the first resource at now (09:00 on a day that
        is not today), and the column at the left edge."""
        col = grid.column_at(self.app.now())
        if col is None:
            col = 0 if grid.scale.is_week else 9 * 60 // grid.scale.column_minutes  # 09:00
        return Cell(0, col), self._hour_before(grid, col)

    @staticmethod
    def _hour_before(grid: Grid, col: int) -> int:
        """The column to show at the left edge so that col is in view with the hour before it,
        from the hour (the header's labels are the hours)."""
        left = grid.column_at(grid.column_start(col).subtract(hours=1).start_of("hour"))
        return min(col, left if left is not None else 0)

    def _on_booked(self, grid: Grid) -> tuple[Cell | None, Grid]:
        """The cell of the booking just made here (its resource, its start), once the grid shows
        its time; a filter that hides its resource is cleared."""
        booked = self._booked
        assert booked is not None
        col = grid.column_at(booked.start)
        if col is None:
            return None, grid  # this grid is of the time before the move to the booking's
        self._booked = None
        self._placed = True
        row = grid.row_of(booked.resource_id)
        box = self.query_one("#filter", Input)
        if row is None and box.value:
            with box.prevent(Input.Changed):
                box.value = ""
            box.display = False
            self.refresh_bindings()
            grid = self._grid()
            row = grid.row_of(booked.resource_id)
        return Cell(row if row is not None else 0, col), grid

    def _same_place(self, old: Grid | None, new: Grid, cursor: Cell) -> Cell:
        """Where the cursor should be in a new grid: the same resource and time if it can."""
        if old is None or not old.rows or cursor.row >= len(old.rows):
            return cursor
        row = new.row_of(old.rows[cursor.row].id)
        col = new.column_at(old.column_start(cursor.col))
        return Cell(cursor.row if row is None else row, cursor.col if col is None else col)

    def _describe(self) -> None:
        self.query_one("#where", Static).update(self.where())

    def where(self) -> str:
        """The line above the timeline: what it shows, most telling first, as its tail gives
        way on a narrow terminal (the counts beside it take what they need): the dates, how many
        resources, the scale, the zone."""
        origin, dot = self.origin, GLYPHS.dot
        if self.scale.is_week:
            # A week starts on Monday, and the timeline names the days: the dates are enough.
            last = origin.add(days=6)
            first = origin.format("D" if last.month == origin.month else "D MMM")
            if last.year != origin.year:
                first = origin.format("D MMM YYYY")
            span = f"{first} {GLYPHS.dash} {last.format('D MMM YYYY')}"
        else:
            span = origin.format("ddd D MMM YYYY")
        shown = len(self.timeline.grid.rows) if self.timeline.grid else 0
        filtered = self.filter_text
        rows = f"{shown} resource{'' if shown == 1 else 's'}"
        rows += f" matching {escape(repr(filtered))}" if filtered else ""
        return f"[b]{span}[/b] {dot} {rows} {dot} {self.scale.label} {dot} {self.app.zone}"

    # --- live refresh ----------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        self.timeline.focus()
        # Decisions made on a screen above show at once, without waiting for the event bus.
        self.count_awaiting()

    # --- keys -------------------------------------------------------------------------------

    def action_shift(self, direction: int) -> None:
        self.day = self.day + pendulum.duration(days=direction * self.scale.days)
        self.load()

    def action_today(self) -> None:
        self.day = self.app.now().date()
        self._placed = False
        self.load()

    def action_scale(self, name: str) -> None:
        if self.scale.name != name:
            self.scale = WEEK if name == "week" else DAY
            self.load()

    def action_zoom(self) -> None:
        self.scale = ZOOMED[self.scale]
        self.load()

    def action_reload(self) -> None:
        self.load()

    def go_to(self, day: date) -> None:
        self.day = day
        self.load()

    def jump_to_resource(self, resource_id: int) -> None:
        grid = self.timeline.grid
        if grid is None:
            return
        if grid.row_of(resource_id) is None and self.query_one("#filter", Input).value:
            self.action_clear_filter()
            grid = self.timeline.grid or grid
        row = grid.row_of(resource_id)
        if row is not None:
            self.timeline.cursor = Cell(row, self.timeline.cursor.col)

    # --- filter -----------------------------------------------------------------------------

    @property
    def filter_text(self) -> str:
        """What the filter holds, the spaces around it left out; "" when none is set."""
        return self.query_one("#filter", Input).value.strip()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # n is one of two things (see BINDINGS): the footer and the key follow the filter.
        if action == "new_booking":
            return not self.filter_text
        if action == "find":
            return bool(self.filter_text)
        return True

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value or box.display:
            box.value = ""
            box.display = False
            self.timeline.focus()
            self.refresh_bindings()
            self._show()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self.refresh_bindings()
        self._show(Cell(0, self.timeline.cursor.col))

    @on(Input.Submitted, "#filter")
    def _filter_kept(self) -> None:
        self.timeline.focus()

    def action_find(self, direction: int) -> None:
        """The cursor to the next (1) or previous (-1) booking whose title holds the filter: in
        the order of their starts, top to bottom at the same start. Past the end (or start) of
        the view, the day or week of the next one there is, asked of the database."""
        grid, text = self.timeline.grid, self.filter_text
        if grid is None or not text:
            return
        matches = grid.matches(text)
        here = self._here(grid, matches)
        if direction > 0:
            ahead = [match for match in matches if match.order > here]
        else:
            ahead = [match for match in matches if match.order < here][::-1]
        if ahead:
            self._found_id = ahead[0].booking.id
            self.timeline.cursor = Cell(ahead[0].row, ahead[0].columns[0])
            return
        edge = grid.window.end if direction > 0 else grid.window.start
        db = self.app.db

        def found(booking: Reservation | None) -> None:
            if booking is None:
                which = "later" if direction > 0 else "earlier"
                self.notify(f"No {which} booking has {text!r} in its title.", markup=False)
                return
            self._sought = (direction, edge, booking)
            self.day = booking.start.in_timezone(self.app.zone).date()
            self.load()

        self.db_call(
            lambda: reservations.next_titled(db, text, edge, backwards=direction < 0),
            found,
            group="find",
            exclusive=True,
        )

    def _here(self, grid: Grid, matches: list[Match]) -> tuple[float, int, int]:
        """Where the cursor is, in the order of matches: on a match, that match's place (the
        one n or N went to, where a cell shows more than one); else its cell's start."""
        cursor = self.timeline.cursor
        under = [m for m in matches if m.row == cursor.row and cursor.col in m.columns]
        last = [m for m in under if m.booking.id == self._found_id]
        if last or under:
            return (last or under)[0].order
        return (grid.column_start(cursor.col).timestamp(), cursor.row, -1)

    def _past_the_edge(self, grid: Grid) -> Cell | None:
        """Where n or N lands in the view it went to: the first match past the edge of the view
        it left (the last before it, going back): those still reaching over the edge were in
        that view already. None when the view shown is not the one it went to."""
        assert self._sought is not None
        direction, edge, booking = self._sought
        self._sought = None
        if grid.column_at(booking.start) is None:
            return None  # the view was moved on meanwhile
        if direction > 0:
            past = [m for m in grid.matches(self.filter_text) if m.booking.start >= edge]
        else:
            past = [m for m in grid.matches(self.filter_text) if m.booking.end <= edge][::-1]
        if not past:
            return None  # the filter changed on the way
        self._found_id = past[0].booking.id
        return Cell(past[0].row, past[0].columns[0])

    # --- opening, booking, cancelling -------------------------------------------------------

    @on(Timeline.Opened)
    def _open(self, message: Timeline.Opened) -> None:
        if message.span is not None:
            self.open_details(message.span.item)
        else:
            self.action_new_booking()

    # The booking form and the details are imported when first opened: the first screen does not
    # wait for them.

    def open_details(self, item: Reservation | Blackout) -> None:
        from spaces_tui.tui.screens.details import DetailsScreen

        self.app.push_screen(DetailsScreen(item), self._after_change)

    def action_new_booking(self) -> None:
        from spaces_tui.tui.screens.booking import BookingForm

        grid = self.timeline.grid
        resource, start = None, None
        if grid is not None and grid.rows:
            cell = self.timeline.cursor
            resource = grid.rows[cell.row]
            start = grid.column_start(cell.col).in_timezone(resource.timezone)
        self.app.push_screen(BookingForm(resource, start), self._after_change)

    def action_find_free(self) -> None:
        """The finder, for an hour from the start of the cursor's column (as `n` books an hour
        from it): what is free then, of every resource."""
        from spaces_tui.tui.screens.finder import FinderScreen

        if isinstance(self.app.screen, FinderScreen):
            return  # the palette, over a finder: one is enough
        grid = self.timeline.grid
        if grid is not None:
            start = grid.column_start(self.timeline.cursor.col)
        else:  # not loaded yet: the next hour
            start = self.app.now().add(hours=1).start_of("hour")
        self.app.push_screen(FinderScreen(start), self._after_change)

    def _booking_under_cursor(self, verb: str) -> Reservation | None:
        span = self.timeline.span_under_cursor()
        if span is None or not isinstance(span.item, Reservation):
            self.notify(f"Nothing to {verb} here: put the cursor on a booking.", timeout=4)
            return None
        return span.item

    def _if_allowed(self, booking: Reservation, verb: str, then: Callable[[], object]) -> None:
        """then(), once the rules say this actor may cancel booking (a move cancels it too);
        else why not, said at once, before anything is asked for."""
        db = self.app.db

        def asked(may: Permissions) -> None:
            why_not = may.why_not("cancel")
            if why_not is not None:
                self.notify(
                    f"You cannot {verb} {booking.title!r}: {why_not}.",
                    severity="warning",
                    timeout=6,
                    markup=False,
                )
                return
            then()

        self.db_call(lambda: access.reservation_permissions(db, booking.id), asked)

    def action_cancel_booking(self) -> None:
        booking, db = self._booking_under_cursor("cancel"), self.app.db
        if booking is None:
            return
        self._if_allowed(
            booking,
            "cancel",
            lambda: ask_why_then(
                self,
                f"Cancel {booking.title!r} on {booking.resource}?",
                "Cancel booking",
                lambda reason: reservations.cancel(db, booking.id, reason),
                self._cancelled,
            ),
        )

    def _cancelled(self, booking: Reservation) -> None:
        self.notify(f"Cancelled {booking.title!r} ({booking.resource}).", markup=False)
        self.load()

    def action_move_booking(self) -> None:
        from spaces_tui.tui.screens.move_form import MoveForm

        booking, grid = self._booking_under_cursor("move"), self.timeline.grid
        if booking is None or grid is None:
            return
        resource = next(r for r in grid.window.resources if r.id == booking.resource_id)
        self._if_allowed(
            booking,
            "move",
            lambda: self.app.push_screen(MoveForm(booking, resource), self._after_change),
        )

    def action_nudge(self, columns: int) -> None:
        """Moves the booking under the cursor a column earlier or later, on its wall clock,
        keeping its length; refused (nothing changed) when that slot is taken."""
        booking, grid = self._booking_under_cursor("move"), self.timeline.grid
        if booking is None or grid is None:
            return
        db = self.app.db
        shift = timedelta(minutes=grid.scale.column_minutes * columns)
        start = wall_of(booking.start) + shift
        length = f"+{format_duration(exact_length(booking.start, booking.end))}"

        def moved(outcome: Moved) -> None:
            [replacement] = [new for old, new in outcome.pairs if old.id == booking.id]
            self.notify(
                f"Moved {replacement.title!r} to"
                f" {format_period(replacement.start, replacement.end)} (#{replacement.id}).",
                markup=False,
            )
            self._after_change(replacement)

        self.db_call(lambda: moves.move(db, booking.id, start, length), moved, group="nudge")

    def _after_change(self, result: object = None) -> None:
        """Our own changes show at once, without waiting for the event bus to bring them; a
        booking just made gets the cursor (its day or week shown, its resource and start)."""
        if isinstance(result, Reservation):
            self._booked = result
            self.day = result.start.in_timezone(self.app.zone).date()
        self.load()

    def action_go_to_date(self) -> None:
        shown = self.day
        prompt = LinePrompt(
            "Go to date",
            lambda text: read_date(text, shown),
            value=shown.isoformat(),
            placeholder="YYYY-MM-DD, or +7 / -7 days",
            hint="enter to go there, escape to stay",
        )
        self.app.push_screen(prompt, lambda day: self.go_to(day) if day is not None else None)
