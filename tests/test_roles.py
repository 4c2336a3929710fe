"""Role mode on a shared server, with two real PostgreSQL roles: each person connects as
themselves, the database takes the actor from the connection, and nobody can pose as anybody
else — not with --as, not with SET spaces.actor, not by writing the tables the rules keep."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

PASSWORD = "spaces-test"


def as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=PASSWORD).render_as_string(hide_password=False)


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
            sql.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
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
