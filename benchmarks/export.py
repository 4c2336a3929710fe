"""Prints what `spaces export ical` costs for a year of a busy venue. Not a test: nothing here
passes or fails.

    python benchmarks/export.py [--runs N]

The venue: 200 rooms in three time zones (Europe/London, America/New_York, UTC), each booked
for two hours every weekday of 2027 (52,200 bookings, each with its created event; one in ten
then cancelled, so those have two). Each run exports the whole year with --status all (every
booking a VEVENT, a VTIMEZONE per zone): the query with its event counts, building the icalendar
Calendar and writing its bytes. Uses the same server as run.py (a throw-away embedded
PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import psycopg
from common import benchmark_server, fresh_database, timed

from spaces_tui.engine.interop.ical import export_ical
from spaces_tui.engine.reservations import STATUSES

ROOMS = 200
YEAR = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
ZONES = ("Europe/London", "America/New_York", "UTC")


def furnish(url: str) -> int:
    """The rooms and their bookings; returns how many bookings."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone)"
            " SELECT 'Room ' || n, 'room', (%s::text[])[1 + n %% 3]"
            " FROM generate_series(1, %s) n",
            (list(ZONES), ROOMS),
        )
        booked = conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT r.id, tstzrange(d + interval '10 hours', d + interval '12 hours'),"
            "        'Rehearsal ' || r.id"
            " FROM spaces.resources r, generate_series(%s::timestamptz, %s::timestamptz"
            "      - interval '1 day', interval '1 day') d"
            " WHERE extract(isodow FROM d) < 6",
            YEAR,
        ).rowcount
        conn.execute(
            "UPDATE spaces.reservations SET status = 'cancelled', cancel_reason = 'bench'"
            " WHERE id % 10 = 0"
        )
        return booked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    args = parser.parse_args()
    with benchmark_server() as server, fresh_database(server) as (url, db):
        bookings = furnish(url)
        with psycopg.connect(url) as conn:
            events = conn.execute("SELECT count(*) FROM spaces.events").fetchone()
        print(f"venue: {ROOMS} rooms in {len(ZONES)} zones, {bookings} bookings in 2027,")
        print(f"       {events[0] if events else 0} events in the log")
        sizes: list[int] = []

        def export(run: int) -> None:
            done = export_ical(db, start=YEAR[0], end=YEAR[1], statuses=STATUSES)
            sizes.append(len(done.data))

        median, fastest, slowest = timed(args.runs, export)
        print(f"{'':46} {'median':>9} {'min':>9} {'max':>9}   ({args.runs} runs)")
        print(
            f"{'export ical: the whole year, --status all':46}"
            f" {median:7.0f}ms {fastest:7.0f}ms {slowest:7.0f}ms"
        )
        print(f"{bookings / median * 1000:,.0f} events/s; {sizes[0] / 1e6:.1f} MB of .ics")


if __name__ == "__main__":
    main()
