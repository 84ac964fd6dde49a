"""The public surface: what a project hands its users, which is what a film about it should show.

Signals, strongest first (``surface_score`` adds them up; PageRank centrality only breaks ties):

- *listed*: named in an export list: Python's ``__all__`` or a package ``__init__.py``'s
  re-exports, JavaScript's ``export {...}`` / ``module.exports``, Rust's ``pub use``;
- *exported*: the language marks it public (``pub``, ``export``, a capital letter in Go outside
  ``internal/``), or, in Python, a name without a leading underscore in a module without one;
- *mentioned*: the README, docs and examples use it (added later, by ``mention_bonus``);
- a type (class, struct, interface, trait, enum) over a function, a function over a method.

Demoted: private names and modules, examples, docs, benchmarks, scripts and other non-library
folders, Go's ``internal/``. Tests never get here (ranking drops them), and minified, generated
and vendored files are never read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

# Folders whose code shows how to use the project, or builds or measures it, but is not it.
DEMOTED_DIRS = frozenset(
    {
        "example",
        "examples",
        "sample",
        "samples",
        "demo",
        "demos",
        "doc",
        "docs",
        "benchmark",
        "benchmarks",
        "bench",
        "benches",
        "script",
        "scripts",
        "tools",
        "tool",
        "contrib",
        "migrations",
        "fixtures",
        "internal",
        "_vendor",
        "vendored",
        "compat",
        "cmd",
        "xtask",
    }
)
_DEMOTED_SUFFIXES = ("-examples", "_examples", "-example", "_example", "-demo", "_demo")

TYPE_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "record"})

W_LISTED = 2.5
W_EXPORTED = 2.0
W_TYPE = 1.5
W_FUNCTION = 0.5
W_PRIVATE = -4.0
W_DEMOTED = -3.0
W_METHODS = 0.4  # a type many methods hang on is one the API is built around
MAX_METHODS = 2.0
W_DOCUMENTED = 0.5
MAX_DOCUMENTED = 2.5
W_MENTION_README = 3.0
W_MENTION_DOCS = 1.0
MAX_DOC_BONUS = 8.0


def demoted_area(path: str) -> str:
    """The folder that demotes ``path`` (``examples``, ``internal``...), or ""."""
    for part in path.split("/")[:-1]:
        low = part.lower()
        if low in DEMOTED_DIRS or low.endswith(_DEMOTED_SUFFIXES):
            return part
    return ""


def private_path(path: str) -> bool:
    """A module or folder named with a leading underscore (``__init__.py`` is not private)."""
    parts = path.split("/")
    for p in parts:
        stem = p.rsplit(".", 1)[0] if p is parts[-1] else p
        if stem.startswith("_") and not (stem.startswith("__") and stem.endswith("__")):
            return True
    return False


# Entry points and plumbing that every project has: never what the project is about.
PLUMBING = frozenset({"main", "run", "init", "setup", "teardown", "cli", "version", "help"})


def is_private_name(name: str, language: str) -> bool:
    if name.startswith(("_", "#", "$")):  # `$ZodType`: a library-internal convention
        return True
    return language == "go" and not name[:1].isupper()


def surface_score(
    *,
    name: str,
    kind: str,
    path: str,
    language: str,
    exported: bool,
    listed_in: str,
    doc_lines: int = 0,
    methods: int = 0,
) -> tuple[float, tuple[str, ...]]:
    """The code's own verdict on how public ``name`` is, and the signals behind it."""
    score = 0.0
    signals: list[str] = []
    if doc_lines >= 3:
        score += min(MAX_DOCUMENTED, W_DOCUMENTED * math.log2(1 + doc_lines))
        signals.append(f"documented ({doc_lines} lines)")
    if methods >= 3 and kind in TYPE_KINDS:
        score += min(MAX_METHODS, W_METHODS * math.log2(1 + methods))
        signals.append(f"{methods} methods")
    if listed_in:
        score += W_LISTED
        signals.append(f"listed in {listed_in}")
    private = is_private_name(name, language) or private_path(path)
    if exported and not private:
        score += W_EXPORTED
        signals.append("exported")
    elif language == "python" and not private:
        score += W_EXPORTED / 2
        signals.append("public name")
    if private and not listed_in:
        score += W_PRIVATE
        signals.append("private")
    area = demoted_area(path)
    if area and not listed_in:
        score += W_DEMOTED
        signals.append(f"in {area}/")
    if name.lower() in PLUMBING:
        score += W_PRIVATE
        signals.append("entry point or plumbing")
    if kind in TYPE_KINDS:
        score += W_TYPE
    elif kind == "function":
        score += W_FUNCTION
    return score, tuple(signals)


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_CODE = re.compile(r"```.*?```|~~~.*?~~~|``?[^`\n]+``?|^(?: {4}|\t).*$|^>>> .*$", re.S | re.M)


def _is_identifier_shaped(word: str) -> bool:
    """`add_column`, `safeParse`, `QuerySet`: no English word looks like that (but `Console`,
    `Join` or `render` may be English at the start of a sentence)."""
    return "_" in word or any(c.isupper() for c in word[1:])


def mention_counts(text: str) -> dict[str, int]:
    """How often each identifier occurs in ``text`` (case kept). Words that could be English
    ("render", "Console") count only inside code (fences, backticks, indented blocks, ``>>>``
    lines): in prose they are English, not the symbol of that name."""
    counts: dict[str, int] = {}
    for m in _TOKEN.finditer(text):
        w = m.group(0)
        if _is_identifier_shaped(w):
            counts[w] = counts.get(w, 0) + 1
    for block in _CODE.finditer(text):
        for m in _TOKEN.finditer(block.group(0)):
            w = m.group(0)
            if not _is_identifier_shaped(w):
                counts[w] = counts.get(w, 0) + 1
    return counts


def mention_bonus(
    name: str, readme: Mapping[str, int], docs: Mapping[str, int]
) -> tuple[float, tuple[str, ...]]:
    """Extra score for a name the README (and the docs and examples) use."""
    bonus = 0.0
    signals: list[str] = []
    r = readme.get(name, 0)
    if r:
        bonus += W_MENTION_README + 1.5 * math.log2(1 + r)
        signals.append(f"README mentions it {r}x")
    d = docs.get(name, 0)
    if d:
        bonus += min(MAX_DOC_BONUS, W_MENTION_DOCS * math.log2(1 + d))
        signals.append(f"docs/examples mention it {d}x")
    return bonus, tuple(signals)


def listed_names(
    files: Iterable[tuple[str, str, tuple[str, ...], frozenset[str]]],
) -> dict[str, str]:
    """name -> the first file (sorted) whose export list names it.

    ``files``: (path, language, exports, names defined in the file). A Python file's list counts
    when it is a package's ``__init__.py`` or lists its own definitions (``__all__``); a Rust
    file's ``pub use`` counts from ``lib.rs`` or a ``mod.rs``; JavaScript's always counts.
    """
    out: dict[str, str] = {}
    for path, language, exports, defined in sorted(files):
        if not exports or demoted_area(path):
            continue
        base = path.rsplit("/", 1)[-1]
        for name in exports:
            if language == "python" and base != "__init__.py" and name not in defined:
                continue
            if language == "rust" and base not in ("lib.rs", "mod.rs", "main.rs"):
                continue
            out.setdefault(name, path)
    return out
