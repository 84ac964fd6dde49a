"""A repository's storyboard written beside its clips, named by its content.

The same repository and options give the same storyboard text, hence the same file name, so a
re-run is the same batch and resumes it (nothing paid twice), while a changed storyboard is a
new batch. ``prompt-from-repo --generate`` (and ``--film``) render the file this returns.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from video_gen import naming
from video_gen.fsutil import atomic_write_text


def storyboard_path(result: Any, style: str, folder: Path) -> Path:
    """``<project>-<style>-<hash>.storyboard.jsonl`` in ``folder``."""
    digest = hashlib.sha256(result.to_batch().encode("utf-8")).hexdigest()[:10]
    return folder / f"{naming.slugify(result.project.name)}-{style}-{digest}.storyboard.jsonl"


def write_storyboard(result: Any, style: str, folder: Path) -> Path:
    """Write the storyboard (once: an existing file has these very bytes) and return its path."""
    board = storyboard_path(result, style, folder)
    if not board.exists():
        atomic_write_text(board, result.to_batch())
    return board
