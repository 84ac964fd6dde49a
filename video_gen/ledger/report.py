"""The month's spending report (``video-gen budget report``): Markdown, CSV or JSON.

One row per job reserved in the UTC month, oldest first, then totals and the limit; meant to be
read by a person (Markdown) or an accountant's spreadsheet (CSV, whose last row is ``TOTAL``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from video_gen.ledger import records as rec
from video_gen.ledger.query import JobView, MonthSummary, month_bounds

FORMATS = ("md", "csv", "json")
REPORT_SCHEMA = 1
COLUMNS = (
    "date",
    "id",
    "remote_id",
    "provider",
    "model",
    "seconds",
    "size",
    "estimate_usd",
    "charged_usd",
    "status",
)


@dataclass(frozen=True)
class Totals:
    jobs: int
    completed: int
    failed: int
    released: int
    in_flight: int
    seconds: int
    estimate: int  # micro-USD
    charged: int  # micro-USD


def totals(jobs: Sequence[JobView]) -> Totals:
    ended = [j.ended_by for j in jobs]
    return Totals(
        jobs=len(jobs),
        completed=ended.count(rec.COMPLETED),
        failed=ended.count(rec.FAILED),
        released=ended.count(rec.RELEASED),
        in_flight=sum(j.in_flight for j in jobs),
        seconds=sum(j.seconds for j in jobs),
        estimate=sum(rec.to_micro(j.estimate_usd) for j in jobs),
        charged=sum(rec.to_micro(j.charged_usd or 0.0) for j in jobs),
    )


def render(fmt: str, summary: MonthSummary, jobs: Sequence[JobView]) -> str:
    """The report of ``summary.month`` with ``jobs`` (those reserved in it) in format ``fmt``."""
    ordered = sorted(jobs, key=lambda j: (j.created_at, j.local_id))
    if fmt == "md":
        return _markdown(summary, ordered)
    if fmt == "csv":
        return _csv(ordered)
    if fmt == "json":
        return json.dumps(_json(summary, ordered), indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")


def _row(job: JobView) -> list[str]:
    return [
        job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        job.local_id,
        job.remote_id or "",
        job.provider,
        job.model,
        str(job.seconds),
        job.size,
        rec.usd_text(job.estimate_usd),
        "" if job.charged_usd is None else rec.usd_text(job.charged_usd),
        job.status,
    ]


def _csv(jobs: Sequence[JobView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for job in jobs:
        writer.writerow(_row(job))
    t = totals(jobs)
    writer.writerow(
        [
            "TOTAL",
            "",
            "",
            "",
            "",
            t.seconds,
            "",
            rec.usd_text(rec.from_micro(t.estimate)),
            rec.usd_text(rec.from_micro(t.charged)),
            "",
        ]
    )
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown(summary: MonthSummary, jobs: Sequence[JobView]) -> str:
    t = totals(jobs)
    start, end = month_bounds(summary.month)
    last = (end - start).days
    usd = rec.usd_text
    lines = [
        f"# video-gen budget report: {summary.label}",
        "",
        f"Period: {summary.month}-01 to {summary.month}-{last:02d}, UTC."
        f" Generated {rec.format_ts(summary.generated_at)}.",
        "",
        "| | USD |",
        "|---|---:|",
        f"| Monthly limit | {usd(summary.limit_usd)} |",
        f"| Spent (charged) | {usd(summary.spent_usd)} |",
        f"| Reserved ({summary.in_flight} in flight) | {usd(summary.reserved_usd)} |",
        f"| Remaining | {usd(summary.remaining_usd)} |",
    ]
    if summary.daily_limit_usd is not None:
        lines.append(f"| Daily limit | {usd(summary.daily_limit_usd)} |")
    if summary.per_video_limit_usd is not None:
        lines.append(f"| Per-video limit | {usd(summary.per_video_limit_usd)} |")
    lines += [
        "",
        f"Jobs: {t.jobs} ({t.completed} completed, {t.failed} failed, {t.released} released,"
        f" {t.in_flight} in flight).",
        "",
    ]
    if jobs:
        header = (
            "Date (UTC)",
            "Job",
            "Remote id",
            "Provider",
            "Model",
            "Seconds",
            "Size",
            "Estimate USD",
            "Charged USD",
            "Status",
        )
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] * 5 + ["---:", "---", "---:", "---:", "---"]) + "|")
        for job in jobs:
            lines.append("| " + " | ".join(_cell(c) for c in _row(job)) + " |")
        lines.append(
            f"| **Total** | | | | | {t.seconds} | | {usd(rec.from_micro(t.estimate))} |"
            f" {usd(rec.from_micro(t.charged))} | |"
        )
        lines.append("")
    lines += [
        "Charged: the provider's reported cost when known, else the estimate, for completed"
        " jobs; failed and released jobs are not charged. Jobs in flight have no charge yet:"
        " their estimates are reserved against the limit. A job counts in the UTC month and day"
        " it was reserved.",
        "",
    ]
    return "\n".join(lines)


def _json(summary: MonthSummary, jobs: Sequence[JobView]) -> dict[str, Any]:
    t = totals(jobs)
    return {
        "schema": REPORT_SCHEMA,
        "month": summary.month,
        "timezone": "UTC",
        "generated_at": rec.format_ts(summary.generated_at),
        "limit_usd": summary.limit_usd,
        "daily_limit_usd": summary.daily_limit_usd,
        "per_video_limit_usd": summary.per_video_limit_usd,
        "spent_usd": summary.spent_usd,
        "reserved_usd": summary.reserved_usd,
        "remaining_usd": summary.remaining_usd,
        "totals": {
            "jobs": t.jobs,
            "completed": t.completed,
            "failed": t.failed,
            "released": t.released,
            "in_flight": t.in_flight,
            "seconds": t.seconds,
            "estimate_usd": rec.from_micro(t.estimate),
            "charged_usd": rec.from_micro(t.charged),
        },
        "jobs": [
            {
                "date": rec.format_ts(j.created_at),
                "id": j.local_id,
                "remote_id": j.remote_id,
                "provider": j.provider,
                "model": j.model,
                "seconds": j.seconds,
                "size": j.size,
                "estimate_usd": j.estimate_usd,
                "charged_usd": j.charged_usd,
                "status": j.status,
                "in_flight": j.in_flight,
            }
            for j in jobs
        ],
    }
