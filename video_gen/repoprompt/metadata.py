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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        if len(prose) < 12 or not re.search(r"[A-Za-z]{3}", prose):
            continue
        return shorten(prose, limit)
    return ""


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
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        entries = []
    by_lower = {e.lower(): e for e in reversed(entries)}  # the first spelling wins
    for candidate in _README_ORDER:
        if candidate in by_lower:
            text = _read(root / by_lower[candidate])
            if text:
                readme = readme_paragraph(text)
                if readme:
                    sources.append(by_lower[candidate])
                    break
    commits = git_subjects(root) if git else ()
    if commits:
        sources.append("git log")
    return ProjectMeta(
        name=shorten(name or root.name or "project", 60),
        description=shorten(description, 200),
        readme=readme,
        commits=commits,
        sources=tuple(sources),
    )
