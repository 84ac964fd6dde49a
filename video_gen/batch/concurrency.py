"""How many jobs a batch keeps in flight: additive increase, multiplicative decrease (AIMD).

A 429 halves the limit (at most once per wave: the 429s of requests already on the wire are
the same signal) and holds new jobs back until the server's ``Retry-After`` has passed. After
``limit`` successes in a row the limit grows by one, back up to what the user asked for. TCP
congestion control in miniature: the batch finds the rate the server allows and stays near it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_HOLD = 1.0  # seconds to hold back after a 429 that says nothing of when to retry
MAX_HOLD = 120.0  # a Retry-After beyond this is not believed (same ceiling as the client's)


@dataclass(frozen=True)
class LimitChange:
    before: int
    after: int
    reason: str  # "rate-limited" or "recovered"


class AdaptiveLimit:
    """The in-flight limit; thread-safe (workers report, the coordinator reads)."""

    def __init__(self, ceiling: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if ceiling < 1:
            raise ValueError(f"concurrency must be at least 1, not {ceiling}")
        self.ceiling = ceiling
        self._clock = clock
        self._lock = threading.Lock()
        self._current = ceiling
        self._lowest = ceiling
        self._run = 0
        self._hold_until = float("-inf")
        self._rate_limited = 0

    @property
    def current(self) -> int:
        with self._lock:
            return self._current

    @property
    def lowest(self) -> int:
        with self._lock:
            return self._lowest

    @property
    def rate_limited_count(self) -> int:
        with self._lock:
            return self._rate_limited

    def rate_limited(self, retry_after: float | None) -> LimitChange | None:
        """A 429 was seen; returns the change when the limit was lowered."""
        with self._lock:
            now = self._clock()
            self._rate_limited += 1
            self._run = 0
            wait = (
                retry_after
                if retry_after is not None and 0 <= retry_after <= MAX_HOLD
                else DEFAULT_HOLD
            )
            change = None
            if now >= self._hold_until:  # a new wave of 429s, not an echo of the last one
                before = self._current
                self._current = max(1, self._current // 2)
                self._lowest = min(self._lowest, self._current)
                if self._current != before:
                    change = LimitChange(before, self._current, "rate-limited")
            self._hold_until = max(self._hold_until, now + wait)
            return change

    def succeeded(self) -> LimitChange | None:
        """A request went through (a create answered, an item finished)."""
        with self._lock:
            if self._clock() < self._hold_until:
                return None
            self._run += 1
            if self._run >= self._current and self._current < self.ceiling:
                self._run = 0
                self._current += 1
                return LimitChange(self._current - 1, self._current, "recovered")
            return None

    def hold(self) -> float:
        """Seconds until new jobs may start (0 when they may start now)."""
        with self._lock:
            return max(0.0, self._hold_until - self._clock())
