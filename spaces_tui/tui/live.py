"""Screens that keep themselves current from the event bus."""

from __future__ import annotations

from typing import Any

from textual.timer import Timer

from spaces_tui.engine.models import Event
from spaces_tui.tui.messages import EventsArrived

RELOAD_DELAY = 0.1  # seconds: a burst of events becomes one reload


class ReloadsOnEvents:
    """Mixin for a Screen with a load() method: reloads after the event bus reports a change,
    once for a burst. relevant() may narrow which events matter (None: the listener
    reconnected, and anything may have changed meanwhile)."""

    _reload_timer: Timer | None = None

    @property
    def reload_scheduled(self) -> bool:
        """True while a reload the event bus asked for is still to come (tests wait on it)."""
        return self._reload_timer is not None

    def relevant(self, event: Event | None) -> bool:
        return True

    def on_events_arrived(self, message: EventsArrived) -> None:
        if self.relevant(message.event) and self._reload_timer is None:
            screen: Any = self
            self._reload_timer = screen.set_timer(RELOAD_DELAY, self._reload_now)

    def _reload_now(self) -> None:
        self._reload_timer = None
        screen: Any = self
        screen.load()
