"""Prints how long the utilization report takes over a venue of 200 resources and a year of
bookings. Not a test: nothing here passes or fails (the target: the default report well under
a second).

    python benchmarks/utilization.py [--runs N]

The venue: 20 stages with 4 floor areas each, 60 rooms, 20 trucks and 20 kits (200 resources),
in three zones, with three kinds of bookable week. A year of bookings from YEAR_START: every
area, room, truck and kit twice on most days, every stage whole on Sundays (when its areas are
free, so the tree's rule holds), one booking in five pending, and a blackout of an hour on most
weekday evenings of each area. Uses the same server as run.py (a throw-away embedded
PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta

import psycopg
from common import benchmark_server, fresh_database

from spaces_tui.db.connection import Database
from spaces_tui.engine.utilization import heat_map, utilization_report

YEAR_START = date(2026, 1, 5)  # a Monday
DAYS = 364
LAST_DAY = YEAR_START + timedelta(days=DAYS - 1)
ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo")
WEEKS = (
    "{[0,10080)}",  # round the clock
    "{" + ",".join(f"[{d * 1440 + 540},{d * 1440 + 1020})" for d in range(5)) + "}",  # 9-5, Mon-Fri
    "{" + ",".join(f"[{d * 1440 + 600},{d * 1440 + 1380})" for d in range(7)) + "}",  # 10-23 daily
)

VENUE = """
INSERT INTO spaces.resources (name, kind, timezone, bookable_week)
SELECT 'Stage ' || n, 'stage', (%(zones)s::text[])[1 + n %% 3],
       (%(weeks)s::text[])[1 + n %% 3]::int4multirange
  FROM generate_series(1, 20) n;
INSERT INTO spaces.resources (name, kind, timezone, bookable_week, parent_id)
SELECT s.name || ' area ' || a, 'floor_area', s.timezone, s.bookable_week, s.id
  FROM spaces.resources s, generate_series(1, 4) a WHERE s.kind = 'stage';
INSERT INTO spaces.resources (name, kind, timezone, bookable_week)
SELECT kind || ' ' || n, kind, (%(zones)s::text[])[1 + n %% 3],
       (%(weeks)s::text[])[1 + (n / 3) %% 3]::int4multirange
  FROM (SELECT 'room' AS kind, generate_series(1, 60) AS n
        UNION ALL SELECT 'vehicle', generate_series(1, 20)
        UNION ALL SELECT 'equipment', generate_series(1, 20)) AS made;
"""

# Wall-clock times in each resource's zone: day d from YEAR_START, at hour h for length hours.
_AT = "((%(start)s::date + d)::timestamp + make_interval(hours => {h})) AT TIME ZONE r.timezone"

BOOKINGS = f"""
INSERT INTO spaces.reservations (resource_id, during, status, title)
SELECT r.id, tstzrange({_AT.format(h="h")}, {_AT.format(h="h + length")}, '[)'),
       CASE WHEN (r.id + d + h) %% 5 = 0 THEN 'pending' ELSE 'confirmed' END, 'bench'
  FROM spaces.resources r, generate_series(0, %(days)s - 1) d,
       (VALUES (9, 3), (14, 4)) AS slot (h, length)
 WHERE r.kind <> 'stage' AND d %% 7 <> 6 AND (r.id * 7 + d * 3 + h) %% 4 <> 0;
INSERT INTO spaces.reservations (resource_id, during, status, title)
SELECT r.id, tstzrange({_AT.format(h="10")}, {_AT.format(h="22")}, '[)'), 'confirmed', 'bench'
  FROM spaces.resources r, generate_series(0, %(days)s - 1) d
 WHERE r.kind = 'stage' AND d %% 7 = 6;
INSERT INTO spaces.blackouts (resource_id, during, reason)
SELECT r.id, tstzrange({_AT.format(h="19")}, {_AT.format(h="20")}, '[)'), 'cleaning'
  FROM spaces.resources r, generate_series(0, %(days)s - 1) d
 WHERE r.kind = 'floor_area' AND d %% 7 < 5 AND (r.id + d) %% 3 <> 0;
"""


def build(url: str) -> tuple[int, int, int]:
    """The venue and its year; returns (resources, reservations, blackouts)."""
    params = {"zones": list(ZONES), "weeks": list(WEEKS), "start": YEAR_START, "days": DAYS}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET spaces.actor = 'bench'")
        # One statement at a time: a statement with parameters is prepared, and holds one.
        for statement in (VENUE + BOOKINGS).split(";")[:-1]:
            conn.execute(statement, params)
        conn.execute("VACUUM ANALYZE")
        counted = conn.execute(
            "SELECT (SELECT count(*) FROM spaces.resources),"
            " (SELECT count(*) FROM spaces.reservations),"
            " (SELECT count(*) FROM spaces.blackouts)"
        ).fetchone()
    assert counted is not None
    return counted


def median_ms(runs: int, measure: Callable[[], object]) -> tuple[float, float, float]:
    """Median, fastest and slowest of runs timings, in milliseconds (one warm-up first)."""
    measure()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        measure()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), min(timings), max(timings)


def measures(db: Database) -> dict[str, Callable[[], object]]:
    year = {"start": YEAR_START, "end": LAST_DAY}
    return {
        "default report (by resource, 4 weeks)": lambda: utilization_report(db, today=LAST_DAY),
        "by resource, the whole year": lambda: utilization_report(db, **year),
        "by kind, the whole year": lambda: utilization_report(db, by="kind", **year),
        "by day, 4 weeks": lambda: utilization_report(db, by="day", today=LAST_DAY),
        "by day, the whole year": lambda: utilization_report(db, by="day", **year),
        "by weekday, the whole year": lambda: utilization_report(db, by="weekday", **year),
        "by hour, 4 weeks": lambda: utilization_report(db, by="hour", today=LAST_DAY),
        "by hour, the whole year": lambda: utilization_report(db, by="hour", **year),
        "heat map of one stage, the whole year": lambda: heat_map(
            db, "Stage 1", YEAR_START, LAST_DAY
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    args = parser.parse_args()
    with benchmark_server() as server, fresh_database(server) as (url, db):
        started = time.perf_counter()
        resources, bookings, blackouts = build(url)
        print(
            f"venue: {resources} resources, {bookings} reservations, {blackouts} blackouts,"
            f" {YEAR_START} to {LAST_DAY} (built in {time.perf_counter() - started:.0f}s)"
        )
        print(f"{'':42} {'median':>9} {'min':>9} {'max':>9}   ({args.runs} runs)")
        for what, measure in measures(db).items():
            median, fastest, slowest = median_ms(args.runs, measure)
            print(f"{what:42} {median:7.0f}ms {fastest:7.0f}ms {slowest:7.0f}ms")


if __name__ == "__main__":
    main()
