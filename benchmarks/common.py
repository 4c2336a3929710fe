"""What benchmarks/run.py and benchmarks/ratios.py share: a throw-away server, a fresh
database on it, how a figure is printed, the calendar venue and the headless calendar drive."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from spaces_tui.db import embedded, migrations
from spaces_tui.db.connection import Database

DAY0 = datetime(2027, 1, 4, tzinfo=UTC)

PLAIN_INSERT = (
    "INSERT INTO spaces.reservations (resource_id, during, title)"
    " VALUES (%s, tstzrange(%s, %s), 'plain')"
)


@contextmanager
def benchmark_server():
    given = os.environ.get("SPACES_BENCH_DATABASE_URL")
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory() as folder:
        pgdata = Path(folder) / "pgdata"
        pgdata.mkdir()
        os.chmod(folder, 0o755)
        server = embedded._package().get_server(pgdata, cleanup_mode="delete")
        try:
            yield embedded.socket_url(server.get_postmaster_info().socket_dir, "postgres")
        finally:
            server.cleanup()


@contextmanager
def fresh_database(server_url: str):
    name = f"spaces_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url, "bench")
    migrations.upgrade_database(db.connect)
    try:
        yield url, db
    finally:
        db.dispose()
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def report(label: str, value: str) -> None:
    print(f"{label:<58} {value}")


def busy_venue(url: str, rooms: int, days: int) -> int:
    """rooms rooms, each booked three times a day for days days from DAY0; returns bookings."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone)"
            " SELECT 'Room ' || n, 'room', 'UTC' FROM generate_series(1, %s) n",
            (rooms,),
        )
        return conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT r.id, tstzrange(%s + d * interval '1 day' + h * interval '1 hour',"
            "                        %s + d * interval '1 day' + (h + 2) * interval '1 hour'),"
            "        'Rehearsal ' || r.id"
            " FROM spaces.resources r, generate_series(0, %s - 1) d, unnest(ARRAY[9, 13, 18]) h"
            " WHERE r.name LIKE 'Room %%'",
            (DAY0, DAY0, days),
        ).rowcount


def calendar_timings(db: Database) -> tuple[list[float], list[float], list[float]]:
    """The calendar on an 80x24 screen, a week at 30-minute columns, driven headless: seconds
    from each cursor key to the screen updated, from each next/previous week key to the week
    loaded, laid out and drawn, and from a key nothing binds to the app idle again (what the
    headless driver itself costs a key: the cursor's own share is the difference)."""
    import asyncio

    import pendulum

    from spaces_tui.tui.app import SpacesApp

    def clock(zone: str) -> pendulum.DateTime:
        return pendulum.instance(DAY0 + timedelta(days=2, hours=11)).in_timezone(zone)

    async def drive() -> tuple[list[float], list[float], list[float]]:
        app = SpacesApp(db, zone="UTC", clock=clock, listen=False)
        moves, weeks, idle = [], [], []
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("w", "z")
            await app.workers.wait_for_complete()
            await pilot.pause()
            for key in ["down", "right"] * 25:
                started = time.perf_counter()
                await pilot.press(key)
                moves.append(time.perf_counter() - started)
            for key in ["right_square_bracket", "left_square_bracket"] * 3:
                started = time.perf_counter()
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                weeks.append(time.perf_counter() - started)
            for _ in range(25):
                started = time.perf_counter()
                await pilot.press("f12")  # bound to nothing
                idle.append(time.perf_counter() - started)
        return moves, weeks, idle

    return asyncio.run(drive())


def timed(runs: int, measure: Callable[[int], object]) -> tuple[float, float, float]:
    """Median, fastest and slowest of runs calls, in ms; each call is given its run number."""
    timings = []
    for run in range(runs):
        started = time.perf_counter()
        measure(run)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), min(timings), max(timings)


def print_timings(measures: dict[str, Callable[[int], object]], runs: int) -> None:
    """A line per measure: its median, fastest and slowest of runs runs."""
    print(f"{'':46} {'median':>9} {'min':>9} {'max':>9}   ({runs} runs)")
    for what, measure in measures.items():
        median, fastest, slowest = timed(runs, measure)
        print(f"{what:46} {median:7.1f}ms {fastest:7.1f}ms {slowest:7.1f}ms")
