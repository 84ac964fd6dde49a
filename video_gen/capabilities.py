"""What each model accepts, from packaged data; and validation of a request against it.

Validation happens before any call, so a bad parameter costs nothing and the message names the
exact fix. A model with no declared capabilities is passed through: the server decides.

Two size styles exist. ``/v1/videos`` servers take a pixel size (``720x1280``); OpenRouter (and
other kinds whose ``size_style`` is "resolution") take a ``resolution`` (``720p``) and an
``aspect_ratio`` (``9:16``), so for them ``--size`` may also be written ``720p`` or ``720p@9:16``
and a pixel size is mapped (``parse_resolution_size``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from video_gen.errors import ConfigError, UsageError
from video_gen.types import GenerationRequest


class Shape(Protocol):
    """What capabilities need to know of a provider kind (``providers/kinds.py``)."""

    @property
    def size_style(self) -> str: ...
    @property
    def models_table(self) -> str | None: ...
    @property
    def remix_default(self) -> bool: ...


_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
# 720p, 1080p@16:9; "4k" is how Gemini names 2160p.
_RESOLUTION = re.compile(r"^(\d{3,4}p|4k)(?:@(\d{1,2}):(\d{1,2}))?$")
# Aspect ratios a pixel size is rounded to when within 2% (854x480 is 16:9, not 427:240).
_COMMON_RATIOS = ((16, 9), (9, 16), (1, 1), (4, 3), (3, 4), (21, 9), (9, 21), (3, 2), (2, 3))
# How a model takes its size: a pixel size (720x1280), or a resolution and an aspect ratio.
SizeStyle = Literal["pixels", "resolution"]


@dataclass(frozen=True)
class ModelCapabilities:
    model: str
    seconds: tuple[int, ...] | None  # None: any positive integer
    sizes: tuple[str, ...] | None  # None: any WIDTHxHEIGHT
    remix: bool = True
    input_reference: bool = True
    # "resolution": the model takes a resolution and an aspect ratio (720p@9:16) rather than a
    # pixel size; --size may then be written either way (``parse_resolution_size``).
    size_style: SizeStyle = "pixels"
    resolutions: tuple[str, ...] | None = None
    aspect_ratios: tuple[str, ...] | None = None
    # Optional features a request may ask for; a request asking for one the model lacks is
    # refused before anything is sent.
    audio: bool = False  # the model can make sound (and --audio/--no-audio choose)
    audio_default: bool = False  # sound is made (and billed) unless --no-audio
    seed: bool = False
    last_frame: bool = False

    @classmethod
    def from_data(
        cls, model: str, data: Mapping[str, Any], kind: Shape | None = None
    ) -> ModelCapabilities:
        """From a TOML table; ``seconds = "any"`` (or absent) means any positive integer."""
        style = kind.size_style if kind is not None else "pixels"
        return cls(
            model=model,
            seconds=_seconds(model, data.get("seconds")),
            sizes=_strings(model, "sizes", data.get("sizes")),
            remix=_flag(model, data, "remix", kind.remix_default if kind is not None else True),
            input_reference=_flag(model, data, "input_reference", True),
            size_style="resolution" if style == "resolution" else "pixels",
            resolutions=_strings(model, "resolutions", data.get("resolutions")),
            aspect_ratios=_strings(model, "aspect_ratios", data.get("aspect_ratios")),
            audio=_flag(model, data, "audio", False) or _flag(model, data, "audio_default", False),
            audio_default=_flag(model, data, "audio_default", False),
            seed=_flag(model, data, "seed", False),
            last_frame=_flag(model, data, "last_frame", False),
        )

    def seconds_text(self) -> str:
        return "any" if self.seconds is None else ", ".join(str(s) for s in self.seconds)

    def sizes_text(self) -> str:
        if self.size_style == "resolution":
            res = ", ".join(self.resolutions) if self.resolutions else "any resolution"
            ratios = ", ".join(self.aspect_ratios) if self.aspect_ratios else "any aspect ratio"
            return f"{res} @ {ratios}"
        return ", ".join(self.sizes) if self.sizes else "any WIDTHxHEIGHT"


def _flag(model: str, data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ConfigError(
            f"capabilities of {model!r}: {name} must be true or false, not {value!r}",
            hint=f"write {name} = true",
        )
    return value


def _seconds(model: str, value: Any) -> tuple[int, ...] | None:
    if value is None or value == "any":
        return None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return tuple(value)
    raise ConfigError(
        f'capabilities of {model!r}: seconds must be "any" or a list of positive whole'
        f" numbers, not {value!r}",
        hint='write seconds = "any" or seconds = [5, 10]',
    )


def _strings(model: str, name: str, value: Any) -> tuple[str, ...] | None:
    if value is None or value == "any":
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(
        f'capabilities of {model!r}: {name} must be "any" or a list of strings, not {value!r}',
        hint=f'write {name} = ["..."]',
    )


_SNAPSHOT = re.compile(r"^(?P<base>.+)-\d{4}-\d{2}-\d{2}$")


def snapshot_base(model: str) -> str:
    """The base model of a dated snapshot (``sora-2-pro-2025-10-06`` -> ``sora-2-pro``)."""
    found = _SNAPSHOT.match(model)
    return found.group("base") if found else model


def packaged(model: str, kind: Shape) -> ModelCapabilities | None:
    """The packaged capabilities of ``model`` for a kind (its table in ``models.toml``); a
    dated snapshot without its own entry takes its base model's."""
    table = _packaged_table(kind)
    entry = table.get(model)
    if entry is None:
        entry = table.get(snapshot_base(model))
    return ModelCapabilities.from_data(model, entry, kind) if entry is not None else None


def known_models(kind: Shape) -> list[str]:
    return sorted(_packaged_table(kind))


def _packaged_table(kind: Shape) -> Mapping[str, Any]:
    from video_gen import data

    if kind.models_table is None:
        return {}
    found = data.load("models.toml").get(kind.models_table, {})
    return found if isinstance(found, Mapping) else {}


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
    _check_features(request, caps)
    if caps is not None and caps.size_style == "resolution":
        _validate_resolution(request, caps)
        return
    width, height = parse_size(request.size)
    if caps is not None:
        _check_seconds(request, caps)
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
        _check_reference_allowed(request, caps)
    if request.input_reference is not None:
        check_reference_image(request.input_reference, width, height)


def _check_seconds(request: GenerationRequest, caps: ModelCapabilities) -> None:
    if caps.seconds is not None and request.seconds not in caps.seconds:
        allowed = ", ".join(str(s) for s in caps.seconds)
        raise UsageError(
            f"{request.model} makes clips of {allowed} seconds, not {request.seconds}",
            hint=f"use --seconds {_nearest(request.seconds, caps.seconds)}",
        )


def _check_reference_allowed(request: GenerationRequest, caps: ModelCapabilities) -> None:
    if request.input_reference is not None and not caps.input_reference:
        raise UsageError(
            f"{request.model} takes no --input-reference on this provider",
            hint="drop --input-reference, or choose a model that takes one"
            " (video-gen models --provider NAME)",
        )


def _check_features(request: GenerationRequest, caps: ModelCapabilities | None) -> None:
    """Optional features asked for that the model does not have (unknown model: server decides)."""
    if caps is None:
        return
    asked = [
        ("--audio/--no-audio", request.audio is not None and not caps.audio),
        ("--seed", request.seed is not None and not caps.seed),
        ("--last-frame", request.last_frame is not None and not caps.last_frame),
    ]
    for flag, refused in asked:
        if refused:
            raise UsageError(
                f"{request.model} on provider {request.provider!r} takes no {flag}",
                hint=f"drop {flag}, or declare it for the model in the config"
                " (docs/providers.md#declared-capabilities)",
            )
    if request.last_frame is not None:
        check_image_file(request.last_frame)


def _validate_resolution(request: GenerationRequest, caps: ModelCapabilities) -> None:
    _check_seconds(request, caps)
    wanted = parse_resolution_size(request.size)
    if caps.resolutions is not None and wanted.resolution not in caps.resolutions:
        raise UsageError(
            f"{request.model} makes {', '.join(caps.resolutions)} videos, not"
            f" {wanted.resolution} (from --size {request.size})",
            hint=f"use --size {caps.resolutions[0]}"
            + (f"@{wanted.aspect_ratio}" if wanted.aspect_ratio else ""),
        )
    if (
        caps.aspect_ratios is not None
        and wanted.aspect_ratio is not None
        and wanted.aspect_ratio not in caps.aspect_ratios
    ):
        raise UsageError(
            f"{request.model} makes {', '.join(caps.aspect_ratios)} videos, not"
            f" {wanted.aspect_ratio} (from --size {request.size})",
            hint=f"use --size {wanted.resolution}@{caps.aspect_ratios[0]}",
        )
    _check_reference_allowed(request, caps)
    if request.input_reference is not None:
        # These servers fit a first frame to the video themselves: any size will do, any
        # format won't.
        check_image_file(request.input_reference)


@dataclass(frozen=True)
class ResolutionSize:
    """A ``--size`` in resolution style: ``resolution`` and, when known, ``aspect_ratio``."""

    resolution: str  # "720p"
    aspect_ratio: str | None  # "9:16"; None: the model's default


def parse_resolution_size(size: str) -> ResolutionSize:
    """``720p``, ``720p@9:16``, or a pixel size mapped by its short side: 720x1280 -> 720p 9:16."""
    text = size.strip().lower()
    m = _RESOLUTION.match(text)
    if m:
        ratio = f"{int(m.group(2))}:{int(m.group(3))}" if m.group(2) else None
        if ratio is not None and (int(m.group(2)) == 0 or int(m.group(3)) == 0):
            raise UsageError(f"--size {size!r} has an empty aspect ratio", hint="--size 720p@9:16")
        res = m.group(1)
        return ResolutionSize(res if res == "4k" else f"{int(res[:-1])}p", ratio)
    m = _SIZE.match(text)
    if not m:
        raise UsageError(
            f"size {size!r} is neither WIDTHxHEIGHT nor a resolution",
            hint="use for example --size 720x1280, --size 720p or --size 1080p@16:9",
        )
    width, height = int(m.group(1)), int(m.group(2))
    if width == 0 or height == 0:
        raise UsageError(f"size {size!r} has a zero side", hint="--size 720x1280")
    return ResolutionSize(f"{min(width, height)}p", aspect_ratio(width, height))


def aspect_ratio(width: int, height: int) -> str:
    """``16:9`` for 1280x720 and for 854x480 (common ratios win within 2%), else reduced."""
    value = width / height
    for w, h in _COMMON_RATIOS:
        if abs(value / (w / h) - 1) <= 0.02:
            return f"{w}:{h}"
    from math import gcd

    d = gcd(width, height)
    return f"{width // d}:{height // d}"


def check_image_file(path: Path) -> str:
    """The reference image must be a regular file within the upload cap, a JPEG, PNG or WebP,
    and whole (not just a header: ``video_gen.images``); its MIME type."""
    from video_gen import images, media

    data = images.check_file(path)
    kind = media.sniff(data[: media.HEAD_BYTES])
    if kind not in media.ACCEPTS["thumbnail"]:
        raise UsageError(
            f"reference image {path} is not a JPEG, PNG or WebP file",
            hint="convert it, e.g. with: ffmpeg -i INPUT out.png",
        )
    images.check_whole(data, str(kind), path)
    return str(kind)


def check_reference_image(path: Path, width: int, height: int) -> None:
    """The reference image must be JPEG/PNG/WebP with exactly the video's pixel size."""
    check_image_file(path)
    import imagesize

    try:
        w, h = imagesize.get(str(path))
    except (OSError, ValueError):
        w, h = -1, -1
    if (w, h) != (width, height):
        raise UsageError(
            f"reference image {path.name} is {w}x{h} but the video is {width}x{height}; the API"
            " requires the same pixel size",
            hint=f"crop it to fill the frame (never stretched): ffmpeg -i {path} -vf"
            f' "{fit_filter(width, height, "crop")}" ref-{width}x{height}.png; or pad it: -vf'
            f' "{fit_filter(width, height, "pad")}"; or choose --size {w}x{h} if the model'
            " makes that size",
        )


def fit_filter(width: int, height: int, how: Literal["crop", "pad"]) -> str:
    """An ffmpeg ``-vf`` that makes any picture exactly ``width`` x ``height`` keeping its
    proportions: scaled to cover and cropped in the middle, or scaled to fit and padded."""
    if how == "crop":
        return f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}"
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2"
    )


def sniff_image(path: Path) -> str | None:
    """The image's MIME type from its magic bytes (the extension may lie)."""
    from video_gen import media

    with path.open("rb") as fh:
        kind = media.sniff(fh.read(media.HEAD_BYTES))
    return kind if kind in media.ACCEPTS["thumbnail"] else None


def _nearest(value: int, allowed: tuple[int, ...]) -> int:
    return min(allowed, key=lambda a: (abs(a - value), a))
