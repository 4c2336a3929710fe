"""Every key, in one place, generated from the screens' own BINDINGS (as Posting builds its help):
a key renamed on a screen is renamed here, a key added is listed. The words a footer label has no
room for come from the binding's tooltip, else from HELP_TEXT below, else its description.
Hand-written rows are kept for what no binding says: the mouse, the booking form's repeat row,
the marks a list shows, and the legend of the timeline's cells (legend(), kept apart so it can
come from the timeline's own glyphs).

Laid out as a two-column table (keys, what they do) at the width it is given, wrapped so that no
line is left holding a single word."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.widget import Widget

from spaces_tui.engine.recurrence import REPEATS
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.glyphs import Glyphs
from spaces_tui.tui.keys import bindings_of, key_display
from spaces_tui.tui.screen_base import SpacesModal
from spaces_tui.tui.timeline import legend_items
from spaces_tui.tui.usage import heat_legend

KEYS_WIDTH_MAX = 18  # the keys column never takes more than this
GAP = 2  # between the columns


@dataclass(frozen=True)
class Row:
    keys: str  # as shown: the keys of one or more bindings, or a hand-written label
    text: str  # what they do
    style: str = "bold"  # of the keys column (markup style: the legend shows its cells' colours)


@dataclass(frozen=True)
class Section:
    title: str  # never one word alone: every heading says where (a screen and its key)
    rows: tuple[Row, ...]
    sources: tuple[type, ...] = field(default=(), compare=False)  # whose bindings it lists


# Longer words than a footer label, by the class that binds the key and the binding's action.
# A binding's tooltip, where it has one, says it instead; one missing here shows its description.
HELP_TEXT: dict[str, dict[str, str]] = {
    "Timeline": {
        "move(0, -1)": "move the cursor (a resource and a stretch of time)",
        "move(0, 1)": "move the cursor (a resource and a stretch of time)",
        "move(-1, 0)": "move the cursor (a resource and a stretch of time)",
        "move(1, 0)": "move the cursor (a resource and a stretch of time)",
        "move(-10, 0)": "ten resources up or down",
        "move(10, 0)": "ten resources up or down",
        "edge(-1)": "the first or last column of the day or week",
        "edge(1)": "the first or last column of the day or week",
        "open": "open what is under the cursor, or book the free slot",
    },
    "TimelineScreen": {
        "shift(-1)": "the previous day (or week)",
        "shift(1)": "the next day (or week)",
        "today": "today, with the cursor at now",
        "scale('day')": "day view",
        "scale('week')": "week view",
        "zoom": "zoom: 30 or 15 min a column (day), 3 h or 30 min (week)",
        "go_to_date": "go to a date",
        "new_booking": "new booking at the cursor's resource and time (while a filter is"
        " set, n finds: enter on a free slot books)",
        "find(1)": "while a filter is set: the next or previous booking whose title holds it"
        " (past the view, in the day or week where the next one is)",
        "find(-1)": "while a filter is set: the next or previous booking whose title holds it"
        " (past the view, in the day or week where the next one is)",
        "find_free": "the finder: what is free for an hour from the cursor",
        "cancel_booking": "cancel the booking under the cursor (asks why)",
        "move_booking": "move the booking under the cursor (the form, prefilled; its group too)",
        "nudge(-1)": "nudge the booking under the cursor a column earlier or later",
        "nudge(1)": "nudge the booking under the cursor a column earlier or later",
        "filter": "filter resources by name or kind, or by the title of a booking they have"
        " in view",
        "clear_filter": "clear the filter",
        "reload": "reload now (changes also arrive by themselves)",
    },
    "BookingForm": {
        "dismiss(None)": "close without booking",
        "book": "book it (a repeat: all of it, or nothing)",
        "book_free": "a repeat: book the occurrences that are free",
        "take_time": "a taken slot: take the hint's next free time (the same length)",
        "take_resource": "a taken slot: take the hint's resource that is free at this time",
    },
    "FinderScreen": {
        "close": "back to the timeline",
        "book": "book the highlighted resource: the booking form, for the period and people",
        "reload": "reload now (changes also arrive by themselves)",
    },
    "DetailsScreen": {
        "dismiss(None)": "back",
        "act('approve')": "approve the request (its resource's approvers)",
        "act('reject')": "reject it, with a reason (its resource's approvers)",
        "act('cancel')": "cancel it, with a reason (its booker, an approver, an admin)",
        "act('lift')": "lift a blackout (whoever put it in, an approver, an admin)",
    },
    "ApprovalQueue": {
        "close": "back to the timeline",
        "move(1)": "the next or previous request",
        "move(-1)": "the next or previous request",
        "decide('approve')": "approve the request (or every marked one)",
        "decide('reject')": "reject it (or every marked one): asks why",
        "toggle_mark": "mark or unmark the request and move on",
        "toggle_filter": "filter: awaiting you, or all pending",
        "cycle_sort": "sort: oldest first, by resource, by start time",
    },
    "SessionsScreen": {
        "close": "back to the timeline",
        "move(1)": "the next or previous session",
        "move(-1)": "the next or previous session",
        "new": "new session; on a flagged one, book it again at a new time",
        "cancel": "cancel the session and release its room; closes a flagged one",
        "cycle_view": "view: flagged and upcoming, flagged, all",
        "open_details": "its room booking's details and history",
        "reload": "reload now",
    },
    "BlackoutsScreen": {
        "close": "back to the timeline",
        "new": "new blackout",
        "lift": "lift the blackout under the cursor",
        "cycle_status": "status: active, lifted, all",
        "cycle_kind": "kind: every kind, or one",
        "filter": "filter by resource",
        "open_details": "its details and history",
        "reload": "reload now",
    },
    "BlackoutForm": {
        "dismiss(None)": "close without a blackout",
        "save": "black it out; again to cancel the bookings in its way with it",
    },
    "ResourcesScreen": {
        "close": "back to the timeline",
        "move(1)": "the next or previous resource",
        "move(-1)": "the next or previous resource",
        "toggle_approval": "bookings need approval, or not",
        "add_approver": "add an approver",
        "remove_approver": "remove an approver",
        "stall_threshold": "how long a request waits before it is stalled",
    },
    "ReportsScreen": {
        "close": "back to the timeline",
        "move(1)": "the next or previous resource",
        "move(-1)": "the next or previous resource",
        "shift(-1)": "the window before (by its length: 28 days before)",
        "shift(1)": "the window after",
        "today": "back to the 28 days ending today",
        "cycle_sort": "sort: busiest first, by name, by kind",
        "open_heat_map": "the resource's week hour by hour: when it is used, when empty",
        "reload": "reload now",
    },
    "HeatMapScreen": {
        "close": "back to the reports (they follow the window shown here)",
        "move(0, -1)": "move the cursor: an hour, a weekday; the line below reads the cell",
        "move(0, 1)": "move the cursor: an hour, a weekday; the line below reads the cell",
        "move(-1, 0)": "move the cursor: an hour, a weekday; the line below reads the cell",
        "move(1, 0)": "move the cursor: an hour, a weekday; the line below reads the cell",
        "shift(-1)": "the window before (by its length)",
        "shift(1)": "the window after",
        "reload": "reload now",
    },
    "SpacesApp": {
        "help": "this help",
        "quit": "quit",
        "approval_queue": "the approval queue (the timeline says how many await you)",
        "open_screen('blackouts')": "blackouts",
        "open_screen('resources')": "resources and their approvers",
        "open_screen('sessions')": "rehearsal sessions (the timeline says how many are flagged)",
        "open_screen('reports')": "reports: how much each resource is booked",
        "command_palette": "command palette: jump to a resource, go to a date, new booking,"
        " the approval queue and the other screens",
    },
    "HelpScreen": {"dismiss(None)": "close this help"},
}


def own_bindings(cls: type) -> list[BindingType]:
    """The BINDINGS a class of this app declares, its own and its Spaces bases' (not Textual's
    defaults, which every screen shares and the footer shows)."""
    found: list[BindingType] = []
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("spaces_tui") and "BINDINGS" in vars(klass):
            found.extend(vars(klass)["BINDINGS"])
    return found


def binding_rows(app: App[Any], cls: type, extra: Iterable[BindingType] = ()) -> list[Row]:
    """One row per thing a class's bindings do, its keys as Textual shows them; bindings that
    say the same thing (h and left) share a row. A binding with no words at all is left out."""
    texts = HELP_TEXT.get(cls.__name__, {})
    rows: dict[str, list[str]] = {}
    for binding in bindings_of([*own_bindings(cls), *extra]):
        text = binding.tooltip or texts.get(binding.action) or binding.description
        if not text:
            continue
        key = key_display(app, binding)
        keys = rows.setdefault(text, [])
        if key not in keys:
            keys.append(key)
    return [Row(" ".join(keys), text) for text, keys in rows.items()]


def legend(g: Glyphs = G) -> Section:
    """What the timeline's cells mean, from the pieces the timeline draws them with."""
    rows = tuple(Row(sample, words) for sample, _, _, words in legend_items(g))
    return Section("Cells on the timeline", rows)


def sections(app: App[Any]) -> list[Section]:
    """The whole help, screen by screen. Imported here: the screens import this module's
    neighbours, and the app imports the help."""
    from spaces_tui.tui.app import SpacesApp
    from spaces_tui.tui.screens.blackouts import BlackoutForm, BlackoutsScreen
    from spaces_tui.tui.screens.booking import BookingForm
    from spaces_tui.tui.screens.details import DetailsScreen
    from spaces_tui.tui.screens.finder import FinderScreen
    from spaces_tui.tui.screens.heat_map import HeatMapScreen
    from spaces_tui.tui.screens.home import TimelineScreen
    from spaces_tui.tui.screens.queue import ApprovalQueue
    from spaces_tui.tui.screens.reports import ReportsScreen
    from spaces_tui.tui.screens.resources import ResourcesScreen
    from spaces_tui.tui.screens.sessions import SessionsScreen
    from spaces_tui.tui.timeline import Timeline

    palette = Binding(SpacesApp.COMMAND_PALETTE_BINDING, "command_palette", "Palette")
    label = "italic"  # a hand-written row's label that is not a key: a field, a mark
    return [
        Section(
            "Timeline (the home screen)",
            (
                *binding_rows(app, Timeline),
                Row("double-click", "the same as enter, with the mouse", label),
                *binding_rows(app, TimelineScreen),
            ),
            (Timeline, TimelineScreen),
        ),
        Section(
            "Booking form (n, or enter on a free slot)",
            (
                Row(
                    "tab shift+tab",
                    "move between fields; the hint says what is in the way, and what is worth"
                    " a look though it books (a blackout just after, a full room)",
                ),
                Row("⏎ in a field", "the same as book it"),
                *binding_rows(app, BookingForm),
                Row("Repeat", f"{', '.join(REPEATS[:-1])} or {REPEATS[-1]}", label),
                Row(
                    "Days or RRULE",
                    "weekly: days such as TU,TH (the start's day if none); custom: a whole"
                    " RRULE, such as FREQ=MONTHLY;BYDAY=1MO",
                    label,
                ),
                Row("Until", "a date (2026-12-31) or a number of times (10)", label),
                Row("", "the hint lists each occurrence and marks those in the way or at risk"),
                Row(
                    G.suggest,
                    "a taken slot: the next free time, or a resource free at this time (a click"
                    " on either takes it too)",
                    label,
                ),
            ),
            (BookingForm,),
        ),
        Section(
            'Finder (f, or "Find a free resource" in the palette)',
            (
                Row(
                    "tab shift+tab",
                    "move between the fields and the list; the list follows the fields and"
                    " every change made anywhere",
                ),
                *binding_rows(app, FinderScreen),
                Row(
                    "Start End",
                    "the cursor's time and an hour; End may be a time or a +duration",
                    label,
                ),
                Row("Kind", "any kind, or the one picked", label),
                Row(
                    "People",
                    "a headcount: a resource that holds fewer is left out, counted as too small",
                    label,
                ),
                Row(f"{G.taken} taken", "how many are in use or closed then", label),
            ),
            (FinderScreen,),
        ),
        Section(
            "Details of a booking or blackout (enter)",
            (
                *binding_rows(app, DetailsScreen),
                Row("", "only what you may do is offered; another key says why not"),
            ),
            (DetailsScreen,),
        ),
        Section(
            "Approval queue (a)",
            (
                *binding_rows(app, ApprovalQueue),
                Row(
                    "⏎",
                    f"its details and history; on a series ({G.closed} {G.times}N) its"
                    f" occurrences, to decide them one by one (y or r on {G.closed} decides"
                    " them all)",
                ),
                Row(G.stalled, "stalled: waited longer than its resource allows", label),
                Row("!", "what to check first", label),
            ),
            (ApprovalQueue,),
        ),
        Section(
            "Rehearsal sessions (S)",
            (
                *binding_rows(app, SessionsScreen),
                Row(G.flagged, "flagged: Spaces cancelled its room (a cancel, a blackout)", label),
                Row(G.cancelled, "cancelled", label),
            ),
            (SessionsScreen,),
        ),
        Section("Blackouts (b)", tuple(binding_rows(app, BlackoutsScreen)), (BlackoutsScreen,)),
        Section(
            "Blackout form (n on the blackouts screen)",
            tuple(binding_rows(app, BlackoutForm)),
            (BlackoutForm,),
        ),
        Section("Resources (R)", tuple(binding_rows(app, ResourcesScreen)), (ResourcesScreen,)),
        Section(
            "Reports (u)",
            (
                *binding_rows(app, ReportsScreen),
                Row(
                    "Utilization",
                    "the share of the open hours (bookable less blacked out) that was confirmed",
                    label,
                ),
                Row(
                    "Open Conf",
                    "hours bookable and confirmed; Pend and Out: pending and blacked out",
                    label,
                ),
                Row(
                    f"{G.over} {G.under}",
                    "over- or under-used (the line below gives the thresholds)",
                    label,
                ),
            ),
            (ReportsScreen,),
        ),
        Section(
            "Heat map (enter on the reports)",
            (
                *binding_rows(app, HeatMapScreen),
                Row("", "a cell: how much of that hour's bookable time was confirmed"),
                *(Row(sample, words, label) for sample, words in heat_legend()),
            ),
            (HeatMapScreen,),
        ),
        Section(
            "Anywhere (every screen)",
            (
                *binding_rows(app, SpacesApp, [palette]),
                *binding_rows(app, HelpScreen),
                Row("↑ ↓ pgup pgdn", "scroll this help"),
            ),
            (SpacesApp, HelpScreen),
        ),
        legend(),
    ]


# --- the layout ---------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> list[str]:
    """text in lines of at most width, none of them a single word unless text is: the lines are
    narrowed until the last one holds two words or more, and failing that a word is moved down
    from the line before (where both still fit)."""
    width = max(width, 12)
    lines = textwrap.wrap(text, width) or [""]
    narrower = width
    while len(lines) > 1 and len(lines[-1].split()) < 2 and narrower > width // 2:
        narrower -= 2
        lines = textwrap.wrap(text, narrower)
    if len(lines) > 1 and len(lines[-1].split()) < 2:
        lines = textwrap.wrap(text, width)
        before, last = lines[-2].split(), lines[-1]
        if len(before) > 2 and len(before[-1]) + 1 + len(last) <= width:
            lines[-2:] = [" ".join(before[:-1]), f"{before[-1]} {last}"]
    return lines


def layout(help_sections: Sequence[Section], width: int) -> list[tuple[str, str, str]]:
    """The help as lines of (keys column, style of the keys, text column) at width."""
    keys_width = min(
        KEYS_WIDTH_MAX, max(len(row.keys) for section in help_sections for row in section.rows)
    )
    text_width = width - keys_width - GAP
    lines: list[tuple[str, str, str]] = []
    for number, section in enumerate(help_sections):
        if number:
            lines.append(("", "", ""))
        lines.append((section.title, "bold underline", ""))
        for row in section.rows:
            if len(row.keys) > keys_width:  # a long label: its text starts on the next line
                lines.append((row.keys, row.style, ""))
                keys, style = "", ""
            else:
                keys, style = row.keys, row.style
            for number_in_row, part in enumerate(_wrap(row.text, text_width)):
                if number_in_row:
                    keys, style = "", ""
                lines.append((keys.ljust(keys_width + GAP), style, part))
    return lines


class HelpText(Widget):
    """The help laid out at whatever width it is given."""

    def __init__(self, help_sections: Sequence[Section]) -> None:
        super().__init__()
        self.sections = list(help_sections)

    def lines(self, width: int) -> list[str]:
        """The lines as drawn at width, as plain text."""
        return [(keys + text).rstrip() for keys, _style, text in layout(self.sections, width)]

    def render(self) -> Text:
        out = Text()
        for number, (keys, style, text) in enumerate(layout(self.sections, self.size.width)):
            if number:
                out.append("\n")
            # Only the label takes the style: a reversed cell must not run on into the gap.
            label = keys.rstrip()
            out.append(label, style=style or None)
            out.append(keys[len(label) :] + text)
        return out

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(layout(self.sections, width))


class HelpScreen(SpacesModal[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield HelpText(sections(self.app))
