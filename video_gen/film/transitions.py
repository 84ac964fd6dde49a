"""Transitions at a part's edges, registered by name: ``iris``, ``fade``, ``cut``.

A transition says how much of a frame shows (its *visibility*, 0 black to 1 whole) near the
start and end of a part: an iris opens a circle from the centre and closes it again, a fade
darkens evenly, a cut does nothing. Parts never overlap, so a film's length is exactly the sum
of its parts. Only edge frames are touched; the rest pass through untouched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# name -> mask(visibility, size) -> a Pillow "L" mask (255 shows the picture), or None for cut
Mask = Callable[[float, tuple[int, int]], Any]
TRANSITIONS: dict[str, Mask | None] = {}


def register(name: str) -> Callable[[Mask], Mask]:
    def add(fn: Mask) -> Mask:
        TRANSITIONS[name] = fn
        return fn

    return add


TRANSITIONS["cut"] = None


@register("fade")
def _fade(visibility: float, size: tuple[int, int]) -> Any:
    from PIL import Image

    return Image.new("L", size, round(255 * visibility))


@register("iris")
def _iris(visibility: float, size: tuple[int, int]) -> Any:
    from PIL import Image, ImageDraw

    width, height = size
    radius = visibility * math.hypot(width, height) / 2
    mask = Image.new("L", size, 0)
    cx, cy = width / 2, height / 2
    ImageDraw.Draw(mask).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=255)
    return mask


@dataclass(frozen=True)
class Edges:
    """Where a part of ``frames`` frames is darkened by ``name`` over ``span`` frames each end."""

    name: str
    frames: int
    span: int

    @classmethod
    def of(cls, name: str, frames: int, seconds: float, fps: int) -> Edges:
        # At most a third of a part per edge: a short part still shows its middle.
        span = min(round(seconds * fps), frames // 3) if TRANSITIONS[name] is not None else 0
        return cls(name, frames, max(span, 0))

    def visibility(self, index: int) -> float:
        if self.span <= 0:
            return 1.0
        return min(1.0, (index + 0.5) / self.span, (self.frames - index - 0.5) / self.span)

    def apply(self, image: Any, index: int) -> Any:
        """The RGB Pillow ``image`` of frame ``index`` with the transition applied (or as is)."""
        visibility = self.visibility(index)
        mask_fn = TRANSITIONS[self.name]
        if visibility >= 1.0 or mask_fn is None:
            return image
        from PIL import Image

        black = Image.new("RGB", image.size, (0, 0, 0))
        return Image.composite(image, black, mask_fn(visibility, image.size))
