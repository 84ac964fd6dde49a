"""Reading files and extracting their facts, in this process or in worker processes.

``extract_bytes`` is the pure per-file function (bytes + language -> ``FileFacts``): binary
sniff, huge-line check, then the language's extractor. ``extract_files`` reads a list of files,
hashes them, reuses cached facts by content hash, and fans the rest out to a
``ProcessPoolExecutor``. Results come back keyed by path, so the worker count never changes
the output, and every result passes through its JSON form exactly as a cached one would.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from video_gen.repoprompt.cache import read_facts, write_facts
from video_gen.repoprompt.extract_patterns import extract_patterns
from video_gen.repoprompt.extract_python import extract_python
from video_gen.repoprompt.facts import FileFacts
from video_gen.repoprompt.scan import SourceFile, is_binary

MAX_LINE_CHARS = 10_000  # a longer line is minified or generated code: not the project's story


def extract_bytes(data: bytes, language: str) -> FileFacts:
    """Facts of one file's content. Never raises on bad input: it returns a skipped record."""
    # A syntax tree holds no reference cycles, so the cyclic GC only slows its construction
    # (by about 15%); reference counting frees every node as usual.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _extract(data, language)
    finally:
        if enabled:
            gc.enable()


def _extract(data: bytes, language: str) -> FileFacts:
    if is_binary(data):
        return FileFacts.skip(language, "binary")
    if len(data) > MAX_LINE_CHARS and max(map(len, data.split(b"\n"))) > MAX_LINE_CHARS:
        return FileFacts.skip(language, "long_lines")
    try:
        if language == "python":
            return extract_python(data)
        return extract_patterns(data, language)
    except RecursionError:
        return FileFacts.skip(language, "too_complex")


@dataclass(frozen=True)
class ReadFile:
    """One file read this run: its hash, its facts (as JSON), and whether it was parsed."""

    path: str
    sha256: str  # "" when the file could not be read
    facts_json: str
    parsed: bool


_Job = tuple[str, str, str, str]  # (absolute path, relative path, language, facts dir or "")


def _read_one(job: _Job) -> ReadFile:
    abspath, rel, language, facts_dir = job
    try:
        with open(abspath, "rb") as fh:
            data = fh.read()
    except OSError:
        return ReadFile(rel, "", FileFacts.skip(language, "unreadable").to_json(), False)
    sha = hashlib.sha256(data).hexdigest()
    if facts_dir:
        cached = read_facts(Path(facts_dir), sha, language)
        if cached is not None:
            return ReadFile(rel, sha, cached.to_json(), False)
    text = extract_bytes(data, language).to_json()
    if facts_dir:
        write_facts(Path(facts_dir), sha, language, text)
    return ReadFile(rel, sha, text, True)


def _read_chunk(jobs: list[_Job]) -> list[ReadFile]:
    return [_read_one(j) for j in jobs]


def _chunks(jobs: list[tuple[int, _Job]], n: int) -> list[list[_Job]]:
    """Split into ``n`` lists of about equal total size (largest first, onto the lightest)."""
    bins: list[list[_Job]] = [[] for _ in range(n)]
    loads = [0] * n
    for size, job in sorted(jobs, key=lambda sj: (-sj[0], sj[1][1])):
        i = loads.index(min(loads))
        bins[i].append(job)
        loads[i] += size + 2048  # a fixed cost per file, whatever its size
    return [b for b in bins if b]


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def extract_files(
    root: Path, files: Sequence[SourceFile], *, workers: int, facts_dir: Path | None
) -> dict[str, ReadFile]:
    """Read, hash and extract ``files`` (cached facts reused by hash); keyed by path."""
    fdir = str(facts_dir) if facts_dir is not None else ""
    jobs = [(f.size, (os.path.join(root, f.path), f.path, f.language, fdir)) for f in files]
    if workers <= 1 or len(jobs) < 2:
        results = [_read_one(job) for _, job in jobs]
    else:
        # A few chunks per worker: balanced load without paying a round trip per file.
        chunks = _chunks(jobs, min(len(jobs), workers * 4))
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks))) as pool:
            results = [r for part in pool.map(_read_chunk, chunks) for r in part]
    return {r.path: r for r in results}
