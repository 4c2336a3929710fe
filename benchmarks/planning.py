"""Prints what `spaces free` and `spaces find` cost on a busy venue. Not a test: nothing here
passes or fails.

    python benchmarks/planning.py [--runs N]

The venue: 200 rooms, each booked three times a day for 60 days (benchmarks/common.py
busy_venue, 36,000 bookings), ten of them as floor areas of two stages, bookable 09:00-23:00,
with a blackout a week on each stage. Each run asks, for a different day: which of the 200
resources are free for two hours (spaces free: one query over every resource, then the tree
for the answer's order), and the first five stretches in a month when three rooms are free
together for two hours (spaces find), with and without their bookable hours. Uses the same
server as run.py (a throw-away embedded PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta

import psycopg
from common import DAY0, benchmark_server, busy_venue, fresh_database, print_timings

from spaces_tui.db.connection import Database
from spaces_tui.engine import planning

ROOMS, DAYS = 200, 60
HOURS = "'{[540,1380),[1980,2820),[3420,4260),[4860,5700),[6300,7140),[7740,8580),[9180,10020)}'"


def furnish(url: str) -> None:
    """Two stages over rooms 1-5 and 6-10, bookable hours for all, weekly blackouts on stages."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone)"
            " VALUES ('Stage A', 'stage', 'UTC'), ('Stage B', 'stage', 'UTC')"
        )
        conn.execute(
            "UPDATE spaces.resources SET kind = 'floor_area', parent_id = (SELECT id FROM"
            " spaces.resources s WHERE s.name = CASE WHEN spaces.resources.name ~ '^Room [1-5]$'"
            " THEN 'Stage A' ELSE 'Stage B' END)"
            " WHERE name ~ '^Room ([1-9]|10)$'"
        )
        conn.execute(f"UPDATE spaces.resources SET bookable_week = {HOURS}")
        conn.execute(
            "INSERT INTO spaces.blackouts (resource_id, during, reason, kind)"
            " SELECT r.id, tstzrange(%s + w * interval '7 days' + interval '6 hours',"
            "                        %s + w * interval '7 days' + interval '8 hours'),"
            "        'inspection', 'maintenance'"
            " FROM spaces.resources r, generate_series(0, %s / 7) w WHERE r.kind = 'stage'",
            (DAY0, DAY0, DAYS),
        )


def measures(db: Database) -> dict[str, Callable[[int], object]]:
    three = ["Room 11", "Room 12", "Room 13"]

    def day(run: int) -> object:
        return DAY0 + timedelta(days=run % 28, hours=12)

    return {
        f"free: {ROOMS + 2} resources, 2h": lambda run: planning.free_resources(
            db, day(run), day(run) + timedelta(hours=2), zone="UTC"
        ),
        "find: 3 rooms together, 2h, in a month": lambda run: planning.find_times(
            db, three, timedelta(hours=2), start=day(run), end=day(run) + timedelta(days=28)
        ),
        "find: the same within their hours": lambda run: planning.find_times(
            db,
            three,
            timedelta(hours=2),
            start=day(run),
            end=day(run) + timedelta(days=28),
            within_hours=True,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25, help="timed runs of each (default 25)")
    args = parser.parse_args()
    with benchmark_server() as server, fresh_database(server) as (url, db):
        bookings = busy_venue(url, ROOMS, DAYS)
        furnish(url)
        print(f"venue: {ROOMS} rooms (10 of them areas of 2 stages), {bookings} bookings")
        print_timings(measures(db), args.runs)


if __name__ == "__main__":
    main()
