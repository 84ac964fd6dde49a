"""How a running batch looks (``batch``, ``prompt-from-repo --generate``, ``film``).

A Rich display on a terminal, one line per item state change in CI or a pipe, nothing with
--quiet; then a summary table (stdout, or stderr with --json). ``BatchDisplay`` is the
``usecases.batch.Display`` the commands hand to the batch use case.
"""

from __future__ import annotations

import shlex
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class BatchDisplay:
    """Warnings and the announcement when planned, a live view while running."""

    def __init__(self, ui: Any, resume_cmd: str) -> None:
        self.ui = ui
        self.resume_cmd = resume_cmd
        self.view: Any = None

    def planned(self, batch: Any, decisions: list[Any], forecast: Any) -> None:
        from video_gen.usecases.batch import changed_warnings

        for text in changed_warnings(batch, decisions):
            self.ui.warn(text)
        announce(self.ui, batch.batch_id, decisions, forecast, batch.ceiling, batch.manifest_path)

    def started(self, states: list[Any]) -> None:
        self.view = make_view(self.ui, states)

    def change(self, state: Any, kind: str) -> None:
        self.view.change(state, kind)

    def notice(self, n: Any) -> None:
        self.view.notice(n)
        if n.kind == "stopping":
            self.view.line(f"resume later with: {self.resume_cmd}")

    def finished(self) -> None:
        if self.view is not None:
            self.view.close()


def run_batch(
    ui: Any,
    session: Any,
    request: Any,
    *,
    resume: Callable[[Any], str],
    dry_run: bool,
) -> int:
    """Load, plan and run a batch through the use case, showing it; returns the exit code.

    ``resume(loaded)`` gives the command line that resumes this run. Closes ``session``.
    """
    from video_gen.usecases import batch as usecase

    try:
        try:
            loaded = usecase.load(request, session)
        except usecase.InvalidBatch as exc:
            print_problems(ui, exc.problems, fatal=True)
            raise
        print_problems(ui, loaded.skipped, fatal=False)
        resume_cmd = resume(loaded)
        if dry_run:
            decisions, forecast = usecase.plan(loaded, session)
            print_dry_run(
                ui,
                loaded.batch_id,
                decisions,
                forecast,
                loaded.output_dir,
                loaded.manifest_path,
                loaded.skipped,
            )
            forecast.check()  # exit 9, naming the limit: the run would be refused the same way
            from video_gen import preflight

            preflight.probe_folder(loaded.output_dir)  # exit 13 as the run would; nothing made
            preflight.probe_folder(
                loaded.manifest_path.parent, what="manifest's folder", flag="--manifest"
            )
            return 0
        done = usecase.run(loaded, session, BatchDisplay(ui, resume_cmd))
    finally:
        session.close()
    summarise(
        ui,
        done.result,
        bid=loaded.batch_id,
        source=loaded.source,
        manifest_path=loaded.manifest_path,
        forecast=done.forecast,
        resume_cmd=resume_cmd,
        json_output=ui.json_output,
    )
    return int(done.result.exit_code)


def resume_command(
    command: str, file: str, loaded: Any, flags: dict[str, Any], *, switches: list[str]
) -> str:
    """The command line that resumes this run (stdin: with its batch id pinned)."""
    parts = ["video-gen", command, file]
    if loaded.path is None and flags.get("--batch-id") is None:
        flags = {**flags, "--batch-id": loaded.batch_id}
    for flag, value in flags.items():
        if value is not None:
            parts += [flag, str(value)]
    parts += switches
    text = shlex.join(parts)
    return text + "  # with the same input on stdin" if loaded.path is None else text


def print_problems(ui: Any, problems: list[Any], *, fatal: bool) -> None:
    """Each invalid item on its own line (not silenced by --quiet); JSON too when fatal."""
    for p in problems:
        err_line(f"error: {p}" if fatal else f"warning: skipping {p}")
    if fatal and ui.json_output:
        ui.json({"ok": False, "invalid": [p.to_json() for p in problems]})


def announce(
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
    ui.info(f"manifest: {show_path(manifest_path)}")


def err_line(text: str) -> None:
    """A line on stderr that --quiet does not silence (errors about the input)."""
    from video_gen.redact import redact

    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def show_path(p: Path | None) -> str:
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
                self.ui.info(f"[{s.label}] saved {show_path(s.file)} ({s.cost_usd or 0:.2f} USD)")
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
        return f"✓ {s.label}: saved {show_path(s.file)} ({s.cost_usd or 0:.2f} USD)"
    if s.status in (r.FAILED, r.REFUSED, r.UNFINISHED, r.IN_DOUBT):
        return f"✗ {s.label}: {s.status.replace('_', ' ')}: {s.error}"
    return None


def make_view(ui: Any, states: list[Any]) -> Any:
    if ui.quiet:
        return _QuietView(ui)
    if ui.interactive:
        return _RichView(ui, states)
    return _PlainView(ui)


def summarise(
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
    text = table_text(result.states, totals, manifest_path, hints)
    if not json_output:
        ui.result(text)
    elif not ui.quiet:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def table_text(
    states: list[Any], totals: dict[str, Any], manifest_path: Path, hints: list[str]
) -> str:
    from video_gen.batch import runner as r
    from video_gen.redact import redact

    rows = [("line", "name", "status", "USD", "file / error")]
    for s in states:
        cost = f"{s.cost_usd:.2f}" if s.cost_usd is not None else "-"
        detail = show_path(s.file) if s.status in r.SUCCEEDED else (s.error or "")
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
    lines.append(f"manifest: {show_path(manifest_path)}")
    lines += hints
    return "\n".join(lines)


def print_dry_run(
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
    verdict = "this batch fits" if forecast.fits else "this batch would be refused (below)"
    lines.append(f"budget {forecast.month}: {forecast.month_remaining_usd:.2f} USD left; {verdict}")
    lines.append(
        f"would save to: {show_path(out_dir) or '.'}  (manifest {show_path(manifest_path)})"
    )
    lines.append("nothing was sent (--dry-run)")
    ui.result("\n".join(lines))
