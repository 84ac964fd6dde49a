"""One run of a batch at a time.

Two processes running the same batch would both see an item's reservation without a remote id
(one of them is creating it right now) and could each decide the other's create was lost. A
per-batch lock file under the data folder keeps a second run out; ``flock`` is released by the
kernel when its holder dies, so a SIGKILLed run never leaves it stuck. Different batches run in
parallel freely (the ledger's reservations keep them within the budget together).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from video_gen import paths
from video_gen.errors import UsageError


@contextmanager
def exclusive(batch_id: str) -> Iterator[None]:
    from filelock import FileLock, Timeout

    folder = paths.data_dir() / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / f"{batch_id}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise UsageError(
            f"batch {batch_id} is already running in another process",
            hint="wait for it to finish (or stop it), then run this again",
        ) from None
    try:
        yield
    finally:
        lock.release()
