"""`spaces relay`: deliver the event bus to an HTTP endpoint (engine/interop/relay.py does the
work), list the relays with their lag, remove one. `spaces relay` runs until SIGTERM or ctrl+c,
then exits 0 with its position stored."""

from __future__ import annotations

import argparse
import os
import threading
from typing import TYPE_CHECKING, Any

from spaces_tui.cli import render
from spaces_tui.cli.arguments import duration
from spaces_tui.cli.signals import stopped_by_signals
from spaces_tui.engine.errors import BadInput
from spaces_tui.engine.interop import relay as relays
from spaces_tui.engine.interop.names import check_name

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context

SECRET_ENV = "SPACES_RELAY_SECRET"

RELAY_EPILOG = """\
Each event is POSTed as JSON ({id, topic, resource_id, reservation_id, blackout_id, actor,
payload, created_at}) with X-Spaces-Event-Id and X-Spaces-Relay headers, and, with a secret,
X-Spaces-Signature: sha256=<hex HMAC-SHA256 of the body>. A 2xx answer acknowledges it;
anything else, or no answer within --timeout, retries the same event with backoff (0.5s
doubling to 30s): events go in id order, at least once, none skipped. The position is kept
in the database under NAME, so a restart resumes there. Stop with SIGTERM or ctrl+c (exit 0).
  spaces relay --name hook --url https://hooks.example/spaces --topic 'spaces.reservation.*'
  spaces relay list
"""


def _run_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """The options of `spaces relay [run]`; default: None on `relay`, SUPPRESS on `relay run`,
    so that `run`'s own (unset) defaults do not overwrite what `relay` already read."""
    parser.add_argument("--name", metavar="NAME", default=default, help="the relay (its position)")
    parser.add_argument(
        "--url", metavar="URL", default=default, help="where to POST (required for a new NAME)"
    )
    parser.add_argument(
        "--topic",
        dest="topics",
        action="append",
        metavar="PATTERN",
        default=default,
        help="only topics matching this shell-style pattern (repeat for more; default: all)",
    )
    parser.add_argument(
        "--secret",
        metavar="S",
        default=default,
        help=f"sign each body with HMAC-SHA256 (default: ${SECRET_ENV}; none: unsigned)",
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--from-start",
        dest="start",
        action="store_const",
        const="start",
        default=default,
        help="deliver from the first event (a new relay starts from now)",
    )
    start.add_argument(
        "--from-now",
        dest="start",
        action="store_const",
        const="now",
        default=default,
        help="move an existing relay to now, passing over what it has not delivered",
    )
    parser.add_argument(
        "--timeout",
        type=duration("--timeout"),
        metavar="DURATION",
        default=default,
        help="wait this long for an answer before retrying (default 10s)",
    )


def add_relay_commands(commands: argparse._SubParsersAction) -> None:
    relay = commands.add_parser(
        "relay",
        help="deliver every event to an HTTP endpoint, in order, at least once (runs until"
        " stopped); relay list, relay remove",
        epilog=RELAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _run_options(relay, None)
    actions = relay.add_subparsers(dest="relay_command", metavar="ACTION")
    run = actions.add_parser("run", help="the same as `spaces relay` (the default action)")
    _run_options(run, argparse.SUPPRESS)
    listing = actions.add_parser("list", help="each relay's position, lag and last error")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    remove = actions.add_parser("remove", help="forget a relay and its position")
    remove.add_argument("name", metavar="NAME")


def relay_run(ctx: Context, args: argparse.Namespace) -> int:
    if not args.name:
        raise BadInput("relay: give the relay's --name")
    secret = args.secret if args.secret is not None else os.environ.get(SECRET_ENV)
    if secret is not None:
        relays.check_secret(secret)
    timeout = args.timeout.total_seconds() if args.timeout is not None else relays.TIMEOUT
    if not 0 < timeout <= 600:
        raise BadInput("--timeout: between 1s and 10m")
    relay, notes = relays.prepare_relay(ctx.db, args.name, args.url, args.topics, args.start)
    for note in notes:
        ctx.announce(note)
    topics = " ".join(relay.topics) or "every topic"
    signed = "signed" if secret is not None else "unsigned"
    ctx.announce(
        f"relay {relay.name}: delivering {topics} to {relay.url} ({signed}) after event"
        f" {relay.delivered_id}; stop with ctrl+c or SIGTERM"
    )
    stop = threading.Event()
    with stopped_by_signals(stop):
        totals = relays.run_relay(
            ctx.db, relay.name, secret=secret, timeout=timeout, stop=stop, report=ctx.announce
        )
    ctx.announce(
        f"relay {relay.name}: stopped at event {totals.position} ({totals.delivered} delivered,"
        f" {totals.passed_over} passed over)"
    )
    return 0


def relay_state_json(state: relays.RelayState) -> dict[str, Any]:
    relay = state.relay
    return {
        "name": relay.name,
        "url": relay.url,
        "topics": relay.topics,
        "position": relay.delivered_id,
        "newest_id": state.newest_id,
        "lag_events": state.lag_events,
        "lag_seconds": round(state.lag_seconds, 3),
        "delivered_at": render._iso(relay.delivered_at),
        "last_attempt_at": render._iso(relay.last_attempt_at),
        "last_error": relay.last_error,
    }


def relay_list(ctx: Context, args: argparse.Namespace) -> int:
    states = relays.list_relays(ctx.db)
    if args.json:
        render.print_json([relay_state_json(state) for state in states], ctx.out)
        return 0
    if not states:
        ctx.say("No relays. Start one with: spaces relay --name NAME --url URL")
        return 0
    for state in states:
        relay = state.relay
        topics = " ".join(relay.topics) or "every topic"
        ctx.say(
            f"{relay.name}  {relay.url}  ({topics})  at {relay.delivered_id} of"
            f" {state.newest_id}: {state.lag_events} behind, {state.lag_seconds:.0f}s"
        )
        if relay.last_error:
            ctx.say(f"  last error: {relay.last_error}")
    return 0


def relay_remove(ctx: Context, args: argparse.Namespace) -> int:
    removed = relays.remove_relay(ctx.db, check_name(args.name, "relay"))
    ctx.say(f"Removed relay {removed.name} (it was at event {removed.delivered_id}).")
    return 0
