"""The promise itself: many real connections racing overlapping writes, then plain SQL that does
not trust the app (nor the claims table) proves no overlap got through."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from invariants import assert_the_promise_holds

from spaces_tui.db.connection import Database
from spaces_tui.engine import reservations, resources
from spaces_tui.engine.errors import Conflict

DAY = datetime(2027, 3, 1, tzinfo=UTC)
RACERS = 10
ATTEMPTS = 40  # per racer


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Stage", "stage", timezone="UTC")
    for area in ("Left", "Centre", "Right"):
        resources.add_resource(db, area, "floor_area", parent="Stage")
    resources.add_resource(db, "Downstage", "floor_area", parent="Centre")
    resources.add_resource(db, "Room", "room", timezone="UTC", buffer_minutes=30)
    return db


def _ids(sql) -> dict[str, int]:
    return dict(sql.execute("SELECT name, id FROM spaces.resources").fetchall())


def _race(database_url: str, ids: dict[str, int], seed: int, barrier, outcomes: Counter) -> None:
    rng = random.Random(seed)
    names = list(ids)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT set_config('spaces.actor', %s, false)", (f"racer{seed}",))
        barrier.wait()
        for attempt in range(ATTEMPTS):
            start = DAY + timedelta(minutes=15 * rng.randrange(0, 40))
            end = start + timedelta(minutes=15 * rng.randrange(1, 12))
            target = ids[rng.choice(names)]
            is_blackout = rng.random() < 0.15
            try:
                if is_blackout:
                    conn.execute(
                        "INSERT INTO spaces.blackouts (resource_id, during, reason)"
                        " VALUES (%s, tstzrange(%s, %s), %s)",
                        (target, start, end, f"hold {seed}.{attempt}"),
                    )
                else:
                    conn.execute(
                        "INSERT INTO spaces.reservations (resource_id, during, title)"
                        " VALUES (%s, tstzrange(%s, %s), %s)",
                        (target, start, end, f"race {seed}.{attempt}"),
                    )
                outcomes["blackout made" if is_blackout else "booking made"] += 1
            except psycopg.errors.ExclusionViolation:
                outcomes["refused"] += 1
            except psycopg.errors.DeadlockDetected:
                # Two conflicting inserts checked each other at once; PostgreSQL cancelled one.
                outcomes["refused"] += 1
                outcomes["deadlock"] += 1
            except Exception as error:  # anything else is a failure of the rules
                outcomes[f"unexpected {type(error).__name__}: {error}"] += 1


def test_racing_connections_never_get_an_overlap_past_the_database(venue, database_url, sql):
    ids = _ids(sql)
    barrier = threading.Barrier(RACERS)
    outcomes: Counter = Counter()
    threads = [
        threading.Thread(target=_race, args=(database_url, ids, seed, barrier, outcomes))
        for seed in range(RACERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    unexpected = [key for key in outcomes if key.startswith("unexpected")]
    assert not unexpected, unexpected
    assert outcomes["booking made"] > 10, outcomes
    assert outcomes["refused"] > 50, f"the race was not a race: {outcomes}"
    # Writes into one tree take turns (sql/rules/tree_turns.sql), so racers get a plain refusal,
    # never a deadlock.
    assert outcomes["deadlock"] == 0, outcomes

    # No overlap on a resource, up or down the tree, or with an active blackout; turnovers
    # held; and the claims are exactly what the committed rows imply.
    assert_the_promise_holds(sql)


def test_engine_racers_get_one_winner_and_conflicts_that_name_it(venue, database_url):
    barrier = threading.Barrier(8)
    won, lost = [], []

    def book(number: int) -> None:
        db = Database(database_url, f"engine{number}")
        try:
            barrier.wait()
            won.append(reservations.book(db, "Left", DAY, DAY + timedelta(hours=1), "mine"))
        except Conflict as conflict:
            lost.append(conflict)
        finally:
            db.dispose()

    threads = [threading.Thread(target=book, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 7
    for conflict in lost:
        assert [o.id for o in conflict.obstacles] == [won[0].id]
        assert conflict.obstacles[0].who == won[0].booked_by


@pytest.mark.slow
def test_racing_spaces_processes_one_wins(venue, database_url, sql, tmp_path):
    env = {**os.environ, "SPACES_DATA_DIR": str(tmp_path)}
    env.pop("SPACES_DATABASE_URL", None)
    command = [sys.executable, "-m", "spaces_tui", "--db", database_url]
    slot = ["Room", "2027-03-02T10:00", "+1h", "--title", "race", "--json"]
    racers = [
        subprocess.Popen(
            [*command, "--as", f"p{n}", "book", *slot],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    codes = sorted(racer.wait(timeout=120) for racer in racers)
    for racer in racers:
        racer.stdout.close()
        racer.stderr.close()
    assert codes == [0, 3, 3, 3, 3, 3]
    assert sql.execute(
        "SELECT count(*) FROM spaces.reservations WHERE status IN ('pending', 'confirmed')"
    ).fetchone() == (1,)


def test_a_deadlock_between_racers_is_a_retryable_conflict_not_a_lost_connection(
    venue, database_url
):
    """Two transactions that each write into the tree the other is writing into: PostgreSQL
    cancels one (40P01). The engine must call that a lost race, which book() retries."""
    from spaces_tui.engine.errors import translate

    first, second = (psycopg.connect(database_url) for _ in range(2))
    ten, eleven = DAY + timedelta(hours=10), DAY + timedelta(hours=11)
    insert = (
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " SELECT id, tstzrange(%s, %s), 'x' FROM spaces.resources WHERE name = %s"
    )
    caught: list[psycopg.Error] = []

    def cross(conn: psycopg.Connection, other_room: str) -> None:
        try:
            conn.execute(insert, (ten, eleven, other_room))
        except psycopg.errors.DeadlockDetected as error:
            caught.append(error)
        finally:
            conn.rollback()

    try:
        first.execute(insert, (ten, eleven, "Room"))
        second.execute(insert, (ten, eleven, "Left"))
        waiting = threading.Thread(target=cross, args=(first, "Left"))
        waiting.start()
        cross(second, "Room")
        waiting.join()
    finally:
        first.close()
        second.close()
    assert len(caught) == 1
    translated = translate(caught[0])
    assert isinstance(translated, Conflict) and translated.retryable
