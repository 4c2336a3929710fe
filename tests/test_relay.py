"""`spaces relay`: the event bus POSTed to a real local HTTP server that fails on purpose (500s,
an answer slower than the timeout, the server stopped and started again on the same port, the
relay crashing between a POST and storing its position). Every event arrives, in id order;
the only duplicate is the event a crash cut off; a restart resumes from the stored position."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from spaces_tui.db.connection import Database
from spaces_tui.engine import events, reservations, resources
from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.interop import relay

DAY = datetime(2027, 5, 3, 10, tzinfo=UTC)
SECRET = "s3cret"
PATIENCE = 60.0  # seconds any one condition may take on a loaded machine


class Hook:
    """A local endpoint that records what it acknowledged and fails when told to."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.acknowledged: list[tuple[int, bytes, dict[str, str]]] = []
        self.attempts = 0
        self.fail_next = 0  # answer 500 to this many POSTs
        self.stall_next = 0  # answer this many only after stall_seconds
        self.stall_seconds = 0.0
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with hook.changed:
                    hook.attempts += 1
                    failing = hook.fail_next > 0
                    stalling = not failing and hook.stall_next > 0
                    hook.fail_next -= failing
                    hook.stall_next -= stalling
                if failing:
                    self.send_response(500)
                    self.end_headers()
                elif stalling:
                    time.sleep(hook.stall_seconds)  # the client has given up by now
                else:
                    with hook.changed:
                        hook.acknowledged.append((json.loads(body)["id"], body, dict(self.headers)))
                        hook.changed.notify_all()
                    self.send_response(204)
                    self.end_headers()
                with hook.changed:
                    hook.changed.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?token=t"

    @property
    def ids(self) -> list[int]:
        with self.changed:
            return [event_id for event_id, _body, _headers in self.acknowledged]

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + PATIENCE
        with self.changed:
            while not condition():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out waiting for {what}"
                self.changed.wait(min(left, 0.2))


@pytest.fixture
def hook() -> Iterator[Hook]:
    endpoint = Hook()
    endpoint.start()
    yield endpoint
    if endpoint._server is not None:
        endpoint.stop()


@dataclass
class Running:
    stop: threading.Event
    thread: threading.Thread
    lines: list[str] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)

    def wait_for_line(self, text: str) -> None:
        deadline = time.monotonic() + PATIENCE
        while not any(text in line for line in list(self.lines)):
            assert time.monotonic() < deadline, f"no line with {text!r}: {self.lines}"
            assert self.thread.is_alive(), self.outcome
            self.stop.wait(0.05)


@contextmanager
def relaying(database_url: str, name: str, **options: Any) -> Iterator[Running]:
    """run_relay in a thread, with short backoffs, stopped (and its end awaited) afterwards."""
    db = Database(database_url, "relay")
    running = Running(threading.Event(), threading.Thread())

    def run() -> None:
        try:
            running.outcome["totals"] = relay.run_relay(
                db,
                name,
                stop=running.stop,
                report=running.lines.append,
                backoff=(0.05, 0.2),
                poll_seconds=0.2,
                **options,
            )
        except BaseException as error:
            running.outcome["error"] = error

    running.thread = threading.Thread(target=run, daemon=True)
    running.thread.start()
    try:
        yield running
    finally:
        running.stop.set()
        running.thread.join(PATIENCE)
        db.dispose()
        assert not running.thread.is_alive(), "stop ends the relay"


def add_rooms(db: Database, first: int, count: int) -> None:
    for n in range(first, first + count):
        resources.add_resource(db, f"Room {n}", "room", timezone="UTC")


def all_ids(db: Database) -> list[int]:
    return [event.id for event in events.events_since(db, 0)]


def stored(db: Database, name: str) -> relay.Relay:
    return relay.get_relay(db, name)


def test_every_event_arrives_in_order_signed_through_500s_a_timeout_and_a_restart(db, hook):
    relay.prepare_relay(db, "hook", hook.url, start="start")
    add_rooms(db, 1, 5)
    hook.fail_next = 3
    with relaying(db.url, "hook", secret=SECRET, timeout=0.5) as running:
        hook.wait_for(lambda: len(hook.acknowledged) == 5, "the first five")
        hook.stall_next, hook.stall_seconds = 1, 1.5
        add_rooms(db, 6, 3)
        hook.wait_for(lambda: len(hook.acknowledged) == 8, "three more past a slow answer")
        hook.stop()  # the endpoint goes away mid-stream; events keep coming
        add_rooms(db, 9, 3)
        running.wait_for_line("cannot reach it")
        hook.start()  # the same port
        hook.wait_for(lambda: len(hook.acknowledged) == 11, "the rest after the restart")
    ids = all_ids(db)
    assert len(ids) == 11
    assert hook.ids == ids, "each once, in id order"
    for event_id, body, headers in hook.acknowledged:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Spaces-Signature"], expected)
        assert headers["X-Spaces-Event-Id"] == str(event_id)
        assert headers["X-Spaces-Relay"] == "hook"
        assert headers["Content-Type"] == "application/json"
    first = json.loads(hook.acknowledged[0][1])
    assert set(first) == {
        "id",
        "topic",
        "resource_id",
        "reservation_id",
        "blackout_id",
        "actor",
        "payload",
        "created_at",
    }
    assert first["topic"] == "spaces.resource.created"
    assert first["payload"]["name"] == "Room 1"
    assert sum("HTTP 500" in line for line in running.lines) == 3
    assert any("no answer within 0.5s" in line for line in running.lines)
    assert any("delivered after" in line for line in running.lines)
    assert "error" not in running.outcome
    after = stored(db, "hook")
    assert after.delivered_id == ids[-1]
    assert after.last_error is None


def test_a_crash_between_the_post_and_the_stored_position_repeats_only_that_event(db, hook):
    relay.prepare_relay(db, "hook", hook.url, start="start")
    add_rooms(db, 1, 5)
    ids = all_ids(db)

    class Crash(Exception):
        pass

    def crash_on_third(event: Any) -> None:
        if event.id == ids[2]:
            raise Crash

    with relaying(db.url, "hook", after_post=crash_on_third) as crashed:
        crashed.thread.join(PATIENCE)
    assert isinstance(crashed.outcome.get("error"), Crash)
    assert hook.ids == ids[:3], "the third was acknowledged, then the relay died"
    assert stored(db, "hook").delivered_id == ids[1], "its position was never stored"

    with relaying(db.url, "hook"):
        hook.wait_for(lambda: len(hook.acknowledged) == 6, "the rest after the restart")
    assert hook.ids == ids[:3] + ids[2:], "one duplicate: the event the crash cut off"
    assert stored(db, "hook").delivered_id == ids[-1]


def test_topics_filter_what_is_posted_and_the_position_passes_the_rest(db, hook):
    relay.prepare_relay(db, "bookings", hook.url, ["spaces.reservation.*"], start="start")
    add_rooms(db, 1, 2)
    booked = reservations.book(db, "Room 1", DAY, DAY + timedelta(hours=1), "Band call")
    reservations.cancel(db, booked.id, "moved")
    add_rooms(db, 3, 1)  # not wanted, but the position still moves past it
    last = events.latest_event_id(db)
    with relaying(db.url, "bookings") as running:
        hook.wait_for(lambda: len(hook.acknowledged) == 2, "the two reservation events")
        deadline = time.monotonic() + PATIENCE
        while stored(db, "bookings").delivered_id != last:
            assert time.monotonic() < deadline, "the position reaches the last event"
            running.stop.wait(0.05)
    topics = [json.loads(body)["topic"] for _id, body, _headers in hook.acknowledged]
    assert topics == ["spaces.reservation.created", "spaces.reservation.cancelled"]
    assert "X-Spaces-Signature" not in hook.acknowledged[0][2], "no secret, no signature"


def test_a_new_relay_starts_from_now_and_a_changed_url_or_topic_is_said(db, hook):
    add_rooms(db, 1, 2)
    made, notes = relay.prepare_relay(db, "hook", hook.url)
    assert made.delivered_id == events.latest_event_id(db)
    assert "from now" in notes[0]
    again, notes = relay.prepare_relay(db, "hook")
    assert (again.url, notes) == (hook.url, [])
    changed, notes = relay.prepare_relay(
        db, "hook", "http://127.0.0.1:9/other", ["spaces.blackout.*"], start="start"
    )
    assert (changed.url, changed.topics, changed.delivered_id) == (
        "http://127.0.0.1:9/other",
        ["spaces.blackout.*"],
        0,
    )
    assert any("URL changed" in n for n in notes)
    assert any("topics changed" in n for n in notes)
    assert any("first event" in n for n in notes)
    with pytest.raises(BadInput, match="is new"):
        relay.prepare_relay(db, "other")


def test_relay_list_shows_position_and_lag_and_remove_forgets(db, spaces, hook):
    assert spaces("relay", "list").out.startswith("No relays")
    relay.prepare_relay(db, "hook", hook.url, ["spaces.*"], start="start")
    add_rooms(db, 1, 3)
    listed = spaces("relay", "list", "--json")
    assert listed.code == 0, listed.err
    [state] = listed.json
    newest = events.latest_event_id(db)
    assert state["name"] == "hook"
    assert state["url"] == hook.url
    assert state["topics"] == ["spaces.*"]
    assert (state["position"], state["newest_id"], state["lag_events"]) == (0, newest, 3)
    assert state["lag_seconds"] >= 0
    assert state["last_error"] is None
    text = spaces("relay", "list").out
    assert f"at 0 of {newest}: 3 behind" in text

    with relaying(db.url, "hook"):
        hook.wait_for(lambda: len(hook.acknowledged) == 3, "all three")
        deadline = time.monotonic() + PATIENCE
        while spaces("relay", "list", "--json").json[0]["lag_events"]:
            assert time.monotonic() < deadline, "the lag comes down to 0"
            time.sleep(0.05)
    [state] = spaces("relay", "list", "--json").json
    assert (state["position"], state["lag_events"], state["lag_seconds"]) == (newest, 0, 0)

    assert spaces("relay", "remove", "hook").code == 0
    assert spaces("relay", "list", "--json").json == []
    gone = spaces("relay", "remove", "hook")
    assert gone.code == 2 and "no relay named" in gone.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--name", "hook", "--url", "ftp://127.0.0.1/x"], "http:// or https://"),
        (["--name", "hook", "--url", "http://"], "names no host"),
        (["--name", "hook", "--url", "http://127.0.0.1:99999/"], "not a URL"),
        (["--name", "hook", "--url", "http://a b/"], "space"),
        (["--name", "hook", "--url", "http://u:p@127.0.0.1/"], "user:password"),
        (["--name", "bad name", "--url", "http://127.0.0.1/"], "relay name"),
        (["--url", "http://127.0.0.1/"], "--name"),
        (["--name", "hook"], "is new"),
        (["--name", "hook", "--url", "http://127.0.0.1/", "--secret", " "], "secret is empty"),
        (["--name", "hook", "--url", "http://127.0.0.1/", "--topic", ""], "--topic"),
        (["--name", "hook", "--url", "http://127.0.0.1/", "--timeout", "0s"], "--timeout"),
        (["run", "--name", "hook", "--url", "nonsense"], "http:// or https://"),
    ],
)
def test_bad_relay_input_exits_2_and_makes_nothing(spaces, args, message):
    done = spaces("relay", *args)
    assert done.code == 2, done
    assert message in done.err
    assert spaces("relay", "list", "--json").json == []


def test_an_empty_secret_in_the_environment_is_bad_input(spaces, monkeypatch):
    monkeypatch.setenv("SPACES_RELAY_SECRET", "")
    done = spaces("relay", "--name", "hook", "--url", "http://127.0.0.1/")
    assert done.code == 2 and "secret is empty" in done.err


@pytest.mark.slow
def test_the_command_delivers_and_stops_on_sigterm_with_its_position_stored(
    db, hook, database_url, tmp_path
):
    add_rooms(db, 1, 4)
    ids = all_ids(db)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spaces_tui",
            "--db",
            database_url,
            "relay",
            "run",
            "--name",
            "proc",
            "--url",
            hook.url,
            "--from-start",
        ],
        env={**os.environ, "SPACES_DATA_DIR": str(tmp_path), "SPACES_RELAY_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        hook.wait_for(lambda: len(hook.acknowledged) == 4, "the four events")
        deadline = time.monotonic() + PATIENCE
        while stored(db, "proc").delivered_id != ids[-1]:
            assert time.monotonic() < deadline, "the position is stored"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=PATIENCE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "new relay proc: delivering from the first event" in err
    assert f"stopped at event {ids[-1]} (4 delivered" in err
    assert "Traceback" not in err
    assert hook.ids == ids
    assert all("X-Spaces-Signature" in headers for _id, _body, headers in hook.acknowledged)


def test_the_relay_survives_its_database_connections_being_cut(db, hook, sql):
    relay.prepare_relay(db, "hook", hook.url, start="start")
    add_rooms(db, 1, 2)
    with relaying(db.url, "hook") as running:
        hook.wait_for(lambda: len(hook.acknowledged) == 2, "the first two")
        # A restart or a network cut: the server ends every connection the relay holds.
        sql.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        db.dispose()  # the test's own kept connections were cut too: it is not under test
        add_rooms(db, 3, 2)
        hook.wait_for(lambda: len(hook.acknowledged) == 4, "the two made after the cut")
        running.wait_for_line("lost the database")
    assert hook.ids == all_ids(db)
    assert stored(db, "hook").delivered_id == hook.ids[-1]
