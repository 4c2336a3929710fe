"""Rehearsal sessions: the flagged ones first (Spaces cancelled their room: a manual cancel, a
blackout), then those still to come. From here a flagged session is booked again or closed, a
scheduled one cancelled (releasing its room), and any one's reservation opened with its
history."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from spaces_tui.engine import rehearse, reservations, resources
from spaces_tui.engine.rehearse import VIEWS, Session
from spaces_tui.engine.times import format_period
from spaces_tui.tui.formatting import LOADING, shortened, when_text
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.prompts import ask_why_then
from spaces_tui.tui.screens.session_form import SessionForm
from spaces_tui.tui.table import Table
from spaces_tui.tui.table_screen import TableKeys, row_after_reload

FLAGGED = G.flagged  # a glyph, so a monochrome terminal shows it too
CANCELLED = G.cancelled
VIEW_LABELS = {"open": "Flagged and upcoming", "flagged": "Flagged", "all": "All sessions"}

# Widths that keep the table inside 80 columns; the lines under it say it all.
ROOM_WIDTH = 14
TITLE_WIDTH = 18
STATUS_WIDTH = 18

COLUMNS = (
    ("", "mark"),
    ("When", "when"),
    ("Room", "room"),
    ("Title", "title"),
    ("Status", "status"),
)


# --- what a row says ---------------------------------------------------------------------------


def status_text(session: Session) -> str:
    """A flagged session's column says why (its glyph and style say flagged)."""
    if session.status == "flagged":
        return session.flag_reason or "flagged"
    return session.status


def row_cells(session: Session, this_year: int) -> list[Text]:
    """One row; a flagged session stands out by its glyph and in bold, a cancelled one dims."""
    mark = {"flagged": FLAGGED, "cancelled": CANCELLED}.get(session.status, " ")
    style = {"flagged": "bold", "cancelled": "dim"}.get(session.status, "")
    values = [
        mark,
        when_text(session.start, session.end, this_year),
        shortened(session.room, ROOM_WIDTH),
        shortened(session.title, TITLE_WIDTH),
        shortened(status_text(session), STATUS_WIDTH),
    ]
    return [Text(value, style=style) for value in values]


def detail_text(session: Session | None, view: str) -> str:
    """The session under the cursor in full, and what can be done with it."""
    if session is None:
        return {
            "open": "No flagged or upcoming sessions. f shows every one; n schedules one.",
            "flagged": "No flagged sessions: every session still has its room.",
            "all": "No rehearsal sessions yet. n schedules one.",
        }[view]
    when = f"{format_period(session.start, session.end)} ({session.timezone})"
    head = f"#{session.id} {session.title!r} · {session.room} · {when} · by {session.created_by}"
    if session.status == "flagged":
        what = (
            f"{FLAGGED} Spaces cancelled its room booking: {session.flag_reason}."
            " n books it again, x closes it."
        )
    elif session.status == "scheduled":
        what = (
            f"Its room is booked (reservation #{session.reservation_id},"
            f" {session.reservation_status}). x cancels it and releases the room."
        )
    else:
        what = f"Cancelled; its reservation #{session.reservation_id} is released."
    return f"{head}\n{what}"


def where_text(view: str, shown: int, flagged: int) -> str:
    parts = [f"[b]{VIEW_LABELS[view]}[/b]", f"{shown} session{'' if shown == 1 else 's'}"]
    if flagged:
        parts.append(f"{FLAGGED} {flagged} flagged")
    return " · ".join(parts)


# --- the screen --------------------------------------------------------------------------------


class SessionsScreen(TableKeys, ReloadsOnEvents, SpacesScreen[None]):
    """Every database call goes through app.db_call, off the UI thread; any change anywhere
    reloads it (a blackout that flags a session shows here at once), keeping the cursor."""

    TITLE = "Rehearsal sessions"
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("n", "new", "New/again"),
        Binding("x", "cancel", "Cancel/close"),
        Binding("f", "cycle_view", "View"),
        Binding("enter", "open_details", "Details", show=False),
        Binding("r", "reload", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = VIEWS[0]
        self.sessions: list[Session] = []
        self.flagged = 0
        self.select: int | None = None  # the session the next load puts the cursor on

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        yield Static(LOADING, id="sessions-where")
        yield Table(id="sessions", cursor_type="row", zebra_stripes=False)
        yield Static("", id="sessions-detail")
        yield Footer(compact=True)

    @property
    def table(self) -> Table:
        return self.query_one(Table)

    @property
    def current(self) -> Session | None:
        """The session under the cursor, if there is one."""
        row = self.table.cursor_row
        return self.sessions[row] if 0 <= row < len(self.sessions) else None

    def on_mount(self) -> None:
        self.open_table(COLUMNS)

    # --- loading -------------------------------------------------------------------------------

    def load(self, *, select: int | None = None) -> None:
        """The sessions again; the cursor stays on its session, or goes to select's."""
        if select is not None:
            self.select = select
        db, now, view = self.app.db, self.app.now(), self.view
        self.db_call(
            lambda: (
                rehearse.list_sessions(db, view=view, now=now),
                rehearse.count_flagged(db),
            ),
            lambda loaded: self._loaded(*loaded),
            group="sessions",
            exclusive=True,
            reload=True,
        )

    def _loaded(self, sessions: list[Session], flagged: int) -> None:
        keep = self.select or (self.current.id if self.current else None)
        self.select = None
        row = self.table.cursor_row
        self.sessions, self.flagged = sessions, flagged
        table = self.table
        table.clear()
        this_year = self.app.now().year
        for session in sessions:
            table.add_row(*row_cells(session, this_year), key=str(session.id))
        keys = [session.id for session in sessions]
        table.move_cursor(row=row_after_reload(keys, keep, row), animate=False)
        self._describe()

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        # Text, not markup: titles and reasons are typed by people and may hold brackets.
        detail = Text(detail_text(self.current, self.view))
        self.query_one("#sessions-detail", Static).update(detail)
        where = where_text(self.view, len(self.sessions), self.flagged)
        self.query_one("#sessions-where", Static).update(where)

    # --- keys ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.load()

    def action_cycle_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.load()

    @on(DataTable.RowSelected)
    def action_open_details(self) -> None:
        """The session's reservation, with its history (who cancelled it, and why)."""
        session = self.current
        if session is None:
            return
        db = self.app.db
        self.db_call(
            lambda: reservations.get_reservation(db, session.reservation_id),
            lambda booking: self.app.push_screen(DetailsScreen(booking), lambda _: self.load()),
        )

    def action_new(self) -> None:
        """A new session; on a flagged one, that session again (its room, title and length)."""
        session = self.current
        if session is None or session.status != "flagged":
            start = self.app.now().add(hours=1).start_of("hour")
            self.app.push_screen(SessionForm(None, start), self._scheduled)
            return
        db = self.app.db
        self.db_call(
            lambda: resources.get_resource(db, session.room_id),
            lambda room: self.app.push_screen(
                SessionForm(room, session.start, replacing=session), self._scheduled
            ),
        )

    def _scheduled(self, session: Session | None) -> None:
        """Back from the form: the list again, its cursor on the session just scheduled."""
        self.load(select=session.id if session else None)

    def action_cancel(self) -> None:
        session = self.current
        if session is None or session.status == "cancelled":
            self.notify("Nothing to cancel here: put the cursor on a session.", timeout=4)
            return
        if session.status == "flagged":
            question = f"Close session {session.title!r} (Spaces has released its room): why?"
            verb = "Close"
        else:
            question = f"Cancel session {session.title!r} and release {session.room}: why?"
            verb = "Cancel"
        db = self.app.db
        ask_why_then(
            self,
            question,
            f"{verb} session",
            lambda reason: rehearse.cancel_session(db, session.id, reason),
            lambda done: self._cancelled(done, verb),
        )

    def _cancelled(self, session: Session, verb: str) -> None:
        past = {"Close": "Closed", "Cancel": "Cancelled"}[verb]
        self.notify(f"{past} session #{session.id} {session.title!r}.", markup=False)
        self.load()
