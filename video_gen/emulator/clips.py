"""The emulator's real clips: each job's own video, rendered when first downloaded.

A job's picture is a pattern and colour derived from its id with the first words of its prompt
drawn in, its length the requested seconds, its pixel size the requested size, its frame rate
and sound the model's (``media.toml``: Sora and Veo have sound, Wan is silent). So a joined film
can be checked clip by clip, frame by frame. Encoded with PyAV (x264 ``ultrafast``, one picture
per second, a tone that repeats every 1024 samples: cheap, because tests make many jobs), and
kept in a small LRU cache per job. Without PyAV (it is optional) ``content.py`` serves the
packaged sample instead. Thumbnails are the clip's first picture, as WebP.
"""

from __future__ import annotations

import array
import colorsys
import fnmatch
import hashlib
import io
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

CACHE_BYTES = 64 << 20  # encoded clips kept; a test run's jobs fit, a long soak does not grow
MAX_SECONDS = 60  # longer requests get the sample (an emulator is not a render farm)
MAX_SIDE = 3840
PATTERNS = ("stripes", "checks", "rings", "diagonals")


@dataclass(frozen=True)
class Media:
    fps: int
    audio: bool
    audio_rate: int


@cache
def _rules() -> tuple[list[tuple[str, Media]], Media]:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.10 only
        import tomli as tomllib
    text = (resources.files(__package__ or "video_gen.emulator") / "media.toml").read_text()
    data = tomllib.loads(text)
    base = data.get("default", {})
    default = Media(int(base["fps"]), bool(base["audio"]), int(base["audio_rate"]))
    rules = [
        (
            str(rule["match"]).lower(),
            Media(
                int(rule.get("fps", default.fps)),
                bool(rule.get("audio", default.audio)),
                int(rule.get("audio_rate", default.audio_rate)),
            ),
        )
        for rule in data.get("model", [])
    ]
    return rules, default


def media_for(model: str) -> Media:
    rules, default = _rules()
    name = model.lower()
    return next((m for pattern, m in rules if fnmatch.fnmatchcase(name, pattern)), default)


def available() -> bool:
    try:
        import av  # noqa: F401  (only whether it imports)
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def renderable(size: str, seconds: str) -> tuple[int, int, int] | None:
    """(width, height, seconds) when a clip can be rendered for them, else None."""
    try:
        width, _, height = size.partition("x")
        w, h, s = int(width), int(height), int(float(seconds))
    except ValueError:
        return None
    if not (1 <= s <= MAX_SECONDS and 2 <= w <= MAX_SIDE and 2 <= h <= MAX_SIDE):
        return None
    return w - w % 2, h - h % 2, s  # 4:2:0 needs even sides


class _Cache:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()  # one render at a time: two cores, many handler threads

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
        return found

    def put(self, key: str, value: tuple[bytes, bytes]) -> None:
        self.items[key] = value
        self.size += len(value[0]) + len(value[1])
        while self.size > self.limit and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.size -= len(old[0]) + len(old[1])


_CACHE = _Cache(CACHE_BYTES)


def clip_for(job: Any) -> tuple[bytes, bytes] | None:
    """(MP4, WebP thumbnail) of ``job``, or None when it cannot be rendered here."""
    dims = renderable(job.size, job.seconds)
    if dims is None or not available():
        return None
    with _CACHE.lock:
        found = _CACHE.get(job.id)
        if found is None:
            width, height, seconds = dims
            found = render(job.id, job.prompt, job.model, width, height, seconds)
            _CACHE.put(job.id, found)
        return found


def _palette(seed: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int], str, int]:
    hue = seed[0] / 255
    light = colorsys.hsv_to_rgb(hue, 0.55, 0.85)
    dark = colorsys.hsv_to_rgb(hue, 0.7, 0.45)
    colour = tuple(round(c * 255) for c in light)
    shade = tuple(round(c * 255) for c in dark)
    return colour, shade, PATTERNS[seed[1] % len(PATTERNS)], 16 + seed[2] % 48  # type: ignore[return-value]


def picture(job_id: str, prompt: str, width: int, height: int) -> Any:
    """The job's still: its pattern, colour and the prompt's first words."""
    from PIL import Image, ImageDraw, ImageFont

    seed = hashlib.sha256(job_id.encode()).digest()
    colour, shade, pattern, step = _palette(seed)
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    if pattern == "stripes":
        for x in range(0, width, step * 2):
            draw.rectangle((x, 0, x + step - 1, height), fill=shade)
    elif pattern == "checks":
        for y in range(0, height, step):
            for x in range((y // step % 2) * step, width, step * 2):
                draw.rectangle((x, y, x + step - 1, y + step - 1), fill=shade)
    elif pattern == "rings":
        cx, cy = width / 2, height / 2
        for r in range(int(math.hypot(cx, cy)) + step, 0, -step * 2):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=shade)
            inner = r - step
            if inner > 0:
                draw.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill=colour)
    else:
        for x in range(-height, width, step * 2):
            draw.line((x, 0, x + height, height), fill=shade, width=max(1, step // 2))
    words = " ".join(prompt.split()[:6]) or job_id
    size = max(10, min(width, height) // 14)
    font = ImageFont.load_default(size=size)
    while size > 10 and draw.textlength(words, font=font) > width * 0.9:
        size = max(10, int(size * 0.85))
        font = ImageFont.load_default(size=size)
    box = draw.textbbox((width / 2, height / 2), words, font=font, anchor="mm")
    pad = size // 2
    draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=(0, 0, 0))
    draw.text((width / 2, height / 2), words, font=font, fill=(255, 255, 255), anchor="mm")
    return image


def render(
    job_id: str, prompt: str, model: str, width: int, height: int, seconds: int
) -> tuple[bytes, bytes]:
    import av
    from PIL import ImageDraw

    media = media_for(model)
    still = picture(job_id, prompt, width, height)
    thumb = io.BytesIO()
    small = still.copy()
    small.thumbnail((480, 480))  # a thumbnail is small, as the services' are
    small.save(thumb, format="WEBP", quality=60)
    # One picture per second, each with a bar showing how far the clip has got.
    frames = []
    for second in range(seconds):
        image = still.copy()
        bar = max(2, height // 60)
        ImageDraw.Draw(image).rectangle(
            (0, height - bar, round(width * (second + 1) / seconds), height), fill=(255, 255, 255)
        )
        # PyAV ships no annotation for from_image
        frame = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]
        frames.append(frame.reformat(format="yuv420p"))
    out_buffer = io.BytesIO()
    with av.open(out_buffer, "w", format="mp4", options={"fflags": "+bitexact"}) as out:
        video = out.add_stream(
            "libx264", rate=media.fps, options={"preset": "ultrafast", "crf": "30", "threads": "2"}
        )
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=media.audio_rate, layout="mono") if media.audio else None
        for index in range(seconds * media.fps):
            frame = frames[index // media.fps]
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            _tone(av, out, audio, media.audio_rate, seconds, job_id)
    return out_buffer.getvalue(), thumb.getvalue()


def _tone(av: Any, out: Any, stream: Any, rate: int, seconds: int, job_id: str) -> None:
    """A quiet tone, its pitch from the job: whole cycles per 1024 samples, so one buffer
    repeats (generating samples one by one in Python would cost more than the encode)."""
    cycles = 8 + hashlib.sha256(job_id.encode()).digest()[3] % 16
    period = array.array(
        "f", (0.2 * math.sin(2 * math.pi * cycles * j / 1024) for j in range(1024))
    ).tobytes()
    total, done = rate * seconds, 0
    while done < total:
        n = min(1024, total - done)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=n)
        frame.planes[0].update(period[: 4 * n] + bytes(frame.planes[0].buffer_size - 4 * n))
        frame.sample_rate, frame.pts = rate, done
        done += n
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
