"""What kind of project this is, the world it is filmed in, and each core concept's role there.

Data: ``video_gen/data/worlds.toml``. The kind is inferred from evidence (the words of the
project's description and README opening, the head nouns of its public names, its imports) and
chooses a world; each core concept gets an archetype from what the symbol *is* (its own name's
head noun, the bases it extends, the methods it implements, its kind), never from a word found
inside another word, and the archetype gives it an image and an action in that world. Every
choice keeps its evidence for ``--format json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from video_gen.repoprompt.facts import Counted, words

GENERIC_WORLD = "workshop"
MIN_KIND_SCORE = 3.0


@dataclass(frozen=True)
class Role:
    image: str
    action: str


@dataclass(frozen=True)
class World:
    key: str
    set: str
    set_detail: str
    protagonist: str
    protagonist_short: str
    setup: str
    setup_detail: str
    escalation: tuple[str, ...]
    trouble: str
    peak: str
    peak_detail: str
    resolution: str
    resolution_detail: str
    camera: str
    roles: Mapping[str, Role]
    # The film's intertitles between clips, by stage (setup, escalation, peak, end); the
    # escalation card may name the clip's concept as {name}. Empty: no card for that stage.
    cards: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Archetype:
    key: str
    nouns: frozenset[str]
    bases: frozenset[str]
    methods: frozenset[str]
    kinds: frozenset[str]


@dataclass(frozen=True)
class Kind:
    key: str
    words: frozenset[str]
    imports: tuple[str, ...]
    world: str


@dataclass(frozen=True)
class KindChoice:
    kind: str  # "" when nothing was convincing
    world: str
    score: float
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind or "general",
            "world": self.world,
            "score": round(self.score, 3),
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Library:
    kinds: tuple[Kind, ...]
    archetypes: tuple[Archetype, ...]
    worlds: Mapping[str, World]


def _strs(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in value or ())


@lru_cache(maxsize=1)
def load_library() -> Library:
    from video_gen.data import load

    data = load("worlds.toml")
    kinds = tuple(
        Kind(k, _strs(t.get("words")), tuple(t.get("imports", ())), str(t["world"]))
        for k, t in data["kinds"].items()
    )
    archetypes = tuple(
        Archetype(
            k,
            frozenset(n.lower() for n in t.get("nouns", ())),
            _strs(t.get("bases")),
            _strs(t.get("methods")),
            _strs(t.get("kinds")),
        )
        for k, t in data["archetypes"].items()
    )
    worlds: dict[str, World] = {}
    for key, t in data["worlds"].items():
        roles = {a: Role(str(r["image"]), str(r["action"])) for a, r in t["roles"].items()}
        missing = [a.key for a in archetypes if a.key not in roles]
        if missing:
            raise ValueError(f"world {key} has no role for {missing[0]}")
        worlds[key] = World(
            key=key,
            set=t["set"],
            set_detail=t["set_detail"],
            protagonist=t["protagonist"],
            protagonist_short=t["protagonist_short"],
            setup=t["setup"],
            setup_detail=t["setup_detail"],
            escalation=tuple(t["escalation"]),
            trouble=t["trouble"],
            peak=t["peak"],
            peak_detail=t["peak_detail"],
            resolution=t["resolution"],
            resolution_detail=t["resolution_detail"],
            camera=t["camera"],
            roles=roles,
            cards={str(k): str(v) for k, v in t.get("cards", {}).items()},
        )
    return Library(kinds, archetypes, worlds)


_SPLIT = re.compile(r"[^a-z0-9-]+")


def text_words(text: str) -> list[str]:
    return [w.strip("-") for w in _SPLIT.split(text.lower()) if w.strip("-")]


def head_noun(name: str) -> str:
    parts = words(name)
    return parts[-1] if parts else name.lower()


def infer_kind(
    lib: Library,
    *,
    description: str,
    readme: str,
    names: Sequence[str],
    imports: Iterable[Counted],
) -> KindChoice:
    """The kind with the most evidence: purpose words count 3, public names' head nouns 1 (4 at
    most: a big API must not outvote what the project says it is), imported modules 2. Too
    little evidence (under 3) means the generic workshop."""
    purpose = text_words(description) + text_words(readme)
    nouns = [head_noun(n) for n in names] + [n.lower() for n in names]
    modules = [c.name for c in imports]
    best: KindChoice | None = None
    for kind in lib.kinds:
        score = 0.0
        evidence: list[str] = []
        hits = sorted({w for w in purpose if w in kind.words})
        if hits:
            score += 3.0 * sum(1 for w in purpose if w in kind.words)
            evidence.append("purpose: " + ", ".join(hits[:6]))
        name_hits = sorted({n for n in nouns if n in kind.words})
        if name_hits:
            score += min(4.0, float(sum(1 for n in nouns if n in kind.words)))
            evidence.append("public names: " + ", ".join(name_hits[:6]))
        imp = sorted(
            {p for m in modules for p in kind.imports if m == p or m.startswith((p + ".", p + "/"))}
        )
        if imp:
            score += 2.0 * len(imp)  # per library (psycopg counts once, however many modules)
            evidence.append("imports: " + ", ".join(imp[:4]))
        choice = KindChoice(kind.key, kind.world, score, tuple(evidence))
        if best is None or score > best.score:
            best = choice
    if best is None or best.score < MIN_KIND_SCORE:
        return KindChoice("", GENERIC_WORLD, best.score if best else 0.0, ())
    return best


def archetype_of(
    lib: Library,
    *,
    name: str,
    kind: str,
    bases: Sequence[str],
    methods: Sequence[str],
    is_exception: bool,
) -> tuple[str, str]:
    """(archetype, why) for a symbol, from what it is."""
    if is_exception:
        return "error", "an exception type"
    full = name.lower()
    head = head_noun(name)
    for a in lib.archetypes:
        if full in a.nouns:
            return a.key, f"its name is a {a.key}"
    for a in lib.archetypes:
        base = next((b for b in bases if b in a.bases), None)
        if base:
            return a.key, f"extends {base}"
    # The head noun says what a type is (`RouterGroup` is a group); a function's name is a
    # verb phrase (`add_row` adds, it is not a row), so only its whole name counts.
    for a in lib.archetypes if kind not in ("function", "method") else ():
        if head in a.nouns:
            return a.key, f"its name ends in {head!r}"
    for a in lib.archetypes:
        method = next((m for m in sorted(methods) if m in a.methods), None)
        if method:
            return a.key, f"implements {method}()"
    for a in lib.archetypes:
        if kind in a.kinds:
            return a.key, f"a {kind}"
    return "type", f"a {kind}"
