"""How engine records look on a terminal and in JSON. Times are shown in the resource's zone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from spaces_tui.engine.approvals import Request, describe_event
from spaces_tui.engine.hours import Week
from spaces_tui.engine.insights import Assessment
from spaces_tui.engine.models import (
    Blackout,
    Blocked,
    Event,
    Obstacle,
    Reservation,
    Resource,
    Risk,
)
from spaces_tui.engine.rehearse import Session
from spaces_tui.engine.series import SeriesBooking
from spaces_tui.engine.times import format_duration, format_moment, format_period, in_zone


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def resource_json(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "name": resource.name,
        "kind": resource.kind,
        "module": resource.module,
        "external_ref": resource.external_ref,
        "parent": resource.parent,
        "depth": resource.depth,
        "capacity": resource.capacity,
        "requires_approval": resource.requires_approval,
        "approvers": list(resource.approvers),
        "buffer_minutes": resource.buffer_minutes,
        "timezone": resource.timezone,
        "hours": hours_json(resource.bookable_week),
        "blackout_margin_seconds": int(resource.blackout_margin.total_seconds()),
        "attributes": resource.attributes,
        "active": resource.active,
        "stall_after_seconds": int(resource.stall_after.total_seconds()),
        "problems": resource.problems,
    }


def hours_json(week: Week) -> list[dict[str, Any]]:
    """Bookable hours for machines: one entry per opening, days with the same openings
    together; until at or before from means it ends on the next day, 24:00 at midnight.
    Always open is every day from 00:00 until 24:00."""
    return [
        {"days": window.day_names, "from": window.from_text, "until": window.until_text}
        for window in week.windows()
    ]


def reservation_json(reservation: Reservation) -> dict[str, Any]:
    return {
        "id": reservation.id,
        "status": reservation.status,
        "resource": reservation.resource,
        "start": _iso(reservation.start),
        "end": _iso(reservation.end),
        "title": reservation.title,
        "timezone": reservation.timezone,
        "booked_by": reservation.booked_by,
        "headcount": reservation.headcount,
        "decided_by": reservation.decided_by,
        "decided_at": _iso(reservation.decided_at),
        "decision_note": reservation.decision_note,
        "cancelled_by": reservation.cancelled_by,
        "cancelled_at": _iso(reservation.cancelled_at),
        "cancel_reason": reservation.cancel_reason,
        "created_at": _iso(reservation.created_at),
        "series_id": reservation.series_id,
        "group_id": reservation.group_id,
        "moved_from": reservation.moved_from,
        "moved_to": reservation.moved_to,
    }


def obstacle_json(obstacle: Obstacle) -> dict[str, Any]:
    return {
        "kind": obstacle.kind,
        "id": obstacle.id,
        "resource": obstacle.resource,
        "start": _iso(obstacle.start),
        "end": _iso(obstacle.end),
        "status": obstacle.status,
        "title" if obstacle.kind == "reservation" else "reason": obstacle.title,
        "by": obstacle.who,
        "turnover_only": obstacle.turnover_only,
    }


def blackout_json(blackout: Blackout) -> dict[str, Any]:
    return {
        "id": blackout.id,
        "resource": blackout.resource,
        "start": _iso(blackout.start),
        "end": _iso(blackout.end),
        "kind": blackout.kind,
        "reason": blackout.reason,
        "status": blackout.status,
        "timezone": blackout.timezone,
        "created_by": blackout.created_by,
        "created_at": _iso(blackout.created_at),
        "lifted_by": blackout.lifted_by,
        "lifted_at": _iso(blackout.lifted_at),
    }


def print_json(value: Any, out: TextIO) -> None:
    out.write(json.dumps(value, ensure_ascii=False) + "\n")
    out.flush()


def period_text(start: datetime, end: datetime, zone: str) -> str:
    return f"{format_period(start, end)} {zone}"


def reservation_line(reservation: Reservation) -> str:
    return (
        f"#{reservation.id} {reservation.resource}, "
        f"{period_text(reservation.start, reservation.end, reservation.timezone)}: "
        f"{reservation.title!r} ({reservation.status})"
    )


def link_lines(reservation: Reservation, members: Sequence[Reservation]) -> list[str]:
    """What a reservation goes with: its booking group's other rows, and the bookings a move
    linked it to."""
    lines = [
        f"with {reservation_line(other)} (booking group #{reservation.group_id})"
        for other in members
        if other.id != reservation.id
    ]
    if reservation.moved_from is not None:
        lines.append(f"moved from #{reservation.moved_from}")
    if reservation.moved_to is not None:
        lines.append(f"moved to #{reservation.moved_to}")
    return lines


def obstacle_line(obstacle: Obstacle) -> str:
    when = period_text(obstacle.start, obstacle.end, obstacle.timezone)
    if obstacle.kind == "blackout":
        text = (
            f"blackout #{obstacle.id} on {obstacle.resource}, {when}: {obstacle.title!r} "
            f"(by {obstacle.who})"
        )
    else:
        text = (
            f"reservation #{obstacle.id} on {obstacle.resource}, {when}: {obstacle.title!r} "
            f"({obstacle.status}, booked by {obstacle.who})"
        )
    if obstacle.turnover_only:
        text += " - only its turnover buffer is in the way"
    return text


def blackout_line(blackout: Blackout) -> str:
    status = "" if blackout.status == "active" else f" (lifted by {blackout.lifted_by})"
    return (
        f"#{blackout.id} {blackout.resource}, "
        f"{period_text(blackout.start, blackout.end, blackout.timezone)}: "
        f"{blackout.kind} {blackout.reason!r}{status}"
    )


def event_line(event: Event) -> str:
    subject = (
        f"reservation #{event.reservation_id}"
        if event.reservation_id is not None
        else f"blackout #{event.blackout_id}"
        if event.blackout_id is not None
        else ""
    )
    label = event.payload.get("title") or event.payload.get("reason") or ""
    note = event.payload.get("note")
    stamp = event.created_at.strftime("%Y-%m-%d %H:%M:%S") if event.created_at else ""
    text = f"{event.id:>6} {stamp} {event.topic:<28} {subject} by {event.actor}"
    if label:
        text += f": {label!r}"
    if note:
        text += f" ({note})"
    return text


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Left-aligned columns, two spaces apart; the last column is never padded."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        cells[-1] = str(row[-1])
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def resources_table(resources: Sequence[Resource]) -> str:
    rows = []
    for resource in resources:
        approval = "-"
        if resource.requires_approval:
            approval = ", ".join(resource.approvers) or "NO APPROVER"
        elif resource.approvers:  # approval turned off: its approvers are kept, and shown
            approval = f"off ({', '.join(resource.approvers)})"
        rows.append(
            [
                "  " * resource.depth + resource.name,
                resource.kind,
                str(resource.capacity or "-"),
                approval,
                f"{resource.buffer_minutes}m" if resource.buffer_minutes else "-",
                resource.timezone,
                resource.bookable_week.describe() + ("" if resource.active else "  (inactive)"),
            ]
        )
    return table(rows, ["NAME", "KIND", "CAP", "APPROVAL", "BUFFER", "TIME ZONE", "HOURS"])


def reservations_table(reservations: Sequence[Reservation]) -> str:
    rows = [
        [
            str(r.id),
            r.resource,
            period_text(r.start, r.end, r.timezone),
            r.status,
            r.booked_by,
            r.title,
        ]
        for r in reservations
    ]
    return table(rows, ["ID", "RESOURCE", "WHEN", "STATUS", "BY", "TITLE"])


def request_json(request: Request) -> dict[str, Any]:
    return {
        **reservation_json(request.reservation),
        "approvers": list(request.approvers),
        "may_decide": request.may_decide,
        "waited_seconds": int(request.waited.total_seconds()),
        "stall_after_seconds": int(request.stall_after.total_seconds()),
        "stalled": request.stalled,
        "risks": [risk_json(risk) for risk in request.risks],
        "moved_from_text": request.moved_from,
    }


def assessment_json(found: Assessment) -> dict[str, Any]:
    """`spaces check --json`: free is nothing in the way; bookable is free and the headcount
    fits (the exit code follows bookable); risks never stop a booking."""
    over = found.over_capacity
    return {
        "free": not found.obstacles,
        "bookable": found.bookable,
        "conflicts": [obstacle_json(o) for o in found.obstacles],
        "over_capacity": None if over is None else over.message,
        "risks": [risk_json(risk) for risk in found.risks],
    }


def risk_line(risk: Risk) -> str:
    return f"! {risk.message}"


def risk_json(risk: Risk) -> dict[str, Any]:
    return {
        "kind": risk.kind,
        "message": risk.message,
        "reservation_ids": list(risk.reservation_ids),
        "blackout_ids": list(risk.blackout_ids),
    }


def requests_table(requests: Sequence[Request]) -> str:
    rows = [
        [
            str(r.reservation.id),
            r.reservation.resource,
            period_text(r.reservation.start, r.reservation.end, r.reservation.timezone),
            r.reservation.booked_by,
            format_duration(r.waited) + (" STALLED" if r.stalled else ""),
            ", ".join(r.approvers) or "NO APPROVER",
            "; ".join(
                [
                    repr(r.reservation.title),
                    *_series_note(r.reservation),
                    *([r.moved_from] if r.moved_from else []),
                    *(risk.message for risk in r.risks),
                ]
            ),
        ]
        for r in requests
    ]
    return table(rows, ["ID", "RESOURCE", "WHEN", "BY", "WAITED", "APPROVERS", "TITLE, NOTES"])


def _series_note(reservation: Reservation) -> list[str]:
    if reservation.series_id is None:
        return []
    return [f"series {reservation.series_id} (--series decides all of it)"]


def life_line(event: Event, zone: str) -> str:
    """One line of a reservation's history, at the resource's local time."""
    when = format_moment(in_zone(event.created_at, zone)) if event.created_at else "?"
    return f"{when}  {describe_event(event)}"


def booked_lines(
    booked: Sequence[Reservation], risks: Sequence[Sequence[Risk]], skipped: Sequence[Blocked]
) -> tuple[list[str], list[str]]:
    """What a booking of several rows (a series, a group) says: a line a row and a line a
    skipped occurrence with what was in its way (for stdout), and its risks (for stderr)."""
    lines, warnings = [], []
    for reservation, found in zip(booked, risks, strict=True):
        lines.append("  " + reservation_line(reservation))
        warnings += [f"warning: #{reservation.id}: {risk.message}" for risk in found]
    for blocked in skipped:
        lines.append(f"  skipped {blocked_line(blocked)}")
        lines += ["    " + obstacle_line(obstacle) for obstacle in blocked.obstacles]
    return lines, warnings


def risks_by_reservation(
    booked: Sequence[Reservation], risks: Sequence[Sequence[Risk]]
) -> list[dict[str, Any]]:
    """Each booked row's risks, listed flat, each with its row's id."""
    return [
        {"reservation_id": reservation.id, **risk_json(risk)}
        for reservation, found in zip(booked, risks, strict=True)
        for risk in found
    ]


def blocked_json(blocked: Blocked) -> dict[str, Any]:
    return {
        **({"resource": blocked.resource} if blocked.resource else {}),
        "start": _iso(blocked.start),
        "end": _iso(blocked.end),
        "conflicts": [obstacle_json(o) for o in blocked.obstacles],
    }


def blocked_line(blocked: Blocked) -> str:
    when = period_text(blocked.start, blocked.end, blocked.start.timezone_name or "")
    return f"{blocked.resource}, {when}" if blocked.resource else when


def series_json(booked: SeriesBooking, risks: Sequence[Sequence[Risk]]) -> dict[str, Any]:
    """risks: each booked occurrence's, in order; listed flat, each with its occurrence's id."""
    return {
        "series_id": booked.series_id,
        "status": booked.status,
        "ids": [r.id for r in booked.reservations],
        "skipped": [blocked_json(b) for b in booked.skipped],
        "risks": risks_by_reservation(booked.reservations, risks),
    }


def session_json(session: Session) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "room": session.room,
        "reservation_id": session.reservation_id,
        "start": _iso(session.start),
        "end": _iso(session.end),
        "timezone": session.timezone,
        "status": session.status,
        "flag_reason": session.flag_reason,
        "reservation_status": session.reservation_status,
        "created_by": session.created_by,
    }


def session_line(session: Session) -> str:
    flag = f" FLAGGED: {session.flag_reason}" if session.status == "flagged" else ""
    return (
        f"session {session.id} {session.room}, "
        f"{period_text(session.start, session.end, session.timezone)}: "
        f"{session.title!r} ({session.status}, reservation #{session.reservation_id}){flag}"
    )
