"""Planning: what is free for a period (`spaces free`, the app's finder), when several resources
are free together (`spaces find`), and what to offer when a slot is taken (the booking form's
"next free"). The answers are the database's (sql/rules/planning.sql): they read the claims
through the probe rows a booking would claim, so "free" here is what a booking would find.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pendulum

from spaces_tui.db.connection import Connection, Database
from spaces_tui.engine.errors import BadInput, domain_errors
from spaces_tui.engine.models import Obstacle, Resource
from spaces_tui.engine.reservations import obstacles_from
from spaces_tui.engine.resources import find_resource, resource_tree
from spaces_tui.engine.times import (
    Moment,
    exact_length,
    in_zone,
    parse_end,
    parse_moment,
    parse_period,
)

DEFAULT_STEP = timedelta(minutes=15)
DEFAULT_COUNT = 5
DEFAULT_SPAN = timedelta(days=28)  # how far `find` looks without --to
SUGGESTION_SPAN = timedelta(days=28)  # how far the form looks for the next free start


@dataclass(frozen=True)
class Availability:
    """One resource for one period: what is in the way, and whether the headcount fits."""

    resource: Resource
    obstacles: tuple[Obstacle, ...]
    over_capacity: bool

    @property
    def free(self) -> bool:
        return not self.obstacles and not self.over_capacity


@dataclass(frozen=True)
class FreeResources:
    """The answer to "what is free from start to end": every candidate, in tree order."""

    start: pendulum.DateTime
    end: pendulum.DateTime
    resources: tuple[Availability, ...]

    @property
    def free(self) -> list[Availability]:
        return [a for a in self.resources if a.free]

    @property
    def taken(self) -> list[Availability]:
        return [a for a in self.resources if not a.free]


@dataclass(frozen=True)
class Opening:
    """A stretch of time in which every asked resource can be booked at once: the booking may
    start at first, at last, or at any step between (times on the first resource's clock)."""

    first: pendulum.DateTime
    last: pendulum.DateTime


@dataclass(frozen=True)
class FoundTimes:
    resources: tuple[Resource, ...]
    length: timedelta
    start: pendulum.DateTime
    end: pendulum.DateTime
    openings: tuple[Opening, ...]


@dataclass(frozen=True)
class Suggestions:
    """What to offer when a slot is taken: the same resource at its next free start, and
    another resource of its kind that is free at the asked time (either may be None)."""

    next_start: pendulum.DateTime | None
    elsewhere: Resource | None


def parse_attributes(texts: Sequence[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as the JSON a resource's attributes are matched against: a value that
    reads as JSON (a number, true, false) is that, anything else a string."""
    found: dict[str, Any] = {}
    for text in texts:
        key, equals, value = text.partition("=")
        if not equals or not key.strip():
            raise BadInput(f"an attribute is KEY=VALUE, not {text!r}")
        try:
            parsed = json.loads(value)
            json.dumps(parsed, allow_nan=False)  # NaN, Infinity, 1e999: not PostgreSQL's JSON
        except ValueError:
            parsed = value
        found[key.strip()] = parsed
    return found


def free_resources(
    db: Database,
    start: Moment,
    end: Moment,
    *,
    zone: str,
    kinds: Sequence[str] = (),
    headcount: int | None = None,
    under: str | int | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> FreeResources:
    """Every active resource (of kinds, inside under, with attributes) with what stands in the
    way of booking it from start to end, for headcount people. Times without an offset are
    read on under's clock, else zone's. One query for all of them."""
    if headcount is not None and headcount < 1:
        raise BadInput("a headcount is at least 1")
    with domain_errors(), db.snapshot() as conn:  # the tree and the answer agree
        parent = find_resource(conn, under) if under is not None else None
        begins, ends = parse_period(start, end, parent.timezone if parent else zone)
        rows = conn.execute(
            "SELECT f.*, r.timezone"
            "  FROM spaces.free_resources(tstzrange(%(start)s, %(end)s, '[)'), %(headcount)s,"
            "       %(kinds)s, %(under)s, %(attributes)s::jsonb) AS f"
            "  LEFT JOIN spaces.resources r ON r.id = f.obstacle_resource_id",
            {
                "start": begins,
                "end": ends,
                "headcount": headcount,
                "kinds": list(kinds) or None,
                "under": parent.id if parent else None,
                "attributes": json.dumps(dict(attributes)) if attributes else None,
            },
        ).fetchall()
        in_tree_order = resource_tree(conn, include_inactive=False)
    over = {row.resource_id: row.over_capacity for row in rows}
    in_way: dict[int, list[Any]] = {}
    for row in rows:
        if row.id is not None:
            in_way.setdefault(row.resource_id, []).append(row)
    answer = tuple(
        Availability(r, tuple(obstacles_from(in_way.get(r.id, []))), over[r.id])
        for r in in_tree_order
        if r.id in over
    )
    return FreeResources(begins, ends, answer)


def find_times(
    db: Database,
    resources: Sequence[str | int],
    length: timedelta,
    *,
    start: Moment | None = None,
    end: Moment | None = None,
    within_hours: bool = False,
    count: int = DEFAULT_COUNT,
    step: timedelta = DEFAULT_STEP,
    exclude_id: int | None = None,
) -> FoundTimes:
    """The first count stretches from start (default: now) to end (default: four weeks on)
    when every one of resources can be booked for length at once (within each one's bookable
    hours with within_hours), on a grid of step. Times are read on the first resource's clock."""
    if not resources:
        raise BadInput("name at least one resource")
    with domain_errors(), db.statements() as conn:
        found = [find_resource(conn, ref) for ref in resources]
        zone = found[0].timezone
        begins = parse_moment(start, zone, what="--from") if start else pendulum.now(zone)
        ends = parse_end(end, begins, zone) if end else begins + DEFAULT_SPAN
        if ends <= begins:
            raise BadInput("--to must be after --from")
        rows = _openings(
            conn, [r.id for r in found], begins, ends, length, step, count, within_hours, exclude_id
        )
    openings = tuple(
        Opening(in_zone(row.first_start, zone), in_zone(row.last_start, zone)) for row in rows
    )
    return FoundTimes(tuple(found), length, begins, ends, openings)


def _openings(
    conn: Connection,
    resource_ids: Sequence[int],
    start: datetime,
    end: datetime,
    length: timedelta,
    step: timedelta,
    count: int,
    within_hours: bool,
    exclude_id: int | None,
) -> list[Any]:
    return conn.execute(
        "SELECT * FROM spaces.find_times(%(ids)s, tstzrange(%(start)s, %(end)s, '[)'),"
        " %(length)s, %(step)s, %(within)s, %(count)s, %(exclude)s)",
        {
            "ids": list(resource_ids),
            "start": start,
            "end": end,
            "length": length,
            "step": step,
            "within": within_hours,
            "count": count,
            "exclude": exclude_id,
        },
    ).fetchall()


def suggestions(
    db: Database,
    resource: str | int,
    start: datetime,
    end: datetime,
    *,
    headcount: int | None = None,
    exclude_id: int | None = None,
    not_before: datetime | None = None,
) -> Suggestions:
    """For a slot that is taken: the resource's next free start for as long (within its
    bookable hours, on a quarter-hour grid, in the four weeks from the asked start, or from
    not_before (now) when that is later: a slot in the past is not offered a time in the past),
    and another active resource of its kind free at that time that holds headcount (one in the
    same place first)."""
    length = exact_length(start, end)
    since = max(start, not_before) if not_before is not None else start
    with domain_errors(), db.statements() as conn:
        target = find_resource(conn, resource)
        later = _openings(
            conn,
            [target.id],
            since,
            since + SUGGESTION_SPAN + length,
            length,
            DEFAULT_STEP,
            1,
            True,
            exclude_id,
        )
        other = conn.execute(
            "SELECT f.resource_id FROM spaces.free_resources("
            "       tstzrange(%(start)s, %(end)s, '[)'), %(headcount)s, ARRAY[%(kind)s], NULL,"
            "       NULL) AS f"
            "  JOIN spaces.resources r ON r.id = f.resource_id"
            " WHERE f.id IS NULL AND NOT f.over_capacity AND f.resource_id <> %(resource)s"
            " ORDER BY r.parent_id IS NOT DISTINCT FROM %(parent)s DESC, r.name LIMIT 1",
            {
                "start": start,
                "end": end,
                "headcount": headcount,
                "kind": target.kind,
                "resource": target.id,
                "parent": target.parent_id,
            },
        ).fetchone()
        elsewhere = find_resource(conn, other.resource_id) if other else None
    next_start = in_zone(later[0].first_start, target.timezone) if later else None
    return Suggestions(next_start, elsewhere)
