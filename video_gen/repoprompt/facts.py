"""What extraction finds in one file, and what the whole repository adds up to.

Per-file facts depend on the file's bytes and language only (never on its path), so the cache can
store them by content hash. Path-dependent facts (is it a test, its module name) are added by
``AnalyzedFile``. Every type here round-trips through JSON exactly: a cached run and a fresh run
build the same objects, which is what keeps output byte-identical cold or warm.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Bump when extraction output changes for the same input: old cache entries are then ignored.
EXTRACTOR_VERSION = 6

MODULE_SYMBOL = "<module>"  # the pseudo-symbol that holds a file's top-level code

# Reasons a file read from disk produced no facts (counted, never a crash).
CONTENT_SKIPS = (
    "binary",
    "encoding",
    "generated",
    "long_lines",
    "minified",
    "syntax_error",
    "too_complex",
    "unreadable",
)


@dataclass(frozen=True)
class Symbol:
    """One definition: a class, function, method, struct, interface, trait, enum or type.

    ``calls`` holds called names; an attribute call (``x.run()``) is stored as ``.run`` so the
    ranker can tell it from a bare call. All tuples are sorted and duplicate-free.
    """

    name: str
    qualname: str
    kind: str
    line: int
    doc: str = ""
    bases: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    raises: tuple[str, ...] = ()
    catches: tuple[str, ...] = ()
    is_async: bool = False
    recursive: bool = False
    exported: bool = False  # the language marks it public: `pub`, `export`, a capital in Go
    doc_lines: int = 0  # lines of its doc comment or docstring: the API a project documents

    def to_list(self) -> list[Any]:
        return [
            self.name,
            self.qualname,
            self.kind,
            self.line,
            self.doc,
            list(self.bases),
            list(self.decorators),
            list(self.calls),
            list(self.raises),
            list(self.catches),
            int(self.is_async),
            int(self.recursive),
            int(self.exported),
            self.doc_lines,
        ]

    @classmethod
    def from_list(cls, data: Sequence[Any]) -> Symbol:
        return cls(
            name=str(data[0]),
            qualname=str(data[1]),
            kind=str(data[2]),
            line=int(data[3]),
            doc=str(data[4]),
            bases=tuple(data[5]),
            decorators=tuple(data[6]),
            calls=tuple(data[7]),
            raises=tuple(data[8]),
            catches=tuple(data[9]),
            is_async=bool(data[10]),
            recursive=bool(data[11]),
            exported=bool(data[12]),
            doc_lines=int(data[13]),
        )


@dataclass(frozen=True)
class FileFacts:
    """Everything extraction keeps of one file; ``skipped`` names why a file gave nothing."""

    language: str
    doc: str = ""
    imports: tuple[str, ...] = ()
    symbols: tuple[Symbol, ...] = ()
    skipped: str | None = None
    # Names the file hands to its users: Python's __all__ (else its relative re-exports),
    # JavaScript's export lists and module.exports, Rust's `pub use`.
    exports: tuple[str, ...] = ()

    def to_json(self) -> str:
        data = {
            "language": self.language,
            "doc": self.doc,
            "imports": list(self.imports),
            "symbols": [s.to_list() for s in self.symbols],
            "skipped": self.skipped,
            "exports": list(self.exports),
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> FileFacts:
        data = json.loads(text)
        return cls(
            language=str(data["language"]),
            doc=str(data["doc"]),
            imports=tuple(data["imports"]),
            symbols=tuple(Symbol.from_list(s) for s in data["symbols"]),
            skipped=data["skipped"],
            exports=tuple(data["exports"]),
        )

    @classmethod
    def skip(cls, language: str, reason: str) -> FileFacts:
        return cls(language=language, skipped=reason)


@dataclass(frozen=True)
class AnalyzedFile:
    """A file's facts together with what its path says about it."""

    path: str  # POSIX, relative to the repository root
    sha256: str
    is_test: bool
    module: str
    facts: FileFacts


_TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "testdata"})
_TEST_NAME = re.compile(
    r"test_.*\.py|.*_test\.(py|go)|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?"
    r"|Test\w*\.java|\w+Tests?\.java"
)


def is_test_path(path: str) -> bool:
    """Tests and test helpers: files under tests/, test_*, *_test, conftest, *.spec.ts ..."""
    parts = path.split("/")
    if any(p in _TEST_DIRS for p in parts[:-1]):
        return True
    return bool(_TEST_NAME.fullmatch(parts[-1]))


def module_name(path: str) -> str:
    """A dotted module name from a relative path: ``pkg/mod.py`` -> ``pkg.mod``."""
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    parts = [p for p in stem.split("/") if p]
    if len(parts) > 1 and parts[-1] in ("__init__", "index", "mod", "lib", "main"):
        parts = parts[:-1]
    return ".".join(parts)


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(identifier: str) -> tuple[str, ...]:
    """Lower-case words of an identifier or path: ``HTTPRetryPolicy`` -> http, retry, policy."""
    return tuple(w.lower() for w in _WORD.findall(identifier))


@dataclass(frozen=True)
class Counted:
    """A name, how many files mention it, and the first few of those files (sorted)."""

    name: str
    count: int
    files: tuple[str, ...]

    def to_list(self) -> list[Any]:
        return [self.name, self.count, list(self.files)]

    @classmethod
    def from_list(cls, data: Sequence[Any]) -> Counted:
        return cls(str(data[0]), int(data[1]), tuple(data[2]))


@dataclass(frozen=True)
class RepoFacts:
    """The repository as a whole: counts and the names concept mapping looks for."""

    files: int
    languages: tuple[tuple[str, int], ...]
    symbols: int
    test_files: tuple[str, ...]  # every test file, sorted
    paths: tuple[str, ...]  # every analyzed non-test file, sorted
    imports: tuple[Counted, ...]
    decorators: tuple[Counted, ...]
    raised: tuple[Counted, ...]
    caught: tuple[Counted, ...]
    content_skipped: tuple[tuple[str, str], ...]  # (path, reason), sorted by path
    docs: tuple[tuple[str, str], ...]  # (path, module docstring first line), non-test, sorted

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "languages": [list(x) for x in self.languages],
            "symbols": self.symbols,
            "test_files": list(self.test_files),
            "paths": list(self.paths),
            "imports": [c.to_list() for c in self.imports],
            "decorators": [c.to_list() for c in self.decorators],
            "raised": [c.to_list() for c in self.raised],
            "caught": [c.to_list() for c in self.caught],
            "content_skipped": [list(x) for x in self.content_skipped],
            "docs": [list(x) for x in self.docs],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoFacts:
        return cls(
            files=int(data["files"]),
            languages=tuple((str(a), int(b)) for a, b in data["languages"]),
            symbols=int(data["symbols"]),
            test_files=tuple(data["test_files"]),
            paths=tuple(data["paths"]),
            imports=tuple(Counted.from_list(c) for c in data["imports"]),
            decorators=tuple(Counted.from_list(c) for c in data["decorators"]),
            raised=tuple(Counted.from_list(c) for c in data["raised"]),
            caught=tuple(Counted.from_list(c) for c in data["caught"]),
            content_skipped=tuple((str(a), str(b)) for a, b in data["content_skipped"]),
            docs=tuple((str(a), str(b)) for a, b in data["docs"]),
        )


def _count(pairs: Iterable[tuple[str, str]], keep_files: int = 5) -> tuple[Counted, ...]:
    """(name, file) pairs -> names sorted by how many files mention them, then by name."""
    by_name: dict[str, set[str]] = {}
    for name, path in pairs:
        by_name.setdefault(name, set()).add(path)
    out = [Counted(n, len(fs), tuple(sorted(fs)[:keep_files])) for n, fs in by_name.items()]
    out.sort(key=lambda c: (-c.count, c.name))
    return tuple(out)


def summarize(files: Sequence[AnalyzedFile]) -> RepoFacts:
    """Add up per-file facts into ``RepoFacts`` (input in any order; output sorted)."""
    ordered = sorted(files, key=lambda f: f.path)
    languages: dict[str, int] = {}
    imports: list[tuple[str, str]] = []
    decorators: list[tuple[str, str]] = []
    raised: list[tuple[str, str]] = []
    caught: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    docs: list[tuple[str, str]] = []
    tests: list[str] = []
    paths: list[str] = []
    n_symbols = 0
    for f in ordered:
        facts = f.facts
        if facts.skipped:
            skipped.append((f.path, facts.skipped))
            continue
        languages[facts.language] = languages.get(facts.language, 0) + 1
        (tests if f.is_test else paths).append(f.path)
        if f.is_test:
            continue
        if facts.doc:
            docs.append((f.path, facts.doc))
        imports.extend((m, f.path) for m in facts.imports)
        for s in facts.symbols:
            if s.name != MODULE_SYMBOL:
                n_symbols += 1
            decorators.extend((d, f.path) for d in s.decorators)
            raised.extend((r, f.path) for r in s.raises)
            caught.extend((c, f.path) for c in s.catches)
    return RepoFacts(
        files=sum(languages.values()),
        languages=tuple(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        symbols=n_symbols,
        test_files=tuple(tests),
        paths=tuple(paths),
        imports=_count(imports),
        decorators=_count(decorators),
        raised=_count(raised),
        caught=_count(caught),
        content_skipped=tuple(skipped),
        docs=tuple(docs),
    )
