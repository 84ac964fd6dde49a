"""Build and distribution: `make build` and `make dist` (docs/building.md).

    python tools/dist.py build [--version 1.2.3] [--out dist]
    python tools/dist.py dist  [--version 1.2.3] [--out dist] [--platforms linux-x86_64,...]

`build` makes the wheel and the sdist. `dist` also makes one single-file app per platform (a PEX
zipapp holding the wheels of every supported CPython for that platform, run by the platform's
own `python3`; on Windows a shiv zipapp made from the same resolve), an archive per platform
(app, README.md, LICENSE, example.toml) and SHA256SUMS.

The version lives in one place, `video_gen/__init__.py` (hatchling reads it from there). A
VERSION is injected into a temporary copy of the source tree, never into the working tree, so a
release build leaves `git status` clean.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NAME = "video-gen"
VERSION_FILE = Path("video_gen") / "__init__.py"
VERSION_LINE = re.compile(r'^__version__ = "([^"]*)"$', re.MULTILINE)
ARCHIVED = ("README.md", "LICENSE", "example.toml")  # beside the app in every archive
# Never copied into the build tree: the virtualenvs, earlier outputs, caches, git itself.
NOT_SOURCE = (
    ".git",
    ".venv*",
    "dist",
    "build",
    ".demo",
    ".bench",
    "videos",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
)

# Every CPython the apps carry wheels for: requires-python is >=3.10, and every compiled
# dependency (psycopg-binary, pydantic-core, tiktoken, regex, PyYAML, charset-normalizer)
# publishes wheels up to 3.15.
PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14), (3, 15))
# The pip that pex resolves with (one pex knows and the package index serves); pex's vendored
# pip 20.3 predates manylinux_2_28 wheels such as tiktoken's.
PIP_VERSION = "26.2.1"
USAGE_EXIT = 2  # a malformed VERSION or platform name: refused before anything is built


class UsageError(Exception):
    """Bad input to the build: printed as one `error: ...; fix: ...` line."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(f"error: {what}; fix: {fix}")


@dataclass(frozen=True)
class Platform:
    """One target of the single-file app: an OS and a CPU, every Python in PYTHONS."""

    name: str  # in file names: video-gen-1.2.3-<name>.pex
    archive: str  # "tar.gz" or "zip"
    platform_tags: tuple[str, ...]  # wheel platform tags accepted, most specific first
    markers: dict[str, str]  # PEP 508 marker environment (the parts that do not vary by Python)
    # A PEX's runtime makes symbolic links under PEX_ROOT, which Windows allows only with
    # Developer Mode or an elevated shell (WinError 1314: pex issues #2873, #2658). There the
    # app is a shiv zipapp instead (.pyz: plain files unpacked under ~/.shiv), made from the
    # same pex resolve.
    symlinks: bool = True

    @property
    def app_suffix(self) -> str:
        return ".pex" if self.symlinks else ".pyz"

    def compatible_tags(self, python: tuple[int, int]) -> list[str]:
        """The wheel tags one CPython on this platform accepts, most specific first."""
        from packaging import tags

        interpreter = f"cp{python[0]}{python[1]}"
        return [
            str(tag)
            for tag in (
                *tags.cpython_tags(python, abis=[interpreter], platforms=self.platform_tags),
                *tags.compatible_tags(
                    python, interpreter=interpreter, platforms=self.platform_tags
                ),
            )
        ]

    def complete_platform(self, python: tuple[int, int]) -> dict[str, object]:
        """Pex's --complete-platform for this platform and one CPython: markers and tags."""
        major, minor = python
        full = f"{major}.{minor}.0"
        markers = {
            "implementation_name": "cpython",
            "implementation_version": full,
            "platform_python_implementation": "CPython",
            "python_full_version": full,
            "python_version": f"{major}.{minor}",
            **self.markers,
        }
        return {"marker_environment": markers, "compatible_tags": self.compatible_tags(python)}


def _manylinux(arch: str, newest: int, oldest: int) -> tuple[str, ...]:
    """glibc 2.<newest> down to 2.<oldest>, with the legacy aliases, as packaging orders them."""
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    out: list[str] = []
    for minor in range(newest, oldest - 1, -1):
        out.append(f"manylinux_2_{minor}_{arch}")
        if minor in legacy and (arch == "x86_64" or minor == 17):
            out.append(f"{legacy[minor]}_{arch}")
    return tuple(out)


def _macos(arch: str) -> tuple[str, ...]:
    from packaging import tags

    # macOS 11 (Big Sur) is the oldest that runs on Apple silicon; the Intel build targets it too.
    return tuple(tags.mac_platforms((11, 0), arch))


def _linux_markers(machine: str) -> dict[str, str]:
    return {
        "os_name": "posix",
        "platform_machine": machine,
        "platform_system": "Linux",
        "sys_platform": "linux",
    }


def _mac_markers(machine: str) -> dict[str, str]:
    return {
        "os_name": "posix",
        "platform_machine": machine,
        "platform_system": "Darwin",
        "sys_platform": "darwin",
    }


def platforms() -> dict[str, Platform]:
    # glibc 2.28 (Debian 10, Ubuntu 20.04, RHEL 8 and later): tiktoken's Linux wheels need it.
    return {
        p.name: p
        for p in (
            Platform(
                "linux-x86_64", "tar.gz", _manylinux("x86_64", 28, 5), _linux_markers("x86_64")
            ),
            Platform(
                "linux-aarch64", "tar.gz", _manylinux("aarch64", 28, 17), _linux_markers("aarch64")
            ),
            Platform("macos-x86_64", "tar.gz", _macos("x86_64"), _mac_markers("x86_64")),
            Platform("macos-arm64", "tar.gz", _macos("arm64"), _mac_markers("arm64")),
            Platform(
                "windows-x64",
                "zip",
                ("win_amd64",),
                {
                    "os_name": "nt",
                    "platform_machine": "AMD64",
                    "platform_system": "Windows",
                    "sys_platform": "win32",
                },
                symlinks=False,
            ),
        )
    }


# -- the version -----------------------------------------------------------------------------------


def check_version(version: str) -> str:
    """A release VERSION as given, or UsageError: PEP 440, canonical, MAJOR.MINOR.PATCH."""
    from packaging.version import InvalidVersion, Version

    example = "VERSION=1.2.3 (pre-releases: 1.2.3rc1, 1.2.3.dev1)"
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise UsageError(f"VERSION {version!r} is not a version", f"use {example}") from None
    if parsed.local is not None or parsed.epoch or len(parsed.release) != 3:
        raise UsageError(
            f"VERSION {version!r} is not MAJOR.MINOR.PATCH",
            f"use {example}",
        )
    if str(parsed) != version:
        raise UsageError(
            f"VERSION {version!r} is not written the standard way",
            f"use VERSION={parsed}",
        )
    return version


def read_version(tree: Path) -> str:
    """The version in the tree's one version line."""
    text = (tree / VERSION_FILE).read_text(encoding="utf-8")
    found = VERSION_LINE.findall(text)
    if len(found) != 1:
        raise SystemExit(f'error: {VERSION_FILE} needs one line __version__ = "..."')
    return str(found[0])


def write_version(tree: Path, version: str) -> None:
    """Set the version in a build tree (a copy: never the working tree)."""
    path = tree / VERSION_FILE
    text = path.read_text(encoding="utf-8")
    new, count = VERSION_LINE.subn(f'__version__ = "{version}"', text)
    if count != 1:
        raise SystemExit(f'error: {VERSION_FILE} needs one line __version__ = "..."')
    path.write_text(new, encoding="utf-8")


# -- wheel and sdist -------------------------------------------------------------------------------


def _run(cmd: Sequence[str | Path]) -> None:
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr, flush=True)
    subprocess.run([str(c) for c in cmd], check=True)


def build(version: str | None, out: Path, work: Path) -> tuple[str, Path, Path]:
    """Wheel and sdist of `version` (default: the tree's) into `out`: (version, wheel, sdist)."""
    tree = work / "src"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(*NOT_SOURCE), symlinks=True)
    if version:
        write_version(tree, version)
    version = read_version(tree)
    out.mkdir(parents=True, exist_ok=True)
    # --no-isolation: the backend (hatchling) is in the dev extra, so no index is needed here.
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, tree])
    wheel = out / f"video_gen-{version}-py3-none-any.whl"
    sdist = out / f"video_gen-{version}.tar.gz"
    for made in (wheel, sdist):
        if not made.is_file():
            raise SystemExit(f"error: the build did not make {made.name}")
    return version, wheel, sdist


# -- the single-file apps --------------------------------------------------------------------------


def build_app(wheel: Path, platform: Platform, version: str, out: Path, work: Path) -> Path:
    """The single-file app for `platform`: a PEX, or a shiv zipapp made from one."""
    if platform.symlinks:
        return build_pex(wheel, platform, version, out, work)
    return build_shiv(build_pex(wheel, platform, version, work, work), platform, version, out, work)


def build_pex(wheel: Path, platform: Platform, version: str, out: Path, work: Path) -> Path:
    """One PEX for `platform` with the wheels of every Python in PYTHONS."""
    app = out / f"{NAME}-{version}-{platform.name}.pex"
    args: list[str | Path] = [
        sys.executable,
        "-m",
        "pex",
        wheel,
        "--console-script",
        NAME,
        "--output-file",
        app,
        # Every target runs the app with its own python3 (Windows: `python`/`py`, which ignore it).
        "--python-shebang",
        "/usr/bin/env python3",
        # A venv PEX: after the first run (which unpacks it under PEX_ROOT, ~/.cache/pex) it
        # starts in ~0.15 s instead of ~0.5 s for a zipapp PEX.
        "--venv",
        # Foreign platforms cannot build an sdist: every dependency comes as a wheel.
        "--no-build",
        "--pip-version",
        PIP_VERSION,
        "--resolver-version",
        "pip-2020-resolver",
        # The machine's pip settings (index mirror, proxy certificate) apply, as to `pip install`.
        "--use-pip-config",
    ]
    for python in PYTHONS:
        spec = work / f"{platform.name}-cp{python[0]}{python[1]}.json"
        spec.write_text(json.dumps(platform.complete_platform(python), indent=1), encoding="utf-8")
        args += ["--complete-platform", spec]
    _run(args)
    return app


# pex's own files in an installed wheel (besides the <project>.pex-info folders)
PEX_CHROOT_FILES = (".layout.json", ".prefix/")


def _requires_python_fits(
    pex: zipfile.ZipFile, wheel: str, files: list[str], python: tuple[int, int]
) -> bool:
    """Whether the installed wheel's Requires-Python admits this CPython (X.Y.0)."""
    from packaging.specifiers import SpecifierSet

    metadata = next(f for f in files if f.count("/") == 1 and f.endswith(".dist-info/METADATA"))
    for line in pex.read(f".deps/{wheel}/{metadata}").decode("utf-8").splitlines():
        if not line:
            break  # the headers end at the first empty line
        if line.lower().startswith("requires-python:"):
            spec = SpecifierSet(line.split(":", 1)[1].strip())
            return spec.contains(f"{python[0]}.{python[1]}.0", prereleases=True)
    return True


def build_shiv(pex: Path, platform: Platform, version: str, out: Path, work: Path) -> Path:
    """A shiv zipapp from the wheels pex resolved: site-packages/cpXY per Python in PYTHONS.

    Each Python's folder gets every wheel in the PEX that this Python accepts (its tags), as pex
    installed it; tools/app_preamble.py puts the running Python's folder on sys.path at start.
    """
    from packaging.utils import parse_wheel_filename
    from packaging.version import Version

    stage = work / f"{platform.name}-site-packages"
    with zipfile.ZipFile(pex) as zf:
        wheels = sorted(json.loads(zf.read("PEX-INFO"))["distributions"])
        files: dict[str, list[str]] = {w: [] for w in wheels}  # .deps/<wheel>/<path>
        for name in zf.namelist():
            parts = name.split("/", 2)
            if parts[0] == ".deps" and len(parts) == 3 and parts[2] and not name.endswith("/"):
                files[parts[1]].append(parts[2])
        for python in PYTHONS:
            accepted = set(platform.compatible_tags(python))
            folder = stage / f"cp{python[0]}{python[1]}"
            # Per project, the newest wheel this Python accepts: pex resolved each Python on its
            # own (annotated-doc 0.0.7 needs 3.11, so 3.10 got 0.0.6), and pip picks the newest.
            chosen: dict[str, tuple[Version, str]] = {}
            for wheel in wheels:
                project, version_, _build, tags = parse_wheel_filename(wheel)
                if not any(str(tag) in accepted for tag in tags):
                    continue
                if not _requires_python_fits(zf, wheel, files[wheel], python):
                    continue
                if project not in chosen or chosen[project][0] < version_:
                    chosen[project] = (version_, wheel)
            for _v, wheel in chosen.values():
                for rel in files[wheel]:
                    top = rel.split("/", 1)[0]
                    if not rel.startswith(PEX_CHROOT_FILES) and not top.endswith(".pex-info"):
                        target = folder / rel
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(zf.read(f".deps/{wheel}/{rel}"))
            if "video-gen" not in chosen:
                raise SystemExit(f"error: the pex holds no video-gen for {folder.name}")
    app = out / f"{NAME}-{version}-{platform.name}{platform.app_suffix}"
    _run(
        [
            sys.executable,
            "-m",
            "shiv",
            "--site-packages",
            stage,
            "--entry-point",
            "video_gen.cli:main",
            "--preamble",
            REPO / "tools" / "app_preamble.py",
            "--python",
            "/usr/bin/env python3",
            "--reproducible",
            "--output-file",
            app,
        ]
    )
    return app


# -- archives and checksums ------------------------------------------------------------------------


def _mtime() -> int:
    """SOURCE_DATE_EPOCH when set (reproducible archives), else now."""
    return int(os.environ.get("SOURCE_DATE_EPOCH") or time.time())


def archive(app: Path, platform: Platform, version: str, out: Path) -> Path:
    """releases/video-gen-<ver>-<plat>.tar.gz (.zip on Windows): the app and its papers."""
    top = f"{NAME}-{version}-{platform.name}"
    members = [(app, 0o755), *((REPO / name, 0o644) for name in ARCHIVED)]
    out.mkdir(parents=True, exist_ok=True)
    mtime = _mtime()
    if platform.archive == "zip":
        path = out / f"{top}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for src, mode in members:
                info = zipfile.ZipInfo(f"{top}/{src.name}", time.gmtime(mtime)[:6])
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, src.read_bytes())
        return path
    path = out / f"{top}.tar.gz"
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=mtime) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf,
    ):
        for src, mode in members:
            data = src.read_bytes()
            entry = tarfile.TarInfo(f"{top}/{src.name}")
            entry.size, entry.mode, entry.mtime = len(data), mode, mtime
            entry.uname = entry.gname = "root"
            tf.addfile(entry, io.BytesIO(data))
    return path


def sha256sums(out: Path, files: Sequence[Path]) -> Path:
    """SHA256SUMS in `out`, in `sha256sum -c` format, paths relative to `out`."""
    lines = []
    for f in files:
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        lines.append(f"{digest}  {f.relative_to(out).as_posix()}\n")
    path = out / "SHA256SUMS"
    path.write_text("".join(lines), encoding="utf-8")
    return path


# -- the command -----------------------------------------------------------------------------------


def _selected(spec: str) -> list[Platform]:
    known = platforms()
    if not spec:
        return list(known.values())
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(
            f"unknown platform {', '.join(unknown) or repr(spec)}",
            f"use PLATFORMS= a comma list of {', '.join(known)} (empty: all)",
        )
    return [known[n] for n in names]


def _report(files: Iterator[Path] | Sequence[Path], out: Path) -> None:
    for f in files:
        print(f"{f.stat().st_size / 1e6:8.1f} MB  {f.relative_to(out).as_posix()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/dist.py", description=__doc__.split("\n")[0])
    parser.add_argument("target", choices=("build", "dist"))
    parser.add_argument("--version", default="", help="the release version (default: the tree's)")
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder")
    parser.add_argument("--platforms", default="", help="comma list of app platforms (dist)")
    parser.add_argument("--clean", action="store_true", help="empty --out first (make does)")
    args = parser.parse_args(argv)
    try:
        version = check_version(args.version) if args.version else None
        chosen = _selected(args.platforms) if args.target == "dist" else []
    except UsageError as e:
        print(e, file=sys.stderr)
        return USAGE_EXIT
    out: Path = args.out.resolve()
    if args.clean and out.exists():
        shutil.rmtree(out)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="video-gen-build-") as tmp:
        work = Path(tmp)
        version, wheel, sdist = build(version, out, work)
        made = [wheel, sdist]
        for platform in chosen:
            app = build_app(wheel, platform, version, out, work)
            made += [app, archive(app, platform, version, out / "releases")]
    made.append(sha256sums(out, made))
    _report(made, out)
    print(f"{NAME} {version}: built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
