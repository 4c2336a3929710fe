"""The Spaces calendar app: the timeline at home, modal screens on top, database work in
threads, and the event bus keeping every screen current."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from typing import Any

import pendulum
from textual.app import App
from textual.binding import Binding

from spaces_tui.db.connection import Database
from spaces_tui.engine import events
from spaces_tui.engine.models import Event
from spaces_tui.tui.commands import SpacesCommands
from spaces_tui.tui.db_calls import DatabaseCalls
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.messages import EventsArrived
from spaces_tui.tui.screens.home import TimelineScreen

Clock = Callable[[str], pendulum.DateTime]

LIVE = f"{G.live} live"
RETRY_SECONDS = 1.0  # the listener's first pause after a failure; it doubles up to the max
MAX_RETRY_SECONDS = 30.0


class SpacesApp(App[None]):
    CSS_PATH = "spaces.tcss"
    TITLE = "Spaces"
    COMMANDS = App.COMMANDS | {SpacesCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        # Not in the footer (the timeline's keys fill 80 columns); the timeline's "awaiting you
        # (a)" line, the help and the palette name it.
        Binding("a", "approval_queue", "Queue", show=False),
        Binding("b", "open_screen('blackouts')", "Blackouts", show=False),
        Binding("R", "open_screen('resources')", "Resources", show=False),
        Binding("S", "open_screen('sessions')", "Sessions", show=False),
        Binding("u", "open_screen('reports')", "Reports", show=False),
    ]

    def __init__(
        self,
        db: Database,
        *,
        zone: str,
        clock: Clock = pendulum.now,
        listen: bool = True,
        notice: str | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.zone = zone
        self.clock = clock
        self.listen = listen
        self.notice = notice
        self._stop_listening = threading.Event()
        self._listener_lock = threading.Lock()
        self._listener_started = False
        self._reload_on_connect = True
        self.db_calls = DatabaseCalls(self._notify_error, self._notify_bug)
        # A condition a test waits on instead of guessing how long things take (nothing in the
        # app reads it): the listener has connected (and asked every screen to reload if it
        # had to).
        self.listener_ready = threading.Event()

    @property
    def actor(self) -> str:
        return self.db.actor

    def now(self) -> pendulum.DateTime:
        return self.clock(self.zone)

    def on_mount(self) -> None:
        self.sub_title = self.db.actor
        self.push_screen(TimelineScreen())
        if self.notice:
            self.notify(self.notice, timeout=8)
        # The listener is started by the home screen's first load (before_load), not here: the
        # first screen does not wait for it, nor share the start with it.

    def on_unmount(self) -> None:
        self._stop_listening.set()

    # The screens opened from here are imported when first opened: the calendar's first screen
    # does not wait for them (about 50 ms of imports at launch).

    def action_help(self) -> None:
        from spaces_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_approval_queue(self) -> None:
        from spaces_tui.tui.screens.queue import ApprovalQueue

        if not isinstance(self.screen, ApprovalQueue):
            self.push_screen(ApprovalQueue())

    def action_open_screen(self, name: str) -> None:
        """b: the blackouts screen, R: the resources screen, S: the rehearsal sessions, u: the
        reports (once each on the stack)."""
        from spaces_tui.tui.screens.blackouts import BlackoutsScreen
        from spaces_tui.tui.screens.reports import ReportsScreen
        from spaces_tui.tui.screens.resources import ResourcesScreen
        from spaces_tui.tui.screens.sessions import SessionsScreen

        screen = {
            "blackouts": BlackoutsScreen,
            "resources": ResourcesScreen,
            "sessions": SessionsScreen,
            "reports": ReportsScreen,
        }[name]
        if not isinstance(self.screen, screen):
            self.push_screen(screen())

    # --- database work, off the UI thread -----------------------------------------------------

    @property
    def db_calls_in_threads(self) -> int:
        """Database calls whose thread is still running (tests wait for this to be 0)."""
        return self.db_calls.running

    def _notify_error(self, error: Exception) -> None:
        self.notify(str(error), title="Spaces", severity="error", timeout=8)

    def _notify_bug(self, error: Exception) -> None:
        """A bug, not a user error: say so and keep the app alive; the details go to the log."""
        self.log.error("unexpected error", error)
        self.notify(f"unexpected {type(error).__name__}: {error}", title="Spaces", severity="error")

    # --- the event bus ------------------------------------------------------------------------

    def before_load(self) -> None:
        """Called in a load's thread before it reads the database. The first call starts the
        listener from the newest event there is now: every load reads after this, so the
        listener brings exactly what the loads could not have seen, and needs no reload of every
        screen when it first connects. If that read fails, the listener reads it itself and
        reloads every screen once connected."""
        if not self.listen or self._listener_started:
            return
        with self._listener_lock:
            if self._listener_started:
                return
            since: int | None = None
            with suppress(Exception):  # the listener tries again, and says why if it cannot
                since = events.latest_event_id(self.db)
            self._listener_started = True
            self._reload_on_connect = since is None
            threading.Thread(
                target=self._listen, args=(since,), name="spaces-events", daemon=True
            ).start()

    def _listen(self, since: int | None) -> None:
        """Follows spaces_events after since until the app stops; every event reaches the
        screens. What events.follow does not retry by itself (a domain error, a read it could
        not make sense of, no database at start-up) shows in the header and is followed again
        after a pause, from the last event delivered, instead of ending this thread: one failed
        read must not leave the calendar never live again."""
        pause = RETRY_SECONDS
        while not self._stop_listening.is_set():
            try:
                if since is None:
                    since = events.latest_event_id(self.db)
                for event in events.follow(
                    self.db,
                    since,
                    poll_seconds=1.0,
                    on_disconnect=self._disconnected,
                    on_connect=self._connected,
                    on_ahead=partial(self._from_listener, self._deliver, None),
                    stop=self._stop_listening,
                ):
                    since, pause = event.id, RETRY_SECONDS
                    self._from_listener(self._deliver, event)
            except Exception as error:  # the next round reconnects and reloads every screen
                self._disconnected(error, pause)
                self._stop_listening.wait(pause)
                pause = min(pause * 2, MAX_RETRY_SECONDS)

    def _from_listener(self, callback: Callable[..., Any], *args: Any) -> None:
        if self._stop_listening.is_set():
            return
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:  # the app has gone: nothing left to tell
            self._stop_listening.set()

    def _deliver(self, event: Event | None) -> None:
        for screen in self.screen_stack:
            screen.post_message(EventsArrived(event))

    def _connected(self) -> None:
        self._from_listener(self._set_live, LIVE)
        # Whatever committed before the listener was in place (or while it was away) is shown
        # by one more reload; not at the first connect when the loads read after its start.
        if self._reload_on_connect:
            self._from_listener(self._deliver, None)
        self._reload_on_connect = True
        self.listener_ready.set()

    def _disconnected(self, error: Exception, retry_in: float) -> None:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "lost"
        state = f"{G.offline} offline, retrying in {retry_in:.0f}s ({first_line[:40]})"
        self._from_listener(self._set_live, state)

    def _set_live(self, state: str) -> None:
        self.sub_title = f"{self.db.actor} {G.dot} {state}"
