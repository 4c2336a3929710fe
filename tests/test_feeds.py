"""Calendar feeds over real HTTP (engine/interop/feeds.py, serve.py, cli/feeds.py): the server
runs in a thread on 127.0.0.1 and urllib fetches from it, as a phone's calendar would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from spaces_tui.db.connection import Database
from spaces_tui.engine import reservations, resources
from spaces_tui.engine.interop import feeds
from spaces_tui.engine.interop.serve import FeedServer, serve


def soon(days: int, hour: int) -> str:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


@pytest.fixture
def venue(db):
    resources.add_resource(db, "Main Stage", "stage", timezone="UTC")
    resources.add_resource(db, "Studio", "room", timezone="UTC")
    reservations.book(db, "Main Stage", soon(3, 10), soon(3, 12), "Tech run")
    return db


class Running:
    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.url = server.url

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Any:
        """(status, headers, body) of one request; error statuses are answers too."""
        request = urllib.request.Request(self.url + path, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def running(db: Database, rate: int = 1000) -> Iterator[Running]:
    server = FeedServer(db, "127.0.0.1", 0, rate=rate)
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(server, stop), daemon=True)
    thread.start()
    try:
        yield Running(server)
    finally:
        stop.set()
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.fixture
def http(db) -> Iterator[Running]:
    yield from running(db)


def add_feed(spaces, *args: str) -> str:
    """The feed's path and query, as `feed add` printed them."""
    result = spaces("feed", "add", *args)
    assert result.code == 0, result.err
    url = urlsplit(result.out.strip())
    assert url.scheme == "http" and url.netloc == "127.0.0.1:8086"
    return f"{url.path}?{url.query}"


def test_right_key_serves_the_calendar(venue, spaces, http):
    path = add_feed(spaces, "stage", "--under", "Main Stage")
    assert path.startswith("/feeds/stage.ics?key=") and len(path.split("key=")[1]) >= 40
    status, headers, body = http.get(path)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["Cache-Control"] == "private, max-age=60"
    assert headers["ETag"].startswith('"')
    calendar = Calendar.from_ical(body)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == ["Tech run"]
    head = http.get(path, method="HEAD")
    assert head[0] == 200 and head[2] == b"" and head[1]["ETag"] == headers["ETag"]


def test_a_wrong_key_and_an_unknown_feed_are_the_same_404(venue, spaces, http):
    path = add_feed(spaces, "stage")
    name, key = path.split("?key=")
    wrong = http.get(f"{name}?key={key[:-1]}x")
    unknown = http.get(f"/feeds/nosuch.ics?key={key}")
    missing = http.get(name)
    assert wrong[0] == unknown[0] == missing[0] == 404
    assert wrong[2] == unknown[2] == missing[2]
    assert dict(wrong[1]).keys() == dict(unknown[1]).keys()
    assert http.get("/other")[0] == 404


def test_a_revoked_feed_is_404(venue, spaces, http):
    path = add_feed(spaces, "stage")
    assert http.get(path)[0] == 200
    assert spaces("feed", "revoke", "stage").code == 0
    assert http.get(path)[0] == 404
    assert spaces("feed", "revoke", "stage").code == 2  # already revoked
    again = add_feed(spaces, "stage")  # the name may be taken again, with a new key
    assert http.get(again)[0] == 200 and http.get(path)[0] == 404


def test_etag_then_if_none_match_is_304_until_a_booking(venue, spaces, http):
    path = add_feed(spaces, "all")
    status, headers, _body = http.get(path)
    tag = headers["ETag"]
    status, headers, body = http.get(path, {"If-None-Match": tag})
    assert (status, body, headers["ETag"]) == (304, b"", tag)
    reservations.book(venue, "Studio", soon(5, 14), soon(5, 16), "Fight call")
    status, headers, body = http.get(path, {"If-None-Match": tag})
    assert status == 200 and headers["ETag"] != tag
    summaries = {str(e["summary"]) for e in Calendar.from_ical(body).walk("VEVENT")}
    assert summaries == {"Tech run", "Fight call"}


def test_a_renamed_resource_changes_the_etag_and_the_feed(venue, spaces, http):
    """A resource's change is an event too (spaces.resource.changed), so a calendar that asks
    with its old ETag gets the new name, not a 304."""
    path = add_feed(spaces, "all")
    _status, headers, _body = http.get(path)
    assert spaces("resource", "set", "Main Stage", "--rename", "Grand Stage").code == 0
    status, renamed, body = http.get(path, {"If-None-Match": headers["ETag"]})
    assert status == 200 and renamed["ETag"] != headers["ETag"]
    places = {str(e["location"]) for e in Calendar.from_ical(body).walk("VEVENT")}
    assert "Grand Stage" in places and "Main Stage" not in places


@pytest.fixture
def exports(monkeypatch) -> list[str]:
    """The names of the feeds whose export was built, in order, as the server builds them."""
    built: list[str] = []
    render = feeds.render_feed

    def counted(db: Database, feed: feeds.Feed, day: datetime) -> bytes:
        built.append(feed.name)
        return render(db, feed, day)

    monkeypatch.setattr(feeds, "render_feed", counted)
    return built


def test_an_export_is_built_once_per_etag_whoever_asks(venue, spaces, http, exports):
    path = add_feed(spaces, "all")
    first = http.get(path)
    again = http.get(path)  # a client that sends no ETag: the same bytes, not built again
    assert (again[0], again[2], again[1]["ETag"]) == (200, first[2], first[1]["ETag"])
    assert exports == ["all"]
    reservations.book(venue, "Studio", soon(5, 14), soon(5, 16), "Fight call")
    # The phones that all poll just after a change wait for one export between them.
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: http.get(path), range(4)))
    assert {(status, body) for status, _headers, body in answers} == {(200, answers[0][2])}
    assert b"Fight call" in answers[0][2]
    assert exports == ["all", "all"]


def test_mine_keeps_meaning_its_maker(venue, spaces, http, as_):
    reservations.book(as_("alice"), "Studio", soon(6, 9), soon(6, 10), "Alice's call")
    result = spaces("feed", "add", "alice", "--mine", actor="alice")
    assert result.code == 0, result.err
    url = urlsplit(result.out.strip())
    body = http.get(f"{url.path}?{url.query}")[2]
    assert [str(e["summary"]) for e in Calendar.from_ical(body).walk("VEVENT")] == ["Alice's call"]


def test_healthz(http):
    assert http.get("/healthz")[:1] == (200,)
    assert http.get("/healthz")[2] == b"ok\n"


def test_rate_limit_is_429_with_retry_after(venue, db):
    for limited in running(db, rate=3):
        assert [limited.get("/healthz")[0] for _ in range(3)] == [200, 200, 200]
        status, headers, _body = limited.get("/healthz")
        assert status == 429 and int(headers["Retry-After"]) >= 1


def test_behind_a_proxy_on_this_machine_each_client_has_its_own_limit(venue, db):
    """nginx on loopback says who the client is; the limit is theirs, not the proxy's."""
    for limited in running(db, rate=2):
        first = [limited.get("/healthz", {"X-Forwarded-For": "203.0.113.7"})[0] for _ in "abc"]
        assert first == [200, 200, 429]
        assert limited.get("/healthz", {"X-Forwarded-For": "198.51.100.9"})[0] == 200


def test_another_method_is_405(http):
    request = urllib.request.Request(http.url + "/healthz", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405 and refused.value.headers["Allow"] == "GET, HEAD"


def test_keys_are_stored_hashed_and_never_listed(venue, spaces, sql):
    path = add_feed(spaces, "stage", "--blackouts", "--kind", "stage")
    key = path.split("key=")[1]
    row = sql.execute("SELECT key_hash, filters FROM spaces.feeds").fetchone()
    assert len(row[0]) == 32 and key.encode() not in bytes(row[0])
    assert key not in str(row) and row[1] == {
        "kind": "stage",
        "status": "active",
        "blackouts": True,
    }
    listed = spaces("feed", "list")
    assert "stage" in listed.out and key not in listed.out + listed.err
    as_json = spaces("feed", "list", "--json").json
    assert as_json[0]["name"] == "stage" and key not in str(as_json)


@pytest.mark.parametrize(
    "args",
    [
        ("feed", "add", "bad/name"),
        ("feed", "add", "a" * 64),
        ("feed", "add", "x", "--resource", "Nowhere"),
        ("feed", "add", "x", "--status", "maybe"),
        ("feed", "add", "x", "--base-url", "ftp://x"),
        ("feed", "add", "x", "--mine", "--booked-by", "bob"),
        ("feed", "revoke", "nosuch"),
        ("serve", "--port", "70000"),
        ("serve", "--rate", "0"),
    ],
)
def test_bad_names_and_options_exit_2(venue, spaces, args, capsys):
    try:
        result = spaces(*args)
    except SystemExit as exit:  # argparse's own refusals (choices, exclusive options): usage
        assert exit.code == 2
        assert "Traceback" not in capsys.readouterr().err
        return
    assert result.code == 2
    assert "Traceback" not in result.err


def test_a_name_in_use_exits_2(venue, spaces):
    add_feed(spaces, "stage")
    assert spaces("feed", "add", "stage").code == 2


def test_an_unreachable_database_is_503_and_the_server_carries_on(venue, spaces, db, http):
    path = add_feed(spaces, "stage")
    gone = Database("postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2", "tester")
    for lost in running(gone):
        status, headers, _ = lost.get("/healthz")
        assert status == 503 and headers["Retry-After"]
        assert lost.get(path)[0] == 503
        assert lost.get("/healthz")[0] == 503  # still serving
        gone.url = db.url  # the database is back
        assert lost.get("/healthz")[0] == 200
        assert lost.get(path)[0] == 200
    assert http.get("/healthz")[0] == 200


def test_spaces_serve_logs_no_key_and_stops_on_sigterm_with_exit_0(venue, spaces, database_url):
    path = add_feed(spaces, "stage")
    command = [str(Path(sys.executable).parent / "spaces"), "--db", database_url, "serve"]
    process = subprocess.Popen(
        [*command, "--port", "0"], stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    watchdog = threading.Timer(60, process.kill)  # bounds every read below
    watchdog.start()
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert "serving feeds on http://127.0.0.1:" in first, first
        base = first.split(" on ")[1].split(";")[0]
        with urllib.request.urlopen(base + path, timeout=10) as answer:
            assert answer.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        rest = process.stderr.read()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    key = path.split("key=")[1]
    assert "GET /feeds/stage.ics 200" in rest and key not in first + rest
