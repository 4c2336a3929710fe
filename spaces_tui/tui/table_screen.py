"""What the list screens (approval queue, resources, rehearsal sessions, blackouts) share: a
DataTable moved through from the keyboard, and a cursor that stays on its row across reloads."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any


class TableKeys:
    """Mixin for a Screen with a `table` property (its DataTable): the actions behind escape
    (close) and j/k (move), and the focus back on the table when the screen is on top again.
    Each screen binds the keys itself: Textual reads BINDINGS from widget classes only."""

    def action_close(self) -> None:
        screen: Any = self
        screen.dismiss(None)

    def action_move(self, rows: int) -> None:
        screen: Any = self
        if rows > 0:
            screen.table.action_cursor_down()
        else:
            screen.table.action_cursor_up()

    def open_table(self, columns: Sequence[tuple[str, str]]) -> None:
        """On mount: the table's columns (label, key), the focus on it, and the first load."""
        screen: Any = self
        for label, key in columns:
            screen.table.add_column(label, key=key)
        screen.table.focus()
        screen.load()

    def on_screen_resume(self) -> None:
        screen: Any = self
        screen.table.focus()


def row_after_reload(keys: Sequence[Hashable], keep: Hashable | None, row: int) -> int:
    """Where the cursor goes when the rows are listed again: the same row (by key) if it is
    still listed, else the row where it was, so after a decision or a cancel it rests on the
    next one."""
    if keep is not None and keep in keys:
        return list(keys).index(keep)
    return max(0, min(row, len(keys) - 1))
