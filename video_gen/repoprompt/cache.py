"""The on-disk cache under ``video_gen.paths.cache_dir() / "repoprompt"``.

Three kinds of entry, all JSON, all replaced atomically (temp file + ``os.replace``), so two runs
sharing the cache never see half a file; a corrupt or unreadable entry is a miss, never an error:

``facts/<sha[:2]>/<sha256>.<language>.json``
    one file's facts, keyed by its content hash (content-addressed: an unchanged file is never
    parsed twice, whatever its path or mtime, and a renamed one is found again);
``index/<hash of the root path>.json``
    per repository, ``path -> [size, mtime_ns, sha256]``, so a warm run does not even read a file
    whose size and mtime are unchanged. Like git's index it distrusts "racy" entries, whose
    mtime is within two seconds of the index's own write time, and re-hashes those;
``analysis/<digest>.json``
    the ranking and repository summary for one exact set of (path, language, sha256): a warm run
    on an unchanged tree skips extraction and ranking altogether;
``fits/<key[:2]>/<key>.json``
    one prompt fitted to its token cap, keyed by a hash of its pieces, level and clip length
    (``fit.fit_key``), with the tokenizer's name: a warm run never loads the tokenizer.

Everything sits under a folder named for the cache format and ``EXTRACTOR_VERSION``: a new
extractor never reads an old entry. Delete the folder at any time; nothing else depends on it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from video_gen.fsutil import atomic_write_bytes
from video_gen.repoprompt.facts import EXTRACTOR_VERSION, FileFacts
from video_gen.repoprompt.scan import SourceFile

CACHE_FORMAT = 1
RACY_NS = 2_000_000_000  # mtimes this close to the index's write time are not trusted


def default_base() -> Path:
    from video_gen import paths

    return paths.cache_dir() / "repoprompt"


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file beside ``path``, then ``os.replace``. No fsync: a torn entry is only a miss."""
    atomic_write_bytes(path, data, durable=False)


def facts_path(facts_dir: Path, sha: str, language: str) -> Path:
    return facts_dir / sha[:2] / f"{sha}.{language}.json"


def read_facts(facts_dir: Path, sha: str, language: str) -> FileFacts | None:
    try:
        data = facts_path(facts_dir, sha, language).read_bytes()
        facts = FileFacts.from_json(data)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return facts if facts.language == language else None


def write_facts(facts_dir: Path, sha: str, language: str, text: str) -> None:
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomic(facts_path(facts_dir, sha, language), text.encode("utf-8"))


class RepoCache:
    """The cache as seen from one repository root."""

    def __init__(self, root: Path, base: Path | None = None) -> None:
        self.base = (base if base is not None else default_base()) / (
            f"v{CACHE_FORMAT}-x{EXTRACTOR_VERSION}"
        )
        key = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:32]
        self.index_file = self.base / "index" / f"{key}.json"
        self.facts_dir = self.base / "facts"
        self.analysis_dir = self.base / "analysis"
        self.fits_dir = self.base / "fits"
        self._index: dict[str, tuple[int, int, str]] = {}
        self._written_ns = 0

    # -- the stat index ----------------------------------------------------------------------
    def load_index(self) -> None:
        try:
            data = json.loads(self.index_file.read_bytes())
            self._written_ns = int(data["written_ns"])
            self._index = {
                str(k): (int(v[0]), int(v[1]), str(v[2])) for k, v in data["files"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            self._index, self._written_ns = {}, 0

    def known_sha(self, f: SourceFile) -> str | None:
        """The content hash recorded for ``f`` if its size and mtime are unchanged (and safe)."""
        entry = self._index.get(f.path)
        if entry is None or entry[0] != f.size or entry[1] != f.mtime_ns:
            return None
        if f.mtime_ns >= self._written_ns - RACY_NS:
            return None  # modified too close to the last index write: it could have changed since
        return entry[2]

    def save_index(self, entries: Iterable[tuple[SourceFile, str]], *, reread: int) -> None:
        """Record stat -> hash; rewritten only when something was read (moves the racy window)."""
        files = {f.path: (f.size, f.mtime_ns, sha) for f, sha in entries if sha}
        if reread == 0 and files == self._index:
            return
        data = {
            "written_ns": time.time_ns(),
            "files": {k: list(v) for k, v in sorted(files.items())},
        }
        with contextlib.suppress(OSError):
            write_atomic(self.index_file, json.dumps(data, separators=(",", ":")).encode())

    # -- per-file facts ----------------------------------------------------------------------
    def load_facts(self, sha: str, language: str) -> FileFacts | None:
        return read_facts(self.facts_dir, sha, language)

    # -- whole analyses and fitted prompts ---------------------------------------------------
    def load_analysis(self, digest: str) -> dict[str, Any] | None:
        return _load_json(self.analysis_dir / f"{digest}.json")

    def store_analysis(self, digest: str, data: dict[str, Any]) -> None:
        _store_json(self.analysis_dir / f"{digest}.json", data)

    def load_fit(self, key: str) -> dict[str, Any] | None:
        """A fitted prompt by ``fit.fit_key`` (so a warm run never loads the tokenizer)."""
        return _load_json(self.fits_dir / key[:2] / f"{key}.json")

    def store_fit(self, key: str, data: dict[str, Any]) -> None:
        _store_json(self.fits_dir / key[:2] / f"{key}.json", data)


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _store_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    with contextlib.suppress(OSError):  # a read-only cache only costs speed
        write_atomic(path, text.encode("utf-8"))
