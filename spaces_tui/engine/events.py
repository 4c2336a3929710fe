"""The event bus: read the outbox by id, and follow it with LISTEN spaces_events.

A reader sees only event ids below the horizon, the oldest transaction still running in this
database (sql/rules/events.sql), so "everything after the last id I saw" never skips one, even
after a disconnect.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from spaces_tui.db.connection import Database, first_value
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine.errors import domain_errors
from spaces_tui.engine.models import Event

CHANNEL = "spaces_events"

_COLUMNS = "id, topic, resource_id, reservation_id, blackout_id, actor, payload, created_at"
_SELECT = f"SELECT {_COLUMNS} FROM spaces.events_after(%(since)s, %(limit)s)"
# After a notification for an event still above the horizon (an older transaction is open), look
# again this soon rather than at the next poll.
BEHIND_SECONDS = 0.2


def _event(row: Any) -> Event:
    return Event(**row._asdict())


def as_json(event: Event) -> dict[str, Any]:
    """An event as JSON: what `spaces events --json` prints and what a relay POSTs."""
    return {
        "id": event.id,
        "topic": event.topic,
        "resource_id": event.resource_id,
        "reservation_id": event.reservation_id,
        "blackout_id": event.blackout_id,
        "actor": event.actor,
        "payload": event.payload,
        "created_at": event.created_at.isoformat(),
    }


def events_since(db: Database, since: int = 0, limit: int = 1000) -> list[Event]:
    """Committed events with an id above since, oldest first."""
    with domain_errors(), db.transaction() as conn:
        return [_event(row) for row in conn.execute(_SELECT, {"since": since, "limit": limit})]


def history(
    db: Database, *, reservation_id: int | None = None, blackout_id: int | None = None
) -> list[Event]:
    """Everything that happened to one reservation or blackout, oldest first."""
    with domain_errors(), db.transaction() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM spaces.events"
            " WHERE (reservation_id = %(reservation_id)s OR blackout_id = %(blackout_id)s)"
            " ORDER BY id",
            {"reservation_id": reservation_id, "blackout_id": blackout_id},
        )
        return [_event(row) for row in rows]


def latest_event_id(db: Database) -> int:
    with domain_errors(), db.transaction() as conn:
        return first_value(conn.execute("SELECT spaces.latest_event_id()"))


def follow(
    db: Database,
    since: int,
    *,
    poll_seconds: float = 5.0,
    on_disconnect: Callable[[Exception, float], None] | None = None,
    on_connect: Callable[[], None] | None = None,
    on_ahead: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Event]:
    """Yields every event after since as it is committed, forever. Listens for NOTIFY, and also
    looks every poll_seconds in case a notification was lost. When the connection drops it
    reports through on_disconnect(error, retry_in), reconnects with backoff, reports through
    on_connect, and catches up. A commit announced while an older transaction is still open
    cannot be read yet (it waits for the horizon); on_ahead is told at once, so a screen can
    reload now. Setting stop ends it within poll_seconds."""
    stop = stop or threading.Event()
    last = since
    backoff = 0.5
    while not stop.is_set():
        try:
            with db.listen_connection() as listener:
                listener.execute(f"LISTEN {CHANNEL}")
                backoff = 0.5
                if on_connect is not None:
                    on_connect()
                announced = told = last
                while not stop.is_set():
                    # Catch up after LISTEN is in place, so nothing committed meanwhile is missed.
                    for event in _drain(db, last):
                        last = event.id
                        yield event
                    if announced > max(last, told) and on_ahead is not None:
                        told = announced
                        on_ahead()
                    wait = BEHIND_SECONDS if announced > last else poll_seconds
                    for notice in listener.notifies(timeout=wait, stop_after=1):
                        announced = max(announced, _announced_id(notice.payload))
        except (psycopg.OperationalError, DatabaseUnavailable) as error:
            if on_disconnect is not None:
                on_disconnect(error, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)


def _announced_id(payload: str) -> int:
    try:
        return int(payload)
    except ValueError:
        return 0


def _drain(db: Database, since: int) -> Iterator[Event]:
    while True:
        batch = events_since(db, since)
        yield from batch
        if len(batch) < 1000:
            return
        since = batch[-1].id
