"""What each model accepts, from packaged data; and validation of a request against it.

Validation happens before any call, so a bad parameter costs nothing and the message names the
exact fix. A model with no declared capabilities is passed through: the server decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from video_gen.errors import UsageError
from video_gen.types import GenerationRequest

_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


@dataclass(frozen=True)
class ModelCapabilities:
    model: str
    seconds: tuple[int, ...] | None  # None: any positive integer
    sizes: tuple[str, ...] | None  # None: any WIDTHxHEIGHT
    remix: bool = True
    input_reference: bool = True

    @classmethod
    def from_data(cls, model: str, data: Mapping[str, Any]) -> ModelCapabilities:
        seconds = data.get("seconds")
        sizes = data.get("sizes")
        return cls(
            model=model,
            seconds=tuple(int(s) for s in seconds) if seconds else None,
            sizes=tuple(str(s) for s in sizes) if sizes else None,
            remix=bool(data.get("remix", True)),
            input_reference=bool(data.get("input_reference", True)),
        )


def packaged(model: str) -> ModelCapabilities | None:
    from video_gen import data

    models = data.load("models.toml").get("models", {})
    entry = models.get(model)
    return ModelCapabilities.from_data(model, entry) if entry is not None else None


def known_models() -> list[str]:
    from video_gen import data

    return sorted(data.load("models.toml").get("models", {}))


def parse_size(size: str) -> tuple[int, int]:
    m = _SIZE.match(size.strip())
    if not m:
        raise UsageError(
            f"size {size!r} is not WIDTHxHEIGHT",
            hint="use for example --size 720x1280 (portrait) or --size 1280x720 (landscape)",
        )
    return int(m.group(1)), int(m.group(2))


def validate(request: GenerationRequest, caps: ModelCapabilities | None) -> None:
    """Raise UsageError naming the fix when ``request`` cannot succeed."""
    prompt = request.prompt.strip()
    if not prompt:
        raise UsageError(
            "the prompt is empty", hint='give one: video-gen generate "a cat on a skateboard"'
        )
    if len(request.prompt) > 32000:
        raise UsageError(
            f"the prompt is {len(request.prompt)} characters; the API takes at most 32000",
            hint="shorten it (prompt-from-repo --level low writes shorter prompts)",
        )
    if request.seconds <= 0:
        raise UsageError(f"--seconds must be positive, not {request.seconds}", hint="--seconds 4")
    width, height = parse_size(request.size)
    if caps is not None:
        if caps.seconds is not None and request.seconds not in caps.seconds:
            allowed = ", ".join(str(s) for s in caps.seconds)
            raise UsageError(
                f"{request.model} makes clips of {allowed} seconds, not {request.seconds}",
                hint=f"use --seconds {_nearest(request.seconds, caps.seconds)}",
            )
        if caps.sizes is not None and request.size not in caps.sizes:
            raise UsageError(
                f"{request.model} does not make {request.size} videos (it makes "
                f"{', '.join(caps.sizes)})",
                hint=f"use --size {caps.sizes[0]}"
                + (
                    " or --model sora-2-pro for that size"
                    if request.model.startswith("sora-2")
                    and not request.model.startswith("sora-2-pro")
                    else ""
                ),
            )
        if request.input_reference is not None and not caps.input_reference:
            raise UsageError(f"{request.model} takes no --input-reference on this provider")
    if request.input_reference is not None:
        check_reference_image(request.input_reference, width, height)


def check_reference_image(path: Path, width: int, height: int) -> None:
    """The reference image must be JPEG/PNG/WebP with exactly the video's pixel size."""
    if not path.is_file():
        raise UsageError(f"reference image {path} does not exist", hint="check the path")
    kind = sniff_image(path)
    if kind is None:
        raise UsageError(
            f"reference image {path} is not a JPEG, PNG or WebP file",
            hint="convert it, e.g. with: ffmpeg -i INPUT out.png",
        )
    import imagesize

    try:
        w, h = imagesize.get(str(path))
    except (OSError, ValueError):
        w, h = -1, -1
    if (w, h) != (width, height):
        raise UsageError(
            f"reference image {path.name} is {w}x{h} but the video is {width}x{height}; the API"
            " requires the same pixel size",
            hint=f"resize it: ffmpeg -i {path} -vf scale={width}:{height} ref-{width}x{height}.png"
            f" (or choose --size {w}x{h} if the model makes that size)",
        )


def sniff_image(path: Path) -> str | None:
    """The image's MIME type from its magic bytes (the extension may lie)."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _nearest(value: int, allowed: tuple[int, ...]) -> int:
    return min(allowed, key=lambda a: (abs(a - value), a))
