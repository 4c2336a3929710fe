"""`spaces serve`: the feeds (feeds.py) over HTTP: a small ASGI app (two GET routes need no
framework) served by uvicorn, whose HTTP parsing (h11), keep-alive and timeouts are a
well-kept server's rather than the standard library's http.server, which its own docs call
unfit for production. It is meant to sit on loopback behind a reverse proxy that does TLS
(README: "A live feed").

- GET|HEAD /feeds/NAME.ics?key=KEY: 200 text/calendar with an ETag; If-None-Match that matches
  is a 304 decided from one small query, before any export is built. An export is built once
  per ETag and kept (RenderedFeeds).
- A wrong or missing key, an unknown or revoked feed: the same 404, byte for byte. Another
  method: 405.
- /healthz: 200 "ok" when the database answers, 503 when not; the server keeps running and
  answers again when the database is back (Database reconnects, and restarts the embedded one).
- Each client address has a token bucket (rate a minute): past it, 429 with Retry-After. Behind
  a proxy on this machine, the client is the one its X-Forwarded-For names.
- The log line has the path without its query, so no key is ever written to a log."""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

import psycopg
import uvicorn

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


Answer = tuple[int, dict[str, str], bytes]


class FeedServer:
    """The feeds as an ASGI app, served by uvicorn on a socket bound when it is made (so a bad
    address or a port in use fails at once, as an OSError). The database work of a request
    (one small query, or an export) runs in a worker thread, off the event loop."""

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
        self.socket = socket.create_server((host, port))
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                interface="asgi3",
                lifespan="off",
                # A reverse proxy on this machine (README: nginx) names the client, so each
                # client has its own rate limit; nobody else is believed.
                proxy_headers=True,
                forwarded_allow_ips="127.0.0.1,::1",
                access_log=False,  # uvicorn's access line would hold the key
                log_level="warning",
                server_header=False,
                timeout_graceful_shutdown=5,  # a slow client never holds up a stop for long
            )
        )

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host!s}:{port}"

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]  # the path is percent-decoded already
        # The proxy's X-Forwarded-For when the request comes through one on this machine.
        client = (scope.get("client") or ("unknown", 0))[0]
        if method in ("GET", "HEAD"):
            query = scope["query_string"].decode("latin-1")
            headers = {
                key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
            }
            status, answer_headers, content = await asyncio.to_thread(
                self.answer, path, query, headers.get("if-none-match"), client
            )
        else:
            status, answer_headers, content = _method_not_allowed()
        answer_headers["Content-Length"] = str(len(content))
        await send(
            {
                "type": "http.response.start",
                "status": int(status),
                "headers": [
                    (k.encode("latin-1"), v.encode("latin-1")) for k, v in answer_headers.items()
                ],
            }
        )
        await send({"type": "http.response.body", "body": content if method != "HEAD" else b""})
        if self.log is not None:
            self.log(f"{client} {method} {path} {int(status)}")

    def answer(self, path: str, query: str, if_none_match: str | None, client: str) -> Answer:
        """(status, headers, body) for one GET or HEAD."""
        wait = self.limit.take(client)
        if wait:
            text = {"Content-Type": "text/plain; charset=utf-8"}
            retry = {"Retry-After": str(max(1, math.ceil(wait)))}
            return HTTPStatus.TOO_MANY_REQUESTS, {**text, **retry}, b"too many requests\n"
        try:
            if path == "/healthz":
                return self._health()
            if path.startswith("/feeds/") and path.endswith(".ics"):
                name = path[len("/feeds/") : -len(".ics")]
                keys = parse_qs(query).get("key", [])
                return self._feed(name, keys[0] if len(keys) == 1 else "", if_none_match)
            return _not_found()
        except (DatabaseUnavailable, psycopg.Error):
            return _unavailable()
        except SpacesError:  # a feed whose resource was since removed or renamed
            return _not_found()

    def _health(self) -> Answer:
        with self.db.transaction() as conn:
            conn.execute("SELECT 1")
        return HTTPStatus.OK, {"Content-Type": "text/plain; charset=utf-8"}, b"ok\n"

    def _feed(self, name: str, key: str, if_none_match: str | None) -> Answer:
        found = feeds.open_feed(self.db, name, key)
        if found is None:
            return _not_found()
        day = feeds.window_day()
        tag = feeds.etag(found, day)
        headers = {"ETag": tag, "Cache-Control": "private, max-age=60"}
        if _matches(if_none_match, tag):
            return HTTPStatus.NOT_MODIFIED, headers, b""
        data = self.rendered.get(
            found.feed.name, tag, lambda: feeds.render_feed(self.db, found.feed, day)
        )
        headers["Content-Type"] = "text/calendar; charset=utf-8"
        headers["Content-Disposition"] = f'inline; filename="{found.feed.name}.ics"'
        return HTTPStatus.OK, headers, data


def _not_found() -> Answer:
    return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain; charset=utf-8"}, NOT_FOUND


def _unavailable() -> Answer:
    headers = {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "30"}
    return HTTPStatus.SERVICE_UNAVAILABLE, headers, b"the database is unavailable\n"


def _method_not_allowed() -> Answer:
    headers = {"Content-Type": "text/plain; charset=utf-8", "Allow": "GET, HEAD"}
    return HTTPStatus.METHOD_NOT_ALLOWED, headers, b"method not allowed\n"


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def serve(server: FeedServer, stop: threading.Event) -> None:
    """Serves until stop is set. uvicorn runs in a thread of its own (it installs no signal
    handlers there), so whoever sets stop (a signal handler in the main thread) never waits on
    it; the socket is closed once it has finished."""
    worker = threading.Thread(
        target=server._server.run, kwargs={"sockets": [server.socket]}, name="spaces-feeds"
    )
    worker.daemon = True
    worker.start()
    try:
        stop.wait()
    finally:
        server._server.should_exit = True
        worker.join(timeout=10)
        server.socket.close()
