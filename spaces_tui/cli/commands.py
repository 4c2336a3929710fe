"""One function per command: call the engine, print the answer, return the exit code."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TextIO

import pendulum
import psycopg

from spaces_tui.cli import render
from spaces_tui.cli.export import export_ical
from spaces_tui.cli.feeds import feed_add, feed_list, feed_revoke, serve
from spaces_tui.cli.groups import book_group, cancel_group, move
from spaces_tui.cli.importing import import_ical
from spaces_tui.cli.planning import find, free
from spaces_tui.cli.relay import relay_list, relay_remove, relay_run
from spaces_tui.cli.report import report_utilization
from spaces_tui.config import Settings
from spaces_tui.db import embedded, migrations
from spaces_tui.db.connection import Database
from spaces_tui.db.errors import DatabaseUnavailable
from spaces_tui.db.open import (
    database_url,
    ensure_schema,
    open_database,
    schema_state,
    server_version,
    where,
)
from spaces_tui.engine import (
    access,
    approvals,
    blackouts,
    events,
    groups,
    insights,
    rehearse,
    reservations,
    resources,
    series,
)
from spaces_tui.engine.demo import load_demo
from spaces_tui.engine.errors import BadInput, SpacesError, quoted
from spaces_tui.engine.hours import Week, parse_week
from spaces_tui.engine.models import Event, Reservation, Resource, Risk
from spaces_tui.engine.times import local_zone

EXIT_OK = 0
EXIT_CONFLICT = 3


class Context:
    """What a command needs: the settings, the streams, and the database, opened on first use."""

    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        self.settings = settings
        self.out = out
        self.err = err
        self._db: Database | None = None

    def announce(self, message: str) -> None:
        self.err.write(message + "\n")
        self.err.flush()

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self.settings, self.announce)
            access.adopt_effective_actor(self._db, self.announce)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()

    def say(self, text: str) -> None:
        self.out.write(text + "\n")

    @property
    def zone(self) -> str:
        return self.settings.timezone or local_zone()


Command = Callable[[Context, argparse.Namespace], int]


# --- db -------------------------------------------------------------------------------------


def db_url(ctx: Context, args: argparse.Namespace) -> int:
    ctx.say(database_url(ctx.settings, ctx.announce))
    return EXIT_OK


def db_upgrade(ctx: Context, args: argparse.Namespace) -> int:
    db = open_database(ctx.settings, ctx.announce, migrate=False)
    try:
        found = ensure_schema(db, ctx.announce)
    finally:
        db.dispose()
    head = migrations.HEAD
    if found.up_to_date:
        ctx.say(f"The schema is up to date (revision {head}).")
    elif found.revision == head:
        ctx.say(f"Applied the changed rules ({', '.join(found.stale_rules)}) at revision {head}.")
    else:
        ctx.say(f"Upgraded the schema from {found.revision or 'nothing'} to revision {head}.")
    return EXIT_OK


def db_status(ctx: Context, args: argparse.Namespace) -> int:
    db = open_database(ctx.settings, ctx.announce, migrate=False)
    try:
        version = server_version(db)
        state = schema_state(db)
    finally:
        db.dispose()
    revision = state.revision
    ctx.say(f"database:  {where(ctx.settings)}")
    ctx.say(f"url:       {db.url}")
    ctx.say(f"server:    PostgreSQL {version}")
    ctx.say(f"schema:    {revision or 'none'} ({state.describe()})")
    ctx.say(f"actor:     {ctx.settings.actor}")
    return EXIT_OK


def db_stop(ctx: Context, args: argparse.Namespace) -> int:
    if not ctx.settings.embedded:
        raise BadInput(
            "the database is a server named by URL, not the embedded one; nothing to stop"
        )
    if embedded.stop(ctx.settings.data_dir):
        ctx.say(f"Stopped the embedded server in {embedded.pgdata_path(ctx.settings.data_dir)}.")
        ctx.err.write(
            "note: a calendar or `spaces events --follow` still open starts it again when it"
            " next connects, as any spaces command does\n"
        )
    else:
        ctx.say("The embedded server was not running.")
    return EXIT_OK


# --- resources ------------------------------------------------------------------------------


def _hours(args: argparse.Namespace) -> Week | None:
    """The week every --hours given describes together, read before anything is written."""
    return parse_week(args.hours) if args.hours else None


def resource_add(ctx: Context, args: argparse.Namespace) -> int:
    hours = _hours(args)
    unfamiliar = resources.new_kind_warning(ctx.db, args.kind)  # asked before it is in use
    resource = resources.add_resource(
        ctx.db,
        args.name,
        args.kind,
        parent=args.parent,
        capacity=args.capacity,
        requires_approval=args.approval,  # any --approver too: the engine's rule
        approvers=args.approver,
        buffer_minutes=args.buffer,
        timezone=args.tz,
        stall_after=args.stall_after,
        hours=hours,
        blackout_margin=args.blackout_margin,
    )
    _print_resource(ctx, args, resource, "Added", hours_given=hours is not None)
    if unfamiliar is not None:
        ctx.err.write(f"warning: {unfamiliar}\n")
    return EXIT_OK


def resource_set(ctx: Context, args: argparse.Namespace) -> int:
    hours = _hours(args)
    current = resources.get_resource(ctx.db, args.name)
    changes: dict[str, object] = {}
    if args.rename is not None:
        changes["name"] = args.rename
    if args.kind is not None:
        changes["kind"] = args.kind
    if args.parent is not None or args.no_parent:
        changes["parent"] = args.parent
    if args.capacity is not None:
        changes["capacity"] = args.capacity
    if args.approval is not None:
        changes["requires_approval"] = args.approval
    if args.approver:
        changes["add_approvers"] = args.approver  # and approval on: the engine's rule
    if args.remove_approver:
        changes["remove_approvers"] = args.remove_approver
    if args.buffer is not None:
        changes["buffer_minutes"] = args.buffer
    if args.tz is not None:
        changes["timezone"] = args.tz
    if args.active is not None:
        changes["active"] = args.active
    if args.stall_after is not None:
        changes["stall_after"] = args.stall_after
    if hours is not None:
        changes["hours"] = hours
    if args.blackout_margin is not None:
        changes["blackout_margin"] = args.blackout_margin
    if not changes:
        raise BadInput("nothing to change: give at least one option (see spaces resource set -h)")
    resource = resources.update_resource(ctx.db, current.id, **changes)
    _print_resource(ctx, args, resource, "Changed", hours_given=hours is not None)
    if current.requires_approval and not resource.requires_approval:
        _still_pending(ctx, resource)
    return EXIT_OK


def _still_pending(ctx: Context, resource: Resource) -> None:
    """Turning approval off confirms nothing by itself: say what is still waiting."""
    waiting = resources.pending_count(ctx.db, resource.id)
    if waiting:
        ctx.err.write(
            f"note: {waiting} request{'s stay' if waiting != 1 else ' stays'} pending"
            f" on {resource.name} until an approver decides (spaces pending)\n"
        )


def _print_resource(
    ctx: Context,
    args: argparse.Namespace,
    resource: Resource,
    verb: str,
    *,
    hours_given: bool = False,
) -> None:
    if args.json:
        render.print_json(render.resource_json(resource), ctx.out)
        return
    ctx.say(f"{verb} {resource.kind} {resource.name!r} (id {resource.id}).")
    if hours_given:  # the hours as read back: a day left out is closed, which may surprise
        ctx.say(f"Bookable hours: {resource.hours_text}.")
    for problem in resource.problems:
        ctx.err.write(f"warning: {resource.name}: {problem}\n")


def resource_list(ctx: Context, args: argparse.Namespace) -> int:
    listed = resources.list_resources(ctx.db)
    if args.json:
        render.print_json([render.resource_json(r) for r in listed], ctx.out)
        return EXIT_OK
    if not listed:
        ctx.say("No resources yet. Add one: spaces resource add 'Room 1' --kind room")
        return EXIT_OK
    ctx.say(render.resources_table(listed))
    for resource in listed:
        for problem in resource.problems:
            ctx.err.write(f"warning: {resource.name}: {problem}\n")
    return EXIT_OK


# --- reservations ---------------------------------------------------------------------------


def check(ctx: Context, args: argparse.Namespace) -> int:
    found = insights.assess(ctx.db, args.resource, args.start, args.end, args.headcount)
    if args.json:
        render.print_json(render.assessment_json(found), ctx.out)
        return EXIT_OK if found.bookable else EXIT_CONFLICT
    name = found.resource.name
    if found.obstacles:
        ctx.say(f"{name} is not free; in the way:")
        for obstacle in found.obstacles:
            ctx.say("  " + render.obstacle_line(obstacle))
    if found.over_capacity is not None:
        ctx.say(f"{name} cannot be booked for them: {found.over_capacity.message}.")
    if found.bookable:
        ctx.say(f"{name} is free then.")
    if found.risks:
        ctx.say("Worth a look:")
        for risk in found.risks:
            ctx.say("  " + render.risk_line(risk))
    return EXIT_OK if found.bookable else EXIT_CONFLICT


def book(ctx: Context, args: argparse.Namespace) -> int:
    if len(args.resources) > 1:
        return book_group(ctx, args, _risks_of_booked)
    [args.resource] = args.resources
    if args.rrule is not None:
        return book_series(ctx, args)
    if args.until or args.exceptions or args.skip_conflicts:
        raise BadInput("--until, --except and --skip-conflicts go with --rrule")
    reservation = reservations.book(
        ctx.db, args.resource, args.start, args.end, args.title, args.headcount
    )
    [risks] = _risks_of_booked(ctx, [reservation])
    if args.json:
        render.print_json(
            {
                **render.reservation_json(reservation),
                "risks": [render.risk_json(risk) for risk in risks],
            },
            ctx.out,
        )
    else:
        ctx.say(f"Booked {render.reservation_line(reservation)}")
        if reservation.status == "pending":
            approvers = resources.get_resource(ctx.db, reservation.resource_id).approvers
            ctx.say(
                f"It waits for approval by {', '.join(approvers) or 'an approver (none set!)'}."
            )
        for risk in risks:
            ctx.err.write(f"warning: {risk.message}\n")
    return EXIT_OK


def _risks_of_booked(ctx: Context, booked: Sequence[Reservation]) -> list[list[Risk]]:
    """The risks of what was just booked. Asked after the booking, beside it: if asking fails,
    the booking stands, and the command says so rather than failing (no risks are listed)."""
    try:
        return insights.booking_risks(ctx.db, [insights.Asked.booked(r) for r in booked])
    except (SpacesError, DatabaseUnavailable, psycopg.Error) as error:
        ctx.err.write(f"warning: booked, but its risks could not be asked for: {error}\n")
        return [[] for _ in booked]


def book_series(ctx: Context, args: argparse.Namespace) -> int:
    booked = series.book_series(
        ctx.db,
        args.resource,
        args.start,
        args.end,
        args.title,
        args.rrule,
        until=args.until,
        exceptions=args.exceptions,
        skip_conflicts=args.skip_conflicts,
        headcount=args.headcount,
    )
    risks = _risks_of_booked(ctx, booked.reservations)
    if args.json:
        render.print_json(render.series_json(booked, risks), ctx.out)
        return EXIT_OK
    count = len(booked.reservations)
    ctx.say(
        f"Booked series #{booked.series_id}: {count} occurrence{'s' if count != 1 else ''}"
        f" ({booked.status})"
    )
    lines, warnings = render.booked_lines(booked.reservations, risks, booked.skipped)
    for line in lines:
        ctx.say(line)
    for warning in warnings:
        ctx.err.write(warning + "\n")
    return EXIT_OK


def list_reservations(ctx: Context, args: argparse.Namespace) -> int:
    statuses = {
        "active": reservations.ACTIVE,
        "all": reservations.STATUSES,
    }.get(args.status, (args.status,))
    start = args.start
    if start is None and args.end is None and args.search is None:
        # By default what is on now and coming up; a search looks through all time, since the
        # booking looked for is as likely to be last month's as next month's.
        start = pendulum.now("UTC")
    listed = reservations.list_reservations(
        ctx.db,
        resource=args.resource,
        start=start,
        end=args.end,
        statuses=statuses,
        zone=ctx.zone,
        search=args.search,
    )
    if args.json:
        render.print_json([render.reservation_json(r) for r in listed], ctx.out)
    elif listed:
        ctx.say(render.reservations_table(listed))
    elif args.search is not None:
        ctx.say(f"No reservations match {quoted(args.search.strip())}.")
    else:
        ctx.say("No reservations in that window.")
    return EXIT_OK


def _decision(action: Callable[..., Reservation], status: str, verb: str) -> Command:
    """approve, reject or cancel: one reservation, or (--following, --series) several
    occurrences of its series as one request."""

    def command(ctx: Context, args: argparse.Namespace) -> int:
        note = getattr(args, "reason", None) or getattr(args, "note", None)
        if getattr(args, "group", False):
            if args.scope is not None:
                raise BadInput(
                    "--group cancels one booking group; --following and --series"
                    " cancel occurrences of a series"
                )
            return cancel_group(ctx, args)
        if args.scope is None:
            changed = [action(ctx.db, args.id, note)]
        else:
            changed = series.change_series(ctx.db, args.id, status, note, scope=args.scope)
        if args.json:
            shown = [render.reservation_json(r) for r in changed]
            render.print_json(shown if args.scope else shown[0], ctx.out)
        else:
            for reservation in changed:
                ctx.say(f"{verb} {render.reservation_line(reservation)}")
        return EXIT_OK

    return command


approve = _decision(reservations.approve, "confirmed", "Approved")
reject = _decision(reservations.reject, "rejected", "Rejected")
cancel = _decision(reservations.cancel, "cancelled", "Cancelled")


def pending(ctx: Context, args: argparse.Namespace) -> int:
    waiting = approvals.pending_requests(
        ctx.db,
        mine_only=args.mine,
        requested_only=args.requested,
        stalled_only=args.stalled,
        older_than=args.older_than,
        sort=args.sort,
    )
    if args.json:
        render.print_json([render.request_json(request) for request in waiting], ctx.out)
    elif waiting:
        ctx.say(render.requests_table(waiting))
    else:
        ctx.say(
            "Nothing has been waiting that long."
            if args.stalled or args.older_than
            else "Nothing you asked for is waiting for a decision."
            if args.requested
            else "Nothing is waiting for a decision."
        )
    return EXIT_OK


def history(ctx: Context, args: argparse.Namespace) -> int:
    reservation, happened = approvals.life(ctx.db, args.id)
    members = (
        [] if reservation.group_id is None else groups.group_rows(ctx.db, reservation.group_id)
    )
    if args.json:
        render.print_json(
            {
                "reservation": render.reservation_json(reservation),
                "group": [render.reservation_json(r) for r in members],
                "history": [events.as_json(event) for event in happened],
            },
            ctx.out,
        )
        return EXIT_OK
    ctx.say(render.reservation_line(reservation))
    for line in render.link_lines(reservation, members):
        ctx.say("  " + line)
    for event in happened:
        ctx.say(render.life_line(event, reservation.timezone))
    return EXIT_OK


# --- blackouts ------------------------------------------------------------------------------


def blackout_add(ctx: Context, args: argparse.Namespace) -> int:
    blackout, cancelled = blackouts.add_blackout(
        ctx.db,
        args.resource,
        args.start,
        args.end,
        args.reason,
        kind=args.kind,
        cancel_conflicting=args.cancel_conflicting,
    )
    if args.json:
        payload = render.blackout_json(blackout)
        payload["cancelled"] = [render.reservation_json(r) for r in cancelled]
        render.print_json(payload, ctx.out)
        return EXIT_OK
    ctx.say(f"Blacked out {render.blackout_line(blackout)}")
    for reservation in cancelled:
        ctx.say(f"  cancelled {render.reservation_line(reservation)}")
    return EXIT_OK


def blackout_list(ctx: Context, args: argparse.Namespace) -> int:
    statuses = blackouts.STATUSES if args.all else ("lifted",) if args.lifted else ("active",)
    listed = blackouts.list_blackouts(
        ctx.db,
        resource=args.resource,
        statuses=statuses,
        kinds=args.kind or blackouts.KINDS,
        start=args.start,
        end=args.end,
        zone=ctx.zone,
    )
    if args.json:
        render.print_json([render.blackout_json(b) for b in listed], ctx.out)
    elif listed:
        for blackout in listed:
            ctx.say(render.blackout_line(blackout))
    else:
        ctx.say("No blackouts.")
    return EXIT_OK


def blackout_lift(ctx: Context, args: argparse.Namespace) -> int:
    blackout = blackouts.lift_blackout(ctx.db, args.id)
    if args.json:
        render.print_json(render.blackout_json(blackout), ctx.out)
    else:
        ctx.say(f"Lifted {render.blackout_line(blackout)}")
    return EXIT_OK


# --- rehearse -----------------------------------------------------------------------------


def rehearse_add(ctx: Context, args: argparse.Namespace) -> int:
    session = rehearse.add_session(ctx.db, args.resource, args.start, args.end, args.title)
    _print_session(ctx, args, session, "Scheduled")
    return EXIT_OK


def rehearse_list(ctx: Context, args: argparse.Namespace) -> int:
    listed = rehearse.list_sessions(ctx.db, view=args.view)
    if args.json:
        render.print_json([render.session_json(s) for s in listed], ctx.out)
    elif listed:
        for session in listed:
            ctx.say(render.session_line(session))
    else:
        ctx.say(NO_SESSIONS[args.view])
    return EXIT_OK


NO_SESSIONS = {
    "all": "No rehearsal sessions.",
    "flagged": "No flagged sessions.",
    "open": "No flagged or upcoming sessions.",
}


def rehearse_rebook(ctx: Context, args: argparse.Namespace) -> int:
    session = rehearse.replace_session(
        ctx.db, args.id, args.start, args.end, room=args.room, title=args.title
    )
    _print_session(ctx, args, session, "Rebooked as")
    return EXIT_OK


def rehearse_cancel(ctx: Context, args: argparse.Namespace) -> int:
    session = rehearse.cancel_session(ctx.db, args.id, args.reason)
    _print_session(ctx, args, session, "Cancelled")
    return EXIT_OK


def _print_session(
    ctx: Context, args: argparse.Namespace, session: rehearse.Session, verb: str
) -> None:
    if args.json:
        render.print_json(render.session_json(session), ctx.out)
    else:
        ctx.say(f"{verb} {render.session_line(session)}")


# --- access -------------------------------------------------------------------------------


def access_show(ctx: Context, args: argparse.Namespace) -> int:
    shown = access.show_access(ctx.db)
    source = {
        "app": "the app names the actor (--as, SPACES_ACTOR, your user name)",
        "role": "each person's own PostgreSQL role; --as and SPACES_ACTOR are ignored",
    }[shown.actor_source]
    ctx.say(f"actor:   {source}")
    ctx.say(f"you:     {ctx.db.actor}")
    if not shown.grants:
        ctx.say("access:  nobody granted yet (spaces access grant NAME)")
    for grant in shown.grants:
        role = " (admin)" if grant.admin else ""
        ctx.say(f"access:  {grant.name}{role}, granted by {grant.granted_by}")
    return EXIT_OK


def access_mode(ctx: Context, args: argparse.Namespace) -> int:
    access.set_actor_source(ctx.db, args.source)
    if args.source == "role":
        ctx.say(
            "The actor is now each connection's PostgreSQL role. Give people access with:"
            " spaces access grant ROLE"
        )
    else:
        ctx.say("The actor is now whoever the app names (--as, SPACES_ACTOR, your user name).")
    return EXIT_OK


def access_grant(ctx: Context, args: argparse.Namespace) -> int:
    access.grant_access(ctx.db, args.name, admin=args.admin)
    ctx.say(f"{args.name} has access{' as an admin' if args.admin else ''}.")
    return EXIT_OK


def access_revoke(ctx: Context, args: argparse.Namespace) -> int:
    access.revoke_access(ctx.db, args.name)
    ctx.say(f"{args.name} no longer has access.")
    return EXIT_OK


# --- events ---------------------------------------------------------------------------------


def show_events(ctx: Context, args: argparse.Namespace) -> int:
    def emit(event: Event) -> None:
        if args.json:
            render.print_json(events.as_json(event), ctx.out)
        else:
            ctx.say(render.event_line(event))
            ctx.out.flush()

    if not args.follow:
        since = args.since or 0
        while batch := events.events_since(ctx.db, since):
            for event in batch:
                emit(event)
            since = batch[-1].id
        return EXIT_OK

    since = args.since if args.since is not None else events.latest_event_id(ctx.db)

    lost = False

    def disconnected(error: Exception, retry_in: float) -> None:
        nonlocal lost
        lost = True
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        ctx.err.write(f"lost the database ({reason}); retrying in {retry_in:.1f}s\n")
        ctx.err.flush()

    def connected() -> None:
        nonlocal lost
        if lost:
            lost = False
            ctx.err.write("connected again; catching up\n")
            ctx.err.flush()

    for event in events.follow(ctx.db, since, on_disconnect=disconnected, on_connect=connected):
        emit(event)
    return EXIT_OK  # not reached: follow runs until interrupted


# --- demo -----------------------------------------------------------------------------------


def demo(ctx: Context, args: argparse.Namespace) -> int:
    summary = load_demo(
        ctx.db,
        today=pendulum.today(ctx.zone).date(),
        zone=ctx.zone,
        reset=args.reset,
        progress=ctx.announce,
    )
    ctx.say(
        f"Loaded the demo venue: {summary.resources} resources, {summary.reservations}"
        f" reservations, {summary.blackouts} blackouts and {summary.sessions} rehearsal"
        f" sessions around today ({ctx.zone})."
    )
    ctx.say("Open the calendar with: spaces")
    return EXIT_OK


# --- the calendar -------------------------------------------------------------------------


def calendar(ctx: Context, args: argparse.Namespace) -> int:
    from spaces_tui.tui.launch import open_calendar  # Textual loads only when it is wanted

    return open_calendar(ctx.settings, ctx.announce)


COMMANDS: dict[tuple[str | None, str | None], Command] = {
    (None, None): calendar,
    ("db", "url"): db_url,
    ("db", "upgrade"): db_upgrade,
    ("db", "status"): db_status,
    ("db", "stop"): db_stop,
    ("resource", "add"): resource_add,
    ("resource", "set"): resource_set,
    ("resource", "list"): resource_list,
    ("check", None): check,
    ("free", None): free,
    ("find", None): find,
    ("book", None): book,
    ("list", None): list_reservations,
    ("approve", None): approve,
    ("reject", None): reject,
    ("cancel", None): cancel,
    ("move", None): move,
    ("pending", None): pending,
    ("history", None): history,
    ("blackout", "add"): blackout_add,
    ("blackout", "list"): blackout_list,
    ("blackout", "lift"): blackout_lift,
    ("rehearse", "add"): rehearse_add,
    ("rehearse", "list"): rehearse_list,
    ("rehearse", "cancel"): rehearse_cancel,
    ("rehearse", "rebook"): rehearse_rebook,
    ("access", "show"): access_show,
    ("access", "mode"): access_mode,
    ("access", "grant"): access_grant,
    ("access", "revoke"): access_revoke,
    ("report", "utilization"): report_utilization,
    ("export", "ical"): export_ical,
    ("feed", "add"): feed_add,
    ("feed", "list"): feed_list,
    ("feed", "revoke"): feed_revoke,
    ("serve", None): serve,
    ("import", "ical"): import_ical,
    ("events", None): show_events,
    ("relay", None): relay_run,
    ("relay", "run"): relay_run,
    ("relay", "list"): relay_list,
    ("relay", "remove"): relay_remove,
    ("demo", None): demo,
}
