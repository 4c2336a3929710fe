"""The approval workflow: who may cancel, who booked, the queue of pending requests with stall
detection on a fixed clock, bulk decisions, a reservation's recorded life, and the commands
scripts use for all of it."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pendulum
import psycopg
import pytest

from spaces_tui.db.connection import Database
from spaces_tui.engine import approvals, blackouts, reservations, resources, series
from spaces_tui.engine.approvals import SeriesRequest
from spaces_tui.engine.errors import BadInput, InvalidTransition, PermissionDenied

DAY = "2027-03-01"


@pytest.fixture
def venue(db: Database) -> Database:
    resources.add_resource(
        db, "Stage", "stage", timezone="UTC", requires_approval=True, approvers=["sam"]
    )
    resources.add_resource(db, "Left", "floor_area", parent="Stage")
    resources.add_resource(
        db, "Truck", "vehicle", timezone="UTC", requires_approval=True, approvers=["jo", "sam"]
    )
    resources.add_resource(db, "Room", "room", timezone="UTC")
    return db


def request(db: Database, resource: str, hour: int, title: str = "ask") -> int:
    return reservations.book(db, resource, f"{DAY}T{hour:02d}:00", "+1h", title).id


def later(hours: float) -> pendulum.DateTime:
    """A clock this many hours after now: requests made during the test waited that long."""
    return pendulum.now("UTC") + timedelta(hours=hours)


# --- rules in the database -----------------------------------------------------------------


def test_only_the_booker_an_approver_or_an_admin_may_cancel(venue, as_):
    mine = request(venue, "Room", 9)
    theirs = request(venue, "Room", 11)
    on_stage = request(venue, "Stage", 13)
    with pytest.raises(
        PermissionDenied, match=r"mallory may not cancel reservation \d+ \(booked by tester\)"
    ):
        reservations.cancel(as_("mallory"), mine, "mine now")
    assert reservations.cancel(venue, mine, "done").status == "cancelled"
    assert reservations.cancel(as_("sam"), on_stage, "approver").cancelled_by == "sam"
    with pytest.raises(PermissionDenied, match="may not cancel"):
        reservations.cancel(as_("ops"), theirs, "ops")
    with venue.transaction() as conn:
        conn.execute("SELECT spaces.grant_access('ops', true)")
    assert reservations.cancel(as_("ops"), theirs, "ops").cancelled_by == "ops"


def test_who_booked_is_who_acted_whatever_the_insert_says(venue, sql):
    sql.execute("SET spaces.actor = 'alice'")
    sql.execute(
        "INSERT INTO spaces.reservations (resource_id, during, title, booked_by)"
        " SELECT id, tstzrange('2027-03-01 09:00Z', '2027-03-01 10:00Z'), 'x', 'bob'"
        "   FROM spaces.resources WHERE name = 'Room'"
    )
    sql.execute(
        "INSERT INTO spaces.blackouts (resource_id, during, reason, created_by)"
        " SELECT id, tstzrange('2027-03-01 11:00Z', '2027-03-01 12:00Z'), 'paint', 'bob'"
        "   FROM spaces.resources WHERE name = 'Room'"
    )
    booked_by = sql.execute("SELECT booked_by FROM spaces.reservations").fetchone()[0]
    created_by = sql.execute("SELECT created_by FROM spaces.blackouts").fetchone()[0]
    assert (booked_by, created_by) == ("alice", "alice")


def test_a_stall_threshold_is_a_day_unless_set_and_must_be_positive(venue, sql):
    assert resources.get_resource(venue, "Room").stall_after == timedelta(hours=24)
    with pytest.raises(psycopg.errors.CheckViolation):
        sql.execute("UPDATE spaces.resources SET stall_after = '0' WHERE name = 'Room'")
    with pytest.raises(BadInput, match="positive"):
        resources.update_resource(venue, "Room", stall_after=timedelta(0))


def test_turning_approval_off_confirms_nothing_already_pending(venue):
    waiting = request(venue, "Truck", 9)
    resources.update_resource(venue, "Truck", requires_approval=False)
    assert reservations.get_reservation(venue, waiting).status == "pending"
    assert reservations.book(venue, "Truck", f"{DAY}T12:00", "+1h", "now").status == "confirmed"


# --- the queue -----------------------------------------------------------------------------


def test_requests_stall_after_their_resources_threshold_on_a_fixed_clock(venue):
    truck = request(venue, "Truck", 9)
    stage = request(venue, "Stage", 9)
    resources.update_resource(venue, "Stage", stall_after=timedelta(hours=2))

    fresh = approvals.pending_requests(venue, now=later(1))
    assert [(r.reservation.id, r.stalled) for r in fresh] == [(truck, False), (stage, False)]
    assert all(timedelta(minutes=59) < r.waited < timedelta(minutes=61) for r in fresh)

    stalled = approvals.pending_requests(venue, now=later(3), stalled_only=True)
    assert [r.reservation.id for r in stalled] == [stage]
    assert approvals.pending_requests(venue, now=later(25), stalled_only=True)[0].stalled
    assert len(approvals.pending_requests(venue, now=later(25), stalled_only=True)) == 2
    older = approvals.pending_requests(venue, now=later(1), older_than=timedelta(hours=2))
    assert older == []


def test_the_queue_shows_only_mine_when_asked_and_sorts_three_ways(venue, as_):
    first = request(venue, "Truck", 15, "late truck")
    second = request(venue, "Stage", 9, "early stage")
    third = request(venue, "Truck", 8, "earliest truck")
    jo = as_("jo")
    mine = approvals.pending_requests(jo, mine_only=True)
    assert [r.reservation.id for r in mine] == [first, third]
    assert all(r.may_decide for r in mine)
    everything = approvals.pending_requests(jo)
    assert [r.may_decide for r in everything] == [True, False, True]
    by_start = approvals.pending_requests(jo, sort="start")
    assert [r.reservation.id for r in by_start] == [third, second, first]
    by_resource = approvals.pending_requests(jo, sort="resource")
    assert [r.reservation.id for r in by_resource] == [second, third, first]
    with pytest.raises(BadInput, match="unknown order"):
        approvals.pending_requests(jo, sort="loudest")


def test_the_queue_points_out_what_is_worth_a_look(venue):
    near = request(venue, "Stage", 10)
    blackouts.add_blackout(venue, "Left", f"{DAY}T11:30", "+2h", "rigging check")
    resources.update_resource(venue, "Truck", approvers=[])
    orphan = request(venue, "Truck", 9)
    resources.update_resource(venue, "Truck", active=False)
    risks = {
        r.reservation.id: tuple(risk.message for risk in r.risks)
        for r in approvals.pending_requests(venue)
    }
    assert risks[near] == (
        "blackout 'rigging check' (maintenance, set by tester) on Left starts 30m after it ends,"
        " 11:30-13:30",
    )
    assert risks[orphan] == (
        "the resource has been made inactive",
        "no approver: nobody can decide it",
    )


def test_bulk_decisions_report_each_one_decided_elsewhere_meanwhile(venue, as_):
    ids = [request(venue, "Truck", hour) for hour in (9, 11, 13)]
    reservations.reject(as_("jo"), ids[1], "no driver")
    outcomes = approvals.decide_many(as_("sam"), ids, "approve", "fine")
    assert [o.decided[0].status if o.decided else None for o in outcomes] == [
        "confirmed",
        None,
        "confirmed",
    ]
    failed = outcomes[1]
    assert isinstance(failed.error, InvalidTransition)
    assert str(failed.error).startswith(f"reservation {ids[1]} was already rejected by jo at ")
    assert str(failed.error).endswith(": no driver")


def test_bulk_rejection_needs_a_reason_and_stops_a_stranger_per_item(venue, as_):
    ids = [request(venue, "Truck", hour) for hour in (9, 11)]
    with pytest.raises(BadInput, match="needs a reason"):
        approvals.decide_many(as_("sam"), ids, "reject", "  ")
    outcomes = approvals.decide_many(as_("mallory"), ids, "reject", "no")
    assert [str(o.error) for o in outcomes] == ["mallory is not an approver of Truck"] * 2
    assert {reservations.get_reservation(venue, i).status for i in ids} == {"pending"}


def messages(item: approvals.QueueItem) -> tuple[str, ...]:
    return tuple(risk.message for risk in item.risks)


def three_days_of(db: Database, title: str) -> list[int]:
    """A series on the truck, 09:00-10:00 on 1, 2 and 3 March: pending, one id a day."""
    booked = series.book_series(db, "Truck", f"{DAY}T09:00", "+1h", title, "FREQ=DAILY;COUNT=3")
    return [reservation.id for reservation in booked.reservations]


def test_a_series_waits_in_the_queue_as_one_request(venue):
    days = three_days_of(venue, "Load-in")
    lone = request(venue, "Truck", 14)
    blackouts.add_blackout(venue, "Truck", "2027-03-02T10:30", "+1h", "MOT")
    items = approvals.group_series(approvals.pending_requests(venue, sort="start"))
    assert [type(item) for item in items] == [SeriesRequest, approvals.Request]
    grouped, single = items
    assert [o.reservation.id for o in grouped.occurrences] == days
    assert grouped.reservation.id == days[0], "the first occurrence stands for the series"
    assert single.reservation.id == lone, "listed where its start puts it, after the first day"
    mot = "Tue 2 Mar: blackout 'MOT' (maintenance, set by tester) on Truck starts 30m after it ends"
    assert messages(grouped) == (f"{mot}, 10:30-11:30",)
    assert grouped.approvers == ("jo", "sam")

    resources.update_resource(venue, "Truck", approvers=[])
    (grouped, _single) = approvals.group_series(approvals.pending_requests(venue, sort="start"))
    assert messages(grouped) == (
        "no approver: nobody can decide it",
        f"{mot}, 10:30-11:30",
    ), "a risk every occurrence shares is said once"


def test_a_series_with_one_occurrence_left_pending_is_a_plain_request(venue, as_):
    days = three_days_of(venue, "Load-in")
    approvals.decide_many(as_("jo"), days[:2], "approve")
    (item,) = approvals.group_series(approvals.pending_requests(venue))
    assert isinstance(item, approvals.Request) and item.reservation.id == days[2]


def test_the_awaiting_count_counts_what_the_queue_lists(venue, as_):
    jo = as_("jo")
    three_days_of(venue, "Load-in")
    request(venue, "Truck", 14)
    request(venue, "Stage", 9)  # sam's, not jo's
    listed = approvals.group_series(approvals.pending_requests(jo, mine_only=True))
    assert approvals.awaiting_count(jo) == len(listed) == 2, "a series once, the other truck"
    assert approvals.awaiting_count(as_("sam")) == 3
    assert approvals.awaiting_count(as_("mallory")) == 0


def test_a_series_is_decided_as_one_request_all_or_none(venue, as_):
    days = three_days_of(venue, "Load-in")
    lone = request(venue, "Truck", 14)
    refused = approvals.decide_many(as_("mallory"), [days[0]], "approve", whole_series={days[0]})
    assert str(refused[0].error) == "mallory is not an approver of Truck"
    assert {reservations.get_reservation(venue, i).status for i in days} == {"pending"}

    reservations.approve(as_("jo"), days[1], "just this one")
    outcomes = approvals.decide_many(
        as_("sam"), [days[0], lone], "reject", "no driver", whole_series={days[0]}
    )
    assert [[r.id for r in o.decided] for o in outcomes] == [[days[0], days[2]], [lone]]
    statuses = [reservations.get_reservation(venue, i).status for i in [*days, lone]]
    assert statuses == ["rejected", "confirmed", "rejected", "rejected"]


def test_a_reservations_life_is_read_from_the_event_log(venue, as_):
    asked = request(venue, "Truck", 9)
    reservations.approve(as_("jo"), asked, "keys at desk")
    reservations.cancel(venue, asked, "show moved")
    reservation, happened = approvals.life(venue, asked)
    assert reservation.status == "cancelled"
    assert [approvals.describe_event(e) for e in happened] == [
        "created (pending) by tester",
        "approved by jo: keys at desk",
        "cancelled by tester: show moved",
    ]


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_venue(venue, spaces):
    return spaces


def test_pending_lists_requests_for_scripts(cli_venue, sql):
    cli_venue("book", "Truck", f"{DAY}T09:00", "+1h", "--title", "Get-in", actor="maria")
    listed = cli_venue("pending", "--json")
    assert listed.code == 0, listed.err
    [item] = listed.json
    assert (item["resource"], item["booked_by"], item["approvers"]) == (
        "Truck",
        "maria",
        ["jo", "sam"],
    )
    assert (item["stalled"], item["stall_after_seconds"]) == (False, 24 * 3600)
    assert 0 <= item["waited_seconds"] < 60
    assert cli_venue("pending", "--stalled", "--json").json == []
    assert cli_venue("pending", "--older-than", "1h", "--json").json == []
    assert cli_venue("pending", "--mine", "--json", actor="jo").json[0]["may_decide"] is True
    assert cli_venue("pending", "--mine", "--json", actor="maria").json == []
    sql.execute("UPDATE spaces.resources SET stall_after = '1 microsecond' WHERE name = 'Truck'")
    stalled = cli_venue("pending", "--stalled")
    assert "STALLED" in stalled.out and "Get-in" in stalled.out
    unreadable = cli_venue("pending", "--older-than", "soon")  # bad input: one line, exit 2
    assert unreadable.code == 2 and "--older-than 'soon' is not a duration" in unreadable.err


def test_pending_names_the_series_an_occurrence_belongs_to(cli_venue):
    made = cli_venue(
        "book",
        "Truck",
        f"{DAY}T09:00",
        "+1h",
        "--title",
        "Tour",
        "--rrule",
        "FREQ=DAILY;COUNT=2",
        "--json",
    )
    series_id = made.json["series_id"]
    listed = cli_venue("pending", "--json").json
    assert [item["series_id"] for item in listed] == [series_id, series_id]
    text = cli_venue("pending").out
    assert text.count(f"series {series_id} (--series decides all of it)") == 2
    decided = cli_venue("approve", str(listed[0]["id"]), "--series", "--json", actor="jo")
    assert [item["status"] for item in decided.json] == ["confirmed", "confirmed"]


def test_history_shows_a_reservations_whole_life(cli_venue):
    made = cli_venue("book", "Truck", f"{DAY}T09:00", "+1h", "--title", "Get-in", "--json")
    booking = str(made.json["id"])
    assert cli_venue("reject", booking, "--reason", "no driver", actor="jo").code == 0
    text = cli_venue("history", booking)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].startswith(f"#{booking} Truck") and lines[0].endswith("(rejected)")
    assert lines[1].endswith("created (pending) by tester")
    assert lines[2].endswith("rejected by jo: no driver")
    as_json = cli_venue("history", booking, "--json").json
    assert [e["topic"] for e in as_json["history"]] == [
        "spaces.reservation.created",
        "spaces.reservation.rejected",
    ]
    assert as_json["history"][1]["payload"]["note"] == "no driver"
    missing = cli_venue("history", "999", "--json")
    assert (missing.code, missing.json["error"]) == (2, "not_found")


def test_cancel_by_someone_else_is_refused_until_they_are_an_admin(cli_venue):
    made = cli_venue("book", "Room", f"{DAY}T09:00", "+1h", "--title", "Mine", "--json")
    booking = str(made.json["id"])
    refused = cli_venue("cancel", booking, "--reason", "mine", "--json", actor="mallory")
    assert (refused.code, refused.json["error"]) == (4, "permission_denied")
    assert cli_venue("access", "grant", "ops", "--admin").code == 0
    assert "ops (admin)" in cli_venue("access", "show").out
    assert cli_venue("cancel", booking, "--reason", "ops", actor="ops").code == 0


def test_stall_threshold_and_approval_off_from_the_command_line(cli_venue):
    cli_venue("book", "Truck", f"{DAY}T09:00", "+1h", "--title", "Get-in")
    changed = cli_venue("resource", "set", "Truck", "--stall-after", "4h", "--json")
    assert changed.json["stall_after_seconds"] == 4 * 3600
    off = cli_venue("resource", "set", "Truck", "--no-approval")
    assert off.code == 0
    assert "1 request stays pending on Truck" in off.err
    nothing = cli_venue("resource", "set", "Truck", "--stall-after", "0m")
    assert nothing.code == 2 and "must be longer than nothing" in nothing.err


# --- approvers: one rule, one statement each --------------------------------------------------


def test_naming_an_approver_on_set_turns_approval_on_and_the_list_shows_them(cli_venue, venue):
    changed = cli_venue("resource", "set", "Room", "--approver", "carol", "--json")
    assert changed.code == 0, changed.err
    assert (changed.json["requires_approval"], changed.json["approvers"]) == (True, ["carol"])
    assert "carol" in next(
        line for line in cli_venue("resource", "list").out.splitlines() if "Room" in line
    )
    booked = reservations.book(venue, "Room", f"{DAY}T09:00", "+1h", "Band call")
    assert booked.status == "pending", "bookings now wait for carol"


def test_approval_turned_off_keeps_and_shows_its_approvers(cli_venue):
    assert cli_venue("resource", "set", "Truck", "--no-approval").code == 0
    line = next(line for line in cli_venue("resource", "list").out.splitlines() if "Truck" in line)
    assert "off (jo, sam)" in line


def test_an_approver_and_no_approval_together_are_a_contradiction(cli_venue, venue):
    both = cli_venue("resource", "set", "Room", "--approver", "carol", "--no-approval")
    assert both.code == 2 and "naming an approver means bookings need approval" in both.err
    assert resources.get_resource(venue, "Room").approvers == ()


def test_removing_approvers_from_the_command_line(cli_venue, venue):
    removed = cli_venue(
        "resource", "set", "Truck", "--remove-approver", "jo", "--approver", "ana", "--json"
    )
    assert removed.code == 0, removed.err
    assert removed.json["approvers"] == ["sam", "ana"]
    unknown = cli_venue("resource", "set", "Truck", "--remove-approver", "nobody")
    assert unknown.code == 2 and "nobody is not an approver of Truck" in unknown.err
    assert resources.get_resource(venue, "Truck").approvers == ("sam", "ana"), "nothing written"


def test_the_engine_adds_and_removes_one_approver(venue):
    added = resources.add_approver(venue, "Room", "  carol ")
    assert (added.approvers, added.requires_approval) == (("carol",), True)
    with pytest.raises(BadInput, match="carol already approves bookings of Room"):
        resources.add_approver(venue, "Room", "carol")
    removed = resources.remove_approver(venue, "Room", "carol")
    assert (removed.approvers, removed.requires_approval) == ((), True)
    assert removed.problems, "needing approval with nobody to give it is reported"
    with pytest.raises(BadInput, match="carol is not an approver of Room"):
        resources.remove_approver(venue, "Room", "carol")
    with pytest.raises(BadInput, match="an approver needs a name"):
        resources.add_approver(venue, "Room", " ")


def test_an_approver_already_named_turns_approval_back_on(venue):
    resources.update_resource(venue, "Truck", requires_approval=False)
    again = resources.add_approver(venue, "Truck", "jo")
    assert (again.approvers, again.requires_approval) == (("jo", "sam"), True)


def test_pending_count_counts_what_still_waits_on_one_resource(venue):
    request(venue, "Truck", 9)
    request(venue, "Truck", 11)
    request(venue, "Stage", 9)
    resources.update_resource(venue, "Truck", requires_approval=False)
    assert resources.pending_count(venue, "Truck") == 2
    assert resources.pending_count(venue, "Room") == 0


def _waiting_for_a_lock(sql, count: int) -> None:
    deadline = time.monotonic() + 30
    while (
        sql.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        ).fetchone()[0]
        < count
    ):
        assert time.monotonic() < deadline, "the writers never got to wait for the row"
        time.sleep(0.02)


@pytest.mark.parametrize("way", ["engine", "command line"])
def test_approvers_added_at_the_same_moment_are_both_kept(venue, database_url, spaces, way):
    """Two people add different approvers while a third transaction holds the row: both have
    read the approvers (jo, sam) before either writes. A read-then-write keeps only one."""
    with psycopg.connect(database_url) as holder:
        holder.execute("SELECT 1 FROM spaces.resources WHERE name = 'Truck' FOR UPDATE")

        def add(name: str) -> None:
            if way == "engine":
                resources.add_approver(Database(database_url, "admin"), "Truck", name)
            else:
                done = spaces("resource", "set", "Truck", "--approver", name)
                assert done.code == 0, done.err

        with ThreadPoolExecutor(2) as pool:
            adding = [pool.submit(add, name) for name in ("carol", "dave")]
            with psycopg.connect(database_url, autocommit=True) as watcher:
                _waiting_for_a_lock(watcher, 2)
            holder.rollback()
            for future in adding:
                future.result(timeout=60)
    approvers = resources.get_resource(venue, "Truck").approvers
    assert sorted(approvers) == ["carol", "dave", "jo", "sam"]


def test_pending_older_than_takes_seconds_and_iso_8601(cli_venue):
    cli_venue("book", "Truck", f"{DAY}T09:00", "+1h", "--title", "Get-in")
    for duration in ("30s", "PT30S", "PT1H30M", "P1D"):
        listed = cli_venue("pending", "--older-than", duration, "--json")
        assert (listed.code, listed.json) == (0, []), (duration, listed.err)
    assert len(cli_venue("pending", "--older-than", "PT0.001S", "--json").json) == 1
    set_ = cli_venue("resource", "set", "Truck", "--stall-after", "PT45S", "--json")
    assert set_.json["stall_after_seconds"] == 45


def test_pending_requested_lists_my_own_requests_and_mine_what_i_may_approve(cli_venue):
    cli_venue("book", "Truck", f"{DAY}T09:00", "+1h", "--title", "Get-in", actor="maria")
    cli_venue("book", "Stage", f"{DAY}T09:00", "+1h", "--title", "Tech", actor="jo")

    def titles(*args: str, actor: str) -> list[str]:
        listed = cli_venue("pending", *args, "--json", actor=actor)
        assert listed.code == 0, listed.err
        return [item["title"] for item in listed.json]

    assert titles("--requested", actor="maria") == ["Get-in"]
    assert titles("--requested", actor="jo") == ["Tech"]
    assert titles("--mine", actor="jo") == ["Get-in"], "jo approves the Truck, not the Stage"
    assert titles("--mine", "--requested", actor="jo") == []
    empty = cli_venue("pending", "--requested", actor="nobody")
    assert empty.out == "Nothing you asked for is waiting for a decision.\n"


def test_a_whole_list_of_approvers_turns_approval_on_only_for_a_new_name(venue):
    named = resources.update_resource(venue, "Room", approvers=["carol"])
    assert (named.approvers, named.requires_approval) == (("carol",), True)
    resources.update_resource(venue, "Truck", requires_approval=False)
    fewer = resources.update_resource(venue, "Truck", approvers=["sam"])
    assert (fewer.approvers, fewer.requires_approval) == (("sam",), False), "nobody new named"
