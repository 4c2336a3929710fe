"""One booking or blackout in full: times in its resource's zone, who did what, its history,
and what this actor may do to it, as the rules in the database say (engine.access)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static
from textual.widgets.button import ButtonVariant

from spaces_tui.engine import access, blackouts, events, groups, reservations
from spaces_tui.engine.access import Permissions
from spaces_tui.engine.approvals import describe_event
from spaces_tui.engine.groups import group_status
from spaces_tui.engine.models import Blackout, Event, Reservation
from spaces_tui.engine.times import format_period, in_zone
from spaces_tui.tui.formatting import LOADING
from spaces_tui.tui.keys import key_for
from spaces_tui.tui.messages import EventsArrived
from spaces_tui.tui.screen_base import SpacesModal
from spaces_tui.tui.screens.prompts import ask_why_then

ACTIONS = ("approve", "reject", "cancel", "lift")
VARIANT: dict[str, ButtonVariant] = {"approve": "success", "lift": "warning"}
PAST = {"approve": "Approved", "reject": "Rejected", "cancel": "Cancelled", "lift": "Lifted"}


@dataclass(frozen=True)
class Loaded:
    item: Reservation | Blackout
    history: list[Event]
    permissions: Permissions  # what this actor may do with it, as the rules say
    members: list[Reservation]  # a booking's group, itself among them (empty: no group)


def describe(
    item: Reservation | Blackout, members: Sequence[Reservation] = ()
) -> list[tuple[str, str]]:
    """The fields worth reading, as (label, value); members: a booking's group."""
    when = f"{format_period(item.start, item.end)} ({item.timezone})"
    if isinstance(item, Blackout):
        rows = [
            ("Blackout", item.reason),
            ("Kind", item.kind),
            ("Resource", item.resource),
            ("When", when),
            ("Status", item.status),
            ("Set by", item.created_by),
        ]
        if item.lifted_by:
            rows.append(("Lifted by", f"{item.lifted_by}, {item.lifted_at:%Y-%m-%d %H:%M}"))
        return rows
    rows = [
        ("Booking", item.title),
        ("Resource", item.resource),
        ("When", when),
        ("Status", item.status),
        ("Booked by", item.booked_by),
    ]
    if item.headcount:
        rows.append(("Headcount", str(item.headcount)))
    if item.decided_by:
        decided = f"{item.decided_by}, {item.decided_at:%Y-%m-%d %H:%M}"
        if item.decision_note:
            decided += f": {item.decision_note}"
        rows.append(("Decided by", decided))
    if item.cancelled_by:
        rows.append(("Cancelled by", f"{item.cancelled_by}: {item.cancel_reason}"))
    others = [m for m in members if m.id != item.id]
    if others:
        rows.append(("Goes with", f"booking group #{item.group_id}, {group_status(members)}"))
        rows += [("", f"#{m.id} {m.resource} ({m.status})") for m in others]
    if item.moved_from is not None:
        rows.append(("Moved from", f"#{item.moved_from}"))
    if item.moved_to is not None:
        rows.append(("Moved to", f"#{item.moved_to}"))
    return rows


class DetailsScreen(SpacesModal[None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Back"),
        Binding("a", "act('approve')", "Approve", show=False),
        Binding("r", "act('reject')", "Reject", show=False),
        Binding("c", "act('cancel')", "Cancel", show=False),
        Binding("l", "act('lift')", "Lift", show=False),
    ]

    def __init__(self, item: Reservation | Blackout) -> None:
        super().__init__()
        self.item = item
        self.loaded: Loaded | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog details"):
            yield Label(self._title(), classes="dialog-title", id="title")
            yield Static(self._fields(self.item), id="fields")
            yield Label("History", classes="section")
            yield Static(LOADING, id="history")
            with Horizontal(classes="buttons", id="actions"):
                for action in ACTIONS:
                    yield Button(
                        self._label(action.capitalize(), f"act('{action}')"),
                        id=action,
                        variant=VARIANT.get(action, "error"),
                    )
                yield Button(self._label("Back", "dismiss(None)"), id="back")

    def _label(self, text: str, action: str) -> str:
        """A button's text with its key, as the bindings have it."""
        key = key_for(self.app, self.BINDINGS, action)
        return f"{text} ({key})" if key else text

    def _title(self) -> str:
        kind = "Blackout" if isinstance(self.item, Blackout) else "Booking"
        return f"{kind} #{self.item.id}"

    @staticmethod
    def _fields(item: Reservation | Blackout, members: Sequence[Reservation] = ()) -> str:
        return "\n".join(
            f"[b]{label:<12}[/b] {escape(value)}" for label, value in describe(item, members)
        )

    def on_mount(self) -> None:
        for action in ACTIONS:
            self.query_one(f"#{action}", Button).display = False
        self.load()

    def load(self) -> None:
        item = self.item
        db = self.app.db

        def work() -> Loaded:
            if isinstance(item, Blackout):
                fresh: Reservation | Blackout = blackouts.get_blackout(db, item.id)
                history = events.history(db, blackout_id=item.id)
                may = access.blackout_permissions(db, item.id)
            else:
                fresh = reservations.get_reservation(db, item.id)
                history = events.history(db, reservation_id=item.id)
                may = access.reservation_permissions(db, item.id)
                if fresh.group_id is not None:
                    return Loaded(fresh, history, may, groups.group_rows(db, fresh.group_id))
            return Loaded(fresh, history, may, [])

        self.db_call(work, self._show, group="details", exclusive=True, reload=True)

    def _show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.item = loaded.item
        self.query_one("#fields", Static).update(self._fields(loaded.item, loaded.members))
        zone = loaded.item.timezone
        lines = [
            f"{in_zone(event.created_at, zone):%a %d %b %H:%M}  {describe_event(event)}"
            for event in loaded.history
        ]
        self.query_one("#history", Static).update("\n".join(lines) or "nothing recorded")
        allowed = loaded.permissions.allowed
        for action in ACTIONS:
            self.query_one(f"#{action}", Button).display = action in allowed

    def on_events_arrived(self, _message: EventsArrived) -> None:
        self.load()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "back":
            self.dismiss(None)
        elif event.button.id:
            self.action_act(event.button.id)

    def action_act(self, action: str) -> None:
        if self.loaded is None:
            self.notify("Still loading: try again in a moment.", timeout=3)
            return
        # Said at once, before any reason is asked for; the database stays the last word.
        why_not = self.loaded.permissions.why_not(action)
        if why_not is not None:
            self.notify(
                f"You cannot {action} {self._title().lower()}: {why_not}.",
                severity="warning",
                timeout=6,
                markup=False,
            )
            return
        db, item_id = self.app.db, self.item.id
        if action == "approve":
            self.db_call(lambda: reservations.approve(db, item_id), self._done(action))
        elif action == "lift":
            self.db_call(lambda: blackouts.lift_blackout(db, item_id), self._done(action))
        else:
            verb = {"reject": reservations.reject, "cancel": reservations.cancel}[action]
            label = f"{action.capitalize()} booking"
            ask_why_then(
                self,
                f"{label} #{item_id}: why?",
                label,
                lambda reason: verb(db, item_id, reason),
                self._done(action),
            )

    def _done(self, action: str) -> Callable[[object], None]:
        def done(_result: object) -> None:
            self.notify(f"{PAST[action]} #{self.item.id}.")
            self.load()

        return done
