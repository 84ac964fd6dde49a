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

from video_gen import deadline, media, naming
from video_gen.errors import APIConnectionError, DownloadIncompleteError, ServerError
from video_gen.providers.base import Provider
from video_gen.types import VARIANT_SUFFIX, DownloadResult

ProgressFn = Callable[[int, "int | None"], None]


class VariantUnavailableError(DownloadIncompleteError):
    """The server answered something other than the variant asked for (a thumbnail that is
    really the MP4, an error page): nothing is saved under the variant's name."""


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
    remove_stale_parts(directory, job_id)
    tmp = directory / f".{stem}{suffix}.{_part_tag(job_id)}-{uuid.uuid4().hex[:8]}.part"
    sha = hashlib.sha256()
    done = 0
    resumes = 0
    head = b""  # the first bytes, to tell what the file really is
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
                            head = b""
                        total = stream.total
                        for chunk in stream.chunks:
                            if len(head) < media.HEAD_BYTES:
                                head = (head + chunk)[: media.HEAD_BYTES]
                                if len(head) >= media.HEAD_BYTES:
                                    suffix = _checked_suffix(variant, job_id, head)
                            fh.write(chunk)
                            sha.update(chunk)
                            done += len(chunk)
                            if on_progress is not None:
                                on_progress(done, total)
                    finally:
                        stream.close()
                except (APIConnectionError, ServerError) as exc:
                    left = deadline.left()
                    if left is not None and left <= 0:
                        raise  # the run's --timeout passed: no resume can finish in time
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
        if len(head) < media.HEAD_BYTES:  # a file shorter than every signature
            suffix = _checked_suffix(variant, job_id, head)
        final = naming.place(tmp, directory, stem, suffix)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return DownloadResult(
        variant=variant, path=final, bytes=done, sha256=sha.hexdigest(), resumed=resumes
    )


# A .part file of a job untouched for this long is left by a run that was killed (SIGKILL, a
# power cut): a live download writes to its file at least every few seconds.
STALE_PART_SECONDS = 60.0


def _part_tag(job_id: str) -> str:
    """A file-name-safe tag of ``job_id`` in its temp files' names (ids are opaque text)."""
    return hashlib.sha256(job_id.encode()).hexdigest()[:12]


def remove_stale_parts(directory: Path, job_id: str) -> list[Path]:
    """Delete the ``.part`` files a killed download of ``job_id`` left in ``directory``."""
    removed = []
    now = time.time()
    for part in directory.glob(f".*.{_part_tag(job_id)}-*.part"):
        with contextlib.suppress(OSError):
            if now - part.stat().st_mtime >= STALE_PART_SECONDS:
                part.unlink()
                removed.append(part)
    return removed


def _checked_suffix(variant: str, job_id: str, head: bytes) -> str:
    """The suffix the bytes' real type gets, or VariantUnavailableError when they are not the
    variant asked for (then nothing is kept under its name)."""
    mime = media.sniff(head)
    suffix = media.suffix_for(variant, mime)
    if suffix is not None:
        return suffix
    if variant != "video" and media.suffix_for("video", mime) is not None:
        raise VariantUnavailableError(
            f"the server sent the video ({mime}) when asked for the {variant} of {job_id}:"
            f" it does not make {variant}s",
            hint=f"download without --{variant}",
        )
    raise VariantUnavailableError(
        f"the server sent {media.describe(mime)} as the {variant} of {job_id}",
        hint=f"retry later: video-gen download {job_id} (--verbose shows the HTTP exchange)",
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
