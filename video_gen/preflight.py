"""Local checks that cost nothing, run before any create: never pay for what fails locally.

A paid job whose video cannot be saved is money for nothing, so before a reservation or a
create: the file name template is filled once with sample values, the output folder is created
if missing and proved writable by writing and deleting a temp file (a file, a read-only folder,
a dangling symlink or ``/proc/nope`` is refused by name), and the disk's free space is compared
with a generous estimate of the videos' size. ``generate``, ``remix`` and every job of ``batch``,
``film`` and ``prompt-from-repo --generate`` pass through ``JobRunner.start``, which runs
``check_job``; a batch also runs ``check_batch`` once for all its new jobs and its manifest.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from video_gen import naming
from video_gen.errors import LocalFilesError
from video_gen.types import GenerationRequest

# A generous bound on a video's size: bytes per pixel per second. Sora's 720x1280 clips run at
# about 0.25 (2-3 Mbit/s); 1.0 is four times that, so a clip whose estimate fits really fits.
BYTES_PER_PIXEL_SECOND = 1.0
# Companions (thumbnail, spritesheet), the manifest and the ledger's few lines.
MARGIN_BYTES = 8 * 1024 * 1024


def expected_bytes(request: GenerationRequest) -> int:
    """A generous estimate of one video's size on disk."""
    from video_gen.capabilities import parse_size

    try:
        width, height = parse_size(request.size)
    except Exception:  # an odd size the provider accepts (e.g. "720p"): assume 1080p
        width, height = 1920, 1080
    return int(max(request.seconds, 1) * width * height * BYTES_PER_PIXEL_SECOND)


def check_name(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``template`` with these values once (UsageError, exit 2, naming the field)."""
    return naming.render(template, {"id": "video_sample", **values})


def check_folder(folder: Path, *, what: str = "output folder", flag: str = "-o") -> Path:
    """Create ``folder`` if missing and prove it is a writable folder (LocalFilesError).
    ``what`` and ``flag`` name it in messages (the manifest's folder: ``--manifest``)."""
    shown = str(folder)
    if folder.is_symlink() and not folder.exists():
        raise LocalFilesError(
            f"the {what} {shown} is a dangling symlink (to {os.readlink(folder)})",
            hint=f"remove the link or create its target, or choose another ({flag})",
        )
    if folder.exists() and not folder.is_dir():
        raise LocalFilesError(
            f"the {what} {shown} is {describe_path(folder)}, not a folder",
            hint=f"choose another ({flag})",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalFilesError(
            f"cannot create the {what} {shown}: {_reason(exc)}",
            hint=f"choose one you can write to ({flag})",
        ) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".video-gen-check-", dir=folder)
    except OSError as exc:
        raise LocalFilesError(
            f"cannot write in the {what} {shown}: {_reason(exc)}",
            hint=f"make it writable (chmod u+w {shown}) or choose another ({flag})",
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return folder


def probe_folder(folder: Path, *, what: str = "output folder", flag: str = "-o") -> None:
    """``check_folder`` without changing anything (for --dry-run): the folder, or the nearest
    folder above it that exists, must be a folder this process may write in."""
    shown = str(folder)
    if folder.is_symlink() and not folder.exists():
        raise LocalFilesError(
            f"the {what} {shown} is a dangling symlink (to {os.readlink(folder)})",
            hint=f"remove the link or create its target, or choose another ({flag})",
        )
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise LocalFilesError(
            f"the {what} {shown} cannot be made: {existing} is {describe_path(existing)},"
            " not a folder",
            hint=f"choose another ({flag})",
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise LocalFilesError(
            f"cannot write in the {what} {shown}: {existing} is not writable",
            hint=f"make it writable (chmod u+w {existing}) or choose another ({flag})",
        )


def check_space(folder: Path, needed: int, *, what: str) -> None:
    """Refuse when ``folder``'s disk has less free space than ``needed`` bytes."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # not measurable here (some network file systems): the download still checks
    if free < needed + MARGIN_BYTES:
        raise LocalFilesError(
            f"not enough free disk space in {folder}: {_mb(free)} free, {what} need about"
            f" {_mb(needed + MARGIN_BYTES)}",
            hint="free some space, or choose an output folder on another disk (-o)",
        )


def check_job(
    request: GenerationRequest, output_dir: Path, template: str, values: Mapping[str, Any]
) -> None:
    """Everything one job needs locally, checked before its reservation and create."""
    check_name(template, values)
    check_folder(output_dir)
    check_space(output_dir, expected_bytes(request), what="this video would")


def check_batch(
    requests: Iterable[GenerationRequest],
    output_dir: Path,
    template: str,
    *,
    manifest: Path | None = None,
    sample_values: Mapping[str, Any] | None = None,
) -> None:
    """A batch's local checks, once before its first create: the name template, the output
    and manifest folders, and the free space for all its new videos together."""
    reqs = list(requests)
    check_name(template, sample_values or {})
    check_folder(output_dir)
    if manifest is not None:
        if manifest.exists() and not manifest.is_file():
            raise LocalFilesError(
                f"the manifest {manifest} is {describe_path(manifest)}, not a file",
                hint="choose another --manifest (a .json file)",
            )
        check_folder(manifest.parent, what="manifest's folder", flag="--manifest")
    if reqs:
        total = sum(expected_bytes(r) for r in reqs)
        count = f"{len(reqs)} new video{'s' if len(reqs) != 1 else ''}"
        check_space(output_dir, total, what=f"the {count} would")


def describe_path(path: Path) -> str:
    """What ``path`` is, for messages: ``a file``, ``a folder``, ``a named pipe (FIFO)`` ..."""
    from video_gen.images import describe

    try:
        mode = path.stat().st_mode
    except OSError:
        return "not usable"
    return describe(mode) or "a file"


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EROFS,):
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return exc.strerror or str(exc)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB" if n >= 10_000_000 else f"{n / 1_000_000:.1f} MB"
