"""``video-gen history``: recorded jobs, newest first, and one job in full (``history show``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from video_gen.cli.ui import echo_ledger_warnings

if TYPE_CHECKING:
    from video_gen.ledger import JobView

history_app = typer.Typer(
    name="history",
    no_args_is_help=False,
    add_completion=False,
)

_PROMPT_WIDTH = 40
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ENVELOPE = frozenset({"v", "ts", "kind", "id", "origin"})  # origin: shown once, above
# Fields of the "reserved" record that `history show` prints above its timeline.
_SHOWN_ABOVE = _ENVELOPE | {
    "provider",
    "provider_kind",
    "model",
    "seconds",
    "size",
    "prompt",
    "params",
    "limits",
    "price_source",
    "estimate_usd",
    "command",
    "batch_id",
    "item_key",
}
CSV_COLUMNS = (
    "created_at",
    "id",
    "remote_id",
    "status",
    "provider",
    "provider_kind",
    "model",
    "seconds",
    "size",
    "estimate_usd",
    "charged_usd",
    "in_flight",
    "batch_id",
    "item_key",
    "file",
    "sha256",
    "prompt",
    "host",
    "user",
    "ci",
)


def parse_when(text: str, option: str, *, now: datetime, end: bool = False) -> datetime:
    """``7d``/``12h``/``30m``/``2w`` ago, a date, a month or an ISO time (UTC unless it says).

    With ``end`` a date or month means its end (``--until 2026-11-30`` includes that day).
    """
    from video_gen.errors import UsageError

    value = text.strip()
    relative = re.fullmatch(r"(\d+)\s*([smhdw])", value.lower())
    if relative:
        return now - timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
    if re.fullmatch(r"\d{4}-\d{2}", value):
        from video_gen.ledger import month_bounds

        try:
            start, stop = month_bounds(value)
        except ValueError:
            pass
        else:
            return stop if end else start
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise UsageError(
            f"{option}: cannot read {text!r} as a time",
            hint=f"use a span ({option} 7d, 12h, 30m, 2w), a date (2026-11-01), a month"
            " (2026-11) or a time (2026-11-01T10:00, UTC unless it has an offset)",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@history_app.callback(invoke_without_command=True)
def history(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Jobs from this time on: 7d, 12h, 2026-11-01, 2026-11."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Jobs before this time (a date includes that day)."),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="completed, failed (also cancelled/expired), released, in-flight, queued..."
            " Several: completed,failed.",
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Model name (glob allowed: 'sora-2*').")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Provider name or kind.")
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Text in the prompt (case-insensitive).")
    ] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="Jobs of this batch id.")] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="Jobs reserved on this machine (host name; glob allowed)."),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option("--user", help="Jobs reserved by this OS user (glob allowed)."),
    ] = None,
    ci: Annotated[
        str | None,
        typer.Option(
            "--ci", help="Jobs reserved by this CI job, e.g. 'github:7212345678*' (glob)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many jobs, newest first.")
    ] = 20,
    all_jobs: Annotated[bool, typer.Option("--all", help="Every matching job (no limit).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON array (stable schema).")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV with a header row.")] = False,
) -> None:
    """List recorded jobs, newest first: time, id, status, model, cost, prompt, file.

    Example: video-gen history --since 7d --status failed --limit 50
    """
    if ctx.invoked_subcommand is not None:
        return
    from video_gen.errors import UsageError
    from video_gen.ledger import open_ledger
    from video_gen.ledger.records import utcnow

    if as_json and as_csv:
        raise UsageError("--json and --csv both given", hint="choose one of --json and --csv")
    now = utcnow()
    with open_ledger() as ledger:
        jobs = ledger.jobs(
            since=parse_when(since, "--since", now=now) if since else None,
            until=parse_when(until, "--until", now=now, end=True) if until else None,
            status=status,
            model=model,
            provider=provider,
            search=search,
            batch=batch,
            host=host,
            user=user,
            ci=ci,
            limit=None if all_jobs else limit,
        )
        echo_ledger_warnings(ledger)
        recorded = bool(jobs) or ledger.has_records()
    if as_json:
        import json

        typer.echo(json.dumps([j.to_json() for j in jobs], indent=2, ensure_ascii=False))
    elif as_csv:
        _csv(jobs)
    elif not jobs:
        typer.echo("no jobs match" if recorded else "no jobs recorded yet", err=True)
    else:
        _table(jobs)
        if not all_jobs and len(jobs) == limit:
            typer.echo(f"the newest {limit} shown: --limit N or --all for more", err=True)


def _cost(job: JobView) -> str:
    from video_gen.ledger.records import usd_text

    if job.charged_usd is not None:
        return usd_text(job.charged_usd)
    return f"~{usd_text(job.estimate_usd)}" if job.in_flight else "?"


def _short(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _main_file(job: JobView) -> str:
    from pathlib import Path

    videos = [f for f in job.files if f.variant == "video"] or job.files
    if not videos:
        return ""
    path = videos[-1].path
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _table(jobs: list[JobView]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    wide = console.width >= 120  # narrower: no provider, size or file, a shorter time
    styles = {"completed": "green", "released": "dim"}
    # Columns that must stay whole (an id is copied into `history show`), then the prompt
    # (and the file) taking whatever width is left.
    fixed: dict[str, list[Text]] = {"time (UTC)": [], "id": [], "status": []}
    fixed["provider/model" if wide else "model"] = []
    fixed["sec"] = []
    if wide:
        fixed["size"] = []
    fixed["USD"] = []
    for job in jobs:
        cells = [
            Text(job.created_at.strftime("%Y-%m-%d %H:%M" if wide else "%m-%d %H:%M")),
            _id_cell(job.local_id),
            Text(
                job.status,
                style="red" if job.ended_by == "failed" else styles.get(job.status, "yellow"),
            ),
            Text(f"{job.provider}/{job.model}" if wide else job.model),
            Text(str(job.seconds)),
            *([Text(job.size)] if wide else []),
            Text(_cost(job)),
        ]
        for column, cell in zip(fixed.values(), cells, strict=True):
            column.append(cell)
    table = Table(
        box=box.SIMPLE_HEAD if wide else None,
        show_edge=False,
        header_style="bold",
        pad_edge=False,
    )
    for name, cells in fixed.items():
        width = max([len(name), *(c.cell_len for c in cells)])
        right = name in ("sec", "USD")
        table.add_column(name, no_wrap=True, min_width=width, justify="right" if right else "left")
    table.add_column("prompt", no_wrap=True, overflow="ellipsis", ratio=2)
    if wide:
        # The file's name only, on one line (its folder is in `history show`): a full path
        # folded a row over three lines and more.
        table.add_column("file", no_wrap=True, overflow="ellipsis", ratio=1)
    for n, job in enumerate(jobs):
        row = [cells[n] for cells in fixed.values()]
        row.append(Text(_short(job.prompt, _PROMPT_WIDTH)))
        if wide:
            row.append(Text(Path(_main_file(job)).name if job.files else ""))
        table.add_row(*row)
    console.print(table)


def _csv(jobs: list[JobView]) -> None:
    import csv
    import io

    from video_gen.ledger.records import format_ts

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for job in jobs:
        videos = [f for f in job.files if f.variant == "video"] or job.files
        main = videos[-1] if videos else None
        writer.writerow(
            [
                format_ts(job.created_at),
                job.local_id,
                job.remote_id or "",
                job.status,
                job.provider,
                job.provider_kind,
                job.model,
                job.seconds,
                job.size,
                job.estimate_usd,
                "" if job.charged_usd is None else job.charged_usd,
                "true" if job.in_flight else "false",
                job.batch_id or "",
                job.item_key or "",
                str(main.path) if main else "",
                main.sha256 if main else "",
                job.prompt,
                job.host or "",
                job.user or "",
                job.ci or "",
            ]
        )
    typer.echo(out.getvalue(), nl=False)


@history_app.command("show")
def show(
    job_id: Annotated[
        str, typer.Argument(metavar="ID", help="Local or remote job id, or its first characters.")
    ],
    verify: Annotated[
        bool, typer.Option("--verify", help="Hash each file again and compare with the ledger.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="The job as JSON, with its events and files.")
    ] = False,
) -> None:
    """Show one job in full: every field, the prompt, the parameters, the timeline, the files.

    Example: video-gen history show j1m7y0e --verify
    """
    from video_gen.ledger import open_ledger

    with open_ledger() as ledger:
        job = ledger.get(job_id)
        echo_ledger_warnings(ledger)
    checks = [_check_file(f.path, f.sha256, f.bytes, verify) for f in job.files]
    if as_json:
        import json

        data = job.to_json(events=True)
        for entry, check in zip(data["files"], checks, strict=True):
            entry.update(check)
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _show(job, checks)


def _check_file(path: Any, sha256: str, size: int, verify: bool) -> dict[str, Any]:
    """``exists``, ``size_matches`` and, with --verify, ``sha256_matches`` (else None)."""
    import hashlib
    from pathlib import Path

    file = Path(path)
    try:
        actual = file.stat().st_size
    except OSError:
        return {"exists": False, "size_matches": None, "sha256_matches": None}
    digest = None
    if verify:
        h = hashlib.sha256()
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        digest = h.hexdigest() == sha256
    return {"exists": True, "size_matches": actual == size, "sha256_matches": digest}


def _show(job: JobView, checks: list[dict[str, Any]]) -> None:
    import json

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from video_gen.ledger.records import usd_text

    console = Console(highlight=False)
    reserved = job.events[0] if job.events and job.events[0]["kind"] == "reserved" else {}
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    progress = f" ({job.progress}%)" if job.progress is not None and job.in_flight else ""
    charged = "not yet (in flight: the estimate is reserved)" if job.in_flight else "—"
    if job.charged_usd is not None:
        charged = f"{usd_text(job.charged_usd)} USD"
        if job.ended_by == "completed":
            charged += " (actual)" if job.actual_usd is not None else " (the estimate)"
    rows = [
        ("id", job.local_id),
        ("remote id", job.remote_id or "—"),
        ("status", job.status + progress),
        ("provider", f"{job.provider} ({job.provider_kind})"),
        ("model", f"{job.model}, {job.seconds} s, {job.size}"),
        ("created", f"{job.created_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("updated", f"{job.updated_at:%Y-%m-%d %H:%M:%S} UTC"),
        (
            "estimate",
            f"{usd_text(job.estimate_usd)} USD"
            + (f" ({reserved['price_source']})" if reserved.get("price_source") else ""),
        ),
        ("charged", charged),
        ("command", job.command or "—"),
    ]
    if job.host or job.user:
        by = f"{job.user or '?'}@{job.host or '?'}" + (f" (CI job {job.ci})" if job.ci else "")
        rows.append(("reserved by", by))
    if job.batch_id or job.item_key:
        rows.append(("batch", f"{job.batch_id or '—'}, item {job.item_key or '—'}"))
    if job.error_code or job.error_message:
        rows.append(("error", ": ".join(x for x in (job.error_code, job.error_message) if x)))
    for name, value in rows:
        grid.add_row(name, Text(value))
    console.print(grid)
    console.print(Text("\nprompt", style="bold"))
    console.print(Text(job.prompt))
    console.print(Text("\nparameters", style="bold"))
    console.print(Text(json.dumps(job.params, indent=2, ensure_ascii=False)))

    console.print(Text("\ntimeline", style="bold"))
    timeline = Table.grid(padding=(0, 2))
    for event in job.events:
        shown = _SHOWN_ABOVE if event["kind"] == "reserved" else _ENVELOPE
        details = [
            f"{k}={usd_text(v) if k.endswith('_usd') and isinstance(v, float) else v}"
            for k, v in event.items()
            if k not in shown and v is not None
        ]
        timeline.add_row(
            event["ts"].replace("T", " ").rstrip("Z"),
            Text(event["kind"], style="cyan"),
            Text(", ".join(details)),
        )
    console.print(timeline)

    if job.files:
        console.print(Text("\nfiles", style="bold"))
        for file, check in zip(job.files, checks, strict=True):
            if not check["exists"]:
                verdict = Text("missing", style="red")
            elif check["sha256_matches"] is False:
                verdict = Text("changed (hash differs)", style="red")
            elif check["size_matches"] is False:
                verdict = Text("changed (size differs)", style="red")
            elif check["sha256_matches"]:
                verdict = Text("ok (hash matches)", style="green")
            else:
                verdict = Text("exists (--verify to hash it)", style="green")
            console.print(Text(f"{file.variant}: ", style="cyan") + verdict)
            console.print(Text(f"  {file.path}"), soft_wrap=True)
            console.print(Text(f"  {file.bytes} bytes, sha256 {file.sha256}"), soft_wrap=True)


def _id_cell(local_id: str) -> Any:
    """The local id with its short form (the random end, which names it alone) in bold."""
    from rich.text import Text

    from video_gen.ledger.records import short_id

    tail = short_id(local_id)
    return Text.assemble((local_id[: len(local_id) - len(tail)], "dim"), (tail, "bold"))
