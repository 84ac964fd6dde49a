"""``video-gen budget``: this month's spending, the limits, and the month's report."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from video_gen.ledger import MonthSummary

budget_app = typer.Typer(
    name="budget",
    no_args_is_help=False,
    add_completion=False,
)

_SPARK = "▁▂▃▄▅▆▇█"
_BAR_WIDTH = 40


@budget_app.callback(invoke_without_command=True)
def budget(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option("--month", help="UTC month to show, YYYY-MM (default: the current one)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (stable schema).")
    ] = False,
) -> None:
    """Show a month's spending: spent, reserved, remaining, per day, per model, projection.

    Example: video-gen budget --month 2026-10
    """
    if ctx.invoked_subcommand is not None:
        return
    from video_gen.cli.ui import echo_ledger_warnings
    from video_gen.ledger import open_ledger

    with open_ledger() as ledger:
        summary = ledger.month(month)
        echo_ledger_warnings(ledger)
    if as_json:
        import json

        typer.echo(json.dumps(summary.to_json(), indent=2))
        return
    _render(summary)


def _usd(value: float) -> str:
    from video_gen.ledger.records import usd_text

    return usd_text(value)


def _render(s: MonthSummary) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    used = s.used_ratio
    console.print(Text(f"{s.label} (UTC)", style="bold"))
    lines = [
        (
            "spent",
            f"{_usd(s.spent_usd)} USD",
            f"{s.completed} completed, {s.failed} failed, {s.released} released",
        ),
        (
            "reserved",
            f"{_usd(s.reserved_usd)} USD",
            f"{s.in_flight} in flight"
            + (" (video-gen history --status in-flight)" if s.in_flight else ""),
        ),
    ]
    if s.remaining_usd >= 0:
        lines.append(
            (
                "remaining",
                f"{_usd(s.remaining_usd)} USD",
                f"of the {_usd(s.limit_usd)} USD monthly limit",
            )
        )
    else:
        lines.append(
            (
                "over",
                f"{_usd(-s.remaining_usd)} USD",
                f"past the {_usd(s.limit_usd)} USD monthly limit",
            )
        )
    grid = Table.grid(padding=(0, 2))
    grid.add_column()
    grid.add_column(justify="right")
    grid.add_column()
    for name, amount, note in lines:
        grid.add_row(name, amount, Text(note, style="dim"))
    console.print(grid)

    if used is not None:
        style = "red" if used >= 1 else "yellow" if used >= s.warn_ratio else "green"
        filled = min(_BAR_WIDTH, round(used * _BAR_WIDTH))
        bar = Text("█" * filled, style=style) + Text("░" * (_BAR_WIDTH - filled), style="dim")
        console.print(bar + Text(f" {used * 100:.0f}% used"))
    else:
        console.print("monthly limit 0: every priced job is refused")

    limits = []
    if s.daily_limit_usd is not None:
        today = s.today
        if today is not None:
            limits.append(
                f"daily limit {_usd(s.daily_limit_usd)} USD: today {_usd(today.charged_usd)}"
                f" spent, {_usd(today.reserved_usd)} reserved"
            )
        else:
            limits.append(f"daily limit {_usd(s.daily_limit_usd)} USD")
    if s.per_video_limit_usd is not None:
        limits.append(f"per-video limit {_usd(s.per_video_limit_usd)} USD")
    for line in limits:
        console.print(line)
    if s.period == "current" and s.projection_usd is not None:
        verdict = "within" if s.projection_usd <= s.limit_usd else "over"
        console.print(
            f"projection: {_usd(s.projection_usd)} USD by month end at this pace"
            f" ({verdict} the limit)"
        )

    totals = [d.charged_usd + d.reserved_usd for d in s.days]
    peak = max(totals, default=0.0)
    if peak > 0:
        console.print()
        console.print(Text(f"per day, spent + reserved (peak {_usd(peak)} USD)", style="bold"))
        spark = "".join(
            "·" if v <= 0 else _SPARK[min(len(_SPARK) - 1, int(v / peak * len(_SPARK)))]
            for v in totals
        )
        axis = "".join(str(i + 1).ljust(10)[:10] if i % 10 == 0 else "" for i in range(len(totals)))
        console.print(Text(spark, style="cyan"))
        console.print(Text(axis.rstrip(), style="dim"))

    if s.models:
        console.print()
        table = Table(title=None, show_edge=False, header_style="bold", pad_edge=False)
        names = [f"{m.provider}/{m.model}" for m in s.models]
        table.add_column("provider/model", no_wrap=True, min_width=max(map(len, names)))
        # Short headers that never wrap: the table fits 80 columns ("open" = in flight).
        for header in ("spent", "reserved", "done", "failed", "released", "open", "sec"):
            table.add_column(header, justify="right", no_wrap=True)
        for m in s.models:
            table.add_row(
                Text(f"{m.provider}/{m.model}"),
                _usd(m.charged_usd),
                _usd(m.reserved_usd),
                str(m.completed),
                str(m.failed),
                str(m.released),
                str(m.in_flight),
                str(m.seconds),
            )
        console.print(table)
    elif not totals or peak <= 0:
        console.print(Text("no jobs this month", style="dim"))


def _amount(value: float | None, flag: str) -> float | None:
    from video_gen.config import MAX_USD

    if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_USD):
        from video_gen.errors import UsageError

        raise UsageError(
            f"{flag} must be an amount from 0 to {MAX_USD:,.0f} USD, not {value!r}",
            hint=f"e.g. video-gen budget set {flag} 50 (a bigger limit is a typo, not a budget)",
        )
    return value


@budget_app.command("set")
def set_limits(
    monthly: Annotated[
        float | None,
        typer.Option("--monthly", help="Monthly limit in USD (0 refuses every priced job)."),
    ] = None,
    daily: Annotated[
        float | None,
        typer.Option("--daily", help="Daily limit in USD (0 removes it)."),
    ] = None,
    per_video: Annotated[
        float | None,
        typer.Option("--per-video", help="Most one video may cost, in USD (0 removes it)."),
    ] = None,
    warn_ratio: Annotated[
        float | None,
        typer.Option("--warn-ratio", help="Warn when a job takes the month past this share."),
    ] = None,
) -> None:
    """Change the spending limits: in the config file, or in the shared ledger database.

    Example: video-gen budget set --monthly 100 --daily 10 --per-video 2
    """
    from video_gen.config import Config
    from video_gen.errors import UsageError
    from video_gen.ledger import open_ledger

    changes = {
        "monthly_usd": _amount(monthly, "--monthly"),
        "daily_usd": _amount(daily, "--daily"),
        "per_video_usd": _amount(per_video, "--per-video"),
        "warn_ratio": warn_ratio,
    }
    if warn_ratio is not None and not 0 <= warn_ratio <= 1:
        raise UsageError(
            f"--warn-ratio is a share between 0 and 1, not {warn_ratio!r}",
            hint="e.g. --warn-ratio 0.8",
        )
    if all(v is None for v in changes.values()):
        raise UsageError(
            "nothing to set",
            hint="video-gen budget set --monthly 100 (and/or --daily, --per-video, --warn-ratio)",
        )
    config = Config.load()
    with open_ledger(config) as ledger:
        limits, where = ledger.set_limits(
            {k: float(v) for k, v in changes.items() if v is not None}, config
        )

    def show(value: float | None) -> str:
        return "none" if value is None else f"{_usd(value)} USD"

    typer.echo(
        f"monthly limit {_usd(limits.monthly_usd)} USD, daily limit {show(limits.daily_usd)},"
        f" per-video limit {show(limits.per_video_usd)},"
        f" warning at {limits.warn_ratio * 100:g}% (saved to {where})"
    )


class ReportFormat(str, Enum):
    md = "md"
    csv = "csv"
    json = "json"


@budget_app.command("report")
def report(
    month: Annotated[
        str | None,
        typer.Option("--month", help="UTC month, YYYY-MM (default: the current one)."),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="md (Markdown), csv (a TOTAL row last) or json."),
    ] = ReportFormat.md,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
) -> None:
    """Write a month's report: every job with its estimate and charge, totals, the limit.

    Example: video-gen budget report --month 2026-10 --format csv --out 2026-10.csv
    """
    from video_gen.cli.ui import echo_ledger_warnings
    from video_gen.ledger import open_ledger

    with open_ledger() as ledger:
        text = ledger.report(month, fmt.value)
        echo_ledger_warnings(ledger)
    if out is None:
        typer.echo(text, nl=False)
        return
    from video_gen.fsutil import atomic_write_text

    atomic_write_text(out, text)
    typer.echo(str(out))
