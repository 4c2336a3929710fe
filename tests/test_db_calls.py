"""db_call, the one way a screen reaches the database: a result reaches its screen only while it
is still wanted, however late its thread finishes."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import Static
from tui_helpers import SIZE, make_app, settle

from spaces_tui.engine.errors import NotFound
from spaces_tui.tui.screen_base import SpacesModal, SpacesScreen

WAIT = 60.0  # seconds a held thread waits for the test to let it go: only a hang comes near it


async def until(condition, what: str) -> None:
    """Until condition() holds, while a held thread is still running (settle() would wait for
    that thread to end)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while not condition():
        assert loop.time() < deadline, f"not within {WAIT:.0f}s: {what}"
        await asyncio.sleep(0.02)


class Probe(SpacesScreen[None]):
    """A screen that records what its calls handed back to it."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []
        self.failures: list[str] = []

    def compose(self):
        yield Static("probe")


class ProbeDialog(SpacesModal[None]):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    def compose(self):
        yield Static("dialog")


class Held:
    """Work that starts, then waits in its thread until the test lets it go."""

    def __init__(self, result: str) -> None:
        self.result = result
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> str:
        self.started.set()
        self.release.wait(WAIT)
        if self.result == "fail":
            failing()
        return self.result

    async def running(self) -> None:
        """Until its thread is in the work (settle() would wait for the work to end)."""
        await asyncio.to_thread(self.started.wait, WAIT)
        assert self.started.is_set()


async def test_a_superseded_call_hands_nothing_back_even_when_it_finishes_last(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        probe = Probe()
        await app.push_screen(probe)
        old = Held("old")
        probe.db_call(old, probe.shown.append, group="g", exclusive=True)
        await old.running()
        probe.db_call(lambda: "new", probe.shown.append, group="g", exclusive=True)
        await until(lambda: probe.shown == ["new"], "the newer call's result")
        old.release.set()  # the older thread finishes now, after the newer one has been shown
        await settle(pilot)  # the old thread ends
        assert probe.shown == ["new"]


async def test_calls_of_two_screens_in_one_group_do_not_replace_each_other(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        below, above = Probe(), ProbeDialog()
        await app.push_screen(below)
        await app.push_screen(above)
        slow = Held("below")
        below.db_call(slow, below.shown.append, group="load")
        await slow.running()
        above.db_call(lambda: "above", above.shown.append, group="load", exclusive=True)
        slow.release.set()
        await settle(pilot)
        assert (below.shown, above.shown) == (["below"], ["above"])


async def test_a_result_for_a_closed_screen_is_dropped(db, no_bugs):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        dialog = ProbeDialog()
        await app.push_screen(dialog)
        late = Held("late")
        dialog.db_call(late, dialog.shown.append)
        await late.running()
        await dialog.dismiss(None)
        assert not dialog.is_attached
        late.release.set()
        await settle(pilot)  # its thread ends
        assert dialog.shown == []


def failing() -> str:
    raise NotFound("No resource is called 'Nowhere'.")


async def test_a_failing_reload_is_told_once_per_screen_and_a_success_clears_it(db, no_bugs):
    app = make_app(db)
    told: list[str] = []
    app.notify = lambda message, **_: told.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        probe = Probe()
        await app.push_screen(probe)
        for _ in range(3):
            probe.db_call(failing, probe.shown.append, group="load", exclusive=True, reload=True)
            await settle(pilot)
        assert told == ["No resource is called 'Nowhere'."]

        probe.db_call(lambda: "back", probe.shown.append, group="load", reload=True)
        await settle(pilot)
        probe.db_call(failing, probe.shown.append, group="load", reload=True)
        await settle(pilot)
        assert (probe.shown, len(told)) == (["back"], 2)

        another = Probe()  # a screen opened afresh tells its own first failure
        await app.push_screen(another)
        another.db_call(failing, another.shown.append, group="load", reload=True)
        await settle(pilot)
        assert len(told) == 3


async def test_a_superseded_call_that_fails_tells_nothing(db, no_bugs):
    app = make_app(db)
    told: list[str] = []
    app.notify = lambda message, **_: told.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        probe = Probe()
        await app.push_screen(probe)
        stale = Held("fail")
        probe.db_call(stale, probe.shown.append, group="hint", exclusive=True)
        await stale.running()
        probe.db_call(lambda: "fresh", probe.shown.append, group="hint", exclusive=True)
        await until(lambda: probe.shown == ["fresh"], "the newer call's result")
        stale.release.set()
        await settle(pilot)  # the old thread ends
        assert told == []
