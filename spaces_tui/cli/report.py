"""`spaces report utilization`: how full each resource's own bookable hours were, as a table,
JSON or CSV. The figures are the engine's (engine/utilization.py); this module reads the options
and lays the rows out."""

from __future__ import annotations

import argparse
import csv
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pendulum

from spaces_tui.cli import render
from spaces_tui.engine.errors import BadInput, quoted
from spaces_tui.engine.utilization import BY, OVER_AT, UNDER_AT, Report, Usage, utilization_report

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context

# Days a person may name by word, as offsets from today (in the configured zone).
NAMED_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
FIRST_COLUMN = {
    "resource": "RESOURCE",
    "kind": "KIND",
    "day": "DAY",
    "weekday": "WEEKDAY",
    "hour": "HOUR",
}
_PERCENT = re.compile(r"\d{1,3}(?:\.\d+)?%?")
# A row in JSON and CSV: the key, the resource's id (by resource), the five lengths in hours,
# the utilization as a share and the flag.
COLUMNS = (
    "key",
    "resource_id",
    "bookable_hours",
    "confirmed_hours",
    "pending_hours",
    "blacked_out_hours",
    "tree_blocked_hours",
    "utilization",
    "flag",
)
PLACES = 4  # decimals of the hours and shares in JSON and CSV: a third of a second, 0.01 %


def add_report_commands(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="insights: how the resources are used")
    actions = report.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    usage = actions.add_parser(
        "utilization",
        help="confirmed hours against each resource's own bookable hours, in its own zone;"
        " flags over-booked and under-used ones",
        description="Utilization = confirmed hours / (bookable hours - blacked-out hours), each"
        " resource over whole days of its own calendar, in its own time zone. Pending requests"
        " and time blocked by the resource tree are shown beside it, not counted in it.",
    )
    usage.add_argument(
        "--from",
        dest="start",
        metavar="DATE",
        help="first day, included: 2026-11-02, today or yesterday"
        " (default: four weeks ending --to)",
    )
    usage.add_argument(
        "--to",
        dest="end",
        metavar="DATE",
        help="last day, included (default: today, or four weeks from --from)",
    )
    usage.add_argument(
        "--resource",
        dest="resources",
        action="append",
        default=[],
        metavar="NAME",
        help="only this resource (repeat for more); default: every active one",
    )
    usage.add_argument("--kind", metavar="KIND", help="only resources of this kind")
    usage.add_argument(
        "--under", metavar="NAME", help="only this resource and everything inside it"
    )
    usage.add_argument(
        "--by",
        choices=BY,
        default="resource",
        help="one row per resource (default), kind, day, weekday or hour of the day",
    )
    usage.add_argument(
        "--over-at",
        type=_percent("--over-at"),
        default=OVER_AT,
        metavar="PERCENT",
        help=f"flag 'over' at this utilization or more (default {OVER_AT * 100:.0f}%%)",
    )
    usage.add_argument(
        "--under-at",
        type=_percent("--under-at"),
        default=UNDER_AT,
        metavar="PERCENT",
        help=f"flag 'under' at this utilization or less (default {UNDER_AT * 100:.0f}%%)",
    )
    shape = usage.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print JSON for scripts")
    shape.add_argument("--csv", action="store_true", help="print CSV with a header row")


def report_utilization(ctx: Context, args: argparse.Namespace) -> int:
    today = pendulum.today(ctx.zone).date()
    found = utilization_report(
        ctx.db,
        start=_day(args.start, "--from", today),
        end=_day(args.end, "--to", today),
        resources=args.resources,
        kind=args.kind,
        within=args.under,
        by=args.by,
        over_at=args.over_at,
        under_at=args.under_at,
        today=today,
    )
    if args.json:
        render.print_json(report_json(found), ctx.out)
    elif args.csv:
        _write_csv(found, ctx)
    else:
        ctx.say(_heading(found))
        ctx.say("")
        ctx.say(report_table(found) if found.rows else "No resources to report on.")
    return 0


def _percent(what: str) -> Callable[[str], float]:
    """type= for a threshold: a percentage from 0 to 100 (85, 12.5 or 85%), as a share."""

    def share(text: str) -> float:
        if not _PERCENT.fullmatch(text.strip()) or float(text.strip().rstrip("%")) > 100:
            raise BadInput(f"{what} {quoted(text)} must be a percentage from 0 to 100")
        return float(text.strip().rstrip("%")) / 100

    return share


def _day(text: str | None, what: str, today: date) -> date | None:
    if text is None:
        return None
    word = text.strip().lower()
    if word in NAMED_DAYS:
        return today + timedelta(days=NAMED_DAYS[word])
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise BadInput(f"{what} {quoted(text)} is not a date like 2026-11-30 or today") from None


def _percent_text(share: float) -> str:
    return f"{round(share * 100, 2):g}%"


def _hours(length: timedelta) -> float:
    return round(length / timedelta(hours=1), PLACES)


def _heading(found: Report) -> str:
    zones = ", ".join(found.zones) or "no resources"
    return (
        f"Utilization {found.start} to {found.end} by {found.by}, each resource on its own"
        f" clock ({zones}); over at {_percent_text(found.over_at)},"
        f" under at {_percent_text(found.under_at)}"
    )


def report_table(found: Report) -> str:
    rows = [
        [
            "  " * usage.depth + usage.key,
            *(f"{_hours(length):.1f}h" for length in _lengths(usage)),
            "-" if usage.utilization is None else f"{usage.utilization:.1%}",
            usage.flag or "",
        ]
        for usage in found.rows
    ]
    headers = [FIRST_COLUMN[found.by], "BOOKABLE", "CONFIRMED", "PENDING", "BLACKED OUT"]
    return render.table(rows, [*headers, "TREE", "UTILIZATION", "FLAG"])


def _lengths(usage: Usage) -> tuple[timedelta, ...]:
    return (usage.bookable, usage.confirmed, usage.pending, usage.blacked_out, usage.tree_blocked)


def usage_json(usage: Usage) -> dict[str, Any]:
    share = None if usage.utilization is None else round(usage.utilization, PLACES)
    values = [usage.key, usage.resource_id, *map(_hours, _lengths(usage)), share, usage.flag]
    return dict(zip(COLUMNS, values, strict=True))


def report_json(found: Report) -> dict[str, Any]:
    return {
        "from": found.start.isoformat(),
        "to": found.end.isoformat(),
        "by": found.by,
        "over_at": found.over_at,
        "under_at": found.under_at,
        "rows": [usage_json(usage) for usage in found.rows],
    }


def _write_csv(found: Report, ctx: Context) -> None:
    """COLUMNS as the header, then one row per usage_json row; an empty value for none."""
    writer = csv.DictWriter(ctx.out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(usage_json(usage) for usage in found.rows)
