"""Role mode on a shared server, with two real PostgreSQL roles: each person connects as
themselves, the database takes the actor from the connection, and nobody can pose as anybody
else — not with --as, not with SET spaces.actor, not by writing the tables the rules keep."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

PASSWORD = "spaces-test"


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=PASSWORD).render_as_string(hide_password=False)


def end_sessions(sql: psycopg.Connection, role: str) -> None:
    """Ends role's sessions before it is dropped. A session just closed by its client may still
    be listed for a moment; a server where this role may not signal others (PostgreSQL 15 without
    pg_signal_backend) is waited on instead, until its sessions are gone."""
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
        sql.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )
    deadline = time.monotonic() + 30
    while sql.execute("SELECT 1 FROM pg_stat_activity WHERE usename = %s", (role,)).fetchone():
        assert time.monotonic() < deadline, f"sessions of {role} never ended"
        time.sleep(0.05)


@pytest.fixture
def people(database_url: str, sql: psycopg.Connection) -> Iterator[tuple[str, str]]:
    """Two login roles, ana (may approve the Truck) and ben (may not), in role mode."""
    may_create = sql.execute(
        "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user"
    ).fetchone()[0]
    if not may_create:
        pytest.skip("the test server's role may not create roles (give it CREATEROLE)")
    suffix = uuid.uuid4().hex[:8]
    ana, ben = f"ana_{suffix}", f"ben_{suffix}"
    for role in (ana, ben):
        sql.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    try:
        yield ana, ben
    finally:
        for role in (ana, ben):
            end_sessions(sql, role)
            if sql.execute("SELECT 1 FROM spaces.access WHERE name = %s", (role,)).fetchone():
                sql.execute("SELECT spaces.revoke_access(%s)", (role,))
            sql.execute(f"DROP ROLE {role}")


@pytest.fixture
def shared(spaces, spaces_at, database_url, people):
    """The owner sets the server up as an operator would (README: shared servers)."""
    ana = people[0]
    assert spaces("access", "mode", "role").code == 0
    for role in people:
        granted = spaces("access", "grant", role)
        assert granted.code == 0, granted.err
    assert spaces("resource", "add", "Truck", "--kind", "vehicle", "--approver", ana).code == 0
    assert spaces("resource", "add", "Room", "--kind", "room").code == 0

    def run(role: str, *args: str, pose_as: str | None = None):
        return spaces_at(as_role(database_url, role), pose_as or role, *args)

    return run


def test_the_actor_is_the_connected_role_whatever_the_app_claims(shared, people):
    ana, ben = people
    booked = shared(ben, "book", "Truck", "2027-05-01T09:00", "+1h", "--title", "Tour", "--json")
    assert booked.code == 0, booked.err
    assert booked.json["booked_by"] == ben
    posing = shared(ben, "approve", str(booked.json["id"]), "--json", pose_as=ana)
    assert "acting as " + ben in posing.err
    assert (posing.code, posing.json["error"]) == (4, "permission_denied")
    approved = shared(ana, "approve", str(booked.json["id"]), "--json")
    assert approved.code == 0, approved.err
    assert approved.json["decided_by"] == ana


def test_plain_sql_cannot_pose_or_write_what_the_rules_keep(shared, people, database_url):
    ana, ben = people
    booked = shared(ben, "book", "Truck", "2027-05-01T09:00", "+1h", "--title", "Tour", "--json")
    booking = booked.json["id"]
    with psycopg.connect(as_role(database_url, ben), autocommit=True) as conn:
        conn.execute("SELECT set_config('spaces.actor', %s, false)", (ana,))
        assert conn.execute("SELECT spaces.current_actor()").fetchone()[0] == ben
        refusals = [
            ("UPDATE spaces.reservations SET status = 'confirmed' WHERE id = %s", (booking,)),
            ("UPDATE spaces.resources SET approvers = %s", ([ben],)),
            ("UPDATE spaces.policy SET actor_source = 'app'", ()),
            ("DELETE FROM spaces.claims", ()),
            ("INSERT INTO spaces.events (topic) VALUES ('spaces.reservation.approved')", ()),
            ("SELECT spaces.grant_access(%s, true)", (ben,)),
        ]
        for statement, params in refusals:
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(statement, params)
            assert refused.value.sqlstate in ("SP002", "42501"), statement
        status = conn.execute(
            "SELECT status FROM spaces.reservations WHERE id = %s", (booking,)
        ).fetchone()[0]
        assert status == "pending"
        # What a member may do still works through the rules: a booking, with its claims and
        # its event written by the rules' own triggers.
        conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title, booked_by)"
            " SELECT id, tstzrange('2027-05-02 09:00Z', '2027-05-02 10:00Z'), 'x', %s"
            "   FROM spaces.resources WHERE name = 'Room'",
            (ana,),
        )
        assert conn.execute(
            "SELECT booked_by FROM spaces.reservations WHERE title = 'x'"
        ).fetchone() == (ben,)


def test_a_member_cancels_their_own_but_not_anothers(shared, people):
    ana, ben = people
    theirs = shared(ana, "book", "Room", "2027-05-01T09:00", "+1h", "--title", "A", "--json")
    mine = shared(ben, "book", "Room", "2027-05-01T11:00", "+1h", "--title", "B", "--json")
    refused = shared(ben, "cancel", str(theirs.json["id"]), "--reason", "x", "--json")
    assert (refused.code, refused.json["error"]) == (4, "permission_denied")
    assert shared(ben, "cancel", str(mine.json["id"]), "--reason", "done").code == 0


# --- nothing another role does can hold up Spaces' writes ----------------------------------------

OLD_ADVISORY_LOCKS = (
    "SELECT pg_advisory_lock(hashtext('spaces.events_seal'))",
    "SELECT pg_advisory_lock(hashtext('spaces.resource_tree'))",
    "SELECT pg_advisory_lock(hashtext('spaces.tree_write'), id::int)"
    " FROM generate_series(1, 50) AS id",
)


@pytest.fixture
def stranger(sql: psycopg.Connection, people) -> Iterator[str]:
    """A login role that may connect but was never given access."""
    role = f"eve_{uuid.uuid4().hex[:8]}"
    sql.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    try:
        yield role
    finally:
        end_sessions(sql, role)
        sql.execute(f"DROP ROLE {role}")


def owner_writes(database_url: str) -> None:
    """In the Room's tree: a booking, a cancel, a blackout that cancels, a buffer change and a
    move into a new hall, each of which must finish within three seconds."""
    with psycopg.connect(database_url, autocommit=True) as owner:
        owner.execute("SET statement_timeout = '3s'")
        room = owner.execute("SELECT id FROM spaces.resources WHERE name = 'Room'").fetchone()[0]
        booking = owner.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " VALUES (%s, tstzrange('2027-07-01 10:00Z', '2027-07-01 11:00Z'), 'x') RETURNING id",
            (room,),
        ).fetchone()[0]
        owner.execute("SELECT spaces.set_status(ARRAY[%s]::bigint[], 'cancelled', 'x')", (booking,))
        owner.execute(
            "SELECT spaces.add_blackout(%s, tstzrange('2027-07-01 10:00Z', '2027-07-01 11:00Z'),"
            " 'paint', 'maintenance', true)",
            (room,),
        )
        owner.execute("UPDATE spaces.resources SET buffer_minutes = 10 WHERE id = %s", (room,))
        hall = owner.execute(
            "INSERT INTO spaces.resources (name, kind) VALUES ('Hall', 'room') RETURNING id"
        ).fetchone()[0]
        owner.execute("UPDATE spaces.resources SET parent_id = %s WHERE id = %s", (hall, room))


def test_a_role_without_access_holding_the_old_advisory_locks_delays_nothing(
    shared, stranger, database_url
):
    with psycopg.connect(as_role(database_url, stranger), autocommit=True) as eve:
        for lock in OLD_ADVISORY_LOCKS:
            eve.execute(lock)
        owner_writes(database_url)


def test_a_granted_role_cannot_lock_rows_it_does_not_own(shared, people, database_url):
    ben = people[1]
    with psycopg.connect(as_role(database_url, ben)) as conn:
        for table in ("reservations", "blackouts", "resources", "tree_turns"):
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(f"SELECT 1 FROM spaces.{table} FOR UPDATE")
            assert refused.value.sqlstate == "42501", table
            conn.rollback()


def test_an_open_transaction_of_a_granted_role_holds_up_no_other_tree(shared, people, database_url):
    ben = people[1]
    with psycopg.connect(as_role(database_url, ben)) as conn:
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        conn.execute(
            "INSERT INTO spaces.reservations (resource_id, during, title)"
            " SELECT id, tstzrange('2027-07-02 10:00Z', '2027-07-02 11:00Z'), 'held'"
            " FROM spaces.resources WHERE name = 'Truck'"
        )
        owner_writes(database_url)  # in the Room's tree: not held up
        conn.rollback()


def test_a_granted_role_left_idle_in_a_transaction_is_ended(shared, people, database_url, sql):
    ben = people[1]
    config = sql.execute("SELECT rolconfig FROM pg_roles WHERE rolname = %s", (ben,)).fetchone()[0]
    assert "idle_in_transaction_session_timeout=5s" in config
    conn = psycopg.connect(as_role(database_url, ben))
    pid = conn.info.backend_pid
    conn.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title)"
        " SELECT id, tstzrange('2027-07-03 10:00Z', '2027-07-03 11:00Z'), 'forgotten'"
        " FROM spaces.resources WHERE name = 'Room'"
    )
    deadline = time.monotonic() + 60
    while sql.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
        assert time.monotonic() < deadline, "the idle transaction was never ended"
        time.sleep(0.2)
    with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
        conn.execute("SELECT 1")
    conn.close()
    assert sql.execute(
        "SELECT count(*) FROM spaces.reservations WHERE title = 'forgotten'"
    ).fetchone() == (0,)


def test_a_role_that_may_connect_elsewhere_holds_back_no_members_events(
    shared, people, stranger, scratch
):
    """Transaction ids are the whole server's: a role with no access to Spaces, connected to
    another database, leaves a transaction open; a member still reads what happened here (the
    member may see which database that transaction is in, as any role may)."""
    ben = people[1]
    with (
        scratch("spaces_elsewhere") as (_name, elsewhere_url),
        psycopg.connect(as_role(elsewhere_url, stranger)) as eve,
    ):
        eve.execute("SELECT pg_current_xact_id()")
        booked = shared(ben, "book", "Room", "2027-07-04T10:00", "+1h", "--title", "Gig")
        assert booked.code == 0, booked.err
        read = shared(ben, "events", "--json")
        topics = [json.loads(line)["topic"] for line in read.out.splitlines()]
        assert "spaces.reservation.created" in topics, read.err
        eve.rollback()


# --- nobody forges into somebody else's records -------------------------------------------------


def test_a_granted_role_cannot_slip_into_anothers_series_or_take_ids(shared, people, database_url):
    ana, ben = people
    series = shared(
        ana,
        "book",
        "Room",
        "2027-08-02T09:00",
        "+1h",
        "--title",
        "Class",
        "--rrule",
        "FREQ=DAILY;COUNT=3",
        "--json",
    )
    assert series.code == 0, series.err
    series_id = series.json["series_id"]
    with psycopg.connect(as_role(database_url, ben), autocommit=True) as mallory:
        for statement, params in (
            (
                "INSERT INTO spaces.reservations (resource_id, during, title, series_id)"
                " SELECT id, tstzrange('2027-08-09 09:00Z', '2027-08-09 10:00Z'), 'x', %s"
                " FROM spaces.resources WHERE name = 'Room'",
                (series_id,),
            ),
            (
                "INSERT INTO spaces.reservations (id, resource_id, during, title)"
                " OVERRIDING SYSTEM VALUE SELECT 9000, id,"
                " tstzrange('2027-08-10 09:00Z', '2027-08-10 10:00Z'), 'x'"
                " FROM spaces.resources WHERE name = 'Room'",
                (),
            ),
        ):
            with pytest.raises(psycopg.Error) as refused:
                mallory.execute(statement, params)
            assert refused.value.sqlstate == "SP003", statement
        made = mallory.execute(
            "INSERT INTO spaces.series (resource_id, rrule, timezone, first_start, duration,"
            " title, created_by) SELECT id, 'FREQ=DAILY', 'UTC', '2027-08-01 09:00Z', '1 hour',"
            " 'x', %s FROM spaces.resources WHERE name = 'Room' RETURNING created_by",
            (ana,),
        ).fetchone()
        assert made == (ben,)
    cancelled = shared(ana, "cancel", str(series.json["ids"][0]), "--series", "--reason", "done")
    assert cancelled.code == 0, cancelled.err


def test_a_granted_role_may_not_lift_anothers_blackout(shared, people, spaces):
    ana, ben = people
    safety = shared(
        ana,
        "blackout",
        "add",
        "Room",
        "2027-08-03T09:00",
        "+2h",
        "--reason",
        "live wiring",
        "--json",
    )
    assert safety.code == 0, safety.err
    refused = shared(ben, "blackout", "lift", str(safety.json["id"]), "--json")
    assert (refused.code, refused.json["error"]) == (4, "permission_denied")
    assert shared(ana, "blackout", "lift", str(safety.json["id"])).code == 0


def test_a_granted_role_sees_the_risks_and_utilization_but_may_not_set_hours(shared, people):
    """Insights only read: a member's check and report say what the owner's would. Bookable
    hours and the blackout margin are the resource's own, which only an admin may change."""
    ana, ben = people
    shared(ana, "book", "Room", "2027-05-04T10:00", "12:00", "--title", "Fitting")
    checked = shared(ben, "check", "Room", "2027-05-04T12:00", "13:00", "--json")
    assert checked.code == 0, checked.err
    assert [risk["kind"] for risk in checked.json["risks"]] == ["back_to_back"]
    assert f"by {ana} on Room" in checked.json["risks"][0]["message"]
    report = shared(
        ben, "report", "utilization", "--from", "2027-05-04", "--to", "2027-05-04",
        "--resource", "Room", "--json",
    )  # fmt: skip
    assert report.code == 0, report.err
    [row] = report.json["rows"]
    assert (row["bookable_hours"], row["confirmed_hours"]) == (24.0, 2.0)
    refused = shared(ben, "resource", "set", "Room", "--hours", "09:00-17:00")
    assert refused.code == 4, refused.err


def test_groups_and_moves_in_role_mode(shared, people, database_url):
    """A member books a group and moves a booking through the rules; an approver's rejection
    releases the member's other rows, though the approver could not cancel them by hand; nobody
    writes a group or a move link around the rules."""
    ana, ben = people
    group = shared(
        ben, "book", "Room", "Truck", "2027-05-03T09:00", "+2h", "--title", "G", "--json"
    )
    assert group.code == 0, group.err
    assert group.json["status"] == "pending"
    room_row, truck_row = group.json["ids"]
    moved = shared(ben, "move", str(room_row), "2027-05-03T10:00", "+2h", "--json")
    assert moved.code == 0, moved.err
    room_row, truck_row = moved.json["ids"]
    refused = shared(ana, "move", str(room_row), "2027-05-04T10:00", "+2h", "--json")
    assert (refused.code, refused.json["error"]) == (4, "permission_denied")
    rejected = shared(ana, "reject", str(truck_row), "--reason", "truck is away")
    assert rejected.code == 0, rejected.err
    history = shared(ben, "history", str(room_row), "--json").json
    assert history["reservation"]["status"] == "cancelled"
    assert history["reservation"]["cancelled_by"] == ana
    with psycopg.connect(as_role(database_url, ben), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as refused_insert:
            conn.execute("INSERT INTO spaces.booking_groups DEFAULT VALUES")
        assert refused_insert.value.sqlstate == "42501"
        with pytest.raises(psycopg.Error, match="was not cancelled by"):
            conn.execute(
                "INSERT INTO spaces.reservations (resource_id, during, title, moved_from)"
                " SELECT id, tstzrange('2027-05-09 09:00Z', '2027-05-09 10:00Z'), 'x', %s"
                "   FROM spaces.resources WHERE name = 'Room'",
                (room_row,),
            )


def test_a_granted_role_finds_what_is_free_as_the_owner_would(shared, people, spaces):
    """free and find only read: a member's answers are the owner's, the other member's bookings
    included, and a blackout the owner put in keeps them off."""
    ana, ben = people
    shared(ana, "book", "Room", "2027-05-04T10:00", "12:00", "--title", "Fitting")
    spaces("blackout", "add", "Truck", "2027-05-04T00:00", "2027-05-04T11:00", "--reason", "MOT")
    free = shared(ben, "free", "2027-05-04T10:30", "11:30", "--all", "--json")
    assert free.code == 3, free.err  # nothing free: the room is booked, the truck blacked out
    assert free.json == spaces("free", "2027-05-04T10:30", "11:30", "--all", "--json").json
    assert {t["resource"]["name"] for t in free.json["taken"]} == {"Room", "Truck"}
    both = ["--resource", "Room", "--resource", "Truck"]
    window = ["--from", "2027-05-04T08:00", "--to", "2027-05-04T14:00"]
    found = shared(ben, "find", "1h", *both, *window, "--json")
    assert found.code == 0, found.err
    assert [o["first_start"][11:16] for o in found.json["openings"]] == ["12:00"]


def test_a_granted_role_reads_the_instance_id_but_not_the_relays(shared, people, database_url):
    """An export names the database's own id; a relay's URL may carry its endpoint's token."""
    with psycopg.connect(as_role(database_url, people[1]), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM spaces.instance").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT url FROM spaces.relays")


def test_a_granted_role_exports_its_own_bookings_as_icalendar(shared, people, sql):
    """`spaces export ical --mine` as a member: the actor is the connected role, and the UID
    names the database's own id, which members may read (the relays they may not)."""
    from icalendar import Calendar

    ana, ben = people
    shared(ana, "book", "Room", "2027-05-04T10:00", "12:00", "--title", "Fitting")
    shared(ben, "book", "Room", "2027-05-05T10:00", "12:00", "--title", "Notes")
    exported = shared(ben, "export", "ical", "--mine", "--from", "2027-05-01", "--to", "2027-06-01")
    assert exported.code == 0, exported.err
    [event] = Calendar.from_ical(exported.out).walk("VEVENT")
    instance = sql.execute("SELECT id FROM spaces.instance").fetchone()[0]
    assert (str(event["summary"]), str(event["uid"])) == ("Notes", f"reservation-2@{instance}")
    assert event["organizer"].params["CN"] == ben and event["sequence"] == 0


def test_a_granted_role_imports_a_calendar_and_the_database_says_who(shared, people, tmp_path, sql):
    """An import runs as the member: it books through the rules, and what it remembers is
    stamped with the member's name whatever the row says."""
    ben = people[1]
    schedule = tmp_path / "schedule.ics"
    schedule.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:call-1@test\r\nDTSTAMP:20270101T000000Z\r\n"
        "DTSTART:20270506T100000Z\r\nDTEND:20270506T120000Z\r\nSUMMARY:Fight call\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    made = shared(ben, "import", "ical", str(schedule), "--resource", "Room", "--json")
    assert made.code == 0, made.err
    [created] = made.json["created"]
    assert sql.execute(
        "SELECT v.booked_by, i.imported_by FROM spaces.imported i"
        "  JOIN spaces.reservations v ON v.id = i.reservation_id WHERE i.source_uid = 'call-1@test'"
    ).fetchone() == (ben, ben)
    again = shared(ben, "import", "ical", str(schedule), "--resource", "Room", "--json")
    assert (again.code, again.json["unchanged"]) == (0, 1), again.err
    assert created["title"] == "Fight call"
