"""`spaces serve`: the feeds (feeds.py) over HTTP, with the standard library's
ThreadingHTTPServer: no new dependency, and a handful of GET routes need no framework. It is
meant to sit on loopback behind a reverse proxy that does TLS (README: "A live feed").

- GET|HEAD /feeds/NAME.ics?key=KEY: 200 text/calendar with an ETag; If-None-Match that matches
  is a 304 decided from one small query, before any export is built. An export is built once
  per ETag and kept (RenderedFeeds).
- A wrong or missing key, an unknown or revoked feed: the same 404, byte for byte.
- /healthz: 200 "ok" when the database answers, 503 when not; the server keeps running and
  answers again when the database is back (Database reconnects, and restarts the embedded one).
- Each client address has a token bucket (rate a minute): past it, 429 with Retry-After.
- The log line has the path without its query, so no key is ever written to a log."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from spaces_tui.db.connection import Database
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine.errors import SpacesError
from spaces_tui.engine.interop import feeds

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8086
DEFAULT_RATE = 60  # requests a minute per client: a phone polls every few minutes at most
NOT_FOUND = b"not found\n"
MAX_CLIENTS = 10_000  # buckets kept; full ones are dropped first past this


class RateLimit:
    """A token bucket per client address: rate tokens a minute, holding at most rate."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address: (tokens, when)
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go on, else the seconds until a token is there."""
        per_second = self.rate / 60
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(client, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - then) * per_second)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                self._prune(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / per_second

    def _prune(self, now: float) -> None:
        # Memory stays bounded however many addresses call: a bucket that would be full again
        # says nothing, so those go first.
        if len(self._buckets) <= MAX_CLIENTS:
            return
        for client, (_tokens, then) in list(self._buckets.items()):
            if now - then >= 60:  # a minute refills any bucket
                del self._buckets[client]
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.pop(next(iter(self._buckets)))


class RenderedFeeds:
    """Each feed's last export, kept under its ETag. The ETag changes with everything the export
    shows (feeds.etag), so a client that sends none, or an old one, after the first request
    since a change gets those bytes instead of an export built again (seconds on a busy venue).
    A feed's lock makes the phones that all poll just after a change wait for one export
    rather than each build their own."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[str, bytes]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str, tag: str, render: Callable[[], bytes]) -> bytes:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            kept = self._kept.get(name)
            if kept is not None and kept[0] == tag:
                return kept[1]
            data = render()
            self._kept[name] = (tag, data)
            return data


class FeedServer(ThreadingHTTPServer):
    daemon_threads = True  # a slow client never holds up a stop

    def __init__(
        self,
        db: Database,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        rate: int = DEFAULT_RATE,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.db = db
        self.limit = RateLimit(rate)
        self.rendered = RenderedFeeds()
        self.log = log
        super().__init__((host, port), FeedHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    server_version = "spaces-feeds"
    sys_version = ""
    protocol_version = "HTTP/1.1"  # keep-alive: a polling client reuses its connection

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # BaseHTTPRequestHandler's lines hold the whole request line, key and all

    def _answer(self, *, body: bool) -> None:
        parts = urlsplit(self.path)
        status, headers, content = self._route(parts.path, parts.query)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body and content:
            self.wfile.write(content)
        if self.server.log is not None:
            self.server.log(f"{self.client_address[0]} {self.command} {parts.path} {status}")

    def _route(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        wait = self.server.limit.take(self.client_address[0])
        if wait:
            text = {"Content-Type": "text/plain; charset=utf-8"}
            retry = {"Retry-After": str(max(1, math.ceil(wait)))}
            return HTTPStatus.TOO_MANY_REQUESTS, {**text, **retry}, b"too many requests\n"
        try:
            if path == "/healthz":
                return self._health()
            if path.startswith("/feeds/") and path.endswith(".ics"):
                name = unquote(path[len("/feeds/") : -len(".ics")])
                keys = parse_qs(query).get("key", [])
                return self._feed(name, keys[0] if len(keys) == 1 else "")
            return self._not_found()
        except (DatabaseUnavailable, psycopg.Error):
            return self._unavailable()
        except SpacesError:  # a feed whose resource was since removed or renamed
            return self._not_found()

    def _not_found(self) -> tuple[int, dict[str, str], bytes]:
        return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"}, NOT_FOUND

    def _unavailable(self) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "30"}
        return HTTPStatus.SERVICE_UNAVAILABLE, headers, b"the database is unavailable\n"

    def _health(self) -> tuple[int, dict[str, str], bytes]:
        with self.server.db.transaction() as conn:
            conn.execute("SELECT 1")
        return HTTPStatus.OK, {"Content-Type": "text/plain; charset=utf-8"}, b"ok\n"

    def _feed(self, name: str, key: str) -> tuple[int, dict[str, str], bytes]:
        found = feeds.open_feed(self.server.db, name, key)
        if found is None:
            return self._not_found()
        day = feeds.window_day()
        tag = feeds.etag(found, day)
        headers = {"ETag": tag, "Cache-Control": "private, max-age=60"}
        if _matches(self.headers.get("If-None-Match"), tag):
            return HTTPStatus.NOT_MODIFIED, headers, b""
        data = self.server.rendered.get(
            found.feed.name, tag, lambda: feeds.render_feed(self.server.db, found.feed, day)
        )
        headers["Content-Type"] = "text/calendar; charset=utf-8"
        headers["Content-Disposition"] = f'inline; filename="{found.feed.name}.ics"'
        return HTTPStatus.OK, headers, data


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def serve(server: FeedServer, stop: threading.Event) -> None:
    """Serves until stop is set; serve_forever runs in a thread of its own so that whoever sets
    stop (a signal handler in the main thread) never waits on it."""
    worker = threading.Thread(target=server.serve_forever, name="spaces-feeds", daemon=True)
    worker.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        worker.join(timeout=10)
        server.server_close()
