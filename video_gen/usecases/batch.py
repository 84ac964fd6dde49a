"""The batch use case: a flow file -> validated items -> estimate and budget -> engine -> result.

``load`` reads and checks the file (nothing is sent), ``plan`` decides each item from the ledger
and forecasts the spend, ``run`` takes the batch's lock, checks the budget and drives the engine.
``video-gen batch``, ``prompt-from-repo --generate`` and ``video-gen film`` call these; how the
progress looks is the caller's (a ``Display``), so this module never prints.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from video_gen import naming
from video_gen.batch import identity, items, lock, preflight, state
from video_gen.batch.concurrency import AdaptiveLimit
from video_gen.batch.items import Problem, RawItem
from video_gen.batch.manifest import Manifest, default_path
from video_gen.batch.preflight import Forecast
from video_gen.batch.runner import (
    Backend,
    BatchEngine,
    BatchResult,
    ItemState,
    Notice,
    initial_states,
)
from video_gen.batch.state import Action, Decision
from video_gen.batch.validate import Defaults, Item, ProviderInfo, validate
from video_gen.errors import ConfigError, UsageError
from video_gen.jobs import JobEvent, RunOptions


class Session(Protocol):
    """What a use case needs from the process: config, ledger, budget and providers.

    The CLI builds it (``video_gen/cli/session.py``); a provider is opened only when a job needs
    it, and ``close`` releases every one opened.
    """

    config: Any
    ledger: Any
    limits: Any

    def provider_info(self, name: str | None) -> ProviderInfo:
        """The provider ``name`` (None: the default one), without connecting to it."""

    def open_backend(self, name: str, listener: Callable[[JobEvent], None]) -> Backend:
        """Open provider ``name``; ``listener`` hears its HTTP client's retries."""

    def run_options(
        self,
        *,
        command: str,
        output_dir: Path | None,
        name: str | None,
        timeout: float | None,
        poll_interval: float | None,
    ) -> RunOptions:
        """Job options from the flags, falling back to the config."""

    def close(self) -> None: ...


class Display(Protocol):
    """How a caller shows a batch running (the CLI: Rich, plain lines, or nothing)."""

    def planned(
        self, batch: LoadedBatch, decisions: Sequence[Decision], forecast: Forecast
    ) -> None:
        """The batch is locked and planned; called before the budget check."""

    def started(self, states: list[ItemState]) -> None: ...

    def change(self, state: ItemState, kind: str) -> None: ...

    def notice(self, notice: Notice) -> None: ...

    def finished(self) -> None: ...


@dataclass(frozen=True)
class BatchRequest:
    """What to run: a flow file and the command line's choices (None: config or default)."""

    file: str  # a path, or "-" for stdin
    stdin_text: str | None = None
    input_format: str | None = None
    defaults: Defaults = field(default_factory=Defaults)
    output_dir: Path | None = None
    name: str | None = None
    concurrency: int | None = None
    max_cost: float | None = None
    retry_failed: bool = False
    skip_invalid: bool = False
    batch_id: str | None = None
    manifest: Path | None = None
    timeout: float | None = None
    poll_interval: float | None = None
    command: str = "batch"
    # Ctrl-C that stops waiting also cancels the jobs in flight (default: they keep running).
    cancel_on_interrupt: bool = False


class InvalidBatch(UsageError):
    """Items that cannot run; ``problems`` says which and why (every one, not just the first)."""

    def __init__(self, message: str, *, hint: str, problems: Sequence[Problem]) -> None:
        super().__init__(message, hint=hint)
        self.problems = list(problems)


@dataclass
class LoadedBatch:
    """A flow file read, resolved, checked and priced: ready to plan, nothing sent yet."""

    request: BatchRequest
    source: str  # how messages name the file ("<stdin>" for stdin)
    path: Path | None
    text: str
    fmt: str
    raw: list[RawItem]
    items: list[Item]
    skipped: list[Problem]  # invalid items left out by --skip-invalid
    batch_id: str
    base: RunOptions
    ceiling: int
    manifest_path: Path

    @property
    def output_dir(self) -> Path:
        return self.base.output_dir

    @property
    def header(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "source": str(self.path.resolve()) if self.path else "-",
            "format": self.fmt,
            "output_dir": str(self.output_dir.resolve()),
        }

    def options_for(self, item: Item) -> RunOptions:
        return replace(
            self.base,
            batch_id=self.batch_id,
            item_key=item.key,
            name_values={
                "n": item.n,
                "name": item.name or f"{item.n}-{naming.slugify(item.request.prompt)}",
            },
        )


@dataclass
class BatchRun:
    """A finished run: the engine's result and the plan it ran."""

    result: BatchResult
    decisions: list[Decision]
    forecast: Forecast


def check_items(
    raw: Sequence[RawItem],
    defaults: Defaults,
    session: Session,
    *,
    source: str,
    base_dir: Path,
) -> tuple[list[Item], list[Problem]]:
    """Resolve, check and price raw items against their providers (nothing is sent)."""
    checked = validate(raw, defaults, session.provider_info, source=source, base_dir=base_dir)
    return checked.items, checked.problems


def load(request: BatchRequest, session: Session) -> LoadedBatch:
    """Read, parse, resolve and price every item; raise InvalidBatch before anything is sent."""
    if request.name is not None:
        naming.check_template(request.name)
    text, path = items.read_source(request.file, request.stdin_text)
    fmt = items.detect_format(path, request.input_format, text)
    source = "<stdin>" if path is None else request.file
    parsed = items.parse(text, fmt, source)
    checked, invalid = check_items(
        parsed.items,
        request.defaults,
        session,
        source=source,
        base_dir=path.parent if path is not None else Path.cwd(),
    )
    problems = sorted(parsed.problems + invalid, key=lambda p: (p.line is not None, p.line or 0))
    if problems:
        fatal = not request.skip_invalid or not checked or any(p.line is None for p in problems)
        if fatal:
            count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
            raise InvalidBatch(
                f"{count} in {source}: nothing was submitted",
                hint="fix the lines above"
                + ("" if not checked else ", or pass --skip-invalid to run the valid ones"),
                problems=problems,
            )
    if not checked:
        raise UsageError(
            f"{source} has no items",
            hint='write one prompt per line (.txt), or one {"prompt": ...} object'
            " per line (.jsonl)",
        )
    bid = identity.batch_id(path, text, request.batch_id)
    # The config's output.name is not used: its date-time default would not say which line a
    # file came from. {name} is the item's name, else its line number and slug.
    base = replace(
        session.run_options(
            command=request.command,
            output_dir=request.output_dir,
            name=request.name or "{name}",
            timeout=request.timeout,
            poll_interval=request.poll_interval,
        ),
        cancel_on_interrupt=request.cancel_on_interrupt,
    )
    ceiling = (
        request.concurrency
        if request.concurrency is not None
        else int(session.config.value("defaults.concurrency"))
    )
    if ceiling < 1:
        raise ConfigError(
            f"defaults.concurrency is {ceiling}: it must be at least 1",
            hint="video-gen config set defaults.concurrency 2",
        )
    manifest_path = (
        request.manifest
        if request.manifest is not None
        else default_path(base.output_dir, path, bid)
    )
    return LoadedBatch(
        request=request,
        source=source,
        path=path,
        text=text,
        fmt=fmt,
        raw=list(parsed.items),
        items=checked,
        skipped=problems,
        batch_id=bid,
        base=base,
        ceiling=ceiling,
        manifest_path=manifest_path,
    )


def plan(
    batch: LoadedBatch, session: Session, items_: Sequence[Item] | None = None
) -> tuple[list[Decision], Forecast]:
    """Each item's decision from the ledger (skip, re-attach, submit ...) and the spend forecast."""
    jobs = session.ledger.jobs(batch=batch.batch_id, limit=None)
    decisions = state.decide(
        list(items_ if items_ is not None else batch.items),
        jobs,
        retry_failed=batch.request.retry_failed,
    )
    forecast = preflight.forecast(
        decisions,
        session.ledger.month(limits=session.limits),
        session.limits,
        max_cost=batch.request.max_cost,
    )
    return decisions, forecast


def changed_warnings(batch: LoadedBatch, decisions: Sequence[Decision]) -> list[str]:
    """Named items whose parameters changed since the job that is kept for them."""
    out = []
    for d in decisions:
        if d.changed and d.action is not Action.SUBMIT:
            what = {
                Action.FAILED: "failed; --retry-failed submits it with the new ones",
                Action.REATTACH: "is still running; finishing that job",
                Action.RECOVER: "may be running; finishing that job",
            }.get(d.action, "is kept (give the item a new name to make it again)")
            out.append(
                f"{batch.source}:{d.item.line}: item {d.item.name!r} was made with other"
                f" parameters in an earlier run; that video {what}"
            )
    return out


def run(batch: LoadedBatch, session: Session, display: Display) -> BatchRun:
    """Lock the batch, plan it, refuse over budget (BudgetError), then run every item."""
    with lock.exclusive(batch.batch_id):
        decisions, forecast = plan(batch, session)
        display.planned(batch, decisions, forecast)
        forecast.check()
        check_local(batch, decisions)
        result = run_engine(batch, session, display, decisions, skipped=batch.skipped)
    return BatchRun(result, decisions, forecast)


def check_local(batch: LoadedBatch, decisions: Sequence[Decision]) -> None:
    """The local checks for the whole batch before its first create (``video_gen.preflight``):
    its name template, output and manifest folders, and disk space for every new video."""
    from video_gen import preflight as local

    new = [d.item for d in decisions if d.action.spends]
    sample = new[0] if new else (batch.items[0] if batch.items else None)
    values: dict[str, Any] = {}
    if sample is not None:
        options = batch.options_for(sample)
        values = {
            "slug": naming.slugify(sample.request.prompt),
            "model": sample.request.model,
            "seconds": sample.request.seconds,
            "size": sample.request.size,
            **options.name_values,
        }
    local.check_batch(
        [item.request for item in new],
        batch.output_dir,
        batch.base.name_template,
        manifest=batch.manifest_path,
        sample_values=values,
    )


def run_engine(
    batch: LoadedBatch,
    session: Session,
    display: Display,
    decisions: Sequence[Decision],
    *,
    skipped: Sequence[Problem] = (),
    concurrency: int | None = None,
    manifest: Manifest | None = None,
) -> BatchResult:
    """Drive ``decisions`` through the engine (the caller holds the batch's lock).

    Ctrl-C in the main thread becomes ``engine.interrupt()``: the first stops new jobs and waits
    for those in flight, the second stops waiting (the jobs keep running on the server).
    """
    needed: set[str] = set()
    for d in decisions:
        if d.action.works:
            earlier = (
                d.job.provider if d.job is not None and d.action is not Action.SUBMIT else None
            )
            needed.add(earlier or d.item.request.provider)
    states = initial_states(decisions, skipped if batch.request.skip_invalid else ())
    engine: BatchEngine | None = None
    listeners: list[Callable[[JobEvent], None]] = []

    def relay(event: JobEvent) -> None:
        for fn in listeners:
            fn(event)

    def on_sigint(signum: int, frame: Any) -> None:
        # Only flags are set here (a handler must not take locks the interrupted code holds).
        if engine is not None:
            engine.interrupt()

    previous = None
    display.started(states)
    try:
        backends = {name: session.open_backend(name, relay) for name in sorted(needed)}
        engine = BatchEngine(
            states,
            backends=backends,
            ledger=session.ledger,
            limits=session.limits,
            options_for=batch.options_for,
            concurrency=AdaptiveLimit(concurrency or batch.ceiling),
            manifest=manifest or Manifest(batch.manifest_path, batch.header),
            on_change=display.change,
            on_notice=display.notice,
        )
        listeners.append(engine.on_provider_event)
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, on_sigint)
        return engine.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        display.finished()
