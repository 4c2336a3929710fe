"""The timeline's geometry without a screen: rows, columns on the wall clock, what fills a cell."""

from __future__ import annotations

from datetime import timedelta

import pendulum

from spaces_tui.engine.calendar import Window
from spaces_tui.engine.hours import ALWAYS
from spaces_tui.engine.models import Blackout, Reservation, Resource
from spaces_tui.tui.grid import DAY, WEEK, WEEK_FINE, Grid, filter_rows

ZONE = "Europe/London"


def resource(rid: int, name: str, kind: str = "room", parent: int | None = None, depth: int = 0):
    return Resource(
        id=rid, name=name, kind=kind, module="spaces", external_ref=None, parent_id=parent,
        parent=None, capacity=None, requires_approval=False, approvers=(), buffer_minutes=0,
        timezone=ZONE, bookable_week=ALWAYS,
        blackout_margin=timedelta(hours=1), attributes={}, active=True,
        stall_after=timedelta(hours=24), depth=depth,
    )  # fmt: skip


def at(hour: int, minute: int = 0, day: int = 2) -> pendulum.DateTime:
    return pendulum.datetime(2026, 3, day, hour, minute, tz=ZONE)


def booking(rid: int, start, end, title: str, status: str = "confirmed", by: str = "sam"):
    return Reservation(
        id=hash(title) % 1000, resource_id=rid, resource="", timezone=ZONE, start=start, end=end,
        status=status, title=title, booked_by=by, headcount=None, decided_by=None,
        decided_at=None, decision_note=None, cancelled_by=None, cancelled_at=None,
        cancel_reason=None, created_at=start,
    )  # fmt: skip


def blackout(rid: int, start, end, reason: str):
    return Blackout(
        id=1, resource_id=rid, resource="", timezone=ZONE, start=start, end=end, reason=reason,
        kind="maintenance", status="active", created_by="ops", created_at=start, lifted_by=None,
        lifted_at=None,
    )  # fmt: skip


VENUE = [
    resource(1, "Stage", "stage"),
    resource(2, "Left", "floor_area", parent=1, depth=1),
    resource(3, "Downstage", "floor_area", parent=2, depth=2),
    resource(4, "Right", "floor_area", parent=1, depth=1),
    resource(5, "Truck", "vehicle"),
]


def grid(reservations=(), blackouts=(), scale=DAY, day: int = 2, actor: str = "me", text=""):
    origin = at(0, day=day)
    window = Window(origin, origin.add(days=scale.days), VENUE, list(reservations), list(blackouts))
    return Grid(window, scale, origin, actor, text)


def test_day_columns_are_half_hours_on_the_wall_clock():
    g = grid()
    assert g.columns == 48
    assert g.column_start(19).format("HH:mm") == "09:30"
    assert g.column_at(at(9, 45)) == 19
    assert g.column_at(at(0, day=3)) is None


def test_a_spring_forward_day_still_reads_00_to_24():
    # 29 March 2026: London skips 01:00-02:00. The 01:00 column is the same instant as 02:00.
    g = grid(day=29)
    assert g.column_start(4).format("HH:mm") == "02:00"
    assert g.column_end(1) == g.column_end(2) == g.column_end(3) == at(2, day=29)
    assert g.column_at(at(2, 15, day=29)) == 4
    assert g.column_start(47).format("HH:mm") == "23:30"
    assert g.column_at(at(12, day=29)) == 24


def test_week_views_start_on_the_origin_and_span_seven_days():
    assert grid(scale=WEEK).columns == 56
    fine = grid(scale=WEEK_FINE)
    assert fine.columns == 336
    assert fine.column_start(335).format("ddd HH:mm") == "Sun 23:30"


def test_a_cell_shows_what_overlaps_it_half_open():
    g = grid([booking(5, at(10), at(11), "Load")])
    assert g.span_at(4, g.column_at(at(10))).label == "Load"
    assert g.span_at(4, g.column_at(at(10, 30))).label == "Load"
    assert g.span_at(4, g.column_at(at(11))) is None, "it ends at 11:00, exclusive"
    assert g.span_at(4, g.column_at(at(9, 30))) is None


def test_a_blackout_wins_a_cell_over_a_booking_and_a_booking_over_pending():
    g = grid(
        [booking(5, at(10), at(12), "Load"), booking(5, at(12), at(13), "Maybe", "pending")],
        [blackout(5, at(11), at(11, 30), "Brakes")],
    )
    kinds = [g.span_at(4, g.column_at(at(h, m))).kind for h, m in ((10, 0), (11, 0), (12, 0))]
    assert kinds == ["confirmed", "blackout", "pending"]


def test_the_tree_shows_on_every_row_it_affects():
    g = grid(
        [booking(3, at(10), at(11), "Downstage rig")],
        [blackout(1, at(14), at(15), "Repaint")],
    )
    rows = {r.name: i for i, r in enumerate(g.rows)}
    ten, two = g.column_at(at(10)), g.column_at(at(14))
    # A booking deep inside blocks everything above it, and not its cousin.
    assert g.span_at(rows["Downstage"], ten).kind == "confirmed"
    assert g.span_at(rows["Left"], ten).kind == "blocked"
    assert g.span_at(rows["Stage"], ten).kind == "blocked"
    assert g.span_at(rows["Right"], ten) is None
    # A stage's blackout is a blackout on every area in it.
    for name in ("Stage", "Left", "Downstage", "Right"):
        assert g.span_at(rows[name], two).kind == "blackout"
        assert g.span_at(rows[name], two).label == "Repaint"
    assert g.span_at(rows["Truck"], two) is None


def test_own_bookings_are_marked_mine():
    g = grid([booking(5, at(10), at(11), "Mine", by="me"), booking(5, at(12), at(13), "Not")])
    assert g.span_at(4, g.column_at(at(10))).mine
    assert not g.span_at(4, g.column_at(at(12))).mine


def test_a_rehearsal_sessions_room_is_marked_as_one():
    rehearsal = booking(5, at(10), at(11), "Act 1")
    other = booking(5, at(12), at(13), "Load")
    origin = at(0)
    window = Window(
        origin,
        origin.add(days=1),
        VENUE,
        [rehearsal, other],
        [],
        sessions={rehearsal.id: "scheduled"},
    )
    g = Grid(window, DAY, origin, "me")
    assert g.span_at(4, g.column_at(at(10))).session
    assert not g.span_at(4, g.column_at(at(12))).session


def test_filter_matches_name_or_kind_and_keeps_the_tree_above():
    assert [r.name for r in filter_rows(VENUE, "down")] == ["Stage", "Left", "Downstage"]
    assert [r.name for r in filter_rows(VENUE, "VEHICLE")] == ["Truck"]
    assert filter_rows(VENUE, "  ") == VENUE
    assert filter_rows(VENUE, "nothing like it") == []
    assert [r.name for r in grid(text="right").rows] == ["Stage", "Right"]
