"""The ledger file itself: append under a cross-process lock, read forwards, backwards, by regex.

Appends are one ``os.write`` of whole lines on an ``O_APPEND`` descriptor followed by ``fsync``,
always made while holding ``ledger.jsonl.lock`` (``filelock``: ``flock`` on POSIX, released by the
kernel if the holder dies). Nothing here ever rewrites or truncates the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from video_gen.errors import VideoGenError
from video_gen.exit_codes import ExitCode

LOCK_TIMEOUT = 60.0  # seconds: appends hold the lock for milliseconds, so this means a hang
_BACKWARD_CHUNK = 1 << 18
_SCAN_CHUNK = 1 << 23


class LedgerLockedError(VideoGenError):
    """Another process held the ledger lock for longer than LOCK_TIMEOUT."""

    exit_code = ExitCode.ERROR


class LedgerFile:
    """``ledger.jsonl`` with its lock file and its derived index beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.index_path = path.with_name(path.stem + ".index.json")
        self._lock: object | None = None

    # -- the lock --------------------------------------------------------------------------
    def lock(self, timeout: float = LOCK_TIMEOUT) -> _Held:
        """Context manager holding the cross-process lock (re-entrant within a thread)."""
        if self._lock is None:
            from filelock import FileLock

            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A short poll interval: waiters hand over within milliseconds, not the default 50.
            self._lock = FileLock(str(self.lock_path), poll_interval=0.005)
        return _Held(self, self._lock, timeout)

    # -- writing (caller holds the lock) ---------------------------------------------------
    def append(self, lines: bytes) -> None:
        """Append complete lines durably. After a torn tail, start on a new line first."""
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
        flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)  # no CRLF on Windows
        fd = os.open(self.path, flags, 0o600)
        try:
            self._write(fd, lines)
        except OSError as exc:
            # Name the file (os.write does not): "the disk is full" alone says not which disk.
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror, str(self.path)) from exc
            raise
        finally:
            os.close(fd)

    def _write(self, fd: int, lines: bytes) -> None:
        """Write ``lines`` at the end of ``fd`` (a new line first after a torn tail)."""
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                # A writer was killed mid-line: leave its bytes untouched (they are reported
                # as a corrupt line) and begin ours on a fresh line so it stays intact.
                lines = b"\n" + lines
        view = memoryview(lines)  # O_APPEND: every write lands at the end, wherever we read
        while view:  # one write in practice; the loop only matters on a full disk
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        if not size:
            from video_gen.fsutil import fsync_dir

            fsync_dir(self.path.parent)  # the file is new: make its directory entry durable

    # -- reading ---------------------------------------------------------------------------
    def stat(self) -> os.stat_result | None:
        try:
            return os.stat(self.path)
        except FileNotFoundError:
            return None

    def read_range(self, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        with open(self.path, "rb") as fh:
            fh.seek(start)
            return fh.read(end - start)

    def lines_backward(self, end: int | None = None) -> Iterator[bytes]:
        """Complete lines before byte ``end`` (default: the end of file), last first.

        An unterminated tail (a torn write, or one in progress) is skipped.
        """
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed in the finally below
        except FileNotFoundError:
            return
        try:
            size = os.fstat(fh.fileno()).st_size
            end = size if end is None else min(end, size)
            carry = b""
            in_tail = True  # bytes after the last newline: empty, or a torn write
            while end > 0:
                start = max(0, end - _BACKWARD_CHUNK)
                fh.seek(start)
                parts = (fh.read(end - start) + carry).split(b"\n")
                end = start
                carry = b""
                if in_tail:
                    if len(parts) == 1:
                        continue  # still inside a (long) torn tail
                    parts.pop()
                    in_tail = False
                if start > 0:
                    carry = parts.pop(0)  # may be the end of a line that began earlier
                for line in reversed(parts):
                    if line.strip():
                        yield line
        finally:
            fh.close()

    def scan(self, pattern: re.Pattern[bytes]) -> Iterator[bytes]:
        """Every complete line in which ``pattern`` matches, in file order (a fast pre-filter)."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed in the finally below
        except FileNotFoundError:
            return
        try:
            carry = b""
            while True:
                chunk = fh.read(_SCAN_CHUNK)
                if not chunk:
                    return  # whatever is left in carry is an unterminated (torn) tail
                block = carry + chunk
                cut = block.rfind(b"\n") + 1
                block, carry = block[:cut], block[cut:]
                last = -1
                for match in pattern.finditer(block):
                    start = block.rfind(b"\n", 0, match.start()) + 1
                    if start <= last:
                        continue
                    end = block.find(b"\n", match.end())
                    last = start
                    yield block[start:end]
        finally:
            fh.close()


class _Held:
    def __init__(self, owner: LedgerFile, lock: object, timeout: float) -> None:
        self._owner = owner
        self._lock = lock
        self._timeout = timeout

    def __enter__(self) -> None:
        from filelock import FileLock, Timeout

        assert isinstance(self._lock, FileLock)
        try:
            self._lock.acquire(timeout=self._timeout)
        except Timeout:
            raise LedgerLockedError(
                f"the ledger {self._owner.path} stayed locked by another process for"
                f" {self._timeout:g}s",
                hint=f"find the hung video-gen process and stop it (the lock is"
                f" {self._owner.lock_path}; it frees itself when its holder exits)",
            ) from None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from filelock import FileLock

        assert isinstance(self._lock, FileLock)
        self._lock.release()
