"""A realistic demo venue: three stages with their floor areas, six rehearsal rooms, two trucks
and some kit, with about two weeks of bookings around a given day and the blackouts a venue has,
and the four weeks before it, so the utilization report has something to say: Rehearsal 2 is
booked nearly wall to wall (over-used), Truck 18t hardly moves (under-used), and bookings end
just as the Main Stage's union meal break starts (risks worth a look).

Everything goes through the same SQL rules as real bookings: a generated booking that would
collide is simply not made. The same day always gives the same venue, so screens can be tested.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pendulum
import psycopg

from spaces_tui.db.connection import Connection, Database, first_value, one_row
from spaces_tui.engine.errors import BadInput, Conflict, domain_errors
from spaces_tui.engine.hours import parse_week
from spaces_tui.engine.reservations import insert_reservation, set_status
from spaces_tui.engine.series import book_series_on

DAYS_AROUND = 7  # bookings from a week before the day to a week after
HISTORY_DAYS = 28  # and lighter ones this far back: the utilization report's default window
OVERUSED = "Rehearsal 2"  # booked wall to wall in the weeks before the day
IDLE = "Truck 18t"  # nothing in the weeks before the day
PEOPLE = ("alex", "sam", "jo", "priya", "marcus", "lena")
STAGE_MANAGER = "stage-manager"
OPEN_08_TO_23 = parse_week("08:00-23:00")  # every day
COMPANY_MANAGER = "company-manager"


@dataclass(frozen=True)
class Place:
    name: str
    kind: str
    parent: str | None = None
    capacity: int | None = None
    approvers: tuple[str, ...] = ()
    buffer_minutes: int = 0


VENUE = (
    Place("Main Stage", "stage", capacity=80, approvers=(STAGE_MANAGER,)),
    Place("Main DS", "floor_area", "Main Stage", 30),
    Place("Main US", "floor_area", "Main Stage", 30),
    Place("Main Wings", "floor_area", "Main Stage", 15),
    Place("Studio Stage", "stage", capacity=40, buffer_minutes=15),
    Place("Studio Left", "floor_area", "Studio Stage", 20),
    Place("Studio Right", "floor_area", "Studio Stage", 20),
    Place("Black Box", "stage", capacity=60),
    Place("Black Box Floor", "floor_area", "Black Box", 40),
    Place("Black Box Gallery", "floor_area", "Black Box", 20),
    Place("Rehearsal 1", "room", capacity=40, buffer_minutes=15),
    Place("Rehearsal 2", "room", capacity=40),
    Place("Rehearsal 3", "room", capacity=25),
    Place("Rehearsal 4", "room", capacity=25),
    Place("Rehearsal 5", "room", capacity=60, approvers=(COMPANY_MANAGER,)),
    Place("Rehearsal 6", "room", capacity=12),
    Place("Truck 7.5t", "vehicle", buffer_minutes=30),
    Place("Truck 18t", "vehicle", buffer_minutes=30, approvers=(COMPANY_MANAGER,)),
    Place("Follow Spot A", "equipment"),
    Place("Follow Spot B", "equipment"),
    Place("PA Rig", "equipment", buffer_minutes=60),
    Place("Projector 20K", "equipment"),
)

REHEARSAL = (
    "Act 1 blocking",
    "Act 2 blocking",
    "Music call",
    "Fight call",
    "Costume fitting",
    "Dance rehearsal",
    "Line run",
    "Understudy call",
    "Vocal warm-up",
    "Choreography",
    "Auditions",
    "Press interview",
)
TITLES = {
    "vehicle": ("Get-in: Hamlet set", "Hire pickup", "Costume run to store", "Tour get-out"),
    "equipment": ("Hamlet: evening show", "Gala rehearsal", "Schools matinee", "Corporate hire"),
}

# (resource, title, weekdays (0 = Monday), start hour, hours)
PATTERNS = (
    ("Rehearsal 1", "Company class", (0, 1, 2, 3, 4), 10, 1),
    ("Rehearsal 2", "Production meeting", (0,), 14, 1),
    ("Main Stage", "Tech rehearsal", (1, 3), 13, 4),
    ("Black Box Floor", "Youth theatre", (2, 5), 17, 2),
    ("Truck 7.5t", "Get-out to store", (4,), 8, 3),
)

# (resource, reason, kind, day offset or None for daily, start hour, hours)
BLACKOUTS = (
    ("Studio Stage", "Rigging inspection", "maintenance", 2, 8, 6),
    ("Black Box", "VIP hold: sponsor's evening", "hold", 4, 12, 11),
    ("Truck 18t", "MOT service", "maintenance", 1, 7, 10),
    ("Main Stage", "Union meal break", "break", None, 18, 1),
    ("Rehearsal 6", "Floor repair", "maintenance", -2, 9, 8),
)

# A recurring request waiting for the stage manager, decided as one in the approval queue:
# (resource, title, asked by, first day's offset, start hour, hours, RRULE)
SERIES = ("Main Stage", "Lighting focus", "jo", 2, 6, 2, "FREQ=DAILY;COUNT=3")

# Early calls booked through the rehearse module: (room, title, day offset, start hour, hours).
SESSIONS = (
    ("Rehearsal 3", "Early call: Act 1", 1, 7, 2),
    ("Rehearsal 3", "Early call: Act 2", 2, 7, 2),
    ("Rehearsal 4", "Early call: songs", 3, 7, 2),
)
# Spaces takes one session's room away, so the demo shows a flagged session: (title, reason).
LOST_ROOM = ("Early call: Act 2", "burst pipe: Rehearsal 3 closed that morning")


@dataclass(frozen=True)
class DemoSummary:
    resources: int
    reservations: int
    blackouts: int
    sessions: int
    skipped: int  # generated bookings the rules refused (they would have collided)


def has_data(db: Database) -> bool:
    with domain_errors(), db.transaction() as conn:
        return bool(first_value(conn.execute("SELECT EXISTS (SELECT FROM spaces.resources)")))


def load_demo(
    db: Database,
    *,
    today: date,
    zone: str,
    reset: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Loads the demo venue around today (wall-clock times in zone). Refuses a database that
    holds anything; reset first erases it, but only if all it holds is an earlier demo."""
    say = progress or (lambda _message: None)
    with domain_errors(), db.transaction() as conn:
        _make_room(conn, reset, say)
        say("Adding the venue...")
        ids = _add_venue(conn, zone)
        say("Adding blackouts...")
        blackouts = _add_blackouts(conn, ids, today, zone)
        say("Adding two weeks of bookings...")
        made, skipped = _add_bookings(conn, ids, today, zone, db.actor)
        say("Adding a recurring request and rehearsal sessions...")
        made += _add_series(conn, today, zone)
        sessions = _add_sessions(conn, ids, today, zone)
        say("Adding the four weeks before...")
        made += _add_history(conn, ids, today, zone)
    return DemoSummary(len(ids), made + sessions, blackouts, sessions, skipped)


def _make_room(conn: Connection, reset: bool, say: Callable[[str], None]) -> None:
    # Locks the registry first, so two demo loads at once cannot both see an empty database.
    conn.execute("LOCK TABLE spaces.resources IN SHARE ROW EXCLUSIVE MODE")
    total, demo = one_row(
        conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE attributes @> '{\"demo\": true}')"
            " FROM spaces.resources"
        )
    )
    if total == 0:
        return
    if not reset:
        raise BadInput(
            "the database already holds resources; the demo loads only into an empty one"
            + (" (spaces demo --reset starts the demo over)" if demo == total else "")
        )
    if demo != total:
        raise BadInput(
            f"the database holds {total - demo} resource(s) that are not demo data; "
            "--reset erases only a database that holds nothing but the demo"
        )
    say("Erasing the earlier demo...")
    # TRUNCATE, not DELETE: the event log refuses row deletes by design, and this is a wipe of
    # demo data, not an edit of history. What points into it goes too: imports' memory, feeds
    # (their filters name demo resources) and relays (their positions are event ids, which
    # start again at 1: a relay kept would skip every event up to its old position).
    conn.execute(
        "TRUNCATE rehearse.sessions, spaces.events, spaces.claims, spaces.imported,"
        " spaces.reservations, spaces.booking_groups, spaces.series, spaces.blackouts,"
        " spaces.tree_turns, spaces.feeds, spaces.relays, spaces.resources RESTART IDENTITY"
    )


def _as(conn: Connection, actor: str) -> None:
    conn.execute("SELECT set_config('spaces.actor', %(actor)s, true)", {"actor": actor})


def _add_venue(conn: Connection, zone: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    for place in VENUE:
        ids[place.name] = first_value(
            conn.execute(
                "INSERT INTO spaces.resources (name, kind, parent_id, capacity,"
                " requires_approval, approvers, buffer_minutes, timezone, bookable_week,"
                " attributes)"
                " VALUES (%(name)s, %(kind)s, %(parent_id)s, %(capacity)s, %(approval)s,"
                " %(approvers)s, %(buffer)s,"
                " %(zone)s, CAST(%(week)s AS int4multirange), '{\"demo\": true}') RETURNING id",
                {
                    "name": place.name,
                    "kind": place.kind,
                    "parent_id": ids.get(place.parent) if place.parent else None,
                    "capacity": place.capacity,
                    "approval": bool(place.approvers),
                    "approvers": list(place.approvers),
                    "buffer": place.buffer_minutes,
                    "zone": zone,
                    "week": OPEN_08_TO_23.multirange(),
                },
            )
        )
    return ids


def _at(day: date, hour: float, zone: str) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, tz=zone).add(minutes=int(hour * 60))


def _add_blackouts(conn: Connection, ids: dict[str, int], today: date, zone: str) -> int:
    _as(conn, STAGE_MANAGER)
    count = 0
    for name, reason, kind, offset, hour, hours in BLACKOUTS:
        offsets = range(-DAYS_AROUND, DAYS_AROUND + 1) if offset is None else (offset,)
        for day_offset in offsets:
            day = today + pendulum.duration(days=day_offset)
            start = _at(day, hour, zone)
            conn.execute(
                "INSERT INTO spaces.blackouts (resource_id, during, reason, kind)"
                " VALUES (%(id)s, tstzrange(%(start)s, %(end)s, '[)'), %(reason)s, %(kind)s)",
                {
                    "id": ids[name],
                    "start": start,
                    "end": start.add(hours=hours),
                    "reason": reason,
                    "kind": kind,
                },
            )
            count += 1
    return count


def _planned(
    today: date, zone: str, actor: str
) -> list[tuple[str, str, str, pendulum.DateTime, pendulum.DateTime]]:
    """(resource, title, booked by, start, end) for every booking the demo tries to make."""
    rng = random.Random(today.toordinal())
    plans: list[tuple[str, str, str, pendulum.DateTime, pendulum.DateTime]] = []
    for day_offset in range(-DAYS_AROUND, DAYS_AROUND + 1):
        day = today + pendulum.duration(days=day_offset)
        for name, title, weekdays, hour, hours in PATTERNS:
            if day.weekday() in weekdays:
                start = _at(day, hour, zone)
                plans.append((name, title, rng.choice(PEOPLE), start, start.add(hours=hours)))
        for place in VENUE:
            for _ in range(rng.randint(0, 3)):
                start = _at(day, rng.choice(range(18, 42)) / 2, zone)  # 09:00 to 20:30
                who = actor if rng.random() < 0.12 else rng.choice(PEOPLE)
                end = start.add(minutes=30 * rng.randint(2, 6))
                title = rng.choice(TITLES.get(place.kind, REHEARSAL))
                plans.append((place.name, title, who, start, end))
    return plans


def _add_bookings(
    conn: Connection, ids: dict[str, int], today: date, zone: str, actor: str
) -> tuple[int, int]:
    approvers = {place.name: place.approvers for place in VENUE}
    rng = random.Random(-today.toordinal())
    made = skipped = 0
    for name, title, who, start, end in _planned(today, zone, actor):
        try:
            with conn.transaction():  # a savepoint
                _as(conn, who)
                booking_id = first_value(
                    conn.execute(
                        "INSERT INTO spaces.reservations (resource_id, during, title, headcount)"
                        " VALUES (%(id)s, tstzrange(%(start)s, %(end)s, '[)'), %(title)s,"
                        " %(headcount)s)"
                        " RETURNING id",
                        {
                            "id": ids[name],
                            "start": start,
                            "end": end,
                            "title": title,
                            "headcount": rng.randint(2, 12),
                        },
                    )
                )
        except psycopg.Error:
            skipped += 1  # it would collide with something already there: not a real booking
            continue
        made += 1
        _settle(conn, booking_id, approvers[name], start, today, zone, rng)
    return made, skipped


def _settle(
    conn: Connection,
    booking_id: int,
    approvers: tuple[str, ...],
    start: pendulum.DateTime,
    today: date,
    zone: str,
    rng: random.Random,
) -> None:
    """Past requests were decided; future ones are mostly still waiting. Some get cancelled."""
    in_future = start >= _at(today, 0, zone)
    if approvers and (not in_future or rng.random() < 0.4):
        _as(conn, approvers[0])
        decision = "confirmed" if rng.random() < 0.85 else "rejected"
        note = "ok" if decision == "confirmed" else "clashes with the get-in"
        set_status(conn, [booking_id], decision, note)
    elif rng.random() < 0.06:
        set_status(conn, [booking_id], "cancelled", "plans changed")


def _add_series(conn: Connection, today: date, zone: str) -> int:
    """The recurring request, all of it or (in the way of something) none of it."""
    name, title, who, offset, hour, hours, rule = SERIES
    start = _at(today + pendulum.duration(days=offset), hour, zone)
    _as(conn, who)
    try:
        with conn.transaction():  # a savepoint
            booked = book_series_on(conn, name, start, start.add(hours=hours), title, rule)
    except Conflict:
        return 0
    return len(booked.reservations)


def _add_sessions(conn: Connection, ids: dict[str, int], today: date, zone: str) -> int:
    """The sessions through rehearse.create_session, then one room cancelled under its
    session by Spaces, which flags it."""
    _as(conn, COMPANY_MANAGER)
    made = 0
    for room, title, offset, hour, hours in SESSIONS:
        start = _at(today + pendulum.duration(days=offset), hour, zone)
        try:
            with conn.transaction():  # a savepoint
                conn.execute(
                    "SELECT rehearse.create_session(%(title)s, %(room)s,"
                    " tstzrange(%(start)s, %(end)s))",
                    {
                        "title": title,
                        "room": ids[room],
                        "start": start,
                        "end": start.add(hours=hours),
                    },
                )
        except psycopg.Error:
            continue  # its slot is taken: not made, like any other demo booking
        made += 1
    lost, reason = LOST_ROOM
    lost_ids = conn.execute(
        "SELECT reservation_id FROM rehearse.sessions WHERE title = %(title)s", {"title": lost}
    )
    set_status(conn, [row.reservation_id for row in lost_ids], "cancelled", reason)
    return made


# Rehearsal 2's day in the weeks before: three calls, half an hour between them (14 of its
# 15 bookable hours).
OVERUSED_DAY = ((8, 12.5), (13, 17.5), (18, 23))


def _add_history(conn: Connection, ids: dict[str, int], today: date, zone: str) -> int:
    """The weeks before the fortnight (from HISTORY_DAYS back to just before it), and the free
    hours of Rehearsal 2 in the week before the day filled. Made after everything else, with a
    random generator of its own, so the fortnight and every id in it stay as they were. Floor
    areas get none (their stage's bookings stand for them), so nothing here meets the tree."""
    rng = random.Random(today.toordinal() * 7)
    made = 0
    for place in VENUE:
        if place.parent is not None or place.name == IDLE:
            continue
        for offset in range(-HISTORY_DAYS, -DAYS_AROUND):
            day = today + pendulum.duration(days=offset)
            for start, end in _history_day(place, rng):
                who = rng.choice(PEOPLE)
                title = rng.choice(TITLES.get(place.kind, REHEARSAL))
                booking_id = _insert(
                    conn, ids[place.name], who, _at(day, start, zone), _at(day, end, zone), title
                )
                made += 1
                if place.approvers:
                    _as(conn, place.approvers[0])
                    set_status(conn, [booking_id], "confirmed", "ok")
    return made + _fill_the_week_before(conn, ids[OVERUSED], today, zone, rng)


def _history_day(place: Place, rng: random.Random) -> list[tuple[float, float]]:
    """(start hour, end hour) of a day's bookings: Rehearsal 2's three calls, or a few with an
    hour or more between them (more than any turnover buffer)."""
    if place.name == OVERUSED:
        return list(OVERUSED_DAY)
    periods = []
    hour = 9 + rng.choice((0, 0.5, 1, 2))
    for _ in range(rng.randint(1, 4)):
        length = rng.choice((1, 1.5, 2, 3))
        if hour + length > 22:
            break
        periods.append((hour, hour + length))
        hour += length + rng.choice((1, 1.5, 2))
    return periods


def _insert(
    conn: Connection,
    resource_id: int,
    who: str,
    start: pendulum.DateTime,
    end: pendulum.DateTime,
    title: str,
) -> int:
    _as(conn, who)
    return insert_reservation(conn, resource_id, start, end, title)


def _fill_the_week_before(
    conn: Connection, resource_id: int, today: date, zone: str, rng: random.Random
) -> int:
    """Books every free hour or more of Rehearsal 2's 08:00-23:00 on the days before the day."""
    made = 0
    for offset in range(-DAYS_AROUND, 0):
        day = today + pendulum.duration(days=offset)
        gaps = conn.execute(
            "SELECT lower(gap) AS start, upper(gap) AS end"
            "  FROM unnest(tstzmultirange(tstzrange(%(opens)s, %(closes)s, '[)'))"
            "              - coalesce((SELECT range_agg(during) FROM spaces.reservations"
            "                           WHERE resource_id = %(id)s"
            "                             AND spaces.is_active_status(status)"
            "                             AND during && tstzrange(%(opens)s, %(closes)s)),"
            "                          '{}')) AS gap"
            " WHERE upper(gap) - lower(gap) >= interval '1 hour'",
            {"id": resource_id, "opens": _at(day, 8, zone), "closes": _at(day, 23, zone)},
        ).fetchall()
        for gap in gaps:
            _insert(conn, resource_id, rng.choice(PEOPLE), gap.start, gap.end, "Open rehearsal")
            made += 1
    return made
