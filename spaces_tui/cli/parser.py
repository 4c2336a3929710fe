"""The command line's grammar: every engine action as a command. The contract scripts rely on."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, timedelta

from spaces_tui import __version__
from spaces_tui.cli.arguments import WHOLE, count, duration, times, whole_number
from spaces_tui.cli.export import add_export_commands
from spaces_tui.cli.feeds import add_feed_commands
from spaces_tui.cli.importing import add_import_commands
from spaces_tui.cli.planning import add_planning_commands
from spaces_tui.cli.relay import add_relay_commands
from spaces_tui.cli.report import add_report_commands
from spaces_tui.engine.access import ACTOR_SOURCES
from spaces_tui.engine.approvals import SORTS
from spaces_tui.engine.blackouts import KINDS as BLACKOUT_KINDS
from spaces_tui.engine.errors import QUOTED_LIMIT, BadInput, quoted
from spaces_tui.engine.reservations import STATUSES
from spaces_tui.engine.resources import COMMON_KINDS
from spaces_tui.engine.times import DURATION_FORMS, parse_margin

EPILOG = """\
times: ISO 8601. Without an offset a time is wall-clock time in the resource's
time zone (2026-12-01T14:00); with one it is exact (2026-12-01T14:00+01:00).
END may also be a time of day on START's date (16:30) or a duration (+90m, +2h).
durations: 90m, 2h, 1h30m, 2d, 45s, or ISO 8601 (PT30S, PT1H30M, P1D).
resources: a name, in any case when only one resource has it (rehearsal 1), or
an id; a near miss is bad input that says "did you mean".

exit codes: 0 done, 2 bad input (nothing written), 3 conflict,
4 not allowed (not an approver, illegal status change), 1 anything else.

database: the embedded PostgreSQL in SPACES_DATA_DIR (default: your user data
folder), or any PostgreSQL 14+ named by --db or SPACES_DATABASE_URL.
actor: --as, else SPACES_ACTOR, else your user name.
"""

REPEAT_EPILOG = """\
several resources: one booking group, every row in one transaction or none (exit 3 lists
what is in the way of each); a row on a resource that asks for approval is pending, and
when one row is rejected the others are released with it.
  spaces book "Rehearsal 2" "Truck 1" 2026-12-03T14:00 16:00 --title Get-in

repeat: START..END is the first occurrence; the rule repeats it on the resource's wall
clock (09:00 stays 09:00 local across daylight-saving changes). Each occurrence is its
own reservation, linked to one series. At most 1000 occurrences. With several
resources each occurrence is a group; --skip-conflicts skips whole occurrences.
  spaces book "Room 1" 2026-12-01T09:00 +1h --title Class \\
      --rrule "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR" --until 2026-12-31
  spaces book "Room 1" 2026-12-01T18:00 +2h --title Tech \\
      --rrule "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=10" --except 2026-12-24
"""


# A value the parser cannot use is bad input like any other: its type functions raise BadInput,
# which argparse lets through (it turns only ArgumentTypeError, TypeError and ValueError into a
# usage error), and main() reports it as one line with exit 2. argparse's usage message is kept
# for the command line's shape: a missing, unknown or clashing argument.
BIGINT_MAX = 2**63 - 1  # ids are PostgreSQL bigints


def _minutes(text: str) -> int:
    value = whole_number(text, "--buffer")
    if not 0 <= value <= 1440:
        raise BadInput(f"--buffer {quoted(text)}: a buffer is 0 to 1440 minutes")
    return value


def _margin(text: str) -> timedelta:
    """type= for --blackout-margin: a duration, or 0 for none (no blackout is near enough)."""
    return parse_margin(text, "--blackout-margin")


HOURS_HELP = (
    "bookable hours in the resource's zone (repeat to combine): 09:00-23:00 every day,"
    " MO-FR=09:00-23:00, SA,SU=10:00-18:00, FR,SA=18:00-02:00 (past midnight), SU=closed,"
    " always; a day no --hours names is closed, and a later one for a day replaces the earlier"
)
MARGIN_HELP = f"a blackout this near a booking is warned of, up to 7d: {DURATION_FORMS}; 0 for none"


def _hours_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--hours and --blackout-margin; defaults: say what a new resource has without them."""
    parser.add_argument(
        "--hours",
        action="append",
        metavar="SPEC",
        help=HOURS_HELP + (" (default: always)" if defaults else ""),
    )
    parser.add_argument(
        "--blackout-margin",
        type=_margin,
        metavar="DURATION",
        help=MARGIN_HELP + (" (default 1h)" if defaults else ""),
    )


def _id(text: str, lowest: int = 1) -> int:
    """Every command's ID, checked here once: a number no row can have (0, -1, 2**63, which is
    not even a bigint) never reaches the database."""
    shown = text.strip() if len(text.strip()) <= QUOTED_LIMIT else quoted(text)
    if not WHOLE.fullmatch(text.strip()) or not lowest <= int(text) <= BIGINT_MAX:
        raise BadInput(f"{shown} is not a valid id (a whole number, {lowest} to {BIGINT_MAX})")
    return int(text)


def _actor(text: str) -> str:
    """type= for --as: the name as the database will compare it, so ' lena ' is lena."""
    name = text.strip()
    if not name:
        raise BadInput("--as needs a person's name")
    if "\x00" in name:  # PostgreSQL text cannot hold one, and every write records the actor
        raise BadInput("--as cannot contain a NUL character")
    return name


def _event_id(text: str) -> int:
    return _id(text, lowest=0)  # --since 0: every event


def _date(what: str) -> Callable[[str], date]:
    def day(text: str) -> date:
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            raise BadInput(f"{what} {quoted(text)} is not a date like 2026-12-24") from None

    return day


def _scope(parser: argparse.ArgumentParser, verb: str) -> None:
    """--following / --series for an occurrence of a recurring reservation."""
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--following",
        dest="scope",
        action="store_const",
        const="following",
        help=f"{verb} this occurrence and the following ones of its series",
    )
    scope.add_argument(
        "--series",
        dest="scope",
        action="store_const",
        const="series",
        help=f"{verb} every occurrence of its series still open",
    )


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("resource", metavar="RESOURCE", help="resource name (or id)")
    times(parser)


def _headcount(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--headcount", type=count("--headcount"), metavar="N", help="how many people"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spaces",
        description="Book rooms, stages, areas, trucks and kit. Double-bookings are refused "
        "by PostgreSQL itself. Without a command, in a terminal: the calendar.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"spaces {__version__}")
    parser.add_argument("--db", metavar="URL", help="PostgreSQL URL (default: the embedded server)")
    parser.add_argument(
        "--as", dest="actor", metavar="ACTOR", type=_actor, help="act as this person"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    _db_commands(commands)
    _resource_commands(commands)

    check = commands.add_parser(
        "check",
        help="is a slot free, and what is worth a look? exit 0 bookable (even with risks),"
        " 3 in the way or over capacity",
    )
    _period(check)
    _headcount(check)
    _json_flag(check)

    book = commands.add_parser(
        "book",
        help="book a resource, or several as one group (all or nothing), once or on a repeat"
        " rule (--rrule)",
        epilog=REPEAT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    book.add_argument(
        "resources",
        nargs="+",
        metavar="RESOURCE",
        help="resource name (or id); several make one booking group: every one or none",
    )
    times(book)
    book.add_argument("--title", required=True, help="what it is for")
    _headcount(book)
    book.add_argument(
        "--rrule", metavar="RULE", help='repeat: an RFC 5545 RRULE, e.g. "FREQ=WEEKLY;BYDAY=MO,WE"'
    )
    book.add_argument(
        "--until", type=_date("--until"), metavar="DATE", help="repeat until this date"
    )
    book.add_argument(
        "--except",
        dest="exceptions",
        type=_date("--except"),
        nargs="+",
        default=[],
        metavar="DATE",
        help="leave out these dates",
    )
    book.add_argument(
        "--skip-conflicts",
        action="store_true",
        help="book the free occurrences and report the rest (default: all or nothing)",
    )
    _json_flag(book)

    listing = commands.add_parser("list", help="list reservations (or find them: --search)")
    listing.add_argument("--resource", metavar="NAME", help="only this resource")
    listing.add_argument(
        "--search",
        metavar="TEXT",
        help="only those whose title, booker or resource's name holds TEXT (any case; %% and _"
        " are plain characters); with no --from or --to, over all time",
    )
    listing.add_argument(
        "--from",
        dest="start",
        metavar="T",
        help="from this time (default: now; with --search, all time)",
    )
    listing.add_argument("--to", dest="end", metavar="T", help="until this time")
    listing.add_argument(
        "--status",
        choices=(*STATUSES, "active", "all"),
        default="active",
        help="which ones (default: active = pending and confirmed)",
    )
    _json_flag(listing)

    approve = commands.add_parser("approve", help="confirm a pending reservation")
    approve.add_argument("id", type=_id, metavar="ID")
    approve.add_argument("--note", help="a note kept with the decision")
    _scope(approve, "approve")
    _json_flag(approve)

    reject = commands.add_parser("reject", help="reject a pending reservation")
    reject.add_argument("id", type=_id, metavar="ID")
    reject.add_argument("--reason", required=True, help="why (kept with the decision)")
    _scope(reject, "reject")
    _json_flag(reject)

    cancel = commands.add_parser(
        "cancel",
        help="cancel a reservation and free its slot (its booker, an approver or an admin)",
    )
    cancel.add_argument("id", type=_id, metavar="ID")
    cancel.add_argument("--reason", required=True, help="why (kept with the reservation)")
    _scope(cancel, "cancel")
    cancel.add_argument(
        "--group", action="store_true", help="cancel every row of its booking group together"
    )
    _json_flag(cancel)

    move = commands.add_parser(
        "move",
        help="move a booking (its group with it) to a new time or resource, in one transaction:"
        " exit 3 leaves it untouched",
    )
    move.add_argument("id", type=_id, metavar="ID")
    times(move)
    move.add_argument("--resource", metavar="NAME", help="to this resource (default: its own)")
    _scope(move, "move")
    _json_flag(move)

    pending = commands.add_parser(
        "pending", help="requests waiting for a decision; --stalled for the ones waiting too long"
    )
    pending.add_argument(
        "--stalled",
        action="store_true",
        help="only those waiting longer than their resource's threshold (default 24h)",
    )
    pending.add_argument(
        "--older-than",
        type=duration("--older-than"),
        metavar="DURATION",
        help=f"only those waiting at least this long: {DURATION_FORMS}",
    )
    pending.add_argument("--mine", action="store_true", help="only those you may approve")
    pending.add_argument(
        "--requested",
        action="store_true",
        help="only those you asked for (booked), still waiting for an approver",
    )
    pending.add_argument("--sort", choices=SORTS, default="oldest", help="default: oldest first")
    _json_flag(pending)

    history = commands.add_parser(
        "history", help="a reservation's whole life: created, decided, cancelled, by whom, why"
    )
    history.add_argument("id", type=_id, metavar="ID")
    _json_flag(history)

    _blackout_commands(commands)
    _rehearse_commands(commands)
    _access_commands(commands)
    add_planning_commands(commands)
    add_report_commands(commands)
    add_export_commands(commands)
    add_feed_commands(commands)
    add_import_commands(commands)

    events = commands.add_parser("events", help="the event log; --follow to watch it live")
    events.add_argument(
        "--since",
        type=_event_id,
        metavar="ID",
        help="after this event id (default: all, or only new ones with --follow)",
    )
    events.add_argument("--follow", action="store_true", help="keep printing events as they happen")
    _json_flag(events)
    add_relay_commands(commands)

    demo = commands.add_parser(
        "demo", help="load a demo venue with two weeks of bookings around today"
    )
    demo.add_argument(
        "--reset",
        action="store_true",
        help="erase an earlier demo first (only if the database holds nothing else)",
    )
    return parser


def _db_commands(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="where the database is, migrations, the embedded server")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    actions.add_parser("url", help="print a URL psql and psycopg can connect with")
    actions.add_parser("upgrade", help="apply migrations (every command does this on first use)")
    actions.add_parser("status", help="where the database is, server version, schema revision")
    actions.add_parser("stop", help="stop the embedded server")


def _resource_commands(commands: argparse._SubParsersAction) -> None:
    resource = commands.add_parser("resource", help="add, change and list bookable resources")
    actions = resource.add_subparsers(dest="resource_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a resource")
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--kind",
        required=True,
        help=f"what it is: {', '.join(COMMON_KINDS)}, or a kind another resource has; any"
        " other lower-case word makes a new kind (with a warning, in case it is a typo)",
    )
    add.add_argument("--parent", metavar="NAME", help="the resource it sits inside")
    add.add_argument("--capacity", type=count("--capacity"), metavar="N")
    add.add_argument("--approval", action="store_true", help="bookings wait for an approver")
    add.add_argument(
        "--approver",
        action="append",
        default=[],
        metavar="ACTOR",
        help="may approve bookings (repeat for more); bookings then need approval",
    )
    add.add_argument(
        "--buffer",
        type=_minutes,
        default=0,
        metavar="MINUTES",
        help="turnover time kept free after each booking",
    )
    add.add_argument("--tz", metavar="ZONE", help="IANA time zone (default: the server's)")
    add.add_argument(
        "--stall-after",
        type=duration("--stall-after"),
        metavar="DURATION",
        help=f"a request waiting longer is stalled (default 24h): {DURATION_FORMS}",
    )
    _hours_options(add, defaults=True)
    _json_flag(add)

    change = actions.add_parser("set", help="change a resource")
    change.add_argument("name", metavar="NAME")
    change.add_argument("--rename", metavar="NEW_NAME")
    change.add_argument("--kind")
    parent = change.add_mutually_exclusive_group()
    parent.add_argument("--parent", metavar="NAME", help="move it inside another resource")
    parent.add_argument("--no-parent", action="store_true", help="move it to the top level")
    change.add_argument("--capacity", type=count("--capacity"), metavar="N")
    approval = change.add_mutually_exclusive_group()
    approval.add_argument("--approval", dest="approval", action="store_const", const=True)
    approval.add_argument("--no-approval", dest="approval", action="store_const", const=False)
    change.add_argument(
        "--approver",
        action="append",
        default=[],
        metavar="ACTOR",
        help="add an approver (repeat for more); bookings then need approval",
    )
    change.add_argument(
        "--remove-approver",
        action="append",
        default=[],
        metavar="ACTOR",
        help="remove an approver; approval stays as it is",
    )
    change.add_argument("--buffer", type=_minutes, metavar="MINUTES")
    change.add_argument("--tz", metavar="ZONE")
    change.add_argument(
        "--stall-after",
        type=duration("--stall-after"),
        metavar="DURATION",
        help=f"a request waiting longer is stalled: {DURATION_FORMS}",
    )
    _hours_options(change, defaults=False)
    active = change.add_mutually_exclusive_group()
    active.add_argument("--active", dest="active", action="store_const", const=True)
    active.add_argument(
        "--inactive",
        dest="active",
        action="store_const",
        const=False,
        help="no new bookings; existing ones stay",
    )
    _json_flag(change)

    listing = actions.add_parser("list", help="list resources as a tree")
    _json_flag(listing)


def _blackout_commands(commands: argparse._SubParsersAction) -> None:
    blackout = commands.add_parser("blackout", help="maintenance, holds and breaks")
    actions = blackout.add_subparsers(dest="blackout_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="black out a resource (and everything inside it)")
    _period(add)
    add.add_argument("--reason", required=True)
    add.add_argument("--kind", choices=BLACKOUT_KINDS, default="maintenance")
    add.add_argument(
        "--cancel-conflicting",
        action="store_true",
        help='cancel active bookings in the way (reason "blackout: REASON")',
    )
    _json_flag(add)

    listing = actions.add_parser("list", help="list blackouts")
    listing.add_argument("--resource", metavar="NAME")
    listing.add_argument("--kind", choices=BLACKOUT_KINDS, action="append", help="only these kinds")
    state = listing.add_mutually_exclusive_group()
    state.add_argument("--all", action="store_true", help="include lifted ones")
    state.add_argument("--lifted", action="store_true", help="only lifted ones")
    listing.add_argument("--from", dest="start", metavar="T", help="overlapping from this time")
    listing.add_argument("--to", dest="end", metavar="T", help="overlapping until this time")
    _json_flag(listing)

    lift = actions.add_parser("lift", help="end a blackout early")
    lift.add_argument("id", type=_id, metavar="ID")
    _json_flag(lift)


def _access_commands(commands: argparse._SubParsersAction) -> None:
    access = commands.add_parser(
        "access", help="who is acting, and who may use a shared server (see README)"
    )
    actions = access.add_subparsers(dest="access_command", metavar="ACTION", required=True)
    actions.add_parser("show", help="where the actor comes from, and who has access")
    mode = actions.add_parser(
        "mode", help="app: the app names the actor; role: each person's own PostgreSQL role"
    )
    mode.add_argument("source", choices=ACTOR_SOURCES)
    grant = actions.add_parser("grant", help="let a person (a PostgreSQL role) use Spaces")
    grant.add_argument("name", metavar="NAME")
    grant.add_argument(
        "--admin", action="store_true", help="may also cancel any booking and change resources"
    )
    revoke = actions.add_parser("revoke", help="take access away")
    revoke.add_argument("name", metavar="NAME")


def _rehearse_commands(commands: argparse._SubParsersAction) -> None:
    rehearse = commands.add_parser(
        "rehearse", help="rehearsal sessions, each owning its room's reservation"
    )
    actions = rehearse.add_subparsers(dest="rehearse_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="schedule a session and book its room together")
    _period(add)
    add.add_argument("--title", required=True)
    _json_flag(add)
    listing = actions.add_parser("list", help="list sessions (all of them, by start)")
    view = listing.add_mutually_exclusive_group()
    view.add_argument(
        "--flagged",
        action="store_const",
        dest="view",
        const="flagged",
        help="only those whose room Spaces took away",
    )
    view.add_argument(
        "--open",
        action="store_const",
        dest="view",
        const="open",
        help="flagged ones first, then those not yet over",
    )
    listing.set_defaults(view="all")
    _json_flag(listing)
    cancel = actions.add_parser(
        "cancel", help="cancel a session and release its room (closes a flagged one)"
    )
    cancel.add_argument("id", type=_id, metavar="ID")
    cancel.add_argument("--reason", required=True)
    _json_flag(cancel)
    rebook = actions.add_parser(
        "rebook",
        help="book a session again at another time (a flagged one, or to move it): the old"
        " one is cancelled and the new one scheduled together, or neither",
    )
    rebook.add_argument("id", type=_id, metavar="ID")
    rebook.add_argument("start", metavar="START", help="new start, e.g. 2026-12-01T14:00")
    rebook.add_argument("end", metavar="END", help="new end, time of day or duration (+2h)")
    rebook.add_argument("--room", help="another room (default: the same one)")
    rebook.add_argument("--title", help="another title (default: the same one)")
    _json_flag(rebook)
