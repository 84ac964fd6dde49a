"""The JSON Lines backend: the ledger as one append-only file on this machine (the default).

Every step of a job is a line of ``ledger.jsonl``, appended under a cross-process file lock; a
derived index beside it keeps budgets fast. The file format, the lock, crash behaviour and the
index are in docs/ledger.md; the meaning of the records is shared with every backend
(``backend.LedgerBase``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from video_gen import paths
from video_gen.ledger import index as _index
from video_gen.ledger import records as rec
from video_gen.ledger.backend import (
    CLOCK_SLACK,
    Claim,
    ClaimDecision,
    ImportResult,
    LedgerBase,
    final_fields,
)
from video_gen.ledger.budget import BudgetLimits, check
from video_gen.ledger.query import JobFilter, JobView, SpendTotals, committed, fold, newest_first
from video_gen.ledger.store import LedgerFile, LedgerLockedError

_TORN_CHECK_TIMEOUT = 5.0


def open_backend(url: str) -> JsonlLedger:
    """``file:///path/ledger.jsonl`` or a plain path; empty for the default location."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return JsonlLedger()
    path = unquote(urlsplit(url).path) if url.startswith("file:") else url
    return JsonlLedger(Path(path).expanduser())


class JsonlLedger(LedgerBase):
    """The ledger at ``path`` (default: ``paths.ledger_file()``). Cheap to create; thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.ledger_file()
        self.location = str(self.path)
        self._file = LedgerFile(self.path)
        self._index: _index.Index | None = None
        self._pinned_end: int | None = None  # set while a report reads one state of the file
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

    # -- the primitives ----------------------------------------------------------------------
    def _reserve(
        self,
        fields: dict[str, Any],
        estimate: int,
        limits: BudgetLimits,
        job: str,
        moment: datetime,
    ) -> tuple[str, list[str]]:
        with self._writing() as index:
            warnings = check(estimate, committed(index.totals(moment.strftime("%Y-%m")), moment),
                             limits, job)  # fmt: skip
            local_id = rec.new_local_id(after=index.last_id)
            self._file.append(rec.encode(rec.make(rec.RESERVED, local_id, moment, fields)))
            self._synced()
        return local_id, warnings

    def _append(self, kind: str, local_id: str, fields: dict[str, Any]) -> None:
        with self._writing():
            self._file.append(rec.encode(rec.make(kind, local_id, rec.utcnow(), fields)))
            self._synced()

    def _finish(
        self, kind: str, local_id: str, fields: dict[str, Any], charge: float | None
    ) -> None:
        with self._writing() as index:
            job = index.open.get(local_id)
            known = None if job is not None else self._records_of(local_id)
            final = final_fields(
                local_id, job.estimate if job else None, known, fields, charge, self.location
            )
            if final is None:
                return
            self._file.append(rec.encode(rec.make(kind, local_id, rec.utcnow(), final)))
            self._synced()

    def _claim(self, local_id: str, since: datetime, decide: ClaimDecision) -> Claim:
        with self._writing() as index:
            known = self.known_remote_ids(since=since)
            stop = since - CLOCK_SLACK
            seen: dict[str, list[dict[str, Any]]] = {}
            for line in self._file.lines_backward():
                record, _ = rec.decode(line)
                if record is None:
                    continue
                if record["id"] in index.open:
                    seen.setdefault(record["id"], []).append(record)
                if record["kind"] == rec.RESERVED and rec.parse_ts(record["ts"]) < stop:
                    break
            unanswered = []
            for records in seen.values():
                reserved = next((r for r in records if r["kind"] == rec.RESERVED), None)
                if reserved is not None and not any(rec.remote_ids_of(r) for r in records):
                    unanswered.append(reserved)
            claim, claimed = decide(known, unanswered)
            for job_id, fields in claimed:
                record = rec.make(rec.SUBMITTED, job_id, rec.utcnow(), fields)
                self._file.append(rec.encode(record))
            if claimed:
                self._synced()
            return claim

    def _totals(self, month: str) -> SpendTotals:
        return self._snapshot().totals(month)

    def _id_matches(self, prefix: str) -> dict[str, bool]:
        matched: dict[str, bool] = {}  # local id -> matched exactly
        for record in self._scan(rb'"(?:id|remote_id)"\s*:\s*"' + _json_bytes(prefix)):
            local_id = record["id"]
            if local_id.startswith(prefix):
                matched[local_id] = matched.get(local_id, False) or local_id == prefix
            for remote in rec.remote_ids_of(record):
                if remote.startswith(prefix):
                    matched[local_id] = matched.get(local_id, False) or remote == prefix
        return matched

    def _id_tail_matches(self, tail: str) -> list[str]:
        pattern = rb'"id"\s*:\s*"j[0-9a-z]*' + _json_bytes(tail) + b'"'
        return sorted({r["id"] for r in self._scan(pattern) if r["id"].endswith(tail)})

    def _views(self, local_ids: list[str]) -> dict[str, JobView]:
        return {k: fold(self._records_of(k))[k] for k in local_ids}

    def open_jobs(self, provider: str | None = None) -> list[JobView]:
        """The index knows the open jobs: only their records are read, scanning back to the
        oldest one's reservation (open jobs are recent), not the whole file."""
        index = self._snapshot()
        wanted = {k for k, o in index.open.items() if provider is None or o.provider == provider}
        if not wanted:
            return []
        found: list[dict[str, Any]] = []
        starts = set()
        for line in self._file.lines_backward():
            record, _ = rec.decode(line)
            if record is None or record["id"] not in wanted:
                continue
            found.append(record)
            if record["kind"] == rec.RESERVED:
                starts.add(record["id"])
                if starts == wanted:
                    break  # a job's records all follow its reservation
        views = fold(reversed(found))
        return sorted(views.values(), key=lambda v: (v.created_at, v.local_id))

    def _select(self, wanted: JobFilter, limit: int | None) -> list[JobView]:
        stop = wanted.since - CLOCK_SLACK if wanted.since is not None else None
        found: list[JobView] = []
        index = self._snapshot()
        for job in newest_first(self._file.lines_backward(self._pinned_end)):
            if stop is not None and job.created_at < stop:
                break
            if job.in_flight and index.has_ended(job.local_id):
                # A "reserved" line copied below the job's end: read backwards it looks like a
                # job in flight; all of its records (folded, duplicates once) say how it ended.
                job = self._views([job.local_id])[job.local_id]
            if wanted.matches(job):
                found.append(job)
                if limit is not None and len(found) >= limit:
                    break
        return found

    @contextmanager
    def _consistent(self) -> Iterator[None]:
        """Reads see the file up to the end the index covers now (appends after are ignored)."""
        with self._mutex:
            self._pinned_end = self._snapshot().offset
            try:
                yield
            finally:
                self._pinned_end = None

    # -- reads -----------------------------------------------------------------------------
    def find_remote(self, remote_id: str) -> JobView | None:
        """The job recorded with this exact remote id (the newest, should there be several)."""
        if not remote_id:
            return None
        local_ids = [
            r["id"]
            for r in self._scan(rb'"remote_id"\s*:\s*"' + _json_bytes(remote_id) + b'"')
            if remote_id in rec.remote_ids_of(r)
        ]
        if not local_ids:
            return None
        return self._views([local_ids[-1]])[local_ids[-1]]

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
            found.update(rec.remote_ids_of(record))
        return frozenset(found)

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

    def has_records(self) -> bool:
        return self.path.exists() and self.path.stat().st_size > 0

    def records(self) -> Iterator[dict[str, Any]]:
        """Every valid record in file order (bad lines are skipped, as every reader does)."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed in the finally below
        except FileNotFoundError:
            return
        try:
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # a torn tail
                record, _ = rec.decode(line)
                if record is not None:
                    yield record
        finally:
            fh.close()

    def import_records(self, records: Iterable[dict[str, Any]]) -> ImportResult:
        from video_gen.errors import UsageError

        raise UsageError(
            "importing is into a shared (PostgreSQL) ledger; this one is the JSON Lines file"
            f" {self.path}",
            hint="set VIDEO_GEN_LEDGER_URL=postgresql://... (or ledger.url) and import again",
        )

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


def _json_bytes(text: str) -> bytes:
    """``text`` as it appears inside a JSON string in the file, escaped for a regex."""
    return re.escape(json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8"))
