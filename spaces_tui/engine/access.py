"""Who is acting, and who may use a shared server: the engine's face of sql/rules/access.sql.

The database decides who the actor is (in role mode, the connected PostgreSQL role, whatever
the app claims) and what each role may do; this module reads and changes those settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pendulum

from spaces_tui.db.connection import Database, first_value
from spaces_tui.engine.errors import BadInput, NotFound, domain_errors
from spaces_tui.engine.times import in_zone

ACTOR_SOURCES = ("app", "role")


@dataclass(frozen=True)
class Grant:
    name: str
    admin: bool
    granted_by: str
    granted_at: pendulum.DateTime


@dataclass(frozen=True)
class Access:
    actor_source: str  # app: the app names the actor; role: the connected role is the actor
    grants: list[Grant]


def effective_actor(db: Database) -> str:
    """Who the database takes db's user to be: db.actor, unless it knows people by role."""
    with domain_errors(), db.transaction() as conn:
        return first_value(conn.execute("SELECT spaces.current_actor()"))


def adopt_effective_actor(db: Database, announce: Callable[[str], None]) -> None:
    """Makes db act as whom the database says it is, saying so when that is not who was asked
    for (role mode: SPACES_ACTOR or --as cannot make you somebody else)."""
    actual = effective_actor(db)
    if actual != db.actor:
        announce(
            f"This database knows people by their PostgreSQL role: acting as {actual},"
            f" not {db.actor}."
        )
        db.actor = actual


def show_access(db: Database) -> Access:
    with domain_errors(), db.transaction() as conn:
        source = first_value(conn.execute("SELECT actor_source FROM spaces.policy"))
        rows = conn.execute(
            "SELECT name, admin, granted_by, granted_at FROM spaces.access ORDER BY name"
        ).fetchall()
    grants = [
        Grant(row.name, row.admin, row.granted_by, in_zone(row.granted_at, "UTC")) for row in rows
    ]
    return Access(source, grants)


def set_actor_source(db: Database, source: str) -> None:
    """app or role. Only the schema's owner may change it (and grant access)."""
    if source not in ACTOR_SOURCES:
        raise BadInput(f"the actor comes from {' or '.join(ACTOR_SOURCES)}, not {source!r}")
    with domain_errors(), db.transaction() as conn:
        conn.execute("UPDATE spaces.policy SET actor_source = %(source)s", {"source": source})


def grant_access(db: Database, name: str, *, admin: bool = False) -> None:
    """Lets name use Spaces (with a PostgreSQL role of that name: the privileges it needs);
    admin: may also cancel anyone's booking and change resources."""
    name = (name or "").strip()
    if not name:
        raise BadInput("grant access to whom? give a name")
    with domain_errors(), db.transaction() as conn:
        conn.execute(
            "SELECT spaces.grant_access(%(name)s, %(admin)s)", {"name": name, "admin": admin}
        )


def revoke_access(db: Database, name: str) -> None:
    with domain_errors(), db.transaction() as conn:
        conn.execute("SELECT spaces.revoke_access(%(name)s)", {"name": name.strip()})


# --- what this actor may do with one booking or blackout ------------------------------------------

RESERVATION_ACTIONS = ("approve", "reject", "cancel")
BLACKOUT_ACTIONS = ("lift",)
_DONE = {"approve": "approved", "reject": "rejected", "cancel": "cancelled", "lift": "lifted"}

# The rules' own functions answer (spaces.is_approver, spaces.may_cancel and
# spaces.is_active_status, which the triggers of sql/003, 011 and 014 call), for the actor the
# database takes this connection to be. The one rule no function says is which status may become
# which (the trigger reservations_before_update): only a pending request is decided.
_RESERVATION_MAY = """
    SELECT v.status, v.booked_by AS owner, r.name AS resource, r.approvers,
           spaces.current_actor() AS actor,
           spaces.is_active_status(v.status) AS active,
           v.status = 'pending' AS undecided,
           spaces.is_approver(v.resource_id, spaces.current_actor()) AS approver,
           spaces.may_cancel(v.booked_by, v.resource_id, spaces.current_actor()) AS may_cancel
      FROM spaces.reservations v JOIN spaces.resources r ON r.id = v.resource_id
     WHERE v.id = %(id)s
"""

_BLACKOUT_MAY = """
    SELECT b.status, b.created_by AS owner, r.name AS resource, r.approvers,
           spaces.current_actor() AS actor,
           b.status = 'active' AS active,
           spaces.may_cancel(b.created_by, b.resource_id, spaces.current_actor()) AS may_cancel
      FROM spaces.blackouts b JOIN spaces.resources r ON r.id = b.resource_id
     WHERE b.id = %(id)s
"""


@dataclass(frozen=True)
class Permissions:
    """What the acting person may do with one item: every action its kind has (approve, reject,
    cancel for a booking; lift for a blackout), each allowed or refused with the reason why."""

    actor: str
    refused: dict[str, str]  # action -> why not, for each action the rules would refuse
    actions: tuple[str, ...]  # every action of the item's kind, in order

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(action for action in self.actions if action not in self.refused)

    def why_not(self, action: str) -> str | None:
        """None when the rules allow action; else why they would refuse it."""
        if action not in self.actions:
            kind = "a blackout" if action in BLACKOUT_ACTIONS else "a booking"
            return f"only {kind} is {_DONE.get(action, action)}"
        return self.refused.get(action)


def reservation_permissions(db: Database, reservation_id: int) -> Permissions:
    """What db's actor may do with a booking, asked of the rules the database applies, so a
    screen offers only what would be allowed and says why before anything is typed. The rules
    stay the last word: a change made meanwhile still refuses what this allowed."""
    with domain_errors(), db.transaction() as conn:
        row = conn.execute(_RESERVATION_MAY, {"id": reservation_id}).fetchone()
    if row is None:
        raise NotFound(f"no reservation with id {reservation_id}")
    refused: dict[str, str] = {}
    if not row.undecided:
        for action in ("approve", "reject"):
            refused[action] = f"it is {row.status}: only a pending request is {_DONE[action]}"
    elif not row.approver:
        who = ", ".join(row.approvers) if row.approvers else "nobody"
        for action in ("approve", "reject"):
            refused[action] = (
                f"{row.actor} is not an approver of {row.resource} (its approvers: {who})"
            )
    if not row.active:
        refused["cancel"] = f"it is {row.status}: only a pending or confirmed booking is cancelled"
    elif not row.may_cancel:
        refused["cancel"] = (
            f"{row.actor} may not cancel it (booked by {row.owner}): only its booker,"
            f" an approver of {row.resource} or an admin may"
        )
    return Permissions(row.actor, refused, RESERVATION_ACTIONS)


def blackout_permissions(db: Database, blackout_id: int) -> Permissions:
    """What db's actor may do with a blackout (lift it), asked of the rules as above."""
    with domain_errors(), db.transaction() as conn:
        row = conn.execute(_BLACKOUT_MAY, {"id": blackout_id}).fetchone()
    if row is None:
        raise NotFound(f"no blackout with id {blackout_id}")
    refused: dict[str, str] = {}
    if not row.active:
        refused["lift"] = "it is already lifted"
    elif not row.may_cancel:
        refused["lift"] = (
            f"{row.actor} may not lift it (put in by {row.owner}): only whoever put it in,"
            f" an approver of {row.resource} or an admin may"
        )
    return Permissions(row.actor, refused, BLACKOUT_ACTIONS)
