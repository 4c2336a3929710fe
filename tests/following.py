"""`spaces events --follow` as a real process, for the tests that watch it."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Follower:
    process: subprocess.Popen[str]
    lines: queue.Queue[str]  # its stdout, line by line, as they come

    def first_line_while(self, act: Callable[[int], None], attempts: int = 30) -> str | None:
        """Calls act(attempt) until the follower prints a line: it starts from the newest
        event, so a change made before it listens is not shown. None if it never printed."""
        for attempt in range(attempts):
            assert self.process.poll() is None, self.process.stderr and self.process.stderr.read()
            act(attempt)
            try:
                return self.lines.get(timeout=1)
            except queue.Empty:
                continue
        return None


@contextmanager
def following(args: list[str], data_dir: Path) -> Iterator[Follower]:
    """`spaces ARGS` (python -m spaces_tui) with SPACES_DATA_DIR=data_dir, stopped afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "spaces_tui", *args],
        env={**os.environ, "SPACES_DATA_DIR": str(data_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
    try:
        yield Follower(process, lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
