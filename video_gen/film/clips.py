"""Reading a clip for the film: its facts, its pictures fitted to the film, its sound.

Pictures go through an FFmpeg filter graph (scale keeping the aspect ratio, then pad to
letterbox or crop to fill: never stretched) and are picked at the film's frame rate by
timestamp, so a 16 fps clip and a 30 fps clip both play at their own speed. The sound is
resampled to 48 kHz stereo; a clip without sound gets silence of its exact length. One decoded
frame at a time: memory does not grow with a clip's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from video_gen.errors import UsageError
from video_gen.film.deps import require_av
from video_gen.film.look import AUDIO_RATE


@dataclass(frozen=True)
class ClipInfo:
    path: Path
    width: int
    height: int
    fps: float
    duration_s: float
    has_audio: bool

    def frames_at(self, fps: int) -> int:
        return max(1, round(self.duration_s * fps))


def probe(path: Path) -> ClipInfo:
    av = require_av()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise UsageError(f"{path} has no video stream", hint="make the clip again")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(24)
            duration: float | None = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif stream.frames:
                duration = stream.frames / float(rate)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            if not duration or duration <= 0:
                raise UsageError(f"{path}: cannot tell the clip's length", hint="make it again")
            return ClipInfo(
                path=path,
                width=stream.codec_context.width,
                height=stream.codec_context.height,
                fps=float(rate),
                duration_s=duration,
                has_audio=bool(container.streams.audio),
            )
    except av.error.FFmpegError as exc:
        raise UsageError(
            f"{path} cannot be read as a video: {exc}",
            hint="delete it and re-run: the clip is downloaded again (no new job)",
        ) from None


def fit_graph(av: Any, stream: Any, width: int, height: int, fit: str) -> Any:
    """scale + pad (letterbox) or scale + crop (fill) to ``width``x``height``, yuv420p."""
    graph = av.filter.Graph()
    source = graph.add_buffer(template=stream)
    if fit == "crop":
        steps = [
            ("scale", f"w={width}:h={height}:force_original_aspect_ratio=increase:flags=bicubic"),
            ("crop", f"w={width}:h={height}"),
        ]
    else:
        steps = [
            ("scale", f"w={width}:h={height}:force_original_aspect_ratio=decrease:flags=bicubic"),
            ("pad", f"w={width}:h={height}:x=(ow-iw)/2:y=(oh-ih)/2:color=black"),
        ]
    steps += [("setsar", "1"), ("format", "yuv420p")]
    node = source
    for name, args in steps:
        step = graph.add(name, args)
        node.link_to(step)
        node = step
    sink = graph.add("buffersink")
    node.link_to(sink)
    graph.configure()
    return graph


def _pull_all(av: Any, graph: Any) -> Iterator[Any]:
    while True:
        try:
            yield graph.pull()
        except (av.error.BlockingIOError, BlockingIOError, av.error.EOFError):
            return


def pictures(info: ClipInfo, width: int, height: int, fps: int, fit: str) -> Iterator[Any]:
    """Exactly ``info.frames_at(fps)`` frames, fitted, each the source frame on screen then."""
    av = require_av()
    total = info.frames_at(fps)
    produced = 0
    current: Any = None
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        graph = fit_graph(av, stream, width, height, fit)
        for decoded in container.decode(stream):
            graph.push(decoded)
            for fitted in _pull_all(av, graph):
                when = decoded.time if decoded.time is not None else 0.0
                # Every output instant up to this frame's time shows the previous frame.
                while produced < total and current is not None and produced / fps < when - 1e-6:
                    yield current
                    produced += 1
                current = fitted
            if produced >= total:
                return
    while produced < total and current is not None:
        yield current
        produced += 1


def sound(info: ClipInfo, samples: int) -> Iterator[Any]:
    """Exactly ``samples`` samples of 48 kHz stereo planar float: the clip's sound, cut or
    padded with silence (all silence when the clip has none)."""
    from video_gen.film.encode import silence

    av = require_av()
    given = 0
    if info.has_audio:
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        with av.open(str(info.path)) as container:
            stream = container.streams.audio[0]
            decoded_frames = container.decode(stream)
            for frame in _with_flush(decoded_frames):
                for out in resampler.resample(frame):
                    if given >= samples:
                        return
                    out.pts = None
                    if given + out.samples > samples:
                        fifo = av.AudioFifo()
                        fifo.write(out)
                        out = fifo.read(samples - given)
                    given += out.samples
                    yield out
    while given < samples:
        n = min(1024, samples - given)
        given += n
        yield silence(av, n)


def _with_flush(frames: Iterator[Any]) -> Iterator[Any]:
    yield from frames
    yield None  # resampler.resample(None) flushes what it holds
