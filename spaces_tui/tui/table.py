"""The table every list screen shows: Textual's DataTable with its columns as wide as their
cells from the moment a row is added."""

from __future__ import annotations

from rich.text import Text
from textual.render import measure
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class Table(DataTable[Text]):
    """A DataTable whose auto-width columns take a new row's width when it is added.

    DataTable (Textual 8.2.8) measures new rows on its next Idle. A frame drawn before then
    renders their cells at the columns' old widths (their labels' at first) and caches them; in
    a table whose size is fixed by its screen, nothing invalidates that cache, so the rows stay
    cut off until the table next changes. On a loaded machine such a frame comes often enough
    that the approval queue and the blackouts list were seen cut off. Measuring here leaves the
    Idle nothing to widen."""

    def add_row(
        self,
        *cells: Text,
        height: int | None = 1,
        key: str | None = None,
        label: Text | str | None = None,
    ) -> RowKey:
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        console = self.app.console
        for column, cell in zip(self.ordered_columns, cells, strict=False):
            if column.auto_width:
                column.content_width = max(column.content_width, measure(console, cell, 1))
        return row_key
