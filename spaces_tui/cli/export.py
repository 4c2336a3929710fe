"""`spaces export ical`: reservations (and blackouts) as an iCalendar file for other calendars.
The file is the engine's (engine/interop/ical.py); this module reads the options and writes it
to standard output or, whole or not at all, to a file."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from spaces_tui.engine.errors import BadInput, quoted
from spaces_tui.engine.models import ACTIVE
from spaces_tui.engine.reservations import STATUSES

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context

ICAL_EPILOG = """\
One VEVENT per reservation (and per blackout with --blackouts), on the resource's own clock
(TZID and VTIMEZONE). UIDs stay the same across exports (reservation-42@<this database's id>),
and SEQUENCE and LAST-MODIFIED grow with each change, so importing again updates events instead
of adding copies. pending is TENTATIVE; cancelled and rejected (with --status all) CANCELLED,
so clients remove them. Naive --from/--to times are in the one --resource's zone, else yours.
  spaces export ical -o spaces.ics
  spaces export ical --under "Main Stage" --blackouts --status all -o stage.ics
  spaces export ical --mine --from 2027-01-01 --to 2027-07-01 | khal import --batch -
"""


def which_bookings(parser: argparse.ArgumentParser) -> None:
    """The options that choose the bookings an export (or a feed, which is one) holds."""
    parser.add_argument(
        "--resource",
        dest="resources",
        action="append",
        default=[],
        metavar="NAME",
        help="only this resource (repeat for more)",
    )
    parser.add_argument("--kind", metavar="KIND", help="only resources of this kind")
    parser.add_argument(
        "--under", metavar="NAME", help="only this resource and everything inside it"
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--mine", action="store_true", help="only those you booked")
    who.add_argument("--booked-by", metavar="NAME", help="only those this person booked")


def add_export_commands(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser("export", help="reservations for other calendars (iCalendar)")
    formats = export.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    ical = formats.add_parser(
        "ical",
        help="an RFC 5545 .ics file for khal, calcurse, Thunderbird and other calendars",
        epilog=ICAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which_bookings(ical)
    ical.add_argument(
        "--from", dest="start", metavar="T", help="from this time (default: 30 days ago)"
    )
    ical.add_argument(
        "--to",
        dest="end",
        metavar="T",
        help="until this time (default: a year from now, or from --from)",
    )
    ical.add_argument(
        "--status",
        choices=(*STATUSES, "active", "all"),
        default="active",
        help="which ones (default: active = pending and confirmed; all adds cancelled and"
        " rejected ones, and lifted blackouts, as STATUS:CANCELLED)",
    )
    ical.add_argument(
        "--blackouts",
        action="store_true",
        help="add the blackouts on the same resources (whoever booked)",
    )
    ical.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE, replacing it whole (default: standard output)",
    )


def export_ical(ctx: Context, args: argparse.Namespace) -> int:
    # icalendar loads only for an export: every other command starts without it.
    from spaces_tui.engine.interop import ical

    statuses = {"active": ACTIVE, "all": STATUSES}.get(args.status, (args.status,))
    if args.output is not None:
        _check_folder(args.output)  # before the database is asked anything
    exported = ical.export_ical(
        ctx.db,
        resources=args.resources,
        kind=args.kind,
        under=args.under,
        booked_by=ctx.db.actor if args.mine else args.booked_by,
        start=args.start,
        end=args.end,
        statuses=statuses,
        blackouts=args.blackouts,
        zone=ctx.zone,
    )
    blackouts = f" and {exported.blackouts} blackouts" if args.blackouts else ""
    if args.output is None or args.output == "-":
        _write_out(ctx, exported.data)
        ctx.announce(f"Exported {exported.reservations} reservations{blackouts}.")
    else:
        write_atomically(Path(args.output), exported.data)
        ctx.announce(f"Exported {exported.reservations} reservations{blackouts} to {args.output}.")
    return 0


def _write_out(ctx: Context, data: bytes) -> None:
    """The bytes as they are (CRLF lines, UTF-8) on a real stream; text on a test's StringIO."""
    buffer = getattr(ctx.out, "buffer", None)
    if buffer is not None:
        ctx.out.flush()
        buffer.write(data)
        buffer.flush()
    else:
        ctx.out.write(data.decode("utf-8"))


def _check_folder(output: str) -> None:
    if output == "-":
        return
    folder = Path(output).parent
    if not folder.is_dir():
        raise BadInput(f"-o {quoted(output)}: there is no folder {quoted(str(folder))}")
    if Path(output).is_dir():
        raise BadInput(f"-o {quoted(output)} is a folder, not a file")


def write_atomically(path: Path, data: bytes) -> None:
    """path holds data whole, or is left as it was: a calendar client that reads the file while
    it is written (a subscription, a cron job's export) never sees half of one. The temporary
    file is beside it, so the rename stays on one file system."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise BadInput(f"-o {quoted(str(path))}: cannot write there: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a calendar server
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise BadInput(f"-o {quoted(str(path))}: cannot write it: {error.strerror}") from None
