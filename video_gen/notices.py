"""One-time notices: a warning a user needs once (per server), not on every run.

Remembered in ``notices.json`` under the data folder (``VIDEO_GEN_HOME/data``), written
atomically. Losing the file only means a notice is shown once more.
"""

from __future__ import annotations

import contextlib
import json
import threading

from video_gen import paths

_lock = threading.Lock()


def first_time(topic: str, subject: str) -> bool:
    """True the first time ``topic`` is raised about ``subject`` (and remembers it)."""
    from video_gen.fsutil import atomic_write_text

    path = paths.data_dir() / "notices.json"
    key = f"{topic} {subject}"
    with _lock:
        try:
            seen = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seen = {}
        if not isinstance(seen, dict):
            seen = {}
        if seen.get(key):
            return False
        seen[key] = True
        # A read-only home: the notice is shown again next time, which is harmless.
        with contextlib.suppress(OSError):
            atomic_write_text(path, json.dumps(seen, indent=1, sort_keys=True) + "\n")
    return True
