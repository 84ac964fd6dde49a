"""The bytes the emulator serves: each job's own clip, or packaged samples; sliced for Range.

With PyAV installed (the ``film`` extra, and ``dev``) every job gets its own real clip
(``clips.py``: its pattern, colour, prompt, length, size, frame rate and sound) and a thumbnail
of its first picture. Without PyAV, or for a clip too long or large to render, every job gets
the packaged sample MP4, which is real and playable too. ``video_bytes`` (download benchmarks)
always serves the sample grown to an exact size by appending an ISO-BMFF ``free`` box, which
every player skips; the padding is generated on the fly, so a 200 MB body never sits in memory.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

CHUNK = 1 << 20  # write size when streaming; also the size of the shared zero buffer
_ZEROS = memoryview(bytes(CHUNK))

ASSET_FILES = {
    "video": ("sample.mp4", "video/mp4"),
    "thumbnail": ("thumbnail.webp", "image/webp"),
    "spritesheet": ("spritesheet.jpg", "image/jpeg"),
}
_MAX_32 = 0xFFFFFFFF


@cache
def asset_bytes(variant: str) -> bytes:
    name, _ = ASSET_FILES[variant]
    return (resources.files(__package__ or "video_gen.emulator") / "assets" / name).read_bytes()


@dataclass(frozen=True)
class Body:
    """A response body made of real bytes followed by ``pad`` bytes of ``free`` box."""

    head: bytes
    content_type: str
    pad: int = 0

    @property
    def size(self) -> int:
        return len(self.head) + self.pad

    def _segments(self) -> list[tuple[int, memoryview | None]]:
        """(length, bytes) pieces in order; None stands for that many zero bytes."""
        parts: list[tuple[int, memoryview | None]] = [(len(self.head), memoryview(self.head))]
        if self.pad:
            if self.pad <= _MAX_32:
                header = struct.pack(">I4s", self.pad, b"free")
            else:  # size 1 means "a 64-bit size follows" in ISO-BMFF
                header = struct.pack(">I4sQ", 1, b"free", self.pad)
            parts.append((len(header), memoryview(header)))
            parts.append((self.pad - len(header), None))
        return parts

    def iter_range(self, start: int, stop: int) -> Iterator[memoryview]:
        """The bytes ``[start, stop)`` in chunks of at most ``CHUNK``."""
        offset = 0
        for length, data in self._segments():
            seg_start, seg_stop = offset, offset + length
            offset = seg_stop
            lo, hi = max(start, seg_start), min(stop, seg_stop)
            while lo < hi:
                n = min(CHUNK, hi - lo)
                if data is None:
                    yield _ZEROS[:n]
                else:
                    yield data[lo - seg_start : lo - seg_start + n]
                lo += n

    def read_all(self) -> bytes:
        """The whole body in memory: for tests and small bodies only."""
        return b"".join(bytes(c) for c in self.iter_range(0, self.size))


def min_video_bytes() -> int:
    """The smallest ``video_bytes`` that still holds the sample clip and a ``free`` box."""
    return len(asset_bytes("video")) + 8


def make_body(variant: str, video_bytes: int | None = None, job: Any = None) -> Body:
    """The body of ``variant``: ``job``'s own clip or thumbnail when one can be rendered."""
    content_type = ASSET_FILES[variant][1]
    if job is not None and video_bytes is None and variant in ("video", "thumbnail"):
        from video_gen.emulator.clips import clip_for

        rendered = clip_for(job)
        if rendered is not None:
            return Body(rendered[0] if variant == "video" else rendered[1], content_type)
    head = asset_bytes(variant)
    if variant != "video" or video_bytes is None or video_bytes == len(head):
        return Body(head, content_type)
    pad = video_bytes - len(head)
    if pad < 8:  # a box header alone is 8 bytes
        raise ValueError(
            f"video_bytes must be {len(head)} or at least {min_video_bytes()} (the sample clip"
            f" is {len(head)} bytes and a padding box needs 8), got {video_bytes}"
        )
    return Body(head, content_type, pad)


_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The Range cannot be served (416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``[start, stop)`` for a single-range ``Range`` header, None to send the whole body.

    Malformed and multi-range headers are ignored (RFC 9110 allows it: the full body is sent
    with 200); a syntactically valid range past the end raises ``Unsatisfiable`` (416).
    """
    if not header:
        return None
    m = _RANGE.match(header)
    if not m:
        return None
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        n = int(last)
        if n == 0:
            raise Unsatisfiable
        return max(0, size - n), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise Unsatisfiable
    stop = size if not last else min(int(last) + 1, size)
    return start, stop
