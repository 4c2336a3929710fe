"""The event bus: an outbox row for every change, in its transaction, ids that a reader can follow
without ever skipping one, and a NOTIFY that a listener receives."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from spaces_tui.engine import blackouts, events, reservations, resources

DAY = datetime(2027, 5, 3, 10, tzinfo=UTC)


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Room", "room", timezone="UTC")
    resources.add_resource(db, "Hall", "room", timezone="UTC")
    resources.add_resource(
        db, "Truck", "vehicle", timezone="UTC", requires_approval=True, approvers=["boss"]
    )
    assert len(events.events_since(db, 0)) == 3  # the three resource.created events
    return db


@pytest.fixture
def setup(venue) -> int:
    """The id of the venue's last event: tests read what came after it."""
    return events.latest_event_id(venue)


def topics(db, since: int) -> list[tuple[str, str]]:
    return [(e.topic, e.actor) for e in events.events_since(db, since)]


def test_every_change_writes_an_event_with_its_actor(venue, setup, database_url):
    from spaces_tui.db.connection import Database

    boss = Database(database_url, "boss")
    booked = reservations.book(venue, "Room", DAY, DAY + timedelta(hours=1), "A")
    reservations.cancel(venue, booked.id, "moved")
    pending = reservations.book(venue, "Truck", DAY, DAY + timedelta(hours=1), "B")
    reservations.approve(boss, pending.id)
    other = reservations.book(
        venue, "Truck", DAY + timedelta(hours=2), DAY + timedelta(hours=3), "C"
    )
    reservations.reject(boss, other.id, "no driver")
    blackout, _ = blackouts.add_blackout(venue, "Room", DAY, DAY + timedelta(hours=2), "paint")
    blackouts.lift_blackout(venue, blackout.id)
    boss.dispose()
    assert topics(venue, setup) == [
        ("spaces.reservation.created", "tester"),
        ("spaces.reservation.cancelled", "tester"),
        ("spaces.reservation.created", "tester"),
        ("spaces.reservation.approved", "boss"),
        ("spaces.reservation.created", "tester"),
        ("spaces.reservation.rejected", "boss"),
        ("spaces.blackout.created", "tester"),
        ("spaces.blackout.lifted", "tester"),
    ]
    first = events.events_since(venue, setup)[0]
    assert (first.reservation_id, first.payload["title"]) == (booked.id, "A")
    assert events.history(venue, blackout_id=blackout.id)[-1].topic == "spaces.blackout.lifted"


def test_a_resource_added_or_changed_is_an_event(db):
    resources.add_resource(db, "Studio", "room", timezone="UTC")
    resources.update_resource(db, "Studio", requires_approval=True, approvers=["boss"])
    added, changed = events.events_since(db, 0)
    assert (added.topic, added.actor, added.payload["name"]) == (
        "spaces.resource.created",
        "tester",
        "Studio",
    )
    assert changed.topic == "spaces.resource.changed"
    assert (changed.payload["requires_approval"], changed.payload["approvers"]) == (True, ["boss"])


def test_a_rolled_back_change_leaves_no_event(venue, setup, sql):
    with pytest.raises(RuntimeError), sql.transaction():
        sql.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT id, tstzrange(%s, %s), 'x' FROM spaces.resources WHERE name = 'Room'",
            (DAY, DAY + timedelta(hours=1)),
        )
        raise RuntimeError("changed my mind")
    assert events.events_since(venue, setup) == []


def test_a_listener_is_notified_with_the_new_events_id(venue, setup, database_url):
    with psycopg.connect(database_url, autocommit=True) as listener:
        listener.execute("LISTEN spaces_events")
        booked = reservations.book(venue, "Room", DAY, DAY + timedelta(hours=1), "A")
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert len(notes) == 1
    assert int(notes[0].payload) == events.latest_event_id(venue)
    assert events.events_since(venue, setup)[0].reservation_id == booked.id


def test_a_reader_never_skips_a_change_that_committed_late(venue, setup, database_url):
    """A reader that asks for "everything after the last id I saw" must never skip a change
    whose transaction started first but committed later; and the later one's commit must not
    wait for the earlier transaction (no lock held across transactions)."""
    insert = (
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " SELECT id, tstzrange(%s, %s), %s FROM spaces.resources WHERE name = %s"
    )
    hour = (DAY, DAY + timedelta(hours=1))
    # Two rooms: writes into one resource tree take turns, two trees do not.
    with psycopg.connect(database_url) as early, psycopg.connect(database_url) as late:
        early.execute(insert, (*hour, "started first", "Room"))
        late.execute(insert, (*hour, "started second", "Hall"))
        late.commit()  # does not wait for early
        # Held back while an older transaction may still write below it.
        assert events.events_since(venue, setup) == []
        seen_so_far = events.latest_event_id(venue)
        assert seen_so_far == setup
        early.commit()
    after = [e.payload["title"] for e in events.events_since(venue, seen_so_far)]
    assert after == ["started first", "started second"]


def test_a_transaction_open_in_another_database_holds_back_no_reader(venue, setup, scratch):
    """Transaction ids are the whole server's, but another database can never write an event
    here: its open transaction (another application on a shared server, a session left open)
    must not hold this database's readers back for as long as it lasts."""
    with (
        scratch("spaces_elsewhere") as (_name, elsewhere_url),
        psycopg.connect(elsewhere_url) as elsewhere,
    ):
        elsewhere.execute("SELECT pg_current_xact_id()")  # it has an id, and stays open
        reservations.book(venue, "Room", DAY, DAY + timedelta(hours=1), "booked meanwhile")
        seen = events.events_since(venue, setup)
        assert [event.payload["title"] for event in seen] == ["booked meanwhile"]
        assert events.latest_event_id(venue) == seen[-1].id
        elsewhere.rollback()


def test_an_open_transaction_that_ran_its_deferred_triggers_blocks_no_writer(venue, database_url):
    """SET CONSTRAINTS ALL IMMEDIATE once ran the old commit-time seal early, and the open
    transaction then held a lock every writer needed."""
    insert = (
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " SELECT id, tstzrange(%s, %s), %s FROM spaces.resources WHERE name = %s"
    )
    with psycopg.connect(database_url) as holder:
        holder.execute("SET CONSTRAINTS ALL IMMEDIATE")
        holder.execute(insert, (DAY, DAY + timedelta(hours=1), "held open", "Room"))
        with psycopg.connect(database_url, autocommit=True) as other:
            other.execute("SET statement_timeout = '3s'")
            other.execute(insert, (DAY, DAY + timedelta(hours=1), "not held up", "Hall"))
        holder.rollback()
    assert [r.title for r in reservations.list_reservations(venue, resource="Hall")] == [
        "not held up"
    ]


def test_the_log_is_append_only(venue, setup, sql):
    reservations.book(venue, "Room", DAY, DAY + timedelta(hours=1), "A")
    for change in ("UPDATE spaces.events SET actor = 'someone else'", "DELETE FROM spaces.events"):
        with pytest.raises(psycopg.Error):
            sql.execute(change)
    assert len(events.events_since(venue, setup)) == 1


def test_follow_yields_changes_from_other_connections_in_order_then_stops(
    venue, setup, database_url
):
    from spaces_tui.db.connection import Database

    received: list[str] = []
    connected = threading.Event()
    stop = threading.Event()
    follower_db = Database(database_url, "follower")

    def follow() -> None:
        for event in events.follow(
            follower_db, setup, poll_seconds=0.2, on_connect=connected.set, stop=stop
        ):
            received.append(event.payload["title"])
            if len(received) == 3:
                stop.set()

    thread = threading.Thread(target=follow)
    thread.start()
    assert connected.wait(10)
    for hour, title in enumerate(("one", "two", "three")):
        start = DAY + timedelta(hours=2 * hour)
        reservations.book(venue, "Room", start, start + timedelta(hours=1), title)
    thread.join(timeout=10)
    follower_db.dispose()
    assert not thread.is_alive(), "stop ends the follower"
    assert received == ["one", "two", "three"]


def test_follow_survives_a_dropped_connection_and_catches_up(venue, setup, database_url, sql):
    from spaces_tui.db.connection import Database

    received: list[str] = []
    connects = threading.Semaphore(0)
    drops: list[Exception] = []
    stop, both = threading.Event(), threading.Event()
    follower_db = Database(database_url, "follower")

    def follow() -> None:
        # It runs on until the test has seen it reconnect: its poll may read the second change
        # before it notices the drop, and stopping then would leave nothing to reconnect.
        for event in events.follow(
            follower_db,
            setup,
            poll_seconds=0.2,
            on_connect=connects.release,
            on_disconnect=lambda error, _retry: drops.append(error),
            stop=stop,
        ):
            received.append(event.payload["title"])
            if len(received) == 2:
                both.set()

    thread = threading.Thread(target=follow)
    thread.start()
    assert connects.acquire(timeout=60)
    reservations.book(venue, "Room", DAY, DAY + timedelta(hours=1), "before")
    # The server drops the listener (a restart, a network cut), and a change lands meanwhile.
    sql.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE query ILIKE 'LISTEN%%' AND datname = current_database()"
    )
    later = DAY + timedelta(hours=2)
    reservations.book(venue, "Room", later, later + timedelta(hours=1), "during the outage")
    assert connects.acquire(timeout=60), "it reconnects"
    assert both.wait(timeout=60), "it catches up"
    stop.set()
    thread.join(timeout=60)
    follower_db.dispose()
    assert drops, "the drop was reported"
    assert received == ["before", "during the outage"]


def test_follow_says_at_once_when_a_commit_must_wait_for_an_older_transaction(
    venue, setup, database_url
):
    """A screen reloads on a commit even while its event waits for the horizon."""
    from spaces_tui.db.connection import Database

    connected, ahead, stop = threading.Event(), threading.Event(), threading.Event()
    received: list[str] = []
    follower_db = Database(database_url, "follower")

    def follow() -> None:
        for event in events.follow(
            follower_db,
            setup,
            poll_seconds=0.2,
            on_connect=connected.set,
            on_ahead=ahead.set,
            stop=stop,
        ):
            received.append(event.payload["title"])
            stop.set()

    thread = threading.Thread(target=follow)
    thread.start()
    assert connected.wait(10)
    with psycopg.connect(database_url) as older:
        older.execute("SELECT pg_current_xact_id()")  # an open transaction with an id
        reservations.book(venue, "Room", DAY, DAY + timedelta(hours=1), "behind the horizon")
        assert ahead.wait(10), "the follower was told before it could read the event"
        assert received == []
        older.rollback()
    thread.join(timeout=10)
    follower_db.dispose()
    assert received == ["behind the horizon"]
