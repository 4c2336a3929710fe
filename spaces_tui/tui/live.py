"""Screens that keep themselves current from the event bus."""

from __future__ import annotations

from typing import Any

from textual.worker import Worker

from spaces_tui.engine.models import Event
from spaces_tui.tui.db_calls import RELOAD_WORKER
from spaces_tui.tui.messages import EventsArrived


class ReloadsOnEvents:
    """Mixin for a Screen with a load() method: reloads when the event bus reports a change, at
    once, unless a reload of its own is still running: then the events that come meanwhile (a
    burst) become one more reload, made when it ends. relevant() may narrow which events matter
    (None: the listener reconnected, and anything may have changed meanwhile)."""

    _reload_wanted = False

    @property
    def reload_scheduled(self) -> bool:
        """True while a reload the event bus asked for is still to come (tests wait on it)."""
        return self._reload_wanted

    def relevant(self, event: Event | None) -> bool:
        return True

    def on_events_arrived(self, message: EventsArrived) -> None:
        if not self.relevant(message.event):
            return
        if self._reloading():
            self._reload_wanted = True  # after the running one: it may have read too early
        else:
            self._reload_now()

    def on_worker_state_changed(self, message: Worker.StateChanged) -> None:
        if self._reload_wanted and not self._reloading():
            self._reload_now()

    def _reloading(self) -> bool:
        """Whether a reload of this screen has not finished (superseded ones have)."""
        screen: Any = self
        return any(
            worker.node is screen and worker.name == RELOAD_WORKER and not worker.is_finished
            for worker in screen.app.workers
        )

    def _reload_now(self) -> None:
        self._reload_wanted = False
        screen: Any = self
        screen.load()
