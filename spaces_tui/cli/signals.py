"""What the long-running commands (spaces relay, spaces serve) share: SIGTERM and ctrl+c ask
them to stop between two steps, with their work saved, and they exit 0."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and ctrl+c set stop, so the command ends between two steps (a relay with its
    position stored, rather than cut off between a POST and the UPDATE that records it)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be caught in the main thread (tests run main() elsewhere)
        return
    handled = (signal.SIGTERM, signal.SIGINT)
    saved = {sig: signal.getsignal(sig) for sig in handled}
    for sig in handled:
        signal.signal(sig, lambda _sig, _frame: stop.set())
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
