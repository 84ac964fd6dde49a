"""A style's film look, from the ``[film]`` table of its TOML (``video_gen/data/styles``).

Data, not code: a user's ``[styles.NAME.film]`` in the config changes a film's cards and
transitions without a release. Every value is checked here, so a bad table fails before
anything is rendered or paid for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from video_gen.errors import ConfigError, UsageError

ORNAMENTS = ("deco", "rule", "none")
AUDIO_RATE = 48000  # the film's sound: 48 kHz stereo AAC, every frame rate divides it
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class FilmLook:
    style: str
    transition: str = "iris"  # between scenes: iris, fade or cut (film/transitions.py)
    card_transition: str = "fade"
    transition_seconds: float = 0.5
    fps: int = 24
    background: tuple[int, int, int] = (0, 0, 0)
    foreground: tuple[int, int, int] = (255, 255, 255)
    font: str = "PoiretOne-Regular.woff"  # a file in video_gen/data/fonts
    ornament: str = "deco"
    closing: str = "The End"
    words_per_second: float = 2.5
    card_base_seconds: float = 1.5
    card_min_seconds: float = 2.5
    card_max_seconds: float = 8.0

    def card_seconds(self, text: str) -> float:
        """A card stays up long enough to read: a pause plus its words at reading speed,
        within [min, max], rounded to whole frames."""
        words = len(text.split())
        raw = self.card_base_seconds + words / self.words_per_second
        seconds = min(self.card_max_seconds, max(self.card_min_seconds, raw))
        return round(seconds * self.fps) / self.fps

    def font_path(self) -> Path:
        return Path(str(resources.files("video_gen.data") / "fonts" / self.font))


def check_fps(fps: int, where: str = "--fps") -> int:
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 60:
        raise UsageError(
            f"{where} must be a whole number of frames per second from 1 to 60",
            hint="e.g. fps = 24",
        )
    if AUDIO_RATE % fps:
        raise UsageError(
            f"{where} {fps} does not divide {AUDIO_RATE} (the sound's sample rate)",
            hint="use 16, 24, 25, 30, 48 or 60",
        )
    return fps


def parse_look(style: str, table: Mapping[str, Any]) -> FilmLook:
    """Validate a style's ``[film]`` table (missing keys take the defaults above)."""
    from video_gen.film.transitions import TRANSITIONS

    where = f"style {style} [film]"

    def bad(key: str, what: str) -> ConfigError:
        return ConfigError(f"{where}: {key} {what}", hint="see docs/film.md#styles")

    out: dict[str, Any] = {"style": style}
    for key in ("transition", "card_transition"):
        if key in table:
            value = table[key]
            if value not in TRANSITIONS:
                raise bad(key, f"must be one of {', '.join(TRANSITIONS)}, not {value!r}")
            out[key] = value
    for key in ("transition_seconds", "words_per_second"):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise bad(key, "must be a number >= 0")
            out[key] = float(value)
    if out.get("words_per_second", 1.0) <= 0:
        raise bad("words_per_second", "must be above 0")
    if "fps" in table:
        try:
            out["fps"] = check_fps(table["fps"], f"{where}: fps")
        except UsageError as exc:
            raise ConfigError(exc.message, hint=exc.hint) from None
    for key in ("background", "foreground"):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not _COLOUR.match(value):
                raise bad(key, 'must be a colour written "#rrggbb"')
            out[key] = tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))
    for key in ("font", "closing"):
        if key in table:
            if not isinstance(table[key], str) or not table[key].strip():
                raise bad(key, "must be a non-empty string")
            out[key] = table[key].strip()
    if "ornament" in table:
        if table["ornament"] not in ORNAMENTS:
            raise bad("ornament", f"must be one of {', '.join(ORNAMENTS)}")
        out["ornament"] = table["ornament"]
    timing = table.get("card_seconds", {})
    if not isinstance(timing, Mapping):
        raise bad("card_seconds", "must be a table { base, min, max }")
    for key in ("base", "min", "max"):
        if key in timing:
            value = timing[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise bad(f"card_seconds.{key}", "must be a number >= 0")
            out[f"card_{key}_seconds"] = float(value)
    look = FilmLook(**out)
    if look.card_min_seconds > look.card_max_seconds:
        raise bad("card_seconds", "min is above max")
    if not look.font_path().is_file():
        raise bad("font", f"{look.font!r} is not a font shipped in video_gen/data/fonts")
    return look


def load_look(style: str, extra_styles: Mapping[str, Any] | None = None) -> FilmLook:
    """The look of a style by name (the config's ``[styles]`` first, then the packaged ones)."""
    from video_gen.repoprompt.styles import load_style

    return parse_look(style, load_style(style, extra_styles).film)
