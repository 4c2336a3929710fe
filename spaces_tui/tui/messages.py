"""Messages the app sends to its screens."""

from __future__ import annotations

from textual.message import Message

from spaces_tui.engine.models import Event


class EventsArrived(Message):
    """Something changed in the database (from anyone, anywhere): a screen shows it. event is
    None after the listener (re)connects: something may have changed meanwhile."""

    def __init__(self, event: Event | None) -> None:
        super().__init__()
        self.event = event
