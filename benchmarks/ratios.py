"""Prints the performance targets as ratios, each measured turn about within one run.

    python benchmarks/ratios.py [--rounds N] [--inserts N] [--bulk N] [--race-slots N]
                                [--small N] [--large N] [--cli-runs N]

Each ratio sets a numerator against a denominator measured in the same round, one after the
other (the order turning each round), so whatever else the machine is doing hits both alike;
the table shows the median ratio over the rounds and its min-max. Nothing passes or fails: a
row that misses its target says so in the last column. Uses the same server as run.py (a
throw-away embedded PostgreSQL, or SPACES_BENCH_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from common import (
    DAY0,
    PLAIN_INSERT,
    benchmark_server,
    busy_venue,
    calendar_timings,
    fresh_database,
)

from spaces_tui.db.connection import Database
from spaces_tui.engine import reservations, resources
from spaces_tui.engine.errors import Conflict

# The tables the rules are set against: no constraint at all, and the GiST exclusion alone.
REFERENCE_TABLES = """
CREATE SCHEMA bench;
CREATE TABLE bench.plain (resource_id bigint NOT NULL, during tstzrange NOT NULL);
CREATE TABLE bench.gist (
    resource_id bigint NOT NULL,
    during tstzrange NOT NULL,
    EXCLUDE USING gist (resource_id WITH =, during WITH &&)
);
CREATE TABLE bench.naive (resource_id bigint NOT NULL, during tstzrange NOT NULL);
"""


@dataclass
class Row:
    what: str
    ratios: list[float]  # one a round
    target: str
    meets: Callable[[float], bool]
    raw: str

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)


def turn_about(rounds: int, measures: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Each measure once a round, the order turning by one each round; their figures by name."""
    names = list(measures)
    figures: dict[str, list[float]] = {name: [] for name in names}
    for number in range(rounds):
        turn = number % len(names)
        for name in names[turn:] + names[:turn]:
            figures[name].append(measures[name]())
    return figures


def ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f} ms"


class Slots:
    """Periods that never meet: each call gives the next half hour on a table's own line."""

    def __init__(self, days_from_day0: int) -> None:
        self.start = DAY0 + timedelta(days=days_from_day0)
        self.taken = 0

    def next(self) -> tuple:
        begins = self.start + timedelta(minutes=30 * self.taken)
        self.taken += 1
        return begins, begins + timedelta(minutes=30)


def room(db: Database, name: str) -> int:
    return resources.add_resource(db, name, "room", timezone="UTC").id


def single_commits(url: str, db: Database, rounds: int, count: int) -> list[Row]:
    """Rows 1 and 2: one booking a commit on one connection, four ways, turn about."""
    book_room, sql_room = room(db, "Booked room"), room(db, "Plain-SQL room")
    lines = {name: Slots(days) for name, days in (("book", 0), ("sql", 0), ("ref", 0))}
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SELECT set_config('spaces.actor', 'bench', false)")

    def per_call(step: Callable[[], object]) -> float:
        started = time.perf_counter()
        for _ in range(count):
            step()
        return (time.perf_counter() - started) / count

    def book() -> float:
        def step() -> None:
            begins, ends = lines["book"].next()
            reservations.book(db, book_room, begins, ends, "booked")

        return per_call(step)

    def plain_sql() -> float:
        return per_call(lambda: conn.execute(PLAIN_INSERT, (sql_room, *lines["sql"].next())))

    def into(table: str) -> Callable[[], float]:
        sql = f"INSERT INTO bench.{table} (resource_id, during) VALUES (1, tstzrange(%s, %s))"
        return lambda: per_call(lambda: conn.execute(sql, lines["ref"].next()))

    seconds = turn_about(
        rounds,
        {"book": book, "sql": plain_sql, "gist": into("gist"), "plain": into("plain")},
    )
    conn.close()
    book_s, sql_s, gist_s, plain_s = (seconds[k] for k in ("book", "sql", "gist", "plain"))
    added = [a - g for a, g in zip(sql_s, gist_s, strict=True)]
    return [
        Row(
            "1. book() ÷ plain-SQL INSERT, one connection, a commit each (per s)",
            ratios(sql_s, book_s),
            "≥ 0.8",
            lambda r: r >= 0.8,
            f"book {ms(book_s)}, SQL {ms(sql_s)} each",
        ),
        Row(
            "2. plain-SQL INSERT into spaces.reservations ÷ into a table with no constraint",
            ratios(plain_s, sql_s),
            "≥ 0.6",
            lambda r: r >= 0.6,
            f"spaces {ms(sql_s)}, no constraint {ms(plain_s)} each",
        ),
        Row(
            "   reference: GiST exclusion only ÷ no constraint",
            ratios(plain_s, gist_s),
            "-",
            lambda r: True,
            f"GiST only {ms(gist_s)} each",
        ),
        Row(
            "   the rules' added time a booking: spaces - GiST only (ms, not a ratio)",
            [a * 1000 for a in added],
            "-",
            lambda r: True,
            f"{statistics.median(added) * 1000:.2f} ms a booking",
        ),
    ]


def one_transaction(url: str, db: Database, rounds: int, count: int) -> list[Row]:
    """Row 3: count rows in one transaction (one executemany), spaces against GiST only."""
    bulk_room = room(db, "Bulk room")
    spaces_line, gist_line = Slots(3000), Slots(3000)

    def load(sql: str, rows: Callable[[], list[tuple]], actor: bool) -> Callable[[], float]:
        def measure() -> float:
            params = rows()
            with psycopg.connect(url) as conn:
                started = time.perf_counter()
                if actor:
                    conn.execute("SELECT set_config('spaces.actor', 'bench', true)")
                with conn.cursor() as cur:
                    cur.executemany(sql, params)
                conn.commit()
                return count / (time.perf_counter() - started)

        return measure

    per_s = turn_about(
        rounds,
        {
            "spaces": load(
                PLAIN_INSERT,
                lambda: [(bulk_room, *spaces_line.next()) for _ in range(count)],
                actor=True,
            ),
            "gist": load(
                "INSERT INTO bench.gist (resource_id, during) VALUES (2, tstzrange(%s, %s))",
                lambda: [gist_line.next() for _ in range(count)],
                actor=False,
            ),
        },
    )
    return [
        Row(
            f"3. {count} rows in one transaction: spaces.reservations ÷ GiST only (rows/s)",
            ratios(per_s["spaces"], per_s["gist"]),
            "≥ 0.35",
            lambda r: r >= 0.35,
            f"spaces {statistics.median(per_s['spaces']):.0f} rows/s,"
            f" GiST only {statistics.median(per_s['gist']):.0f} rows/s",
        )
    ]


def race(threads: int, setup: Callable[[int], object], attempt: Callable[[int], None]) -> float:
    """threads workers, each made ready by setup(n), then all at once attempt(n, slot) for the
    same slots in the same order; seconds from the start to the last one done."""
    barrier = threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        try:
            setup(number)
        finally:
            barrier.wait()
        try:
            attempt(number)
        except BaseException as error:  # shown after the race, not lost in a thread
            failures.append(error)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return elapsed


def racing(url: str, db: Database, rounds: int, slots: int) -> list[Row]:
    """Row 4: 8 and 16 connections booking the same slots: engine book (a Conflict is a
    finished attempt) against a naive check-then-insert into a table with no constraint."""
    return [row for threads in (8, 16) for row in race_row(url, db, rounds, slots, threads)]


def race_row(url: str, db: Database, rounds: int, slots: int, threads: int) -> list[Row]:
    name = f"Race {threads}"
    race_room = room(db, name)
    sql_room = room(db, f"{name} in SQL")
    naive_id = 1000 + threads
    taken = {"spaces": 0, "sql": 0, "naive": 0}

    def slot_of(base: int, index: int) -> tuple:
        begins = DAY0 + timedelta(days=5000 + threads * 100 + base, hours=index)
        return begins, begins + timedelta(minutes=30)

    def spaces_round() -> float:
        base = taken["spaces"]
        taken["spaces"] += 1
        dbs: dict[int, Database] = {}

        def setup(n: int) -> None:
            dbs[n] = Database(url, f"racer{n}")
            with dbs[n].transaction():
                pass  # the connection is made before the race starts

        def attempt(n: int) -> None:
            for index in range(slots):
                begins, ends = slot_of(base, index)
                with contextlib.suppress(Conflict):  # refused: a finished attempt too
                    reservations.book(dbs[n], name, begins, ends, "race")

        elapsed = race(threads, setup, attempt)
        for each in dbs.values():
            each.dispose()
        return threads * slots / elapsed

    def sql_round() -> float:
        """The same race in plain SQL into spaces.reservations (every rule): what the database
        itself costs a racer, without the engine."""
        base = taken["sql"]
        taken["sql"] += 1
        conns: dict[int, psycopg.Connection] = {}

        def setup(n: int) -> None:
            conns[n] = psycopg.connect(url, autocommit=True)
            conns[n].execute("SELECT set_config('spaces.actor', %s, false)", (f"racer{n}",))

        def attempt(n: int) -> None:
            for index in range(slots):
                with contextlib.suppress(psycopg.errors.ExclusionViolation):
                    conns[n].execute(PLAIN_INSERT, (sql_room, *slot_of(base, index)))

        elapsed = race(threads, setup, attempt)
        for conn in conns.values():
            conn.close()
        return threads * slots / elapsed

    def naive_round() -> float:
        base = taken["naive"]
        taken["naive"] += 1
        conns: dict[int, psycopg.Connection] = {}

        def setup(n: int) -> None:
            conns[n] = psycopg.connect(url)  # READ COMMITTED, the default

        def attempt(n: int) -> None:
            conn = conns[n]
            for index in range(slots):
                period = slot_of(base, index)
                found = conn.execute(
                    "SELECT 1 FROM bench.naive WHERE resource_id = %s"
                    " AND during && tstzrange(%s, %s) LIMIT 1",
                    (naive_id, *period),
                ).fetchone()
                if found is None:
                    conn.execute(
                        "INSERT INTO bench.naive (resource_id, during)"
                        " VALUES (%s, tstzrange(%s, %s))",
                        (naive_id, *period),
                    )
                conn.commit()

        elapsed = race(threads, setup, attempt)
        for conn in conns.values():
            conn.close()
        return threads * slots / elapsed

    per_s = turn_about(rounds, {"spaces": spaces_round, "sql": sql_round, "naive": naive_round})
    with psycopg.connect(url, autocommit=True) as conn:
        naive_doubled = conn.execute(
            "SELECT count(*) FROM (SELECT during FROM bench.naive WHERE resource_id = %s"
            " GROUP BY during HAVING count(*) > 1) s",
            (naive_id,),
        ).fetchone()[0]
        spaces_doubled, spaces_made = doubled_and_made(conn, race_room)
        sql_doubled, sql_made = doubled_and_made(conn, sql_room)
    assert spaces_doubled == 0, f"Spaces double-booked {spaces_doubled} pairs"
    assert sql_doubled == 0, f"plain SQL into Spaces double-booked {sql_doubled} pairs"
    return [
        Row(
            f"4. {threads} connections racing for {slots} slots: book ÷ naive (attempts/s)",
            ratios(per_s["spaces"], per_s["naive"]),
            "≥ 0.8, 0 doubled",
            lambda r: r >= 0.8,
            f"spaces {statistics.median(per_s['spaces']):.0f}/s"
            f" ({spaces_made} won of {rounds * slots}, double-booked {spaces_doubled}),"
            f" naive {statistics.median(per_s['naive']):.0f}/s"
            f" (double-booked {naive_doubled} of {rounds * slots} slots)",
        ),
        Row(
            f"   reference: plain-SQL INSERT into spaces.reservations, {threads} racing ÷ naive",
            ratios(per_s["sql"], per_s["naive"]),
            "-",
            lambda r: True,
            f"plain SQL {statistics.median(per_s['sql']):.0f}/s ({sql_made} won,"
            f" double-booked {sql_doubled})",
        ),
    ]


def doubled_and_made(conn: psycopg.Connection, room_id: int) -> tuple[int, int]:
    """How many pairs of active bookings on room_id overlap (must be 0), and how many it has."""
    doubled = conn.execute(
        "SELECT count(*) FROM spaces.reservations a JOIN spaces.reservations b"
        " ON a.resource_id = b.resource_id AND a.id < b.id AND a.during && b.during"
        " WHERE a.resource_id = %s"
        " AND spaces.is_active_status(a.status) AND spaces.is_active_status(b.status)",
        (room_id,),
    ).fetchone()[0]
    made = conn.execute(
        "SELECT count(*) FROM spaces.reservations WHERE resource_id = %s", (room_id,)
    ).fetchone()[0]
    return doubled, made


def cli_start(url: str, rounds: int, runs: int) -> list[Row]:
    """Row 5: `spaces resource list`, start to exit, against a bare `python -c pass`."""

    def timed(command: list[str]) -> Callable[[], float]:
        def measure() -> float:
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                subprocess.run(command, check=True, capture_output=True)
                timings.append(time.perf_counter() - started)
            return statistics.median(timings)

        return measure

    seconds = turn_about(
        rounds,
        {
            "spaces": timed([sys.executable, "-m", "spaces_tui", "--db", url, "resource", "list"]),
            "python": timed([sys.executable, "-c", "pass"]),
            "driver": timed([sys.executable, "-c", "import psycopg"]),
        },
    )
    return [
        Row(
            "5. `spaces resource list` start to exit ÷ `python -c pass` (times as long)",
            ratios(seconds["spaces"], seconds["python"]),
            "≤ 6x",
            lambda r: r <= 6,
            f"spaces {ms(seconds['spaces'])}, python {ms(seconds['python'])}"
            f" (median of {runs} a round)",
        ),
        Row(
            "   reference: `python -c 'import psycopg'` ÷ `python -c pass`: the driver alone",
            ratios(seconds["driver"], seconds["python"]),
            "-",
            lambda r: True,
            f"import psycopg {ms(seconds['driver'])}",
        ),
    ]


def load_venue(url: str, count: int, rooms: int) -> tuple[int, list[int]]:
    """count reservations over rooms rooms, three a day each (9-11, 13-15, 17-19) from DAY0, in
    one INSERT ... SELECT (every rule fires); the bookings a room has, and the rooms' ids."""
    per_room = -(-count // rooms)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO spaces.resources (name, kind, timezone)"
            " SELECT 'Room ' || n, 'room', 'UTC' FROM generate_series(1, %s) n",
            (rooms,),
        )
        conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT r.id, tstzrange(%(day0)s + (k / 3) * interval '1 day'"
            "                        + (9 + 4 * (k %% 3)) * interval '1 hour',"
            "                        %(day0)s + (k / 3) * interval '1 day'"
            "                        + (11 + 4 * (k %% 3)) * interval '1 hour'), 'Load'"
            " FROM spaces.resources r, generate_series(0, %(per)s - 1) k"
            " ORDER BY k, r.id LIMIT %(count)s",
            {"day0": DAY0, "per": per_room, "count": count},
        )
        conn.execute("ANALYZE")
        ids = [row[0] for row in conn.execute("SELECT id FROM spaces.resources ORDER BY id")]
    return per_room, ids


def conflict_check(server_url: str, rounds: int, small: int, large: int, probes: int) -> list[Row]:
    """Row 6: spaces.check_reservation_conflict on a database of large reservations against one
    of small, each probe meeting one booking on a room picked at random."""
    rooms = 100
    with (
        fresh_database(server_url) as (small_url, small_db),
        fresh_database(server_url) as (large_url, large_db),
    ):
        started = time.perf_counter()
        per_small, small_ids = load_venue(small_url, small, rooms)
        per_large, large_ids = load_venue(large_url, large, rooms)
        load_s = time.perf_counter() - started
        small_db.dispose()
        large_db.dispose()
        conns = {
            "small": psycopg.connect(small_url, autocommit=True),
            "large": psycopg.connect(large_url, autocommit=True),
        }
        shape = {"small": (per_small, small_ids), "large": (per_large, large_ids)}

        def per_call(size: str) -> Callable[[], float]:
            per_room, ids = shape[size]
            conn = conns[size]

            def measure() -> float:
                pick = random.Random(7)  # the same probes, in the same order, each round
                timings = []
                for _ in range(probes):
                    k = pick.randrange(per_room)
                    begins = DAY0 + timedelta(days=k // 3, hours=10 + 4 * (k % 3))
                    started = time.perf_counter()
                    found = conn.execute(
                        "SELECT * FROM spaces.check_reservation_conflict"
                        "(%s, tstzrange(%s, %s), NULL)",
                        (ids[pick.randrange(len(ids))], begins, begins + timedelta(hours=1)),
                    ).fetchall()
                    timings.append(time.perf_counter() - started)
                    assert found, "every probe should meet a booking"
                return statistics.median(timings)

            return measure

        seconds = turn_about(rounds, {"large": per_call("large"), "small": per_call("small")})
        for conn in conns.values():
            conn.close()
    return [
        Row(
            f"6. check_reservation_conflict at {large} reservations ÷ at {small} (latency)",
            ratios(seconds["large"], seconds["small"]),
            "≤ 1.5",
            lambda r: r <= 1.5,
            f"{ms(seconds['large'])} at {large}, {ms(seconds['small'])} at {small}"
            f" (median of {probes} a round; both loaded in {load_s:.0f} s)",
        )
    ]


def calendar_cursor(server_url: str, rounds: int) -> list[Row]:
    """Row 7: a cursor key on the calendar over 200 resources, as run.py drives it, against
    its 16 ms target; and the real program in tmux (terminal.py) on the same venue: launch to
    the first screen with names, and a plain-SQL booking from elsewhere to the screen (absolute
    figures: nothing to set them against turn about). Each round takes the median of its own."""
    from terminal import measure as in_terminal  # benchmarks/terminal.py

    with fresh_database(server_url) as (url, db):
        busy_venue(url, rooms=200, days=21)
        medians, idle, launches, live = [], [], [], []
        for number in range(rounds):
            moves, _weeks, unbound = calendar_timings(db)
            medians.append(statistics.median(moves) * 1000)
            idle.append(statistics.median(unbound) * 1000)
            # Two sessions a round, each booking into a day of its own.
            timed = in_terminal(url, TERMINAL_LAUNCHES, TERMINAL_INSERTS, first_day=2 * number)
            [(launch, inserts)] = timed.values()
            launches.append(statistics.median(launch))
            live.append(statistics.median(inserts) * 1000)
    return [
        Row(
            "7. calendar cursor key to screen, 200 resources, headless 80x24 (ms)",
            medians,
            "≤ 16 ms",
            lambda r: r <= 16,
            f"median of 50 keys a round (run.py's drive); of which the headless driver:"
            f" {statistics.median(idle):.1f} ms (a key bound to nothing)",
        ),
        Row(
            "7. launch to first screen with names, tmux 80x24, 200 resources (s)",
            launches,
            "≤ 0.5 s",
            lambda r: r <= 0.5,
            f"`spaces` in tmux, median of {TERMINAL_LAUNCHES} launches a round (terminal.py)",
        ),
        Row(
            "7. plain-SQL booking on another connection to screen, tmux 80x24 (ms)",
            live,
            "≤ 100 ms",
            lambda r: r <= 100,
            f"median of {TERMINAL_INSERTS} bookings a round, each in view (terminal.py)",
        ),
    ]


# The real program's figures a round (benchmarks/terminal.py): launches, and bookings made
# elsewhere while it shows their day.
TERMINAL_LAUNCHES = 3
TERMINAL_INSERTS = 5


def print_table(version: str, rounds: int, rows: list[Row]) -> None:
    print(
        f"Spaces ratios, PostgreSQL {version}, {os.cpu_count()} cores: each ratio is the median"
        f" over {rounds} interleaved rounds (min-max shown)"
    )
    print("| what | ratio | min-max | target | met | raw figures |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        if row.ratios:
            figure = f"{row.median:.2f}"
            spread = f"{min(row.ratios):.2f}-{max(row.ratios):.2f}"
            met = "-" if row.target == "-" else ("yes" if row.meets(row.median) else "NO")
        else:
            figure = spread = met = "-"
        print(f"| {row.what} | {figure} | {spread} | {row.target} | {met} | {row.raw} |")


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--inserts", type=int, default=200, help="single commits a round (200)")
    parser.add_argument("--bulk", type=int, default=2000, help="rows in one transaction (2000)")
    parser.add_argument("--race-slots", type=int, default=20, help="slots a race round (20)")
    parser.add_argument("--cli-runs", type=int, default=3, help="CLI starts a round (3)")
    parser.add_argument("--small", type=int, default=1000, help="small venue's bookings (1000)")
    parser.add_argument(
        "--large",
        type=int,
        default=50_000,
        help="large venue's bookings (50000: every rule fires as they load, about 1000 rows/s"
        " on 2 cores, so 1000000 takes a quarter of an hour)",
    )
    parser.add_argument("--probes", type=int, default=200, help="conflict checks a round (200)")
    parser.add_argument("--no-tui", action="store_true", help="leave out the calendar row")


def run_ratios(server_url: str, args: argparse.Namespace) -> None:
    rows: list[Row] = []
    with fresh_database(server_url) as (url, db):
        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            conn.execute(REFERENCE_TABLES)
        rows += single_commits(url, db, args.rounds, args.inserts)
        rows += one_transaction(url, db, args.rounds, args.bulk)
        rows += racing(url, db, args.rounds, args.race_slots)
        rows += cli_start(url, args.rounds, args.cli_runs)
    rows += conflict_check(server_url, args.rounds, args.small, args.large, args.probes)
    if not args.no_tui:
        rows += calendar_cursor(server_url, args.rounds)
    print_table(version, args.rounds, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    args = parser.parse_args()
    with benchmark_server() as server_url:
        run_ratios(server_url, args)


if __name__ == "__main__":
    main()
