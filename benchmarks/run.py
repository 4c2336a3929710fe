"""Prints speed figures for Spaces. Not a test: nothing here passes or fails.

    python benchmarks/run.py [--bookings N] [--plain-sql] [--ratios [ratios.py's options]]

Uses a throw-away embedded PostgreSQL in a temporary folder (or SPACES_BENCH_DATABASE_URL, a
maintenance URL of a server where it may create and drop a database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta

import psycopg
import ratios
from common import (
    DAY0,
    PLAIN_INSERT,
    benchmark_server,
    busy_venue,
    calendar_timings,
    fresh_database,
    report,
)

from spaces_tui.db.connection import Database, first_value
from spaces_tui.engine import approvals, insights, reservations, resources, series
from spaces_tui.engine.errors import Conflict


def cli_latency(url: str, runs: int = 7) -> None:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "spaces_tui", "--db", url, "resource", "list"],
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
    report(
        "`spaces resource list`, process start to exit (median)",
        f"{statistics.median(timings) * 1000:.0f} ms",
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    report("  of which a bare Python start-up", f"{(time.perf_counter() - started) * 1000:.0f} ms")


def venue(db: Database, rooms: int) -> list[str]:
    resources.add_resource(db, "Stage", "stage", timezone="UTC")
    names = []
    for index in range(rooms):
        name = f"Area {index}"
        resources.add_resource(db, name, "floor_area", parent="Stage", buffer_minutes=15)
        names.append(name)
    return names


def sequential_bookings(db: Database, names: list[str], count: int) -> None:
    started = time.perf_counter()
    for index in range(count):
        name = names[index % len(names)]
        slot = DAY0 + timedelta(hours=2 * (index // len(names)))
        reservations.book(db, name, slot, slot + timedelta(hours=1), f"booking {index}")
    elapsed = time.perf_counter() - started
    report(
        f"book, one connection ({count} bookings over {len(names)} areas)",
        f"{count / elapsed:.0f} bookings/s",
    )

    busy = names[0]
    timings = []
    for index in range(200):
        slot = DAY0 + timedelta(hours=2 * (index % (count // len(names))), minutes=30)
        started = time.perf_counter()
        found = reservations.check(db, busy, slot, slot + timedelta(hours=1))
        timings.append(time.perf_counter() - started)
        assert found, "the benchmark expects every probe to hit a booking"
    report(
        f"check a busy area ({count // len(names)} bookings on it, {count} in all), median",
        f"{statistics.median(timings) * 1000:.1f} ms",
    )
    risks_on_a_busy_area(db, busy, count // len(names))


def risks_on_a_busy_area(db: Database, busy: str, on_it: int) -> None:
    """The form's live hint: what is in the way and every risk (insights.assess), and the risk
    query alone, in the free hour after each booking (back to back with it, every time)."""
    area = resources.get_resource(db, busy)
    whole, alone = [], []
    for index in range(200):
        slot = DAY0 + timedelta(hours=2 * (index % on_it) + 1, minutes=15)
        end = slot + timedelta(minutes=30)
        started = time.perf_counter()
        found = insights.assess(db, busy, slot, end, headcount=4)
        whole.append(time.perf_counter() - started)
        assert found.bookable and found.risks, "every probe is free and back to back"
        asked = [insights.Asked(area.id, area.timezone, slot, end, 4)]
        started = time.perf_counter()
        insights.booking_risks(db, asked)
        alone.append(time.perf_counter() - started)
    report(
        f"  the form's hint there (conflicts and risks, {on_it} bookings on it), median",
        f"{statistics.median(whole) * 1000:.1f} ms",
    )
    report("  of which the risk query alone, median", f"{statistics.median(alone) * 1000:.1f} ms")


def series_bookings(db: Database) -> None:
    """A year of weekday classes in one go, all or nothing, and the approval queue over them."""
    resources.add_resource(db, "Studio", "room", timezone="Europe/London")
    started = time.perf_counter()
    booked = series.book_series(
        db,
        "Studio",
        "2027-01-04T09:00",
        "+1h",
        "Class",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=260",
    )
    elapsed = time.perf_counter() - started
    report(
        f"book a series of {len(booked.reservations)} occurrences (one transaction)",
        f"{elapsed * 1000:.0f} ms",
    )
    started = time.perf_counter()
    series.preview(db, "Studio", "2027-01-04T10:00", "+1h", "FREQ=DAILY;COUNT=365")
    report(
        "preview a 365-occurrence repeat (the form's hint)",
        f"{(time.perf_counter() - started) * 1000:.0f} ms",
    )
    resources.add_resource(
        db, "Crane", "equipment", timezone="UTC", requires_approval=True, approvers=["boss"]
    )
    series.book_series(db, "Crane", "2027-01-04T09:00", "+1h", "Lift", "FREQ=DAILY;COUNT=300")
    started = time.perf_counter()
    waiting = approvals.pending_requests(db)
    rows = approvals.group_series(waiting)
    report(
        f"load the approval queue ({len(waiting)} pending requests, {len(rows)} row)",
        f"{(time.perf_counter() - started) * 1000:.0f} ms",
    )
    boss = Database(db.url, "boss")
    started = time.perf_counter()
    [outcome] = approvals.decide_many(
        boss, [rows[0].reservation.id], "approve", whole_series={rows[0].reservation.id}
    )
    report(
        f"approve a series of {len(outcome.decided)} as one request (one transaction)",
        f"{(time.perf_counter() - started) * 1000:.0f} ms",
    )
    boss.dispose()


def racing_bookings(url: str, names: list[str], threads: int, per_thread: int) -> None:
    """Every thread books the same slots in the same order: one wins each, the rest conflict."""
    barrier = threading.Barrier(threads)
    wins = [0] * threads
    conflicts = [0] * threads

    def worker(number: int) -> None:
        db = Database(url, f"racer{number}")
        barrier.wait()
        for index in range(per_thread):
            slot = DAY0 + timedelta(days=400, hours=index)
            try:
                reservations.book(
                    db, names[index % len(names)], slot, slot + timedelta(minutes=30), "race"
                )
                wins[number] += 1
            except Conflict:
                conflicts[number] += 1
        db.dispose()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    attempts = threads * per_thread
    report(
        f"{threads} connections racing for the same {per_thread} slots",
        f"{attempts / elapsed:.0f} attempts/s, {sum(wins)} won, {sum(conflicts)} refused",
    )


def plain_sql_writer(
    url: str, resource_ids: list[int], slots: int, offset: int, barrier
) -> Counter:
    """One connection booking slots one commit each, as another module would: plain SQL."""
    tally: Counter = Counter()
    with psycopg.connect(url, autocommit=True) as conn:
        barrier.wait()
        for index in range(slots):
            start = DAY0 + timedelta(days=800 + offset, minutes=30 * index)
            try:
                conn.execute(
                    PLAIN_INSERT,
                    (resource_ids[index % len(resource_ids)], start, start + timedelta(minutes=30)),
                )
                tally["made"] += 1
            except psycopg.errors.ExclusionViolation:
                tally["refused"] += 1
            except psycopg.errors.DeadlockDetected:
                tally["deadlock"] += 1
    return tally


def plain_sql_rates(url: str, per_writer: int = 300) -> None:
    """Plain-SQL bookings a second: one connection; 8 and 16 writers each in a tree of its own
    (nothing in common but the database); 8 and 16 racing for the same slots in one tree."""
    with psycopg.connect(url, autocommit=True) as conn:
        tops = [
            conn.execute(
                "INSERT INTO spaces.resources (name, kind, timezone) VALUES (%s, 'room', 'UTC')"
                " RETURNING id",
                (f"Plain {uuid.uuid4().hex[:6]}",),
            ).fetchone()[0]
            for _ in range(16)
        ]

    def run(writers: int, shared_tree: bool, offset: int) -> tuple[float, Counter]:
        barrier = threading.Barrier(writers + 1)
        results: list[Counter] = []
        pool = [
            threading.Thread(
                target=lambda n=n: results.append(
                    plain_sql_writer(
                        url,
                        [tops[0]] if shared_tree else [tops[n]],
                        per_writer,
                        offset if shared_tree else offset + n,
                        barrier,
                    )
                )
            )
            for n in range(writers)
        ]
        for thread in pool:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in pool:
            thread.join()
        return writers * per_writer / (time.perf_counter() - started), sum(results, Counter())

    rate, _ = run(1, shared_tree=False, offset=0)
    report("plain SQL INSERT, one connection, a commit each", f"{rate:.0f}/s")
    for writers, offset in ((8, 20), (16, 40)):
        rate, tally = run(writers, shared_tree=False, offset=offset)
        report(f"  {writers} writers, a tree each", f"{rate:.0f}/s ({dict(tally)})")
        rate, tally = run(writers, shared_tree=True, offset=offset + 100)
        report(f"  {writers} writers racing in one tree", f"{rate:.0f} attempts/s ({dict(tally)})")


def calendar_latency(db: Database, rooms: int) -> None:
    """The calendar on an 80x24 screen, a week at 30-minute columns over rooms resources: how
    long a key press takes to show, moving the cursor and loading the next week."""
    moves, weeks, _idle = calendar_timings(db)
    report(
        f"calendar, week at 30 min, {rooms} resources: cursor key to screen (median)",
        f"{statistics.median(moves) * 1000:.1f} ms",
    )
    report(
        "  next/previous week: load, lay out, draw (median)",
        f"{statistics.median(weeks) * 1000:.0f} ms",
    )


def figures(server_url: str, args: argparse.Namespace) -> None:
    """The absolute figures, each printed as it is measured."""
    with fresh_database(server_url) as (url, db):
        with db.snapshot() as conn:
            report("server", first_value(conn.execute("SHOW server_version")))
        plain_sql_rates(url)
        if args.plain_sql:
            return
        cli_latency(url)
        names = venue(db, 20)
        sequential_bookings(db, names, args.bookings)
        racing_bookings(url, names, threads=8, per_thread=100)
        series_bookings(db)
    with fresh_database(server_url) as (url, db):
        made = busy_venue(url, rooms=200, days=21)
        report("calendar venue", f"200 rooms, {made} bookings over three weeks")
        calendar_latency(db, 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--plain-sql", action="store_true", help="only the plain-SQL booking rates")
    parser.add_argument(
        "--ratios",
        action="store_true",
        help="then the table of ratios (benchmarks/ratios.py) on the same server;"
        " the options below are its",
    )
    ratios.add_options(parser)
    args = parser.parse_args()
    print(f"Spaces benchmarks, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with benchmark_server() as server_url:
        figures(server_url, args)
        if args.ratios:
            print()
            ratios.run_ratios(server_url, args)


if __name__ == "__main__":
    main()
