"""Story templates: packaged ``video_gen/data/styles/<name>.toml`` files, or the config's
``[styles.<name>]`` tables, validated into ``Style``.

A style is the look (film stock, era, camera), the cast (a hero, a sidekick, a villain, a prop
type, and how each wears a symbol's name), and the story in sections over the film's timeline
(fractions 0..1): beats with roles, one section where the gags go, one comedy peak.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from video_gen.errors import ConfigError, UsageError

DEFAULT_STYLE = "chaplin"

# Placeholders a style's texts may use (compose fills them).
BEAT_FIELDS = frozenset(
    {
        "project",
        "about",
        "tagline",
        "setting",
        "hero",
        "Hero",
        "sidekick",
        "Sidekick",
        "villain",
        "Villain",
        "prop",
        "hero_symbol",
        "sidekick_symbol",
        "villain_symbol",
        "prop_symbol",
        "commit",
        "gag",
    }
)
CAST_FIELDS = frozenset(
    {
        "symbol",
        "hero",
        "Hero",
        "hero_look",
        "sidekick",
        "Sidekick",
        "sidekick_look",
        "villain",
        "Villain",
        "villain_look",
        "prop",
    }
)
CAST_KEYS = ("hero", "hero_look", "sidekick", "sidekick_look", "villain", "villain_look", "prop")
ROLES = ("hero", "sidekick", "villain", "prop")


@dataclass(frozen=True)
class Beat:
    role: str  # opening, introduce, resolution, end_card, or any name the style likes
    text: str


@dataclass(frozen=True)
class Section:
    key: str
    start: float
    end: float
    beats: tuple[Beat, ...] = ()
    gags: bool = False  # the escalation: one beat per gag goes here
    headline: str = ""  # optional beat with a commit subject (only when git has one)
    peak: str = ""  # the comedy peak's text, with {gag}


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    look: str
    continuity: str
    camera: str
    setting: str
    tagline: str
    nominal_seconds: int
    cast: Mapping[str, str]
    cast_lines: Mapping[str, str]
    sections: tuple[Section, ...]
    # How `video-gen film` joins clips of this style (checked by video_gen/film/look.py).
    film: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def role(self, key: str) -> str:
        return self.cast[key]


def _str(
    where: str,
    table: Mapping[str, Any],
    key: str,
    fields: frozenset[str] | None = None,
    required: bool = True,
) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(f"style {where}: {key!r} must be a non-empty string")
    text = " ".join(value.split())
    if fields is not None:
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
        except ValueError as exc:
            raise ConfigError(f"style {where}: bad braces in {key!r}: {exc}") from None
        unknown = sorted(names - fields)
        if unknown:
            raise ConfigError(
                f"style {where}: unknown placeholder {{{unknown[0]}}} in {key!r}",
                hint="placeholders: " + ", ".join(sorted(fields)),
            )
    return text


def parse_style(name: str, data: Mapping[str, Any]) -> Style:
    """Validate a style table (from a packaged file or the config) into a ``Style``."""
    cast = data.get("cast")
    lines = data.get("cast_lines")
    if not isinstance(cast, Mapping) or not isinstance(lines, Mapping):
        raise ConfigError(f"style {name}: needs [cast] and [cast_lines] tables")
    sections_data = data.get("sections")
    if not isinstance(sections_data, list) or not sections_data:
        raise ConfigError(f"style {name}: needs [[sections]]")
    sections: list[Section] = []
    position = 0.0
    for i, sec in enumerate(sections_data):
        where = f"{name} section {i + 1}"
        if not isinstance(sec, Mapping):
            raise ConfigError(f"style {where}: must be a table")
        start, end = sec.get("start"), sec.get("end")
        if (
            not isinstance(start, (int, float))
            or not isinstance(end, (int, float))
            or abs(start - position) > 1e-9
            or not start < end <= 1.0
        ):
            raise ConfigError(
                f"style {where}: start/end must continue the timeline from "
                f"{position:g} and stay within 1"
            )
        position = float(end)
        beats = []
        for b in sec.get("beats", []):
            if not isinstance(b, Mapping):
                raise ConfigError(f"style {where}: a beat is {{ role = ..., text = ... }}")
            beats.append(Beat(_str(where, b, "role"), _str(where, b, "text", BEAT_FIELDS)))
        sections.append(
            Section(
                key=_str(where, sec, "key"),
                start=float(start),
                end=float(end),
                beats=tuple(beats),
                gags=bool(sec.get("gags", False)),
                headline=_str(where, sec, "headline", BEAT_FIELDS, required=False),
                peak=_str(where, sec, "peak", BEAT_FIELDS, required=False),
            )
        )
    if abs(position - 1.0) > 1e-9:
        raise ConfigError(f"style {name}: sections must end at 1.0")
    if sum(s.gags for s in sections) != 1 or sum(bool(s.peak) for s in sections) != 1:
        raise ConfigError(
            f"style {name}: needs exactly one section with gags = true and one with a peak"
        )
    seconds = data.get("nominal_seconds", 90)
    if not isinstance(seconds, int) or seconds <= 0:
        raise ConfigError(f"style {name}: nominal_seconds must be a positive integer")
    return Style(
        name=name,
        title=_str(name, data, "title"),
        look=_str(name, data, "look"),
        continuity=_str(name, data, "continuity"),
        camera=_str(name, data, "camera"),
        setting=_str(name, data, "setting"),
        tagline=_str(name, data, "tagline"),
        nominal_seconds=seconds,
        cast={k: _str(f"{name} [cast]", cast, k) for k in CAST_KEYS},
        cast_lines={k: _str(f"{name} [cast_lines]", lines, k, CAST_FIELDS) for k in ROLES},
        sections=tuple(sections),
        film=_film_table(name, data.get("film")),
    )


def _film_table(name: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"style {name}: [film] must be a table", hint="see docs/film.md")
    return dict(value)


def packaged_styles() -> tuple[str, ...]:
    folder = resources.files("video_gen.data").joinpath("styles")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


def available_styles(extra: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    return tuple(sorted(set(packaged_styles()) | set(extra or {})))


def load_style(name: str, extra: Mapping[str, Any] | None = None) -> Style:
    """A style by name: the config's ``[styles.<name>]`` first, then the packaged ones."""
    if extra and name in extra:
        table = extra[name]
        if not isinstance(table, Mapping):
            raise ConfigError(f"[styles.{name}] must be a table")
        if "extends" in table:
            base_name = table["extends"]
            if not isinstance(base_name, str) or base_name == name:
                raise ConfigError(f"[styles.{name}] extends must name another style")
            base = _raw(base_name, extra)
            merged = {**base, **{k: v for k, v in table.items() if k != "extends"}}
            for sub in ("cast", "cast_lines", "film"):
                if isinstance(table.get(sub), Mapping) and isinstance(base.get(sub), Mapping):
                    merged[sub] = {**base[sub], **table[sub]}
            return parse_style(name, merged)
        return parse_style(name, table)
    return parse_style(name, _raw(name, extra))


def _raw(name: str, extra: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if extra and name in extra and isinstance(extra[name], Mapping):
        return dict(extra[name])
    if name not in packaged_styles():
        raise UsageError(
            f"unknown style {name!r}", hint="choose one of: " + ", ".join(available_styles(extra))
        )
    from video_gen.data import load

    return load(f"styles/{name}.toml")
