"""The demo venue from the command line: it loads only into an empty database, it shows every
kind of thing the app handles (a recurring request, a flagged rehearsal session), and --reset
starts it over, but only over nothing but demo data."""

from __future__ import annotations

import re

from spaces_tui.engine import approvals, rehearse
from spaces_tui.engine.demo import LOST_ROOM, SERIES, SESSIONS


def counts(sql) -> dict[str, int]:
    tables = ("spaces.resources", "spaces.reservations", "spaces.series", "rehearse.sessions")
    return {t: sql.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_the_demo_loads_a_venue_with_a_recurring_request_and_a_flagged_session(spaces, db):
    loaded = spaces("demo")
    assert loaded.code == 0, loaded.err
    said = re.search(
        r"(\d+) resources, (\d+) reservations, (\d+) blackouts and (\d+) rehearsal sessions",
        loaded.out,
    )
    assert said is not None, loaded.out
    assert int(said[1]) == 22 and int(said[4]) == len(SESSIONS)

    resource, title, who, *_ = SERIES
    db.actor = "stage-manager"
    waiting = approvals.group_series(approvals.pending_requests(db, mine_only=True))
    [series] = [item for item in waiting if isinstance(item, approvals.SeriesRequest)]
    booking = series.reservation
    assert (booking.resource, booking.title, booking.booked_by) == (resource, title, who)
    assert len(series.occurrences) == 3

    lost, reason = LOST_ROOM
    flagged = rehearse.list_sessions(db, view="flagged")
    assert [(s.title, s.flag_reason) for s in flagged] == [(lost, reason)]
    assert len(rehearse.list_sessions(db)) == len(SESSIONS)


def test_the_demo_refuses_a_database_in_use_and_reset_starts_it_over(spaces, sql):
    assert spaces("demo").code == 0
    before = counts(sql)
    again = spaces("demo")
    assert again.code == 2 and "spaces demo --reset" in again.err
    # What points into the demo goes with it: a feed naming its resources, a relay whose
    # position is an event id of the old log.
    assert spaces("feed", "add", "stage", "--under", "Main Stage").code == 0
    sql.execute(
        "INSERT INTO spaces.relays (name, url, delivered_id)"
        " VALUES ('hook', 'http://127.0.0.1:9/', 5)"
    )
    reset = spaces("demo", "--reset")
    assert reset.code == 0, reset.err
    assert counts(sql) == before, "the same venue, from scratch"
    assert sql.execute("SELECT min(id) FROM spaces.resources").fetchone()[0] == 1
    assert sql.execute(
        "SELECT (SELECT count(*) FROM spaces.feeds), (SELECT count(*) FROM spaces.relays)"
    ).fetchone() == (0, 0)


def test_reset_leaves_a_database_holding_real_data_alone(spaces, sql):
    assert spaces("resource", "add", "Real Room", "--kind", "room").code == 0
    refused = spaces("demo", "--reset")
    assert refused.code == 2 and "not demo data" in refused.err
    assert counts(sql)["spaces.resources"] == 1
