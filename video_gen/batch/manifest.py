"""The batch manifest: one JSON file beside the videos saying what became of every item.

Rewritten atomically (temp file, fsync, rename) after item state changes (coalesced to at most
one write per 0.2 s by the engine), so it is always a complete, parseable file, and at most that
far behind even after a crash. It is a
convenience for people and scripts; resume decisions come from the ledger. Schema in
docs/batch.md (keys are only ever added).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from video_gen.fsutil import atomic_write_text

SCHEMA_VERSION = 1


def default_path(output_dir: Path, source: Path | None, batch_id: str) -> Path:
    """``<output-dir>/<batch file stem>.manifest.json`` (stdin: ``<batch id>.manifest.json``)."""
    stem = source.stem if source is not None else batch_id
    return output_dir / f"{stem}.manifest.json"


class Manifest:
    """Writes the manifest; safe to call from several threads (writes are serialised)."""

    def __init__(self, path: Path, header: Mapping[str, Any]) -> None:
        self.path = path
        self.header = dict(header)
        self._lock = threading.Lock()
        self.started_at = _now()

    def write(
        self,
        items: Sequence[Mapping[str, Any]],
        totals: Mapping[str, Any],
        *,
        finished: bool = False,
    ) -> None:
        document = {
            "schema": SCHEMA_VERSION,
            **self.header,
            "started_at": self.started_at,
            "updated_at": _now(),
            "finished": finished,
            "totals": dict(totals),
            "items": list(items),
        }
        text = json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            atomic_write_text(self.path, text)


def load(path: Path) -> dict[str, Any] | None:
    """A manifest's contents, or None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _now() -> str:
    moment = datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
