"""The embedded PostgreSQL server, driven as a user drives it: real `spaces` processes with
SPACES_DATA_DIR set to a folder of their own and no SPACES_DATABASE_URL. Every server started here
is stopped again, whatever happens in the test."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from spaces_tui.config import load_settings
from spaces_tui.db import migrations
from spaces_tui.db.open import open_database
from spaces_tui.engine import resources

pytestmark = [pytest.mark.embedded, pytest.mark.slow]

CREATING = "Creating the embedded PostgreSQL database"
STARTING = "Starting the embedded PostgreSQL server"
TIMEOUT = 120


def environment(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SPACES_DATABASE_URL"}
    env["SPACES_DATA_DIR"] = str(data_dir)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "spaces_tui", *args]


def spaces(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args),
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def pgdata(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        first_line = (pgdata(data_dir) / "postmaster.pid").read_text().splitlines()[0]
        return int(first_line)
    except (OSError, IndexError, ValueError):
        return None


def connects(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def is_our_postmaster(pid: int, data_dir: Path) -> bool:
    """Whether pid is still the server of data_dir (a stale postmaster.pid names another)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return str(pgdata(data_dir)) in cmdline


def stop_server(data_dir: Path) -> None:
    """`spaces db stop`; should that fail, a fast shutdown of the postmaster this test started."""
    try:
        spaces(data_dir, "db", "stop")
    finally:
        pid = postmaster_pid(data_dir)
        if pid is not None and is_our_postmaster(pid, data_dir):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown


@contextlib.contextmanager
def server_stopped_afterwards(data_dir: Path) -> Iterator[Path]:
    try:
        yield data_dir
    finally:
        stop_server(data_dir)


@dataclass
class Shared:
    data_dir: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One data folder for the module: its first two commands are run here, so the tests that
    look at them do not depend on the order tests run in. The server is left running for the
    other tests (a test that stops it starts it again) and stopped at the end."""
    data_dir = tmp_path_factory.mktemp("embedded")
    with server_stopped_afterwards(data_dir):
        first = spaces(data_dir, "resource", "list")
        second = spaces(data_dir, "resource", "list")
        yield Shared(data_dir, first, second)


@pytest.fixture
def fresh_data_dir(tmp_path: Path) -> Iterator[Path]:
    data_dir = tmp_path / "spaces-data"
    data_dir.mkdir()
    with server_stopped_afterwards(data_dir):
        yield data_dir


def url_of(data_dir: Path) -> str:
    done = spaces(data_dir, "db", "url")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return lines[0]


# --- first use, and later uses --------------------------------------------------------------


def test_the_first_command_creates_and_starts_the_database(shared):
    first = shared.first
    assert first.returncode == 0, first.stderr
    assert f"{CREATING} in {pgdata(shared.data_dir)} (first run only)" in first.stderr
    assert "Setting up the Spaces schema" in first.stderr
    assert CREATING not in first.stdout, "announcements belong on stderr"
    assert "No resources yet" in first.stdout
    assert (pgdata(shared.data_dir) / "PG_VERSION").exists()


def test_a_second_command_reuses_the_running_server(shared):
    second = shared.second
    assert second.returncode == 0, second.stderr
    assert CREATING not in second.stderr
    assert STARTING not in second.stderr
    assert "Setting up the Spaces schema" not in second.stderr
    assert second.stderr == "", "a later call has nothing to announce"
    assert second.stdout == shared.first.stdout


# --- db url, db status ----------------------------------------------------------------------


def test_db_url_connects_to_the_spaces_database(shared):
    url = url_of(shared.data_dir)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("spaces",)
        assert conn.execute("SELECT version_num FROM spaces.alembic_version").fetchall() == [
            (migrations.HEAD,)
        ]


def test_the_server_listens_on_a_socket_in_the_data_folder_only(shared):
    with psycopg.connect(url_of(shared.data_dir)) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        (socket_dirs,) = conn.execute("SHOW unix_socket_directories").fetchone()
    for socket_dir in socket_dirs.split(","):
        assert Path(socket_dir.strip()).resolve().is_relative_to(shared.data_dir.resolve())


def test_db_status_names_the_folder_the_server_and_the_revision(shared):
    done = spaces(shared.data_dir, "db", "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert f"database:  embedded PostgreSQL in {pgdata(shared.data_dir)}" in lines
    assert any(line.startswith("server:    PostgreSQL 18") for line in lines), lines
    assert f"schema:    {migrations.HEAD} (up to date)" in lines


# --- two processes at once ------------------------------------------------------------------


def test_two_processes_at_the_same_moment_share_one_server(fresh_data_dir):
    env = environment(fresh_data_dir)
    racers = [
        subprocess.Popen(
            command("resource", "list"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        results = [racer.communicate(timeout=TIMEOUT) for racer in racers]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.kill()
                racer.wait()

    assert [racer.returncode for racer in racers] == [0, 0], results
    assert "No resources yet" in results[0][0]
    assert results[0][0] == results[1][0], results
    pid_files = list(fresh_data_dir.rglob("postmaster.pid"))
    assert pid_files == [pgdata(fresh_data_dir) / "postmaster.pid"]
    pid = postmaster_pid(fresh_data_dir)
    assert pid is not None
    os.kill(pid, 0)  # the one postmaster is alive

    url = url_of(fresh_data_dir)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT pg_backend_pid() <> 0").fetchone() == (True,)
        assert conn.execute("SELECT version_num FROM spaces.alembic_version").fetchall() == [
            (migrations.HEAD,)
        ]
    assert postmaster_pid(fresh_data_dir) == pid, "db url started another server"


# --- db stop --------------------------------------------------------------------------------


def test_stop_then_stop_again_then_a_command_starts_it_without_initdb(shared):
    data_dir = shared.data_dir
    added = spaces(data_dir, "resource", "add", "Rehearsal Room 1", "--kind", "room")
    assert added.returncode == 0, added.stderr
    url = url_of(data_dir)
    pg_version = (pgdata(data_dir) / "PG_VERSION").stat()

    stopped = spaces(data_dir, "db", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout == f"Stopped the embedded server in {pgdata(data_dir)}.\n"
    assert not (pgdata(data_dir) / "postmaster.pid").exists()
    assert not connects(url)

    again = spaces(data_dir, "db", "stop")
    assert again.returncode == 0, again.stderr
    assert again.stdout == "The embedded server was not running.\n"

    restarted = spaces(data_dir, "resource", "list")
    assert restarted.returncode == 0, restarted.stderr
    assert STARTING in restarted.stderr
    assert CREATING not in restarted.stderr, "initdb ran again"
    assert "Setting up the Spaces schema" not in restarted.stderr
    assert "Rehearsal Room 1" in restarted.stdout, "the data survived the stop"
    after = (pgdata(data_dir) / "PG_VERSION").stat()
    assert (after.st_ino, after.st_mtime_ns) == (pg_version.st_ino, pg_version.st_mtime_ns)
    assert connects(url_of(data_dir))


def test_db_stop_with_a_server_url_is_bad_input(server_url, tmp_path):
    data_dir = tmp_path / "untouched"
    data_dir.mkdir()
    with server_stopped_afterwards(data_dir):
        done = spaces(data_dir, "--db", server_url, "db", "stop")
        assert done.returncode == 2, done
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert "nothing to stop" in done.stderr
        assert list(data_dir.iterdir()) == [], "no embedded server was made"
        assert connects(server_url), "the server named by URL still runs"


# --- a server that stops under a running program ----------------------------------------------


def listening(url: str) -> bool:
    """Whether some session of the server is listening for events (a follower is in place)."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE query ILIKE 'LISTEN %'"
            ).fetchone()
    except psycopg.OperationalError:
        return False
    return row is not None


def wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.1)


def test_events_follow_starts_the_stopped_server_again_and_goes_on(shared):
    data_dir = shared.data_dir
    url = url_of(data_dir)
    follower = subprocess.Popen(
        command("events", "--follow"),
        env=environment(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: queue.Queue[str] = queue.Queue()
    err: list[str] = []
    threading.Thread(
        target=lambda: [out.put(line) for line in follower.stdout], daemon=True
    ).start()
    threading.Thread(target=lambda: err.extend(follower.stderr), daemon=True).start()
    try:
        wait_for(lambda: listening(url), "the follower to listen")
        stopped = spaces(data_dir, "db", "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert "still open starts it again" in stopped.stderr

        # Nothing but the follower runs: it is what starts the server again.
        wait_for(lambda: "connected again; catching up\n" in err, f"the follower: {err}")
        assert connects(url), "the follower started the server again"
        assert follower.poll() is None, err
        assert err[0].startswith("lost the database (") and len(err) == 2, err

        added = spaces(data_dir, "resource", "add", "Truck 9", "--kind", "vehicle")
        assert added.returncode == 0, added.stderr
        line = out.get(timeout=30)
        assert "spaces.resource.created" in line
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_a_database_in_use_starts_its_killed_server_again_from_several_threads(shared, monkeypatch):
    data_dir = shared.data_dir
    monkeypatch.setenv("SPACES_DATA_DIR", str(data_dir))
    db = open_database(load_settings(actor="tester"))
    try:
        assert resources.list_resources(db) is not None
        pid = postmaster_pid(data_dir)
        assert pid is not None
        os.kill(pid, signal.SIGQUIT)  # an immediate shutdown: as if it had crashed
        wait_for(lambda: not connects(db.url), "the server to stop taking connections")
        # Whether or not it has quite gone yet: a server still shutting down is waited for.

        with ThreadPoolExecutor(4) as pool:
            listed = list(pool.map(lambda _: resources.list_resources(db), range(4)))
        assert all(names == listed[0] for names in listed)
        new_pid = postmaster_pid(data_dir)
        assert new_pid not in (None, pid), "started again"
        assert [path.name for path in data_dir.rglob("postmaster.pid")] == ["postmaster.pid"]
        with db.listen_connection() as listener:
            assert listener.execute("SELECT 1").fetchone() == (1,)
        assert postmaster_pid(data_dir) == new_pid, "one server for every thread"
    finally:
        db.dispose()
