"""Holding Ctrl-C (and SIGTERM) back while a paid create is on the wire.

If SIGINT landed between the server making a job and us recording its id, the job would be paid
for and lost. Inside ``deferred()`` a first Ctrl-C is remembered and delivered (as
KeyboardInterrupt) only when the block ends, after the id is recorded; a second Ctrl-C inside the
block interrupts at once, for a user who really means it.

SIGTERM (what CI runners, ``timeout`` and container stops send) is handled the same way:
``terminate_as_interrupt()`` makes it raise KeyboardInterrupt, so every Ctrl-C path applies
(the resume hint, exit 130, the ledger consistent, ``.part`` files removed).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


@contextmanager
def deferred() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals only reach the main thread; workers are stopped by their coordinator
        return
    pending: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    held = (signal.SIGINT, signal.SIGTERM)
    try:
        previous = {sig: signal.signal(sig, handler) for sig in held}
    except ValueError:  # not in the main interpreter
        yield
        return
    try:
        yield
    finally:
        for sig, was in previous.items():
            signal.signal(sig, was)
    if pending:
        raise KeyboardInterrupt


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def terminate_as_interrupt() -> None:
    """From now on SIGTERM interrupts like Ctrl-C (called once by the CLI's entry point)."""
    if threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(ValueError):  # not in the main interpreter
        signal.signal(signal.SIGTERM, _terminate)
