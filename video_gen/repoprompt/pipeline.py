"""``build()``: a repository in, fitted video prompts out. Every stage in its own module.

    scan -> read + extract (cached per file, parallel) -> summarize + rank (cached per tree)
         -> metadata -> core concepts (public surface) -> kind and world -> compose -> fit

The output (``Result.to_text/to_json/to_batch``) is byte-identical for the same repository and
options: across runs, ``PYTHONHASHSEED`` values, worker counts, cold or warm cache and file-system
order. Everything is sorted before it is iterated, results are keyed by path, fresh analyses pass
through the same JSON form as cached ones, and run statistics (cache hits, timings) are kept out
of the output.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from video_gen.errors import UsageError
from video_gen.repoprompt.analysis import Analysis, analyze, tree_digest
from video_gen.repoprompt.cache import RepoCache
from video_gen.repoprompt.compose import (
    CLIP_SECONDS,
    MAX_CAST,
    MAX_SCENES,
    CastMember,
    Storyboard,
    compose,
    render,
)
from video_gen.repoprompt.extract import ReadFile, default_workers, extract_files
from video_gen.repoprompt.facts import AnalyzedFile, FileFacts, is_test_path, module_name
from video_gen.repoprompt.fit import (
    DEFAULT_LEVEL,
    LEVELS,
    FittedPrompt,
    LazyCounter,
    fit,
    fit_key,
)
from video_gen.repoprompt.metadata import ProjectMeta, read_metadata
from video_gen.repoprompt.rank import RankedSymbol
from video_gen.repoprompt.scan import ScanResult, SourceFile, scan
from video_gen.repoprompt.scrub import scrub, secret_shaped
from video_gen.repoprompt.styles import DEFAULT_STYLE, available_styles, load_style
from video_gen.repoprompt.surface import mention_bonus
from video_gen.repoprompt.world import KindChoice, Library, archetype_of, infer_kind, load_library

SCHEMA_VERSION = 2
DEFAULT_SECONDS = 12
TOP_SYMBOLS_SHOWN = 25


@dataclass(frozen=True)
class Options:
    level: str = DEFAULT_LEVEL
    style: str = DEFAULT_STYLE
    scenes: int = 1
    seconds: int = DEFAULT_SECONDS

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "cap": LEVELS[self.level],
            "style": self.style,
            "scenes": self.scenes,
            "seconds": self.seconds,
            "runtime": self.scenes * self.seconds,
        }


@dataclass
class RunStats:
    """How the run went (not part of the output: it differs between cold and warm runs)."""

    workers: int = 1
    files: int = 0  # source files found by the scan
    tests: int = 0  # of which test files: counted, never read
    stat_hits: int = 0  # files not even read: size and mtime matched the index
    read: int = 0  # files read and hashed
    parsed: int = 0  # files actually parsed (the rest came from the facts cache)
    analysis_cached: bool = False
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenePrompt:
    name: str
    index: int
    seconds: int
    prompt: str
    tokens: int
    cap: int
    symbols: tuple[str, ...]
    dropped: tuple[str, ...]
    truncated: bool
    intertitle: str = ""  # the film's card before this scene ("": none)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "index": self.index,
            "seconds": self.seconds,
            "intertitle": self.intertitle or None,
            "prompt": self.prompt,
            "tokens": self.tokens,
            "cap": self.cap,
            "symbols": list(self.symbols),
            "dropped": list(self.dropped),
            "truncated": self.truncated,
        }


@dataclass(frozen=True)
class Result:
    options: Options
    project: ProjectMeta
    scan: ScanResult
    analysis: Analysis
    kind: KindChoice
    about: str
    storyboard: Storyboard
    scenes: tuple[ScenePrompt, ...]
    tokenizer: str
    tokenizer_exact: bool
    warnings: tuple[str, ...]
    stats: RunStats = field(compare=False)

    @property
    def prompt(self) -> str:
        """The prompt (one scene), or every scene's prompt under a header."""
        if len(self.scenes) == 1:
            return self.scenes[0].prompt
        return "\n\n".join(
            f"# Scene {s.index}/{len(self.scenes)} ({s.seconds} s, {s.tokens} tokens)\n{s.prompt}"
            for s in self.scenes
        )

    @property
    def symbols(self) -> tuple[str, ...]:
        """Ranked symbols named anywhere in the prompts."""
        out: list[str] = []
        for s in self.scenes:
            out.extend(x for x in s.symbols if x not in out)
        return tuple(out)

    def skipped_counts(self) -> dict[str, int]:
        counts = dict(self.scan.skipped_counts())
        for _, reason in self.analysis.facts.content_skipped:
            counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items()))

    def to_text(self) -> str:
        return self.prompt + "\n"

    def to_batch(self) -> str:
        """JSONL for ``video-gen batch`` and ``film``: one ``{"name", "prompt", "seconds"}`` line
        per scene, with its ``intertitle`` (the film's card before it) when it has one."""
        lines = []
        for s in self.scenes:
            item: dict[str, Any] = {"name": s.name, "prompt": s.prompt, "seconds": s.seconds}
            if s.intertitle:
                item["intertitle"] = s.intertitle
            lines.append(json.dumps(item, ensure_ascii=False) + "\n")
        return "".join(lines)

    def to_json(self) -> dict[str, Any]:
        facts = self.analysis.facts
        ranking = self.analysis.ranking
        skipped = sorted([*self.scan.skipped, *facts.content_skipped])
        return {
            "schema": SCHEMA_VERSION,
            "project": self.project.to_json(),
            "options": self.options.to_json(),
            "prompt": self.prompt,
            "scenes": [s.to_json() for s in self.scenes],
            "tokens": {
                "counter": self.tokenizer,
                "exact": self.tokenizer_exact,
                "cap": LEVELS[self.options.level],
                "per_scene": [s.tokens for s in self.scenes],
                "total": sum(s.tokens for s in self.scenes),
            },
            "symbols": list(self.symbols),
            "kind": self.kind.to_json(),
            "about": self.about,
            "cast": [c.to_json() for c in self.storyboard.cast],
            "ranking": [
                {
                    "name": s.name,
                    "qualname": s.qualname,
                    "kind": s.kind,
                    "file": s.file,
                    "line": s.line,
                    "score": round(s.score, 8),
                    "inbound": s.inbound,
                    "definitions": s.definitions,
                    "surface": round(s.surface, 4),
                    "signals": list(s.signals),
                }
                for s in ranking.top(TOP_SYMBOLS_SHOWN)
            ],
            "facts": {
                "files": facts.files,
                "languages": dict(facts.languages),
                "symbols": facts.symbols,
                "ranked_names": len(ranking.symbols),
                "graph": {
                    "nodes": ranking.nodes,
                    "edges": ranking.edges,
                    "iterations": ranking.iterations,
                },
                "test_files": len(facts.test_files),
                "imports": [{"module": c.name, "files": c.count} for c in facts.imports[:15]],
                "decorators": [{"name": c.name, "files": c.count} for c in facts.decorators[:10]],
                "exceptions": {
                    "raised": [{"name": c.name, "files": c.count} for c in facts.raised[:10]],
                    "caught": [{"name": c.name, "files": c.count} for c in facts.caught[:10]],
                },
                "modules": [{"file": p, "doc": d} for p, d in facts.docs[:10]],
            },
            "skipped": {
                "counts": self.skipped_counts(),
                "files": [{"path": p, "reason": r} for p, r in skipped[:100]],
            },
            "warnings": list(self.warnings),
        }


def _about(meta: ProjectMeta) -> str:
    """The project's purpose in a sentence or two: its description, then the README's opening,
    without anything secret-shaped."""
    parts: list[str] = []
    for text in (meta.description, meta.readme):
        clean = scrub(text)
        if clean and not any(_same_words(clean, p) for p in parts):
            parts.append(clean if clean.endswith((".", "!", "?")) else clean + ".")
    return " ".join(parts)[:400]


def _same_words(a: str, b: str) -> bool:
    """Does ``a`` mostly repeat ``b`` (a README opening that restates the description)?"""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return bool(wa) and len(wa & wb) >= 0.6 * min(len(wa), len(wb))


def _core(
    analysis: Analysis, meta: ProjectMeta
) -> list[tuple[RankedSymbol, float, tuple[str, ...]]]:
    """The public surface with the README's and docs' mentions added: (symbol, score, why),
    best first. Centrality (PageRank) only breaks ties. Names too short to mean anything
    (``z``, ``_``) and secret-shaped names never make it."""
    scored = []
    for r in analysis.ranking.symbols:
        if len(r.name) < 3 or not r.name[0].isalpha():
            continue
        bonus, why = mention_bonus(r.name, meta.readme_mentions, meta.docs_mentions)
        scored.append((r, r.surface + bonus, r.signals + why))
    scored.sort(key=lambda t: (-t[1], -t[0].score, t[0].name))
    return [t for t in scored[: MAX_CAST * 8] if not secret_shaped(t[0].name)]


# When a symbol's own role is already taken in the cast, the next free one that suits its kind.
_SPARE_ROLES = {
    "type": ("type", "model", "collection", "contract", "factory", "field", "renderer"),
    "function": ("function", "factory", "collection", "handler", "argument", "parser"),
}


def _cast(
    library: Library, world_key: str, core: list[tuple[RankedSymbol, float, tuple[str, ...]]]
) -> tuple[CastMember, ...]:
    """Up to ``MAX_CAST`` core concepts, each with a role of its own in the world: the lead is
    the best-ranked one that is not an exception type; at most one exception type plays the
    trouble."""
    world = library.worlds[world_key]
    cast: list[CastMember] = []
    used: set[str] = set()
    for r, score, why in core:
        archetype, reason = archetype_of(
            library,
            name=r.name,
            kind=r.kind,
            bases=r.bases,
            methods=r.methods,
            is_exception=r.is_exception,
        )
        if archetype == "error" and (not cast or "error" in used):
            continue
        if archetype in used:
            spare = _SPARE_ROLES["function" if r.kind in ("function", "method") else "type"]
            free = [a for a in spare if a not in used] or [
                a for a in world.roles if a not in used and a != "error"
            ]
            if not free:
                continue
            reason += f"; {archetype} already cast, plays a {free[0]}"
            archetype = free[0]
        used.add(archetype)
        role = world.roles[archetype]
        cast.append(
            CastMember(
                symbol=r.name,
                archetype=archetype,
                image=role.image,
                action=role.action,
                evidence=(f"score {score:.2f}", *why, f"role: {reason}"),
                kind=r.kind,
                file=r.file,
            )
        )
        if len(cast) == MAX_CAST:
            break
    return tuple(cast)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "project"


def _validate(
    level: str,
    style: str,
    scenes: int,
    seconds: int,
    workers: int,
    extra_styles: Mapping[str, Any] | None,
) -> None:
    if level not in LEVELS:
        raise UsageError(
            f"unknown level {level!r}",
            hint="choose one of: " + ", ".join(f"{k} ({v} tokens)" for k, v in LEVELS.items()),
        )
    if seconds not in CLIP_SECONDS:
        raise UsageError(
            f"--seconds must be 4, 8 or 12 (a clip's length), not {seconds}",
            hint="use --scenes N for a longer film",
        )
    if not 1 <= scenes <= MAX_SCENES:
        raise UsageError(
            f"--scenes must be between 1 and {MAX_SCENES}, not {scenes}", hint="e.g. --scenes 8"
        )
    if workers < 0:
        raise UsageError(
            f"--workers must be 0 (automatic) or more, not {workers}", hint="e.g. --workers 0"
        )
    if not style:
        raise UsageError(
            "empty style name", hint="choose one of: " + ", ".join(available_styles(extra_styles))
        )


def _analysis(
    root: Path, scanned: ScanResult, *, workers: int, cache: RepoCache | None, stats: RunStats
) -> Analysis:
    # Test files are counted but never read: the story is the project's public surface, and
    # parsing a test suite (half the standard library's bytes) would only add votes to a
    # tie-breaker. Their content is not part of the analysis, so neither is their hash.
    tests = [f for f in scanned.files if is_test_path(f.path)]
    files = [f for f in scanned.files if not is_test_path(f.path)]
    stats.tests = len(tests)
    test_entries = [(f.path, f.language, "test") for f in tests]
    known: dict[str, str] = {}
    to_read: list[SourceFile] = []
    if cache is not None:
        cache.load_index()
        for f in files:
            sha = cache.known_sha(f)
            if sha is None:
                to_read.append(f)
            else:
                known[f.path] = sha
    else:
        to_read = list(files)
    facts_dir = cache.facts_dir if cache is not None else None
    read: dict[str, ReadFile] = extract_files(root, to_read, workers=workers, facts_dir=facts_dir)
    stats.stat_hits, stats.read = len(known), len(read)
    stats.parsed = sum(1 for r in read.values() if r.parsed)
    shas = {**known, **{p: r.sha256 for p, r in read.items()}}
    digest = tree_digest([(f.path, f.language, shas[f.path]) for f in files] + test_entries)
    if cache is not None:
        cached = cache.load_analysis(digest)
        if cached is not None:
            try:
                result = Analysis.from_json(cached)
            except (ValueError, KeyError, TypeError, IndexError):
                result = None
            if result is not None:
                stats.analysis_cached = True
                cache.save_index([(f, shas[f.path]) for f in files], reread=len(read))
                return result
    facts: dict[str, FileFacts] = {p: FileFacts.from_json(r.facts_json) for p, r in read.items()}
    missing = []
    for f in files:
        if f.path in facts:
            continue
        loaded = cache.load_facts(shas[f.path], f.language) if cache is not None else None
        if loaded is None:
            missing.append(f)  # the index knew it but its facts are gone: read it again
        else:
            facts[f.path] = loaded
    if missing:
        again = extract_files(root, missing, workers=workers, facts_dir=facts_dir)
        for p, r in again.items():
            facts[p] = FileFacts.from_json(r.facts_json)
            shas[p] = r.sha256
        stats.read += len(again)
        stats.parsed += sum(1 for r in again.values() if r.parsed)
    analyzed = [
        AnalyzedFile(f.path, shas[f.path], False, module_name(f.path), facts[f.path]) for f in files
    ] + [AnalyzedFile(f.path, "", True, module_name(f.path), FileFacts(f.language)) for f in tests]
    result = analyze(analyzed)
    if cache is not None:
        digest = tree_digest([(f.path, f.language, shas[f.path]) for f in files] + test_entries)
        cache.store_analysis(digest, result.to_json())
        cache.save_index([(f, shas[f.path]) for f in files], reread=stats.read)
    return result


def build(
    path: str | os.PathLike[str],
    *,
    level: str = DEFAULT_LEVEL,
    style: str = DEFAULT_STYLE,
    scenes: int = 1,
    seconds: int = DEFAULT_SECONDS,
    workers: int = 0,
    use_cache: bool = True,
    extra_styles: Mapping[str, Any] | None = None,
    git: bool = True,
    cache_base: Path | None = None,
) -> Result:
    """Read the repository at ``path`` and write its story as fitted video prompts.

    ``level``: ultra-low, low, medium or high (120/250/500/1000 tokens per prompt).
    ``style``: a packaged style (chaplin, noir, keystone, documentary) or one in ``extra_styles``
    (the config's ``[styles]`` table). ``scenes``: clips in the storyboard (1-12), each
    ``seconds`` long (4, 8 or 12). ``workers``: extraction processes, 0 = automatic (the output
    never depends on it). ``use_cache``: read and write the cache under
    ``video_gen.paths.cache_dir()/repoprompt`` (or ``cache_base``). ``git``: read recent commit
    subjects when the root holds a ``.git`` (kept in the JSON facts, never put in a prompt).

    Raises ``UsageError`` for bad options, a missing path or a folder with no code to read, and
    ``ConfigError`` for a bad style.
    """
    _validate(level, style, scenes, seconds, workers, extra_styles)
    stats = RunStats(workers=workers or default_workers())
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stats.timings[name] = round(now - clock, 4)
        clock = now

    style_obj = load_style(style, extra_styles)
    library = load_library()
    counter = LazyCounter()
    lap("setup")
    scanned = scan(path)
    stats.files = len(scanned.files)
    if not scanned.files:
        raise UsageError(
            f"{path}: no source code to read (no .py, .js, .ts, .go, .rs or .java files"
            " outside ignored and vendored folders)",
            hint="pass the folder of a code repository",
        )
    lap("scan")
    cache = RepoCache(scanned.root, cache_base) if use_cache else None
    analysis = _analysis(scanned.root, scanned, workers=stats.workers, cache=cache, stats=stats)
    if analysis.facts.files == 0:
        raise UsageError(
            f"{path}: none of its {len(scanned.files)} source files could be read"
            " (binary, minified, generated, undecodable or broken)",
            hint="pass the folder of a code repository",
        )
    lap("analysis")
    meta = read_metadata(scanned.root, git=git)
    lap("metadata")
    name = meta.name if not secret_shaped(meta.name) else scanned.root.name
    about = _about(meta)
    cast_symbols = _core(analysis, meta)
    kind = infer_kind(
        library,
        description=meta.description,
        readme=meta.readme,
        names=[r.name for r, _, _ in cast_symbols[:30]],
        imports=analysis.facts.imports,
    )
    cast = _cast(library, kind.world, cast_symbols)
    if not cast:
        # Code, but nothing in it to make a character of (one tiny function, only scripts):
        # a story needs a hero, and a storyboard without one would be clips of nothing.
        raise UsageError(
            f"{path}: its {analysis.facts.files} source file(s) define no public class or"
            " function to cast as the story's hero",
            hint="pass a repository with a public API (a package, a library), or write the"
            " storyboard by hand (docs/batch.md)",
        )
    board = compose(
        project=name,
        about=about,
        world=library.worlds[kind.world],
        style=style_obj,
        cast=cast,
        scenes=scenes,
        seconds=seconds,
    )
    lap("compose")
    slug = _slug(name)
    prompts: list[ScenePrompt] = []
    tokenizer: tuple[str, bool, str] | None = None  # (name, exact, warning) from the cache
    for clip in board.clips:
        key = fit_key(clip.pieces, level, clip.seconds)
        entry = cache.load_fit(key) if cache is not None else None
        try:
            fitted = FittedPrompt.from_json(entry["fitted"]) if entry else None
            if entry:
                tokenizer = (str(entry["tokenizer"]), bool(entry["exact"]), str(entry["warning"]))
        except (KeyError, TypeError, ValueError):
            fitted = None
        if fitted is None:
            fitted = fit(
                clip.pieces, functools.partial(render, seconds=clip.seconds), counter, level
            )
            if cache is not None:
                cache.store_fit(
                    key,
                    {
                        "fitted": fitted.to_json(),
                        "tokenizer": counter.name,
                        "exact": counter.exact,
                        "warning": counter.warning or "",
                    },
                )
        prompts.append(
            ScenePrompt(
                name=f"{slug}-{style_obj.name}-{clip.index:02d}"
                if scenes > 1
                else f"{slug}-{style_obj.name}",
                index=clip.index,
                seconds=clip.seconds,
                prompt=fitted.text,
                tokens=fitted.tokens,
                cap=fitted.cap,
                symbols=fitted.symbols,
                dropped=fitted.dropped,
                truncated=fitted.truncated,
                intertitle=clip.intertitle,
            )
        )
    lap("fit")
    # The tokenizer as it was (cached fits) or is (this run loaded it): the output says the same.
    if counter.loaded or tokenizer is None:
        name_exact_warning = (counter.name, counter.exact, counter.warning or "")
    else:
        name_exact_warning = tokenizer
    return Result(
        options=Options(level, style_obj.name, scenes, seconds),
        project=meta,
        scan=scanned,
        analysis=analysis,
        kind=kind,
        about=about,
        storyboard=board,
        scenes=tuple(prompts),
        tokenizer=name_exact_warning[0],
        tokenizer_exact=name_exact_warning[1],
        warnings=(name_exact_warning[2],) if name_exact_warning[2] else (),
        stats=stats,
    )
