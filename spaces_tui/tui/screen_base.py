"""What every screen of the Spaces app shares: `self.app` typed as the SpacesApp it runs in, and
db_call, the one way a screen reaches the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import ModalScreen, Screen, ScreenResultType

from spaces_tui.tui.db_calls import Refusal

if TYPE_CHECKING:
    from textual import getters

    from spaces_tui.tui.app import SpacesApp

T = TypeVar("T")


class CallsDatabase:
    """db_call for a screen (mixed in by the two classes below, ahead of Textual's own)."""

    def db_call(
        self,
        work: Callable[[], T],
        done: Callable[[T], Any] | None = None,
        *,
        failed: Callable[[Refusal], Any] | None = None,
        group: str = "db",
        exclusive: bool = False,
        reload: bool = False,
    ) -> None:
        """work in a thread of this screen; done gets its result while the screen still wants
        it (see spaces_tui.tui.db_calls)."""
        screen = cast("SpacesScreen[Any]", self)
        screen.app.db_calls.run(
            screen, work, done, failed=failed, group=group, exclusive=exclusive, reload=reload
        )


class SpacesScreen(CallsDatabase, Screen[ScreenResultType]):
    """A full screen of the app."""

    if TYPE_CHECKING:
        # Textual's own `app` at run time, declared as Textual declares it, typed as the app it
        # always is here (only for the type checker: app.py imports the screens).
        app = getters.app(SpacesApp)


class SpacesModal(CallsDatabase, ModalScreen[ScreenResultType]):
    """A dialog of the app, over the screen that opened it. (Not a SpacesScreen: Textual ranks
    default CSS by the order of the bases, and Screen's opaque background would win.)"""

    if TYPE_CHECKING:
        app = getters.app(SpacesApp)
