"""Who is acting, and who may use a shared server: the engine's face of sql/rules/access.sql.

The database decides who the actor is (in role mode, the connected PostgreSQL role, whatever
the app claims) and what each role may do; this module reads and changes those settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pendulum
from sqlalchemy import text

from spaces_tui.db.connection import Database
from spaces_tui.engine.errors import BadInput, domain_errors
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
        return conn.execute(text("SELECT spaces.current_actor()")).scalar_one()


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
        source = conn.execute(text("SELECT actor_source FROM spaces.policy")).scalar_one()
        rows = conn.execute(
            text("SELECT name, admin, granted_by, granted_at FROM spaces.access ORDER BY name")
        ).all()
    grants = [
        Grant(row.name, row.admin, row.granted_by, in_zone(row.granted_at, "UTC")) for row in rows
    ]
    return Access(source, grants)


def set_actor_source(db: Database, source: str) -> None:
    """app or role. Only the schema's owner may change it (and grant access)."""
    if source not in ACTOR_SOURCES:
        raise BadInput(f"the actor comes from {' or '.join(ACTOR_SOURCES)}, not {source!r}")
    with domain_errors(), db.transaction() as conn:
        conn.execute(text("UPDATE spaces.policy SET actor_source = :source"), {"source": source})


def grant_access(db: Database, name: str, *, admin: bool = False) -> None:
    """Lets name use Spaces (with a PostgreSQL role of that name: the privileges it needs);
    admin: may also cancel anyone's booking and change resources."""
    name = (name or "").strip()
    if not name:
        raise BadInput("grant access to whom? give a name")
    with domain_errors(), db.transaction() as conn:
        conn.execute(
            text("SELECT spaces.grant_access(:name, :admin)"), {"name": name, "admin": admin}
        )


def revoke_access(db: Database, name: str) -> None:
    with domain_errors(), db.transaction() as conn:
        conn.execute(text("SELECT spaces.revoke_access(:name)"), {"name": name.strip()})
