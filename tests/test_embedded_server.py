"""The embedded PostgreSQL, driven as a user drives it: real `spaces` processes on a data folder
of their own. Every server started here is stopped again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def spaces(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SPACES_DATABASE_URL"}
    env["SPACES_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "spaces_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embedded")
    yield folder
    spaces(folder, "db", "stop")


def test_the_first_command_creates_the_database_and_later_ones_reuse_it(data_dir):
    first = spaces(data_dir, "resource", "list")
    assert first.returncode == 0, first.stderr
    assert "Creating the embedded PostgreSQL database" in first.stderr
    second = spaces(data_dir, "resource", "add", "Room", "--kind", "room")
    assert second.returncode == 0, second.stderr
    assert "Creating" not in second.stderr and "Starting" not in second.stderr


def test_db_url_connects_and_status_names_the_folder(data_dir):
    url = spaces(data_dir, "db", "url").stdout.strip()
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("spaces",)
        assert conn.execute("SELECT count(*) FROM spaces.resources").fetchone()[0] >= 0
    status = spaces(data_dir, "db", "status").stdout
    assert f"embedded PostgreSQL in {data_dir / 'pgdata'}" in status
    assert "server:    PostgreSQL 18" in status


def test_stop_then_a_command_starts_it_again_without_initdb(data_dir):
    stopped = spaces(data_dir, "db", "stop")
    assert stopped.returncode == 0 and "Stopped" in stopped.stdout
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()
    assert "was not running" in spaces(data_dir, "db", "stop").stdout
    again = spaces(data_dir, "resource", "list")
    assert again.returncode == 0
    assert "Starting the embedded PostgreSQL server" in again.stderr
    assert "Room" in again.stdout, "the data survived the stop"


def test_two_processes_at_the_same_moment_share_one_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SPACES_DATABASE_URL"}
    env["SPACES_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "spaces_tui", "resource", "list"]
    try:
        racers = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        results = [racer.communicate(timeout=180) for racer in racers]
        assert [racer.returncode for racer in racers] == [0, 0], results
        assert (tmp_path / "pgdata" / "postmaster.pid").exists()
        url = spaces(tmp_path, "db", "url").stdout.strip()
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        spaces(tmp_path, "db", "stop")


def test_db_stop_with_a_server_url_is_bad_input(database_url, tmp_path):
    done = spaces(tmp_path, "--db", database_url, "db", "stop")
    assert done.returncode == 2 and "nothing to stop" in done.stderr
