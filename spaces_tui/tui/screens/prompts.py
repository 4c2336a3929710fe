"""Every small modal question: yes or no, a reason for a cancellation or rejection, a date to go
to (read_date, for a LinePrompt), one line read into a value, one approver of a resource."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import pendulum
from pendulum.parsing.exceptions import ParserError
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from spaces_tui.engine.errors import BadInput, SpacesError
from spaces_tui.engine.models import Resource
from spaces_tui.tui.screen_base import SpacesModal, SpacesScreen

T = TypeVar("T")


class ReasonPrompt(SpacesModal[str | None]):
    """Asks why; dismisses with the reason, or None when the user backs out."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, question: str, action: str) -> None:
        super().__init__()
        self.question = question
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            # Plain text: a question quotes titles people typed, and those may hold brackets.
            yield Label(self.question, markup=False, classes="dialog-title")
            yield Input(placeholder="reason (kept with the record)", id="reason")
            yield Static("", id="problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(self.action_label, variant="error", id="go")
                yield Button("Back", id="back")

    @on(Input.Submitted)
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#problem", Static).update("A reason is needed.")
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#back")
    def _back(self) -> None:
        self.dismiss(None)


def ask_why_then(
    asker: SpacesScreen[Any] | SpacesModal[Any],
    question: str,
    action: str,
    work: Callable[[str], T],
    done: Callable[[T], object],
) -> None:
    """Asks for a reason; given one, runs work(reason) off the UI thread and hands its result
    to done, while the asking screen is still there. Backing out does nothing."""

    def answered(reason: str | None) -> None:
        if reason:
            asker.db_call(lambda: work(reason), done)

    asker.app.push_screen(ReasonPrompt(question, action), answered)


def read_date(text: str, shown: date) -> date:
    """A date as typed: ISO (2026-12-01), or a number of days from shown (+7, -1)."""
    text = text.strip()
    if text[:1] in "+-" and text[1:].isdigit():
        return shown + pendulum.duration(days=int(text))
    try:
        parsed = pendulum.parse(text, exact=True)
    except (ParserError, ValueError):
        raise BadInput(f"{text!r} is not a date: use YYYY-MM-DD, or +7 / -7") from None
    if isinstance(parsed, datetime):
        return parsed.date()
    if not isinstance(parsed, date):
        raise BadInput(f"{text!r} is not a date: use YYYY-MM-DD")
    return date(parsed.year, parsed.month, parsed.day)


class YesNoPrompt(SpacesModal[bool]):
    """Asks before doing something that is not undone by a key: y does it, n or escape not."""

    BINDINGS = [
        Binding("y", "dismiss(True)", "Yes"),
        Binding("n,escape", "dismiss(False)", "No"),
    ]

    def __init__(self, question: str, action: str) -> None:
        super().__init__()
        self.question = question
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Are you sure?", classes="dialog-title")
            yield Static(escape(self.question), id="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.action_label} (y)", variant="warning", id="yes")
                yield Button("Back (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class LinePrompt(SpacesModal[T | None]):
    """Asks for one line. read turns it into a value or raises SpacesError; the error's message
    is shown in the dialog, so a typo is explained and can be fixed, not raised."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(
        self,
        question: str,
        read: Callable[[str], T],
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "enter to save, escape to go back",
    ) -> None:
        super().__init__()
        self.question = question
        self.read = read
        self.value = value
        self.placeholder = placeholder
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Static("", id="problem", classes="problem")
            yield Static(self.hint, classes="hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            answer = self.read(event.value)
        except SpacesError as error:
            self.query_one("#problem", Static).update(str(error))
            return
        self.dismiss(answer)


class ApproverPicker(SpacesModal[str | None]):
    """Picks one of a resource's approvers (to remove): arrows and enter, or escape."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Back")]

    def __init__(self, resource: Resource) -> None:
        super().__init__()
        self.resource = resource

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Remove which approver of {self.resource.name}?", classes="dialog-title")
            yield OptionList(*(Option(name, id=name) for name in self.resource.approvers))

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
