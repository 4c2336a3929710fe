"""What the engine hands out: plain, frozen records with times in the resource's own zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pendulum

from spaces_tui.engine.hours import Week

# The statuses that hold a slot. The database's own list is spaces.is_active_status
# (sql/rules/table_helpers.sql); tests/test_sql_statuses.py keeps the two the same.
ACTIVE = ("pending", "confirmed")


@dataclass(frozen=True)
class Resource:
    id: int
    name: str
    kind: str
    module: str
    external_ref: str | None
    parent_id: int | None
    parent: str | None
    capacity: int | None
    requires_approval: bool
    approvers: tuple[str, ...]
    buffer_minutes: int
    timezone: str
    bookable_week: Week  # its bookable hours, on its own clock
    blackout_margin: timedelta  # a blackout this near a booking is warned of
    attributes: dict[str, Any]
    active: bool
    stall_after: timedelta  # a request waiting longer for a decision is stalled
    depth: int = 0  # in a tree listing: how many resources it sits inside

    @property
    def hours_text(self) -> str:
        """Its bookable hours for people, on its clock: MO-FR 09:00-23:00 (Europe/London)."""
        return f"{self.bookable_week.describe()} ({self.timezone})"

    @property
    def problems(self) -> list[str]:
        """What is wrong with how it is set up, for people to fix."""
        if self.requires_approval and not self.approvers:
            return ["requires approval but has no approver: its bookings can never be confirmed"]
        return []


@dataclass(frozen=True)
class Reservation:
    id: int
    resource_id: int
    resource: str
    timezone: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    status: str
    title: str
    booked_by: str
    headcount: int | None
    decided_by: str | None
    decided_at: pendulum.DateTime | None
    decision_note: str | None
    cancelled_by: str | None
    cancelled_at: pendulum.DateTime | None
    cancel_reason: str | None
    created_at: pendulum.DateTime
    series_id: int | None = None  # an occurrence of a recurring reservation
    group_id: int | None = None  # one row of a booking over several resources
    moved_from: int | None = None  # the booking this one replaced in a move
    moved_to: int | None = None  # the booking that replaced this one

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Blackout:
    id: int
    resource_id: int
    resource: str
    timezone: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    reason: str
    kind: str
    status: str
    created_by: str
    created_at: pendulum.DateTime
    lifted_by: str | None
    lifted_at: pendulum.DateTime | None


@dataclass(frozen=True)
class Obstacle:
    """One thing in the way of a booking, as spaces.check_reservation_conflict reports it."""

    kind: str  # reservation | blackout
    id: int
    resource_id: int
    resource: str
    timezone: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    status: str
    title: str  # a reservation's title, a blackout's reason
    who: str
    turnover_only: bool


@dataclass(frozen=True)
class Risk:
    """Something worth a look before booking a period, though nothing refuses it
    (spaces_tui/engine/insights.py): its kind, a line for people, and what it is about."""

    kind: str
    message: str
    reservation_ids: tuple[int, ...] = ()
    blackout_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Blocked:
    """One occurrence of a recurring booking (or one row of a group booking) that cannot be
    booked, and what is in its way."""

    start: pendulum.DateTime
    end: pendulum.DateTime
    obstacles: list[Obstacle]
    risks: tuple[Risk, ...] = ()  # in a preview: what is worth a look though it is free
    resource: str | None = None  # in a group: the resource of the row that is in the way


@dataclass(frozen=True)
class Event:
    id: int
    topic: str
    resource_id: int | None
    reservation_id: int | None
    blackout_id: int | None
    actor: str
    created_at: pendulum.DateTime
    payload: dict[str, Any] = field(default_factory=dict)
