"""The ledger's sidecar index: running totals derived from the JSONL, so reads stay fast.

``ledger.index.json`` holds what ``video-gen budget`` and a reservation need (money per UTC
day, per month and model, the open reservations, the newest local id, the bad lines seen) plus
the byte offset of the ledger it covers and that file's identity (device, inode, a hash of the
bytes just before the offset). The JSONL stays the source of truth: an index that is missing,
unreadable, of another version or of another file is rebuilt from it; one that is merely behind
is caught up by folding the lines after its offset. Because every index is checked against the
ledger before use, it is written without fsync and without the lock: a lost or older index costs
time, never money.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from video_gen.ledger import records as rec
from video_gen.ledger.query import SPEND_COLUMNS, SpendTotals, spend_row
from video_gen.ledger.store import LedgerFile

INDEX_VERSION = 3  # 2: a settled counter per model; 3: the ended jobs' ids
_FINGERPRINT_BYTES = 256
_READ_CHUNK = 1 << 23
MAX_ISSUES = 200  # bad lines remembered with their numbers; the rest are only counted
# The columns of SPEND_COLUMNS an index keeps per month and model (the money of ended jobs; the
# open ones are kept one by one in Index.open).
STORED = SPEND_COLUMNS.index("settled") + 1


@dataclass(frozen=True)
class Issue:
    """A line that is not a valid record: corrupt in the middle, or torn at the end."""

    line: int
    offset: int
    reason: str
    torn: bool = False


@dataclass
class Open:
    """A reservation still in flight."""

    day: str
    provider: str
    model: str
    estimate: int  # micro-USD
    seconds: int


class Index:
    def __init__(self) -> None:
        self.dev = 0
        self.ino = 0
        self.offset = 0  # bytes of the ledger folded in (always just after a newline)
        self.lines = 0  # lines folded in (to number the bad ones)
        self.fingerprint = ""
        self.last_id: str | None = None
        self.days: dict[str, int] = {}  # UTC day -> micro-USD charged
        # month -> "provider/model" ->
        #   [charged micro-USD, completed, failed, released, seconds, settled]
        self.models: dict[str, dict[str, list[int]]] = {}
        self.open: dict[str, Open] = {}
        # Jobs that ended: a duplicated "reserved" line (a file concatenated, a line copied)
        # must not open them again and count their money twice. Kept as one space-separated
        # string (" id1 id2 "): 100,000 ids load and save as one JSON string in about a
        # millisecond, where a list of strings cost 40 ms per reservation; it is searched only
        # for a "reserved" line whose id is not newer than the newest (ids grow along the file).
        self.ended_blob = " "
        self.ended_recent: set[str] = set()  # ended since loaded, not yet in the string
        self.issues: list[Issue] = []
        self.issue_count = 0
        self.torn: Issue | None = None  # recomputed on every sync, never saved

    # -- folding ---------------------------------------------------------------------------
    def apply(self, record: dict[str, Any]) -> None:
        kind, local_id = record["kind"], record["id"]
        if kind == rec.RESERVED:
            if local_id in self.open:
                return
            if self.last_id is not None and local_id <= self.last_id and self.has_ended(local_id):
                return
            seconds = record.get("seconds")
            self.open[local_id] = Open(
                day=rec.day_of(record["ts"]),
                provider=record["provider"],
                model=record["model"],
                estimate=rec.to_micro(record["estimate_usd"]),
                seconds=seconds if isinstance(seconds, int) else 0,
            )
            if self.last_id is None or local_id > self.last_id:
                self.last_id = local_id
        elif kind in rec.FINAL_KINDS:
            job = self.open.pop(local_id, None)
            if job is None:
                return  # the first final record fixed this job's charge already
            self.ended_recent.add(local_id)
            share = spend_row(job.estimate, job.seconds, record)
            self.days[job.day] = self.days.get(job.day, 0) + share[0]
            row = self.models.setdefault(rec.month_of(job.day), {}).setdefault(
                f"{job.provider}/{job.model}", [0] * STORED
            )
            for i in range(STORED):
                row[i] += share[i]

    def has_ended(self, local_id: str) -> bool:
        return local_id in self.ended_recent or f" {local_id} " in self.ended_blob

    def _ended_text(self) -> str:
        if self.ended_recent:
            self.ended_blob += " ".join(sorted(self.ended_recent)) + " "
            self.ended_recent = set()
        return self.ended_blob

    def feed(self, data: bytes) -> int:
        """Fold the complete lines at the start of ``data`` (which begins at ``self.offset``).

        Returns how many bytes were consumed; what is left is an unterminated line.
        """
        consumed = data.rfind(b"\n") + 1
        position = self.offset
        for line in data[:consumed].split(b"\n")[:-1]:
            self.lines += 1
            if line.strip():
                record, reason = rec.decode(line)
                if record is None:
                    self._issue(Issue(self.lines, position, reason or "invalid"))
                else:
                    self.apply(record)
            position += len(line) + 1
        self.offset += consumed
        return consumed

    def _issue(self, issue: Issue) -> None:
        self.issue_count += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(issue)

    # -- totals ----------------------------------------------------------------------------
    def totals(self, month: str) -> SpendTotals:
        """The month's money in the shape every backend shares."""
        out = SpendTotals(month, {}, {})
        for day, charged in self.days.items():
            if day.startswith(month):
                out.days[day] = [charged, 0, 0]
        for key, row in self.models.get(month, {}).items():
            out.models[key] = [*row, *[0] * (len(SPEND_COLUMNS) - STORED)]
        for job in self.open.values():
            if job.day.startswith(month):
                out.add(job.day, f"{job.provider}/{job.model}", spend_row(job.estimate, 0, None))
        return out

    # -- persistence -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "v": INDEX_VERSION,
            "ledger": {
                "dev": self.dev,
                "ino": self.ino,
                "offset": self.offset,
                "lines": self.lines,
                "fingerprint": self.fingerprint,
            },
            "last_id": self.last_id,
            "days": self.days,
            "models": self.models,
            "open": {
                k: [o.day, o.provider, o.model, o.estimate, o.seconds] for k, o in self.open.items()
            },
            "ended": self._ended_text(),
            "issues": [[i.line, i.offset, i.reason] for i in self.issues],
            "issue_count": self.issue_count,
        }

    @classmethod
    def from_json(cls, data: Any) -> Index | None:
        """The index saved in ``data``, or None when it is not a readable index of this version."""
        try:
            if data["v"] != INDEX_VERSION:
                return None
            index = cls()
            ledger = data["ledger"]
            index.dev, index.ino = int(ledger["dev"]), int(ledger["ino"])
            index.offset, index.lines = int(ledger["offset"]), int(ledger["lines"])
            index.fingerprint = str(ledger["fingerprint"])
            last_id = data["last_id"]
            index.last_id = None if last_id is None else str(last_id)
            index.days = {str(k): int(v) for k, v in data["days"].items()}
            index.models = {
                str(m): {str(k): [int(x) for x in row] for k, row in rows.items()}
                for m, rows in data["models"].items()
            }
            index.open = {
                str(k): Open(str(d), str(p), str(m), int(e), int(s))
                for k, (d, p, m, e, s) in data["open"].items()
            }
            index.ended_blob = str(data["ended"])
            index.issues = [Issue(int(a), int(b), str(c)) for a, b, c in data["issues"]]
            index.issue_count = int(data["issue_count"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        return index


def fingerprint(file: LedgerFile, offset: int) -> str:
    start = max(0, offset - _FINGERPRINT_BYTES)
    return hashlib.sha256(file.read_range(start, offset)).hexdigest()


def load(file: LedgerFile) -> Index | None:
    try:
        data = json.loads(file.index_path.read_bytes())
    except (OSError, ValueError):
        return None
    return Index.from_json(data)


def save(file: LedgerFile, index: Index) -> None:
    """Replace the index atomically; failures are ignored (it is only a cache)."""
    payload = json.dumps(index.to_json(), separators=(",", ":")).encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{file.index_path.name}.", suffix=".tmp", dir=file.index_path.parent
        )
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, file.index_path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def sync(file: LedgerFile, index: Index | None) -> tuple[Index, bool]:
    """``index`` brought up to the ledger's current end: ``(index, whether it changed)``.

    Starts from scratch when ``index`` is None or belongs to another file (or to an earlier
    state of this one that was since rewritten). Sets ``index.torn`` when the file ends with an
    unterminated line; only a caller holding the lock can tell that from a write in progress.
    """
    st = file.stat()
    if st is None:
        return Index(), False  # no ledger yet: nothing to save
    changed = False
    if index is None or not (
        (index.dev, index.ino) == (st.st_dev, st.st_ino)
        and index.offset <= st.st_size
        and fingerprint(file, index.offset) == index.fingerprint
    ):
        index = Index()
        index.dev, index.ino = st.st_dev, st.st_ino
        changed = True
    index.torn = None
    if st.st_size > index.offset:
        start = index.offset
        tail = b""
        with open(file.path, "rb") as fh:
            fh.seek(index.offset)
            remaining = st.st_size - index.offset
            while remaining > 0:
                chunk = fh.read(min(_READ_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                data = tail + chunk
                tail = data[index.feed(data) :]
        if tail:
            index.torn = Issue(
                index.lines + 1,
                index.offset,
                f"torn last line ({len(tail)} bytes with no newline: a write was cut off)",
                torn=True,
            )
        if index.offset != start:
            index.fingerprint = fingerprint(file, index.offset)
            changed = True
    return index, changed
