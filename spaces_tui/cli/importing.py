"""`spaces import ical`: an iCalendar file becomes bookings or blackouts on one resource. The
work is the engine's (engine/interop/ical_import.py); this module reads the options and says
what happened, or what would."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spaces_tui.cli import render
from spaces_tui.engine.blackouts import KINDS as BLACKOUT_KINDS

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context
    from spaces_tui.engine.interop.ical_import import ImportResult, Item

EXIT_CONFLICT = 3

IMPORT_EPILOG = """\
Each event's UID is remembered on the resource (with its start, for each occurrence of a
repeat), so importing the same file again changes nothing, and an updated file cancels what
changed and books it again, through every rule (approval included). An event whose UID is in
the file but which no longer gives an occurrence (STATUS:CANCELLED, a shorter repeat) has that
occurrence cancelled; UIDs not in the file are left alone (a file may be partial).
All or nothing: if anything is in the way, nothing is written and exit 3 lists every clash;
--skip-conflicts imports the rest. --dry-run shows the plan and writes nothing.
Floating times and all-day events are on the resource's clock; repeats keep the wall clock.
  spaces import ical schedule.ics --resource "Rehearsal Room 1" --dry-run
  spaces import ical holds.ics --resource "Main Stage" --as blackout --kind hold
"""


def add_import_commands(commands: argparse._SubParsersAction) -> None:
    importing = commands.add_parser("import", help="bookings or blackouts from other calendars")
    formats = importing.add_subparsers(dest="import_command", metavar="FORMAT", required=True)
    ical = formats.add_parser(
        "ical",
        help="an RFC 5545 .ics file: each event a booking (or a blackout) on one resource",
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ical.add_argument("file", metavar="FILE", help="the .ics file")
    ical.add_argument("--resource", required=True, metavar="NAME", help="the resource to book")
    # `--as` here is this subcommand's own option: argparse hands everything after `import ical`
    # to this parser, so the global `spaces --as ACTOR` before the command is not disturbed.
    ical.add_argument(
        "--as",
        dest="make",
        choices=("booking", "blackout"),
        default="booking",
        help="make each event a booking (default) or a blackout",
    )
    ical.add_argument(
        "--kind",
        choices=BLACKOUT_KINDS,
        default="hold",
        help="the blackouts' kind, with --as blackout (default: hold)",
    )
    ical.add_argument(
        "--dry-run", action="store_true", help="show what would happen; write nothing"
    )
    ical.add_argument(
        "--skip-conflicts",
        action="store_true",
        help="import what is free and report the rest, instead of nothing",
    )
    ical.add_argument("--json", action="store_true", help="machine-readable output")


def import_ical(ctx: Context, args: argparse.Namespace) -> int:
    # icalendar loads only for an import: every other command starts without it.
    from spaces_tui.engine.interop import ical_import

    data = ical_import.read_file(args.file)
    try:
        result = ical_import.import_ical(
            ctx.db,
            data,
            args.resource,
            name=Path(args.file).name,
            make=args.make,
            blackout_kind=args.kind,
            dry_run=args.dry_run,
            skip_conflicts=args.skip_conflicts,
        )
    except ical_import.ImportConflict as refused:
        ctx.announce(f"spaces: {refused}")
        _show(ctx, args, refused.result, error=True)
        return EXIT_CONFLICT
    _show(ctx, args, result, error=False)
    return 0


def _item_json(item: Item) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "uid": item.key,
        "title": item.title,
        "start": item.start.isoformat(),
        "end": item.end.isoformat(),
        "kind": item.kind,
        "id": item.id,
        "status": item.status,
    }
    if item.replaces is not None:
        shown["replaces"] = item.replaces
    if item.reason is not None:
        shown["reason"] = item.reason
    if item.obstacles:
        shown["conflicts"] = [render.obstacle_json(o) for o in item.obstacles]
    return shown


def _show(ctx: Context, args: argparse.Namespace, result: ImportResult, *, error: bool) -> None:
    if args.json:
        shown: dict[str, Any] = {}
        if error:
            shown["error"] = "conflict"
        shown.update(
            {
                "created": [_item_json(i) for i in result.created],
                "updated": [_item_json(i) for i in result.updated],
                "unchanged": result.unchanged,
                "cancelled": [_item_json(i) for i in result.cancelled],
                "skipped": [_item_json(i) for i in result.skipped],
                "conflicts": [_item_json(i) for i in result.conflicts],
                "dry_run": result.dry_run,
            }
        )
        render.print_json(shown, ctx.out)
        return
    would = "would be " if result.dry_run or error else ""
    for heading, items in (
        (f"{would}created", result.created),
        (f"{would}updated", result.updated),
        (f"{would}cancelled", result.cancelled),
        ("skipped, in the way", result.skipped),
        ("in the way", result.conflicts),
    ):
        for item in items:
            ident = f"#{item.id} " if item.id is not None else ""
            status = f" ({item.status})" if item.status and item.id is not None else ""
            period = render.period_text(item.start, item.end, item.start.timezone_name or "")
            ctx.say(f"{heading}: {ident}{period} {item.title}{status}")
            for obstacle in item.obstacles:
                ctx.say("    " + render.obstacle_line(obstacle))
    if not error:
        done = "Dry run: nothing written" if result.dry_run else "Imported"
        ctx.announce(
            f"{done}: {len(result.created)} new, {len(result.updated)} updated,"
            f" {result.unchanged} unchanged, {len(result.cancelled)} cancelled,"
            f" {len(result.skipped)} skipped."
        )
