"""What the native kinds (gemini, fal, replicate) share: a model's input mapping, images as data
URLs, capabilities for models nobody declared, and content held in memory as a stream.

fal and Replicate host hundreds of video models, each with its own input names (``duration``
as ``"8s"``, ``"5"`` or ``5``; ``generate_audio``; ``image_url`` or ``image``). The common ones are
described in ``data/models.toml`` (an ``input`` table per model); any other model gets the
default mapping below, and ``--extra``-style fields the user sets pass through unchanged.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from video_gen import capabilities
from video_gen.capabilities import ModelCapabilities
from video_gen.errors import ConfigError
from video_gen.providers.base import ContentStream
from video_gen.types import GenerationRequest


def data_url(path: Path) -> str:
    """The image as a ``data:`` URL (fal and Replicate take one wherever they take a URL)."""
    mime = capabilities.check_image_file(path)
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def open_capabilities(
    model: str,
    declared: Mapping[str, ModelCapabilities],
    kind: capabilities.Shape,
    *,
    audio: bool = True,
    seed: bool = True,
) -> ModelCapabilities:
    """Declared in the config, else packaged, else "anything in resolution style": the server
    decides. Never None, so even an unknown model is validated for the kind's shape."""
    return (
        declared.get(model)
        or capabilities.packaged(model, kind)
        or ModelCapabilities(
            model=model,
            seconds=None,
            sizes=None,
            remix=False,
            size_style="resolution",
            audio=audio,
            seed=seed,
        )
    )


@dataclass(frozen=True)
class InputMap:
    """How one model names its inputs. An empty name leaves that input out."""

    prompt: str = "prompt"
    duration: str = "duration"
    # How the seconds are written: "int" (5), "text" ("5") or "seconds" ("5s").
    duration_format: str = "int"
    resolution: str = "resolution"
    aspect_ratio: str = "aspect_ratio"
    audio: str = "generate_audio"
    seed: str = "seed"
    image: str = "image_url"
    last_frame: str = ""

    @classmethod
    def of(cls, model: str, kind: capabilities.Shape) -> InputMap:
        """The model's ``input`` table in ``models.toml`` (the kind's table), else the default."""
        from video_gen import data

        table = data.load("models.toml").get(kind.models_table or "", {})
        entry = table.get(model, {}) if isinstance(table, Mapping) else {}
        found = entry.get("input", {}) if isinstance(entry, Mapping) else {}
        if not isinstance(found, Mapping):
            return cls()
        try:
            return cls(**{str(k): str(v) for k, v in found.items()})
        except TypeError as exc:
            raise ConfigError(f"models.toml: bad input table for {model!r}: {exc}") from None

    def duration_value(self, seconds: int) -> Any:
        if self.duration_format == "seconds":
            return f"{seconds}s"
        if self.duration_format == "text":
            return str(seconds)
        return seconds

    def body(self, request: GenerationRequest, *, inline_images: bool = True) -> dict[str, Any]:
        """The model's input object for ``request`` (images named, not embedded, for a preview)."""
        size = capabilities.parse_resolution_size(request.size)
        pairs: list[tuple[str, Any]] = [
            (self.prompt, request.prompt),
            (self.duration, self.duration_value(request.seconds)),
            (self.resolution, size.resolution),
            (self.aspect_ratio, size.aspect_ratio),
            (self.audio, request.audio),
            (self.seed, request.seed),
        ]
        for name, path in (
            (self.image, request.input_reference),
            (self.last_frame, request.last_frame),
        ):
            if path is not None:
                pairs.append((name, data_url(path) if inline_images else f"@{path}"))
        out = {name: value for name, value in pairs if name and value is not None}
        out.update(request.extra)
        return out


def memory_stream(data: bytes, offset: int, content_type: str | None = None) -> ContentStream:
    """Content already in memory (a base64 video inside a JSON answer), from byte ``offset``."""

    def chunks() -> Iterator[bytes]:
        view = memoryview(data)
        for start in range(offset, len(data), 1 << 20):
            yield bytes(view[start : start + (1 << 20)])

    return ContentStream(chunks=chunks(), offset=offset, total=len(data), content_type=content_type)
