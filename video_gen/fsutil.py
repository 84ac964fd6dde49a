"""Atomic file writes: nothing half-written ever carries the final name."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_writer(
    path: Path, *, mode: int | None = None, durable: bool = True
) -> Iterator[BinaryIO]:
    """A file to stream into; on success it is fsynced (unless not ``durable``: caches and
    other files whose loss is only a miss) and ``os.replace``d onto ``path``, on an error (or
    Ctrl-C) removed, so ``path`` is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int | None = None, durable: bool = True
) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it (if ``durable``), then
    ``os.replace`` it in."""
    with atomic_writer(path, mode=mode, durable=durable) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def fsync_dir(path: Path) -> None:
    """Make a rename durable (a no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
