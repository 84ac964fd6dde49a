"""The story: a style's template filled with the project, its top symbols and its gags, cut
into clips.

The timeline is the style's sections over fractions 0..1 of the film (the packaged styles:
setup 0-0.2, escalation 0.2-0.6, comedy peak 0.6-0.8 so its midpoint sits at 70%, resolution
0.8-0.93, end card). Top-ranked symbols become the cast (hero, sidekick, props; the top exception
type is the villain) and gags fill the escalation and the peak. Each beat owns a span of the
timeline; ``scenes`` clips of ``seconds`` each split it evenly, a beat going to the clip that
holds its midpoint. Every clip becomes a complete, standalone prompt: the same look, cast and
continuity notes in each, its own beats timed within the clip.

A prompt is built from ``Piece``s with a priority (lower is more important): ``fit`` keeps the
most important pieces that fit the token budget and ``render`` lays them out in story order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from video_gen.repoprompt.analysis import Analysis
from video_gen.repoprompt.concepts import ChosenGag
from video_gen.repoprompt.metadata import ProjectMeta
from video_gen.repoprompt.rank import RankedSymbol
from video_gen.repoprompt.styles import Style

MAX_SCENES = 12
CLIP_SECONDS = (4, 8, 12)
MAX_PROPS = 4
GROUPS = ("look", "cast", "set", "beats", "notes")

# Priorities: 0 is always kept; then the lower the number, the later it is dropped.
P_ESSENTIAL = 0
P_END_CARD = 1
P_HERO = 2
P_PEAK = 3
P_CAST = {"hero": (P_HERO, 12), "sidekick": (7, 18), "villain": (10, 19)}  # (short, full line)
P_ROLES = {"introduce": 4, "resolution": 5, "opening": 9, "end_card": P_END_CARD}
P_OTHER_BEAT = 15
P_FULLER_BEAT = 13  # the longer telling of a beat (the peak's finale)
P_GAGS = (6, 8, 11, 12, 13, 14)
P_SET = 20
P_PROPS = 21
P_CONTINUITY_MULTI = 16  # continuity notes matter more when clips must match
P_CONTINUITY = 30
P_CAMERA = 31
P_HEADLINE = 32
P_INTERTITLES = 33  # a cast symbol's docstring on a card, one piece per symbol


@dataclass(frozen=True)
class Piece:
    key: str
    group: str  # one of GROUPS
    order: int  # position within its group
    priority: int
    text: str
    symbols: tuple[str, ...] = ()  # ranked symbols this piece names
    weight: float = 0.0  # beats: share of the timeline
    replaces: str = ""  # the key of a shorter piece this one stands in for when both are kept


@dataclass(frozen=True)
class Clip:
    index: int  # 1-based
    count: int
    seconds: int
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class CastMember:
    role: str
    name: str  # "the Tramp"
    symbol: str  # what the character stands for
    ranked: bool  # the symbol is a ranked repository symbol (not a builtin or a stand-in)
    doc: str = ""  # the symbol's docstring, first line

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "character": self.name, "symbol": self.symbol}


@dataclass(frozen=True)
class Storyboard:
    style: str
    runtime: int  # seconds: scenes x seconds
    cast: tuple[CastMember, ...]
    clips: tuple[Clip, ...]


@dataclass(frozen=True)
class _Beat:
    key: str
    start: float
    end: float
    priority: int
    text: str
    symbols: tuple[str, ...]
    fuller: str = ""  # a longer telling, kept instead of ``text`` when the budget allows

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2


def gag_count(scenes: int) -> int:
    """Gags a story of ``scenes`` clips uses: one for the peak, 2 to 6 for the escalation."""
    return 1 + min(len(P_GAGS), max(2, scenes - 2))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _sentence(text: str, limit: int) -> str:
    """The first sentence of ``text``, plain (no RST/Markdown backticks), cut to ``limit``."""
    text = text.replace("`", "").strip()
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    if len(first) <= limit:
        return first
    cut = first[:limit]
    comma = cut.rfind(", ")
    if comma >= limit // 2:
        cut = cut[:comma]
    else:
        space = cut.rfind(" ")
        cut = (cut[:space] if space > 0 else cut).rstrip(",;:") + "…"
    if cut.count("(") > cut.count(")"):  # never leave a bracket open
        cut = cut[: cut.rfind("(")].rstrip(" ,;:") + "…"
    return cut


def _fields(template: str) -> set[str]:
    return set(re.findall(r"(?<!\{)\{(\w+)\}", template))


def cast_of(analysis: Analysis, style: Style, project: str) -> tuple[CastMember, ...]:
    ranked = analysis.ranking.symbols
    people = [s for s in ranked if not s.is_exception]
    villains = [s for s in ranked if s.is_exception]
    cast: list[CastMember] = []

    def add(role: str, sym: RankedSymbol | None, fallback: str) -> None:
        cast.append(
            CastMember(
                role,
                style.role(role),
                sym.name if sym else fallback,
                sym is not None,
                sym.doc if sym else "",
            )
        )

    add("hero", people[0] if people else None, project)
    add("sidekick", people[1] if len(people) > 1 else None, project)
    if villains:
        add("villain", villains[0], "")
    else:
        raised = [c.name for c in analysis.facts.raised] + [c.name for c in analysis.facts.caught]
        cast.append(
            CastMember("villain", style.role("villain"), raised[0] if raised else "bug", False)
        )
    for sym in people[2 : 2 + MAX_PROPS]:
        add("prop", sym, "")
    return tuple(cast)


def _beats(
    meta: ProjectMeta,
    style: Style,
    cast: Sequence[CastMember],
    gags: Sequence[ChosenGag],
    ranked_names: frozenset[str],
) -> list[_Beat]:
    hero = style.role("hero")
    by_role = {c.role: c for c in cast}
    props = [c for c in cast if c.role == "prop"]
    prop_member = props[0] if props else by_role["sidekick"]
    description = meta.description or meta.readme
    tagline = _sentence(description, 60) if description else style.tagline
    about_src = meta.readme if meta.readme and meta.readme != meta.description else ""
    about = f', then "{_sentence(about_src, 90)}"' if about_src else ""
    values = {
        "project": meta.name,
        "about": about,
        "tagline": tagline,
        "setting": style.setting,
        "hero": hero,
        "Hero": _cap(hero),
        "sidekick": style.role("sidekick"),
        "Sidekick": _cap(style.role("sidekick")),
        "villain": style.role("villain"),
        "Villain": _cap(style.role("villain")),
        "prop": style.role("prop"),
        "hero_symbol": by_role["hero"].symbol,
        "sidekick_symbol": by_role["sidekick"].symbol,
        "villain_symbol": by_role["villain"].symbol,
        "prop_symbol": prop_member.symbol,
        "commit": _sentence(meta.commits[0], 70) if meta.commits else "",
        "gag": "",
    }
    symbol_of = {
        "hero_symbol": by_role["hero"],
        "sidekick_symbol": by_role["sidekick"],
        "villain_symbol": by_role["villain"],
        "prop_symbol": prop_member,
    }

    def fill(template: str, gag: ChosenGag | None = None) -> tuple[str, tuple[str, ...]]:
        local = dict(values)
        names: list[str] = []
        if gag is not None:
            local["gag"] = _cap(gag.text(hero)).rstrip()
            if gag.label in ranked_names:
                names.append(gag.label)
        for f in sorted(_fields(template)):
            who = symbol_of.get(f)
            if who is not None and who.ranked and who.symbol not in names:
                names.append(who.symbol)
        return _cap(" ".join(template.format(**local).split())), tuple(names)

    beats: list[_Beat] = []
    for sec in style.sections:
        items: list[tuple[str, int, str, tuple[str, ...], str]] = []
        for i, b in enumerate(sec.beats):
            text, names = fill(b.text)
            items.append(
                (f"{sec.key}.{b.role}.{i}", P_ROLES.get(b.role, P_OTHER_BEAT), text, names, "")
            )
        if sec.gags:
            for i, gag in enumerate(gags[1:]):
                text, names = fill("{gag}", gag)
                items.append(
                    (f"{sec.key}.gag.{i}", P_GAGS[min(i, len(P_GAGS) - 1)], text, names, "")
                )
            if sec.headline and meta.commits:
                text, names = fill(sec.headline)
                items.insert(
                    len(items) // 2 + 1, (f"{sec.key}.headline", P_HEADLINE, text, names, "")
                )
        if sec.peak and gags:
            # The peak's own words after {gag} are an upgrade: the gag itself comes first.
            head = sec.peak[: sec.peak.index("{gag}") + 5] if "{gag}" in sec.peak else sec.peak
            text, names = fill(head, gags[0])
            full = fill(sec.peak, gags[0])[0] if head != sec.peak else ""
            items.append((f"{sec.key}.peak", P_PEAK, text, names, full))
        span = (sec.end - sec.start) / max(1, len(items))
        for i, (key, prio, text, names, fuller) in enumerate(items):
            beats.append(
                _Beat(
                    key, sec.start + i * span, sec.start + (i + 1) * span, prio, text, names, fuller
                )
            )
    return beats


_LOOK = re.compile(r",\s*\{(?:hero|sidekick|villain)_look\},?")


def _cast_pieces(style: Style, cast: Sequence[CastMember]) -> list[Piece]:
    """A short line per character (who stands for which symbol) and, as an upgrade kept only
    when the budget allows, the full line with the costume description."""
    values = {k: style.cast[k] for k in style.cast}
    values.update(
        {
            "Hero": _cap(style.cast["hero"]),
            "Sidekick": _cap(style.cast["sidekick"]),
            "Villain": _cap(style.cast["villain"]),
        }
    )
    pieces: list[Piece] = []
    n_props = 0
    for i, c in enumerate(cast):
        template = style.cast_lines[c.role]
        symbols = (c.symbol,) if c.ranked else ()
        key = f"cast.{c.role}.{i}"
        if c.role in P_CAST:
            prio, full_prio = P_CAST[c.role]
        else:
            prio, full_prio = P_PROPS + n_props, 0
            n_props += 1
        short = _LOOK.sub("", template)
        pieces.append(
            Piece(
                key,
                "cast",
                i,
                prio,
                " ".join(short.format(symbol=c.symbol, **values).split()),
                symbols,
            )
        )
        if short != template and full_prio:
            pieces.append(
                Piece(
                    key + ".full",
                    "cast",
                    i,
                    full_prio,
                    " ".join(template.format(symbol=c.symbol, **values).split()),
                    symbols,
                    replaces=key,
                )
            )
    return pieces


def compose(
    meta: ProjectMeta,
    analysis: Analysis,
    gags: Sequence[ChosenGag],
    style: Style,
    *,
    scenes: int,
    seconds: int,
) -> Storyboard:
    """Fill ``style`` and cut it into ``scenes`` clips of ``seconds`` (validated by the caller)."""
    ranked_names = frozenset(s.name for s in analysis.ranking.symbols)
    cast = cast_of(analysis, style, meta.name)
    beats = _beats(meta, style, cast, gags, ranked_names)
    cast_pieces = _cast_pieces(style, cast)
    clips: list[Clip] = []
    for index in range(scenes):
        lo, hi = index / scenes, (index + 1) / scenes
        mine = [b for b in beats if lo <= b.mid < hi or (index == scenes - 1 and b.mid >= hi)]
        continued = False
        if not mine:  # a clip inside one long beat: that beat, continued
            best = max(beats, key=lambda b: (min(b.end, hi) - max(b.start, lo), -b.start))
            mine = [best]
            continued = True
        top = min(b.priority for b in mine)
        pieces = [Piece("look", "look", 0, P_ESSENTIAL, style.look)]
        if scenes > 1:
            pieces.append(
                Piece(
                    "clip",
                    "look",
                    1,
                    P_ESSENTIAL,
                    f"Scene {index + 1} of {scenes} of one continuous short film.",
                )
            )
        pieces.extend(cast_pieces)
        pieces.append(Piece("set", "set", 0, P_SET, f"Set: {_cap(style.setting)}."))
        for order, b in enumerate(mine):
            prio = min(b.priority, P_END_CARD) if b.priority == top else b.priority
            prefix = "Continuing: " if continued else ""
            weight = max(1e-6, min(b.end, hi) - max(b.start, lo)) if continued else b.end - b.start
            key = f"beat.{b.key}"
            pieces.append(Piece(key, "beats", order, prio, prefix + b.text, b.symbols, weight))
            if b.fuller:
                pieces.append(
                    Piece(
                        key + ".full",
                        "beats",
                        order,
                        P_FULLER_BEAT,
                        prefix + b.fuller,
                        b.symbols,
                        weight,
                        replaces=key,
                    )
                )
        for order, c in enumerate(c for c in cast if c.doc):
            pieces.append(
                Piece(
                    f"intertitle.{c.symbol}",
                    "notes",
                    2 + order,
                    P_INTERTITLES + order,
                    f'Intertitle: "{c.symbol}: {_sentence(c.doc, 80)}."',
                    (c.symbol,) if c.ranked else (),
                )
            )
        pieces.append(
            Piece(
                "continuity",
                "notes",
                0,
                P_CONTINUITY_MULTI if scenes > 1 else P_CONTINUITY,
                style.continuity,
            )
        )
        pieces.append(Piece("camera", "notes", 1, P_CAMERA, f"Camera: {style.camera}"))
        clips.append(Clip(index + 1, scenes, seconds, tuple(pieces)))
    return Storyboard(style.name, scenes * seconds, cast, tuple(clips))


def _stamp(t: float) -> str:
    return f"{round(t * 2) / 2:g}"


def render(pieces: Sequence[Piece], seconds: int) -> str:
    """Lay out pieces in story order: look, cast, set, timed beats, notes. Pure function."""
    groups: dict[str, list[Piece]] = {g: [] for g in GROUPS}
    replaced = {p.replaces for p in pieces if p.replaces}
    for p in pieces:
        if p.key not in replaced:
            groups[p.group].append(p)
    lines: list[str] = []
    for g in GROUPS:
        items = sorted(groups[g], key=lambda p: (p.order, p.key))
        if not items:
            continue
        if g == "cast":
            lines.append("Cast: " + "; ".join(p.text for p in items) + ".")
        elif g == "beats":
            total = sum(p.weight for p in items) or 1.0
            t = 0.0
            for p in items:
                end = t + seconds * p.weight / total
                lines.append(f"{_stamp(t)}-{_stamp(end)}s: {p.text}")
                t = end
        else:
            lines.append(" ".join(p.text for p in items))
    return "\n".join(lines)
