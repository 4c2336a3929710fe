"""The real `spaces` program in a real terminal (tmux, 80x24): it opens the calendar, books a
room through the form with its live hint, and shows a booking made elsewhere; it runs without
colour (NO_COLOR), on the Linux console's TERM and on 60x20; and a crash reaches the shell as a
non-zero exit status."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
    """The program in a tmux session on a tmux server of its own, its socket in the test's
    folder: tests running side by side share no server (nor its options, nor its start-up),
    and none touches the user's own tmux."""

    def __init__(self, name: str, socket: Path, status: Path | None = None) -> None:
        self.name = name
        self.socket = socket
        self.status = status

    def tmux(self, *args: str, **run: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], text=True, **run)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys, check=True)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text, check=True)

    def screen(self) -> str:
        return self.tmux(
            "capture-pane", "-p", "-t", self.name, check=True, capture_output=True
        ).stdout

    def running(self) -> bool:
        """Whether the program still runs: its tmux session ends when it exits."""
        found = self.tmux("has-session", "-t", self.name, capture_output=True)
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

    def exit_status(self) -> int:
        """The program's exit status, as its shell saw it, once it has ended."""
        self.wait_for_exit()
        assert self.status is not None and self.status.exists(), "the shell wrote no status"
        return int(self.status.read_text())


def start(
    database_url: str, tmp_path: Path, *, env: str = "", size=(80, 24), program: str = ""
) -> Terminal:
    """The program in a new tmux session. env: variables for the program itself (tmux sets
    TERM in the pane, so a TERM to test is set here); program: what to run instead of
    `python -m spaces_tui`. Its exit status is written to a file when it ends."""
    name = f"spaces-{uuid.uuid4().hex[:8]}"
    status = tmp_path / f"{name}.status"
    program = program or f"{shlex.quote(sys.executable)} -m spaces_tui"
    command = (
        f"env -u SPACES_ASCII {env} {program} --db {shlex.quote(database_url)} --as tester;"
        f" echo $? > {shlex.quote(str(status))}"
    )
    # LINES and COLUMNS would override the pane's size (an xdist worker has them set: 80x24).
    outer = {key: value for key, value in os.environ.items() if key not in ("LINES", "COLUMNS")}
    outer |= {"SPACES_DATA_DIR": str(tmp_path), "TERM": "xterm-256color"}
    width, height = size
    terminal = Terminal(name, tmp_path / f"{name}.tmux", status)
    terminal.tmux(
        "new-session",
        "-d",
        "-s",
        name,
        "-x",
        str(width),
        "-y",
        str(height),
        command,
        check=True,
        env=outer,
    )
    return terminal


def stop(terminal: Terminal) -> None:
    terminal.tmux("kill-server", check=False, capture_output=True)


@pytest.fixture
def demo(database_url: str, db) -> str:
    load_demo(db, today=pendulum.today(local_zone()).date(), zone=local_zone())
    return database_url


@pytest.fixture
def terminal(demo: str, tmp_path) -> Iterator[Terminal]:
    terminal = start(demo, tmp_path, env="TERM=xterm-256color")
    try:
        yield terminal
    finally:
        stop(terminal)


def test_the_calendar_books_with_a_hint_and_shows_other_peoples_bookings(terminal, db, sql):
    terminal.wait_for("22 resources")
    terminal.wait_for("live")
    terminal.type("/")
    # The filter has the focus: its footer shows only "/ Filter".
    terminal.wait_for(lambda screen: "filter: name, kind" in screen and "d Day" not in screen)
    terminal.type("Rehearsal 6")
    terminal.keys("Enter")
    # On 80 columns the line's tail gives way to the counts beside it (the demo has a flagged
    # rehearsal session), so the filter's own words may be cut short.
    terminal.wait_for("1 resource matching")
    # Keys go where the focus is when the app reads them: Home waits until enter has taken the
    # focus back to the calendar, whose footer shows its keys again.
    terminal.wait_for("d Day")
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

    # Book the free hour before it through the form (enter on the free slot: with a filter set,
    # n goes to a booking whose title holds it): the hint says it is free, ctrl+s books.
    terminal.keys("Enter")
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


# Glyphs outside what the Linux console's built-in font holds (the kernel's CP437 map): they
# would be boxes there, so the console's set must not draw them.
NOT_ON_THE_CONSOLE = "⭘┄╱⚐⚑✓✗✕●▸▾⚠"
# What Textual itself draws whatever the app's glyphs (the header's dash, the footer's bar, the
# scrollbar's eighths, the blocks of a dialog's thick border): not from glyphs.py.
TEXTUALS_OWN = set("—▏▁▂▃▄▅▆▇█▀▔▊▎▌▐")
TRACEBACK = ("Traceback", "Error:", "unexpected")


@pytest.mark.parametrize(
    ("env", "size"),
    [
        pytest.param("TERM=xterm-256color NO_COLOR=1", (80, 24), id="no-color"),
        pytest.param("TERM=xterm", (80, 24), id="xterm"),
        pytest.param("TERM=linux", (80, 24), id="linux-console"),
        pytest.param("TERM=vt100", (80, 24), id="vt100"),
        pytest.param("TERM=dumb", (80, 24), id="dumb"),
        pytest.param("TERM=xterm-256color", (60, 20), id="60x20"),
    ],
)
def test_the_calendar_runs_and_quits_cleanly(demo, tmp_path, env, size):
    terminal = start(demo, tmp_path, env=env, size=size)
    try:
        terminal.wait_for("resources")
        terminal.wait_for("live")
        terminal.keys("Right", "Down", "Down", "w")
        terminal.wait_for(lambda screen: " – " in screen or " - " in screen)  # a week's span
        terminal.keys("d", "?")
        terminal.wait_for("move the cursor")
        screen = terminal.screen()
        terminal.keys("Escape")
        terminal.wait_for(lambda screen: "move the cursor" not in screen)
        screen += terminal.screen()
        for sign in TRACEBACK:
            assert sign not in screen
        if "TERM=linux" in env:
            assert not set(NOT_ON_THE_CONSOLE) & set(screen), screen
        if "TERM=vt100" in env or "TERM=dumb" in env:
            assert {char for char in screen if not char.isascii()} <= TEXTUALS_OWN, screen
        terminal.keys("q")
        assert terminal.exit_status() == 0
    finally:
        stop(terminal)


def test_a_crash_reaches_the_shell_as_a_failure(demo, tmp_path):
    # The real program, with the timeline's drawing broken: Textual prints the error and ends
    # the app, and the shell must not be told all went well.
    crashing = (
        "import sys, spaces_tui.tui.timeline as t;"
        " t.Timeline.render_line = lambda self, y: 1 / 0;"
        " from spaces_tui.cli import main; sys.exit(main())"
    )
    program = f"{shlex.quote(sys.executable)} -c {shlex.quote(crashing)}"
    terminal = start(demo, tmp_path, env="TERM=xterm-256color", program=program)
    try:
        assert terminal.exit_status() == 1
    finally:
        stop(terminal)
