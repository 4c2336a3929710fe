"""Calendar feeds (#16): an export's filters kept under a name, served as
/feeds/NAME.ics?key=KEY for a phone or a desktop calendar to subscribe to (serve.py is the HTTP
side). The key is shown once, when the feed is made; the database keeps only its SHA-256, so a
copy of the database (a backup, a replica) opens nobody's feed.

A feed's window rolls: the export's default (30 days back, a year on), counted from the start of
the request's UTC day, so two requests on the same day with no new event give the same bytes and
the same ETag."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from spaces_tui.db.connection import Database
from spaces_tui.engine.errors import BadInput, NotFound, domain_errors, quoted
from spaces_tui.engine.interop.names import NAME, check_name
from spaces_tui.engine.models import ACTIVE
from spaces_tui.engine.reservations import STATUSES
from spaces_tui.engine.resources import find_resource

STATUS_CHOICES = (*STATUSES, "active", "all")
FILTER_KEYS = ("resources", "kind", "under", "booked_by", "status", "blackouts")
# Compared against when no feed has the name, so a wrong name costs what a wrong key costs and
# the timing does not tell whether a feed exists.
_NO_HASH = bytes(32)


@dataclass(frozen=True)
class Feed:
    name: str
    filters: dict[str, Any]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Found:
    """A feed that a request may read, and the newest event id, from one query."""

    feed: Feed
    newest_event: int


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def make_filters(
    *,
    resources: Sequence[str] = (),
    kind: str | None = None,
    under: str | None = None,
    booked_by: str | None = None,
    status: str = "active",
    blackouts: bool = False,
) -> dict[str, Any]:
    """The export's options as the feed keeps them (only those given)."""
    if status not in STATUS_CHOICES:
        raise BadInput(f"unknown status {quoted(status)}: use {', '.join(STATUS_CHOICES)}")
    filters: dict[str, Any] = {"status": status}
    if resources:
        filters["resources"] = list(resources)
    if kind is not None:
        filters["kind"] = kind
    if under is not None:
        filters["under"] = under
    if booked_by is not None:
        filters["booked_by"] = booked_by
    if blackouts:
        filters["blackouts"] = True
    return filters


def _feed(row: Any) -> Feed:
    return Feed(row.name, dict(row.filters), row.created_by, row.created_at, row.revoked_at)


def add_feed(db: Database, name: str, filters: dict[str, Any]) -> tuple[Feed, str]:
    """A new feed and its key (shown to the caller once, never stored). A revoked feed's name
    may be taken again: the old key stays dead, since the hash is replaced."""
    check_name(name, "feed")
    key = secrets.token_urlsafe(32)
    with domain_errors(), db.transaction() as conn:
        # Unknown resources are bad input now, not a feed that answers 404 forever.
        for ref in [*filters.get("resources", []), *filter(None, [filters.get("under")])]:
            find_resource(conn, ref)
        row = conn.execute(
            "INSERT INTO spaces.feeds (name, key_hash, filters) VALUES (%s, %s, %s::jsonb)"
            " ON CONFLICT (name) DO UPDATE SET key_hash = excluded.key_hash,"
            "   filters = excluded.filters, created_by = excluded.created_by,"
            "   created_at = excluded.created_at, revoked_at = NULL"
            " WHERE spaces.feeds.revoked_at IS NOT NULL"
            " RETURNING *",
            (name, key_hash(key), json.dumps(filters)),
        ).fetchone()
    if row is None:
        raise BadInput(f"there is already a feed {quoted(name)} (revoke it first)")
    return _feed(row), key


def list_feeds(db: Database) -> list[Feed]:
    with domain_errors(), db.transaction() as conn:
        rows = conn.execute("SELECT * FROM spaces.feeds ORDER BY name").fetchall()
    return [_feed(row) for row in rows]


def revoke_feed(db: Database, name: str) -> Feed:
    with domain_errors(), db.transaction() as conn:
        row = conn.execute(
            "UPDATE spaces.feeds SET revoked_at = now()"
            " WHERE name = %s AND revoked_at IS NULL RETURNING *",
            (check_name(name, "feed"),),
        ).fetchone()
    if row is None:
        raise NotFound(f"no feed {quoted(name)} (or it is already revoked)")
    return _feed(row)


def open_feed(db: Database, name: str, key: str) -> Found | None:
    """The feed when name and key match a feed that is not revoked, else None; one query,
    which also reads the newest event id for the ETag."""
    row = None
    if NAME.fullmatch(name):
        with domain_errors(), db.transaction() as conn:
            row = conn.execute(
                "SELECT f.*, spaces.latest_event_id() AS newest FROM spaces.feeds f"
                " WHERE f.name = %s AND f.revoked_at IS NULL",
                (name,),
            ).fetchone()
    stored = bytes(row.key_hash) if row is not None else _NO_HASH
    # Constant time: how far a guess matched says nothing.
    if not hmac.compare_digest(key_hash(key), stored) or row is None:
        return None
    return Found(_feed(row), int(row.newest))


def window_day(now: datetime | None = None) -> datetime:
    """The start of now's UTC day: what the rolling window is counted from."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def etag(found: Found, day: datetime) -> str:
    """Changes when an event is written (a booking, blackout or resource changed: a rename
    too), when the feed's filters change (a feed made again under the name) and when the
    window moves a day on."""
    text = json.dumps(
        [found.newest_event, found.feed.name, found.feed.filters, day.date().isoformat()],
        sort_keys=True,
    )
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def render_feed(db: Database, feed: Feed, day: datetime) -> bytes:
    """The feed's calendar: the export (engine/interop/ical.py) with the feed's filters."""
    from spaces_tui.engine.interop import ical  # icalendar loads only when a feed is built

    filters = feed.filters
    status = filters.get("status", "active")
    statuses = {"active": ACTIVE, "all": STATUSES}.get(status, (status,))
    return ical.export_ical(
        db,
        resources=filters.get("resources", []),
        kind=filters.get("kind"),
        under=filters.get("under"),
        booked_by=filters.get("booked_by"),
        statuses=statuses,
        blackouts=bool(filters.get("blackouts")),
        now=day,
    ).data
