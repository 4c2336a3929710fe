"""The command palette (ctrl+p): jump to a resource, go to a date, start a new booking."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from spaces_tui.engine import resources
from spaces_tui.engine.models import Resource
from spaces_tui.tui.screens.home import TimelineScreen


class SpacesCommands(Provider):
    async def startup(self) -> None:
        db = self.app.db  # type: ignore[attr-defined]
        self.resources: list[Resource] = await asyncio.to_thread(
            resources.list_resources, db, include_inactive=False
        )

    def _home(self) -> TimelineScreen | None:
        for screen in self.app.screen_stack:
            if isinstance(screen, TimelineScreen):
                return screen
        return None

    def _approval_queue(self) -> None:
        self.app.action_approval_queue()  # type: ignore[attr-defined]

    def _open(self, name: str) -> None:
        self.app.action_open_screen(name)  # type: ignore[attr-defined]

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        home = self._home()
        if home is None:
            return []
        fixed = [
            ("New booking", home.action_new_booking, "book the resource and time at the cursor"),
            ("Approval queue", self._approval_queue, "decide what waits for you (a)"),
            ("Blackouts", partial(self._open, "blackouts"), "maintenance, holds, breaks (b)"),
            ("Resources", partial(self._open, "resources"), "approval, approvers, stalls (R)"),
            (
                "Rehearsal sessions",
                partial(self._open, "sessions"),
                "flagged ones first: book again or close (S)",
            ),
            ("Go to date", home.action_go_to_date, "show another day or week"),
            ("Today", home.action_today, "back to today"),
            ("Day view", partial(home.action_scale, "day"), "one day, 30-minute columns"),
            ("Week view", partial(home.action_scale, "week"), "seven days, 3-hour columns"),
        ]
        jumps = [
            (f"Jump to {r.name}", partial(home.jump_to_resource, r.id), f"{r.kind} #{r.id}")
            for r in self.resources
        ]
        return fixed + jumps

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands()[:9]:
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
