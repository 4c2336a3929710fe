"""Prints what booking five resources as one group costs beside booking them one by one, and
what a move costs beside a booking. Not a test: nothing here passes or fails.

    python benchmarks/groups.py [--runs N]

The venue: 50 rooms, each booked three times a day for 60 days (benchmarks/common.py
busy_venue). Each run books a free slot on five rooms: as one group (one transaction: the
group, every tree's turn, one INSERT of five rows), as five single bookings (five
transactions), and moves one single booking by an hour (cancel and book again, linked). Uses
the same server as run.py (a throw-away embedded PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta

from common import DAY0, benchmark_server, busy_venue, fresh_database, print_timings

from spaces_tui.db.connection import Database
from spaces_tui.engine import groups, moves, reservations

ROOMS, DAYS, MEMBERS = 50, 60, 5


def slot(run: int, offset: int) -> tuple[object, object]:
    """A free hour: 07:00 on day run (the venue's bookings start at 09:00), or 21:00."""
    start = DAY0 + timedelta(days=run, hours=7 if offset == 0 else 21)
    return start, start + timedelta(hours=1)


def measures(db: Database) -> dict[str, Callable[[int], object]]:
    names = [f"Room {n}" for n in range(1, MEMBERS + 1)]
    moved: list[int] = []

    def singles(run: int) -> None:
        start, end = slot(run, 1)
        for name in names:
            booked = reservations.book(db, name, start, end, "single")
        moved.append(booked.id)

    def move_one(run: int) -> None:
        booking = moved[run]
        start, end = slot(run, 1)
        moves.move(db, booking, start - timedelta(hours=1), end - timedelta(hours=1))

    return {
        f"{MEMBERS} resources as one group": lambda run: groups.book_group(
            db, names, *slot(run, 0), "group"
        ),
        f"{MEMBERS} single bookings, one after another": singles,
        "a move of one booking by an hour": move_one,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (default 15)")
    args = parser.parse_args()
    with benchmark_server() as server, fresh_database(server) as (url, db):
        bookings = busy_venue(url, ROOMS, DAYS)
        print(f"venue: {ROOMS} rooms, {bookings} bookings")
        print_timings(measures(db), args.runs)


if __name__ == "__main__":
    main()
