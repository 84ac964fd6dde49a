"""How a storyboard is filmed: packaged ``video_gen/data/styles/<name>.toml`` files, or the
config's ``[styles.<name>]`` tables, validated into ``Style``.

A style is a film look (long and short), the manner the protagonist moves in, continuity and
camera notes, and whether it uses title cards. The world itself (set, protagonist, the cast's
roles, the story) comes from the project (``world.py``), so every style films the same story.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from video_gen.errors import ConfigError, UsageError

DEFAULT_STYLE = "chaplin"
FIELDS = (
    "title",
    "look",
    "look_short",
    "manner",
    "continuity",
    "camera",
    "title_cards",
    "card",
    "film",  # how `video-gen film` joins this style's clips (checked by video_gen/film/look.py)
)
_IGNORED = ("schema_version", "extends")


@dataclass(frozen=True)
class Style:
    name: str
    title: str
    look: str
    look_short: str
    manner: str
    continuity: str
    camera: str
    title_cards: bool  # at most one short card per clip (the project's name), never on props
    card: str  # what the style calls it: "Title card"
    film: Mapping[str, Any] = field(default_factory=dict, compare=False)


def _str(name: str, data: Mapping[str, Any], key: str, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConfigError(
            f"style {name}: {key!r} must be a non-empty string",
            hint="fields: " + ", ".join(FIELDS),
        )
    if "{" in value or "}" in value:
        raise ConfigError(
            f"style {name}: {key!r} takes plain text (no placeholders)",
            hint="remove the { } from it",
        )
    return " ".join(value.split())


def parse_style(name: str, data: Mapping[str, Any]) -> Style:
    """Validate a style table (from a packaged file or the config) into a ``Style``."""
    unknown = sorted(set(data) - set(FIELDS) - set(_IGNORED))
    if unknown:
        raise ConfigError(
            f"style {name}: unknown field {unknown[0]!r}", hint="fields: " + ", ".join(FIELDS)
        )
    cards = data.get("title_cards", False)
    if not isinstance(cards, bool):
        raise ConfigError(
            f"style {name}: title_cards must be true or false", hint="title_cards = true"
        )
    card = _str(name, data, "card", required=cards)
    return Style(
        name=name,
        title=_str(name, data, "title"),
        look=_str(name, data, "look"),
        look_short=_str(name, data, "look_short"),
        manner=_str(name, data, "manner"),
        continuity=_str(name, data, "continuity"),
        camera=_str(name, data, "camera"),
        title_cards=cards,
        card=card,
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
            raise ConfigError(
                f"[styles.{name}] must be a table", hint="see docs/prompt-from-repo.md"
            )
        if "extends" in table:
            base_name = table["extends"]
            if not isinstance(base_name, str) or base_name == name:
                raise ConfigError(
                    f"[styles.{name}] extends must name another style",
                    hint='e.g. extends = "chaplin"',
                )
            base = _raw(base_name, extra)
            merged = {**base, **{k: v for k, v in table.items() if k != "extends"}}
            if isinstance(table.get("film"), Mapping) and isinstance(base.get("film"), Mapping):
                merged["film"] = {**base["film"], **table["film"]}
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
