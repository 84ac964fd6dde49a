"""Which files of a repository to read: a stat-only walk, deterministic, never following links.

Honoured, in git's order: ``.git/info/exclude``, then every ``.gitignore`` from the root down (a
deeper file overrides a shallower one, ``!negations`` included; an ignored folder is not entered).
Skipped and counted: vendored and build folders, virtualenvs, files over the size limit, and
symbolic links (git stores a link as a link; the target, when inside the root, is scanned in
place, and a link leading outside the root is never read). The user's global git excludes are
not read, so the result does not depend on who runs it.

Content checks (binary, encoding, huge lines) need the bytes, so they happen where a file is
first read, in extraction, with ``is_binary`` below; their verdicts are cached with the facts.
Nothing in the repository is imported or executed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from video_gen.errors import UsageError

# Extensions read, and the extractor each goes to.
LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}

# Folders that hold other people's code or generated output, never the project's story.
SKIP_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "third_party",
        "third-party",
        "thirdparty",
        "dist",
        "build",
        "target",
        ".venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        "site-packages",
        ".gradle",
        ".idea",
        ".next",
        ".nuxt",
        ".cache",
        "coverage",
        "htmlcov",
        ".terraform",
    }
)

MAX_FILE_BYTES = 1_000_000
SNIFF_BYTES = 8192


def is_binary(data: bytes) -> bool:
    """git's rule: a NUL byte in the first 8 KiB means binary."""
    return b"\x00" in data[:SNIFF_BYTES]


def language_of(name: str) -> str | None:
    dot = name.rfind(".")
    return LANGUAGES.get(name[dot:].lower()) if dot > 0 else None


@dataclass(frozen=True)
class ScanOptions:
    max_file_bytes: int = MAX_FILE_BYTES
    skip_dirs: frozenset[str] = SKIP_DIRS
    gitignore: bool = True


@dataclass(frozen=True)
class SourceFile:
    path: str  # POSIX, relative to the root
    language: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanResult:
    root: Path
    files: tuple[SourceFile, ...]  # sorted by path
    skipped: tuple[tuple[str, str], ...]  # (path, reason), sorted by path
    other_files: int  # files in no supported language (not an error, not listed)

    def skipped_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, reason in self.skipped:
            counts[reason] = counts.get(reason, 0) + 1
        return dict(sorted(counts.items()))


@dataclass
class _Walk:
    root: str
    options: ScanOptions
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    other: int = 0


_Layers = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]  # (folder prefix "a/b/", its patterns)


def _load_spec(path: str) -> pathspec.GitIgnoreSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    lines = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
    except Exception:  # pathspec raises several types for a bad line
        pass
    # Some line is one git cannot use (`!`, a lone `\`, `[z-a]`): git skips such a pattern and
    # applies the rest, so keep every line that compiles on its own.
    good = [ln for ln in lines if _compiles(ln)]
    return pathspec.GitIgnoreSpec.from_lines(good) if good else None


def _compiles(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line]).match_file("x")
    except Exception:  # pathspec errors differ by version and by line
        return False
    return True


def _ignored(layers: _Layers, rel: str, is_dir: bool) -> bool:
    """git's verdict: the deepest .gitignore with a matching pattern decides (negations too)."""
    verdict = False
    for prefix, spec in layers:
        sub = rel[len(prefix) :] + ("/" if is_dir else "")
        result = spec.check_file(sub)
        if result.include is not None:
            verdict = bool(result.include)
    return verdict


def _undecodable(name: str) -> bool:
    """A name that is not valid UTF-8 on disk (kept by Python as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _is_venv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _walk_dir(w: _Walk, abs_dir: str, rel_dir: str, layers: _Layers) -> None:
    try:
        with os.scandir(abs_dir) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        w.skipped.append((rel_dir.rstrip("/") or ".", "unreadable"))
        return
    if w.options.gitignore:
        for e in entries:
            if e.name == ".gitignore" and e.is_file(follow_symlinks=False):
                spec = _load_spec(e.path)
                if spec is not None:
                    layers = (*layers, (rel_dir, spec))
                break
    for e in entries:
        rel = rel_dir + e.name
        if not e.name.isprintable() or _undecodable(e.name):
            w.skipped.append((rel.encode("utf-8", "replace").decode("utf-8"), "odd_name"))
            continue
        try:
            if e.is_symlink():
                real = os.path.realpath(e.path)
                w.skipped.append((rel, "link" if _inside(real, w.root) else "link_outside_root"))
                continue
            if e.is_dir(follow_symlinks=False):
                name = e.name
                # A virtualenv is known by its pyvenv.cfg whatever its name (`venv/` without
                # one may be a package: the standard library has one).
                if name in w.options.skip_dirs or name.endswith(".egg-info") or _is_venv(e.path):
                    w.skipped.append((rel, "vendored"))
                    continue
                if layers and _ignored(layers, rel, True):
                    w.skipped.append((rel, "gitignored"))
                    continue
                _walk_dir(w, e.path, rel + "/", layers)
                continue
            if not e.is_file(follow_symlinks=False):
                continue  # sockets, fifos, devices: never opened
            language = language_of(e.name)
            if language is None:
                w.other += 1
                continue
            if layers and _ignored(layers, rel, False):
                w.skipped.append((rel, "gitignored"))
                continue
            st = e.stat(follow_symlinks=False)
        except OSError:
            w.skipped.append((rel, "unreadable"))
            continue
        if st.st_size > w.options.max_file_bytes:
            w.skipped.append((rel, "too_large"))
            continue
        w.files.append(SourceFile(rel, language, st.st_size, st.st_mtime_ns))


def scan(root: str | os.PathLike[str], options: ScanOptions | None = None) -> ScanResult:
    """Walk ``root`` and list the source files to read, sorted by POSIX relative path."""
    options = options or ScanOptions()
    base = Path(root).expanduser()
    if not base.exists():
        raise UsageError(f"{root}: no such directory", hint="pass the path of a repository")
    if not base.is_dir():
        raise UsageError(f"{root} is not a directory", hint="pass the repository's folder")
    real = os.path.realpath(base)
    w = _Walk(root=real, options=options)
    layers: _Layers = ()
    if options.gitignore:
        spec = _load_spec(os.path.join(real, ".git", "info", "exclude"))
        if spec is not None:
            layers = (("", spec),)
    _walk_dir(w, real, "", layers)
    return ScanResult(
        root=Path(real),
        files=tuple(sorted(w.files, key=lambda f: f.path)),
        skipped=tuple(sorted(w.skipped)),
        other_files=w.other,
    )
