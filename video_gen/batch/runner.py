"""The batch engine: many items, each driven through ``JobRunner`` on its own worker thread.

One worker thread per job in flight, each doing exactly what ``generate`` does (``JobRunner.start``
then ``finish``, or ``resume`` to re-attach), so reservation, record-before-wait, polling and
downloading are the job layer's, not re-implemented here. The coordinator (the caller's thread,
normally the main thread) starts workers while the adaptive limit allows, collects their
outcomes from a queue, and decides what follows: the next item, a re-queue after a 429, or
stopping on a budget refusal.

Ctrl-C cannot reach worker threads, so the caller turns signals into ``interrupt()``: the first
stops new jobs (the ones in flight are waited for), the second aborts: every worker's next sleep
raises KeyboardInterrupt inside ``JobRunner``, which records "interrupted" and leaves the remote
job running for a re-run to re-attach. Workers are daemon threads, so an abort exits at once even
if one is stuck in a slow HTTP call.

Never prints: state changes go to ``on_change`` listeners, everything else to ``on_notice``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from video_gen.batch.concurrency import AdaptiveLimit, LimitChange
from video_gen.batch.items import Problem
from video_gen.batch.manifest import Manifest
from video_gen.batch.state import ORPHAN_RELEASE, Action, Decision
from video_gen.batch.validate import Item
from video_gen.errors import (
    APIConnectionError,
    BudgetError,
    CreateInDoubtError,
    DeadlineExceededError,
    Interrupted,
    JobFailedError,
    RateLimitError,
    ServerError,
    VideoGenError,
)
from video_gen.exit_codes import ExitCode
from video_gen.jobs import JobEvent, JobRunner, Recorder, RunOptions
from video_gen.pricing import PriceRow
from video_gen.providers.base import Provider
from video_gen.types import GenerationRequest, GenerationResult, RemoteJob

# Item statuses (the manifest's ``status``): the first four are transient.
PENDING, SUBMITTING, RUNNING, DOWNLOADING = "pending", "submitting", "running", "downloading"
DONE, ALREADY_DONE = "done", "already_done"
FAILED, REFUSED, UNFINISHED, INVALID = "failed", "refused", "unfinished", "invalid"
# The create may have made a job that cannot be looked up: never re-sent; `video-gen settle`.
IN_DOUBT = "in_doubt"
SUCCEEDED = frozenset({DONE, ALREADY_DONE})
ACTIVE = frozenset({SUBMITTING, RUNNING, DOWNLOADING})
STATUSES = (
    PENDING,
    SUBMITTING,
    RUNNING,
    DOWNLOADING,
    DONE,
    ALREADY_DONE,
    FAILED,
    REFUSED,
    UNFINISHED,
    IN_DOUBT,
    INVALID,
)

# Transient failures while a created job is being waited for: the job is fine, only our view of
# it failed, so the worker re-attaches (a fresh poll) instead of giving the item up.
_TRANSIENT = (RateLimitError, ServerError, APIConnectionError)


@dataclass(eq=False)  # compared by identity: each state is one item of this run
class ItemState:
    """One item's progress through this run; what the manifest and the summary show."""

    line: int
    name: str | None
    key: str | None
    status: str
    item: Item | None = None
    decision: Decision | None = None
    remote_status: str | None = None
    progress: int | None = None
    job_id: str | None = None
    local_id: str | None = None
    file: Path | None = None
    sha256: str | None = None
    cost_usd: float | None = None
    error: str | None = None
    hint: str | None = None
    attempts: int = 0

    @property
    def label(self) -> str:
        return f"{self.line} {self.name}" if self.name else str(self.line)

    @property
    def action(self) -> Action | None:
        return self.decision.action if self.decision is not None else None

    def to_json(self) -> dict[str, Any]:
        request = self.item.request if self.item is not None else None
        return {
            "line": self.line,
            "name": self.name,
            "key": self.key,
            "status": self.status,
            "remote_status": self.remote_status,
            "job_id": self.job_id,
            "local_id": self.local_id,
            "file": str(self.file) if self.file is not None else None,
            "sha256": self.sha256,
            "cost_usd": self.cost_usd,
            "estimate_usd": self.item.estimate.usd if self.item is not None else None,
            "error": self.error,
            "hint": self.hint,
            "provider": request.provider if request else None,
            "model": request.model if request else None,
            "seconds": request.seconds if request else None,
            "size": request.size if request else None,
            "prompt": _redact(request.prompt) if request else None,
        }


def initial_states(
    decisions: Sequence[Decision], invalid: Sequence[Problem] = ()
) -> list[ItemState]:
    """Every item's starting state, in line order (invalid items skipped by --skip-invalid too)."""
    states: list[ItemState] = []
    for d in decisions:
        item = d.item
        state = ItemState(
            line=item.line, name=item.name, key=item.key, status=PENDING, item=item, decision=d
        )
        job = d.job
        if d.action is Action.SKIP and job is not None:
            state.status, state.file, state.sha256 = ALREADY_DONE, d.file, d.sha256
            state.job_id, state.local_id, state.cost_usd = (
                job.remote_id,
                job.local_id,
                job.charged_usd,
            )
            state.remote_status = job.status
        elif d.action is Action.FAILED and job is not None:
            state.status, state.error = FAILED, d.note
            state.job_id, state.local_id, state.cost_usd = job.remote_id, job.local_id, 0.0
            state.hint = "re-run with --retry-failed to try it again"
        elif job is not None and d.action in (Action.REATTACH, Action.REDOWNLOAD, Action.RECOVER):
            state.job_id, state.local_id = job.remote_id, job.local_id
        states.append(state)
    seen = {s.line for s in states}
    for p in invalid:
        if p.line is not None and p.line not in seen:
            seen.add(p.line)
            states.append(
                ItemState(
                    line=p.line,
                    name=None,
                    key=None,
                    status=INVALID,
                    error=f"{p.field}: {p.message}" if p.field else p.message,
                    hint=p.hint,
                )
            )
    states.sort(key=lambda s: s.line)
    return states


@dataclass(frozen=True)
class Backend:
    """An opened provider and the price table its jobs are estimated with."""

    provider: Provider
    prices: Sequence[PriceRow]


@dataclass(frozen=True)
class Notice:
    """Something to tell the user that is not one item's state (kind: concurrency, stopping,
    budget, requeue, recovered, warning, retry)."""

    kind: str
    message: str


@dataclass
class BatchResult:
    states: list[ItemState]
    interrupted: bool = False
    budget_stopped: bool = False
    concurrency: dict[str, int] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return all(s.status in SUCCEEDED for s in self.states)

    @property
    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return ExitCode.OK if self.succeeded else ExitCode.PARTIAL_FAILURE

    def totals(self) -> dict[str, Any]:
        return totals(self.states)


def totals(states: Sequence[ItemState]) -> dict[str, Any]:
    counts = {status: 0 for status in STATUSES}
    for s in states:
        counts[s.status] = counts.get(s.status, 0) + 1
    # A re-download's job was charged in an earlier run; a re-attached job is charged now.
    again = [s for s in states if s.status == DONE and s.action is Action.REDOWNLOAD]
    spent = sum(s.cost_usd or 0.0 for s in states if s.status == DONE and s not in again)
    earlier = sum(s.cost_usd or 0.0 for s in states if s.status == ALREADY_DONE or s in again)
    return {
        "items": len(states),
        **counts,
        "spent_usd": round(spent, 6),
        "spent_earlier_usd": round(earlier, 6),
    }


Listener = Callable[[ItemState, str], None]  # (state, "status" | "remote")
NoticeFn = Callable[[Notice], None]


@dataclass
class _Outcome:
    result: GenerationResult | None = None
    error: BaseException | None = None


class BatchEngine:
    def __init__(
        self,
        states: list[ItemState],
        *,
        backends: Mapping[str, Backend],
        ledger: Recorder,
        limits: Any,
        options_for: Callable[[Item], RunOptions],
        concurrency: AdaptiveLimit,
        manifest: Manifest | None = None,
        on_change: Listener | None = None,
        on_notice: NoticeFn | None = None,
        tick: float = 0.2,
        max_create_tries: int = 6,
        max_reattach: int = 3,
        abort_grace: float = 1.0,
        manifest_interval: float = 0.2,
    ) -> None:
        self.states = states
        self.backends = dict(backends)
        self.ledger = ledger
        self.limits = limits
        self.options_for = options_for
        self.limit = concurrency
        self.manifest = manifest
        self.on_change = on_change or (lambda s, k: None)
        self.on_notice = on_notice or (lambda n: None)
        self.tick = tick
        self.max_create_tries = max_create_tries
        self.max_reattach = max_reattach
        self.abort_grace = abort_grace
        self.manifest_interval = manifest_interval
        self._lock = threading.RLock()
        self._results: queue.Queue[tuple[ItemState, _Outcome]] = queue.Queue()
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._closed = False
        self._budget_stopped = False
        self._dirty = False  # the manifest is behind the states
        self._written = float("-inf")
        self._running: list[ItemState] = []

    # -- control (safe from a signal handler: only sets events) -----------------------------
    def interrupt(self) -> str:
        """First call: stop starting jobs. Second: abort waiting. Returns "stop" or "abort"."""
        if not self._stop.is_set():
            self._stop.set()
            return "stop"
        self._abort.set()
        return "abort"

    def in_flight(self) -> list[ItemState]:
        with self._lock:
            return list(self._running)

    def on_provider_event(self, event: JobEvent) -> None:
        """Events from the provider's HTTP client (not tied to an item): 429 retries."""
        if event.kind != "retry":
            return
        self.on_notice(Notice("retry", f"retrying: {event.message}"))
        if event.http_status == 429:
            self._rate_limited(event.retry_after)

    # -- the coordinator ---------------------------------------------------------------------
    def run(self) -> BatchResult:
        work = [s for s in self.states if s.action is not None and s.action.works]
        # Jobs already paid for first: re-attaching costs nothing and frees their reservations.
        work.sort(key=lambda s: (s.action is Action.SUBMIT, s.line))
        todo: deque[ItemState] = deque(work)
        self._write_manifest()
        stop_reported = False
        while True:
            if self._abort.is_set():
                break
            if self._stop.is_set() and not stop_reported:
                stop_reported = True
                self._report_stop(todo)
            self._launch(todo)
            with self._lock:
                busy = bool(self._running)
            if not busy and (not todo or self._stop.is_set()):
                break
            self._flush_manifest()
            try:
                state, outcome = self._results.get(timeout=self.tick)
            except queue.Empty:
                continue
            self._settle(state, outcome, todo)
        if self._abort.is_set():
            self._drain_after_abort()
        with self._lock:
            self._closed = True
            result = BatchResult(
                states=self.states,
                interrupted=self._stop.is_set(),
                budget_stopped=self._budget_stopped,
                concurrency={
                    "requested": self.limit.ceiling,
                    "lowest": self.limit.lowest,
                    "final": self.limit.current,
                    "rate_limited": self.limit.rate_limited_count,
                },
            )
            self._write_manifest(finished=True)
        return result

    def _launch(self, todo: deque[ItemState]) -> None:
        while todo and not self._stop.is_set():
            with self._lock:
                if len(self._running) >= self.limit.current:
                    return
            if self.limit.hold() > 0:
                return
            state = todo.popleft()
            with self._lock:
                self._running.append(state)
            threading.Thread(
                target=self._worker,
                args=(state,),
                daemon=True,
                name=f"video-gen-batch-{state.line}",
            ).start()

    def _settle(self, state: ItemState, outcome: _Outcome, todo: deque[ItemState]) -> None:
        with self._lock:
            if state in self._running:
                self._running.remove(state)
        if outcome.result is not None:
            r = outcome.result
            self._set(
                state,
                DONE,
                job_id=r.job_id,
                local_id=r.local_id,
                file=r.file,
                sha256=r.sha256,
                cost_usd=r.cost_usd,
                error=None,
                hint=None,
                remote_status=r.status,
            )
            self._limit_changed(self.limit.succeeded())
            return
        exc = outcome.error
        created = state.job_id is not None
        if isinstance(exc, CreateInDoubtError):
            self._set(state, IN_DOUBT, local_id=exc.local_id, error=exc.message, hint=exc.hint)
        elif isinstance(exc, BudgetError) and not created:
            self._set(state, REFUSED, error=exc.message, hint=exc.hint)
            self._stop_submitting(state, todo)
        elif isinstance(exc, RateLimitError) and not created:
            state.attempts += 1
            if self._stop.is_set():
                self._set(state, PENDING, error=None, local_id=None)  # not started after all
            elif state.attempts < self.max_create_tries:
                self._rate_limited(exc.retry_after)
                self._set(state, PENDING, error=None, local_id=None)  # it was released
                todo.appendleft(state)
                self.on_notice(
                    Notice(
                        "requeue",
                        f"[{state.label}] rate limited at create;"
                        " it waits for its turn again (nothing was created)",
                    )
                )
            else:
                self._set(state, FAILED, error=str(exc), hint=exc.hint)
        elif (
            isinstance(exc, (Interrupted, DeadlineExceededError))
            or (created and isinstance(exc, _TRANSIENT))
            or isinstance(exc, KeyboardInterrupt)
        ):
            message = str(exc) if not isinstance(exc, KeyboardInterrupt) else "interrupted"
            self._set(
                state,
                UNFINISHED,
                error=message,
                hint="the job keeps running on the server; re-run the batch to re-attach",
            )
        elif isinstance(exc, JobFailedError):
            self._set(
                state,
                FAILED,
                error=exc.message,
                cost_usd=0.0,
                hint="re-run the batch with --retry-failed to try it again",
            )
        elif isinstance(exc, VideoGenError):
            hint = exc.hint
            if state.action is Action.SUBMIT and not created:
                hint = "re-run the batch with --retry-failed to try it again"
            self._set(state, FAILED, error=str(exc), hint=hint)
        else:
            self._set(
                state,
                FAILED,
                error=f"unexpected {type(exc).__name__}: {exc}",
                hint="re-run with --verbose and report it",
            )

    def _stop_submitting(self, refused: ItemState, todo: deque[ItemState]) -> None:
        """A reservation was refused: no more new jobs (re-attaching still goes on)."""
        self._budget_stopped = True
        kept = [s for s in todo if s.action is not Action.SUBMIT]
        dropped = [s for s in todo if s.action is Action.SUBMIT]
        todo.clear()
        todo.extend(kept)
        for s in dropped:
            self._set(
                s,
                PENDING,
                error=f"not started: the budget refused item {refused.label}",
                hint=refused.hint,
            )
        self.on_notice(
            Notice(
                "budget",
                f"[{refused.label}] refused by the budget; no further"
                f" jobs will be submitted ({len(dropped)} not started)",
            )
        )

    def _report_stop(self, todo: deque[ItemState]) -> None:
        running = self.in_flight()
        listed = ", ".join(
            f"{s.label}" + (f" ({s.job_id})" if s.job_id else "") for s in running[:10]
        )
        more = f" and {len(running) - 10} more" if len(running) > 10 else ""
        if running:
            text = (
                f"stopping: no new jobs will start ({len(todo)} not started); waiting for"
                f" {len(running)} in flight: {listed}{more}. Ctrl-C again to stop waiting"
                " (they keep running on the server)"
            )
        else:
            text = f"stopping: no new jobs will start ({len(todo)} not started)"
        self.on_notice(Notice("stopping", text))

    def _drain_after_abort(self) -> None:
        """Give workers a moment to record 'interrupted', then leave the rest running."""
        deadline = time.monotonic() + self.abort_grace
        while self.in_flight() and time.monotonic() < deadline:
            try:
                state, outcome = self._results.get(timeout=0.05)
            except queue.Empty:
                continue
            self._settle(state, outcome, deque())
        for state in self.in_flight():
            with self._lock:
                self._running.remove(state)
            if state.job_id is not None:
                self._set(
                    state,
                    UNFINISHED,
                    error="interrupted while in flight",
                    hint="the job keeps running on the server; re-run the batch to re-attach",
                )
            else:
                self._set(
                    state,
                    UNFINISHED,
                    error="interrupted while creating",
                    hint="a re-run looks for the job on the server before creating again",
                )

    # -- workers -----------------------------------------------------------------------------
    def _worker(self, state: ItemState) -> None:
        try:
            outcome = _Outcome(result=self._drive(state))
        except BaseException as exc:  # reported as the item's outcome; one item never kills all
            outcome = _Outcome(error=exc)
        self._results.put((state, outcome))

    def _drive(self, state: ItemState) -> GenerationResult:
        decision = state.decision
        assert decision is not None
        item = decision.item
        action = decision.action
        earlier = decision.job
        provider_name = (
            earlier.provider
            if (earlier is not None and action is not Action.SUBMIT and earlier.provider)
            else item.request.provider
        )
        backend = self.backends[provider_name]
        runner = JobRunner(
            backend.provider,
            self.ledger,
            limits=self.limits,
            price_table=backend.prices,
            on_event=lambda e: self._on_job_event(state, e),
            sleep=self._sleep,
        )
        options = self.options_for(item)
        if action is Action.RECOVER and earlier is not None:
            found = self._recover(backend.provider, item.request, earlier)
            if found is None:
                action = Action.SUBMIT
            else:
                self._set(
                    state,
                    RUNNING,
                    job_id=found.id,
                    local_id=earlier.local_id,
                    remote_status=found.status,
                )
                return self._attached(
                    runner,
                    state,
                    earlier.local_id,
                    found.id,
                    item.request,
                    options,
                    earlier.estimate_usd,
                    already_final=False,
                )
        if action is Action.SUBMIT:
            self._set(state, SUBMITTING, error=None, hint=None)
            started = runner.start(item.request, options)
            return self._attached(
                runner,
                state,
                started.local_id,
                started.job.id,
                item.request,
                options,
                started.estimate.usd,
                first=lambda: runner.finish(started, options),
            )
        assert earlier is not None and earlier.remote_id is not None
        self._set(state, RUNNING, job_id=earlier.remote_id, local_id=earlier.local_id)
        return self._attached(
            runner,
            state,
            earlier.local_id,
            earlier.remote_id,
            item.request,
            options,
            earlier.estimate_usd,
            already_final=action is Action.REDOWNLOAD,
        )

    def _attached(
        self,
        runner: JobRunner,
        state: ItemState,
        local_id: str,
        job_id: str,
        request: GenerationRequest,
        options: RunOptions,
        estimate: float,
        *,
        already_final: bool = False,
        first: Callable[[], GenerationResult] | None = None,
    ) -> GenerationResult:
        """Finish a created job, re-attaching after transient failures (never a new create)."""

        def reattach() -> GenerationResult:
            return runner.resume(
                local_id,
                job_id,
                request,
                options,
                estimate_usd=estimate,
                already_final=already_final,
            )

        call = first or reattach
        tries = 0
        while True:
            try:
                return call()
            except _TRANSIENT as exc:
                tries += 1
                if tries > self.max_reattach or self._stop.is_set():
                    raise
                if isinstance(exc, RateLimitError):
                    self._rate_limited(exc.retry_after)
                wait = exc.retry_after if exc.retry_after is not None else min(2.0**tries, 30.0)
                if self._abort.wait(wait):
                    raise
                self.on_notice(Notice("retry", f"[{state.label}] {exc}; re-attaching to {job_id}"))
                call = reattach

    def _recover(
        self, provider: Provider, request: GenerationRequest, earlier: Any
    ) -> RemoteJob | None:
        """An orphaned reservation (its create never answered, or was left in doubt): adopt the
        job its create made if the server certainly has it; None when it certainly has none
        (then the orphan is released and submitted again); CreateInDoubtError when that cannot
        be known (then nothing is sent)."""
        from video_gen import recovery
        from video_gen.errors import APIConnectionError as _Cause

        found = recovery.recover(
            provider,
            self.ledger,
            earlier.local_id,
            request,
            since=earlier.created_at.timestamp(),
            cause=_Cause("an earlier run's create never answered"),
            sleep=self._sleep,
        )
        if found is not None:
            self.on_notice(
                Notice(
                    "recovered",
                    f"found job {found.id} made by an earlier, interrupted create;"
                    " re-attaching (no new create)",
                )
            )
            return found
        self.ledger.released(
            earlier.local_id,
            f"{ORPHAN_RELEASE}; no job found on the server, so it is submitted again",
        )
        return None

    def _sleep(self, seconds: float) -> None:
        """JobRunner's sleep: an abort raises KeyboardInterrupt in the worker, which JobRunner
        turns into a recorded "interrupted" and an Interrupted error (the job keeps running)."""
        if self._abort.wait(seconds):
            raise KeyboardInterrupt

    # -- state -------------------------------------------------------------------------------
    def _on_job_event(self, state: ItemState, e: JobEvent) -> None:
        if e.kind == "reserved":
            self._set(state, SUBMITTING, local_id=e.local_id)
        elif e.kind == "submitted":
            self._set(
                state,
                RUNNING,
                job_id=e.job_id,
                local_id=e.local_id,
                remote_status=e.status,
                progress=e.progress,
            )
            self._limit_changed(self.limit.succeeded())
        elif e.kind == "status":
            self._set(state, state.status, remote_status=e.status, progress=e.progress)
        elif e.kind == "download":
            if e.variant == "video":
                self._set(state, DOWNLOADING)
        elif e.kind == "downloaded":
            if e.variant == "video":
                self._set(state, state.status, file=Path(e.message))
        elif e.kind == "warning":
            self.on_notice(Notice("warning", f"[{state.label}] {e.message}"))

    def _set(self, state: ItemState, status: str, **changes: Any) -> None:
        with self._lock:
            if self._closed:
                return  # a late worker after an abort: the summary is already out
            lifecycle = status != state.status or any(
                k in changes and changes[k] != getattr(state, k)
                for k in ("job_id", "file", "error", "remote_status")
            )
            remote = "progress" in changes and changes["progress"] != state.progress
            state.status = status
            for key, value in changes.items():
                setattr(state, key, value)
            if lifecycle:
                self._dirty = True
            if lifecycle or remote:
                self.on_change(state, "status" if lifecycle else "remote")

    def _flush_manifest(self) -> None:
        """Write the manifest if an item changed, at most every ``manifest_interval`` seconds:
        rewriting every item on every change would cost O(items^2) in a large batch, and the
        ledger, not the manifest, is what a resume relies on."""
        with self._lock:
            now = time.monotonic()
            if self._dirty and now - self._written >= self.manifest_interval:
                self._write_manifest()

    def _write_manifest(self, *, finished: bool = False) -> None:
        self._dirty = False
        self._written = time.monotonic()
        if self.manifest is not None:
            self.manifest.write(
                [s.to_json() for s in self.states], totals(self.states), finished=finished
            )

    def _rate_limited(self, retry_after: float | None) -> None:
        self._limit_changed(self.limit.rate_limited(retry_after))

    def _limit_changed(self, change: LimitChange | None) -> None:
        if change is None:
            return
        if change.reason == "rate-limited":
            text = (
                f"rate limited (HTTP 429): concurrency {change.before} -> {change.after},"
                " new jobs wait for the server's Retry-After"
            )
        else:
            text = f"concurrency {change.before} -> {change.after}: the server keeps up again"
        self.on_notice(Notice("concurrency", text))


def _redact(text: str) -> str:
    from video_gen.redact import redact

    return redact(text)
