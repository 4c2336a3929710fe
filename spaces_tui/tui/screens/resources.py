"""Every resource as a tree, and its settings changed from the keyboard: whether it needs
approval, who approves, how long a request may wait before it counts as stalled, and its
bookable hours."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Header, Static

from spaces_tui.engine import resources
from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.hours import Week, parse_week
from spaces_tui.engine.models import Event, Resource
from spaces_tui.engine.times import duration_text, format_duration, parse_duration, parse_margin
from spaces_tui.tui.formatting import LOADING, shortened
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.live import ReloadsOnEvents
from spaces_tui.tui.screen_base import SpacesScreen
from spaces_tui.tui.screens.prompts import ApproverPicker, LinePrompt
from spaces_tui.tui.table import Table
from spaces_tui.tui.table_screen import TableKeys, row_after_reload

T = TypeVar("T")

PROBLEM_MARK = "!"  # a glyph, so a monochrome terminal shows the problem too
# With these the table fits 80 columns; the detail line under it says both in full.
APPROVAL_WIDTH = 15
HOURS_WIDTH = 12

COLUMNS = (
    ("", "mark"),
    ("Resource", "name"),
    ("Kind", "kind"),
    ("Cap", "capacity"),
    ("Approval", "approval"),
    ("Stall", "stall"),
    ("Active", "active"),
    ("Hours", "hours"),
)


# --- what a row says ---------------------------------------------------------------------------


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def approval_cell(resource: Resource) -> str:
    """Who approves its bookings (nobody, when it needs approval and has no approver), or -
    when they are confirmed at once: the approvers of a resource with approval turned off are
    kept, and shown as off, as `spaces resource list` shows them."""
    names = ", ".join(resource.approvers)
    if resource.requires_approval:
        return names or "nobody"
    return f"off ({names})" if names else "-"


def hours_cell(week: Week) -> str:
    """The hours, short: hours alone mean every day (as people type them in the prompt)."""
    return week.describe().removeprefix("every day ")


def row_cells(resource: Resource) -> list[Text]:
    """One table row: the name indented by its depth in the tree, a mark when it has a problem,
    and an inactive resource dimmed (its Active column says so in words as well)."""
    style = "" if resource.active else "dim"
    values = [
        "  " * resource.depth + resource.name,
        resource.kind,
        str(resource.capacity) if resource.capacity else "-",
        shortened(approval_cell(resource), APPROVAL_WIDTH),
        format_duration(resource.stall_after),
        yes_no(resource.active),
        shortened(hours_cell(resource.bookable_week), HOURS_WIDTH),
    ]
    mark = Text(PROBLEM_MARK, style="bold red") if resource.problems else Text(" ")
    return [mark, *(Text(value, style=style) for value in values)]


def detail_text(resource: Resource) -> Text:
    """The row under the cursor in full: what it is, who approves, when it is bookable, and
    what is wrong with it."""
    if resource.requires_approval:
        who = ", ".join(resource.approvers) or "nobody"
        approval = f"bookings wait for {who}"
    else:
        approval = "bookings are confirmed at once"
    stall = f"requests stall after {format_duration(resource.stall_after)}"
    text = Text(f"{resource.name} ({resource.kind}): {approval}; {stall}")
    if not resource.active:
        text.append("; inactive")
    text.append(f"\nbookable {resource.hours_text}; {margin_text(resource)}")
    for problem in resource.problems:
        text.append(f"\n{PROBLEM_MARK} {problem}", style="bold red")
    return text


def margin_text(resource: Resource) -> str:
    if not resource.blackout_margin:
        return "no warning of blackouts nearby"
    return f"warns of a blackout within {format_duration(resource.blackout_margin)}"


def summary_text(listed: Sequence[Resource]) -> str:
    problems = sum(1 for resource in listed if resource.problems)
    counted = f"{len(listed)} resource{'' if len(listed) == 1 else 's'}"
    if problems:
        counted += f" · {PROBLEM_MARK} {problems} with a problem"
    return f"Resources · {counted}"


# --- what a change says ------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """A resource after a change, and how many requests were waiting on it at that moment."""

    resource: Resource
    pending: int = 0


def approval_message(changed: Changed) -> str:
    resource = changed.resource
    if resource.requires_approval:
        message = f"{resource.name} now requires approval: new bookings wait for an approver."
        if not resource.approvers:
            message += " It has no approver yet: add one with +."
        return message
    message = f"{resource.name} no longer requires approval: new bookings are confirmed at once."
    # Turning approval off never confirms a request by itself (the database keeps them pending);
    # people should not have to guess that.
    if changed.pending:
        one = changed.pending == 1
        waiting = (
            f"{changed.pending} request{'' if one else 's'} waiting {'stays' if one else 'stay'}"
        )
        message += f" Nothing pending is confirmed by this: the {waiting} pending"
        message += " until an approver decides."
    else:
        message += " Nothing pending is confirmed by this (none is waiting)."
    return message


def problems_suffix(resource: Resource) -> str:
    return "".join(f" {PROBLEM_MARK} {problem}." for problem in resource.problems)


def read_approver(value: str) -> str:
    name = value.strip()
    if not name:
        raise BadInput("an approver needs a name (escape to go back)")
    return name


def read_stall_after(value: str) -> timedelta:
    return parse_duration(value, "stall threshold")


def read_margin(value: str) -> timedelta:
    return resources.checked_margin(parse_margin(value, "blackout margin"))


# --- the screen --------------------------------------------------------------------------------

# + and - share one footer entry: with the app's own keys the footer must fit 80 columns.
APPROVER_KEYS = Binding.Group("Approver")


class ResourcesScreen(TableKeys, ReloadsOnEvents, SpacesScreen[None]):
    """The resource tree, one row each, with the settings of the row under the cursor changed
    by key. Every database call goes through app.db_call, off the UI thread."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("p", "toggle_approval", "Approval"),
        # Short labels: with the app's own keys they must fit an 80-column footer.
        Binding("plus", "add_approver", "Add approver", group=APPROVER_KEYS),
        Binding("minus", "remove_approver", "Remove approver", group=APPROVER_KEYS),
        Binding("t", "stall_threshold", "Stall"),
        Binding("h", "bookable_hours", "Hours", tooltip="when it is bookable, day by day"),
        # Not in the footer, which is full at 80 columns; the help lists it.
        Binding("m", "blackout_margin", "Blackout margin", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.listed: list[Resource] = []

    def compose(self) -> ComposeResult:
        yield Header(icon=G.icon)
        yield Static(f"Resources {G.dot} {LOADING}", id="resources-where")
        yield Table(id="resources", cursor_type="row", zebra_stripes=False)
        yield Static("", id="resource-detail")
        yield Footer(compact=True)  # every key and the palette fit in 80 columns

    @property
    def table(self) -> Table:
        return self.query_one("#resources", Table)

    @property
    def current(self) -> Resource | None:
        """The resource under the cursor, if there is one."""
        row = self.table.cursor_row
        return self.listed[row] if 0 <= row < len(self.listed) else None

    def on_mount(self) -> None:
        self.open_table(COLUMNS)

    # --- loading -------------------------------------------------------------------------------

    def load(self) -> None:
        db = self.app.db
        self.db_call(
            lambda: resources.list_resources(db),
            self._loaded,
            group="resources",
            exclusive=True,
            reload=True,
        )

    def _loaded(self, listed: list[Resource]) -> None:
        keep = self.current.id if self.current else None
        self.listed = listed
        table = self.table
        table.clear()
        for resource in listed:
            table.add_row(*row_cells(resource), key=str(resource.id))
        # The same resource; resources are never deleted, so else (a first load) the top.
        keys = [resource.id for resource in listed]
        table.move_cursor(row=row_after_reload(keys, keep, 0), animate=False)
        self.query_one("#resources-where", Static).update(summary_text(listed))
        self._describe()

    def relevant(self, event: Event | None) -> bool:
        # Bookings come and go all day and change nothing shown here.
        return event is None or event.topic.startswith("spaces.resource.")

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        current = self.current
        detail = detail_text(current) if current else Text("no resources yet")
        self.query_one("#resource-detail", Static).update(detail)

    # --- keys ----------------------------------------------------------------------------------

    def action_toggle_approval(self) -> None:
        resource = self.current
        if resource is None:
            return
        db = self.app.db

        def work() -> Changed:
            # Read it again: the row on screen may be a moment old, and a toggle must flip
            # what is in the database, not what was last shown.
            fresh = resources.get_resource(db, resource.id)
            changed = resources.update_resource(
                db, fresh.id, requires_approval=not fresh.requires_approval
            )
            if changed.requires_approval:
                return Changed(changed)
            return Changed(changed, pending=resources.pending_count(db, fresh.id))

        def done(changed: Changed) -> None:
            self._changed(approval_message(changed), problem=bool(changed.resource.problems))

        self.db_call(work, done)

    def action_add_approver(self) -> None:
        resource = self.current
        if resource is None:
            return
        db = self.app.db

        def add(name: str) -> Resource:
            # One statement (the engine's): an approver someone else adds meanwhile stays.
            return resources.add_approver(db, resource.id, name)

        def added(changed: Resource, name: str) -> None:
            # Naming an approver turns approval on, as `spaces resource add/set --approver` do.
            self._changed(f"{name} now approves bookings of {changed.name}.")

        self._ask_then(
            LinePrompt(
                f"Add an approver to {resource.name}",
                read_approver,
                placeholder="who approves (their actor name)",
            ),
            add,
            added,
        )

    def action_remove_approver(self) -> None:
        resource = self.current
        if resource is None:
            return
        if not resource.approvers:
            self.notify(f"{resource.name} has no approver to remove.", severity="warning")
            return
        db = self.app.db

        def remove(name: str) -> Resource:
            return resources.remove_approver(db, resource.id, name)

        def removed(changed: Resource, name: str) -> None:
            message = f"{name} no longer approves bookings of {changed.name}."
            self._changed(message + problems_suffix(changed), problem=bool(changed.problems))

        self._ask_then(ApproverPicker(resource), remove, removed)

    def action_stall_threshold(self) -> None:
        resource = self.current
        if resource is None:
            return
        db = self.app.db

        def save(length: timedelta) -> Resource:
            return resources.update_resource(db, resource.id, stall_after=length)

        def saved(changed: Resource, _length: timedelta) -> None:
            length = format_duration(changed.stall_after)
            self._changed(
                f"Requests for {changed.name} now stall after {length} without a decision."
            )

        self._ask_then(
            LinePrompt(
                f"Stall threshold of {resource.name}",
                read_stall_after,
                value=format_duration(resource.stall_after),
                placeholder="e.g. 90m, 24h, 2d",
                hint="a request waiting longer than this for a decision is stalled",
            ),
            save,
            saved,
        )

    def action_bookable_hours(self) -> None:
        resource = self.current
        if resource is None:
            return
        db = self.app.db

        def save(week: Week) -> Resource:
            return resources.update_resource(db, resource.id, hours=week)

        def saved(changed: Resource, _week: Week) -> None:
            self._changed(f"{changed.name} is now bookable {changed.hours_text}.")

        self._ask_then(
            LinePrompt(
                f"Bookable hours of {resource.name} ({resource.timezone})",
                parse_week,
                value=resource.bookable_week.describe(),
                placeholder="e.g. MO-FR 09:00-23:00, SA-SU 10:00-18:00",
                hint="a day not named is closed; FR 18:00-02:00 runs past midnight; always",
            ),
            save,
            saved,
        )

    def action_blackout_margin(self) -> None:
        resource = self.current
        if resource is None:
            return
        db = self.app.db

        def save(margin: timedelta) -> Resource:
            return resources.update_resource(db, resource.id, blackout_margin=margin)

        def saved(changed: Resource, _margin: timedelta) -> None:
            self._changed(f"{changed.name}: {margin_text(changed)}.")

        self._ask_then(
            LinePrompt(
                f"Blackout margin of {resource.name}",
                read_margin,
                value=duration_text(resource.blackout_margin),
                placeholder="e.g. 30m, 1h, 0 for none",
                hint="a blackout this near a booking's start or end is warned of (7d at most)",
            ),
            save,
            saved,
        )

    # --- changes -------------------------------------------------------------------------------

    def _ask_then(
        self,
        prompt: ModalScreen[T | None],
        work: Callable[[T], Any],
        done: Callable[[Any, T], None],
    ) -> None:
        """Asks; given an answer, runs work(answer) off the UI thread and hands its result and
        the answer to done. Backing out changes nothing."""

        def answered(answer: T | None) -> None:
            if answer is None:
                return
            self.db_call(lambda: work(answer), lambda result: done(result, answer))

        self.app.push_screen(prompt, answered)

    def _changed(self, message: str, *, problem: bool = False) -> None:
        # The change's own event reloads this screen too, but only while the app listens; a
        # reload here shows it at once either way.
        self.notify(message, severity="warning" if problem else "information", timeout=6)
        self.load()
