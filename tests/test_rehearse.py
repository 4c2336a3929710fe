"""The rehearse module, from plain SQL as another module would use it, and from the command
line: a session and its room are made and released together, and a session whose reservation
Spaces cancels is flagged in the same transaction, with the reason and an event."""

from __future__ import annotations

import pendulum
import psycopg
import pytest

from spaces_tui.engine import events, rehearse, reservations, resources
from spaces_tui.engine.errors import BadInput, Conflict

SLOT = "tstzrange('2027-06-01 10:00Z', '2027-06-01 12:00Z')"


@pytest.fixture
def room(db) -> int:
    resources.add_resource(db, "Studio", "stage", timezone="UTC")
    return resources.add_resource(db, "Studio Floor", "floor_area", parent="Studio").id


def counts(sql) -> tuple[int, int]:
    return (
        sql.execute("SELECT count(*) FROM rehearse.sessions").fetchone()[0],
        sql.execute("SELECT count(*) FROM spaces.reservations").fetchone()[0],
    )


def create(sql, room: int, title: str = "Act 1", slot: str = SLOT) -> int:
    return sql.execute(f"SELECT rehearse.create_session(%s, %s, {slot})", (title, room)).fetchone()[
        0
    ]


def session(sql, session_id: int) -> tuple:
    return sql.execute(
        "SELECT s.status, s.flag_reason, r.status, r.during = "
        + SLOT
        + " FROM rehearse.sessions s JOIN spaces.reservations r ON r.id = s.reservation_id"
        " WHERE s.id = %s",
        (session_id,),
    ).fetchone()


def topics_since(db, since: int) -> list[str]:
    return [e.topic for e in events.events_since(db, since)]


def test_a_session_owns_its_rooms_reservation_made_in_one_go(db, sql, room):
    since = events.latest_event_id(db)
    made = create(sql, room)
    assert session(sql, made) == ("scheduled", None, "confirmed", True)
    assert topics_since(db, since) == ["spaces.reservation.created", "rehearse.session.created"]


def test_a_conflict_leaves_neither_session_nor_reservation(sql, room):
    create(sql, room)
    before = counts(sql)
    with pytest.raises(psycopg.errors.ExclusionViolation):
        create(sql, room, "Clash", "tstzrange('2027-06-01 11:00Z', '2027-06-01 13:00Z')")
    assert counts(sql) == before


def test_cancelling_a_session_releases_the_room(db, sql, room):
    made = create(sql, room)
    since = events.latest_event_id(db)
    sql.execute("SELECT rehearse.cancel_session(%s, 'cast ill')", (made,))
    status, reason, booking, _ = session(sql, made)
    assert (status, reason, booking) == ("cancelled", None, "cancelled")
    assert topics_since(db, since) == ["spaces.reservation.cancelled", "rehearse.session.cancelled"]
    assert create(sql, room, "Again") > made  # the slot is free again
    with pytest.raises(psycopg.Error) as again:
        sql.execute("SELECT rehearse.cancel_session(%s, 'twice')", (made,))
    assert again.value.sqlstate == "SP001"


def test_a_spaces_side_cancel_flags_the_session_with_its_reason(db, sql, room):
    made = create(sql, room)
    since = events.latest_event_id(db)
    sql.execute(
        "UPDATE spaces.reservations SET status = 'cancelled', cancel_reason = 'stage flooded'"
        " WHERE id = (SELECT reservation_id FROM rehearse.sessions WHERE id = %s)",
        (made,),
    )
    assert session(sql, made)[:3] == ("flagged", "stage flooded", "cancelled")
    assert topics_since(db, since) == ["spaces.reservation.cancelled", "rehearse.session.flagged"]
    # A flagged session can still be closed by its module; its room is already gone.
    sql.execute("SELECT rehearse.cancel_session(%s, 'noted')", (made,))
    assert session(sql, made)[:3] == ("cancelled", None, "cancelled")


def test_a_blackout_that_cancels_what_is_in_its_way_flags_the_session(db, sql, room):
    made = create(sql, room)
    sql.execute("SELECT spaces.grant_access('ops', true)")
    sql.execute("SET spaces.actor = 'ops'")
    sql.execute(
        "SELECT spaces.add_blackout((SELECT parent_id FROM spaces.resources WHERE id = %s),"
        f" {SLOT}, 'rigging', 'maintenance', true)",
        (room,),
    )
    assert session(sql, made)[:3] == ("flagged", "blackout: rigging", "cancelled")


def test_sessions_change_only_through_their_functions(sql, room):
    made = create(sql, room)
    with pytest.raises(psycopg.Error) as refused:
        sql.execute("UPDATE rehearse.sessions SET title = 'renamed' WHERE id = %s", (made,))
    assert refused.value.sqlstate == "SP003"


def test_rehearse_from_the_command_line(room, spaces):
    added = spaces(
        "rehearse", "add", "Studio Floor", "2027-06-01T10:00", "+2h", "--title", "Act 1", "--json"
    )
    assert added.code == 0, added.err
    assert (added.json["status"], added.json["reservation_status"]) == ("scheduled", "confirmed")
    clash = spaces("rehearse", "add", "Studio", "2027-06-01T11:00", "+1h", "--title", "Full")
    assert clash.code == 3 and "Act 1" in clash.err
    booking = str(added.json["reservation_id"])
    assert spaces("cancel", booking, "--reason", "double-booked upstairs").code == 0
    flagged = spaces("rehearse", "list", "--flagged", "--json").json
    assert [(s["id"], s["flag_reason"]) for s in flagged] == [
        (added.json["id"], "double-booked upstairs")
    ]
    assert "FLAGGED: double-booked upstairs" in spaces("rehearse", "list").out
    closed = spaces("rehearse", "cancel", str(added.json["id"]), "--reason", "moved", "--json")
    assert closed.json["status"] == "cancelled"
    assert spaces("rehearse", "list", "--flagged").out.strip() == "No flagged sessions."


def test_the_engine_lists_sessions_at_their_reservations_time(db, room):
    made = rehearse.add_session(db, "Studio Floor", "2027-06-01T10:00", "+2h", "Act 1")
    [listed] = rehearse.list_sessions(db)
    assert (listed.id, listed.start, listed.end) == (made.id, made.start, made.end)
    assert listed.start.isoformat() == "2027-06-01T10:00:00+00:00"


def flag(db, session_id: int, reason: str) -> None:
    """Spaces takes the session's room away: its reservation is cancelled."""
    [found] = [s for s in rehearse.list_sessions(db) if s.id == session_id]
    reservations.cancel(db, found.reservation_id, reason)


def test_the_views_put_what_needs_attention_first(db, room):
    add = rehearse.add_session
    past = add(db, "Studio Floor", "2027-05-01T10:00", "+2h", "Read-through")
    soon = add(db, "Studio Floor", "2027-06-01T10:00", "+2h", "Act 1")
    later = add(db, "Studio Floor", "2027-06-08T10:00", "+2h", "Act 2")
    gone = add(db, "Studio Floor", "2027-05-02T10:00", "+2h", "Fight call")
    dropped = add(db, "Studio Floor", "2027-06-09T10:00", "+2h", "Dropped")
    flag(db, past.id, "floor relaid")
    rehearse.cancel_session(db, dropped.id, "cut")
    now = pendulum.datetime(2027, 5, 15, tz="UTC")

    def ids(view: str) -> list[int]:
        return [s.id for s in rehearse.list_sessions(db, view=view, now=now)]

    assert ids("open") == [past.id, soon.id, later.id], "flagged first, then what is to come"
    assert ids("flagged") == [past.id]
    assert ids("all") == [past.id, gone.id, soon.id, later.id, dropped.id]
    assert rehearse.count_flagged(db) == 1
    with pytest.raises(BadInput, match="unknown view"):
        rehearse.list_sessions(db, view="soon")


def test_a_flagged_session_is_rebooked_and_closed_in_one_go(db, sql, room):
    lost = rehearse.add_session(db, "Studio Floor", "2027-06-01T10:00", "+2h", "Act 1")
    flag(db, lost.id, "stage flooded")
    again = rehearse.replace_session(db, lost.id, "2027-06-02T10:00", "+2h", title="Act 1 (again)")
    assert (again.status, again.reservation_status, again.title) == (
        "scheduled",
        "confirmed",
        "Act 1 (again)",
    )
    [closed] = [s for s in rehearse.list_sessions(db) if s.id == lost.id]
    assert closed.status == "cancelled"
    assert rehearse.count_flagged(db) == 0
    reason = sql.execute(
        "SELECT payload->>'reason' FROM spaces.events"
        " WHERE topic = 'rehearse.session.cancelled' ORDER BY id DESC LIMIT 1"
    ).fetchone()[0]
    assert reason == "rebooked: Studio Floor, 2027-06-02 10:00-12:00"


def test_a_rebooking_that_collides_leaves_the_flagged_session_as_it_was(db, sql, room):
    lost = rehearse.add_session(db, "Studio Floor", "2027-06-01T10:00", "+2h", "Act 1")
    flag(db, lost.id, "stage flooded")
    rehearse.add_session(db, "Studio", "2027-06-02T09:00", "+4h", "Tech")
    before = counts(sql)
    with pytest.raises(Conflict) as refused:
        rehearse.replace_session(db, lost.id, "2027-06-02T10:00", "+2h", room="Studio Floor")
    assert [obstacle.title for obstacle in refused.value.obstacles] == ["Tech"]
    assert counts(sql) == before
    [still] = [s for s in rehearse.list_sessions(db) if s.id == lost.id]
    assert (still.status, still.flag_reason) == ("flagged", "stage flooded")


def test_a_scheduled_session_moves_onto_its_own_slot(db, room):
    booked = rehearse.add_session(db, "Studio Floor", "2027-06-01T10:00", "+2h", "Act 1")
    moved = rehearse.replace_session(db, booked.id, "2027-06-01T11:00", "+2h")
    assert (moved.start.hour, moved.room, moved.title) == (11, "Studio Floor", "Act 1")
    assert moved.id != booked.id, "its old slot was released first, in the same transaction"
    assert [s.id for s in rehearse.list_sessions(db, view="all") if s.status == "scheduled"] == [
        moved.id
    ]


def test_rebook_and_the_open_view_from_the_command_line(room, spaces):
    added = spaces(
        "rehearse", "add", "Studio Floor", "2027-06-01T10:00", "+2h", "--title", "Act 1", "--json"
    )
    spaces("cancel", str(added.json["reservation_id"]), "--reason", "stage flooded")
    opened = spaces("rehearse", "list", "--open", "--json").json
    assert [(s["id"], s["status"]) for s in opened] == [(added.json["id"], "flagged")]

    taken = spaces("rehearse", "add", "Studio", "2027-06-02T09:00", "+4h", "--title", "Tech")
    assert taken.code == 0, taken.err
    clash = spaces("rehearse", "rebook", str(added.json["id"]), "2027-06-02T10:00", "+2h")
    assert clash.code == 3 and "Tech" in clash.err
    assert spaces("rehearse", "list", "--flagged", "--json").json[0]["id"] == added.json["id"]

    rebooked = spaces(
        "rehearse", "rebook", str(added.json["id"]), "2027-06-03T10:00", "12:00", "--json"
    )
    assert rebooked.code == 0, rebooked.err
    assert (rebooked.json["title"], rebooked.json["room"]) == ("Act 1", "Studio Floor")
    assert rebooked.json["start"].startswith("2027-06-03T10:00")
    assert spaces("rehearse", "list", "--flagged").out.strip() == "No flagged sessions."
    missing = spaces("rehearse", "rebook", "999", "2027-06-04T10:00", "+1h")
    assert missing.code == 2 and "no rehearsal session with id 999" in missing.err
    with pytest.raises(SystemExit) as usage:  # argparse's own exit, with its message
        spaces("rehearse", "list", "--open", "--flagged")
    assert usage.value.code == 2
