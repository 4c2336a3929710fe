"""The details screen offers what the rules allow this actor, and says why not at once: a key for
an action the database would refuse asks for no reason first. Also the engine's answer it uses
(spaces_tui.engine.access: what may this actor do with this item)."""

from __future__ import annotations

import pytest
from textual.widgets import Button
from tui_helpers import app_showing, press, text_of

from spaces_tui.db.connection import Database
from spaces_tui.engine import access, blackouts, reservations, resources
from spaces_tui.engine.models import Blackout, Reservation
from spaces_tui.tui.screens.details import DetailsScreen
from spaces_tui.tui.screens.prompts import ReasonPrompt

APPROVER = "company-manager"


@pytest.fixture
def venue(db: Database) -> Database:
    resources.add_resource(db, "Room A", "room")
    resources.add_resource(db, "Room B", "room", requires_approval=True, approvers=[APPROVER])
    return db


def as_actor(db: Database, actor: str) -> Database:
    db.actor = actor
    return db


def booked_by(db: Database, actor: str, resource: str = "Room A") -> Reservation:
    before = db.actor
    db.actor = actor
    try:
        return reservations.book(db, resource, "2026-11-24T14:00", "+1h", f"{actor}'s call")
    finally:
        db.actor = before


def shown_buttons(screen: DetailsScreen) -> set[str]:
    return {
        str(button.id)
        for button in screen.query(Button)
        if button.display and button.id in ("approve", "reject", "cancel", "lift")
    }


# --- the engine: what may this actor do --------------------------------------------------------


def test_the_booker_may_cancel_and_nobody_else_who_is_not_an_approver(venue):
    booking = booked_by(venue, "ann")
    as_actor(venue, "ann")
    mine = access.reservation_permissions(venue, booking.id)
    assert mine.allowed == ("cancel",)
    assert mine.why_not("approve") == "it is confirmed: only a pending request is approved"
    as_actor(venue, "bob")
    theirs = access.reservation_permissions(venue, booking.id)
    assert theirs.allowed == ()
    why = theirs.why_not("cancel") or ""
    assert "bob may not cancel it (booked by ann)" in why and "Room A" in why
    assert theirs.why_not("lift") == "only a blackout is lifted"


def test_an_approver_may_decide_a_pending_request_and_cancel_it(venue):
    booking = booked_by(venue, "ann", "Room B")
    as_actor(venue, APPROVER)
    assert access.reservation_permissions(venue, booking.id).allowed == (
        "approve",
        "reject",
        "cancel",
    )
    reservations.approve(venue, booking.id)
    decided = access.reservation_permissions(venue, booking.id)
    assert decided.allowed == ("cancel",)
    assert decided.why_not("approve") == "it is confirmed: only a pending request is approved"


def test_a_cancelled_booking_allows_nothing_and_says_so(venue):
    booking = booked_by(venue, "ann")
    as_actor(venue, "ann")
    reservations.cancel(venue, booking.id, "not needed")
    gone = access.reservation_permissions(venue, booking.id)
    assert gone.allowed == ()
    assert gone.why_not("cancel") == (
        "it is cancelled: only a pending or confirmed booking is cancelled"
    )


def test_a_blackout_is_lifted_by_whoever_put_it_in_an_approver_or_an_admin(venue):
    as_actor(venue, "ann")
    blackout, _ = blackouts.add_blackout(venue, "Room B", "2026-11-25T09:00", "+2h", "Painting")
    assert access.blackout_permissions(venue, blackout.id).allowed == ("lift",)
    as_actor(venue, APPROVER)
    assert access.blackout_permissions(venue, blackout.id).allowed == ("lift",)
    as_actor(venue, "bob")
    refused = access.blackout_permissions(venue, blackout.id)
    assert refused.allowed == ()
    assert "bob may not lift it (put in by ann)" in (refused.why_not("lift") or "")


def test_permissions_of_something_missing_is_not_found(venue):
    with pytest.raises(access.NotFound):
        access.reservation_permissions(venue, 999_999)


# --- the screen --------------------------------------------------------------------------------


async def test_somebody_elses_booking_offers_no_cancel_and_c_says_why_at_once(venue, no_bugs):
    booking = booked_by(venue, "ann")
    as_actor(venue, "bob")
    async with app_showing(venue, lambda: DetailsScreen(booking)) as (pilot, screen, notes):
        assert shown_buttons(screen) == set()
        await press(pilot, "c")
        assert pilot.app.screen is screen, "no reason is asked for"
        assert not any(isinstance(s, ReasonPrompt) for s in pilot.app.screen_stack)
        assert notes and "You cannot cancel booking" in notes[-1]
        assert "booked by ann" in notes[-1]
    assert reservations.get_reservation(venue, booking.id).status == "confirmed"


async def test_the_booker_cancels_from_the_details_with_a_reason(venue, no_bugs):
    booking = booked_by(venue, "ann")
    as_actor(venue, "ann")
    async with app_showing(venue, lambda: DetailsScreen(booking)) as (pilot, screen, _notes):
        assert shown_buttons(screen) == {"cancel"}
        assert "Cancel (c)" in str(screen.query_one("#cancel", Button).label)
        await press(pilot, "c")
        assert isinstance(pilot.app.screen, ReasonPrompt)
        await pilot.press(*"no longer needed")
        await press(pilot, "enter")
        assert pilot.app.screen is screen
        assert "cancelled" in text_of(screen, "#fields")
        assert shown_buttons(screen) == set(), "nothing more to do with a cancelled booking"
    cancelled = reservations.get_reservation(venue, booking.id)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "ann")


async def test_an_approver_is_offered_approve_and_reject(venue, no_bugs):
    first = booked_by(venue, "ann", "Room B")
    as_actor(venue, APPROVER)
    async with app_showing(venue, lambda: DetailsScreen(first)) as (pilot, screen, _notes):
        assert shown_buttons(screen) == {"approve", "reject", "cancel"}
        await press(pilot, "a")
        assert "confirmed" in text_of(screen, "#fields")
        assert shown_buttons(screen) == {"cancel"}
    assert reservations.get_reservation(venue, first.id).decided_by == APPROVER

    venue.actor = "ann"
    second = reservations.book(venue, "Room B", "2026-11-26T14:00", "+1h", "Second")
    as_actor(venue, APPROVER)
    async with app_showing(venue, lambda: DetailsScreen(second)) as (pilot, screen, _notes):
        await press(pilot, "r")
        assert isinstance(pilot.app.screen, ReasonPrompt)
        await pilot.press(*"clashes with the fit-up")
        await press(pilot, "enter")
        assert "rejected" in text_of(screen, "#fields")
    assert reservations.get_reservation(venue, second.id).status == "rejected"


async def test_a_request_the_actor_may_not_decide_says_why_on_r(venue, no_bugs):
    request = booked_by(venue, "ann", "Room B")
    as_actor(venue, "ann")
    async with app_showing(venue, lambda: DetailsScreen(request)) as (pilot, screen, notes):
        assert shown_buttons(screen) == {"cancel"}
        await press(pilot, "r")
        assert pilot.app.screen is screen
        assert "ann is not an approver of Room B" in notes[-1]
        assert APPROVER in notes[-1]


async def test_a_blackout_someone_else_put_in_offers_no_lift(venue, no_bugs):
    as_actor(venue, "ann")
    blackout: Blackout
    blackout, _ = blackouts.add_blackout(venue, "Room A", "2026-11-25T09:00", "+2h", "Painting")
    as_actor(venue, "bob")
    async with app_showing(venue, lambda: DetailsScreen(blackout)) as (pilot, screen, notes):
        assert shown_buttons(screen) == set()
        await press(pilot, "l")
        assert pilot.app.screen is screen
        assert "bob may not lift it (put in by ann)" in notes[-1]
    assert blackouts.get_blackout(venue, blackout.id).status == "active"
