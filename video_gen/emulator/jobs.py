"""Emulated jobs: their life is a pure function of the clock, so no worker thread is needed.

A job is ``queued`` for its queue time, then running with progress rising linearly, then
``completed`` (or ``failed``, when a fault marked it) once its run time has passed. Reading a job
computes its state from ``time.monotonic`` (immune to wall-clock jumps); the wall clock is only
used for the unix timestamps a client sees.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from video_gen.fsutil import atomic_write_bytes

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


# How many jobs a state file keeps (the newest): enough for any resume, small to rewrite.
KEEP_JOBS = 500


_LONG = 4096  # longer strings in a job's echoed input (data URLs of images) are cut when kept


def _compact(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _LONG:
        return f"{value[:64]}...({len(value)} characters, not kept)"
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _to_data(job: Job, wall_now: float, now: float) -> dict[str, Any]:
    data = asdict(job)
    data["extra"] = _compact(data["extra"])
    # The life cycle runs on the monotonic clock, which means nothing to another process:
    # stored as the wall-clock moment the job started.
    data["started"] = wall_now - (now - job.started)
    return data


def _from_data(data: dict[str, Any], wall_now: float, now: float) -> Job:
    fields = dict(data)
    failure = fields.pop("failure", None)
    fields["started"] = now - (wall_now - float(fields["started"]))
    return Job(**fields, failure=Failure(**failure) if failure else None)


class JobStore:
    """Thread-safe jobs by id, in creation order. Deleted jobs are gone (404 afterwards).

    With ``path`` the jobs outlive the process: they are read from that JSON file at start and
    written back (merged with what other processes wrote, under a lock) on every create and
    delete and by ``save()``: the in-process emulator of ``--provider emulator`` keeps its jobs
    under the video-gen home so a later ``status``, ``download`` or ``remix`` finds them.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, path: Path | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._upstream: dict[str, str] = {}  # upstream id -> id
        self._deleted: set[str] = set()
        self._seq = 0
        self.clock = clock
        self.path = path
        if path is not None:
            for job in self._read():
                self._put(job)

    def _put(self, job: Job) -> None:
        self._seq = max(self._seq, job.seq)
        self._jobs[job.id] = job
        self._upstream[job.upstream_id] = job.id

    def _read(self) -> list[Job]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            wall_now, now = time.time(), self.clock()
            return [_from_data(item, wall_now, now) for item in data.get("jobs", [])]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return []  # a damaged state file: the emulator starts empty, as it always could

    def save(self) -> None:
        """Write the jobs to ``path`` (no-op without one), merged with the file's."""
        if self.path is None:
            return
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=30):
            on_disk = {job.id: job for job in self._read()}
            with self._lock:
                merged = {**on_disk, **self._jobs}
                for gone in self._deleted:
                    merged.pop(gone, None)
                jobs = sorted(merged.values(), key=lambda j: (j.created_at, j.seq))[-KEEP_JOBS:]
                wall_now, now = time.time(), self.clock()
                payload = {"version": 1, "jobs": [_to_data(j, wall_now, now) for j in jobs]}
            # No fsync: emulated jobs are not money, and a create should not wait for the disk.
            atomic_write_bytes(
                self.path, json.dumps(payload, default=str).encode("utf-8"), durable=False
            )

    def add(self, job: Job) -> Job:
        with self._lock:
            self._seq += 1
            job.seq = self._seq
            self._jobs[job.id] = job
            self._upstream[job.upstream_id] = job.id
        self.save()
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
                self._deleted.add(job.id)
        if job is not None:
            self.save()
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
