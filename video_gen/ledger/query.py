"""Reading the ledger as jobs and months: folding records into ``JobView``, filters, summaries.

Every backend folds a job's records with ``fold`` (the JSONL file when reading, PostgreSQL when
deriving its ``jobs`` table), and summarises a month from ``SpendTotals`` (``month_summary``,
``committed``), so the rules live here once: a job is in flight from its "reserved" record until
its first final record, which fixes its charge (``records.charge_of``).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NamedTuple

from video_gen.ledger import records as rec
from video_gen.ledger.budget import BudgetLimits, Committed

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
    host: str | None = None  # the machine, OS user and CI job that reserved it (``origin``)
    user: str | None = None
    ci: str | None = None
    final_record: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def in_doubt(self) -> bool:
        """A create that may have made a job which could not be looked up, not yet settled."""
        return self.in_flight and self.remote_id is None and self.status == rec.IN_DOUBT

    @property
    def emulated(self) -> bool:
        """Made by the built-in emulator: no real video service was asked, nothing was paid
        (unless its table said ``priced = true``)."""
        return self.provider_kind == "emulator"

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
            "emulated": self.emulated,
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
            "host": self.host,
            "user": self.user,
            "ci": self.ci,
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
        origin = first.get("origin")
        origin = origin if isinstance(origin, dict) else {}
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
            host=opt(origin, "host"),
            user=opt(origin, "user"),
            ci=opt(origin, "ci"),
            final_record=self.final,
        )


def fold(records: Iterable[dict[str, Any]]) -> dict[str, JobView]:
    """Records in file order -> a view per local id (in order of first appearance)."""
    jobs: dict[str, _Job] = {}
    seen: set[str] = set()
    for record in records:
        # A line duplicated in the file (concatenated ledgers, a copied line) is one record.
        line = json.dumps(record, sort_keys=True, default=str)
        if line in seen:
            continue
        seen.add(line)
        local_id = record["id"]
        job = jobs.get(local_id)
        if job is None:
            job = jobs[local_id] = _Job(local_id)
        job.add(record)
    return {k: j.view() for k, j in jobs.items()}


def newest_first(lines: Iterable[bytes]) -> Iterator[JobView]:
    """Jobs from lines read backwards: each is complete when its "reserved" record is reached."""
    pending: dict[str, list[dict[str, Any]]] = {}
    shown: set[str] = set()
    for line in lines:
        record, _ = rec.decode(line)
        if record is None:
            continue  # reported with its line number by the index
        if record["id"] in shown:
            continue  # a duplicated job (its lines copied further down): listed once
        pending.setdefault(record["id"], []).append(record)
        if record["kind"] == rec.RESERVED:
            batch = pending.pop(record["id"])
            batch.reverse()
            shown.add(record["id"])
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
    host: str | None = None  # globs, case-insensitive, on who reserved the job
    user: str | None = None
    ci: str | None = None

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
        for wanted, value in ((self.host, job.host), (self.user, job.user), (self.ci, job.ci)):
            if wanted is not None and not fnmatchcase((value or "").lower(), wanted.lower()):
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


# A month's money and job counts per provider/model (micro-USD; seconds of video completed).
SPEND_COLUMNS = (
    "charged",
    "completed",
    "failed",
    "released",
    "seconds",
    "settled",
    "reserved",
    "in_flight",
)
_RESERVED = SPEND_COLUMNS.index("reserved")
_IN_FLIGHT = SPEND_COLUMNS.index("in_flight")


@dataclass
class SpendTotals:
    """The money of one UTC month as a backend stores it (micro-USD), for budgets and summaries.

    ``days``: day -> [charged, reserved, jobs in flight]; ``models``: "provider/model" -> a row
    of SPEND_COLUMNS.
    """

    month: str
    days: dict[str, list[int]]
    models: dict[str, list[int]]

    def add(self, day: str, key: str, row: list[int]) -> None:
        """Add a row of SPEND_COLUMNS for ``day`` and ``key`` (both tables follow)."""
        days = self.days.setdefault(day, [0, 0, 0])
        days[0] += row[0]
        days[1] += row[_RESERVED]
        days[2] += row[_IN_FLIGHT]
        model = self.models.setdefault(key, [0] * len(SPEND_COLUMNS))
        for i, value in enumerate(row):
            model[i] += value


def spend_row(estimate: int, seconds: int, final: dict[str, Any] | None) -> list[int]:
    """A job's share of its month (a row of SPEND_COLUMNS): its reservation while in flight
    (``final`` None), else its charge and the count its final record adds to."""
    row = [0] * len(SPEND_COLUMNS)
    if final is None:
        row[_RESERVED], row[_IN_FLIGHT] = estimate, 1
        return row
    row[0] = rec.charge_of(final, estimate)
    row[SPEND_COLUMNS.index(rec.outcome_of(final))] = 1
    if final["kind"] == rec.COMPLETED:
        row[SPEND_COLUMNS.index("seconds")] = seconds
    return row


def job_share(job: JobView) -> tuple[str, str, list[int]] | None:
    """``(day, "provider/model", spend_row)`` of a job, None when it was never reserved."""
    if job.final_record is None and not job.in_flight:
        return None
    row = spend_row(rec.to_micro(job.estimate_usd), job.seconds, job.final_record)
    return job.created_at.date().isoformat(), f"{job.provider}/{job.model}", row


def committed(totals: SpendTotals, moment: datetime) -> Committed:
    """Money already counted in the UTC month and day of ``moment`` (``totals`` is its month)."""
    day = moment.date().isoformat()
    month_rows = list(totals.days.values())
    today = totals.days.get(day, [0, 0, 0])
    return Committed(
        moment=moment,
        month=day[:7],
        day=day,
        month_charged=sum(r[0] for r in month_rows),
        month_reserved=sum(r[1] for r in month_rows),
        month_in_flight=sum(r[2] for r in month_rows),
        day_charged=today[0],
        day_reserved=today[1],
        day_in_flight=today[2],
    )


def month_summary(
    totals: SpendTotals, month: str, limits: BudgetLimits, now: datetime
) -> MonthSummary:
    now = rec.as_utc(now)
    days = month_days(month)
    zero = [0, 0, 0]
    day_rows = [
        DaySpend(
            d,
            rec.from_micro(totals.days.get(d, zero)[0]),
            rec.from_micro(totals.days.get(d, zero)[1]),
        )
        for d in days
    ]
    spent = sum(totals.days.get(d, zero)[0] for d in days)
    reserved = sum(totals.days.get(d, zero)[1] for d in days)
    models = totals.models
    model_rows = []
    for key in sorted(models):
        charged, completed, failed, released, seconds, settled, held, in_flight = models[key]
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
        in_flight=sum(row[7] for row in models.values()),
        days=day_rows,
        models=model_rows,
        today=today,
        projection_usd=projection,
        generated_at=now,
    )
