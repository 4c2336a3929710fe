"""Prints what a feed request costs (`spaces serve`, engine/interop/serve.py) on a busy venue.
Not a test: nothing here passes or fails.

    python benchmarks/feeds.py [--rooms N] [--days N] [--runs N]

The venue: 20 rooms, each booked three times a day for 40 days from today (2,400 bookings, all
inside the feed's rolling window). The server runs in a thread on 127.0.0.1; each request is a
new HTTP connection from urllib, as a phone's poll would be. Three figures, median of --runs:
a fetch after a change (a booking made since the client's ETag: the full export is built and
sent), a fetch with nothing new (If-None-Match matches: 304 from one small query) and one with
nothing new from a client that sends no ETag (200 with the export kept since the change). Uses the
same server as run.py (a throw-away embedded PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import psycopg
from common import benchmark_server, fresh_database

from spaces_tui.engine.interop import feeds
from spaces_tui.engine.interop.serve import FeedServer, serve


def furnish(url: str, rooms: int, days: int) -> int:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone)"
            " SELECT 'Room ' || n, 'room', 'Europe/London' FROM generate_series(1, %s) n",
            (rooms,),
        )
        return conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT r.id, tstzrange(%s + d * interval '1 day' + h * interval '1 hour',"
            "                        %s + d * interval '1 day' + (h + 2) * interval '1 hour'),"
            "        'Rehearsal ' || r.id"
            " FROM spaces.resources r, generate_series(0, %s - 1) d, unnest(ARRAY[9, 13, 18]) h",
            (today, today, days),
        ).rowcount


def fetch(url: str, tag: str | None) -> tuple[int, str, int]:
    request = urllib.request.Request(url, headers={"If-None-Match": tag} if tag else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.headers["ETag"], len(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["ETag"], len(error.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--runs", type=int, default=7, help="timed fetches of each (default 7)")
    args = parser.parse_args()
    with benchmark_server() as server, fresh_database(server) as (url, db):
        bookings = furnish(url, args.rooms, args.days)
        _feed, key = feeds.add_feed(db, "all", feeds.make_filters())
        http = FeedServer(db, "127.0.0.1", 0, rate=100_000)
        stop = threading.Event()
        thread = threading.Thread(target=serve, args=(http, stop), daemon=True)
        thread.start()
        feed_url = f"{http.url}/feeds/all.ics?key={key}"
        try:
            status, tag, size = fetch(feed_url, None)  # warms the connections and icalendar
            assert status == 200, status
            changed, unchanged, kept = [], [], []
            with psycopg.connect(url, autocommit=True) as conn:
                for run in range(args.runs):
                    conn.execute(  # a change: one more booking (and its event)
                        "INSERT INTO spaces.reservations (resource_id, during, title)"
                        " SELECT id, tstzrange(now() + %s * interval '1 hour',"
                        "                      now() + (%s + 1) * interval '1 hour'),"
                        "        'change' FROM spaces.resources WHERE name = 'Room 1'",
                        (24 * (args.days + 1) + run, 24 * (args.days + 1) + run),
                    )
                    started = time.perf_counter()
                    status, tag, size = fetch(feed_url, tag)
                    changed.append((time.perf_counter() - started) * 1000)
                    assert status == 200, status
                    started = time.perf_counter()
                    status, _, _ = fetch(feed_url, tag)
                    unchanged.append((time.perf_counter() - started) * 1000)
                    assert status == 304, status
                    started = time.perf_counter()
                    status, _, _ = fetch(feed_url, None)
                    kept.append((time.perf_counter() - started) * 1000)
                    assert status == 200, status
        finally:
            stop.set()
            thread.join(timeout=10)
        print(f"venue: {args.rooms} rooms, {bookings} bookings; feed {size:,} bytes")
        print(f"{'':40} {'median':>9} {'min':>9} {'max':>9}   ({args.runs} runs)")
        for what, timings in (
            ("after a change: 200, the whole export", changed),
            ("nothing new: 304 (If-None-Match)", unchanged),
            ("nothing new, no ETag: 200, kept export", kept),
        ):
            median = statistics.median(timings)
            print(f"{what:40} {median:7.1f}ms {min(timings):7.1f}ms {max(timings):7.1f}ms")


if __name__ == "__main__":
    main()
