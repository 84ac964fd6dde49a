"""The spend ledger: every job's life as append-only JSON Lines, budgets checked against it.

``Ledger`` is the one entry point: the job layer records each step of a job through it (the
reservation first, atomically with the budget check), and ``video-gen budget`` / ``history``
read it. The file format, the lock, crash behaviour and the index are in docs/ledger.md.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from video_gen import paths
from video_gen.errors import UsageError
from video_gen.ledger import index as _index
from video_gen.ledger import records as rec
from video_gen.ledger.budget import BudgetLimits, Committed, Reservation, check
from video_gen.ledger.query import (
    DaySpend,
    FileRecord,
    JobFilter,
    JobView,
    ModelSpend,
    MonthSummary,
    fold,
    month_bounds,
    month_days,
    month_summary,
    newest_first,
)
from video_gen.ledger.store import LedgerFile, LedgerLockedError
from video_gen.types import Estimate, GenerationRequest

__all__ = [
    "AmbiguousIdError",
    "BudgetLimits",
    "Claim",
    "DaySpend",
    "FileRecord",
    "JobView",
    "Ledger",
    "LedgerLockedError",
    "ModelSpend",
    "MonthSummary",
    "Reservation",
    "month_bounds",
]


class AmbiguousIdError(UsageError):
    """An id prefix that matches more than one job (the message lists them)."""


@dataclass(frozen=True)
class Claim:
    """What ``Ledger.claim`` decided about the jobs a lookup found for a lost create."""

    remote_id: str | None  # claimed for this create (recorded as submitted), or None
    unclaimed: int  # matching jobs no other ledger job has recorded
    pending: int  # other creates with the same parameters whose job is not yet recorded

    @property
    def ambiguous(self) -> bool:
        """Matching jobs exist, but which one is this create's cannot be told (yet)."""
        return self.remote_id is None and self.unclaimed > 0


# Records are appended in time order, but a clock step or a caller's ``now`` can put one a
# little out of order: scans that stop at a date go this much further back before stopping.
CLOCK_SLACK = timedelta(days=1)
_TORN_CHECK_TIMEOUT = 5.0


class Ledger:
    """The ledger at ``path`` (default: ``paths.ledger_file()``). Cheap to create; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.ledger_file()
        self._file = LedgerFile(self.path)
        self._index: _index.Index | None = None
        # Threads sharing this object take turns on the in-memory index (always before the
        # file lock, in that order); processes are kept apart by the file lock.
        self._mutex = threading.RLock()

    # -- the index -------------------------------------------------------------------------
    def _synced(self) -> _index.Index:
        """The index brought up to date (and saved when it moved on); call with the mutex."""
        index, changed = _index.sync(self._file, self._index or _index.load(self._file))
        if changed:
            _index.save(self._file, index)
        self._index = index
        return index

    @contextmanager
    def _writing(self) -> Iterator[_index.Index]:
        """Hold the lock, with the index up to date; appends in here are one atomic step."""
        with self._mutex, self._file.lock():
            yield self._synced()

    def _snapshot(self) -> _index.Index:
        """The index for reading: no lock unless the file ends with an unterminated line."""
        with self._mutex:
            index = self._synced()  # saving unlocked is safe: every index is checked on load
            if index.torn is not None:
                # It may be a write in progress rather than a torn one: only the lock can tell.
                try:
                    with self._file.lock(timeout=_TORN_CHECK_TIMEOUT):
                        index = self._synced()
                except (LedgerLockedError, OSError):
                    pass  # cannot lock (busy, read-only): report it as torn, which it may be
            return index

    # -- writes ----------------------------------------------------------------------------
    def reserve(
        self,
        request: GenerationRequest,
        estimate: Estimate,
        limits: BudgetLimits,
        *,
        provider_kind: str,
        command: str,
        batch_id: str | None = None,
        item_key: str | None = None,
        now: datetime | None = None,
    ) -> Reservation:
        """Check the budget and record the reservation, atomically across processes.

        Raises BudgetError (with the numbers, and the command that raises the limit as its
        hint) when ``estimate`` does not fit every limit in the UTC month and day of ``now``.
        """
        from video_gen.redact import redact

        amount = rec.check_usd(estimate.usd, "estimate.usd")
        micro = rec.to_micro(amount)
        fields: dict[str, Any] = {
            "provider": request.provider,
            "provider_kind": provider_kind,
            "model": request.model,
            "seconds": request.seconds,
            "size": request.size,
            "prompt": redact(request.prompt),
        }
        extras = {k: v for k, v in request.params().items() if k not in fields}
        if extras:
            fields["params"] = extras
        fields.update(
            estimate_usd=amount,
            usd_per_second=estimate.usd_per_second,
            price_source=estimate.source,
            command=command,
        )
        if batch_id is not None:
            fields["batch_id"] = batch_id
        if item_key is not None:
            fields["item_key"] = item_key
        fields["limits"] = {
            "monthly_usd": limits.monthly_usd,
            "daily_usd": limits.daily_usd,
            "per_video_usd": limits.per_video_usd,
        }
        job = f"{request.model}, {request.seconds} s, {request.size}"
        with self._writing() as index:
            committed = _committed(index, rec.as_utc(now) if now is not None else rec.utcnow())
            warnings = check(micro, committed, limits, job)
            local_id = rec.new_local_id(after=index.last_id)
            record = rec.make(rec.RESERVED, local_id, committed.moment, fields)
            self._file.append(rec.encode(record))
            self._synced()
        return Reservation(local_id=local_id, estimate_usd=amount, warnings=warnings)

    def would_fit(
        self, estimate_usd: float, limits: BudgetLimits, *, now: datetime | None = None
    ) -> bool:
        """Whether a job of ``estimate_usd`` would be reserved now (for --dry-run; no lock, so
        only ``reserve`` itself is the promise)."""
        from video_gen.errors import BudgetError

        micro = rec.to_micro(rec.check_usd(estimate_usd, "estimate_usd"))
        moment = rec.as_utc(now) if now is not None else rec.utcnow()
        try:
            check(micro, _committed(self._snapshot(), moment), limits, "dry run")
        except BudgetError:
            return False
        return True

    def submitted(self, local_id: str, remote_id: str, status: str) -> None:
        """The create answered: record the remote id before anything else can go wrong."""
        self._append(rec.SUBMITTED, local_id, {"remote_id": remote_id, "status": status})

    def status(self, local_id: str, status: str, progress: int | None) -> None:
        self._append(rec.STATUS, local_id, {"status": status, "progress": progress})

    def alias(self, local_id: str, remote_id: str) -> None:
        """The server now calls the job ``remote_id`` too (LiteLLM re-stamps ids)."""
        self._append(rec.ALIAS, local_id, {"remote_id": remote_id})

    def in_doubt(self, local_id: str, reason: str) -> None:
        """The create may have made a job that cannot be looked up: the job stays open, its
        reservation kept, until ``settle`` (or ``recover``) says what became of it."""
        from video_gen.redact import redact

        self._append(rec.IN_DOUBT, local_id, {"reason": redact(reason)})

    def settle(self, local_id: str, *, charged_usd: float, reason: str, by: str = "user") -> None:
        """End an open job as the user declares: charged ``charged_usd`` (0: not charged)."""
        from video_gen.redact import redact

        amount = rec.check_usd(charged_usd, "charged_usd")
        fields = {"reason": redact(reason), "by": by}
        self._finish(rec.SETTLED, local_id, fields, amount)

    def claim(
        self,
        local_id: str,
        request: GenerationRequest,
        candidates: Iterable[tuple[str, str]],
        *,
        since: datetime,
    ) -> Claim:
        """Adopt, for the create ``local_id``, the job a lookup found, if it is certainly ours.

        ``candidates`` are ``(remote id, status)`` of server jobs matching ``request`` made since
        the create began. Under the ledger lock: jobs already recorded by any other job are
        not ours; if exactly one is left and no other create with the same parameters is still
        waiting for its answer, it is recorded as this create's (submitted, ``recovered``).
        Otherwise nothing is recorded and the caller waits or records the create in doubt: a
        concurrent create's job must never be adopted.
        """
        with self._writing():
            known = self.known_remote_ids(since=since)
            unclaimed = [(rid, status) for rid, status in candidates if rid not in known]
            pending = self._unresolved_creates(local_id, request, since=since)
            if len(unclaimed) == 1 and not pending:
                remote_id, status = unclaimed[0]
                fields = {"remote_id": remote_id, "status": status, "recovered": True}
                self._file.append(
                    rec.encode(rec.make(rec.SUBMITTED, local_id, rec.utcnow(), fields))
                )
                self._synced()
                return Claim(remote_id, 0, 0)
            return Claim(None, len(unclaimed), len(pending))

    def _unresolved_creates(
        self, local_id: str, request: GenerationRequest, *, since: datetime
    ) -> list[str]:
        """Other open jobs with the same parameters whose create has no job recorded yet
        (a create still on the wire, or one lost like this one); call with the lock held."""
        from video_gen.redact import redact

        index = self._synced()
        wanted = (request.provider, request.model, request.seconds, request.size)
        prompt = redact(request.prompt)
        stop = rec.as_utc(since) - CLOCK_SLACK
        seen: dict[str, list[dict[str, Any]]] = {}
        for line in self._file.lines_backward():
            record, _ = rec.decode(line)
            if record is None:
                continue
            if record["id"] in index.open and record["id"] != local_id:
                seen.setdefault(record["id"], []).append(record)
            if record["kind"] == rec.RESERVED and rec.parse_ts(record["ts"]) < stop:
                break
        out = []
        for other, records in seen.items():
            reserved = next((r for r in records if r["kind"] == rec.RESERVED), None)
            if reserved is None or any(r.get("remote_id") for r in records):
                continue
            fields = (
                reserved.get("provider"),
                reserved.get("model"),
                reserved.get("seconds"),
                reserved.get("size"),
            )
            if fields == wanted and reserved.get("prompt") == prompt:
                out.append(other)
        return out

    def completed(self, local_id: str, actual_usd: float | None) -> None:
        """The job succeeded: it is charged ``actual_usd`` if known, else its estimate.

        A reported cost that is not an amount (negative, NaN, text) is kept as ``reported_usd``
        and the estimate charged: the completion itself must never be lost.
        """
        fields: dict[str, Any] = {"actual_usd": None}
        if actual_usd is not None:
            try:
                fields["actual_usd"] = rec.check_usd(actual_usd, "actual_usd")
            except (TypeError, ValueError):
                fields["reported_usd"] = repr(actual_usd)
        self._finish(rec.COMPLETED, local_id, fields, fields["actual_usd"])

    def failed(self, local_id: str, status: str, code: str | None, message: str | None) -> None:
        """The job ended failed, cancelled or expired: its reservation is released, charged 0."""
        from video_gen.redact import redact

        fields = {"status": status, "code": code, "message": redact(message) if message else None}
        self._finish(rec.FAILED, local_id, fields, 0.0)

    def released(self, local_id: str, reason: str) -> None:
        """The create was refused or never reached the server: released, charged 0."""
        from video_gen.redact import redact

        self._finish(rec.RELEASED, local_id, {"reason": redact(reason)}, 0.0)

    def downloaded(self, local_id: str, variant: str, path: Path, sha256: str, size: int) -> None:
        fields = {
            "variant": variant,
            "path": str(Path(path).absolute()),
            "sha256": sha256,
            "bytes": size,
        }
        self._append(rec.DOWNLOADED, local_id, fields)

    def event(self, local_id: str, kind: str, **fields: Any) -> None:
        """Any other step of a job's timeline, e.g. ``event(id, "timeout", after_s=1800)``."""
        self._append(rec.check_event_kind(kind), local_id, fields)

    def _append(self, kind: str, local_id: str, fields: dict[str, Any]) -> None:
        if not local_id:
            raise ValueError("a record needs the job's local id")
        with self._writing():
            self._file.append(rec.encode(rec.make(kind, local_id, rec.utcnow(), fields)))
            self._synced()

    def _finish(
        self, kind: str, local_id: str, fields: dict[str, Any], charge: float | None
    ) -> None:
        """Append the final record of an open job; a no-op for a job that already ended."""
        with self._writing() as index:
            job = index.open.get(local_id)
            if job is None:
                # Not in flight: an ended job (the first final record wins, so a repeated
                # call changes nothing), or an id the ledger has never seen (a caller's bug).
                known = self._records_of(local_id)
                if not known:
                    raise UsageError(
                        f"no job {local_id!r} in the ledger {self.path}",
                        hint="list recorded jobs with: video-gen history",
                    )
                if any(r["kind"] in rec.FINAL_KINDS for r in known):
                    return
            estimate = rec.from_micro(job.estimate) if job is not None else 0.0
            fields["charged_usd"] = estimate if charge is None else charge
            self._file.append(rec.encode(rec.make(kind, local_id, rec.utcnow(), fields)))
            self._synced()

    # -- reads -----------------------------------------------------------------------------
    def get(self, id_or_prefix: str) -> JobView:
        """The job whose local or remote id starts with ``id_or_prefix`` (UsageError unless one)."""
        prefix = id_or_prefix.strip()
        if not prefix:
            raise UsageError("give a job id (or the first characters of one)")
        matched: dict[str, bool] = {}  # local id -> matched exactly
        by_local: dict[str, list[dict[str, Any]]] = {}
        for record in self._scan(rb'"(?:id|remote_id)"\s*:\s*"' + _json_bytes(prefix)):
            local_id, remote = record["id"], record.get("remote_id")
            if local_id.startswith(prefix):
                by_local.setdefault(local_id, []).append(record)
                matched[local_id] = matched.get(local_id, False) or local_id == prefix
            if isinstance(remote, str) and remote.startswith(prefix):
                matched[local_id] = matched.get(local_id, False) or remote == prefix
        exact = [k for k, is_exact in matched.items() if is_exact]
        if len(exact) == 1:
            chosen = exact[0]
        elif len(matched) == 1:
            chosen = next(iter(matched))
        elif not matched:
            raise UsageError(
                f"no job in the ledger has an id starting with {prefix!r}",
                hint="list recorded jobs with: video-gen history --all",
            )
        else:
            views = sorted(
                (fold(self._records_of(k))[k] for k in list(matched)[:10]),
                key=lambda v: v.created_at,
            )
            listed = "; ".join(
                f"{v.local_id} ({v.remote_id or 'no remote id'}, {v.model}, "
                f"{v.created_at:%Y-%m-%d %H:%M})"
                for v in views
            )
            more = f" and {len(matched) - 10} more" if len(matched) > 10 else ""
            raise AmbiguousIdError(
                f"{prefix!r} is ambiguous: it matches {len(matched)} jobs: {listed}{more}",
                hint="give more characters of the id",
            )
        records = by_local.get(chosen) or self._records_of(chosen)
        return fold(records)[chosen]

    def find_remote(self, remote_id: str) -> JobView | None:
        """The job recorded with this exact remote id (the newest, should there be several)."""
        if not remote_id:
            return None
        local_ids = [
            r["id"]
            for r in self._scan(rb'"remote_id"\s*:\s*"' + _json_bytes(remote_id) + b'"')
            if r.get("remote_id") == remote_id
        ]
        if not local_ids:
            return None
        return fold(self._records_of(local_ids[-1]))[local_ids[-1]]

    def jobs(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        status: str | Iterable[str] | None = None,
        model: str | None = None,
        provider: str | None = None,
        search: str | None = None,
        batch: str | None = None,
        limit: int | None = 20,
    ) -> list[JobView]:
        """Jobs newest first (by reservation), filtered; ``limit=None`` for all.

        ``status`` is a status (``completed``, ``queued``, ``released`` ...), ``in-flight``, or
        ``failed`` (also cancelled/expired), or several of them; ``model`` may be a glob;
        ``provider`` matches the provider's name or kind; ``search`` is case-insensitive text
        of the prompt. Reads the file backwards, so recent jobs come back fast.
        """
        if isinstance(status, str):
            status = [s for s in status.split(",") if s.strip()]
        wanted = JobFilter(
            since=rec.as_utc(since) if since is not None else None,
            until=rec.as_utc(until) if until is not None else None,
            status=tuple(status or ()),
            model=model,
            provider=provider,
            search=search,
            batch=batch,
        )
        return self._select(wanted, limit)

    def _select(
        self, wanted: JobFilter, limit: int | None, end: int | None = None
    ) -> list[JobView]:
        if limit is not None and limit <= 0:
            return []
        stop = wanted.since - CLOCK_SLACK if wanted.since is not None else None
        found: list[JobView] = []
        for job in newest_first(self._file.lines_backward(end)):
            if stop is not None and job.created_at < stop:
                break
            if wanted.matches(job):
                found.append(job)
                if limit is not None and len(found) >= limit:
                    break
        return found

    def known_remote_ids(self, *, since: datetime) -> frozenset[str]:
        """Remote ids recorded since ``since`` (and up to CLOCK_SLACK before: more is safer)."""
        stop = rec.as_utc(since) - CLOCK_SLACK
        found: set[str] = set()
        for line in self._file.lines_backward():
            record, _ = rec.decode(line)
            if record is None:
                continue
            if rec.parse_ts(record["ts"]) < stop:
                break
            remote = record.get("remote_id")
            if isinstance(remote, str) and remote:
                found.add(remote)
        return frozenset(found)

    def month(
        self,
        month: str | None = None,
        *,
        limits: BudgetLimits | None = None,
        now: datetime | None = None,
    ) -> MonthSummary:
        """Spending of a UTC month (``2026-11``; default the current one) against the limits.

        ``limits`` defaults to the config's (``BudgetLimits.from_config(Config.load())``).
        """
        moment = rec.as_utc(now) if now is not None else rec.utcnow()
        try:
            key = rec.check_month(month) if month else moment.strftime("%Y-%m")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if limits is None:
            from video_gen.config import Config

            limits = BudgetLimits.from_config(Config.load())
        return month_summary(self._snapshot(), key, limits, moment)

    def report(
        self,
        month: str | None = None,
        fmt: str = "md",
        *,
        limits: BudgetLimits | None = None,
        now: datetime | None = None,
    ) -> str:
        """The month's report (``md``, ``csv`` or ``json``): every job reserved in it, totals
        and the limit, all read from one state of the file so the totals agree."""
        from video_gen.ledger import report

        if fmt not in report.FORMATS:
            raise UsageError(f"unknown report format {fmt!r}: one of {', '.join(report.FORMATS)}")
        with self._mutex:
            summary = self.month(month, limits=limits, now=now)
            covered = self._index.offset if self._index is not None else 0
        start, end = month_bounds(summary.month)
        jobs = self._select(JobFilter(since=start, until=end), None, covered)
        return report.render(fmt, summary, jobs)

    def warnings(self) -> list[str]:
        """Lines that are not valid records (with their numbers), and a torn last line."""
        index = self._snapshot()
        out = [
            f"ledger {self.path}, line {i.line}: {i.reason}; skipped, and left as it is"
            for i in index.issues
        ]
        if index.issue_count > len(index.issues):
            out.append(
                f"ledger {self.path}: {index.issue_count - len(index.issues)} more bad lines"
            )
        if index.torn is not None:
            out.append(
                f"ledger {self.path}, line {index.torn.line}: {index.torn.reason};"
                " skipped, and the next record will start on a new line"
            )
        return out

    # -- helpers ---------------------------------------------------------------------------
    def _scan(self, pattern: bytes) -> list[dict[str, Any]]:
        found = []
        for line in self._file.scan(re.compile(pattern)):
            record, _ = rec.decode(line)
            if record is not None:
                found.append(record)
        return found

    def _records_of(self, local_id: str) -> list[dict[str, Any]]:
        pattern = rb'"id"\s*:\s*"' + _json_bytes(local_id) + b'"'
        return [r for r in self._scan(pattern) if r["id"] == local_id]


def _committed(index: _index.Index, moment: datetime) -> Committed:
    """Money already counted in the UTC month and day of ``moment``."""
    day = moment.date().isoformat()
    month = day[:7]
    month_reserved, month_in_flight = index.reserved(month)
    day_reserved, day_in_flight = index.reserved(day)
    return Committed(
        moment=moment,
        month=month,
        day=day,
        month_charged=index.charged(month_days(month)),
        month_reserved=month_reserved,
        month_in_flight=month_in_flight,
        day_charged=index.days.get(day, 0),
        day_reserved=day_reserved,
        day_in_flight=day_in_flight,
    )


def _json_bytes(text: str) -> bytes:
    """``text`` as it appears inside a JSON string in the file, escaped for a regex."""
    return re.escape(json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8"))
