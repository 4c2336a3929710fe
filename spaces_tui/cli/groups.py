"""Bookings that go together: `spaces book R1 R2 …` (one booking group, all or nothing),
`spaces cancel ID --group` and `spaces move ID START END`. What they do is the engine's
(engine/groups.py, engine/moves.py); this module reads the options and says what happened."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from spaces_tui.cli import render
from spaces_tui.engine import groups, moves
from spaces_tui.engine.models import Reservation, Risk

if TYPE_CHECKING:
    from spaces_tui.cli.commands import Context

RisksOf = Callable[["Context", Sequence[Reservation]], list[list[Risk]]]


def book_group(ctx: Context, args: argparse.Namespace, risks_of: RisksOf) -> int:
    booked = groups.book_group(
        ctx.db,
        args.resources,
        args.start,
        args.end,
        args.title,
        headcount=args.headcount,
        rule=args.rrule,
        until=args.until,
        exceptions=args.exceptions,
        skip_conflicts=args.skip_conflicts,
    )
    risks = risks_of(ctx, booked.reservations)
    if args.json:
        render.print_json(_group_json(booked, risks, recurring=args.rrule is not None), ctx.out)
        return 0
    count = len(booked.group_ids)
    what = f"group #{booked.group_ids[0]}" if count == 1 else f"{count} groups, one an occurrence"
    ctx.say(f"Booked {what} ({booked.status}):")
    lines, warnings = render.booked_lines(booked.reservations, risks, booked.skipped)
    for line in lines:
        ctx.say(line)
    for warning in warnings:
        ctx.err.write(warning + "\n")
    if booked.status == "pending":
        ctx.say("The group waits until every row is approved; a rejection releases the rest.")
    return 0


def _group_json(
    booked: groups.GroupBooking, risks: Sequence[Sequence[Risk]], *, recurring: bool
) -> dict[str, Any]:
    shown: dict[str, Any] = (
        {"group_ids": booked.group_ids, "series_ids": booked.series_ids}
        if recurring
        else {"group_id": booked.group_ids[0]}
    )
    return shown | {
        "ids": [r.id for r in booked.reservations],
        "status": booked.status,
        "reservations": [render.reservation_json(r) for r in booked.reservations],
        "skipped": [render.blocked_json(b) for b in booked.skipped],
        "risks": render.risks_by_reservation(booked.reservations, risks),
    }


def cancel_group(ctx: Context, args: argparse.Namespace) -> int:
    cancelled = groups.cancel_group(ctx.db, args.id, args.reason)
    if args.json:
        render.print_json([render.reservation_json(r) for r in cancelled], ctx.out)
    else:
        for reservation in cancelled:
            ctx.say(f"Cancelled {render.reservation_line(reservation)}")
    return 0


def move(ctx: Context, args: argparse.Namespace) -> int:
    moved = moves.move(
        ctx.db, args.id, args.start, args.end, resource=args.resource, scope=args.scope
    )
    if args.json:
        render.print_json(
            {
                "moved": [{"from": old.id, "to": new.id} for old, new in moved.pairs],
                "ids": [new.id for new in moved.replacements],
                "status": groups.group_status(moved.replacements),
                "reservations": [render.reservation_json(r) for r in moved.replacements],
            },
            ctx.out,
        )
        return 0
    for old, new in moved.pairs:
        ctx.say(f"Moved #{old.id} to {render.reservation_line(new)}")
    if any(new.status == "pending" for new in moved.replacements):
        ctx.say("It waits for approval again.")
    return 0
