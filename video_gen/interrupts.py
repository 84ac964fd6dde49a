"""Holding Ctrl-C back while a paid create is on the wire.

If SIGINT landed between the server making a job and us recording its id, the job would be paid
for and lost. Inside ``deferred()`` a first Ctrl-C is remembered and delivered (as
KeyboardInterrupt) only when the block ends, after the id is recorded; a second Ctrl-C inside the
block interrupts at once, for a user who really means it.
"""

from __future__ import annotations

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

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not in the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt
