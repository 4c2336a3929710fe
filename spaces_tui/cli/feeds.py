"""`spaces feed add | list | revoke` (engine/interop/feeds.py) and `spaces serve`, which serves
the feeds over HTTP (engine/interop/serve.py) until SIGTERM or ctrl+c, then exits 0."""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING
from urllib.parse import quote

from spaces_tui.cli import render
from spaces_tui.cli.export import which_bookings
from spaces_tui.cli.signals import stopped_by_signals
from spaces_tui.engine.errors import BadInput, quoted
from spaces_tui.engine.interop import feeds
from spaces_tui.engine.interop.names import check_name

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context

DEFAULT_BASE_URL = "http://127.0.0.1:8086"

FEED_EPILOG = """\
A feed is `spaces export ical` with its filters kept under a name and its window rolling (30
days back to a year on, from the day of each request). `feed add` prints its URL once, with a
long random key; only the key's SHA-256 is stored, so a lost key means a new feed. Serve the
feeds with `spaces serve`, and subscribe to the URL (webcal:// or https://) from a phone.
  spaces feed add stage --under "Main Stage" --blackouts --base-url https://spaces.example
  spaces feed list
  spaces feed revoke stage
"""


def add_feed_commands(commands: argparse._SubParsersAction) -> None:
    feed = commands.add_parser(
        "feed",
        help="a live iCalendar feed a phone can subscribe to: feed add, list, revoke",
        epilog=FEED_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = feed.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="make a feed and print its URL (with its key, once)")
    add.add_argument("name", metavar="NAME")
    which_bookings(add)
    add.add_argument(
        "--status",
        choices=feeds.STATUS_CHOICES,
        default="active",
        help="which ones (default: active = pending and confirmed)",
    )
    add.add_argument("--blackouts", action="store_true", help="add the blackouts there")
    add.add_argument(
        "--base-url",
        default=DEFAULT_BASE_URL,
        metavar="URL",
        help=f"where `spaces serve` is reached (default {DEFAULT_BASE_URL})",
    )
    add.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing = actions.add_parser("list", help="the feeds and their filters (never their keys)")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    revoke = actions.add_parser("revoke", help="stop a feed: its URL answers 404 from now on")
    revoke.add_argument("name", metavar="NAME")

    serve = commands.add_parser(
        "serve",
        help="serve the feeds over HTTP (runs until stopped; loopback by default)",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=_port, default=8086, help="port (default 8086)")
    serve.add_argument(
        "--rate",
        type=_rate,
        default=60,
        metavar="N",
        help="requests a minute per client address before 429 (default 60)",
    )


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise BadInput(f"--port {quoted(text)}: a port from 0 to 65535")
    return int(text)


def _rate(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise BadInput(f"--rate {quoted(text)}: a number from 1 to 100000")
    return int(text)


def _base_url(text: str) -> str:
    base = text.strip().rstrip("/")
    if not base.startswith(("http://", "https://")) or len(base) <= len("https://"):
        raise BadInput(f"--base-url {quoted(text)}: an http:// or https:// URL")
    return base


def feed_add(ctx: Context, args: argparse.Namespace) -> int:
    base = _base_url(args.base_url)
    name = check_name(args.name, "feed")
    filters = feeds.make_filters(
        resources=args.resources,
        kind=args.kind,
        under=args.under,
        # The actor's name, not "whoever asks": a feed keeps meaning that person.
        booked_by=ctx.db.actor if args.mine else args.booked_by,
        status=args.status,
        blackouts=args.blackouts,
    )
    feed, key = feeds.add_feed(ctx.db, name, filters)
    url = f"{base}/feeds/{quote(feed.name)}.ics?key={key}"
    if args.json:
        render.print_json({"name": feed.name, "url": url, "filters": feed.filters}, ctx.out)
    else:
        ctx.say(url)
        ctx.announce(f"Made feed {feed.name}: the key is shown only now (only its hash is kept).")
    return 0


def feed_list(ctx: Context, args: argparse.Namespace) -> int:
    found = feeds.list_feeds(ctx.db)
    if args.json:
        render.print_json(
            [
                {
                    "name": f.name,
                    "filters": f.filters,
                    "created_by": f.created_by,
                    "created_at": render._iso(f.created_at),
                    "revoked_at": render._iso(f.revoked_at),
                }
                for f in found
            ],
            ctx.out,
        )
        return 0
    if not found:
        ctx.say("No feeds. Make one with: spaces feed add NAME")
        return 0
    for f in found:
        shown = " ".join(f"{k}={v}" for k, v in sorted(f.filters.items())) or "everything"
        state = " (revoked)" if f.revoked_at is not None else ""
        ctx.say(f"{f.name}{state}  {shown}  by {f.created_by}")
    return 0


def feed_revoke(ctx: Context, args: argparse.Namespace) -> int:
    feed = feeds.revoke_feed(ctx.db, args.name)
    ctx.say(f"Revoked feed {feed.name}: its URL answers 404 from now on.")
    return 0


def serve(ctx: Context, args: argparse.Namespace) -> int:
    from spaces_tui.engine.interop import serve as serving  # uvicorn loads only here

    db = ctx.db  # opened (and migrated) before listening: a bad database fails here
    try:
        server = serving.FeedServer(db, args.host, args.port, rate=args.rate, log=ctx.announce)
    except OSError as error:
        raise BadInput(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ctx.announce(f"note: listening on {args.host}, not only loopback: put TLS in front")
    ctx.announce(f"serving feeds on {server.url}; stop with ctrl+c or SIGTERM")
    stop = threading.Event()
    with stopped_by_signals(stop):
        serving.serve(server, stop)
    ctx.announce("stopped")
    return 0
