"""Counters a test reads to assert what reached the server (``a create was sent once``)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Thread-safe request and job counters. Reading returns a copy; ``reset()`` zeroes all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[tuple[str, str]] = Counter()
        self._creates_received = 0
        self._jobs_created = 0
        self._content_bytes_sent = 0

    def record_request(self, method: str, route: str) -> None:
        with self._lock:
            self._requests[(method, route)] += 1
            if route == "create":
                self._creates_received += 1

    def record_job(self) -> None:
        with self._lock:
            self._jobs_created += 1

    def record_content_bytes(self, n: int) -> None:
        with self._lock:
            self._content_bytes_sent += n

    @property
    def creates_received(self) -> int:
        """POST /videos requests that reached the handler, whatever happened to them next."""
        with self._lock:
            return self._creates_received

    @property
    def jobs_created(self) -> int:
        """Jobs that exist because of a create or remix (a create-500 still makes one)."""
        with self._lock:
            return self._jobs_created

    @property
    def total_requests(self) -> int:
        with self._lock:
            return sum(self._requests.values())

    @property
    def requests(self) -> Counter[tuple[str, str]]:
        """Requests by ``(method, route)``, e.g. ``("GET", "retrieve")``; missing keys read 0."""
        with self._lock:
            return Counter(self._requests)

    @property
    def content_bytes_sent(self) -> int:
        with self._lock:
            return self._content_bytes_sent

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._creates_received = 0
            self._jobs_created = 0
            self._content_bytes_sent = 0

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "creates_received": self._creates_received,
                "jobs_created": self._jobs_created,
                "total_requests": sum(self._requests.values()),
                "content_bytes_sent": self._content_bytes_sent,
                "requests": {f"{m} {r}": n for (m, r), n in sorted(self._requests.items())},
            }

    def __repr__(self) -> str:
        return f"Stats({self.snapshot()!r})"
