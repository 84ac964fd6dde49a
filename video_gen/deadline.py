"""``--timeout`` as a deadline: checked before anything is paid, and bounding every HTTP call.

A value that cannot be met (0, negative, NaN, infinite, or shorter than any real video job
takes) would pay for a job and then time out at once, or never: it is refused before the create
(exit 2). While a job is followed, the time left is set here (``bounded``) and the transport
shortens each call's connect and read timeouts to it (``left``), so a hanging poll cannot hold a
run past its deadline. A context variable, so each batch worker thread has its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from video_gen.errors import UsageError

# No provider finishes a video in less (Sora, Veo, Kling take minutes; the shortest hosted
# models tens of seconds): a deadline under this can only pay for a job and give up on it.
MIN_TIMEOUT = 10.0

_until: ContextVar[float | None] = ContextVar("video_gen_deadline", default=None)


def check_timeout(value: float, *, name: str = "--timeout", free: bool = False) -> float:
    """``value`` (seconds) if it is a deadline that can be met, else UsageError (exit 2).

    ``free``: the provider's jobs cost nothing (the built-in emulator, whose jobs take as long
    as it is told): any positive deadline is allowed, as nothing can be paid for and lost.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise UsageError(
            f"{name} {value!r} is not a number of seconds",
            hint=f"give seconds, e.g. {name} 1800 (at least {MIN_TIMEOUT:g})",
        )
    if free and value > 0:
        return float(value)
    if value <= 0:
        raise UsageError(
            f"{name} {value:g} cannot be met: a deadline must be in the future",
            hint=f"give at least {name} {MIN_TIMEOUT:g} (the default is 1800)",
        )
    if value < MIN_TIMEOUT:
        raise UsageError(
            f"{name} {value:g} cannot be met: no video job finishes in under"
            f" {MIN_TIMEOUT:g} s, so it would pay for a job and give up on it",
            hint=f"give at least {name} {MIN_TIMEOUT:g} (the default is 1800)",
        )
    return float(value)


def left() -> float | None:
    """Seconds left before the deadline of the job being followed (None: no deadline)."""
    until = _until.get()
    return None if until is None else until - time.monotonic()


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Every HTTP call inside ends within ``seconds`` from now."""
    token = _until.set(time.monotonic() + max(seconds, 0.0))
    try:
        yield
    finally:
        _until.reset(token)
