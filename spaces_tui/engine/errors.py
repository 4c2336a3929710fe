"""Domain exceptions, and the one place where database errors become them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import psycopg

from spaces_tui.db.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from spaces_tui.engine.models import Blocked, Obstacle


QUOTED_LIMIT = 40  # characters of a user's value a message repeats


def quoted(value: str, limit: int = QUOTED_LIMIT) -> str:
    """value as a message repeats it: repr, cut short (saying how long it was) when it is long,
    so a 100,000-character argument does not come back as a 100,000-character error."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit] + '…'!r} ({len(value)} characters)"


class SpacesError(Exception):
    """Base of every error a user can cause; str() is a one-line message for them."""


class BadInput(SpacesError):
    """Unusable input: unparseable time, empty range, unknown kind of value."""


class NotFound(SpacesError):
    """No resource, reservation or blackout by that name or id."""


class Conflict(SpacesError):
    """Something is in the way. obstacles lists what (may be empty only mid-translation).
    retryable: the database gave up on a race (deadlock or serialization), not on an overlap;
    the same request may well succeed when tried again. blocked: for a recurring booking, each
    occurrence that is in the way of something, with its own obstacles."""

    def __init__(
        self,
        message: str,
        obstacles: list[Obstacle] | None = None,
        *,
        retryable: bool = False,
        blocked: list[Blocked] | None = None,
    ) -> None:
        super().__init__(message)
        self.blocked: list[Blocked] = list(blocked or [])
        unique = {(o.kind, o.id): o for b in self.blocked for o in b.obstacles}
        self.obstacles: list[Obstacle] = list(obstacles or unique.values())
        self.retryable = retryable


RACE_RETRIES = 3
T = TypeVar("T")


def retrying_races(attempt: Callable[[], T]) -> T:
    """attempt(), again (up to RACE_RETRIES times) when the database broke a deadlock between
    racers: the next try's check or constraint says who won."""
    failures = 0
    while True:
        try:
            return attempt()
        except Conflict as conflict:
            failures += 1
            if not conflict.retryable or failures > RACE_RETRIES:
                raise


class InvalidTransition(SpacesError):
    """A status change the state machine does not allow (confirmed back to pending...)."""


class PermissionDenied(SpacesError):
    """The actor may not do this (not an approver of the resource)."""


# SQLSTATEs the rules raise (sql/001_foundation.sql lists them), and the standard ones that
# mean the same to a user.
_BY_SQLSTATE: dict[str, type[SpacesError]] = {
    "SP001": InvalidTransition,
    "SP002": PermissionDenied,
    "SP003": BadInput,
    "SP004": NotFound,
    "23505": BadInput,  # unique violation: a name already taken
    "23514": BadInput,  # check violation
    "23502": BadInput,  # not-null violation
    "23503": BadInput,  # foreign key: still referenced, or pointing nowhere
    "42501": PermissionDenied,
}


def _message(error: psycopg.Error) -> str:
    diag = error.diag
    primary = diag.message_primary or str(error).splitlines()[0]
    if error.sqlstate == "23505" and diag.message_detail:
        # "Key (name)=(Room 1) already exists." reads better than the constraint name.
        return diag.message_detail.rstrip(".")
    if error.sqlstate == "23514" and diag.constraint_name:
        return f"{primary} ({diag.constraint_name})"
    return primary


def _nul_in_text(error: psycopg.Error) -> bool:
    """psycopg's refusal to send a str holding NUL: PostgreSQL text cannot store one. It is
    raised in the client, before anything reaches the server, so it has no SQLSTATE and only
    its message tells it from other client-side data errors."""
    return (
        isinstance(error, psycopg.DataError)
        and error.sqlstate is None
        and "NUL (0x00)" in str(error)
    )


def translate(error: psycopg.Error) -> Exception:
    """The domain exception for a database error; unknown ones are returned unchanged."""
    if _nul_in_text(error):
        # Any command's text (a name, title, reason, note, actor) passes here on its way in.
        return BadInput("a name, title, reason or note cannot contain a NUL character")
    if (error.sqlstate or "").startswith("40"):
        # Class 40, transaction rollback: two overlapping writes at once can deadlock inside an
        # exclusion check, and PostgreSQL cancels one. A lost race, not a lost connection.
        return Conflict(
            "another change to the same resource and time raced this one; try again",
            retryable=True,
        )
    if isinstance(error, psycopg.OperationalError):
        return DatabaseUnavailable(f"lost the database connection: {_message(error)}")
    if error.sqlstate is None:
        return error
    if error.sqlstate == "23P01":
        return Conflict("that would overlap an active booking or blackout")
    kind = _BY_SQLSTATE.get(error.sqlstate)
    if kind is None and error.sqlstate.startswith("22"):
        kind = BadInput  # data exceptions: out-of-range numbers, malformed values
    return kind(_message(error)) if kind else error


@contextmanager
def domain_errors() -> Iterator[None]:
    """Re-raises database errors as domain exceptions."""
    try:
        yield
    except psycopg.Error as error:
        translated = translate(error)
        if translated is error:
            raise
        raise translated from error
