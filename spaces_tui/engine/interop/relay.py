"""The event bus, delivered: every event of spaces.events POSTed as JSON to one HTTP endpoint, in
id order, at least once, resuming after a restart from the last id the endpoint acknowledged.

A relay is a row of spaces.relays (sql/019_interop.sql): its name, URL, topic patterns and
delivered_id, the position. The events are read with events.follow, which reads by id below
the horizon (sql/rules/events.sql), so "everything after delivered_id" never skips one. An event
is retried until the endpoint answers 2xx, never passed over; the position is stored after each
acknowledgement, so a crash between the POST and that UPDATE delivers one event twice (the only
duplicate there can be), and never loses one.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from spaces_tui import __version__
from spaces_tui.db.connection import Database, first_value
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import events
from spaces_tui.engine.errors import BadInput, NotFound, domain_errors, quoted
from spaces_tui.engine.interop.names import check_name
from spaces_tui.engine.models import Event

URL_LIMIT = 2000  # the table's CHECK too
TOPIC_LIMIT = 200
TIMEOUT = 10.0
BACKOFF_FIRST = 0.5
BACKOFF_CAP = 30.0
SUMMARY_SECONDS = 60.0
# How soon a stop request (SIGTERM) is noticed while nothing happens: follow() waits this long
# for a notification at most.
POLL_SECONDS = 1.0
SIGNATURE_HEADER = "X-Spaces-Signature"
ERROR_LIMIT = 500  # characters of an endpoint's failure kept in last_error


@dataclass(frozen=True)
class Relay:
    name: str
    url: str
    topics: list[str]
    delivered_id: int
    delivered_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True)
class RelayState:
    """A relay and how far behind the bus it is: lag_events committed events after its
    position (matching its topics or not), lag_seconds since the oldest of them was written."""

    relay: Relay
    newest_id: int
    lag_events: int
    lag_seconds: float


@dataclass
class Totals:
    delivered: int = 0
    passed_over: int = 0  # not matching the relay's topics: the position moves past them
    failed_attempts: int = 0
    position: int = 0


class DeliveryFailed(Exception):
    """The endpoint did not acknowledge an event. Never reaches a user: the event is retried."""


# --- checking what a person gave ----------------------------------------------------------


def check_url(url: str) -> str:
    """An http(s) URL with a host, as http.client will be given it; BadInput otherwise."""
    text = url.strip()
    problem = None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        problem = "not a URL"
    else:
        if parts.scheme not in ("http", "https"):
            problem = "it must start with http:// or https://"
        elif not parts.hostname:
            problem = "it names no host"
        elif parts.username is not None or parts.password is not None:
            problem = "user:password@ is not sent; put a token in the path or query instead"
        elif len(text) > URL_LIMIT:
            problem = f"longer than {URL_LIMIT} characters"
        elif any(ord(char) <= 32 or ord(char) == 127 for char in text):
            problem = "it holds a space or a control character"
    if problem:
        raise BadInput(f"--url {quoted(url)}: {problem}")
    return text


def check_topics(patterns: Sequence[str]) -> list[str]:
    checked = []
    for pattern in patterns:
        text = pattern.strip()
        if not text or len(text) > TOPIC_LIMIT or any(ord(c) < 32 for c in text):
            raise BadInput(
                f"--topic {quoted(pattern)}: a topic or shell-style pattern such as"
                " spaces.reservation.*"
            )
        checked.append(text)
    return checked


def check_secret(secret: str) -> str:
    if not secret.strip():
        raise BadInput("the relay's secret is empty: give a non-empty --secret or none")
    if "\x00" in secret:
        raise BadInput("the relay's secret cannot contain a NUL character")
    return secret


def matches(patterns: Sequence[str], topic: str) -> bool:
    """No patterns: every topic. Case-sensitive, as topics are."""
    return not patterns or any(fnmatchcase(topic, pattern) for pattern in patterns)


# --- the relays table ------------------------------------------------------------------------

_COLUMNS = "name, url, topics, delivered_id, delivered_at, last_attempt_at, last_error, created_at"


def _relay(row: Any) -> Relay:
    return Relay(**{**row._asdict(), "topics": list(row.topics)})


def get_relay(db: Database, name: str) -> Relay:
    with domain_errors(), db.transaction() as conn:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM spaces.relays WHERE name = %s", (name,)
        ).fetchone()
    if row is None:
        raise NotFound(f"no relay named {quoted(name)}")
    return _relay(row)


def prepare_relay(
    db: Database,
    name: str,
    url: str | None = None,
    topics: Sequence[str] | None = None,
    start: str | None = None,
) -> tuple[Relay, list[str]]:
    """The relay to run, made or changed as asked, and notes saying what changed. A new one
    starts after the newest event (start="now", the default) or before the first
    (start="start"); an existing one resumes from its position unless start moves it."""
    check_name(name, "relay")
    url = check_url(url) if url is not None else None
    topics = check_topics(topics) if topics is not None else None
    notes: list[str] = []
    with domain_errors(), db.transaction() as conn:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM spaces.relays WHERE name = %s FOR UPDATE", (name,)
        ).fetchone()
        newest = first_value(conn.execute("SELECT spaces.latest_event_id()"))
        if row is None:
            if url is None:
                raise BadInput(f"relay {quoted(name)} is new: give the --url to deliver to")
            position = 0 if start == "start" else newest
            row = conn.execute(
                "INSERT INTO spaces.relays (name, url, topics, delivered_id)"
                f" VALUES (%s, %s, %s, %s) RETURNING {_COLUMNS}",
                (name, url, topics or [], position),
            ).fetchone()
            where = "the first event" if start == "start" else f"now (after event {position})"
            notes.append(f"new relay {name}: delivering from {where}")
            return _relay(row), notes
        relay = _relay(row)
        if url is not None and url != relay.url:
            notes.append(f"relay {name}: URL changed from {relay.url} to {url}")
        if topics is not None and topics != relay.topics:
            shown = " ".join(topics) or "every topic"
            notes.append(f"relay {name}: topics changed to {shown}")
        position = relay.delivered_id
        if start == "start":
            position = 0
            notes.append(
                f"relay {name}: moved back to the first event (was after {relay.delivered_id})"
            )
        elif start == "now":
            position = newest
            notes.append(f"relay {name}: moved to now, after event {newest}, passing over the rest")
        row = conn.execute(
            "UPDATE spaces.relays SET url = %s, topics = %s, delivered_id = %s"
            f" WHERE name = %s RETURNING {_COLUMNS}",
            (url or relay.url, relay.topics if topics is None else topics, position, name),
        ).fetchone()
    return _relay(row), notes


def list_relays(db: Database) -> list[RelayState]:
    with domain_errors(), db.transaction() as conn:
        rows = conn.execute(
            f"SELECT {', '.join('r.' + c.strip() for c in _COLUMNS.split(','))},"
            "       spaces.latest_event_id() AS newest_id, behind.events, behind.seconds"
            "  FROM spaces.relays r,"
            "  LATERAL (SELECT count(*) AS events, coalesce("
            "                  extract(epoch FROM now() - min(e.created_at)), 0) AS seconds"
            "             FROM spaces.events e"
            "            WHERE e.id > r.delivered_id AND e.id < spaces.event_horizon()) behind"
            " ORDER BY r.name"
        ).fetchall()
    states = []
    for row in rows:
        values = row._asdict()
        newest, lag, seconds = values.pop("newest_id"), values.pop("events"), values.pop("seconds")
        relay = Relay(**{**values, "topics": list(values["topics"])})
        states.append(RelayState(relay, newest, lag, float(seconds)))
    return states


def remove_relay(db: Database, name: str) -> Relay:
    with domain_errors(), db.transaction() as conn:
        row = conn.execute(
            f"DELETE FROM spaces.relays WHERE name = %s RETURNING {_COLUMNS}", (name,)
        ).fetchone()
    if row is None:
        raise NotFound(f"no relay named {quoted(name)}")
    return _relay(row)


# --- one POST --------------------------------------------------------------------------------


def event_body(event: Event) -> bytes:
    return json.dumps(events.as_json(event), ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """The X-Spaces-Signature value: sha256=<hex HMAC-SHA256 of the body, keyed by secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Endpoint:
    """One URL, over a connection kept open between POSTs when the endpoint allows it."""

    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> None:
        """Returns once the endpoint answered 2xx; DeliveryFailed otherwise."""
        for tries_left in (1, 0):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                conn.request("POST", self._target, body=body, headers=headers)
                response = conn.getresponse()
                response.read()  # the connection serves the next POST only once it is read
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                self.close()
                # A kept connection the endpoint closed while idle fails at once: try again,
                # once, on a new one, rather than wait a backoff for what is not a failure.
                if reused and tries_left:
                    continue
                raise DeliveryFailed(f"the connection was closed ({_said(e)})") from e
            except TimeoutError as e:
                self.close()
                raise DeliveryFailed(f"no answer within {self._timeout:g}s") from e
            except (OSError, http.client.HTTPException) as e:
                self.close()
                raise DeliveryFailed(f"cannot reach it ({_said(e)})") from e
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"HTTP {response.status} {response.reason}".strip())
            return

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = kind(self._host, self._port, timeout=self._timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _said(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- running a relay -------------------------------------------------------------------------


@dataclass
class _Run:
    db: Database
    relay: Relay
    endpoint: Endpoint
    secret: str | None
    stop: threading.Event
    report: Callable[[str], None]
    backoff: tuple[float, float]
    totals: Totals = field(default_factory=Totals)

    def deliver(self, event: Event) -> bool:
        """POSTs event until it is acknowledged: True; False when stopped first."""
        body = event_body(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"spaces-relay/{__version__}",
            "X-Spaces-Event-Id": str(event.id),
            "X-Spaces-Relay": self.relay.name,
        }
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        failures = 0
        first, cap = self.backoff
        while not self.stop.is_set():
            try:
                self.endpoint.post(body, headers)
            except DeliveryFailed as failure:
                failures += 1
                self.totals.failed_attempts += 1
                # Jitter: relays restarted together do not retry in step.
                wait = min(cap, first * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
                self.report(
                    f"relay {self.relay.name}: event {event.id} not delivered: {failure};"
                    f" retrying in {wait:.1f}s (attempt {failures})"
                )
                self._note_failure(str(failure))
                self.stop.wait(wait)
                continue
            if failures:
                self.report(
                    f"relay {self.relay.name}: event {event.id} delivered after"
                    f" {failures + 1} attempts"
                )
            return True
        return False

    def _note_failure(self, error: str) -> None:
        """Best effort: a database that is away too only means `relay list` learns it later."""
        try:
            with domain_errors(), self.db.statements() as conn:
                conn.execute(
                    "UPDATE spaces.relays SET last_attempt_at = now(), last_error = %s"
                    " WHERE name = %s",
                    (error[:ERROR_LIMIT], self.relay.name),
                )
        except DatabaseUnavailable:
            pass

    def store(self, event_id: int, *, delivered: bool) -> bool:
        """Moves the position to event_id, retrying while the database is away: True once
        stored, False when stopped first (the event is then delivered again on the next run)."""
        wait = self.backoff[0]
        while True:
            try:
                with domain_errors(), self.db.statements() as conn:
                    stored = conn.execute(
                        "UPDATE spaces.relays SET delivered_id = %(id)s,"
                        " delivered_at = CASE WHEN %(delivered)s THEN now() ELSE delivered_at END,"
                        " last_attempt_at = CASE WHEN %(delivered)s THEN now()"
                        "                        ELSE last_attempt_at END,"
                        " last_error = CASE WHEN %(delivered)s THEN NULL ELSE last_error END"
                        " WHERE name = %(name)s",
                        {"id": event_id, "delivered": delivered, "name": self.relay.name},
                    ).rowcount
            except DatabaseUnavailable as error:
                self.report(
                    f"relay {self.relay.name}: cannot store the position ({error});"
                    f" retrying in {wait:.1f}s"
                )
                if self.stop.wait(wait):
                    return False
                wait = min(wait * 2, self.backoff[1])
                continue
            if not stored:
                raise NotFound(f"relay {self.relay.name} was removed while it ran")
            self.totals.position = event_id
            return True


def run_relay(
    db: Database,
    name: str,
    *,
    secret: str | None = None,
    timeout: float = TIMEOUT,
    stop: threading.Event | None = None,
    report: Callable[[str], None] | None = None,
    backoff: tuple[float, float] = (BACKOFF_FIRST, BACKOFF_CAP),
    poll_seconds: float = POLL_SECONDS,
    summary_seconds: float = SUMMARY_SECONDS,
    after_post: Callable[[Event], None] | None = None,
) -> Totals:
    """Delivers the relay's events from its stored position until stop is set (forever
    otherwise); returns what it did. after_post(event) runs between an acknowledgement and
    storing the position: the tests' place to crash."""
    relay = get_relay(db, name)
    stop = stop or threading.Event()
    say = report or (lambda line: None)
    run = _Run(db, relay, Endpoint(relay.url, timeout), secret, stop, say, backoff)
    run.totals.position = relay.delivered_id
    since_summary = Totals()
    summary_due = time.monotonic() + summary_seconds

    def disconnected(error: Exception, retry_in: float) -> None:
        say(f"relay {name}: lost the database ({_said(error)}); retrying in {retry_in:.1f}s")

    try:
        for event in events.follow(
            db,
            relay.delivered_id,
            poll_seconds=poll_seconds,
            on_disconnect=disconnected,
            stop=stop,
        ):
            if stop.is_set():
                break
            wanted = matches(relay.topics, event.topic)
            if wanted:
                if not run.deliver(event):
                    break
                if after_post is not None:
                    after_post(event)
            if not run.store(event.id, delivered=wanted):
                break
            if wanted:
                run.totals.delivered += 1
            else:
                run.totals.passed_over += 1
            if time.monotonic() >= summary_due:
                _summarize(name, run.totals, since_summary, summary_seconds, say)
                since_summary = Totals(**vars(run.totals))
                summary_due = time.monotonic() + summary_seconds
    finally:
        run.endpoint.close()
    return run.totals


def _summarize(
    name: str, now: Totals, before: Totals, seconds: float, say: Callable[[str], None]
) -> None:
    say(
        f"relay {name}: {now.delivered - before.delivered} delivered,"
        f" {now.passed_over - before.passed_over} passed over (other topics),"
        f" {now.failed_attempts - before.failed_attempts} failed attempts in the last"
        f" {seconds:g}s; at event {now.position}"
    )
