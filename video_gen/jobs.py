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
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from video_gen import deadline as deadline_of
from video_gen import interrupts, naming, preflight, pricing
from video_gen.client.retry import RetryPolicy, is_retryable, wait_gen
from video_gen.download import VariantUnavailableError, download
from video_gen.errors import (
    AmbiguousCreateError,
    APIConnectionError,
    CreateInDoubtError,
    DeadlineExceededError,
    DownloadIncompleteError,
    Interrupted,
    JobFailedError,
    JobNotRecordedError,
    JobRefusedError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnsupportedOperationError,
    VideoGenError,
)
from video_gen.ledger.records import believed_charge
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
    def alias(self, local_id: str, remote_id: str) -> None: ...
    def in_doubt(self, local_id: str, reason: str) -> None: ...
    def claim(
        self,
        local_id: str,
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> Any: ...
    def completed(self, local_id: str, actual_usd: float | None, *, free: bool = False) -> None: ...
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
    # Ctrl-C while waiting cancels the remote job (only when asked: by default a paid job keeps
    # running and `video-gen download` finishes it later).
    cancel_on_interrupt: bool = False


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
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.provider = provider
        self.ledger = ledger
        self.limits = limits
        self.price_table = list(price_table)
        self.on_event = on_event or (lambda e: None)
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.retry = retry or RetryPolicy()

    # -- stages ------------------------------------------------------------------------------
    def check(self, request: GenerationRequest) -> Estimate:
        """Validate and price ``request``; spends nothing (this is all --dry-run does)."""
        from video_gen.providers import validate_request

        caps = self.provider.capabilities(request.model)
        validate_request(self.provider.api, request, caps)
        found = pricing.estimate(
            request, self.provider.kind, self.price_table, api=self.provider.api, caps=caps
        )
        return pricing.emulated(found) if self.emulated else found

    @property
    def _free(self) -> bool:
        """Declared free (``free = true``) or emulated: a reported cost of 0 is believed."""
        return self.emulated or _is_free(self.provider)

    @property
    def emulated(self) -> bool:
        """The built-in emulator (unless its table says ``priced = true``): no cost, so the
        job reserves and is charged 0 USD and never counts against the budget."""
        return bool(getattr(self.provider, "emulated", False))

    def start(
        self,
        request: GenerationRequest,
        options: RunOptions,
        *,
        create: Callable[[], RemoteJob] | None = None,
    ) -> Started:
        """Estimate, reserve, create (``create`` replaces ``provider.submit``, e.g. a remix)."""
        began = self.clock()
        estimate = self.check(request)
        preflight.check_job(
            request, options.output_dir, options.name_template, _name_values(request, options)
        )
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
        made: RemoteJob | None = None
        try:
            with interrupts.deferred():
                made = self._create(local_id, request, create)
        except KeyboardInterrupt:
            if made is None:
                raise  # forced before an id: the job stays open for `video-gen recover`
            # Held back until the id was recorded: the job exists, so say which and how to
            # resume (a Ctrl-C or SIGTERM during the create).
            raise self._interrupted(
                local_id, made, options, "stopped; job {} was created and keeps running"
            ) from None
        except (CreateInDoubtError, JobNotRecordedError):
            raise  # the job stays open: in doubt, or for a re-run to find (batch, recover)
        except BaseException as exc:
            self.ledger.released(local_id, f"create failed: {exc}")
            raise
        finally:
            for notice in self.provider.notices():
                self.on_event(JobEvent("warning", local_id=local_id, message=notice))
        job = made
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

    def _create(
        self,
        local_id: str,
        request: GenerationRequest,
        create: Callable[[], RemoteJob] | None,
    ) -> RemoteJob:
        """Post the create once, and again only when the server certainly made no job.

        The id is recorded before this returns (Ctrl-C is held back meanwhile). A create that
        may have made a job is looked for (``recovery.recover``): adopted when found, posted
        again when the server certainly has none, recorded in doubt when that cannot be known.
        """
        from video_gen import recovery

        post = create or (lambda: self.provider.submit(request))
        began = time.time()
        waits = wait_gen(self.retry)
        next(waits)
        attempt = 0
        while True:
            try:
                job = post()
            except AmbiguousCreateError as exc:
                found = recovery.recover(
                    self.provider,
                    self.ledger,
                    local_id,
                    request,
                    since=began,
                    cause=exc.cause,
                    sleep=self.sleep,
                    clock=self.clock,
                )
                if found is not None:
                    self.on_event(
                        JobEvent(
                            "warning",
                            local_id=local_id,
                            message=f"the create failed ({exc.cause}) but made job {found.id}:"
                            " following it (nothing was posted again)",
                        )
                    )
                    return found  # recorded by the claim
                if not is_retryable(exc.cause) or attempt >= self.retry.max_retries:
                    raise exc.cause from None
                delay = waits.send(exc.cause)
                self.on_event(
                    JobEvent(
                        "retry",
                        local_id=local_id,
                        message=f"{exc.cause}; no job was made, so the create is sent again"
                        f" (try {attempt + 2} in {delay:.1f}s)",
                        http_status=exc.cause.status,
                        retry_after=exc.cause.retry_after,
                    )
                )
                self.sleep(delay)
                attempt += 1
                continue
            try:
                self.ledger.submitted(local_id, job.id, job.status)
            except VideoGenError as exc:
                # The job exists and may be billed: its reservation must never be released.
                # The ledger (a database that went away) already retried for a while.
                raise JobNotRecordedError(local_id, job.id, exc) from None
            except OSError as exc:  # a full disk, a ledger file gone read-only: the same
                cause = VideoGenError(f"the ledger file could not be written ({exc})")
                raise JobNotRecordedError(local_id, job.id, cause) from None
            return job

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
        known_ids = {job.id}
        failures = 0  # transient poll failures in a row: the job is fine, our view of it is not
        while not job.phase.final:
            now = self.clock()
            remaining = deadline - now
            if remaining <= 0:
                self.ledger.event(local_id, "timeout", remote_id=job.id, after_s=timeout)
                raise DeadlineExceededError(job.id, timeout)
            self.sleep(min(schedule.next_delay(job, now), remaining))
            try:
                with deadline_of.bounded(deadline - self.clock()):
                    fresh = self.provider.refresh(job.id)
            except (RateLimitError, ServerError, APIConnectionError) as exc:
                failures += 1
                delay = min(
                    exc.retry_after if exc.retry_after is not None else 2.0 ** min(failures, 5),
                    30.0,
                    max(deadline - self.clock(), 0.0),
                )
                self.on_event(
                    JobEvent(
                        "retry",
                        local_id=local_id,
                        job_id=job.id,
                        message=f"{exc}; the job keeps running, asking again in {delay:.1f}s",
                        http_status=exc.status,
                        retry_after=exc.retry_after,
                    )
                )
                self.sleep(delay)
                continue
            failures = 0
            if fresh.id and fresh.id not in known_ids:
                # The server now calls the job by another id (LiteLLM re-stamps them): record
                # it, so every command finds the job by either, and keep following it.
                known_ids.add(fresh.id)
                self.ledger.alias(local_id, fresh.id)
            job = fresh
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
        if record_final:
            self.record_end(local_id, job)
        if job.phase is Phase.FAILED:
            failure = JobRefusedError if job.refused else JobFailedError
            raise failure(job.id, job.status, job.error_code, job.error_message)
        return job

    def record_end(self, local_id: str, job: RemoteJob) -> None:
        """Record how a final job ended: failed (charged 0, its reservation released), or
        completed (charged what the server reports, else the estimate; an emulated job 0)."""
        if job.phase is Phase.FAILED:
            self.ledger.failed(local_id, job.status, job.error_code, job.error_message)
        elif job.phase.final:
            self.ledger.completed(local_id, 0.0 if self.emulated else job.cost_usd, free=self._free)

    def fetch(
        self, local_id: str, job: RemoteJob, request: GenerationRequest, options: RunOptions
    ) -> list[DownloadResult]:
        stem = naming.render(
            options.name_template, {**_name_values(request, options), "id": job.id}
        )
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

            try:
                result = download(
                    self.provider, job.id, variant, options.output_dir, stem, on_progress=progress
                )
            except (VariantUnavailableError, UnsupportedOperationError, NotFoundError) as exc:
                if variant == "video":
                    raise
                # A companion the server does not make (answered with the video instead, or a
                # 404 for a job whose video just downloaded: SGLang reads `variant` as an output
                # index): the video is what was paid for, so say so once and carry on.
                self.on_event(
                    JobEvent(
                        "warning",
                        local_id=local_id,
                        job_id=job.id,
                        variant=variant,
                        message=f"{variant} skipped: {exc.message}",
                    )
                )
                continue
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
        create: Callable[[], RemoteJob] | None = None,
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
            files = self._fetch_by(started.began + options.timeout, local_id, job, started, options)
        except KeyboardInterrupt:
            raise self._interrupted(
                local_id, job, options, "stopped waiting; job {} keeps running"
            ) from None
        except JobFailedError as exc:
            _named(exc, local_id, job.id, resume=f"video-gen status {job.id}")
            raise
        except NotFoundError as exc:
            raise _named(_forgotten(exc, local_id, job.id), local_id, job.id) from None
        except VideoGenError as exc:
            if exc.hint is None:
                exc.hint = f"the job keeps running; resume with: video-gen download {job.id}"
            _named(exc, local_id, job.id)
            raise
        video = next((f for f in files if f.variant == "video"), None)
        request = started.request
        cost, warning = believed_charge(
            local_id,
            None if self.emulated else job.cost_usd,
            started.estimate.usd,
            free=self._free,
        )
        if warning is not None:
            self.on_event(JobEvent("warning", local_id=local_id, job_id=job.id, message=warning))
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
            cost_usd=cost,
            estimate_usd=started.estimate.usd,
            local_id=local_id,
            files=tuple(files),
        )

    def _fetch_by(
        self, end: float, local_id: str, job: RemoteJob, started: Started, options: RunOptions
    ) -> list[DownloadResult]:
        """``fetch`` within the deadline (``--timeout`` runs from create to download): every
        content call ends by ``end``, and a download cut by it is a timeout (exit 6)."""
        try:
            with deadline_of.bounded(end - self.clock()):
                return self.fetch(local_id, job, started.request, options)
        except (APIConnectionError, DownloadIncompleteError):
            if self.clock() < end:
                raise
            self.ledger.event(local_id, "timeout", remote_id=job.id, after_s=options.timeout)
            raise DeadlineExceededError(job.id, options.timeout) from None

    def _interrupted(
        self, local_id: str, job: RemoteJob, options: RunOptions, what: str
    ) -> VideoGenError:
        """Ctrl-C or SIGTERM after the job exists: recorded, then the error that names it and
        how to resume (or, with ``--cancel-on-interrupt``, the job cancelled)."""
        self.ledger.event(local_id, "interrupted", remote_id=job.id)
        if options.cancel_on_interrupt:
            return _named(self._cancel(local_id, job), local_id, job.id)
        return _named(
            Interrupted(
                what.format(job.id) + " on the server",
                hint=f"resume with: video-gen download {job.id}",
            ),
            local_id,
            job.id,
        )

    def _cancel(self, local_id: str, job: RemoteJob) -> Interrupted:
        """``--cancel-on-interrupt``: ask the server to stop the job, then record how it ended
        (a cancelled job releases its reservation; one the server would not stop keeps it)."""
        try:
            self.provider.cancel(job.id)
            self.ledger.event(local_id, "cancel_requested", remote_id=job.id)
            fresh = self.provider.refresh(job.id)
        except VideoGenError as exc:
            return Interrupted(
                f"stopped waiting; cancelling job {job.id} failed ({exc.message}), so it may"
                " keep running (and be charged) on the server",
                hint=f"resume with: video-gen download {job.id}",
            )
        if fresh.phase is Phase.FAILED:
            self.ledger.failed(local_id, fresh.status, "cancelled", "cancelled on Ctrl-C")
            return Interrupted(
                f"stopped; job {job.id} was cancelled on the server (--cancel-on-interrupt)",
                hint="generate again when ready (a cancelled job is not charged by the budget)",
            )
        return Interrupted(
            f"stopped; cancel of job {job.id} was asked (--cancel-on-interrupt), the server"
            f" still says {fresh.status}",
            hint=f"check it with: video-gen status {job.id} (its reservation is kept until then)",
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
            try:
                job = self.provider.refresh(job_id)
            except NotFoundError as exc:
                raise _forgotten(exc, local_id, job_id) from None
        started = Started(
            local_id, job, Estimate(estimate_usd or 0.0, 0.0, "ledger"), request, self.clock()
        )
        return self.finish(started, options, record_final=not already_final)


def _named(
    exc: VideoGenError, local_id: str, job_id: str, *, resume: str | None = None
) -> VideoGenError:
    """``exc`` carrying the paid job it ends the run of (``exc.job``: shown on stderr even
    with ``-q``, and in ``--json``'s error object), its message or hint naming the job."""
    command = resume or f"video-gen download {job_id}"
    exc.job = {
        "job_id": job_id,
        "local_id": None if local_id == "-" else local_id,
        "resume": command,
    }
    if job_id not in f"{exc.message} {exc.hint or ''}":
        named = f"job {job_id} keeps running; resume with: {command}"
        exc.hint = f"{exc.hint}; {named}" if exc.hint else named
    return exc


def _is_free(provider: Provider) -> bool:
    """Whether the provider is declared free (the emulator, ``free = true``): its reported
    cost of 0 is believed."""
    return getattr(provider, "free", False) is True


def _name_values(request: GenerationRequest, options: RunOptions) -> dict[str, Any]:
    """What a file name template is filled with (``id`` is added once the job exists)."""
    return {
        "slug": naming.slugify(request.prompt),
        "model": request.model,
        "seconds": request.seconds,
        "size": request.size,
        **options.name_values,
    }


def _forgotten(exc: NotFoundError, local_id: str, job_id: str) -> NotFoundError:
    """A recorded job the server answers 404 for: expired or deleted there. Its reservation
    stays until the user says whether it was charged."""
    if local_id == "-":  # a foreign id: nothing of ours to settle
        return exc
    exc.message = f"the server no longer knows job {job_id}: {exc.message}"
    exc.hint = (
        f"if it was charged: video-gen settle {local_id} --charged; if not:"
        f" video-gen settle {local_id} --not-charged (its reservation is kept until then)"
    )
    return exc


class UnrecordedJob:
    """Recorder for a job this ledger never created (``video-gen download`` of a foreign id):
    it costs this budget nothing, so nothing is written."""

    def reserve(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never creates
        raise RuntimeError("an unrecorded job cannot reserve")

    def submitted(self, local_id: str, remote_id: str, status: str) -> None: ...
    def status(self, local_id: str, status: str, progress: int | None) -> None: ...
    def alias(self, local_id: str, remote_id: str) -> None: ...
    def in_doubt(self, local_id: str, reason: str) -> None: ...
    def claim(
        self,
        local_id: str,
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> Any: ...
    def completed(self, local_id: str, actual_usd: float | None, *, free: bool = False) -> None: ...
    def failed(self, local_id: str, status: str, code: str | None, message: str | None) -> None: ...
    def released(self, local_id: str, reason: str) -> None: ...
    def downloaded(
        self, local_id: str, variant: str, path: Path, sha256: str, size: int
    ) -> None: ...
    def event(self, local_id: str, kind: str, **fields: Any) -> None: ...

    def known_remote_ids(self, *, since: datetime) -> frozenset[str]:
        return frozenset()
