"""Emulated jobs: their life is a pure function of the clock, so no worker thread is needed.

A job is ``queued`` for its queue time, then running with progress rising linearly, then
``completed`` (or ``failed``, when a fault marked it) once its run time has passed. Reading a job
computes its state from ``time.monotonic`` (immune to wall-clock jumps); the wall clock is only
used for the unix timestamps a client sees.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

Phase = Literal["queued", "running", "completed", "failed", "cancelled", "expired"]

# Moderation runs before rendering starts; an internal error is found when rendering ends.
FailAt = Literal["queue_end", "run_end"]


@dataclass(frozen=True)
class Failure:
    code: str
    message: str
    at: FailAt = "run_end"
    status: Literal["failed", "cancelled", "expired"] = "failed"


@dataclass
class Job:
    """One emulated generation. Mutable only through the store, under its lock."""

    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    created_at: float  # wall clock, for the unix timestamps clients see
    started: float  # monotonic clock, for the life cycle
    run_seconds: float
    queue_seconds: float
    seq: int = 0  # creation order: created_at alone ties within a second
    remixed_from: str | None = None
    failure: Failure | None = None
    has_reference: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # The id the job is stored under upstream; differs from `id` behind a proxy (LiteLLM packs
    # it into its own id), so any id the proxy made for the job finds it.
    upstream_id: str = ""

    def __post_init__(self) -> None:
        if not self.upstream_id:
            self.upstream_id = self.id

    def view(self, now: float) -> JobView:
        elapsed = max(0.0, now - self.started)
        queue = min(self.queue_seconds, self.run_seconds)
        if self.failure is not None:
            fail_after = queue if self.failure.at == "queue_end" else self.run_seconds
            if elapsed >= fail_after:
                progress = 0 if self.failure.at == "queue_end" else 100
                return JobView(self.failure.status, progress, self._wall(fail_after), elapsed)
        if elapsed >= self.run_seconds:
            return JobView("completed", 100, self._wall(self.run_seconds), elapsed)
        if elapsed < queue:
            return JobView("queued", 0, None, elapsed)
        span = self.run_seconds - queue
        progress = int(100 * (elapsed - queue) / span) if span > 0 else 0
        return JobView("running", min(max(progress, 0), 99), None, elapsed)

    def _wall(self, after: float) -> int:
        return int(self.created_at + after)


@dataclass(frozen=True)
class JobView:
    """A job's state at one instant."""

    phase: Phase
    progress: int
    completed_at: int | None  # unix seconds, once final
    elapsed: float

    @property
    def final(self) -> bool:
        return self.phase not in ("queued", "running")


class JobStore:
    """Thread-safe jobs by id, in creation order. Deleted jobs are gone (404 afterwards)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._upstream: dict[str, str] = {}  # upstream id -> id
        self._seq = 0
        self.clock = clock

    def add(self, job: Job) -> Job:
        with self._lock:
            self._seq += 1
            job.seq = self._seq
            self._jobs[job.id] = job
            self._upstream[job.upstream_id] = job.id
        return job

    def get(self, job_id: str) -> Job | None:
        """The job by its id or by its upstream id."""
        with self._lock:
            found = self._jobs.get(job_id)
            if found is None and job_id in self._upstream:
                found = self._jobs.get(self._upstream[job_id])
            return found

    def view(self, job: Job) -> JobView:
        return job.view(self.clock())

    def delete(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is not None:
                self._upstream.pop(job.upstream_id, None)
            return job

    def ordered(self, *, descending: bool) -> list[Job]:
        with self._lock:
            jobs = list(self._jobs.values())
        jobs.sort(key=lambda j: j.seq, reverse=descending)
        return jobs

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._upstream.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        return isinstance(job_id, str) and self.get(job_id) is not None

    def __iter__(self) -> Iterator[Job]:
        return iter(self.ordered(descending=False))
