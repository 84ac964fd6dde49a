"""Downloading a job's content: streamed to a temp file beside the target, checked against the
announced length, resumed with ``Range`` (or restarted) when cut off, hashed, then linked into
place. Nothing half-written ever carries the final name, and memory stays flat (1 MiB chunks)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from video_gen import naming
from video_gen.errors import APIConnectionError, DownloadIncompleteError, ServerError
from video_gen.providers.base import Provider
from video_gen.types import VARIANT_SUFFIX, DownloadResult

ProgressFn = Callable[[int, "int | None"], None]


def download(
    provider: Provider,
    job_id: str,
    variant: str,
    directory: Path,
    stem: str,
    *,
    on_progress: ProgressFn | None = None,
    max_resumes: int = 5,
) -> DownloadResult:
    directory.mkdir(parents=True, exist_ok=True)
    suffix = VARIANT_SUFFIX.get(variant, ".bin")
    tmp = directory / f".{stem}{suffix}.{uuid.uuid4().hex[:8]}.part"
    sha = hashlib.sha256()
    done = 0
    resumes = 0
    try:
        with open(tmp, "wb") as fh:
            while True:
                total: int | None = None
                try:
                    stream = provider.download(job_id, variant, offset=done)
                    try:
                        if stream.offset != done:
                            # The server ignored the Range header: start over from byte 0.
                            fh.seek(0)
                            fh.truncate()
                            sha = hashlib.sha256()
                            done = 0
                        total = stream.total
                        for chunk in stream.chunks:
                            fh.write(chunk)
                            sha.update(chunk)
                            done += len(chunk)
                            if on_progress is not None:
                                on_progress(done, total)
                    finally:
                        stream.close()
                except (APIConnectionError, ServerError) as exc:
                    cut: Exception | None = exc
                else:
                    cut = None
                if cut is None and (total is None or done == total):
                    break
                if total is not None and done > total:
                    raise DownloadIncompleteError(
                        f"{variant} of {job_id}: got {done} bytes, more than the {total} announced",
                        hint=f"retry: video-gen download {job_id}",
                    )
                resumes += 1
                if resumes > max_resumes:
                    got = f"{done} of {total} bytes" if total else f"{done} bytes"
                    raise DownloadIncompleteError(
                        f"{variant} of {job_id} stayed incomplete after {max_resumes} resumes"
                        f" ({got})",
                        hint=f"retry later: video-gen download {job_id}",
                    )
                time.sleep(min(0.2 * 2 ** (resumes - 1), 3.0))
            fh.flush()
            os.fsync(fh.fileno())
        final = naming.place(tmp, directory, stem, suffix)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return DownloadResult(
        variant=variant, path=final, bytes=done, sha256=sha.hexdigest(), resumed=resumes
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
