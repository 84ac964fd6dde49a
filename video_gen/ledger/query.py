"""Reading the ledger as jobs and months: folding records into ``JobView``, filters, summaries.

The money rules here are the index's (``index.Index.apply``): a job is in flight from its
"reserved" record until its first completed, failed or released record, which fixes its charge.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NamedTuple

from video_gen.ledger import records as rec
from video_gen.ledger.budget import BudgetLimits
from video_gen.ledger.index import Index

_MAIN_PARAMS = ("provider", "model", "seconds", "size", "prompt")


class FileRecord(NamedTuple):
    variant: str
    path: Path
    sha256: str
    bytes: int


@dataclass(frozen=True)
class JobView:
    """One job as the ledger tells it (all its records folded together)."""

    local_id: str
    remote_id: str | None  # the id the create answered (what `generate` printed)
    provider: str
    provider_kind: str
    model: str
    seconds: int
    size: str
    prompt: str
    params: dict[str, Any]
    status: str
    progress: int | None
    created_at: datetime
    updated_at: datetime
    estimate_usd: float
    actual_usd: float | None
    charged_usd: float | None  # None while in flight
    in_flight: bool
    files: list[FileRecord]
    events: list[dict[str, Any]]
    batch_id: str | None
    item_key: str | None
    command: str | None
    error_code: str | None
    error_message: str | None
    # Every id the server used for this job, the first one first (LiteLLM re-stamps ids).
    remote_ids: tuple[str, ...] = ()

    @property
    def in_doubt(self) -> bool:
        """A create that may have made a job which could not be looked up, not yet settled."""
        return self.in_flight and self.remote_id is None and self.status == rec.IN_DOUBT

    @property
    def poll_id(self) -> str | None:
        """The id to ask the server about: the newest one it used."""
        return self.remote_ids[-1] if self.remote_ids else self.remote_id

    @property
    def final(self) -> bool:
        return self.charged_usd is not None

    @property
    def ended_by(self) -> str | None:
        """The kind of the record that ended the job (completed, failed, released), if any."""
        if self.in_flight or self.charged_usd is None:
            return None
        return next((e["kind"] for e in self.events if e["kind"] in rec.FINAL_KINDS), None)

    @property
    def cost_usd(self) -> float:
        """What the job counts against the budget now: its charge, else its reservation."""
        if self.charged_usd is not None:
            return self.charged_usd
        return self.estimate_usd if self.in_flight else 0.0

    def to_json(self, *, events: bool = False) -> dict[str, Any]:
        """The stable ``history --json`` schema (docs/budget-and-history.md): keys only added."""
        out: dict[str, Any] = {
            "id": self.local_id,
            "remote_id": self.remote_id,
            "created_at": rec.format_ts(self.created_at),
            "updated_at": rec.format_ts(self.updated_at),
            "status": self.status,
            "progress": self.progress,
            "in_flight": self.in_flight,
            "provider": self.provider,
            "provider_kind": self.provider_kind,
            "model": self.model,
            "seconds": self.seconds,
            "size": self.size,
            "prompt": self.prompt,
            "params": self.params,
            "estimate_usd": self.estimate_usd,
            "actual_usd": self.actual_usd,
            "charged_usd": self.charged_usd,
            "batch_id": self.batch_id,
            "item_key": self.item_key,
            "command": self.command,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "remote_ids": list(self.remote_ids),
            "files": [
                {"variant": f.variant, "path": str(f.path), "sha256": f.sha256, "bytes": f.bytes}
                for f in self.files
            ],
        }
        if events:
            out["events"] = self.events
        return out


class _Job:
    """Accumulates one job's records in file order."""

    def __init__(self, local_id: str) -> None:
        self.local_id = local_id
        self.records: list[dict[str, Any]] = []
        self.reserved: dict[str, Any] | None = None
        self.final: dict[str, Any] | None = None
        self.remote_id: str | None = None
        self.remote_ids: list[str] = []
        self.status = "unknown"
        self.progress: int | None = None
        self.charged: int | None = None
        self.files: list[FileRecord] = []

    def add(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        kind = record["kind"]
        if kind == rec.RESERVED:
            if self.reserved is None:
                self.reserved = record
                if self.final is None:
                    self.status = "reserved"
        elif kind == rec.SUBMITTED:
            remote = record.get("remote_id")
            if isinstance(remote, str) and remote:
                self.remote_id = remote
                self._add_id(remote)
            self._set_status(record.get("status") or "submitted", None)
        elif kind == rec.ALIAS:
            remote = record.get("remote_id")
            if isinstance(remote, str) and remote:
                self._add_id(remote)
        elif kind == rec.IN_DOUBT:
            self._set_status(rec.IN_DOUBT, None)
        elif kind == rec.STATUS:
            progress = record.get("progress")
            self._set_status(record.get("status"), progress if isinstance(progress, int) else None)
        elif kind in rec.FINAL_KINDS:
            if self.final is not None or self.reserved is None:
                return  # the first final record after the reservation decides
            self.final = record
            self.charged = rec.charge_of(record, rec.to_micro(self.reserved["estimate_usd"]))
            if kind == rec.COMPLETED:
                self.status, self.progress = "completed", 100
            elif kind == rec.FAILED:
                self.status = str(record.get("status") or "failed")
            elif kind == rec.SETTLED:
                self.status = "settled"
            else:
                self.status = "released"
        elif kind == rec.DOWNLOADED:
            entry = FileRecord(
                str(record.get("variant") or "video"),
                Path(str(record.get("path") or "")),
                str(record.get("sha256") or ""),
                int(record.get("bytes") or 0),
            )
            self.files = [f for f in self.files if f.path != entry.path] + [entry]

    def _add_id(self, remote: str) -> None:
        if remote not in self.remote_ids:
            self.remote_ids.append(remote)

    def _set_status(self, status: Any, progress: int | None) -> None:
        if self.final is None and isinstance(status, str) and status:
            self.status = status
            if progress is not None:
                self.progress = progress

    def view(self) -> JobView:
        first = self.reserved or self.records[0]
        final = self.final or {}

        def text(key: str, default: str = "") -> str:
            value = first.get(key)
            return value if isinstance(value, str) else default

        def opt(source: dict[str, Any], key: str) -> str | None:
            value = source.get(key)
            return None if value is None else str(value)

        seconds = first.get("seconds")
        estimate = first.get("estimate_usd") if self.reserved else 0.0
        params: dict[str, Any] = {
            "provider": text("provider"),
            "model": text("model"),
            "seconds": seconds if isinstance(seconds, int) else 0,
            "size": text("size"),
            "prompt": text("prompt"),
        }
        extra = first.get("params")
        if isinstance(extra, dict):
            params.update({k: v for k, v in extra.items() if k not in _MAIN_PARAMS})
        actual = final.get("actual_usd")
        error_message = opt(final, "message") or opt(final, "reason")
        return JobView(
            local_id=self.local_id,
            remote_id=self.remote_id,
            provider=params["provider"],
            provider_kind=text("provider_kind"),
            model=params["model"],
            seconds=params["seconds"],
            size=params["size"],
            prompt=params["prompt"],
            params=params,
            status=self.status,
            progress=self.progress,
            created_at=rec.parse_ts(first["ts"]),
            updated_at=rec.parse_ts(self.records[-1]["ts"]),
            estimate_usd=float(estimate) if isinstance(estimate, (int, float)) else 0.0,
            actual_usd=float(actual) if isinstance(actual, (int, float)) else None,
            charged_usd=None if self.charged is None else rec.from_micro(self.charged),
            in_flight=self.reserved is not None and self.final is None,
            files=list(self.files),
            events=list(self.records),
            batch_id=opt(first, "batch_id"),
            item_key=opt(first, "item_key"),
            command=opt(first, "command"),
            error_code=opt(final, "code"),
            error_message=error_message,
            remote_ids=tuple(self.remote_ids),
        )


def fold(records: Iterable[dict[str, Any]]) -> dict[str, JobView]:
    """Records in file order -> a view per local id (in order of first appearance)."""
    jobs: dict[str, _Job] = {}
    for record in records:
        local_id = record["id"]
        job = jobs.get(local_id)
        if job is None:
            job = jobs[local_id] = _Job(local_id)
        job.add(record)
    return {k: j.view() for k, j in jobs.items()}


def newest_first(lines: Iterable[bytes]) -> Iterator[JobView]:
    """Jobs from lines read backwards: each is complete when its "reserved" record is reached."""
    pending: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        record, _ = rec.decode(line)
        if record is None:
            continue  # reported with its line number by the index
        pending.setdefault(record["id"], []).append(record)
        if record["kind"] == rec.RESERVED:
            batch = pending.pop(record["id"])
            batch.reverse()
            yield fold(batch)[record["id"]]


@dataclass(frozen=True)
class JobFilter:
    since: datetime | None = None
    until: datetime | None = None
    status: tuple[str, ...] = ()
    model: str | None = None
    provider: str | None = None
    search: str | None = None
    batch: str | None = None

    def matches(self, job: JobView) -> bool:
        if self.since is not None and job.created_at < self.since:
            return False
        if self.until is not None and job.created_at >= self.until:
            return False
        if self.status and not any(_status_matches(job, s) for s in self.status):
            return False
        if self.model is not None and not fnmatchcase(job.model.lower(), self.model.lower()):
            return False
        if self.provider is not None and self.provider.lower() not in (
            job.provider.lower(),
            job.provider_kind.lower(),
        ):
            return False
        if self.search is not None and self.search.casefold() not in job.prompt.casefold():
            return False
        return self.batch is None or job.batch_id == self.batch


def _status_matches(job: JobView, wanted: str) -> bool:
    wanted = wanted.strip().lower()
    if wanted in ("in-flight", "in_flight", "inflight"):
        return job.in_flight
    if wanted in ("in-doubt", "in_doubt"):
        return job.in_doubt
    if wanted == "failed":
        return job.ended_by == rec.FAILED
    return job.status.lower() == wanted


# -- months ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DaySpend:
    day: str
    charged_usd: float
    reserved_usd: float


@dataclass(frozen=True)
class ModelSpend:
    provider: str
    model: str
    charged_usd: float
    reserved_usd: float
    completed: int
    failed: int
    released: int
    in_flight: int
    seconds: int  # seconds of video completed
    settled: int = 0  # ended by `video-gen settle`


@dataclass(frozen=True)
class MonthSummary:
    """One UTC month of spending against the limits (``video-gen budget``)."""

    month: str  # 2026-11
    label: str  # November 2026
    period: str  # "past", "current" or "future"
    limit_usd: float
    daily_limit_usd: float | None
    per_video_limit_usd: float | None
    warn_ratio: float
    spent_usd: float
    reserved_usd: float
    remaining_usd: float  # limit - spent - reserved; negative when actual charges overran
    completed: int
    failed: int
    released: int
    in_flight: int
    days: list[DaySpend]
    models: list[ModelSpend]
    today: DaySpend | None  # the current UTC day, when the month is the current one
    projection_usd: float | None  # spent + reserved extrapolated to month end (current month)
    generated_at: datetime
    settled: int = 0  # jobs ended by `video-gen settle`

    @property
    def committed_usd(self) -> float:
        return rec.from_micro(rec.to_micro(self.spent_usd) + rec.to_micro(self.reserved_usd))

    @property
    def used_ratio(self) -> float | None:
        return self.committed_usd / self.limit_usd if self.limit_usd > 0 else None

    def to_json(self) -> dict[str, Any]:
        """The stable ``budget --json`` schema (docs/budget-and-history.md)."""
        return {
            "month": self.month,
            "period": self.period,
            "timezone": "UTC",
            "limit_usd": self.limit_usd,
            "daily_limit_usd": self.daily_limit_usd,
            "per_video_limit_usd": self.per_video_limit_usd,
            "warn_ratio": self.warn_ratio,
            "spent_usd": self.spent_usd,
            "reserved_usd": self.reserved_usd,
            "remaining_usd": self.remaining_usd,
            "used_ratio": self.used_ratio,
            "jobs": {
                "completed": self.completed,
                "failed": self.failed,
                "released": self.released,
                "settled": self.settled,
                "in_flight": self.in_flight,
            },
            "today": None if self.today is None else _day_json(self.today),
            "projection_usd": self.projection_usd,
            "days": [_day_json(d) for d in self.days],
            "models": [
                {
                    "provider": m.provider,
                    "model": m.model,
                    "charged_usd": m.charged_usd,
                    "reserved_usd": m.reserved_usd,
                    "completed": m.completed,
                    "failed": m.failed,
                    "released": m.released,
                    "settled": m.settled,
                    "in_flight": m.in_flight,
                    "seconds": m.seconds,
                }
                for m in self.models
            ],
            "generated_at": rec.format_ts(self.generated_at),
        }


def _day_json(day: DaySpend) -> dict[str, Any]:
    return {"day": day.day, "charged_usd": day.charged_usd, "reserved_usd": day.reserved_usd}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a UTC month."""
    first = date.fromisoformat(month + "-01")
    days = calendar.monthrange(first.year, first.month)[1]
    start = datetime(first.year, first.month, 1, tzinfo=timezone.utc)
    return start, start + timedelta(days=days)


def month_days(month: str) -> list[str]:
    start, end = month_bounds(month)
    return [(start + timedelta(days=i)).date().isoformat() for i in range((end - start).days)]


def month_summary(index: Index, month: str, limits: BudgetLimits, now: datetime) -> MonthSummary:
    now = rec.as_utc(now)
    days = month_days(month)
    reserved_by_day: dict[str, int] = {}
    models: dict[str, list[int]] = {k: list(v) for k, v in index.models.get(month, {}).items()}
    open_by_model: dict[str, list[int]] = {}
    for job in index.open.values():
        if job.day.startswith(month):
            reserved_by_day[job.day] = reserved_by_day.get(job.day, 0) + job.estimate
            row = open_by_model.setdefault(f"{job.provider}/{job.model}", [0, 0])
            row[0] += job.estimate
            row[1] += 1
    day_rows = [
        DaySpend(d, rec.from_micro(index.days.get(d, 0)), rec.from_micro(reserved_by_day.get(d, 0)))
        for d in days
    ]
    spent = sum(index.days.get(d, 0) for d in days)
    reserved = sum(reserved_by_day.values())
    model_rows = []
    for key in sorted(set(models) | set(open_by_model)):
        charged, completed, failed, released, seconds, settled = models.get(key, [0, 0, 0, 0, 0, 0])
        held, in_flight = open_by_model.get(key, [0, 0])
        provider, _, model = key.partition("/")
        model_rows.append(
            ModelSpend(
                provider,
                model,
                rec.from_micro(charged),
                rec.from_micro(held),
                completed,
                failed,
                released,
                in_flight,
                seconds,
                settled,
            )
        )
    model_rows.sort(key=lambda m: (-(m.charged_usd + m.reserved_usd), m.provider, m.model))
    start, end = month_bounds(month)
    if now >= end:
        period, projection = "past", rec.from_micro(spent + reserved)
    elif now < start:
        period, projection = "future", None
    else:
        period = "current"
        elapsed_days = max(1.0, (now - start).total_seconds() / 86400)
        projection = round(rec.from_micro(spent + reserved) / elapsed_days * len(days), 2)
    today = next((d for d in day_rows if d.day == now.date().isoformat()), None)
    return MonthSummary(
        month=month,
        label=rec.month_label(month),
        period=period,
        limit_usd=limits.monthly_usd,
        daily_limit_usd=limits.daily_usd,
        per_video_limit_usd=limits.per_video_usd,
        warn_ratio=limits.warn_ratio,
        spent_usd=rec.from_micro(spent),
        reserved_usd=rec.from_micro(reserved),
        remaining_usd=rec.from_micro(rec.to_micro(limits.monthly_usd) - spent - reserved),
        completed=sum(row[1] for row in models.values()),
        failed=sum(row[2] for row in models.values()),
        released=sum(row[3] for row in models.values()),
        settled=sum(row[5] for row in models.values()),
        in_flight=sum(row[1] for row in open_by_model.values()),
        days=day_rows,
        models=model_rows,
        today=today,
        projection_usd=projection,
        generated_at=now,
    )
