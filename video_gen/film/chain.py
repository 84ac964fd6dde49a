"""Continuity for ``film --chain``: a clip's last frame, fitted to the next clip's size.

The next clip is asked to start from it (its reference image), so the cast and set carry over.
Fitted never stretched: padded with black (letterbox) or cropped to fill (crop). The PNG is
written atomically and is the same bytes for the same clip, so a re-run computes the same
reference, the same item identity, and resumes instead of paying again.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from video_gen.film.deps import require_av
from video_gen.fsutil import atomic_write_bytes


def last_frame(path: Path) -> Any:
    """The clip's last picture as an RGB Pillow image (decoded one frame at a time)."""
    av = require_av("--chain (reading a clip's last frame)")
    last = None
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is None:
        from video_gen.errors import UsageError

        raise UsageError(
            f"{path} has no pictures", hint="delete it and re-run to download it again"
        )
    return last.to_image()


def fitted(image: Any, width: int, height: int, fit: str) -> Any:
    from PIL import ImageOps

    if fit == "crop":
        return ImageOps.fit(image, (width, height), method=3)  # 3 = bicubic
    return ImageOps.pad(image, (width, height), method=3, color=(0, 0, 0))


def reference_for(previous_clip: Path, width: int, height: int, fit: str, dest: Path) -> Path:
    """Write the previous clip's last frame, fitted to ``width``x``height``, as PNG at ``dest``."""
    buffer = io.BytesIO()
    fitted(last_frame(previous_clip), width, height, fit).save(buffer, format="PNG")
    data = buffer.getvalue()
    if not dest.exists() or dest.read_bytes() != data:
        atomic_write_bytes(dest, data)
    return dest
