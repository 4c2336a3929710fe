"""The list screens' table: a row drawn before the table's next idle is not cut to the widths
the columns had before it was added (how the queue and blackouts snapshots came out under load)."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from spaces_tui.tui.table import Table

WIDE = (Text("Sat 28 Nov 07:00-09:00"), Text("Rehearsal 5"))


class OneTable(App[None]):
    """A table of fixed height, as every list screen has (its screen sizes it, not its rows)."""

    CSS = "DataTable { height: 1fr; }"

    def __init__(self, table: DataTable[Text]) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


def first_row(table: DataTable[Text]) -> str:
    return table.render_line(1).text


async def drawn_before_idle_then_after(table: DataTable[Text]) -> tuple[str, str]:
    async with OneTable(table).run_test(size=(60, 6)) as pilot:
        table.add_column("When")
        table.add_column("Where")
        await pilot.pause()
        table.add_row(*WIDE)
        before = first_row(table)  # a frame drawn before the table's Idle
        await pilot.pause()
        await pilot.pause()
        return before, first_row(table)


@pytest.mark.parametrize("kind", [Table, DataTable], ids=["Table", "DataTable"])
async def test_a_row_drawn_before_the_idle_is_shown_whole_after_it(kind):
    _before, after = await drawn_before_idle_then_after(kind())
    shown_whole = all(cell.plain in after for cell in WIDE)
    # Textual's own DataTable keeps the cut-off row (8.2.8): if it stops doing so, Table and this
    # test can go.
    assert shown_whole == (kind is Table), after


async def test_the_row_is_whole_even_before_the_idle():
    before, _after = await drawn_before_idle_then_after(Table())
    assert all(cell.plain in before for cell in WIDE), before
