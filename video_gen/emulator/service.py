"""The emulated service behind the sockets: jobs, faults, counters, auth and job creation.

Both API shapes (OpenAI's and OpenRouter's) create jobs through ``Service.create_job``, which is
where the money-relevant faults act: a ``create-500`` or ``create-drop`` answers badly *after*
the job exists, exactly the case where a blind client retry pays twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from video_gen.emulator.api_errors import ApiError, DropConnection
from video_gen.emulator.content import make_body
from video_gen.emulator.faults import ACCEPTED, JOB, FaultPlan
from video_gen.emulator.jobs import Failure, Job, JobStore
from video_gen.emulator.profiles import Profile
from video_gen.emulator.stats import Stats

MODERATION_MESSAGE = "Your request was blocked by our moderation system."
INTERNAL_FAILURE = "Video generation failed due to an internal error. Please try again."

# Create-time refusals (nothing is created), by fault kind. `blocked` and `credits` are how
# OpenRouter refuses: 403 for a moderation or guardrail block, 402 for a key out of credits.
REFUSALS: Mapping[str, Callable[[], ApiError]] = {
    "moderation": lambda: ApiError(400, MODERATION_MESSAGE, code="moderation_blocked"),
    "blocked": lambda: ApiError(
        403,
        "Your request was flagged by the moderation or a guardrail of this key and was not run.",
        code="moderation_blocked",
    ),
    "credits": lambda: ApiError(
        402,
        "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
        code="insufficient_credits",
    ),
}
# How a job taken by a job fault ends.
JOB_FAILURES: Mapping[str, Failure] = {
    "fail": Failure("internal_error", INTERNAL_FAILURE, at="run_end"),
    "moderation-job": Failure("moderation_blocked", MODERATION_MESSAGE, at="queue_end"),
    "cancelled": Failure("cancelled", "The job was cancelled.", at="queue_end", status="cancelled"),
    "expired": Failure(
        "expired", "The job expired before it could run.", at="queue_end", status="expired"
    ),
}


def mask_key(key: str) -> str:
    """``sk-ab***yz``: enough to recognise a key, never enough to use it."""
    if len(key) < 10:
        return "***"
    return f"{key[:5]}***{key[-2:]}"


class Service:
    def __init__(
        self,
        *,
        profile: Profile,
        job_seconds: float,
        queue_seconds: float | None,
        faults: FaultPlan,
        require_key: str | None,
        video_bytes: int | None,
        poll_hint_ms: int | None,
        log: Callable[[str], None] | None,
        clock: Callable[[], float] = time.monotonic,
        state_file: Path | None = None,
    ) -> None:
        if job_seconds < 0:
            raise ValueError(f"job_seconds must be >= 0, got {job_seconds}")
        if queue_seconds is not None and queue_seconds < 0:
            raise ValueError(f"queue_seconds must be >= 0, got {queue_seconds}")
        if video_bytes is not None:
            make_body("video", video_bytes)  # refuse an impossible size at start, not mid-test
        self.profile = profile
        self.job_seconds = float(job_seconds)
        self.queue_seconds = (
            0.1 * self.job_seconds if queue_seconds is None else min(queue_seconds, job_seconds)
        )
        self.faults = faults
        self.require_key = require_key
        self.video_bytes = video_bytes
        self.poll_hint_ms = poll_hint_ms
        self.jobs = JobStore(clock, path=state_file)
        self.stats = Stats()
        self.base_url = ""  # set by the server once bound
        self._log = log

    def log(self, message: str) -> None:
        if self._log is not None:
            self._log(message)

    # -- auth ---------------------------------------------------------------------------------

    def check_auth(self, authorization: str | None) -> None:
        from video_gen.emulator.dialects import dialect_of

        scheme, _, key = (authorization or "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise dialect_of(self).missing_key()
        if self.require_key is not None and key != self.require_key:
            raise dialect_of(self).wrong_key(mask_key(key))

    def key_accepted(self, authorization: str | None) -> bool:
        try:
            self.check_auth(authorization)
        except ApiError:
            return False
        return True

    # -- jobs ---------------------------------------------------------------------------------

    def create_job(
        self,
        endpoint: str,
        *,
        model: str,
        prompt: str,
        seconds: str,
        size: str,
        remixed_from: str | None = None,
        has_reference: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> Job:
        """Create a job for a request that passed validation, playing any create-time fault."""
        fault = self.faults.take(ACCEPTED, endpoint)
        if fault is not None and fault.kind in REFUSALS:
            self.log(f"fault {fault.kind} on {endpoint}: refused, no job created")
            raise REFUSALS[fault.kind]()
        failure = None
        job_fault = self.faults.take(JOB, endpoint)
        if job_fault is not None:
            failure = JOB_FAILURES[job_fault.kind]
        new_id = self.profile.new_id(model)
        job = Job(
            id=new_id,
            upstream_id=self.profile.upstream_id(new_id) or new_id,
            model=model,
            prompt=prompt,
            seconds=seconds,
            size=size,
            created_at=time.time(),
            started=self.jobs.clock(),
            run_seconds=self.job_seconds,
            queue_seconds=self.queue_seconds,
            remixed_from=remixed_from,
            failure=failure,
            has_reference=has_reference,
            extra=dict(extra or {}),
        )
        self.jobs.add(job)
        self.stats.record_job()
        if job_fault is not None:
            self.log(f"fault {job_fault.kind}: job {job.id} will fail")
        if fault is not None and fault.kind == "create-500":
            self.log(f"fault create-500: job {job.id} created, answering 500")
            raise ApiError(
                500,
                "The server had an error while processing your request. Sorry about that!",
                type="server_error",
            )
        if fault is not None and fault.kind == "create-drop":
            self.log(f"fault create-drop: job {job.id} created, dropping the connection")
            raise DropConnection
        return job
