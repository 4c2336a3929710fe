"""The booking form: as the user types, a hint says whether the slot is free or exactly what is
in the way, whether the headcount fits, and what is worth a look though it books (a blackout
just after, a full room: engine/insights.py), asked off the UI thread (see form_base). A taken
slot's hint offers what to take instead (engine/planning.py: the resource's next free start, or
another of its kind free then), which ctrl+t and ctrl+r (or a click) put into the fields. With a
repeat, the hint previews every occurrence and marks each one that collides or has a risk; sent
anyway, the form says that nothing was booked and why, and ctrl+o books the free ones.

The booking form's resource field may name several resources, with commas: they book as one
booking group (engine/groups.py), all or nothing, and the hint says each one's state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import pendulum
from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ScreenResultType
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Button, Input, Label, Static

from spaces_tui.db.connection import Database
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.engine import groups, insights, planning, reservations, series
from spaces_tui.engine.errors import BadInput, Conflict, SpacesError
from spaces_tui.engine.insights import OVER_CAPACITY, Assessment
from spaces_tui.engine.models import Blocked, Obstacle, Reservation, Resource, Risk
from spaces_tui.engine.planning import Suggestions
from spaces_tui.engine.recurrence import REPEATS, build_rule
from spaces_tui.engine.times import exact_length, format_duration, format_period
from spaces_tui.tui.db_calls import Refusal
from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.keys import bindings_of
from spaces_tui.tui.screens.form_base import ResourceForm

PREVIEW_LINES = 6  # occurrences listed in the hint; the rest are counted


@dataclass(frozen=True)
class Request:
    """The form's fields, read and checked; what book() will be given."""

    resource: Resource
    start: pendulum.DateTime
    end: pendulum.DateTime
    title: str
    headcount: int | None
    repeat: tuple[str, date | None] | None = None  # (RRULE, until) for a recurring booking
    others: tuple[Resource, ...] = ()  # booked with resource as one group (the booking form)


def occurrence_text(occurrence: Blocked) -> str:
    """One line of a repeat's preview: free (with its first risk, if any), or what is in its
    way."""
    when = f"{occurrence.start:%a %d %b %H:%M}-{occurrence.end:%H:%M}"
    if not occurrence.obstacles:
        if occurrence.risks:
            more = f" (+{len(occurrence.risks) - 1})" if len(occurrence.risks) > 1 else ""
            first_risk = escape(occurrence.risks[0].message)
            return f"[green]{G.free}[/] {when} [yellow]{G.risk}[/] {first_risk}{more}"
        return f"[green]{G.free}[/] {when}"
    first = occurrence.obstacles[0]
    more = f" (+{len(occurrence.obstacles) - 1})" if len(occurrence.obstacles) > 1 else ""
    return f"[red]{G.taken}[/] {when}: {escape(first.title)}, {escape(first.who)}{more}"


def obstacle_text(obstacle: Obstacle) -> str:
    when = format_period(obstacle.start, obstacle.end)
    where = escape(obstacle.resource)
    what, who = escape(obstacle.title), escape(obstacle.who)
    if obstacle.kind == "blackout":
        return f"[red]![/] blackout [b]{what}[/b] on {where}, {when} (set by {who})"
    turnover = " [dim](its turnover time)[/]" if obstacle.turnover_only else ""
    return (
        f"[yellow]{G.obstacle}[/] {obstacle.status} booking #{obstacle.id} [b]{what}[/b]"
        f" on {where}, {when}, by {who}{turnover}"
    )


def risk_text(risk: Risk) -> str:
    return f"[yellow]{G.risk}[/] {escape(risk.message)}"


@dataclass(frozen=True)
class Offer:
    """What a taken slot's hint offers instead (planning.suggestions), with the period it was
    asked for: taking the time keeps the period's length, taking the resource its instants."""

    start: pendulum.DateTime
    end: pendulum.DateTime
    suggestions: Suggestions

    @property
    def length(self) -> timedelta:
        return exact_length(self.start, self.end)


def offer_for(
    db: Database,
    found: Assessment,
    headcount: int | None,
    exclude_id: int | None,
    now: datetime,
) -> Offer | None:
    """In the hint's thread, for a taken slot: what to take instead (one more round trip, only
    when the slot is taken), never a start before now (the app's clock). A domain error here (a
    period at the edge of the database's window) costs the offer, not the hint: None, as when
    nothing is offered."""
    try:
        offered = planning.suggestions(
            db,
            found.resource.id,
            found.start,
            found.end,
            headcount=headcount,
            exclude_id=exclude_id,
            not_before=now,
        )
    except SpacesError:
        return None
    if offered.next_start is None and offered.elsewhere is None:
        return None
    return Offer(found.start, found.end, offered)


def start_text(moment: datetime, asked: datetime) -> str:
    """A suggested start as people say it: 'Thu 16:30' within the week of the asked one, with
    the date beyond (the search looks four weeks ahead)."""
    if timedelta(0) <= moment.date() - asked.date() < timedelta(days=7):
        return f"{moment:%a %H:%M}"
    return f"{moment:%a %d %b %H:%M}"


def offer_text(offer: Offer, take_time: str, take_resource: str) -> str:
    """One line: the next free start and the resource free at this time, each a link that puts
    it into the fields (and the key that does the same); either may be missing."""
    found = offer.suggestions
    parts = []
    if found.next_start is not None:
        when = start_text(found.next_start, offer.start)
        parts.append(f"next free: [@click=screen.take_time]{when}[/] ({take_time})")
    if found.elsewhere is not None:
        name = escape(found.elsewhere.name)
        parts.append(f"[@click=screen.take_resource]{name}[/] at this time ({take_resource})")
    return f"[b]{G.suggest}[/] " + ", or ".join(parts)


def names_text(names: Sequence[str]) -> str:
    """'Rehearsal 2 and Truck 1', 'A, B and C'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def group_lines(found: Assessment) -> list[str]:
    """One resource of a group in the hint: free, or the first thing in its way (and how many
    more), and a headcount it cannot hold."""
    lines = []
    if found.obstacles:
        more = len(found.obstacles) - 1
        lines.append(obstacle_text(found.obstacles[0]) + (f" (+{more})" if more else ""))
    if found.over_capacity is not None:
        lines.append(f"[red]{G.taken}[/] {escape(found.over_capacity.message)}")
    return lines or [f"[green]{G.free}[/] {escape(found.resource.name)} is free"]


def free_ones_text(free: int) -> str:
    if free == 0:
        return "None is free: change the days or the times."
    plural = "" if free == 1 else "s"
    return f"ctrl+o books the {free} free one{plural}, and only those."


class BookingFormBase(ResourceForm[ScreenResultType]):
    """A resource, a period and a title, with the live hint; what pressing Book does is the
    subclass's booking() and booked()."""

    HEADING = "New booking"
    # ctrl+s and ctrl+o: keys no field of the form binds (an Input's ctrl+k deletes to the end
    # of the line), so they work from inside a field as from a button. Not priority bindings:
    # those run before the keys typed just ahead of them have reached the field, so a fast
    # "title, ctrl+s" booked a title cut short.
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("ctrl+s", "book", "Book"),
        Binding("ctrl+o", "book_free", "Book the free ones", show=False),
        Binding("ctrl+t", "take_time", "Take the next free time", show=False),
        Binding("ctrl+r", "take_resource", "Take the free resource", show=False),
    ]
    WATCHED: ClassVar[frozenset[str]] = frozenset(
        {"resource", "start", "end", "headcount", "repeat", "pattern", "ends"}
    )

    def __init__(
        self,
        resource: Resource | None,
        start: pendulum.DateTime | None,
        *,
        title: str = "",
        end: str = "+1h",
        headcount: int | None = None,
    ) -> None:
        super().__init__()
        self.initial_resource = resource
        self.initial_start = start
        self.initial_title = title
        self.initial_end = end
        self.initial_headcount = headcount
        self.exclude_id: int | None = None  # a booking whose own slot the hint leaves out
        self.offer: Offer | None = None  # what the hint offers instead of a taken slot

    def compose(self) -> ComposeResult:
        start = self.initial_start
        with Vertical(classes="dialog form"):
            yield Label(self.HEADING, markup=False, classes="dialog-title")
            # The fields scroll on a short terminal; the buttons under them stay in view.
            with VerticalScroll(classes="fields"):
                yield from self.resource_field(
                    self.initial_resource.name if self.initial_resource else ""
                )
                with Horizontal(classes="when"):
                    yield from self.period_columns(
                        start.format("YYYY-MM-DD HH:mm") if start else "", self.initial_end
                    )
                yield Label("Title")
                yield Input(value=self.initial_title, placeholder="what it is for", id="title")
                # Booking-only fields (a rehearsal session has neither): SessionForm hides .extra.
                yield Label("Headcount (optional)", classes="extra")
                yield Input(
                    value=str(self.initial_headcount or ""),
                    placeholder="people",
                    id="headcount",
                    type="integer",
                    classes="extra",
                )
                with Horizontal(classes="when extra"):
                    with Vertical():
                        yield Label("Repeat")
                        yield Input(
                            value="none",
                            placeholder="none",
                            suggester=SuggestFromList(REPEATS),
                            id="repeat",
                        )
                    with Vertical():
                        yield Label("Days or RRULE")
                        yield Input(placeholder="MO,WE", id="pattern")
                    with Vertical():
                        yield Label("Until date, or times")
                        yield Input(placeholder="2026-12-31 or 10", id="ends")
                yield Static("", id="hint")
            with Horizontal(classes="buttons"):
                yield Button("Book (ctrl+s)", variant="primary", id="book")
                yield Button("Free ones (ctrl+o)", id="book-free")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#book-free").display = False
        self.query_one(self.first_field(), Input).focus()

    def first_field(self) -> str:
        """Where typing starts: the title when the resource is known, else the resource."""
        return "#title" if self.initial_resource else "#resource"

    # --- reading the form ---------------------------------------------------------------------

    def _repeat(self, start: pendulum.DateTime) -> tuple[str, date | None] | None:
        return build_rule(
            self.value("repeat").lower() or "none",
            start,
            days=self.value("pattern"),
            custom=self.value("pattern"),
            ends=self.value("ends"),
        )

    def targets(self) -> list[Resource]:
        """The resources the form books: one here; the booking form reads several."""
        return [self.resource()]

    def request(self) -> Request:
        """The form as a booking; BadInput says what to fix."""
        resource, *others = self.targets()
        start, end = self.period(resource)
        repeat = self._repeat(start)
        title = self.value("title")
        if not title:
            raise BadInput("Give it a title.")
        return Request(resource, start, end, title, self._headcount(), repeat, tuple(others))

    def _headcount(self) -> int | None:
        headcount = self.value("headcount")
        if headcount and (not headcount.isdigit() or int(headcount) < 1):
            raise BadInput("Headcount is a whole number, 1 or more.")
        return int(headcount) if headcount else None

    # --- the live hint ------------------------------------------------------------------------

    def ask(self, *, refused: bool = False) -> None:
        """refused: the form was sent and nothing was booked; the answer says so."""
        resource = self.resource()
        start, end = self.period(resource)
        repeat = self._repeat(start)
        headcount = self._headcount()
        db, now = self.app.db, self.app.now()  # the app's clock says what is in the past
        if repeat is not None:
            rule, until = repeat
            self.ask_database(
                lambda: series.preview(
                    db, resource.id, start, end, rule, until=until, headcount=headcount, now=now
                ),
                lambda occurrences: self._show_occurrences(resource, occurrences, refused),
            )
            return
        exclude_id = self.exclude_id

        def assess() -> tuple[Assessment, Offer | None]:
            found = insights.assess(
                db, resource.id, start, end, headcount, now=now, exclude_id=exclude_id
            )
            taken = bool(found.obstacles)
            return found, offer_for(db, found, headcount, exclude_id, now) if taken else None

        self.ask_database(assess, lambda answer: self._answer(*answer, refused))

    def _answer(self, found: Assessment, offer: Offer | None, refused: bool) -> None:
        resource = found.resource
        if found.obstacles:
            self._show_obstacles(resource, found.obstacles, refused, found, offer)
            return
        if found.over_capacity is not None:
            said = f"{G.taken} Nothing was booked" if refused else f"{G.taken} too many people"
            lines = [f"[red]{said}[/]: {escape(found.over_capacity.message)}."]
            self.hint("\n".join(lines + [risk_text(risk) for risk in found.risks]), "conflict")
            return
        when = format_period(found.start, found.end)
        lines = [f"[green]{G.free} free[/]: {escape(resource.name)}, {when} ({resource.timezone})"]
        if resource.requires_approval:
            approvers = escape(", ".join(resource.approvers) or "an approver")
            lines.append(f"[yellow]Needs approval[/]: it stays pending until {approvers} decides.")
        self.hint("\n".join(lines + [risk_text(risk) for risk in found.risks]), "free")

    def _show_occurrences(
        self, resource: Resource, occurrences: list[Blocked], refused: bool
    ) -> None:
        """Every occurrence's fate, blocked ones first and then those with a risk, so the ones in
        the way are never cut off; after a refused send, first that nothing was booked and what
        ctrl+o would book. A headcount the resource cannot hold is said once, above them all."""
        over = next((r for r in occurrences[0].risks if r.kind == OVER_CAPACITY), None)
        occurrences = [
            replace(o, risks=tuple(r for r in o.risks if r.kind != OVER_CAPACITY))
            for o in occurrences
        ]
        blocked = [o for o in occurrences if o.obstacles]
        risky = [o for o in occurrences if o.risks and not o.obstacles]
        total = len(occurrences)
        where = escape(resource.name)
        lines = []
        if (blocked or over) and refused:
            lines.append(f"[red]{G.taken} Nothing was booked[/]: a repeat is booked whole.")
        if over is not None:
            lines.append(f"[red]{G.taken} too many people[/]: {escape(over.message)}.")
        if blocked:
            lines.append(f"[red]{G.taken} {len(blocked)} of {total} in the way[/] on {where}")
        else:
            lines.append(f"[green]{G.free} all {total} occurrences free[/] on {where}")
        if risky:
            lines[-1] += f", [yellow]{G.risk} {len(risky)} worth a look[/]"
        if resource.requires_approval:
            lines[-1] += " [yellow](each waits for approval)[/]"
        if blocked and refused and over is None:
            lines.append(free_ones_text(total - len(blocked)))
        plain = [o for o in occurrences if not o.obstacles and not o.risks]
        shown = (blocked + risky + plain)[:PREVIEW_LINES]
        lines += [occurrence_text(o) for o in sorted(shown, key=lambda o: o.start)]
        if total > len(shown):
            lines.append(f"[dim]{G.ellipsis} and {total - len(shown)} more[/]")
        free_ones = bool(blocked) and len(blocked) < total and over is None
        state = "conflict" if blocked or over else "free"
        self.hint("\n".join(lines), state, free_ones=free_ones)

    def _show_obstacles(
        self,
        resource: Resource,
        obstacles: list[Obstacle],
        refused: bool,
        found: Assessment | None = None,
        offer: Offer | None = None,
    ) -> None:
        """What is in the way; found: the assessment it came with, whose headcount and risks
        are said under it; offer: what to take instead, said after what is in the way."""
        said = f"{G.taken} Nothing was booked" if refused else f"{G.taken} not free"
        lines = [f"[red]{said}[/]: in the way on {escape(resource.name)}:"]
        lines += [obstacle_text(obstacle) for obstacle in obstacles]
        if found is not None and found.over_capacity is not None:
            lines.append(f"[red]{G.taken}[/] {escape(found.over_capacity.message)}")
        if offer is not None:
            keys = (self._key_of("take_time"), self._key_of("take_resource"))
            lines.append(offer_text(offer, *keys))
        if found is not None:
            lines += [risk_text(risk) for risk in found.risks]
        self.hint("\n".join(lines), "conflict", offer=offer)

    def _key_of(self, action: str) -> str:
        """The key bound to action, as the buttons write keys (ctrl+s)."""
        return next(b.key for b in bindings_of(self.BINDINGS) if b.action == action)

    def hint(
        self, text: str, state: str, *, free_ones: bool = False, offer: Offer | None = None
    ) -> None:
        """free_ones: the hint is a repeat's preview with some free, which ctrl+o would book;
        the button shows only beside such a hint, never beside an error or another answer.
        offer: what the hint offers instead of a taken slot (ctrl+t, ctrl+r take it), kept only
        while that hint is shown."""
        super().hint(text, state)
        self.query_one("#book-free").display = free_ones
        self.offer = offer

    # --- taking what the hint offers ----------------------------------------------------------

    def edited(self, field: str) -> None:
        if field in self.WATCHED:
            self.offer = None  # made for the fields as they were: the next answer says anew

    def action_take_time(self) -> None:
        """The hint's next free start, for as long as asked: the resource stays."""
        offer = self.offer
        if offer is None or offer.suggestions.next_start is None:
            self._nothing_offered("time")
            return
        self._set_period(offer.suggestions.next_start, offer.length)

    def action_take_resource(self) -> None:
        """The hint's other resource, at the very time asked: the same instants, on its clock."""
        offer = self.offer
        if offer is None or offer.suggestions.elsewhere is None:
            self._nothing_offered("resource")
            return
        elsewhere = offer.suggestions.elsewhere
        self.query_one("#resource", Input).value = elsewhere.name
        if elsewhere.timezone != offer.start.timezone_name:
            # The start field is read on the resource's clock: the same text would be another
            # instant there.
            self._set_period(offer.start.in_timezone(elsewhere.timezone), offer.length)

    def _set_period(self, start: pendulum.DateTime, length: timedelta) -> None:
        # The end as a length: a time of day or a date in the field would not move with the start.
        self.query_one("#start", Input).value = start.format("YYYY-MM-DD HH:mm")
        self.query_one("#end", Input).value = f"+{format_duration(length)}"

    def _nothing_offered(self, what: str) -> None:
        self.notify(
            f"No {what} to take: the hint offers one when the slot asked for is taken.",
            severity="warning",
            timeout=4,
        )

    # --- booking ------------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#book")
    def action_book(self) -> None:
        self._submit(skip_conflicts=False)

    @on(Button.Pressed, "#book-free")
    def action_book_free(self) -> None:
        self._submit(skip_conflicts=True)

    def _submit(self, *, skip_conflicts: bool) -> None:
        try:
            wanted = self.request()
        except BadInput as problem:
            self.hint(f"[red]{escape(str(problem))}[/]", "problem")
            return
        self.db_call(
            self.booking(wanted, skip_conflicts=skip_conflicts),
            self.booked,
            failed=lambda error: self.refused(wanted, error),
            group="book",
        )

    def refused(self, wanted: Request, error: Refusal) -> None:
        """On the UI thread, when booking() raised: what wanted was refused for."""
        self._refused(wanted.resource, error)

    def booking(self, wanted: Request, *, skip_conflicts: bool) -> Callable[[], Any]:
        """The database work that books what the form asks for."""
        raise NotImplementedError

    def booked(self, outcome: Any) -> None:
        """On the UI thread, with what booking() returned: say so, and close."""
        raise NotImplementedError

    def _refused(self, resource: Resource, error: Refusal) -> None:
        # Taken between the hint and the press: show what won, and stay open.
        if isinstance(error, DatabaseUnavailable):
            self.unreachable(error, ": nothing was booked")
        elif isinstance(error, Conflict) and error.blocked:
            self.ask(refused=True)  # every occurrence, now with what took a slot meanwhile
        elif isinstance(error, Conflict) and error.obstacles:
            self._show_obstacles(resource, error.obstacles, refused=True)
            # Then ask again, for what to take instead; the fields were read just now.
            with suppress(BadInput):
                self.ask(refused=True)
        else:
            self.hint(f"[red]{G.taken} Nothing was booked[/]: {escape(str(error))}", "problem")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class SuggestLastName(Suggester):
    """Completes the last of several comma-separated names, in any case, and keeps what comes
    before it as typed ("Rehearsal 2, tr" -> "Rehearsal 2, Truck 1")."""

    def __init__(self, names: list[str]) -> None:
        # Case-sensitive as far as Textual knows: it would casefold the names already typed.
        super().__init__(case_sensitive=True)
        self._names = names

    async def get_suggestion(self, value: str) -> str | None:
        typed = value.rpartition(",")[2].lstrip()
        if not typed:
            return None
        wanted = typed.casefold()
        for name in self._names:
            if name.casefold().startswith(wanted):
                return value[: len(value) - len(typed)] + name
        return None


class BookingForm(BookingFormBase[Reservation | None]):
    """A booking, or a repeat of it, on one resource or, named with commas, on several as one
    booking group; closes with the (first) reservation made."""

    def name_suggester(self, names: list[str]) -> Suggester:
        return SuggestLastName(names)

    def targets(self) -> list[Resource]:
        field = self.value("resource")
        # A name may hold a comma itself: a field that is exactly one name means that one.
        if "," not in field or (self.known is not None and field in self.known):
            return super().targets()
        names = [name.strip() for name in field.split(",")]
        if not all(names):
            raise BadInput("Each comma goes between two resource names.")
        if len(names) > groups.GROUP_LIMIT:
            raise BadInput(
                f"A group books at most {groups.GROUP_LIMIT} resources, not {len(names)}."
            )
        picked = [self.pick(name) for name in names]
        seen: set[int] = set()
        for resource in picked:
            if resource.id in seen:
                raise BadInput(f"{resource.name} is named twice: a group books each one once.")
            seen.add(resource.id)
        return picked

    def ask(self, *, refused: bool = False) -> None:
        targets = self.targets()
        if len(targets) == 1:
            super().ask(refused=refused)
            return
        # On the first resource's clock, as book_group reads the times.
        start, end = self.period(targets[0])
        headcount = self._headcount()
        names = names_text([escape(target.name) for target in targets])
        if self._repeat(start) is not None:
            # Said without asking: an answer to an older question must not overwrite it.
            self.workers.cancel_group(self, "hint")
            self.hint(
                f"Each occurrence books as one group on {names}, all or nothing.\n"
                "[dim]No preview of each occurrence for several resources: ctrl+s says what is"
                " in the way, if anything is; ctrl+o books the occurrences where all are free.[/]",
                "incomplete",
            )
            return
        db, now = self.app.db, self.app.now()
        self.ask_database(
            lambda: [insights.assess(db, t.id, start, end, headcount, now=now) for t in targets],
            self._show_group,
        )

    def _show_group(self, found: list[Assessment]) -> None:
        """Each resource's line, then whether the group books, then every risk."""
        lines = [line for each in found for line in group_lines(each)]
        if all(each.bookable for each in found):
            first = found[0]
            when = format_period(first.start, first.end)
            lines.append(
                f"[green]{G.free} all {len(found)} free[/]: books as one group, {when}"
                f" ({first.resource.timezone})"
            )
            waiting = [escape(e.resource.name) for e in found if e.resource.requires_approval]
            if waiting:
                lines.append(
                    f"[yellow]Needs approval[/]: {names_text(waiting)}; the group stays pending"
                    " until every row is approved."
                )
            state = "free"
        else:
            lines.append(f"[red]{G.taken} nothing is booked unless all are free[/]")
            state = "conflict"
        lines += [risk_text(risk) for each in found for risk in each.risks]
        self.hint("\n".join(lines), state)

    def booking(self, wanted: Request, *, skip_conflicts: bool) -> Callable[[], Any]:
        db = self.app.db
        if wanted.others:
            ids = [wanted.resource.id, *(other.id for other in wanted.others)]
            rule, until = wanted.repeat or (None, None)
            return lambda: groups.book_group(
                db,
                ids,
                wanted.start,
                wanted.end,
                wanted.title,
                headcount=wanted.headcount,
                rule=rule,
                until=until,
                # ctrl+o without a repeat books as ctrl+s does, as for one resource (the engine
                # takes skip_conflicts only with a rule).
                skip_conflicts=skip_conflicts and rule is not None,
            )
        if wanted.repeat is None:
            return lambda: reservations.book(
                db, wanted.resource.id, wanted.start, wanted.end, wanted.title, wanted.headcount
            )
        rule, until = wanted.repeat
        return lambda: series.book_series(
            db,
            wanted.resource.id,
            wanted.start,
            wanted.end,
            wanted.title,
            rule,
            until=until,
            skip_conflicts=skip_conflicts,
            headcount=wanted.headcount,
        )

    def booked(self, outcome: Reservation | series.SeriesBooking | groups.GroupBooking) -> None:
        if isinstance(outcome, groups.GroupBooking):
            self._booked_group(outcome)
            return
        if isinstance(outcome, Reservation):
            pending = " It waits for approval." if outcome.status == "pending" else ""
            self.app.notify(
                f"Booked {outcome.title!r} on {outcome.resource} (#{outcome.id}).{pending}",
                markup=False,
            )
            self.dismiss(outcome)
            return
        count = len(outcome.reservations)
        skipped = f", skipped {len(outcome.skipped)} in the way" if outcome.skipped else ""
        pending = " They wait for approval." if outcome.status == "pending" else ""
        self.app.notify(
            f"Booked {count} occurrences of {outcome.reservations[0].title!r}"
            f" (series #{outcome.series_id}{skipped}).{pending}",
            markup=False,
        )
        self.dismiss(outcome.reservations[0])

    def _booked_group(self, outcome: groups.GroupBooking) -> None:
        first = outcome.reservations[0]
        # The rows come by start, then in the order the resources were named.
        names = names_text(list(dict.fromkeys(row.resource for row in outcome.reservations)))
        if len(outcome.group_ids) == 1:
            ids = ", ".join(f"#{row.id}" for row in outcome.reservations)
            pending = " It waits for approval." if outcome.status == "pending" else ""
            said = f"Booked {first.title!r} as one group on {names} ({ids}).{pending}"
        else:
            skipped = f", skipped {len(outcome.skipped)} in the way" if outcome.skipped else ""
            pending = " They wait for approval." if outcome.status == "pending" else ""
            said = (
                f"Booked {len(outcome.group_ids)} occurrences of {first.title!r}, each as one"
                f" group on {names}{skipped}.{pending}"
            )
        self.app.notify(said, markup=False)
        self.dismiss(first)

    def refused(self, wanted: Request, error: Refusal) -> None:
        if wanted.others and isinstance(error, Conflict) and error.blocked:
            self._show_group_refused(error.blocked)
        else:
            super().refused(wanted, error)

    def _show_group_refused(self, blocked: list[Blocked]) -> None:
        """What won, each line naming its resource (a repeat's: every occurrence's)."""
        obstacles = [obstacle for each in blocked for obstacle in each.obstacles]
        lines = [f"[red]{G.taken} Nothing was booked[/]: a group books all or none; in the way:"]
        lines += [obstacle_text(obstacle) for obstacle in obstacles[:PREVIEW_LINES]]
        if len(obstacles) > PREVIEW_LINES:
            lines.append(f"[dim]{G.ellipsis} and {len(obstacles) - PREVIEW_LINES} more[/]")
        self.hint("\n".join(lines), "conflict")
