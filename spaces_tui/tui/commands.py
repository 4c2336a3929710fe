"""The command palette (ctrl+p): jump to a resource, go to a date, start a new booking, find a
free resource, open the other screens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from spaces_tui.engine import resources
from spaces_tui.engine.models import Resource
from spaces_tui.tui.screens.home import TimelineScreen

if TYPE_CHECKING:
    from spaces_tui.tui.app import SpacesApp

Command = tuple[str, Callable[[], object], str]  # what the palette shows, does, and says of it


class SpacesCommands(Provider):
    @property
    def spaces(self) -> SpacesApp:
        """The app, typed (a Provider is not a screen: Textual types its app as any App)."""
        return cast("SpacesApp", self.app)

    async def startup(self) -> None:
        db = self.spaces.db
        self.resources: list[Resource] = await asyncio.to_thread(
            resources.list_resources, db, include_inactive=False
        )

    def _home(self) -> TimelineScreen | None:
        for screen in self.app.screen_stack:
            if isinstance(screen, TimelineScreen):
                return screen
        return None

    def _approval_queue(self) -> None:
        self.spaces.action_approval_queue()

    def _open(self, name: str) -> None:
        self.spaces.action_open_screen(name)

    def _fixed(self, home: TimelineScreen) -> list[Command]:
        """The commands the palette offers before anything is typed."""
        return [
            ("New booking", home.action_new_booking, "book the resource and time at the cursor"),
            (
                "Find a free resource",
                home.action_find_free,
                "what is free for an hour from the cursor's time (f)",
            ),
            ("Approval queue", self._approval_queue, "decide what waits for you (a)"),
            ("Blackouts", partial(self._open, "blackouts"), "maintenance, holds, breaks (b)"),
            ("Resources", partial(self._open, "resources"), "approval, approvers, stalls (R)"),
            (
                "Rehearsal sessions",
                partial(self._open, "sessions"),
                "flagged ones first: book again or close (S)",
            ),
            ("Reports", partial(self._open, "reports"), "utilization by resource, heat maps (u)"),
            ("Go to date", home.action_go_to_date, "show another day or week"),
            ("Today", home.action_today, "back to today"),
            ("Day view", partial(home.action_scale, "day"), "one day, 30-minute columns"),
            ("Week view", partial(home.action_scale, "week"), "seven days, 3-hour columns"),
        ]

    def _commands(self) -> list[Command]:
        home = self._home()
        if home is None:
            return []
        jumps: list[Command] = [
            (f"Jump to {r.name}", partial(home.jump_to_resource, r.id), f"{r.kind} #{r.id}")
            for r in self.resources
        ]
        return self._fixed(home) + jumps

    async def discover(self) -> Hits:
        home = self._home()
        for name, action, help_text in self._fixed(home) if home else []:
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, help=help_text)
