"""Every key, in one place."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from spaces_tui.tui.glyphs import GLYPHS as G
from spaces_tui.tui.screen_base import SpacesModal
from spaces_tui.tui.timeline import legend_help

KEYS = f"""\
[b]Timeline[/b]
  {G.arrows}  h j k l   move the cursor (a resource and a stretch of time)
  pgup / pgdn     move ten resources up or down
  home / end      first or last column of the day or week
  [ ]  or  , .    previous / next day (or week)
  t               today
  d / w           day view / week view
  z               zoom: 30 or 15 min a column (day), 3 h or 30 min (week)
  g               go to a date
  /               filter resources by name or kind (escape clears)
  enter           open what is under the cursor, or book the free slot
  double-click    the same, with the mouse
  n               new booking (at the cursor's resource and time)
  x               cancel the booking under the cursor (asks why)
  r               reload now (changes also arrive by themselves)

[b]Booking form[/b]
  tab / shift+tab move between fields; the hint says what is in the way
  ctrl+s or enter book it        escape  close without booking

[b]Details[/b]
  a approve  r reject  c cancel  l lift a blackout  escape back

[b]Approval queue[/b] (a)
  {G.updown}  j k         move between requests
  y               approve the request (or every marked one)
  r               reject it (or every marked one): asks why
  space           mark / unmark the request and move on
  enter           open its details and history; on a series ({G.closed} {G.times}N) list its
                  occurrences, to decide them one by one (y/r on {G.closed} decide all)
  f               filter: awaiting you / all pending
  s               sort: oldest first, by resource, by start time
  escape          back to the timeline
  {G.stalled} stalled: waited longer than its resource allows; ! what to check first

[b]Rehearsal sessions[/b] (S)
  {G.updown}  j k         move between sessions
  n               new session; on a flagged one ({G.flagged}), book it again (new time)
  x               cancel the session and release its room; closes a flagged one
  enter           its room booking's details and history
  f               view: flagged and upcoming / flagged / all
  escape          back to the timeline
  {G.flagged} flagged: Spaces cancelled its room (a cancel, a blackout); {G.cancelled} cancelled

[b]Anywhere[/b]
  a               the approval queue (the timeline says how many await you)
  b               blackouts: s status  k kind  / resource  n new  l lift
  R               resources: p approval  + / - approver  t stall threshold
  S               rehearsal sessions (the timeline says how many are flagged)
  ctrl+p          command palette: jump to a resource, go to a date, new booking,
                  the approval queue and the other screens
  ?               this help        q  quit

""" + legend_help(G)


class HelpScreen(SpacesModal[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss(None)", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static(KEYS)
