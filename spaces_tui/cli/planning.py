"""`spaces free` (what can be booked for a period) and `spaces find` (when several resources are
free together). The answers are the engine's (engine/planning.py); this module reads the
options and lays the answers out. Exit 0 when something was found, 3 when nothing was."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from spaces_tui.cli import render
from spaces_tui.cli.arguments import count, duration, times
from spaces_tui.engine.planning import (
    DEFAULT_COUNT,
    DEFAULT_SPAN,
    DEFAULT_STEP,
    Availability,
    FoundTimes,
    FreeResources,
    find_times,
    free_resources,
    parse_attributes,
)
from spaces_tui.engine.times import duration_text, format_duration, format_period

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context

EXIT_FOUND = 0
EXIT_NOTHING = 3

FREE_EPILOG = """\
A resource is free when a booking of it would be taken: nothing on it, above it (its stage)
or inside it (its areas) for the period, no blackout over it, its turnover buffer clear, and
room for the headcount. Inactive resources are never offered. Exit 0 when one is free, 3 when
none is.
  spaces free 2026-12-03T14:00 16:00 --kind room --capacity 20
  spaces free 2026-12-03T14:00 +2h --under "Main Stage" --all
  spaces free 2026-12-03T14:00 +2h --attr piano=true --attr floor=sprung --json
"""

FIND_EPILOG = """\
Each answer is a stretch of time: the booking may start at its first time, its last, or any
step between, with every resource free for the whole DURATION (the same rules as a booking).
Times are on the first resource's clock. Exit 0 when one was found, 3 when none was.
  spaces find 2h --resource "Rehearsal 2" --resource "PA Rig" --resource "Truck 1"
  spaces find 90m --resource "Room 1" --from 2026-12-07T09:00 --to 2026-12-11T18:00 \\
      --within-hours --count 3
"""


def add_planning_commands(commands: argparse._SubParsersAction) -> None:
    free = commands.add_parser(
        "free",
        help="which resources can be booked for a period (exit 3: none)",
        epilog=FREE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    times(free)
    free.add_argument(
        "--kind",
        dest="kinds",
        action="append",
        default=[],
        metavar="KIND",
        help="only resources of this kind (repeat for more)",
    )
    free.add_argument(
        "--capacity",
        "--headcount",
        dest="headcount",
        type=count("--capacity"),
        metavar="N",
        help="only resources that hold N people",
    )
    free.add_argument("--under", metavar="NAME", help="only resources inside this one")
    free.add_argument(
        "--attr",
        dest="attributes",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only resources with this attribute (repeat for more; true, false and numbers"
        " are matched as such)",
    )
    free.add_argument(
        "--all", action="store_true", help="list the resources that are not free, and why"
    )
    free.add_argument("--json", action="store_true", help="print JSON for scripts")

    find = commands.add_parser(
        "find",
        help="the earliest times when every named resource is free at once (exit 3: none)",
        epilog=FIND_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    find.add_argument("length", metavar="DURATION", type=duration("DURATION"), help="e.g. 2h, 90m")
    find.add_argument(
        "--resource",
        dest="resources",
        action="append",
        required=True,
        metavar="NAME",
        help="a resource that must be free (repeat for each)",
    )
    find.add_argument(
        "--from", dest="start", metavar="T", help="search from this time (default: now)"
    )
    find.add_argument(
        "--to",
        dest="end",
        metavar="T",
        help=f"the booking ends by this time (default: {format_duration(DEFAULT_SPAN)} after"
        " --from)",
    )
    find.add_argument(
        "--within-hours",
        action="store_true",
        help="only within each resource's bookable hours",
    )
    find.add_argument(
        "--count",
        type=count("--count"),
        default=DEFAULT_COUNT,
        metavar="N",
        help=f"how many answers (default {DEFAULT_COUNT}, at most 100)",
    )
    find.add_argument(
        "--step",
        type=duration("--step"),
        default=DEFAULT_STEP,
        metavar="DURATION",
        help=f"start times on this grid from midnight (default {format_duration(DEFAULT_STEP)},"
        " a minute to a day)",
    )
    find.add_argument("--json", action="store_true", help="print JSON for scripts")


# --- free ------------------------------------------------------------------------------------


def free(ctx: Context, args: argparse.Namespace) -> int:
    found = free_resources(
        ctx.db,
        args.start,
        args.end,
        zone=ctx.zone,
        kinds=args.kinds,
        headcount=args.headcount,
        under=args.under,
        attributes=parse_attributes(args.attributes),
    )
    if args.json:
        render.print_json(_free_json(found, args.headcount, show_taken=args.all), ctx.out)
    else:
        _print_free(ctx, found, args.headcount, show_taken=args.all)
    return EXIT_FOUND if found.free else EXIT_NOTHING


def _period_text(start: datetime, end: datetime) -> str:
    return f"{format_period(start, end)} {start.tzinfo}"


def _print_free(
    ctx: Context, found: FreeResources, headcount: int | None, *, show_taken: bool
) -> None:
    people = f" for {headcount} people" if headcount else ""
    asked = f"{_period_text(found.start, found.end)}{people}"
    if not found.resources:
        ctx.say(f"No active resource matches; nothing to offer for {asked}.")
        return
    ctx.say(f"Free {asked}: {len(found.free)} of {len(found.resources)}.")
    if found.free:
        rows = [
            [a.resource.name, a.resource.kind, str(a.resource.capacity or "-"), _place(a)]
            for a in found.free
        ]
        ctx.say(render.table(rows, ["RESOURCE", "KIND", "CAPACITY", "IN"]))
    if show_taken and found.taken:
        ctx.say("")
        ctx.say("Not free:")
        for availability in found.taken:
            ctx.say(f"  {availability.resource.name}:")
            if availability.over_capacity:
                ctx.say(f"    too small: holds {availability.resource.capacity}")
            for obstacle in availability.obstacles:
                ctx.say("    " + render.obstacle_line(obstacle))
    elif found.taken:
        ctx.say(f"({len(found.taken)} not free: --all says why.)")


def _place(availability: Availability) -> str:
    return availability.resource.parent or "-"


def _free_json(found: FreeResources, headcount: int | None, *, show_taken: bool) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "start": found.start.isoformat(),
        "end": found.end.isoformat(),
        "headcount": headcount,
        "free": [render.resource_json(a.resource) for a in found.free],
    }
    if show_taken:
        answer["taken"] = [
            {
                "resource": render.resource_json(a.resource),
                "over_capacity": a.over_capacity,
                "conflicts": [render.obstacle_json(o) for o in a.obstacles],
            }
            for a in found.taken
        ]
    return answer


# --- find ------------------------------------------------------------------------------------


def find(ctx: Context, args: argparse.Namespace) -> int:
    found = find_times(
        ctx.db,
        args.resources,
        args.length,
        start=args.start,
        end=args.end,
        within_hours=args.within_hours,
        count=args.count,
        step=args.step,
    )
    if args.json:
        render.print_json(_find_json(found), ctx.out)
    else:
        _print_find(ctx, found)
    return EXIT_FOUND if found.openings else EXIT_NOTHING


def _print_find(ctx: Context, found: FoundTimes) -> None:
    names = ", ".join(r.name for r in found.resources)
    together = " together" if len(found.resources) > 1 else ""
    searched = _period_text(found.start, found.end)
    if not found.openings:
        ctx.say(f"{names}: never free{together} for {duration_text(found.length)} in {searched}.")
        return
    ctx.say(f"{names}: free{together} for {duration_text(found.length)}, {searched}:")
    for opening in found.openings:
        first = _when(opening.first)
        if opening.last == opening.first:
            ctx.say(f"  {first}  (only then)")
        else:
            ctx.say(f"  {first}  (or any start until {_when(opening.last, opening.first)})")


def _when(moment: datetime, beside: datetime | None = None) -> str:
    """'Thu 3 Dec 14:00'; only the time when it is on the day of beside."""
    if beside is not None and moment.date() == beside.date():
        return moment.strftime("%H:%M")
    return f"{moment:%a} {moment.day} {moment:%b} {moment:%H:%M}"


def _find_json(found: FoundTimes) -> dict[str, Any]:
    return {
        "resources": [r.name for r in found.resources],
        "length_minutes": found.length.total_seconds() / 60,
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "openings": [
            {"first_start": o.first.isoformat(), "last_start": o.last.isoformat()}
            for o in found.openings
        ],
    }
