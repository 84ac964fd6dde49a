"""`video-gen batch`: many videos from one file, concurrent, resumable, within budget.

This module parses the command line, wires the core (``video_gen/batch``) to the providers and
the ledger, and renders: a Rich display on a terminal, one line per item state change in CI or a
pipe, nothing with --quiet; then a summary table (stdout, or stderr with --json).
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from video_gen.cli import options as opt

Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="txt, jsonl or csv (default: from the extension; for stdin, jsonl when the"
        " text starts with '{', else txt).",
        show_default=False,
    ),
]
BatchName = Annotated[
    str | None,
    typer.Option(
        "--name",
        envvar="VIDEO_GEN_NAME",
        help="File name template: {n} (line number, 001) {name} (the item's name, else n-slug)"
        " {slug} {date} {time} {id} {model} {seconds} {size}. Default: {name}.",
        show_default=False,
    ),
]
Concurrency = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        "-c",
        envvar="VIDEO_GEN_CONCURRENCY",
        min=1,
        max=64,
        help="Jobs in flight at once (default: config defaults.concurrency, else 2). Lowered"
        " automatically while the server answers 429, raised again when it keeps up.",
        show_default=False,
    ),
]
MaxCost = Annotated[
    float | None,
    typer.Option(
        "--max-cost",
        min=0.0,
        metavar="USD",
        help="Refuse to start (exit 9) when the batch's new jobs are estimated above this.",
        show_default=False,
    ),
]
RetryFailed = Annotated[
    bool,
    typer.Option(
        "--retry-failed", help="Submit items that failed in an earlier run again (a new paid job)."
    ),
]
SkipInvalid = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Run the valid items and skip invalid ones (default: any invalid"
        " item stops the batch before anything is sent, exit 2).",
    ),
]
BatchId = Annotated[
    str | None,
    typer.Option(
        "--batch-id",
        help="Name the batch yourself (default: derived from the file's absolute"
        " path; for stdin, from its text). Re-runs with the same id resume.",
        show_default=False,
    ),
]
ManifestPath = Annotated[
    Path | None,
    typer.Option(
        "--manifest",
        help="Where to write the manifest (default: OUTPUT_DIR/<file stem>.manifest.json).",
        show_default=False,
    ),
]


def batch(
    file: Annotated[
        str,
        typer.Argument(
            help="The batch file: .txt (a prompt per line), .jsonl or .csv (fields prompt, name,"
            " model, seconds, size, input_reference, provider); '-' reads stdin.",
            show_default=False,
        ),
    ],
    input_format: Format = None,
    model: opt.Model = None,
    seconds: opt.Seconds = None,
    size: opt.Size = None,
    input_reference: opt.InputReference = None,
    provider: opt.ProviderName = None,
    output_dir: opt.OutputDir = None,
    name: BatchName = None,
    concurrency: Concurrency = None,
    max_cost: MaxCost = None,
    retry_failed: RetryFailed = False,
    skip_invalid: SkipInvalid = False,
    batch_id: BatchId = None,
    manifest: ManifestPath = None,
    timeout: opt.Timeout = None,
    poll_interval: opt.PollInterval = None,
    dry_run: opt.DryRun = False,
    json_output: opt.Json = False,
    quiet: opt.Quiet = False,
    verbose: opt.Verbose = False,
) -> None:
    """Generate many videos from a file: concurrent, resumable, within budget.

    A re-run never pays twice for a line: finished items are skipped, running jobs re-attached.
    Exit 0 all made, 10 some failed, 9 over budget, 2 invalid input, 130 Ctrl-C.

    Example: video-gen batch prompts.txt --concurrency 4 --seconds 8 --output-dir clips
    """
    from video_gen import naming
    from video_gen.batch import identity, items, lock, preflight, state
    from video_gen.batch.manifest import default_path
    from video_gen.batch.validate import Defaults, ProviderInfo, validate
    from video_gen.cli import runtime
    from video_gen.cli.ui import UI
    from video_gen.errors import ConfigError, UsageError
    from video_gen.providers import spec_for

    ui = UI(quiet=quiet, verbose=verbose, json_output=json_output)
    runtime.setup_logging(verbose)
    if name is not None:
        naming.check_template(name)
    text, path = items.read_source(file)
    fmt = items.detect_format(path, input_format, text)
    source = "<stdin>" if path is None else file
    parsed = items.parse(text, fmt, source)

    rt = runtime.load(ui, provider, open_remote=False)
    runtimes: dict[str, Any] = {rt.spec.name: rt}

    def runtime_for(provider_name: str | None) -> Any:
        if provider_name is None:
            return rt
        if provider_name not in runtimes:
            runtimes[provider_name] = runtime.Runtime(
                config=rt.config,
                spec=spec_for(rt.config, provider_name),
                ui=ui,
                ledger=rt.ledger,
                limits=rt.limits,
                prices=rt.prices,
            )
        return runtimes[provider_name]

    def lookup(provider_name: str | None) -> ProviderInfo:
        r = runtime_for(provider_name)
        return ProviderInfo(
            name=r.spec.name,
            kind=r.spec.kind,
            config=r.config,
            spec=r.spec,
            capabilities=r.capabilities,
            prices=r.prices,
        )

    checked = validate(
        parsed.items,
        Defaults(model=model, seconds=seconds, size=size, input_reference=input_reference),
        lookup,
        source=source,
        base_dir=path.parent if path is not None else Path.cwd(),
    )
    problems = sorted(
        parsed.problems + checked.problems, key=lambda p: (p.line is not None, p.line or 0)
    )
    if problems:
        fatal = not skip_invalid or not checked.items or any(p.line is None for p in problems)
        for p in problems:
            _err_line(f"error: {p}" if fatal else f"warning: skipping {p}")
        if fatal:
            if json_output:
                ui.json({"ok": False, "invalid": [p.to_json() for p in problems]})
            count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
            raise UsageError(
                f"{count} in {source}: nothing was submitted",
                hint="fix the lines above"
                + ("" if not checked.items else ", or pass --skip-invalid to run the valid ones"),
            )
    if not checked.items:
        raise UsageError(
            f"{source} has no items",
            hint='write one prompt per line (.txt), or one {"prompt": ...} object'
            " per line (.jsonl)",
        )

    bid = identity.batch_id(path, text, batch_id)
    # The config's output.name is not used: its date-time default would not say which line a
    # file came from. {name} is the item's name, else its line number and slug.
    base = runtime.run_options(
        rt,
        command="batch",
        output_dir=output_dir,
        name=name or "{name}",
        timeout=timeout,
        poll_interval=poll_interval,
    )
    out_dir = base.output_dir
    ceiling = (
        concurrency if concurrency is not None else int(rt.config.value("defaults.concurrency"))
    )
    if ceiling < 1:
        raise ConfigError(
            f"defaults.concurrency is {ceiling}: it must be at least 1",
            hint="video-gen config set defaults.concurrency 2",
        )
    manifest_path = manifest if manifest is not None else default_path(out_dir, path, bid)
    resume_cmd = _resume_command(
        file,
        path,
        bid,
        {
            "--format": input_format,
            "--model": model,
            "--seconds": seconds,
            "--size": size,
            "--input-reference": input_reference,
            "--provider": provider,
            "--output-dir": output_dir,
            "--name": name,
            "--concurrency": concurrency,
            "--max-cost": max_cost,
            "--batch-id": batch_id,
            "--manifest": manifest,
            "--timeout": timeout,
            "--poll-interval": poll_interval,
        },
        skip_invalid=skip_invalid,
    )

    def plan() -> tuple[list[Any], Any]:
        jobs = rt.ledger.jobs(batch=bid, limit=None)
        decisions = state.decide(checked.items, jobs, retry_failed=retry_failed)
        forecast = preflight.forecast(
            decisions, rt.ledger.month(limits=rt.limits), rt.limits, max_cost=max_cost
        )
        return decisions, forecast

    if dry_run:
        decisions, forecast = plan()
        _print_dry_run(ui, bid, decisions, forecast, out_dir, manifest_path, problems)
        return

    with lock.exclusive(bid):
        decisions, forecast = plan()
        for d in decisions:
            if d.changed and d.action is not state.Action.SUBMIT:
                what = {
                    state.Action.FAILED: "failed; --retry-failed submits it with the new ones",
                    state.Action.REATTACH: "is still running; finishing that job",
                    state.Action.RECOVER: "may be running; finishing that job",
                }.get(d.action, "is kept (give the item a new name to make it again)")
                ui.warn(
                    f"{source}:{d.item.line}: item {d.item.name!r} was made with other"
                    f" parameters in an earlier run; that video {what}"
                )
        _announce(ui, bid, decisions, forecast, ceiling, manifest_path)
        forecast.check()
        result = _run(
            ui,
            rt,
            runtime_for,
            decisions,
            problems if skip_invalid else [],
            base=base,
            bid=bid,
            ceiling=ceiling,
            manifest_path=manifest_path,
            header={
                "batch_id": bid,
                "source": str(path.resolve()) if path else "-",
                "format": fmt,
                "output_dir": str(out_dir.resolve()),
            },
            resume_cmd=resume_cmd,
        )
    _summarise(
        ui,
        result,
        bid=bid,
        source=source,
        manifest_path=manifest_path,
        forecast=forecast,
        resume_cmd=resume_cmd,
        json_output=json_output,
    )
    if result.exit_code:
        raise typer.Exit(int(result.exit_code))


# -- running -------------------------------------------------------------------------------


def _run(
    ui: Any,
    rt: Any,
    runtime_for: Any,
    decisions: list[Any],
    invalid: list[Any],
    *,
    base: Any,
    bid: str,
    ceiling: int,
    manifest_path: Path,
    header: dict[str, Any],
    resume_cmd: str,
) -> Any:
    from dataclasses import replace

    from video_gen import naming
    from video_gen.batch.concurrency import AdaptiveLimit
    from video_gen.batch.manifest import Manifest
    from video_gen.batch.runner import Backend, BatchEngine, initial_states
    from video_gen.batch.state import Action
    from video_gen.cli import runtime
    from video_gen.jobs import RunOptions

    def options_for(item: Any) -> RunOptions:
        return replace(
            base,
            batch_id=bid,
            item_key=item.key,
            name_values={
                "n": item.n,
                "name": item.name or f"{item.n}-{naming.slugify(item.request.prompt)}",
            },
        )

    needed: set[str] = set()
    for d in decisions:
        if d.action.works:
            earlier = (
                d.job.provider if d.job is not None and d.action is not Action.SUBMIT else None
            )
            needed.add(earlier or d.item.request.provider)
    opened: list[Any] = []
    states = initial_states(decisions, invalid)
    view = _make_view(ui, states)
    engine: Any = None

    def notice(n: Any) -> None:
        view.notice(n)
        if n.kind == "stopping":
            view.line(f"resume later with: {resume_cmd}")

    def on_sigint(signum: int, frame: Any) -> None:
        # Only flags are set here (a handler must not take locks the interrupted code holds).
        if engine is not None:
            engine.interrupt()

    previous = None
    try:
        backends = {}
        for provider_name in sorted(needed):
            r = runtime_for(provider_name)
            runtime.open_remote_provider(r)
            opened.append(r)
            backends[provider_name] = Backend(r.provider, r.prices)
        engine = BatchEngine(
            states,
            backends=backends,
            ledger=rt.ledger,
            limits=rt.limits,
            options_for=options_for,
            concurrency=AdaptiveLimit(ceiling),
            manifest=Manifest(manifest_path, header),
            on_change=view.change,
            on_notice=notice,
        )
        for r in opened:
            r.listeners.append(engine.on_provider_event)
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, on_sigint)
        return engine.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        view.close()
        for r in opened:
            r.close()


def _announce(
    ui: Any, bid: str, decisions: list[Any], forecast: Any, ceiling: int, manifest_path: Path
) -> None:
    from collections import Counter

    from video_gen.batch.state import Action

    counts = Counter(d.action for d in decisions)
    parts = [f"{forecast.new_jobs} to make ({forecast.total_usd:.2f} USD estimated)"]
    for action, text in (
        (Action.SKIP, "already done"),
        (Action.REATTACH, "to re-attach"),
        (Action.REDOWNLOAD, "to download again"),
        (Action.RECOVER, "to recover"),
        (Action.FAILED, "failed earlier (--retry-failed to retry)"),
    ):
        if counts[action]:
            parts.append(f"{counts[action]} {text}")
    ui.info(f"batch {bid}: {len(decisions)} items: {', '.join(parts)}; concurrency {ceiling}")
    if forecast.new_jobs:
        ui.info(
            f"budget {forecast.month}: {forecast.month_remaining_usd:.2f} USD left"
            + (
                f", {forecast.day_remaining_usd:.2f} today"
                if forecast.day_remaining_usd is not None
                else ""
            )
            + (
                f"; --max-cost {forecast.max_cost_usd:.2f}"
                if forecast.max_cost_usd is not None
                else ""
            )
        )
    ui.info(f"manifest: {_show_path(manifest_path)}")


def _resume_command(
    file: str, path: Path | None, bid: str, flags: dict[str, Any], *, skip_invalid: bool
) -> str:
    parts = ["video-gen", "batch", file]
    if path is None and flags.get("--batch-id") is None:
        flags = {**flags, "--batch-id": bid}
    for flag, value in flags.items():
        if value is not None:
            parts += [flag, str(value)]
    if skip_invalid:
        parts.append("--skip-invalid")
    command = shlex.join(parts)
    return command + "  # with the same input on stdin" if path is None else command


# -- rendering -------------------------------------------------------------------------------


def _err_line(text: str) -> None:
    """A line on stderr that --quiet does not silence (errors about the input)."""
    from video_gen.redact import redact

    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def _show_path(p: Path | None) -> str:
    if p is None:
        return ""
    try:
        return str(Path(p).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


class _PlainView:
    """One line per item state change, prefixed with the item's line (and name)."""

    def __init__(self, ui: Any) -> None:
        self.ui = ui
        self._lock = threading.Lock()
        self._shown: dict[int, tuple[str, str | None, str | None]] = {}

    def change(self, s: Any, kind: str) -> None:
        from video_gen.batch import runner as r
        from video_gen.batch.state import Action

        if kind == "remote":
            return  # progress percentages alone: too many lines for a log
        with self._lock:
            key = id(s)
            shown = (s.status, s.job_id, s.remote_status if s.status == r.RUNNING else None)
            before = self._shown.get(key)
            if before == shown:
                return  # e.g. the file name arriving while it still downloads
            self._shown[key] = shown
            if s.status == r.RUNNING and s.job_id:
                status = f" ({s.remote_status})" if s.remote_status else ""
                if before is not None and before[:2] == (r.RUNNING, s.job_id):
                    pct = f" {s.progress}%" if s.progress is not None else ""
                    self.ui.info(f"[{s.label}] {s.remote_status}{pct}")
                    return
                verb = {Action.SUBMIT: "created", Action.REDOWNLOAD: "downloading again:"}.get(
                    s.action, "re-attached to"
                )
                self.ui.info(f"[{s.label}] {verb} {s.job_id}{status}")
            elif s.status == r.DOWNLOADING:
                self.ui.info(f"[{s.label}] downloading")
            elif s.status == r.DONE:
                self.ui.info(f"[{s.label}] saved {_show_path(s.file)} ({s.cost_usd or 0:.2f} USD)")
            elif s.status in (r.FAILED, r.REFUSED, r.UNFINISHED, r.IN_DOUBT):
                word = {
                    r.FAILED: "failed",
                    r.REFUSED: "refused",
                    r.UNFINISHED: "left running",
                    r.IN_DOUBT: "in doubt",
                }
                self.ui.info(f"[{s.label}] {word[s.status]}: {s.error}")

    def notice(self, n: Any) -> None:
        with self._lock:
            if n.kind in ("warning", "budget"):
                self.ui.warn(n.message)
            else:
                self.ui.info(n.message)

    def line(self, text: str) -> None:
        with self._lock:
            self.ui.info(text)

    def close(self) -> None:
        pass


class _QuietView(_PlainView):
    def change(self, s: Any, kind: str) -> None:
        pass

    def notice(self, n: Any) -> None:
        if n.kind in ("warning", "budget"):  # money warnings survive --quiet
            self.ui.warn(n.message)

    def line(self, text: str) -> None:
        pass


class _RichView:
    """An overall bar (done/failed/running, spend so far) and a row per running job."""

    def __init__(self, ui: Any, states: list[Any]) -> None:
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from video_gen.batch.runner import INVALID

        self.ui = ui
        self.states = states
        self._lock = threading.Lock()
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=ui.err,
            transient=False,
        )
        self.total = sum(1 for s in states if s.status != INVALID)
        self.overall = self.progress.add_task("batch", total=self.total, detail="")
        self.rows: dict[int, Any] = {}
        self.progress.start()
        self._refresh_overall()

    def _refresh_overall(self) -> None:
        from video_gen.batch import runner as r

        counts = r.totals(self.states)
        finished = sum(
            counts[k]
            for k in (r.DONE, r.ALREADY_DONE, r.FAILED, r.REFUSED, r.UNFINISHED, r.IN_DOUBT)
        )
        running = sum(counts[k] for k in r.ACTIVE)
        detail = (
            f"{counts[r.DONE] + counts[r.ALREADY_DONE]} done, {counts[r.FAILED]} failed,"
            f" {running} running, {counts['spent_usd']:.2f} USD"
        )
        self.progress.update(self.overall, completed=finished, detail=detail)

    def change(self, s: Any, kind: str) -> None:
        from video_gen.batch import runner as r

        with self._lock:
            key = id(s)
            if s.status in r.ACTIVE:
                shown = "downloading" if s.status == r.DOWNLOADING else s.remote_status
                desc = f"{s.label}: {shown or s.status}"
                if key not in self.rows:
                    self.rows[key] = self.progress.add_task(desc, total=100, detail="")
                pct = s.progress if s.progress is not None else None
                self.progress.update(
                    self.rows[key], description=desc, completed=pct or 0, detail=s.job_id or ""
                )
            else:
                row = self.rows.pop(key, None)
                if row is not None:
                    self.progress.remove_task(row)
                if kind == "status":
                    line = _final_line(s)
                    if line:
                        self.progress.console.print(line, markup=False, highlight=False)
            self._refresh_overall()

    def notice(self, n: Any) -> None:
        with self._lock:
            style = "yellow" if n.kind in ("warning", "budget") else "dim"
            prefix = "warning: " if n.kind in ("warning", "budget") else ""
            self.progress.console.print(prefix + n.message, style=style, markup=False)

    def line(self, text: str) -> None:
        with self._lock:
            self.progress.console.print(text, markup=False)

    def close(self) -> None:
        self.progress.stop()


def _final_line(s: Any) -> str | None:
    from video_gen.batch import runner as r

    if s.status == r.DONE:
        return f"✓ {s.label}: saved {_show_path(s.file)} ({s.cost_usd or 0:.2f} USD)"
    if s.status in (r.FAILED, r.REFUSED, r.UNFINISHED, r.IN_DOUBT):
        return f"✗ {s.label}: {s.status.replace('_', ' ')}: {s.error}"
    return None


def _make_view(ui: Any, states: list[Any]) -> Any:
    if ui.quiet:
        return _QuietView(ui)
    if ui.interactive:
        return _RichView(ui, states)
    return _PlainView(ui)


def _summarise(
    ui: Any,
    result: Any,
    *,
    bid: str,
    source: str,
    manifest_path: Path,
    forecast: Any,
    resume_cmd: str,
    json_output: bool,
) -> None:
    from video_gen.batch import runner as r

    totals = result.totals()
    failed = [s for s in result.states if s.status in (r.FAILED, r.REFUSED, r.INVALID)]
    unfinished = [s for s in result.states if s.status in (r.UNFINISHED, r.PENDING)]
    hints: list[str] = [
        f"item {s.label} is in doubt: {s.hint}" for s in result.states if s.status == r.IN_DOUBT
    ]
    if result.interrupted or unfinished:
        hints.append(f"resume with: {resume_cmd}")
    if any(s.status == r.FAILED for s in failed):
        hints.append("try failed items again with: " + resume_cmd + " --retry-failed")
    if json_output:
        status = (
            "interrupted" if result.interrupted else "succeeded" if result.succeeded else "partial"
        )
        ui.json(
            {
                "batch_id": bid,
                "source": source,
                "status": status,
                "exit_code": int(result.exit_code),
                "manifest": str(manifest_path),
                "totals": totals,
                "estimate_usd": forecast.total_usd,
                "concurrency": result.concurrency,
                "resume_command": resume_cmd if (result.interrupted or unfinished) else None,
                "items": [s.to_json() for s in result.states],
            }
        )
    text = _table(result.states, totals, manifest_path, hints)
    if not json_output:
        ui.result(text)
    elif not ui.quiet:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def _table(states: list[Any], totals: dict[str, Any], manifest_path: Path, hints: list[str]) -> str:
    from video_gen.batch import runner as r
    from video_gen.redact import redact

    rows = [("line", "name", "status", "USD", "file / error")]
    for s in states:
        cost = f"{s.cost_usd:.2f}" if s.cost_usd is not None else "-"
        detail = _show_path(s.file) if s.status in r.SUCCEEDED else (s.error or "")
        if s.status == r.PENDING and not s.error:
            detail = "not started"
        rows.append((str(s.line), s.name or "", s.status.replace("_", " "), cost, redact(detail)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [
            row[0].rjust(widths[0]),
            row[1].ljust(widths[1]),
            row[2].ljust(widths[2]),
            row[3].rjust(widths[3]),
            row[4],
        ]
        lines.append("  ".join(cells).rstrip())
    counted = [
        f"{totals[k]} {k.replace('_', ' ')}"
        for k in (
            r.DONE,
            r.ALREADY_DONE,
            r.FAILED,
            r.REFUSED,
            r.UNFINISHED,
            r.IN_DOUBT,
            r.PENDING,
            r.INVALID,
        )
        if totals.get(k)
    ]
    lines.append(
        f"{totals['items']} items: {', '.join(counted)}; spent"
        f" {totals['spent_usd']:.2f} USD this run"
    )
    lines.append(f"manifest: {_show_path(manifest_path)}")
    lines += hints
    return "\n".join(lines)


def _print_dry_run(
    ui: Any,
    bid: str,
    decisions: list[Any],
    forecast: Any,
    out_dir: Path,
    manifest_path: Path,
    problems: list[Any],
) -> None:
    from video_gen.redact import redact

    if ui.json_output:
        ui.json(
            {
                "dry_run": True,
                "batch_id": bid,
                "output_dir": str(out_dir),
                "manifest": str(manifest_path),
                "items": [
                    {
                        "line": d.item.line,
                        "name": d.item.name,
                        "key": d.item.key,
                        "action": d.action.value,
                        "note": d.note or None,
                        "provider": d.item.request.provider,
                        "model": d.item.request.model,
                        "seconds": d.item.request.seconds,
                        "size": d.item.request.size,
                        "input_reference": (
                            str(d.item.request.input_reference)
                            if d.item.request.input_reference
                            else None
                        ),
                        "estimate_usd": d.item.estimate.usd,
                        "prompt": redact(d.item.request.prompt),
                    }
                    for d in decisions
                ],
                "skipped_invalid": [p.to_json() for p in problems],
                "total_usd": forecast.total_usd,
                "budget": forecast.to_json(),
            }
        )
        return
    rows = [("line", "name", "action", "provider", "model", "s", "size", "USD", "prompt")]
    for d in decisions:
        req = d.item.request
        prompt = redact(req.prompt)
        rows.append(
            (
                str(d.item.line),
                d.item.name or "",
                d.action.value,
                req.provider,
                req.model,
                str(req.seconds),
                req.size,
                f"{d.item.estimate.usd:.2f}" if d.action.spends else "-",
                prompt if len(prompt) <= 50 else prompt[:49] + "…",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(8)]
    lines = [
        "  ".join(
            [
                row[0].rjust(widths[0]),
                *(c.ljust(w) for c, w in zip(row[1:7], widths[1:7], strict=True)),
                row[7].rjust(widths[7]),
                row[8],
            ]
        ).rstrip()
        for row in rows
    ]
    lines.append(
        f"total: {forecast.new_jobs} new video{'s' if forecast.new_jobs != 1 else ''},"
        f" {forecast.total_usd:.2f} USD estimated (batch {bid})"
    )
    verdict = "this batch fits" if forecast.fits else f"would be REFUSED: {forecast.refusal}"
    lines.append(f"budget {forecast.month}: {forecast.month_remaining_usd:.2f} USD left; {verdict}")
    lines.append(
        f"would save to: {_show_path(out_dir) or '.'}  (manifest {_show_path(manifest_path)})"
    )
    lines.append("nothing was sent (--dry-run)")
    ui.result("\n".join(lines))
