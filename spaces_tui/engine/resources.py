"""The resource registry: one table for rooms, stages, areas, trucks and kit, as a tree."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg

from spaces_tui.db.connection import Connection, Database, first_value, one_row
from spaces_tui.engine.errors import (
    QUOTED_LIMIT,
    BadInput,
    NotFound,
    domain_errors,
    quoted,
    retrying_races,
)
from spaces_tui.engine.hours import Week
from spaces_tui.engine.models import Resource
from spaces_tui.engine.times import check_zone

_SELECT = """
    SELECT r.id, r.name, r.kind, r.module, r.external_ref, r.parent_id, p.name AS parent,
           r.capacity, r.requires_approval, r.approvers, r.buffer_minutes, r.timezone,
           r.bookable_week::text AS bookable_week, r.blackout_margin, r.attributes, r.active,
           r.stall_after
      FROM spaces.resources r LEFT JOIN spaces.resources p ON p.id = r.parent_id
"""

# Depth-first, children under their parent, siblings by name.
_TREE = """
    WITH RECURSIVE tree AS (
        SELECT id, 0 AS depth, ARRAY[name] AS path FROM spaces.resources WHERE parent_id IS NULL
        UNION ALL
        SELECT c.id, tree.depth + 1, tree.path || c.name
          FROM spaces.resources c JOIN tree ON c.parent_id = tree.id
    )
    SELECT listed.*, tree.depth FROM ({select}) AS listed JOIN tree ON tree.id = listed.id
     ORDER BY tree.path
"""

_KIND = re.compile(r"[a-z][a-z0-9_]*")
_NUMBERS = re.compile(r"\d+")

# The kinds a venue usually has (DESIGN.md, the demo venue). Any other lower-case word is
# allowed too; a new one is worth a word of warning, since a typo makes a kind of its own.
COMMON_KINDS = ("stage", "floor_area", "room", "vehicle", "equipment")


def known_kinds(db: Database) -> list[str]:
    """COMMON_KINDS and every kind a resource has, sorted."""
    with domain_errors(), db.snapshot() as conn:
        used = [row.kind for row in conn.execute("SELECT DISTINCT kind FROM spaces.resources")]
    return sorted({*COMMON_KINDS, *used})


def new_kind_warning(db: Database, kind: str) -> str | None:
    """A warning for people when kind is neither a common kind nor one any resource has (a typo
    of room makes a kind of its own): which kinds are known, and the closest when one is close.
    None when kind is known. Ask before adding the resource: after, the kind is in use."""
    known = known_kinds(db)
    if kind in known:
        return None
    close = difflib.get_close_matches(kind, known, n=1)
    guess = f" Did you mean {close[0]!r}?" if close else ""
    return (
        f"{kind!r} is a new kind: no resource is one yet.{guess} Known kinds: {', '.join(known)}."
    )


# The UNIQUE (name) of sql/002_resources.sql, as PostgreSQL names it.
NAME_CONSTRAINT = "resources_name_key"


@contextmanager
def _name_free(name: str) -> Iterator[None]:
    """Turns the unique violation of a resource's name into a message about the name, not
    PostgreSQL's "Key (name)=(...) already exists"."""
    try:
        yield
    except psycopg.errors.UniqueViolation as error:
        if error.diag.constraint_name == NAME_CONSTRAINT:
            raise BadInput(f"there is already a resource called {quoted(name)}") from error
        raise


def _resource(row: Any, depth: int = 0) -> Resource:
    values = row._asdict()
    values["approvers"] = tuple(values["approvers"])
    values["depth"] = values.get("depth", depth)
    values["bookable_week"] = Week.from_multirange(values["bookable_week"])
    return Resource(**values)


def find_resource(conn: Connection, ref: str | int) -> Resource:
    """A resource by its name; else by id (an int, or digits that are not some resource's
    name); else by its name in another case ("rehearsal 1"), as pick_name decides."""
    name = str(ref)
    digits = name.strip()
    ident = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 19 else None
    rows = conn.execute(
        _SELECT + " WHERE r.name = %(name)s OR r.id = %(id)s OR lower(r.name) = lower(%(name)s)"
        # its name first, then its id, then the names in another case: one round trip
        " ORDER BY r.name = %(name)s DESC, r.id = %(id)s DESC, r.name",
        {"name": name, "id": ident},
    ).fetchall()
    if rows and (rows[0].name == name or rows[0].id == ident):
        return _resource(rows[0])
    by_name = {row.name: row for row in rows}
    names = by_name or [row.name for row in conn.execute("SELECT name FROM spaces.resources")]
    chosen = pick_name(name, names)
    if chosen in by_name:
        return _resource(by_name[chosen])
    # Python's lower() paired a name that PostgreSQL's did not: the database's lower() follows
    # its locale (under C, ASCII letters only). Read that one by its name.
    return find_resource(conn, chosen)


def pick_name(ref: str, names: Iterable[str]) -> str:
    """The one of names that ref means: ref itself, else the only name that is ref in another
    case. BadInput naming them when several are ("Room" and "room" are both names); when none
    is, BadInput asking "did you mean" the closest name if one is close, else NotFound."""
    names = list(names)
    if ref in names:
        return ref
    same = sorted(name for name in names if name.lower() == ref.lower())
    if len(same) == 1:
        return same[0]
    if same:
        listed = ", ".join(quoted(name) for name in same[:-1]) + f" or {quoted(same[-1])}"
        raise BadInput(f"{quoted(ref)} could be {listed}: give the name as it is written")
    unknown = f"no resource named {ref if len(ref) <= QUOTED_LIMIT else quoted(ref)}"
    # Only names with the same numbers: Room 9 is not a slip of the fingers for Room 1, and
    # "rehearsal" no more means Rehearsal 1 than Rehearsal 6.
    numbers = _NUMBERS.findall(ref)
    lowered = {name.lower(): name for name in names if _NUMBERS.findall(name) == numbers}
    close = difflib.get_close_matches(ref.lower(), lowered, n=1)
    if close:
        raise BadInput(f"{unknown}; did you mean {quoted(lowered[close[0]])}?")
    raise NotFound(unknown)


def get_resource(db: Database, ref: str | int) -> Resource:
    with domain_errors(), db.transaction() as conn:
        return find_resource(conn, ref)


def list_resources(db: Database, *, include_inactive: bool = True) -> list[Resource]:
    """Every resource in tree order: each stage followed by its areas (depth says how deep)."""
    with domain_errors(), db.transaction() as conn:
        return resource_tree(conn, include_inactive=include_inactive)


def resource_tree(conn: Connection, *, include_inactive: bool = True) -> list[Resource]:
    where = "" if include_inactive else " WHERE r.active"
    rows = conn.execute(_TREE.format(select=_SELECT + where)).fetchall()
    return [_resource(row) for row in rows]


def add_resource(
    db: Database,
    name: str,
    kind: str,
    *,
    parent: str | int | None = None,
    capacity: int | None = None,
    requires_approval: bool = False,
    approvers: Iterable[str] = (),
    buffer_minutes: int = 0,
    timezone: str | None = None,
    attributes: dict[str, Any] | None = None,
    stall_after: timedelta | None = None,
    hours: Week | None = None,
    blackout_margin: timedelta | None = None,
    module: str = "spaces",
    external_ref: str | None = None,
) -> Resource:
    """Adds a resource. Naming an approver means its bookings need approval: approvers given
    make requires_approval true whatever it says. hours are its bookable hours (always, when
    not given); blackout_margin how near a blackout is warned of (an hour, when not given).
    BadInput for a name already taken."""
    values = _checked(
        name=name,
        kind=kind,
        capacity=capacity,
        buffer_minutes=buffer_minutes,
        timezone=timezone,
        approvers=list(approvers),
        stall_after=stall_after,
        hours=hours,
        blackout_margin=blackout_margin,
        module=module,
    )
    with domain_errors(), db.transaction() as conn:
        parent_resource = find_resource(conn, parent) if parent is not None else None
        if parent_resource is not None and values["timezone"] is None:
            values["timezone"] = parent_resource.timezone  # an area keeps its stage's clock
        columns = {
            **values,
            "parent_id": parent_resource.id if parent_resource else None,
            "requires_approval": requires_approval or bool(values["approvers"]),
            "external_ref": external_ref,
            "attributes": _json(attributes or {}),
        }
        columns = {key: value for key, value in _columns(columns).items() if value is not None}
        names = ", ".join(columns)
        params = ", ".join(_param(key) for key in columns)
        with _name_free(values["name"]):
            new_id = first_value(
                conn.execute(
                    f"INSERT INTO spaces.resources ({names}) VALUES ({params}) RETURNING id",
                    columns,
                )
            )
        return _fresh(conn, new_id)


# As sql/014_guards.sql's resources_stall_after_sane.
STALL_AFTER_AT_MOST = timedelta(days=3652)
# As sql/017_insights.sql's resources_blackout_margin_sane.
BLACKOUT_MARGIN_AT_MOST = timedelta(days=7)

_UPDATABLE = {
    "name",
    "kind",
    "parent",
    "capacity",
    "requires_approval",
    "approvers",
    "buffer_minutes",
    "timezone",
    "attributes",
    "active",
    "stall_after",
    "hours",
    "blackout_margin",
}

# Columns whose values go as text and are read by PostgreSQL as another type.
_CASTS = {"attributes": "jsonb", "bookable_week": "int4multirange"}


def _param(column: str) -> str:
    cast = _CASTS.get(column)
    return f"CAST(%({column})s AS {cast})" if cast else f"%({column})s"


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """The checked values as the table's columns: hours, a Week, is bookable_week's text."""
    if "hours" not in values:
        return values
    columns = {key: value for key, value in values.items() if key != "hours"}
    hours = values["hours"]
    columns["bookable_week"] = hours.multirange() if hours is not None else None
    return columns


def update_resource(db: Database, ref: str | int, **changes: Any) -> Resource:
    """Changes the given fields, in one transaction; parent=None moves it to the top level.
    add_approvers and remove_approvers (lists of names) change the approvers as add_approver
    and remove_approver do, against the row as it is then (never a list read earlier); a name
    already there is not added twice. approvers replaces the whole list. Naming an approver
    means bookings need approval: adding one (or a new name in approvers) turns approval on,
    and requires_approval=False alongside add_approvers is refused as a contradiction. Moving
    a resource in the tree or changing its buffer is refused (BadInput, naming them) if its
    bookings would then collide; a name already taken is BadInput. hours (a Week) and
    blackout_margin are as add_resource's."""
    unknown = set(changes) - _UPDATABLE - {"add_approvers", "remove_approvers"}
    if unknown:
        raise BadInput(f"cannot change {', '.join(sorted(unknown))} of a resource")
    added = _approver_names(changes.pop("add_approvers", ()))
    removed = _approver_names(changes.pop("remove_approvers", ()))
    if added and changes.get("requires_approval") is False:
        raise BadInput(
            "naming an approver means bookings need approval: give --approver or --no-approval,"
            " not both"
        )
    columns = _checked(**changes)
    return retrying_races(lambda: _update(db, ref, dict(columns), added, removed))


def _update(
    db: Database,
    ref: str | int,
    columns: dict[str, Any],
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
) -> Resource:
    # A move can meet a booking that took its tree's turns in the other order (the booking's
    # tree changed while it waited): PostgreSQL ends one of them, and the move is tried again.
    with domain_errors(), db.transaction() as conn:
        resource = find_resource(conn, ref)
        if "parent" in columns:
            parent = columns.pop("parent")
            columns["parent_id"] = find_resource(conn, parent).id if parent is not None else None
        if "attributes" in columns:
            columns["attributes"] = _json(columns["attributes"])
        columns = _columns(columns)
        if columns:
            assignments = [f"{key} = {_param(key)}" for key in columns]
            if "approvers" in columns and "requires_approval" not in columns:
                # A name that was not an approver before is an approver named: approval on.
                assignments.append(
                    "requires_approval = requires_approval OR EXISTS (SELECT 1 FROM"
                    " unnest(CAST(%(approvers)s AS text[])) AS named"
                    " WHERE named <> ALL (approvers))"
                )
            with _name_free(columns.get("name", "")):
                conn.execute(
                    f"UPDATE spaces.resources SET {', '.join(assignments)}"
                    " WHERE id = %(resource_id)s",
                    {**columns, "resource_id": resource.id},
                )
        for name in removed:
            if not _change_approver(conn, _REMOVE_APPROVER, resource.id, name):
                raise BadInput(f"{name} is not an approver of {resource.name}")
        for name in added:
            _change_approver(conn, _ADD_APPROVER, resource.id, name)
        return _fresh(conn, resource.id)


# Approvers change by one statement each, against the row as it is when the statement runs
# (READ COMMITTED re-reads a row another transaction changed meanwhile), so two people adding
# different approvers at the same moment both end up in the list: no list read earlier is
# written back over somebody else's change.
#
# Adding one turns approval on (naming an approver means bookings need approval). It changes
# nothing, and so matches no row, when the name is an approver already and approval is on.
_ADD_APPROVER = """
    UPDATE spaces.resources
       SET approvers = CASE WHEN %(approver)s = ANY (approvers) THEN approvers
                            ELSE array_append(approvers, %(approver)s) END,
           requires_approval = true
     WHERE id = %(resource_id)s AND NOT (%(approver)s = ANY (approvers) AND requires_approval)
 RETURNING id
"""
# Removing one leaves approval as it was: a resource that needs approval and has no approver
# left is reported as a problem (Resource.problems), never quietly made to confirm at once.
_REMOVE_APPROVER = """
    UPDATE spaces.resources SET approvers = array_remove(approvers, %(approver)s)
     WHERE id = %(resource_id)s AND %(approver)s = ANY (approvers)
 RETURNING id
"""


def _change_approver(conn: Connection, statement: str, resource_id: int, name: str) -> bool:
    """Runs _ADD_APPROVER or _REMOVE_APPROVER; False when it matched no row (nothing to do)."""
    row = conn.execute(statement, {"resource_id": resource_id, "approver": name}).fetchone()
    return row is not None


def _approver_names(names: Iterable[str]) -> list[str]:
    return _checked(approvers=list(names))["approvers"]


def _fresh(conn: Connection, resource_id: int) -> Resource:
    return _resource(one_row(conn.execute(_SELECT + " WHERE r.id = %(id)s", {"id": resource_id})))


def add_approver(db: Database, ref: str | int, approver: str) -> Resource:
    """Makes approver (an actor's name, trimmed) an approver of the resource (by name or id)
    and turns approval on, in one UPDATE: safe against anyone else changing its approvers at
    the same moment (both changes stay). Returns the resource as changed. BadInput when the
    name is empty or is already an approver of a resource that requires approval; NotFound
    for an unknown resource."""
    return _one_approver(db, ref, approver, _ADD_APPROVER, "{name} already approves bookings of")


def remove_approver(db: Database, ref: str | int, approver: str) -> Resource:
    """Takes approver off the resource's approvers in one UPDATE (safe against concurrent
    changes, as add_approver). Approval stays as it was: removing the last approver of a
    resource that requires approval leaves it with a problem (Resource.problems), its pending
    requests waiting. BadInput when the name is not one of its approvers; NotFound for an
    unknown resource."""
    return _one_approver(db, ref, approver, _REMOVE_APPROVER, "{name} is not an approver of")


def _one_approver(
    db: Database, ref: str | int, approver: str, statement: str, refusal: str
) -> Resource:
    [name] = _approver_names([approver])

    def attempt() -> Resource:
        with domain_errors(), db.transaction() as conn:
            resource = find_resource(conn, ref)
            if not _change_approver(conn, statement, resource.id, name):
                raise BadInput(f"{refusal.format(name=name)} {resource.name}")
            return _fresh(conn, resource.id)

    return retrying_races(attempt)


def pending_count(db: Database, ref: str | int) -> int:
    """How many reservations of the resource (by name or id; not those inside it) are still
    pending, each occurrence of a series counted: what stays waiting for an approver when
    approval is turned off, which confirms nothing by itself."""
    with domain_errors(), db.snapshot() as conn:
        resource = find_resource(conn, ref)
        return first_value(
            conn.execute(
                "SELECT count(*) FROM spaces.reservations"
                " WHERE resource_id = %(id)s AND status = 'pending'",
                {"id": resource.id},
            )
        )


def checked_margin(margin: timedelta) -> timedelta:
    """The blackout margin, if the table's CHECK would take it; BadInput says the bounds."""
    if not timedelta(0) <= margin <= BLACKOUT_MARGIN_AT_MOST:
        raise BadInput("the blackout margin must be between 0 and 7 days")
    return margin


def _checked(**values: Any) -> dict[str, Any]:
    """The values, tidied, with friendly messages for what the table's CHECK constraints would
    refuse anyway; keys it does not know pass through unchanged."""
    if "name" in values:
        values["name"] = (values["name"] or "").strip()
        if not values["name"]:
            raise BadInput("a resource needs a name")
    for field in ("kind", "module"):
        if field in values and not _KIND.fullmatch(values[field] or ""):
            raise BadInput(
                f"{field} {values[field]!r} must be one lower-case word "
                "(letters, digits, _), e.g. room"
            )
    if values.get("capacity") is not None and values["capacity"] < 1:
        raise BadInput("capacity must be at least 1")
    if "buffer_minutes" in values and not 0 <= (values["buffer_minutes"] or 0) <= 1440:
        raise BadInput("the turnover buffer must be between 0 and 1440 minutes")
    if values.get("stall_after") is not None and values["stall_after"] <= timedelta(0):
        raise BadInput("a request can only stall after some time: give a positive duration")
    if values.get("stall_after") is not None and values["stall_after"] > STALL_AFTER_AT_MOST:
        raise BadInput("a request stalls after 10 years at the most")
    if values.get("blackout_margin") is not None:
        checked_margin(values["blackout_margin"])
    if values.get("timezone") is not None:
        check_zone(values["timezone"])
    if "approvers" in values:
        approvers = [a.strip() for a in values["approvers"] or []]
        if any(not a for a in approvers):
            raise BadInput("an approver needs a name")
        values["approvers"] = list(dict.fromkeys(approvers))
    return values


def _json(attributes: dict[str, Any]) -> str:
    if not isinstance(attributes, dict):
        raise BadInput("attributes must be a JSON object")
    return json.dumps(attributes)
