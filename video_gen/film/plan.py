"""A film's parts in order: the opening card, each clip (after its intertitles), the closing card.

The cards' words come from the plan itself: a storyboard's prompts carry their intertitles
(``Intertitle: "RetryQueue: pushes again."``) and the opening title card (``Title card:
"demo"``), which ``prompt-from-repo`` writes; any batch item may give its own ``intertitle``
instead. So a re-run plans the same film, and ``--dry-run`` shows its length before anything
is paid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from video_gen.film.look import FilmLook

INTERTITLE = re.compile(r'Intertitle:\s*"([^"]{1,400})"')
TITLE_CARD = re.compile(r'Title card:\s*"([^"]{1,200})"')
MAX_INTERTITLES = 3  # per card: more would not be read in the time a card can stay up
FITS = ("letterbox", "crop")


@dataclass(frozen=True)
class Scene:
    """One clip of the plan, as the film needs it."""

    line: int
    name: str | None
    prompt: str
    seconds: int
    intertitle: str | None = None  # the item's own card text, else the prompt's intertitles


@dataclass(frozen=True)
class CardPart:
    kind: Literal["opening", "intertitle", "closing"]
    text: str
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {"type": "card", "kind": self.kind, "text": self.text, "seconds": self.seconds}


@dataclass(frozen=True)
class ClipPart:
    position: int  # 0-based among the clips
    line: int
    name: str | None
    seconds: float  # as requested; the clip's real length decides the film's

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "clip",
            "position": self.position,
            "line": self.line,
            "name": self.name,
            "seconds": self.seconds,
        }


Part = CardPart | ClipPart


@dataclass(frozen=True)
class FilmPlan:
    look: FilmLook
    width: int
    height: int
    fps: int
    fit: str
    parts: tuple[Part, ...]

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def cards(self) -> list[CardPart]:
        return [p for p in self.parts if isinstance(p, CardPart)]

    @property
    def expected_seconds(self) -> float:
        """Cards plus the clips' requested lengths, in whole frames."""
        frames = sum(round(p.seconds * self.fps) for p in self.parts)
        return frames / self.fps

    def to_json(self) -> dict[str, Any]:
        return {
            "style": self.look.style,
            "size": self.size,
            "fps": self.fps,
            "fit": self.fit,
            "transition": self.look.transition,
            "expected_seconds": self.expected_seconds,
            "parts": [p.to_json() for p in self.parts],
        }


def intertitles(prompt: str) -> list[str]:
    """The intertitles a storyboard prompt asks for, in order (duplicates dropped)."""
    out: list[str] = []
    for text in INTERTITLE.findall(prompt):
        text = " ".join(text.split())
        if text not in out:
            out.append(text)
    return out[:MAX_INTERTITLES]


def opening_title(scenes: Sequence[Scene], fallback: str) -> str:
    """The first clip's title card, else ``fallback`` (the plan's name)."""
    if scenes:
        found = TITLE_CARD.search(scenes[0].prompt)
        if found:
            return " ".join(found.group(1).split())
    return fallback


def build(
    scenes: Sequence[Scene],
    look: FilmLook,
    *,
    width: int,
    height: int,
    fps: int,
    fit: str,
    title: str,
) -> FilmPlan:
    parts: list[Part] = [CardPart("opening", title, look.card_seconds(title))]
    for position, scene in enumerate(scenes):
        words = [scene.intertitle] if scene.intertitle else intertitles(scene.prompt)
        if words:
            text = "\n\n".join(words)
            parts.append(CardPart("intertitle", text, look.card_seconds(text)))
        parts.append(ClipPart(position, scene.line, scene.name, float(scene.seconds)))
    parts.append(CardPart("closing", look.closing, look.card_seconds(look.closing)))
    return FilmPlan(look, width, height, fps, fit, tuple(parts))
