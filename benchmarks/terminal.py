"""Times the real `spaces` program in a real terminal (tmux, 80x24) over a busy venue.

    python benchmarks/terminal.py [--launches N] [--inserts N] [--rooms N] [--days N]
                                  [--program COMMAND ...]

Two figures, each as the median and min-max over its runs:

- launch to first screen: from the moment `tmux new-session` is started with the program to the
  first capture of the pane that shows a resource's name row (a warm-up launch first, not
  counted, so that compiling the bytecode is not timed);
- SQL elsewhere to screen: with the calendar open on a day of the venue, a reservation inserted
  in plain SQL on another connection (autocommit: the commit is included), into a free hour on
  a resource in view, until a capture shows its title.

The pane is captured every ~5 ms (`tmux capture-pane`, itself a few ms a capture: the figures
are that coarse). Every wait has a timeout; the tmux server, on a socket of its own, is killed at
the end. Uses the same server as run.py (a throw-away embedded PostgreSQL, or
SPACES_BENCH_DATABASE_URL) and the venue of run.py's calendar figures (busy_venue). --program,
given more than once, times several programs (say two checkouts) turn about on one server.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
from common import DAY0, PLAIN_INSERT, benchmark_server, busy_venue, fresh_database, report

POLL_SECONDS = 0.005
PATIENCE = 30.0  # seconds any one wait may take before the run is given up as hung
SIZE = (80, 24)
NAME_ROW = re.compile(r"^\s*(Room \d+)\b", re.MULTILINE)
# The day the calendar is moved to for the live figure: a weekday of the venue (UTC).
LIVE_DAY = DAY0 + timedelta(days=2)
# Free hours of that day (busy_venue books 9-11, 13-15 and 18-20), all in view from 00:00.
LIVE_SLOTS = [(0, 2), (2, 4), (4, 6), (6, 8)]


class Hung(RuntimeError):
    """A wait ran out of patience: what the pane showed is in the message."""


class Tmux:
    """A tmux server on a socket of its own (never the user's), killed by close()."""

    def __init__(self) -> None:
        self.socket = f"spaces-bench-{uuid.uuid4().hex[:8]}"
        # A session that only keeps the server up, so no launch pays for starting tmux itself.
        self.run("new-session", "-d", "-s", "keeper", "-x", "80", "-y", "24", "sleep 86400")
        self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=PATIENCE,
        )
        return done.stdout

    def new_session(self, name: str, command: str, where: str) -> None:
        """command in a new session, started in the folder where (not this checkout: `python -m`
        would import the spaces_tui beside it first, whatever --program says)."""
        width, height = SIZE
        size = ["-x", str(width), "-y", str(height)]
        self.run("new-session", "-d", "-s", name, "-c", where, *size, command)

    def capture(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)

    def keys(self, name: str, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", name, *(["-l"] if literal else []), *keys)

    def has_session(self, name: str) -> bool:
        found = subprocess.run(
            ["tmux", "-L", self.socket, "has-session", "-t", name],
            capture_output=True,
            timeout=PATIENCE,
        )
        return found.returncode == 0

    def wait_for(self, name: str, test, what: str, started: float | None = None) -> float:
        """Polls the pane until test(capture) holds; seconds from started (or from the call)
        to the capture that showed it."""
        started = time.perf_counter() if started is None else started
        deadline = time.perf_counter() + PATIENCE
        screen = ""
        while time.perf_counter() < deadline:
            try:
                screen = self.capture(name)
            except subprocess.CalledProcessError as error:  # its session ended with it
                raise Hung(f"the program ended before showing {what}\n{screen}") from error
            if test(screen):
                return time.perf_counter() - started
            time.sleep(POLL_SECONDS)
        raise Hung(f"not on screen after {PATIENCE:.0f}s: {what}\n{screen}")

    def quit(self, name: str) -> None:
        """q, and the session's end (it ends with the program); killed if it does not."""
        self.run("send-keys", "-t", name, "q", check=False)  # it may have ended by itself
        deadline = time.perf_counter() + PATIENCE
        while time.perf_counter() < deadline:
            if not self.has_session(name):
                return
            time.sleep(0.05)
        self.run("kill-session", "-t", name, check=False)

    def close(self) -> None:
        self.run("kill-server", check=False)
        if self.socket_path:  # tmux leaves the socket's file behind
            Path(self.socket_path).unlink(missing_ok=True)


@contextmanager
def tmux_server():
    if shutil.which("tmux") is None:
        sys.exit("benchmarks/terminal.py needs tmux")
    tmux = Tmux()
    try:
        yield tmux
    finally:
        tmux.close()


def spaces_program() -> str:
    """The installed `spaces` script beside this Python, else the module."""
    script = Path(sys.executable).parent / "spaces"
    program = [str(script)] if script.exists() else [sys.executable, "-m", "spaces_tui"]
    return " ".join(shlex.quote(part) for part in program)


def command_line(url: str, data_dir: str, program: str) -> str:
    env = {
        "SPACES_DATABASE_URL": url,
        "SPACES_DATA_DIR": data_dir,
        "SPACES_ACTOR": "bench",
        "SPACES_TZ": "UTC",
        "TERM": "xterm-256color",
    }
    assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    return f"env -u SPACES_ASCII {assignments} {program}"


def shows_names(screen: str) -> bool:
    return NAME_ROW.search(screen) is not None


def launch_times(
    tmux: Tmux, url: str, runs: int, data_dir: str, programs: list[str]
) -> dict[str, list[float]]:
    """Seconds from starting a program in a new tmux session to a name row on screen, runs
    launches of each program, turn about (the order turning each round), after one warm-up
    launch of each."""
    timings: dict[str, list[float]] = {program: [] for program in programs}
    for number in range(runs + 1):
        turn = number % len(programs)
        for index, program in enumerate(programs[turn:] + programs[:turn]):
            name = f"launch-{number}-{index}"
            started = time.perf_counter()
            tmux.new_session(name, command_line(url, data_dir, program), data_dir)
            try:
                seconds = tmux.wait_for(name, shows_names, "a resource's name row", started)
            finally:
                tmux.quit(name)
            if number > 0:
                timings[program].append(seconds)
    return timings


def live_times(
    tmux: Tmux, url: str, inserts: int, data_dir: str, program: str, day: int = 0
) -> list[float]:
    """Seconds from a plain-SQL insert on another connection to its title on screen, for
    inserts bookings, each on a resource in view at a free hour of the day shown (LIVE_DAY,
    or day days after it: each session its own)."""
    name = f"live-{day}"
    live_day = LIVE_DAY + timedelta(days=day)
    tmux.new_session(name, command_line(url, data_dir, program), data_dir)
    try:
        tmux.wait_for(name, shows_names, "a resource's name row")
        tmux.wait_for(name, lambda s: "live" in s.splitlines()[0], "the header's 'live'")
        tmux.keys(name, "g")
        tmux.wait_for(name, lambda s: "Go to date" in s, "the go-to-date prompt")
        typed = live_day.date().isoformat()
        tmux.keys(name, "C-u")
        tmux.wait_for(name, lambda s: "YYYY-MM-DD, or" in s, "the prompt emptied")
        tmux.keys(name, typed, literal=True)
        tmux.wait_for(name, lambda s: typed in s, "the date typed")
        tmux.keys(name, "Enter")
        tmux.wait_for(name, lambda s: live_day.strftime("%-d %b %Y") in s, "the venue's day")
        tmux.keys(name, "Home")
        tmux.wait_for(name, lambda s: re.search(r"Resource\s+00:00", s), "the day from 00:00")
        rooms = NAME_ROW.findall(tmux.capture(name))
        capacity = len(rooms) * len(LIVE_SLOTS)
        if inserts > capacity:
            raise SystemExit(f"--inserts: at most {capacity} fit in view")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT set_config('spaces.actor', 'elsewhere', false)")
            ids = dict(
                conn.execute(
                    "SELECT name, id FROM spaces.resources WHERE name = ANY(%s)", (rooms,)
                ).fetchall()
            )
            timings = []
            for number in range(inserts):
                room = rooms[number % len(rooms)]
                begin, end = LIVE_SLOTS[number // len(rooms)]
                title = f"Live {number:02d}"
                period = (live_day + timedelta(hours=begin), live_day + timedelta(hours=end))
                insert = PLAIN_INSERT.replace("'plain'", "%s")
                started = time.perf_counter()
                conn.execute(insert, (ids[room], *period, title))
                timings.append(tmux.wait_for(name, lambda s, t=title: t in s, title, started))
                time.sleep(0.2)  # the reload's leftovers (the awaiting counts) settle first
        return timings
    finally:
        tmux.quit(name)


def figures(values: list[float]) -> str:
    ms = [value * 1000 for value in values]
    return f"{statistics.median(ms):.0f} ms median, {min(ms):.0f}-{max(ms):.0f} over {len(ms)}"


def measure(
    url: str,
    launches: int,
    inserts: int,
    programs: list[str] | None = None,
    first_day: int = 0,
) -> dict[str, tuple[list[float], list[float]]]:
    """Both figures' timings for each program (default: spaces_program()), on a database
    holding the venue already: the launches turn about, and the bookings in two sessions of
    each program, turn about (one program's calendar open at a time), each session on a day of
    its own from first_day after LIVE_DAY (a second call on the same database: a later one)."""
    programs = programs or [spaces_program()]
    live: dict[str, list[float]] = {program: [] for program in programs}
    with tempfile.TemporaryDirectory() as data_dir, tmux_server() as tmux:
        launch = launch_times(tmux, url, launches, data_dir, programs) if launches else {}
        sessions = 2 if inserts > 1 else inserts
        for number in range(sessions * len(programs)):
            program = programs[(number + number // len(programs)) % len(programs)]
            share = inserts // sessions + (inserts % sessions if number < len(programs) else 0)
            live[program] += live_times(tmux, url, share, data_dir, program, day=first_day + number)
    return {program: (launch.get(program, []), live[program]) for program in programs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=10, help="timed launches (10)")
    parser.add_argument("--inserts", type=int, default=20, help="timed plain-SQL bookings (20)")
    parser.add_argument("--rooms", type=int, default=200, help="the venue's rooms (200)")
    parser.add_argument("--days", type=int, default=21, help="days booked from DAY0 (21)")
    parser.add_argument(
        "--program",
        action="append",
        help="a command line to time instead of the spaces beside this Python, say another"
        " checkout's: 'env PYTHONPATH=/path/to/other/checkout .venv/bin/python -m spaces_tui'."
        " Given more than once, the programs are timed turn about on the same server",
    )
    args = parser.parse_args()
    with benchmark_server() as server_url, fresh_database(server_url) as (url, db):
        db.dispose()
        bookings = busy_venue(url, rooms=args.rooms, days=args.days)
        timings = measure(url, args.launches, args.inserts, args.program)
    where = f"{args.rooms} resources, {bookings} bookings, tmux {SIZE[0]}x{SIZE[1]}"
    print(f"Spaces in a terminal ({where}, {os.cpu_count()} cores)")
    for program, (launch, live) in timings.items():
        print(program)
        if launch:
            report("  launch to first screen with names", figures(launch))
        if live:
            report("  SQL elsewhere to screen (plain INSERT, autocommit)", figures(live))


if __name__ == "__main__":
    main()
