"""Which process owns a create: telling "still on the wire in a live process" from "left by a
process that died" (SIGKILL, out of memory, a CI runner torn down).

Each process that reserves a job takes, once, an exclusive lock on a file of its own
(``<data dir>/owners/<token>.lock``) and holds it until it exits; the reservation records the
token and the machine. The operating system drops the lock when the process dies, however it
dies, so another process on the same machine can tell for certain: the lock can be taken, or
the file is gone (removed at a clean exit), means the owner is gone. A PID could be reused; a
lock cannot outlive its process. ``filelock`` is the project's cross-process lock already.

On another machine, or under another home on this one (a shared PostgreSQL ledger), the lock
cannot be seen: such a create counts as owned by a live process until it is older than
``STALE_AFTER`` (no create stays on the wire
that long: the transport's timeouts end it first).
"""

from __future__ import annotations

import atexit
import os
import secrets
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

STALE_AFTER = timedelta(minutes=30)

_lock = threading.Lock()
_mine: tuple[str, Any] | None = None  # (token, the held FileLock)


def _folder() -> Path:
    from video_gen.paths import data_dir

    return data_dir() / "owners"


def _home_tag() -> str:
    """Which data folder this process keeps its owner locks in: two homes on one machine can
    share a PostgreSQL ledger, and one cannot see the other's locks (nor tell them dead)."""
    import hashlib

    return hashlib.sha256(str(_folder().absolute()).encode()).hexdigest()[:8]


def token() -> str | None:
    """This process's owner token, its lock taken the first time (held until exit); None when
    no lock can be held here (a read-only data folder): the create then counts as live until
    stale, never as left by a dead process."""
    global _mine
    with _lock:
        # A new lock after a fork, or when VIDEO_GEN_HOME changed in this process (tests,
        # library use); an old one stays held, as reservations may name it.
        if (
            _mine is not None
            and _mine[0].endswith(f"-{os.getpid()}")
            and _mine[0].startswith(f"{_home_tag()}-")
        ):
            return _mine[0]
        from filelock import FileLock, Timeout

        value = f"{_home_tag()}-{secrets.token_hex(6)}-{os.getpid()}"
        try:
            folder = _folder()
            folder.mkdir(parents=True, exist_ok=True)
            held = FileLock(str(folder / f"{value}.lock"), thread_local=False)
            held.acquire(timeout=0)
        except (OSError, Timeout):
            return None
        _mine = (value, held)
        atexit.register(_release, folder / f"{value}.lock", held)
        return value


def _release(path: Path, held: Any) -> None:
    try:
        held.release(force=True)
        path.unlink(missing_ok=True)
    except OSError:  # a folder gone at exit: the lock went with the process anyway
        pass


def alive(owner: str | None, host: str | None, reserved_at: datetime | None = None) -> bool:
    """Whether the process that reserved a job may still be creating it.

    ``owner`` is the token its reservation recorded (None for records older than owners: they
    count as alive until stale), ``host`` the machine it ran on.
    """
    from video_gen.ledger.origin import stamp

    if _mine is not None and owner == _mine[0]:
        return True
    stale = reserved_at is not None and datetime.now(timezone.utc) - reserved_at > STALE_AFTER
    if owner is None or (host is not None and host != stamp()["host"]):
        return not stale
    if not all(c.isalnum() or c == "-" for c in owner) or not owner.startswith(f"{_home_tag()}-"):
        return not stale  # another home's lock (or not a token this code wrote): unknowable
    path = _folder() / f"{owner}.lock"
    if not path.exists():
        return False  # removed at a clean exit
    from filelock import FileLock, Timeout

    probe = FileLock(str(path), thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return not stale
    probe.release()
    path.unlink(missing_ok=True)  # its process is gone; nobody will take this lock again
    return False
