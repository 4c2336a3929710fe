"""The real `spaces` program in a real terminal (tmux, 80x24): it opens the calendar, books a
room through the form with its live hint, and shows a booking made elsewhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator

import pendulum
import psycopg
import pytest

from spaces_tui.engine import reservations
from spaces_tui.engine.demo import load_demo
from spaces_tui.engine.times import local_zone

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


# Seconds a wait for the screen may take: far beyond what the program needs even on a loaded
# machine (starting Python, Textual and a database connection included), so only a hang fails.
PATIENCE = 60.0


class Terminal:
    def __init__(self, name: str) -> None:
        self.name = name

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def running(self) -> bool:
        """Whether the program still runs: its tmux session ends when it exits."""
        found = subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True)
        return found.returncode == 0

    def wait_for(self, wanted: str | Callable[[str], bool], timeout: float = PATIENCE) -> str:
        test = wanted if callable(wanted) else (lambda screen: wanted in screen)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if test(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"not on screen after {timeout}s: {wanted!r}\n{self.screen()}")

    def wait_for_exit(self, timeout: float = PATIENCE) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return
            time.sleep(0.1)
        raise AssertionError(f"still running after {timeout}s:\n{self.screen()}")


@pytest.fixture
def terminal(database_url: str, db, tmp_path) -> Iterator[Terminal]:
    load_demo(db, today=pendulum.today(local_zone()).date(), zone=local_zone())
    name = f"spaces-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "SPACES_DATA_DIR": str(tmp_path), "TERM": "xterm-256color"}
    command = f"{sys.executable} -m spaces_tui --db '{database_url}' --as tester"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command],
        check=True,
        env=env,
    )
    try:
        yield Terminal(name)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, capture_output=True)


def test_the_calendar_books_with_a_hint_and_shows_other_peoples_bookings(terminal, db, sql):
    terminal.wait_for("22 resources")
    terminal.wait_for("live")
    terminal.type("/")
    terminal.wait_for("filter: name or kind")
    terminal.type("Rehearsal 6")
    terminal.keys("Enter")
    # On 80 columns the line's tail gives way to the counts beside it (the demo has a flagged
    # rehearsal session), so the filter's own words may be cut short.
    terminal.wait_for("1 resource matching")
    terminal.keys("Home")
    terminal.wait_for("Resource    00:00")

    # Someone else books in plain SQL: it appears by itself.
    midnight = pendulum.today(local_zone())
    sql.execute("SET spaces.actor = 'someone-else'")
    sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " SELECT id, tstzrange(%s, %s), 'Night rigging' FROM spaces.resources"
        " WHERE name = 'Rehearsal 6'",
        (midnight.add(hours=1), midnight.add(hours=3)),
    )
    terminal.wait_for("Night rig")

    # Book the free hour before it through the form: the hint says it is free, ctrl+s books.
    terminal.keys("n")
    terminal.wait_for("New booking")
    terminal.wait_for("free:")
    terminal.type("Cue-to-cue")
    terminal.keys("C-s")
    terminal.wait_for(lambda screen: "New booking" not in screen)
    booked = reservations.list_reservations(db, resource="Rehearsal 6", start=midnight, end="+1h")
    assert [(b.title, b.booked_by) for b in booked] == [("Cue-to-cue", "tester")]
    terminal.wait_for("Cue-to-cue")

    terminal.keys("q")
    # q quits: the program ends, and with it the tmux session (a capture of the screen after
    # that would fail, so the test waits for the end itself).
    terminal.wait_for_exit()


def test_a_plain_pipe_gets_help_not_a_calendar(database_url):
    done = subprocess.run(
        [sys.executable, "-m", "spaces_tui", "--db", database_url],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0
    assert "usage: spaces" in done.stdout
    assert "open the calendar" in done.stdout
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM spaces.resources").fetchone() == (0,)
