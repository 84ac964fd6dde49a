"""A project's name and one-line story: manifests, the README's opening, recent commit subjects.

Read, never executed: ``pyproject.toml`` ([project], then [tool.poetry]), ``package.json``,
``Cargo.toml``, ``setup.cfg`` ([metadata]) and ``go.mod``, first found wins for each field; the
folder's name when none names the project. Commit subjects come from ``git log`` (read-only,
two-second timeout, only when the root itself holds a ``.git``); any failure means no subjects.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from video_gen.repoprompt.scan import language_of
from video_gen.repoprompt.surface import mention_counts

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

MAX_MANIFEST_BYTES = 512 * 1024
README_CHARS = 300
COMMITS = 5
GIT_TIMEOUT = 2.0


@dataclass(frozen=True)
class ProjectMeta:
    name: str
    description: str
    readme: str  # the README's first prose paragraph, plain text
    commits: tuple[str, ...]  # recent commit subjects, newest first
    sources: tuple[str, ...]  # which files said something, e.g. ("pyproject.toml", "README.md")
    # identifier -> occurrences in the README, and in docs/ and examples/ (ranking evidence)
    readme_mentions: dict[str, int] = field(default_factory=dict, compare=False)
    docs_mentions: dict[str, int] = field(default_factory=dict, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "readme": self.readme,
            "commits": list(self.commits),
            "sources": list(self.sources),
        }


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _clean(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _toml(text: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return {}
    return data


def _pyproject(text: str) -> tuple[str, str]:
    data = _toml(text)
    for table in (data.get("project"), data.get("tool", {}).get("poetry")):
        if isinstance(table, dict) and (table.get("name") or table.get("description")):
            return _clean(table.get("name")), _clean(table.get("description"))
    return "", ""


def _package_json(text: str) -> tuple[str, str]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # deep nesting is valid JSON, but not a manifest
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    return _clean(data.get("name")), _clean(data.get("description"))


def _cargo(text: str) -> tuple[str, str]:
    pkg = _toml(text).get("package")
    if not isinstance(pkg, dict):
        return "", ""
    return _clean(pkg.get("name")), _clean(pkg.get("description"))


def _setup_cfg(text: str) -> tuple[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return "", ""
    if not parser.has_section("metadata"):
        return "", ""
    return (
        _clean(parser.get("metadata", "name", fallback="")),
        _clean(parser.get("metadata", "description", fallback="")),
    )


def _go_mod(text: str) -> tuple[str, str]:
    m = re.search(r"^module\s+(\S+)", text, re.M)
    return (m.group(1).rstrip("/").rsplit("/", 1)[-1], "") if m else ("", "")


_GO_DOC = re.compile(r"((?:^//[^\n]*\n)+|^/\*.*?\*/)\s*package\s+\w+", re.M | re.S)


def go_package_doc(root: Path) -> str:
    """The first sentence of the root package's doc comment (`// Package gin implements...`)."""
    try:
        names = sorted(n for n in os.listdir(root) if n.endswith(".go") and "_test" not in n)
    except OSError:
        return ""
    if "doc.go" in names:
        names.remove("doc.go")
        names.insert(0, "doc.go")
    for name in names[:20]:
        text = _read(root / name)
        m = _GO_DOC.search(text or "")
        if m and "Package " in m.group(1):
            doc = " ".join(
                line.strip().lstrip("/*").rstrip("*/").strip() for line in m.group(1).splitlines()
            )
            doc = doc[doc.index("Package ") :]
            return shorten(re.split(r"(?<=\.)\s", doc, maxsplit=1)[0], 200)
    return ""


_MANIFESTS = (
    ("pyproject.toml", _pyproject),
    ("package.json", _package_json),
    ("Cargo.toml", _cargo),
    ("setup.cfg", _setup_cfg),
    ("go.mod", _go_mod),
)
_README_ORDER = ("readme.md", "readme.rst", "readme.txt", "readme", "readme.markdown")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"[*_`]+|<[^>]+>|:[a-z]+:`([^`]*)`")


def readme_paragraph(text: str, limit: int = README_CHARS) -> str:
    """The first paragraph of prose: headings, badges, HTML, lists and code are passed over."""
    in_fence = False
    block: list[str] = []
    blocks: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("```", "~~~")):
            in_fence = not in_fence
            if block:
                blocks.append(block)
                block = []
            continue
        if in_fence:
            continue
        if not line:
            if block:
                blocks.append(block)
                block = []
            continue
        block.append(line)
    if block:
        blocks.append(block)
    for b in blocks:
        first = b[0]
        if first.startswith(("#", "[!", "![", "<", "..", "|", ">", "-", "*", "+", "=", ":", "$")):
            continue
        if len(b) > 1 and set(b[1]) <= set("=-~^\"'`#*+"):
            continue  # an underlined (RST / setext) heading
        if set(first) <= set("=-~^\"'`#*+"):
            continue
        prose = " ".join(line for line in b if not set(line) <= set("=-~^\"'`#*+"))
        prose = _LINK.sub(r"\1", prose)
        prose = _MARKUP.sub(lambda m: m.group(1) or "", prose)
        prose = " ".join(prose.split())
        if len(prose) < 12 or not re.search(r"[A-Za-z]{3}", prose) or _boring(prose):
            continue
        return shorten(prose, limit)
    return ""


_BORING = re.compile(
    r"(?i)^(?:licen[cs]e|licensed|dual[- ]licensed|copyright|\(c\)|released under|install|"
    r"installation|to install|download|version \d|release|changelog|what's new|note:|warning:|"
    r"sponsor|supported by|backed by|trusted by|table of contents|build status|see also|"
    r"for (?:more|a video|the latest)|read the docs|documentation:)"
    r"|\b(?:pip|npm|yarn|pnpm|cargo|go) (?:install|add|get)\b|readme\b.*[•|/·]|[•|·].*\breadme\b"
    r"|^\W*(?:english|简体中文|繁體中文|日本語|한국어|español|deutsch|français|русский)\b"
    r"|\bv?\d+\.\d+(?:\.\d+)? (?:is|was) (?:out|released)\b"
)


def _boring(prose: str) -> bool:
    """Badges' text, language bars, licence, install, sponsor and release lines: not a purpose."""
    return bool(_BORING.search(prose))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a sentence or word end (with an ellipsis)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if stop >= limit // 2:
        return cut[: stop + 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut[: limit - 1]).rstrip(",;:") + "…"


def git_subjects(root: Path, limit: int = COMMITS, timeout: float = GIT_TIMEOUT) -> tuple[str, ...]:
    """Recent commit subjects (newest first), or nothing when git is absent, slow or unhappy."""
    if not (root / ".git").exists():
        return ()
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "LC_ALL": "C",
        "GIT_PAGER": "cat",
    }
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "log", f"-n{limit}", "--no-merges", "--format=%s"],
            capture_output=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if done.returncode != 0:
        return ()
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return tuple(shorten(" ".join(s.split()), 100) for s in lines if s.strip())[:limit]


def read_metadata(root: Path, *, git: bool = True) -> ProjectMeta:
    name = description = ""
    sources: list[str] = []
    for filename, parse in _MANIFESTS:
        text = _read(root / filename)
        if text is None:
            continue
        n, d = parse(text)
        if n or d:
            sources.append(filename)
        name = name or n
        description = description or d
    readme = ""
    readme_text = ""
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        entries = []
    by_lower = {e.lower(): e for e in reversed(entries)}  # the first spelling wins
    for candidate in _README_ORDER:
        if candidate in by_lower:
            text = _read(root / by_lower[candidate])
            if text:
                readme_text = readme_text or text
                readme = readme_paragraph(text)
                if readme:
                    sources.append(by_lower[candidate])
                    break
    if not description and (root / "go.mod").is_file():
        description = go_package_doc(root)
        if description:
            sources.append("package doc")
    commits = git_subjects(root) if git else ()
    if commits:
        sources.append("git log")
    return ProjectMeta(
        name=shorten(name or root.name or "project", 60),
        description=shorten(description, 200),
        readme=readme,
        commits=commits,
        sources=tuple(sources),
        readme_mentions=mention_counts(readme_text),
        docs_mentions=_docs_mentions(root),
    )


DOCS_DIRS = ("docs", "doc", "examples", "example", "_examples")
DOCS_SUFFIXES = (".md", ".rst", ".txt", ".markdown")
MAX_DOCS_BYTES = 3_000_000
MAX_DOCS_FILES = 300
TEACHING_WEIGHT = 5
_TEACHES = re.compile(
    r"(?i)(?:^|[/_-])(?:intro|tutorial|tutorials|quickstart|quick[-_]start|getting[-_]started|"
    r"overview|basics|first[-_]steps|examples?)(?:[/_.\d-]|$)"
)


def _docs_mentions(root: Path) -> dict[str, int]:
    """Identifier counts over docs/ and examples/ (prose and code), shallow files first, at most
    60 files and 1 MB: enough to see which names the documentation teaches."""
    files: list[tuple[int, str]] = []
    for top in DOCS_DIRS:
        base = root / top
        if not base.is_dir() or base.is_symlink():
            continue
        for dirpath, dirnames, names in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
            rel = os.path.relpath(dirpath, root)
            depth = rel.count(os.sep)
            for n in sorted(names):
                if n.endswith(DOCS_SUFFIXES) or language_of(n):
                    files.append((depth, os.path.join(rel, n)))
    counts: dict[str, int] = {}
    total = 0
    # What a tutorial or quick start teaches is the core; a reference lists everything.
    ordered = sorted(files, key=lambda f: (not _TEACHES.search(f[1]), f[0], f[1]))
    for _, rel in ordered[:MAX_DOCS_FILES]:
        text = _read(root / rel)
        if not text:
            continue
        text = text[: MAX_DOCS_BYTES - total]
        total += len(text)
        weight = TEACHING_WEIGHT if _TEACHES.search(rel) else 1
        for k, v in mention_counts(text).items():
            counts[k] = counts.get(k, 0) + v * weight
        if total >= MAX_DOCS_BYTES:
            break
    return counts
