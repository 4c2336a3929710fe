"""What the booking and blackout forms share: a resource field that suggests the active
resources by name, a period read in that resource's own zone, and a live hint.

The hint: after HINT_DELAY of quiet typing in a watched field, the form's ask() puts a question
to the database off the UI thread (what is in the way, what would be cancelled), and only the
newest answer is shown. While the database cannot be reached the hint says so, in those words
(never "no resource is called ..."), and the form asks again every RETRY_EVERY seconds; on the
embedded default that call also starts the server again (Database.connect does)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import pendulum
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ScreenResultType
from textual.suggester import Suggester, SuggestFromList
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import resources
from spaces_tui.engine.errors import BadInput, NotFound
from spaces_tui.engine.models import Resource
from spaces_tui.engine.times import parse_period
from spaces_tui.tui.db_calls import Refusal
from spaces_tui.tui.formatting import LOADING
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.screen_base import SpacesModal

HINT_DELAY = 0.25  # seconds of quiet typing before the database is asked
RETRY_EVERY = 2.0  # seconds between tries while the database cannot be reached

T = TypeVar("T")

# What an empty field is told, by either form (the blackout form checks before sending too).
NO_RESOURCE = "Which resource? Type its name."
NO_START = "When does it start? e.g. 2026-12-01 14:00"


def unreachable_text(error: DatabaseUnavailable, outcome: str = "") -> str:
    said = f"[red]{G.taken} The database cannot be reached[/]"
    return f"{said}{outcome}: {escape(str(error))}\nTrying again every {RETRY_EVERY:g} s."


class ResourceForm(SpacesModal[ScreenResultType]):
    """A form about one resource and a period of it. A subclass composes the fields (ids
    resource, start and end among them, and a Static #hint), names the fields whose change asks
    again in WATCHED, and says in ask() what to ask."""

    WATCHED: ClassVar[frozenset[str]] = frozenset({"resource", "start", "end"})

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[str, Resource] | None = None  # None until the database has answered
        self._timer: Timer | None = None
        self._retry: Timer | None = None

    def on_mount(self) -> None:
        self._load_resources()

    def _load_resources(self) -> None:
        db = self.app.db
        self.db_call(
            lambda: resources.list_resources(db),
            self._got_resources,
            failed=self.check_failed,
            group="resources",
            exclusive=True,
        )

    def _got_resources(self, listed: list[Resource]) -> None:
        self.known = {resource.name: resource for resource in listed if resource.active}
        names = sorted(self.known, key=str.casefold)
        self.query_one("#resource", Input).suggester = self.name_suggester(names)
        self.ask_soon()

    def name_suggester(self, names: list[str]) -> Suggester:
        """What completes the resource field as it is typed: one name, in any case."""
        return SuggestFromList(names, case_sensitive=False)

    # --- the fields both forms have -----------------------------------------------------------

    def resource_field(self, name: str = "") -> ComposeResult:
        yield Label("Resource")
        yield Input(value=name, placeholder="name (type to search)", id="resource")

    def period_columns(self, start: str, end: str) -> ComposeResult:
        """The Start and End columns of a form's .when row (the caller opens the row, and may
        put more columns in it)."""
        with Vertical():
            yield Label("Start")
            yield Input(value=start, placeholder="2026-12-01 14:00", id="start")
        with Vertical():
            yield Label("End, time or +duration")
            yield Input(value=end, placeholder="16:30 or +90m", id="end")

    # --- reading the fields -------------------------------------------------------------------

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def resource(self) -> Resource:
        """The resource named in its field, as the command line reads a name (any case when
        only one fits); BadInput says what is wrong with the name, "did you mean" included."""
        name = self.value("resource")
        if not name:
            raise BadInput(NO_RESOURCE)
        return self.pick(name)

    def pick(self, name: str) -> Resource:
        """One of the known resources by name (see resource())."""
        if self.known is None:
            raise BadInput(f"Reading the resources {LOADING}")
        try:
            return self.known[resources.pick_name(name, self.known)]
        except NotFound:
            raise BadInput(f"No resource is called {name!r}.") from None

    def period(self, resource: Resource) -> tuple[pendulum.DateTime, pendulum.DateTime]:
        if not self.value("start"):
            raise BadInput(NO_START)
        return parse_period(self.value("start"), self.value("end") or "+1h", resource.timezone)

    # --- the live hint ------------------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.edited(event.input.id or "")
        if event.input.id in self.WATCHED:
            self.ask_soon()

    def edited(self, field: str) -> None:
        """A field was changed (any field, watched or not): for what a subclass forgets then."""

    @property
    def hint_is_current(self) -> bool:
        """True when the hint describes the fields as they are now (nothing waiting)."""
        return self._timer is None and not any(
            worker.node is self and worker.group in ("hint", "resources") and not worker.is_finished
            for worker in self.workers
        )

    def ask_soon(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(HINT_DELAY, self.ask_now)

    def ask_now(self) -> None:
        self._timer = None
        try:
            self.ask()
        except BadInput as problem:
            self.workers.cancel_group(self, "hint")  # an answer about the fields as they were
            self.hint(f"[dim]{escape(str(problem))}[/]", "incomplete")

    def ask(self) -> None:
        """Reads the fields (BadInput says what is missing) and asks with ask_database."""
        raise NotImplementedError

    def ask_database(self, work: Callable[[], T], shown: Callable[[T], Any]) -> None:
        """The hint's question: only the newest one's answer is shown."""
        self.db_call(work, shown, failed=self.check_failed, group="hint", exclusive=True)

    def check_failed(self, error: Refusal) -> None:
        if isinstance(error, DatabaseUnavailable):
            self.unreachable(error)
        else:
            self.hint(escape(str(error)), "problem")

    def unreachable(self, error: DatabaseUnavailable, outcome: str = "") -> None:
        """Says so (outcome: what did not happen, for a refused save) and tries again soon."""
        self.hint(unreachable_text(error, outcome), "problem")
        if self._retry is not None:
            self._retry.stop()
        self._retry = self.set_timer(RETRY_EVERY, self._try_again)

    def _try_again(self) -> None:
        self._retry = None
        if self.known is None:
            self._load_resources()  # its answer asks again
        else:
            self.ask_now()

    def hint(self, text: str, state: str) -> None:
        hint = self.query_one("#hint", Static)
        hint.update(text)
        hint.set_classes(state)
