"""Rendering job events: a Rich display on a terminal, plain lines in CI or a pipe, or nothing.

Rich prints nothing for transient displays off a TTY, and FORCE_COLOR fools its detection, so
the choice is made here on purpose (``UI.interactive``), not left to Rich.
"""

from __future__ import annotations

from typing import Any

from video_gen.cli.ui import UI
from video_gen.jobs import JobEvent


class PlainProgress:
    """One line per state change: what CI logs and pipes want."""

    def __init__(self, ui: UI) -> None:
        self.ui = ui
        self._last: tuple[str | None, str | None] = (None, None)
        self._last_pct = -1

    def __call__(self, e: JobEvent) -> None:
        if e.kind == "bytes":
            if e.total:
                pct = e.done * 100 // e.total
                if pct >= self._last_pct + 25 or e.done == e.total:
                    self._last_pct = pct
                    self.ui.info(f"download {e.variant}: {pct}% of {_mb(e.total)}")
            return
        if e.kind == "status":
            if (e.job_id, e.status) == self._last:
                return
            self._last = (e.job_id, e.status)
            pct = f" {e.progress}%" if e.progress is not None else ""
            self.ui.info(f"job {e.job_id}: {e.status}{pct}")
        elif e.kind == "estimate":
            self.ui.info(f"estimated cost: {e.message}")
        elif e.kind == "submitted":
            self._last = (e.job_id, e.status)
            self.ui.info(f"job {e.job_id}: {e.status} (created)")
        elif e.kind == "download":
            self._last_pct = -1
            self.ui.info(f"downloading {e.variant} of {e.job_id}")
        elif e.kind == "downloaded":
            self.ui.info(f"saved {e.variant}: {e.message} ({_mb(e.done)})")
        elif e.kind == "retry":
            self.ui.info(f"retrying: {e.message}")
        elif e.kind == "warning":
            self.ui.warn(e.message)

    def close(self) -> None:
        pass


class RichProgress:
    """Job status and percent (indeterminate when the server sends no progress), then bytes."""

    def __init__(self, ui: UI) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TransferSpeedColumn,
        )
        from rich.text import Text

        class DownloadOnly(ProgressColumn):
            """Bytes and speed make sense for a download row, not for the job row."""

            def __init__(self, inner: ProgressColumn) -> None:
                super().__init__()
                self.inner = inner

            def render(self, task: Any) -> Any:
                if task.fields.get("kind") != "download":
                    return Text("")
                return self.inner.render(task)

        class Speed(ProgressColumn):
            """The transfer speed, or nothing while it is unknown (Rich prints a bare "?")."""

            def render(self, task: Any) -> Any:
                if (task.finished_speed or task.speed) is None:
                    return Text("")
                return TransferSpeedColumn().render(task)

        self.ui = ui
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            DownloadOnly(DownloadColumn(binary_units=False)),
            DownloadOnly(Speed()),
            TimeElapsedColumn(),
            console=ui.err,
            transient=False,
        )
        self.progress.start()
        self.job_task: Any = None
        self.dl_task: Any = None

    def __call__(self, e: JobEvent) -> None:
        p = self.progress
        if e.kind == "estimate":
            p.console.print(f"estimated cost: {e.message}", markup=False)
        elif e.kind == "warning":
            p.console.print(f"warning: {e.message}", style="yellow", markup=False)
        elif e.kind == "retry":
            p.console.print(f"retrying: {e.message}", style="dim", markup=False)
        elif e.kind in ("submitted", "status"):
            desc = f"{e.job_id} {e.status}"
            if self.job_task is None:
                self.job_task = p.add_task(desc, total=None, detail="", kind="job")
            if e.progress is not None:
                p.update(
                    self.job_task,
                    description=desc,
                    total=100,
                    completed=e.progress,
                    detail=f"{e.progress}%",
                )
            else:
                p.update(self.job_task, description=desc, total=None, detail="")
        elif e.kind == "download":
            if self.job_task is not None:
                p.update(self.job_task, total=100, completed=100, detail="done")
            self.dl_task = p.add_task(
                f"downloading {e.variant}", total=None, detail="", kind="download"
            )
        elif e.kind == "bytes" and self.dl_task is not None:
            p.update(self.dl_task, completed=e.done, total=e.total)
        elif e.kind == "downloaded" and self.dl_task is not None:
            p.update(self.dl_task, completed=e.done, total=e.total, detail="saved")

    def close(self) -> None:
        self.progress.stop()


class NoProgress:
    def __init__(self, ui: UI) -> None:
        self.ui = ui

    def __call__(self, e: JobEvent) -> None:
        if e.kind == "warning":  # money warnings survive --quiet
            self.ui.warn(e.message)

    def close(self) -> None:
        pass


def make_progress(ui: UI) -> PlainProgress | RichProgress | NoProgress:
    if ui.quiet:
        return NoProgress(ui)
    if ui.interactive:
        return RichProgress(ui)
    return PlainProgress(ui)


def _mb(n: int | None) -> str:
    if n is None:
        return "? MB"
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"
