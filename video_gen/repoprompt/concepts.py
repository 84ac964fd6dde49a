"""Programming concepts found in a repository, and the visual gags that stand for them.

Concepts and gags are data (``video_gen/data/gags.toml``), extended by the config's ``[gags]``
table. A concept is scored from its evidence: ranked symbols whose name words match its keywords
(weighted by rank), exception types raised or caught, decorators, imported modules, file paths,
and structural signals (recursion, async code, exception classes, test files). Every chosen gag
keeps that evidence, so a reader can see why the Tramp is fighting a retry loop.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from video_gen.errors import ConfigError
from video_gen.repoprompt.facts import Counted, RepoFacts, words
from video_gen.repoprompt.rank import RankedSymbol, Ranking

SIGNALS = ("async", "exceptions", "recursive", "tests")
PLACEHOLDERS = ("hero", "label")
MIN_SCORE = 1.0
_FIELDS = ("title", "keywords", "imports", "signals", "gags", "weight")


@dataclass(frozen=True)
class Concept:
    key: str
    title: str
    keywords: frozenset[str]
    imports: tuple[str, ...]
    signals: tuple[str, ...]
    gags: tuple[str, ...]
    weight: float = 1.0
    source: str = "packaged"  # or "config"


@dataclass(frozen=True)
class Evidence:
    symbols: tuple[str, ...]
    files: tuple[str, ...]
    imports: tuple[str, ...]
    signals: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "symbols": list(self.symbols),
            "files": list(self.files),
            "imports": list(self.imports),
            "signals": list(self.signals),
        }


@dataclass(frozen=True)
class Match:
    """A concept found in the repository, before a gag is picked for it."""

    concept: Concept
    score: float
    evidence: Evidence


@dataclass(frozen=True)
class ChosenGag:
    concept: str  # concept key, or "fallback"
    title: str
    template: str  # with {hero} and {label}
    label: str  # the symbol/module/file shown on the sign
    score: float
    evidence: Evidence

    def text(self, hero: str) -> str:
        return self.template.format(hero=hero, label=self.label)

    def to_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "title": self.title,
            "label": self.label,
            "score": round(self.score, 4),
            "gag": self.template,
            "evidence": self.evidence.to_json(),
        }


# -- loading ---------------------------------------------------------------------------------
def _check_template(where: str, text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(
            f"{where}: a gag must be a non-empty string",
            hint='write gags = ["{hero} ... \\"{label}\\" ..."]',
        )
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise ConfigError(
            f"{where}: bad braces in gag {text!r}: {exc}", hint="write {{ and }} for literal braces"
        ) from None
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        raise ConfigError(
            f"{where}: unknown placeholder {{{unknown[0]}}} in gag {text!r}",
            hint="gags may use {hero} and {label} only",
        )
    return " ".join(text.split())


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(v.strip() for v in value)


def _concept(key: str, table: Mapping[str, Any], base: Concept | None, source: str) -> Concept:
    where = f"[gags.{key}]"
    unknown = sorted(set(table) - set(_FIELDS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {unknown[0]!r}", hint="fields: " + ", ".join(_FIELDS)
        )
    gags = (
        tuple(_check_template(f"{where} gags", g) for g in _strings(f"{where} gags", table["gags"]))
        if "gags" in table
        else ()
    )
    keywords = frozenset(
        w.lower() for w in _strings(f"{where} keywords", table.get("keywords", []))
    )
    imports = _strings(f"{where} imports", table.get("imports", []))
    signals = _strings(f"{where} signals", table.get("signals", []))
    bad = sorted(set(signals) - set(SIGNALS))
    if bad:
        raise ConfigError(
            f"{where}: unknown signal {bad[0]!r}", hint="signals: " + ", ".join(SIGNALS)
        )
    weight = table.get("weight", base.weight if base else 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise ConfigError(f"{where}: weight must be a positive number")
    title = table.get("title", base.title if base else key)
    if not isinstance(title, str):
        raise ConfigError(f"{where}: title must be a string")
    if base is not None:
        return replace(
            base,
            title=title,
            weight=float(weight),
            source=source if gags else base.source,
            gags=gags or base.gags,
            keywords=base.keywords | keywords,
            imports=tuple(sorted(set(base.imports) | set(imports))),
            signals=tuple(sorted(set(base.signals) | set(signals))),
        )
    if not gags:
        raise ConfigError(
            f"{where}: a new concept needs at least one gag", hint='add gags = ["{hero} ..."]'
        )
    if not (keywords or imports or signals):
        raise ConfigError(f"{where}: a new concept needs keywords, imports or signals")
    return Concept(
        key,
        title,
        keywords,
        tuple(sorted(set(imports))),
        tuple(sorted(set(signals))),
        gags,
        float(weight),
        source,
    )


def load_concepts(
    extra: Mapping[str, Any] | None = None,
) -> tuple[tuple[Concept, ...], tuple[str, ...]]:
    """Packaged concepts merged with ``extra`` (the config's ``[gags]`` table), and the
    fallback gags. A string or list under a concept's name is shorthand for its ``gags``."""
    from video_gen.data import load

    data = load("gags.toml")
    concepts: dict[str, Concept] = {}
    for key, table in sorted(data.get("concepts", {}).items()):
        concepts[key] = _concept(key, table, None, "packaged")
    fallback = tuple(
        _check_template("[fallback] gags", g) for g in data.get("fallback", {}).get("gags", [])
    )
    for key in sorted(extra or {}):
        value = (extra or {})[key]
        if isinstance(value, (str, list)):
            value = {"gags": value}
        if not isinstance(value, Mapping):
            raise ConfigError(f"[gags] {key} must be a table, a string or a list of strings")
        concepts[key] = _concept(key, value, concepts.get(key), "config")
    return tuple(concepts[k] for k in sorted(concepts)), fallback


# -- finding ---------------------------------------------------------------------------------
def _import_matches(module: str, prefixes: Iterable[str]) -> bool:
    if module.startswith("."):
        return False
    return any(module == p or module.startswith((p + ".", p + "/", p + "::")) for p in prefixes)


def _hits(counted: Sequence[Counted], keywords: frozenset[str]) -> list[Counted]:
    return [c for c in counted if not keywords.isdisjoint(words(c.name))]


class _Collector:
    def __init__(self) -> None:
        self.score = 0.0
        self.symbols: list[str] = []
        self.files: list[str] = []
        self.imports: list[str] = []
        self.signals: list[str] = []

    def symbol(self, name: str, path: str) -> None:
        if name not in self.symbols:
            self.symbols.append(name)
        self.file(path)

    def file(self, path: str) -> None:
        if path and path not in self.files:
            self.files.append(path)

    def evidence(self) -> Evidence:
        return Evidence(
            tuple(self.symbols[:5]),
            tuple(self.files[:5]),
            tuple(self.imports[:5]),
            tuple(self.signals),
        )


def find_concepts(
    facts: RepoFacts, ranking: Ranking, concepts: Sequence[Concept]
) -> tuple[Match, ...]:
    """Every concept with enough evidence, strongest first (ties by key)."""
    ranked = ranking.symbols
    top = ranked[0].score if ranked and ranked[0].score > 0 else 1.0
    sym_words = [frozenset(words(s.name)) for s in ranked]
    path_words = [(p, frozenset(words(p.rsplit(".", 1)[0]))) for p in facts.paths]
    matches: list[Match] = []
    for c in concepts:
        col = _Collector()
        n = 0
        for s, ws in zip(ranked, sym_words, strict=True):
            if not c.keywords.isdisjoint(ws):
                col.score += 1.0 + 4.0 * s.score / top
                col.symbol(s.name, s.file)
                n += 1
                if n == 8:
                    break
        for verb, group in (("raises", facts.raised), ("catches", facts.caught)):
            for hit in _hits(group, c.keywords)[:3]:
                col.score += 1.0
                col.signals.append(f"{verb} {hit.name}")
                for p in hit.files[:1]:
                    col.file(p)
        for hit in _hits(facts.decorators, c.keywords)[:3]:
            col.score += 1.0
            col.signals.append(f"decorator @{hit.name}")
            for p in hit.files[:1]:
                col.file(p)
        if c.imports:
            for imp in [i for i in facts.imports if _import_matches(i.name, c.imports)][:3]:
                col.score += 2.0
                col.imports.append(imp.name)
                for p in imp.files[:2]:
                    col.file(p)
        n = 0
        for p, ws in path_words:
            if not c.keywords.isdisjoint(ws):
                col.score += 0.5
                col.file(p)
                n += 1
                if n == 6:
                    break
        _signals(c, facts, ranked, col)
        score = col.score * c.weight
        if score >= MIN_SCORE:
            matches.append(Match(c, score, col.evidence()))
    matches.sort(key=lambda m: (-round(m.score, 9), m.concept.key))
    return tuple(matches)


def _signals(c: Concept, facts: RepoFacts, ranked: Sequence[RankedSymbol], col: _Collector) -> None:
    for signal in c.signals:
        if signal == "recursive":
            found = [s for s in ranked if s.recursive][:3]
            col.score += 2.0 * len(found)
        elif signal == "async":
            found = [s for s in ranked if s.is_async][:4]
            col.score += 1.0 * len(found)
        elif signal == "exceptions":
            found = [s for s in ranked if s.is_exception][:5]
            col.score += 1.0 * len(found)
        else:  # tests
            tests = facts.test_files[:6]
            col.score += 0.5 * len(tests)
            if tests:
                col.signals.append(f"{len(facts.test_files)} test files")
            for p in tests[:3]:
                col.file(p)
            continue
        if found:
            col.signals.append(f"{signal}: {len(found)} symbols")
        for s in found:
            col.symbol(s.name, s.file)


# -- choosing --------------------------------------------------------------------------------
def _pick(seed: str, options: Sequence[str]) -> str:
    """A gag variant chosen by a stable hash: varied across projects, fixed for one."""
    n = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:12], 16)
    return options[n % len(options)]


def _label_for(m: Match, used: set[str], project: str) -> str:
    for name in m.evidence.symbols:
        if name not in used:
            return name
    for name in m.evidence.imports:
        if name not in used:
            return name
    for path in m.evidence.files:
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if stem not in used:
            return stem
    return m.evidence.symbols[0] if m.evidence.symbols else project


def choose_gags(
    matches: Sequence[Match],
    ranking: Ranking,
    fallback: Sequence[str],
    *,
    count: int,
    project: str,
    avoid: Iterable[str] = (),
) -> tuple[ChosenGag, ...]:
    """The ``count`` strongest concepts as gags, topped up with fallback gags when short.

    Each gag's label is its strongest evidence not already on screen (``avoid``: the cast's
    symbols; then earlier gags' labels), so the film names as many symbols as it can."""
    used: set[str] = set(avoid)
    out: list[ChosenGag] = []
    for m in matches[:count]:
        label = _label_for(m, used, project)
        used.add(label)
        out.append(
            ChosenGag(
                m.concept.key,
                m.concept.title,
                _pick(f"{project}\0{m.concept.key}", m.concept.gags),
                label,
                m.score,
                m.evidence,
            )
        )
    spare = [s for s in ranking.symbols if s.name not in used]
    i = 0
    while len(out) < count and fallback:
        sym = spare[i] if i < len(spare) else None
        label = sym.name if sym else project
        evidence = Evidence(
            (sym.name,) if sym else (),
            (sym.file,) if sym else (),
            (),
            ("fallback: no further concept found",),
        )
        out.append(
            ChosenGag("fallback", "slapstick", fallback[i % len(fallback)], label, 0.0, evidence)
        )
        used.add(label)
        i += 1
    return tuple(out)
