"""Database work off the UI thread, in one place: every screen's call runs as a thread worker of
that screen, and its result reaches the screen only while it is still wanted.

A result is wanted while its worker has not been cancelled. Textual cancels a worker when a newer
one of the same group on the same screen is started with exclusive=True (a reload replaces the
one before it, a hint the hint before it), and when its screen is removed (a form closed, a
screen popped). The thread itself cannot be stopped, so the check is made twice: in the thread
when the work returns, and again on the UI thread just before the result is handed over, since
the screen may have gone in between. No screen keeps a ticket counter of its own.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine.errors import SpacesError

T = TypeVar("T")
# A reload's worker is named so (ReloadsOnEvents holds the event bus's reloads behind it).
RELOAD_WORKER = "reload"
Outcome = Callable[[], Any]
Tell = Callable[[Exception], Any]
Refusal = SpacesError | DatabaseUnavailable  # what a caller's failed is handed: the user's to read


class DatabaseCalls:
    """The app's runner of database calls (App.db_calls). tell_error and tell_bug are how an
    error nobody handles reaches the user: a notification."""

    def __init__(self, tell_error: Tell, tell_bug: Tell) -> None:
        self._tell_error = tell_error
        self._tell_bug = tell_bug
        # A reload's failure is told once per (screen, group), not again while the next reloads
        # fail the same way; it is forgotten with the screen.
        self._failed_reloads: weakref.WeakKeyDictionary[DOMNode, dict[str, str]] = (
            weakref.WeakKeyDictionary()
        )
        # A condition tests wait on (nothing in the app reads it): threads still running.
        self._lock = threading.Lock()
        self._running = 0

    @property
    def running(self) -> int:
        """Calls whose thread has not finished. A superseded worker is cancelled at once, but
        its thread runs on until its query returns: a test waits for this to be 0 as well."""
        return self._running

    def run(
        self,
        owner: DOMNode,
        work: Callable[[], T],
        done: Callable[[T], Any] | None = None,
        *,
        failed: Callable[[Refusal], Any] | None = None,
        group: str = "db",
        exclusive: bool = False,
        reload: bool = False,
    ) -> Worker[None]:
        """Runs work in a thread worker of owner; hands its result to done on the UI thread, or
        its domain error to failed (else a notification). exclusive: this call supersedes the
        owner's earlier ones in group. reload: the call is a screen's reload, which the event bus
        repeats with every change, so its failure is told once until one succeeds."""

        app = owner.app  # here: a node that has gone no longer knows its app

        def in_thread() -> None:
            worker = get_current_worker()
            self._count(1)
            try:
                outcome = self._outcome(owner, work, done, failed, group if reload else None)
                if outcome is not None and not worker.is_cancelled:
                    app.call_from_thread(self._hand_over, worker, outcome)
            except RuntimeError:  # the app has stopped: nobody is left to tell
                pass
            finally:
                self._count(-1)

        return owner.run_worker(
            in_thread,
            name=RELOAD_WORKER if reload else "",
            thread=True,
            group=group,
            exclusive=exclusive,
            exit_on_error=False,
        )

    def _outcome(
        self,
        owner: DOMNode,
        work: Callable[[], T],
        done: Callable[[T], Any] | None,
        failed: Callable[[Refusal], Any] | None,
        reload_group: str | None,
    ) -> Outcome | None:
        """What to do on the UI thread once work has run here (the bookkeeping is done there
        too, so nothing but the UI thread touches it)."""
        try:
            result = work()
        except Exception as error:
            tell = self._teller(error, failed)
            if reload_group is None:
                return partial(tell, error)
            return partial(self._tell_once, owner, reload_group, error, tell)
        shown = partial(done, result) if done is not None else None
        if reload_group is None:
            return shown
        return partial(self._reloaded, owner, reload_group, shown)

    def _teller(self, error: Exception, failed: Callable[[Refusal], Any] | None) -> Tell:
        """A domain error or an unreachable database goes to the caller's failed, if any, else
        to a notification: both are the user's to read; anything else is a bug, said as one."""
        if isinstance(error, Refusal):
            return failed or self._tell_error  # type: ignore[return-value]
        return self._tell_bug

    def _reloaded(self, owner: DOMNode, group: str, shown: Outcome | None) -> None:
        self._failed_reloads.get(owner, {}).pop(group, None)
        if shown is not None:
            shown()

    def _tell_once(self, owner: DOMNode, group: str, error: Exception, tell: Tell) -> None:
        said = f"{type(error).__name__}: {error}"
        failures = self._failed_reloads.setdefault(owner, {})
        if failures.get(group) != said:
            failures[group] = said
            tell(error)

    def _hand_over(self, worker: Worker[None], outcome: Outcome) -> None:
        """On the UI thread: the screen may have gone, or a newer call replaced this one, while
        the result travelled here."""
        if worker.is_cancelled:
            return
        try:
            outcome()
        except Exception as error:
            self._tell_bug(error)

    def _count(self, change: int) -> None:
        with self._lock:
            self._running += change
