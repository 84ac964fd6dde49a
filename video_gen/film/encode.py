"""The film's MP4 writer: H.264 + AAC with settings that give the same bytes for the same input.

Determinism: x264 runs with a fixed preset, CRF and thread count (its output depends on the
thread count, so "auto" would differ between machines); the container is written bit-exact
(no "Lavf" version string, no creation time); and x264's SEI message, which carries its version
and every option, is dropped from the first packet. FFmpeg's own AAC encoder is deterministic.

Atomic: the file is written beside its destination under a temporary name, fsynced and renamed
into place by ``commit``; any exception (Ctrl-C included) removes the temporary file, so a
half-written film never carries the final name and an earlier film stays as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

from video_gen.film.deps import require_av
from video_gen.film.look import AUDIO_RATE
from video_gen.fsutil import fsync_dir

# Encoder settings: part of the film's identity (same clips + same settings = same bytes).
X264_OPTIONS = {"preset": "veryfast", "crf": "20", "threads": "4", "profile": "high"}
AAC_BIT_RATE = 128_000
AUDIO_FRAME = 1024  # samples per AAC frame
_START_CODE = re.compile(b"\x00\x00\x01")
_SEI = 6


@dataclass(frozen=True)
class Written:
    path: Path
    sha256: str
    bytes: int
    frames: int
    samples: int


def strip_sei(data: bytes) -> bytes:
    """An Annex B access unit without its SEI NAL units (x264 writes its version there)."""
    starts = [m.start() for m in _START_CODE.finditer(data)]
    if not starts:
        return data
    units = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(data)
        unit = data[start + 3 : end]
        if k + 1 < len(starts) and unit.endswith(b"\x00"):
            unit = unit[:-1]  # the leading zero of the next 4-byte start code
        units.append(unit)
    kept = [u for u in units if u and (u[0] & 0x1F) != _SEI]
    if len(kept) == len(units):
        return data
    return b"".join(b"\x00\x00\x00\x01" + u for u in kept)


class FilmWriter:
    """Encode frames and sound into ``dest`` (atomically, on ``commit``)."""

    def __init__(self, dest: Path, width: int, height: int, fps: int) -> None:
        av = require_av()
        self.av = av
        self.dest = dest
        self.fps = fps
        self.samples_per_frame = AUDIO_RATE // fps
        self.time_base = Fraction(1, fps)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.frames = 0
        self.samples = 0
        self._closed = False
        try:
            self.out = av.open(
                str(self.tmp),
                "w",
                format="mp4",
                options={"movflags": "+faststart", "fflags": "+bitexact"},
            )
            self.video = self.out.add_stream("libx264", rate=fps, options=dict(X264_OPTIONS))
            self.video.width, self.video.height = width, height
            self.video.pix_fmt = "yuv420p"
            self.audio = self.out.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
            self.audio.bit_rate = AAC_BIT_RATE
            self.fifo = av.AudioFifo()
        except BaseException:
            self._discard()
            raise

    # -- writing -------------------------------------------------------------------------------
    def add_video(self, frame: Any) -> None:
        frame.pts = self.frames
        frame.time_base = self.time_base  # decoded frames carry their source's time base
        self.frames += 1
        self._mux_video(self.video.encode(frame))

    def add_audio(self, frame: Any) -> None:
        """Sound in 48 kHz stereo planar float; re-cut into whole AAC frames."""
        frame.pts = None
        self.fifo.write(frame)
        self._drain_audio(final=False)

    def add_silence(self, samples: int) -> None:
        while samples > 0:
            n = min(samples, AUDIO_FRAME)
            self.add_audio(silence(self.av, n))
            samples -= n

    def _drain_audio(self, *, final: bool) -> None:
        while self.fifo.samples >= AUDIO_FRAME or (final and self.fifo.samples > 0):
            chunk = self.fifo.read(min(AUDIO_FRAME, self.fifo.samples))
            chunk.pts = self.samples
            chunk.sample_rate = AUDIO_RATE
            self.samples += chunk.samples
            for packet in self.audio.encode(chunk):
                self.out.mux(packet)

    def _mux_video(self, packets: Any) -> None:
        for packet in packets:
            data = bytes(packet)
            cleaned = strip_sei(data)
            if cleaned is not data:
                replacement = self.av.Packet(cleaned)
                replacement.pts, replacement.dts = packet.pts, packet.dts
                replacement.time_base, replacement.duration = packet.time_base, packet.duration
                replacement.is_keyframe = packet.is_keyframe
                replacement.stream = packet.stream
                packet = replacement
            self.out.mux(packet)

    # -- ending ------------------------------------------------------------------------------
    def commit(self) -> Written:
        """Flush, close, fsync and rename into place; the film's hash and size."""
        self._drain_audio(final=True)
        self._mux_video(self.video.encode(None))
        for packet in self.audio.encode(None):
            self.out.mux(packet)
        self.out.close()
        self._closed = True
        digest = hashlib.sha256()
        size = 0
        with open(self.tmp, "rb+") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.dest)
        fsync_dir(self.dest.parent)
        return Written(self.dest, digest.hexdigest(), size, self.frames, self.samples)

    def _discard(self) -> None:
        if not self._closed:
            with contextlib.suppress(Exception):
                self.out.close()
            self._closed = True
        with contextlib.suppress(OSError):
            self.tmp.unlink()

    def __enter__(self) -> FilmWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is not None:
            self._discard()


def silence(av: Any, samples: int) -> Any:
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
    zeros = bytes(frame.planes[0].buffer_size)
    for plane in frame.planes:
        plane.update(zeros)
    frame.sample_rate = AUDIO_RATE
    frame.pts = None  # the writer's FIFO times the sound
    return frame
