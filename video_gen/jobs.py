"""The job layer: estimate -> reserve -> create -> poll -> download, recorded at every stage.

It talks to a ``Provider`` and a ledger, reports through an ``on_event`` callback and never
prints. Money safety lives here: the budget is checked and the cost reserved before the create;
the remote id is recorded the moment the create answers (Ctrl-C held back meanwhile); a create
that fails releases its reservation; a job that keeps running after Ctrl-C, a timeout or a
network failure stays recorded, so ``video-gen download ID`` finishes it later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

from video_gen import capabilities, interrupts, naming, pricing
from video_gen.download import download
from video_gen.errors import (
    DeadlineExceededError,
    Interrupted,
    JobFailedError,
    VideoGenError,
)
from video_gen.polling import PollSchedule
from video_gen.providers.base import Provider
from video_gen.types import (
    DownloadResult,
    Estimate,
    GenerationRequest,
    GenerationResult,
    Phase,
    RemoteJob,
)


class Recorder(Protocol):
    """What the job layer writes to the spend ledger (``video_gen.ledger.Ledger``)."""

    def reserve(
        self,
        request: GenerationRequest,
        estimate: Estimate,
        limits: Any,
        *,
        provider_kind: str,
        command: str,
        batch_id: str | None = None,
        item_key: str | None = None,
    ) -> Any: ...
    def submitted(self, local_id: str, remote_id: str, status: str) -> None: ...
    def status(self, local_id: str, status: str, progress: int | None) -> None: ...
    def completed(self, local_id: str, actual_usd: float | None) -> None: ...
    def failed(self, local_id: str, status: str, code: str | None, message: str | None) -> None: ...
    def released(self, local_id: str, reason: str) -> None: ...
    def downloaded(
        self, local_id: str, variant: str, path: Path, sha256: str, size: int
    ) -> None: ...
    def event(self, local_id: str, kind: str, **fields: Any) -> None: ...
    def known_remote_ids(self, *, since: datetime) -> frozenset[str]: ...


@dataclass(frozen=True)
class JobEvent:
    """A progress report for the CLI to render (or for batch to aggregate)."""

    kind: str  # estimate, reserved, submitted, status, retry, download, downloaded, warning, done
    local_id: str | None = None
    job_id: str | None = None
    status: str | None = None
    progress: int | None = None
    variant: str | None = None
    done: int = 0
    total: int | None = None
    message: str = ""
    http_status: int | None = None  # retry events: the status that caused the retry
    retry_after: float | None = None  # retry events: the server's Retry-After, if sent


EventFn = Callable[[JobEvent], None]


@dataclass(frozen=True)
class RunOptions:
    output_dir: Path
    name_template: str = "{date}-{time}-{slug}"
    timeout: float = 1800.0
    poll_interval: float | None = None
    variants: tuple[str, ...] = ("video",)
    command: str = "generate"
    batch_id: str | None = None
    item_key: str | None = None
    name_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Started:
    local_id: str
    job: RemoteJob
    estimate: Estimate
    request: GenerationRequest
    began: float


class JobRunner:
    def __init__(
        self,
        provider: Provider,
        ledger: Recorder,
        *,
        limits: Any,
        price_table: Iterable[pricing.PriceRow],
        on_event: EventFn | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.ledger = ledger
        self.limits = limits
        self.price_table = list(price_table)
        self.on_event = on_event or (lambda e: None)
        self.clock = clock
        self.sleep = sleep

    # -- stages ------------------------------------------------------------------------------
    def check(self, request: GenerationRequest) -> Estimate:
        """Validate and price ``request``; spends nothing (this is all --dry-run does)."""
        capabilities.validate(request, self.provider.capabilities(request.model))
        return pricing.estimate(
            request, self.provider.kind, self.price_table, api=self.provider.api
        )

    def start(
        self,
        request: GenerationRequest,
        options: RunOptions,
        *,
        create: Callable[[frozenset[str]], RemoteJob] | None = None,
    ) -> Started:
        """Estimate, reserve, create (``create`` replaces ``provider.submit``, e.g. a remix)."""
        began = self.clock()
        estimate = self.check(request)
        self.on_event(JobEvent("estimate", message=f"{estimate.usd:.2f} USD ({estimate.source})"))
        reservation = self.ledger.reserve(
            request,
            estimate,
            self.limits,
            provider_kind=self.provider.kind,
            command=options.command,
            batch_id=options.batch_id,
            item_key=options.item_key,
        )
        local_id: str = reservation.local_id
        for warning in getattr(reservation, "warnings", ()) or ():
            self.on_event(JobEvent("warning", local_id=local_id, message=str(warning)))
        self.on_event(JobEvent("reserved", local_id=local_id, message=f"{estimate.usd:.2f} USD"))
        since = datetime.now(timezone.utc) - timedelta(days=2)
        with interrupts.deferred():
            try:
                known = self.ledger.known_remote_ids(since=since)
                job = (
                    create(known)
                    if create is not None
                    else self.provider.submit(request, exclude_ids=known)
                )
            except KeyboardInterrupt:
                raise
            except BaseException as exc:
                self.ledger.released(local_id, f"create failed: {exc}")
                raise
            try:
                self.ledger.submitted(local_id, job.id, job.status)
            except VideoGenError as exc:
                # The job exists and is paid for: never release its reservation. The ledger
                # (a database that went away) already retried; say which job to finish later.
                exc.hint = (
                    f"job {job.id} was created and keeps running; its reservation {local_id}"
                    f" stays held. When the ledger is back: video-gen download {job.id}"
                )
                raise
        self.on_event(
            JobEvent(
                "submitted",
                local_id=local_id,
                job_id=job.id,
                status=job.status,
                progress=job.progress,
            )
        )
        return Started(local_id, job, estimate, request, began)

    def wait(
        self,
        local_id: str,
        job: RemoteJob,
        *,
        deadline: float,
        poll_interval: float | None,
        timeout: float,
        record_final: bool = True,
    ) -> RemoteJob:
        """Poll until the job is final; record each status change."""
        schedule = PollSchedule(fixed=poll_interval)
        schedule.start(self.clock())
        last = (job.status, job.progress)
        while not job.phase.final:
            now = self.clock()
            remaining = deadline - now
            if remaining <= 0:
                self.ledger.event(local_id, "timeout", remote_id=job.id, after_s=timeout)
                raise DeadlineExceededError(job.id, timeout)
            self.sleep(min(schedule.next_delay(job, now), remaining))
            job = self.provider.refresh(job.id)
            if (job.status, job.progress) != last:
                if job.status != last[0]:
                    self.ledger.status(local_id, job.status, job.progress)
                last = (job.status, job.progress)
                self.on_event(
                    JobEvent(
                        "status",
                        local_id=local_id,
                        job_id=job.id,
                        status=job.status,
                        progress=job.progress,
                    )
                )
        if job.phase is Phase.FAILED:
            if record_final:
                self.ledger.failed(local_id, job.status, job.error_code, job.error_message)
            raise JobFailedError(job.id, job.status, job.error_code, job.error_message)
        if record_final:
            self.ledger.completed(local_id, job.cost_usd)
        return job

    def fetch(
        self, local_id: str, job: RemoteJob, request: GenerationRequest, options: RunOptions
    ) -> list[DownloadResult]:
        values = {
            "slug": naming.slugify(request.prompt),
            "id": job.id,
            "model": request.model,
            "seconds": request.seconds,
            "size": request.size,
            **options.name_values,
        }
        stem = naming.render(options.name_template, values)
        results: list[DownloadResult] = []
        for variant in options.variants:
            self.on_event(JobEvent("download", local_id=local_id, job_id=job.id, variant=variant))

            def progress(done: int, total: int | None, variant: str = variant) -> None:
                self.on_event(
                    JobEvent(
                        "bytes",
                        local_id=local_id,
                        job_id=job.id,
                        variant=variant,
                        done=done,
                        total=total,
                    )
                )

            result = download(
                self.provider, job.id, variant, options.output_dir, stem, on_progress=progress
            )
            if variant == "video":
                # Companions share the video's final name (it may have gained a -2).
                stem = result.path.name[: -len(result.path.suffix)]
            self.ledger.downloaded(local_id, variant, result.path, result.sha256, result.bytes)
            self.on_event(
                JobEvent(
                    "downloaded",
                    local_id=local_id,
                    job_id=job.id,
                    variant=variant,
                    done=result.bytes,
                    total=result.bytes,
                    message=str(result.path),
                )
            )
            results.append(result)
        return results

    # -- the whole run ----------------------------------------------------------------------
    def run(
        self,
        request: GenerationRequest,
        options: RunOptions,
        *,
        create: Callable[[frozenset[str]], RemoteJob] | None = None,
    ) -> GenerationResult:
        started = self.start(request, options, create=create)
        return self.finish(started, options)

    def finish(
        self, started: Started, options: RunOptions, *, record_final: bool = True
    ) -> GenerationResult:
        local_id, job = started.local_id, started.job
        try:
            job = self.wait(
                local_id,
                job,
                deadline=started.began + options.timeout,
                poll_interval=options.poll_interval,
                timeout=options.timeout,
                record_final=record_final,
            )
            files = self.fetch(local_id, job, started.request, options)
        except KeyboardInterrupt:
            self.ledger.event(local_id, "interrupted", remote_id=job.id)
            raise Interrupted(
                f"stopped waiting; job {job.id} keeps running on the server",
                hint=f"resume with: video-gen download {job.id}",
            ) from None
        except JobFailedError:
            raise
        except VideoGenError as exc:
            if exc.hint is None:
                exc.hint = f"the job keeps running; resume with: video-gen download {job.id}"
            raise
        video = next((f for f in files if f.variant == "video"), None)
        request = started.request
        return GenerationResult(
            job_id=job.id,
            status=job.status,
            model=request.model,
            seconds=request.seconds,
            size=request.size,
            provider=self.provider.name,
            prompt=request.prompt,
            file=video.path if video else None,
            sha256=video.sha256 if video else None,
            cost_usd=job.cost_usd if job.cost_usd is not None else started.estimate.usd,
            estimate_usd=started.estimate.usd,
            local_id=local_id,
            files=tuple(files),
        )

    def resume(
        self,
        local_id: str,
        job_id: str,
        request: GenerationRequest,
        options: RunOptions,
        *,
        estimate_usd: float | None = None,
        already_final: bool = False,
        job: RemoteJob | None = None,
    ) -> GenerationResult:
        """Finish a recorded job (``video-gen download``): poll it, then fetch its files.

        ``already_final``: the ledger has its end recorded, so it is not recorded twice.
        ``job``: the job's state when the caller has just fetched it (saves a request).
        """
        if job is None:
            job = self.provider.refresh(job_id)
        started = Started(
            local_id, job, Estimate(estimate_usd or 0.0, 0.0, "ledger"), request, self.clock()
        )
        return self.finish(started, options, record_final=not already_final)


class UnrecordedJob:
    """Recorder for a job this ledger never created (``video-gen download`` of a foreign id):
    it costs this budget nothing, so nothing is written."""

    def reserve(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never creates
        raise RuntimeError("an unrecorded job cannot reserve")

    def submitted(self, local_id: str, remote_id: str, status: str) -> None: ...
    def status(self, local_id: str, status: str, progress: int | None) -> None: ...
    def completed(self, local_id: str, actual_usd: float | None) -> None: ...
    def failed(self, local_id: str, status: str, code: str | None, message: str | None) -> None: ...
    def released(self, local_id: str, reason: str) -> None: ...
    def downloaded(
        self, local_id: str, variant: str, path: Path, sha256: str, size: int
    ) -> None: ...
    def event(self, local_id: str, kind: str, **fields: Any) -> None: ...

    def known_remote_ids(self, *, since: datetime) -> frozenset[str]:
        return frozenset()
