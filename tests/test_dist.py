"""Build and distribution (tools/dist.py, `make build`, `make dist`; docs/building.md).

The `dist`-marked test is the release claim itself: in a copy of the repository,
`make dist VERSION=1.2.3` builds the 1.2.3 wheel, sdist, the five single-file apps and their
archives; the app for this machine, run by a plain `python3` (not this virtualenv), prints 1.2.3
and makes an MP4 through the built-in emulator. It needs the package index (pex resolves every
platform's wheels); it runs in `make test`, and `-m "not dist"` leaves it out.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.prefix)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"video_gen_tools_{name}", ROOT / f"tools/{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


dist = _load("dist")
preamble = _load("app_preamble")


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools/dist.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- the version -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "good", ["1.2.3", "0.1.0", "10.20.30", "1.2.3rc1", "1.2.3.post1", "2.0.0.dev4"]
)
def test_release_versions_are_accepted_as_written(good: str) -> None:
    assert dist.check_version(good) == good


@pytest.mark.parametrize(
    ("bad", "fix"),
    [
        ("1.2", "VERSION=1.2.3"),
        ("1.2.3.4", "VERSION=1.2.3"),
        ("abc", "VERSION=1.2.3"),
        ("1.2.3+mine", "VERSION=1.2.3"),
        ("1!1.2.3", "VERSION=1.2.3"),
        ("v1.2.3", "VERSION=1.2.3"),  # the standard spelling is offered
        ("1.2.3-rc.1", "VERSION=1.2.3rc1"),
        ("1.2.3 ", "VERSION=1.2.3"),
    ],
)
def test_a_malformed_version_is_refused_with_the_fix(bad: str, fix: str) -> None:
    with pytest.raises(dist.UsageError) as e:
        dist.check_version(bad)
    line = str(e.value)
    assert line.startswith("error: ") and "; fix: " in line and "\n" not in line
    assert fix in line.split("; fix: ")[1]


def test_make_dist_refuses_a_bad_version_before_touching_dist(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "earlier-build.whl").write_text("kept")
    res = run_tool("dist", "--clean", "--out", str(out), "--version", "1.2")
    assert res.returncode == dist.USAGE_EXIT == 2
    assert res.stdout == ""
    assert res.stderr.startswith("error: VERSION '1.2' is not MAJOR.MINOR.PATCH; fix: ")
    assert res.stderr.count("\n") == 1
    assert [p.name for p in out.iterdir()] == ["earlier-build.whl"]  # --clean did not run


def test_build_without_a_version_builds_the_trees_own(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(ROOT / "tools/dist.py"), "build", "--out", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    own = dist.read_version(ROOT)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(
        ["SHA256SUMS", f"video_gen-{own}-py3-none-any.whl", f"video_gen-{own}.tar.gz"]
    )
    assert f"video_gen-{own}-py3-none-any.whl" in res.stdout


def test_an_unknown_platform_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    res = run_tool("dist", "--out", str(tmp_path / "d"), "--platforms", "linux-x86_64,beos")
    assert res.returncode == 2
    assert res.stderr.startswith("error: unknown platform beos; fix: ")
    for name in ("linux-x86_64", "linux-aarch64", "macos-x86_64", "macos-arm64", "windows-x64"):
        assert name in res.stderr
    assert not (tmp_path / "d").exists()


def test_the_version_is_written_into_the_copy_only(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "video_gen").mkdir(parents=True)
    source = '"""doc"""\n\n__version__ = "0.1.0"\n'
    (tree / "video_gen/__init__.py").write_text(source)
    assert dist.read_version(tree) == "0.1.0"
    dist.write_version(tree, "1.2.3")
    assert dist.read_version(tree) == "1.2.3"
    assert (tree / "video_gen/__init__.py").read_text() == source.replace("0.1.0", "1.2.3")
    # the real tree's version line is the one hatchling reads ([tool.hatch.version])
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", dist.read_version(ROOT))


# -- the platforms ---------------------------------------------------------------------------------


def test_each_platform_accepts_its_own_wheels_and_no_other() -> None:
    plats = dist.platforms()

    def tags(name: str, py: tuple[int, int] = (3, 12)) -> list[str]:
        return list(plats[name].complete_platform(py)["compatible_tags"])

    linux = tags("linux-x86_64")
    assert linux[0] == "cp312-cp312-manylinux_2_28_x86_64"  # tiktoken's wheels need glibc 2.28
    assert "cp312-cp312-manylinux2014_x86_64" in linux
    assert "cp312-abi3-manylinux2014_x86_64" in linux
    assert "py3-none-any" in linux
    assert not any("aarch64" in t or t.split("-")[2] == "linux_x86_64" for t in linux)
    assert "cp312-cp312-manylinux2014_aarch64" in tags("linux-aarch64")
    assert "cp312-cp312-manylinux_2_12_aarch64" not in tags("linux-aarch64")
    mac_arm = tags("macos-arm64")
    assert "cp312-cp312-macosx_11_0_arm64" in mac_arm
    assert not any("macosx_12" in t or "x86_64" in t for t in mac_arm)
    assert "cp312-cp312-macosx_10_13_x86_64" in tags("macos-x86_64")
    assert tags("windows-x64", (3, 10))[0] == "cp310-cp310-win_amd64"
    win = plats["windows-x64"].complete_platform((3, 10))["marker_environment"]
    assert win["sys_platform"] == "win32" and win["python_version"] == "3.10"
    assert dist.PYTHONS[0] == (3, 10)  # requires-python = ">=3.10"


# -- the Windows app's preamble --------------------------------------------------------------------


def test_the_preamble_puts_the_running_pythons_folder_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    mine = tmp_path / f"cp{sys.version_info[0]}{sys.version_info[1]}"
    (mine / "only_here").mkdir(parents=True)
    (mine / "only_here" / "__init__.py").write_text("WHERE = 'mine'\n")
    other = tmp_path / "cp39"
    (other / "only_here").mkdir(parents=True)
    (other / "only_here" / "__init__.py").write_text("WHERE = 'other'\n")
    preamble.activate(tmp_path)
    assert sys.path[0] == str(mine)
    assert str(other) not in sys.path
    monkeypatch.delitem(sys.modules, "only_here", raising=False)
    assert __import__("only_here").WHERE == "mine"


def test_the_preamble_stops_with_the_fix_for_a_python_it_has_no_folder_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "cp39").mkdir()
    (tmp_path / "cp399").mkdir()
    with pytest.raises(SystemExit) as e:
        preamble.activate(tmp_path)
    me = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert str(e.value) == (
        f"error: this video-gen app has no build for Python {me} (it carries cp39, cp399); "
        "fix: run it with one of those, or pip install video-gen"
    )


# -- the release, end to end -----------------------------------------------------------------------

WHEEL_PLATFORM = {
    "linux-x86_64": r"manylinux\w*_x86_64",
    "linux-aarch64": r"manylinux\w*_aarch64",
    "macos-x86_64": r"macosx_\d+_\d+_(x86_64|universal2|intel)",
    "macos-arm64": r"macosx_\d+_\d+_(arm64|universal2)",
    "windows-x64": r"win_amd64",
}
PROMPT = "a paper boat on a rainy street"
APP_PLATFORM = {"x86_64": "linux-x86_64", "aarch64": "linux-aarch64"}


def plain_python3() -> str:
    """The system python3 (>= 3.10): /usr/bin/python3, else the first on PATH outside this venv."""
    venv_bin = str(VENV / "bin")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin)
    for candidate in ("/usr/bin/python3", shutil.which("python3", path=path)):
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [
                candidate,
                "-c",
                "import sys; print(sys.prefix == sys.base_prefix, sys.version_info >= (3, 10))",
            ],
            capture_output=True,
            text=True,
        )
        if probe.stdout.split() == ["True", "True"]:
            return candidate
    pytest.skip("no system python3 >= 3.10 outside a virtualenv")


def app_env(tmp: Path) -> dict[str, str]:
    drop = ("VIDEO_GEN_", "PEX_", "SHIV_", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if p != str(VENV / "bin")
    )
    env["VIDEO_GEN_HOME"] = str(tmp / "home")  # config and ledger in tmp
    env["PEX_ROOT"] = str(tmp / "unpacked" / "pex")  # a PEX unpacks here, not in ~/.cache/pex
    env["SHIV_ROOT"] = str(tmp / "unpacked" / "shiv")  # a shiv app here, not in ~/.shiv
    return env


def run_app(python3: str, app: Path, tmp: Path, env: dict[str, str]) -> None:
    """`--version` prints 1.2.3 and `generate --provider emulator` saves an MP4."""
    version = subprocess.run(
        [python3, str(app), "--version"], capture_output=True, text=True, env=env, timeout=300
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout == "video-gen 1.2.3\n"
    videos = tmp / f"videos-{app.suffix[1:]}"
    made = subprocess.run(
        [python3, str(app), "generate", PROMPT, "--provider", "emulator", "-o", str(videos)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
        cwd=tmp,
    )
    assert made.returncode == 0, made.stderr
    files = list(videos.iterdir())
    assert len(files) == 1 and files[0].suffix == ".mp4"
    assert made.stdout.strip() == str(files[0])
    assert files[0].read_bytes()[4:8] == b"ftyp"  # an MP4 by its magic bytes


def compiled_for(app: Path, python: tuple[int, int], tag: str) -> set[str]:
    """The compiled dependencies the app carries for one CPython on its platform."""
    cp = f"cp{python[0]}{python[1]}"
    found = set()
    with zipfile.ZipFile(app) as zf:
        if app.suffix == ".pex":
            for wheel in json.loads(zf.read("PEX-INFO"))["distributions"]:
                m = re.fullmatch(rf"(\w+)-[^-]+-{cp}-{cp}-\S*{tag}\S*\.whl", wheel)
                found.update([m.group(1)] if m else [])
        else:  # a shiv app: site-packages/cpXY/<project>/<module>.cpXY-win_amd64.pyd
            for member in zf.namelist():
                m = re.fullmatch(rf"site-packages/{cp}/(\w+)/\w+\.{cp}-{tag}\.pyd", member)
                found.update([m.group(1)] if m else [])
    return found


@pytest.mark.dist
@pytest.mark.timeout(1800)
def test_make_dist_builds_the_version_and_the_native_app_makes_a_video(tmp_path: Path) -> None:
    if not (VENV / "bin" / "python").exists() or sys.prefix == sys.base_prefix:
        pytest.skip("runs from the project's virtualenv (make test)")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(*dist.NOT_SOURCE))
    init = (repo / "video_gen/__init__.py").read_text()
    assert '__version__ = "1.2.3"' not in init
    started = time.monotonic()
    # This virtualenv does the build (-o: make never reinstalls it from the copy).
    res = subprocess.run(
        ["make", "dist", "VERSION=1.2.3", f"VENV={VENV}", "-o", f"{VENV}/.dev"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    build_s = time.monotonic() - started
    assert res.returncode == 0, res.stderr[-4000:]
    print(f"make dist VERSION=1.2.3: {build_s:.0f} s\n{res.stdout}")
    out = repo / "dist"
    try:
        # the working tree is untouched: the version went into a temporary copy
        assert (repo / "video_gen/__init__.py").read_text() == init

        wheel = out / "video_gen-1.2.3-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as zf:
            assert "Version: 1.2.3\n" in zf.read("video_gen-1.2.3.dist-info/METADATA").decode()
            assert '__version__ = "1.2.3"' in zf.read("video_gen/__init__.py").decode()
        assert (out / "video_gen-1.2.3.tar.gz").is_file()

        # one app per platform, each with the compiled wheels of every CPython 3.10-3.15
        for name, tag in WHEEL_PLATFORM.items():
            suffix = ".pyz" if name == "windows-x64" else ".pex"
            app = out / f"video-gen-1.2.3-{name}{suffix}"
            with zipfile.ZipFile(app) as zf:
                members = zf.namelist()
            assert any("video_gen-1.2.3" in m and "dist-info" in m for m in members)
            for python in dist.PYTHONS:
                carried = compiled_for(app, python, tag)
                assert {"tiktoken", "psycopg_binary", "pydantic_core"} <= carried, (name, python)
            others = [t for n, t in WHEEL_PLATFORM.items() if n != name]
            assert not any(
                re.search(t, m) and not re.search(tag, m) for t in others for m in members
            ), f"{name} carries another platform's wheels"
            # the film extra stays out
            assert not any(re.search(r"(^|/)(av|PIL)/__init__\.py$", m) for m in members)

            # the archive: the app, README.md, LICENSE, example.toml in one folder
            top = f"video-gen-1.2.3-{name}"
            if name == "windows-x64":
                with zipfile.ZipFile(out / "releases" / f"{top}.zip") as zf:
                    names = sorted(zf.namelist())
                    packed = zf.read(f"{top}/{app.name}")
            else:
                with tarfile.open(out / "releases" / f"{top}.tar.gz") as tf:
                    names = sorted(tf.getnames())
                    member = tf.extractfile(f"{top}/{app.name}")
                    assert member is not None
                    packed = member.read()
                    assert tf.getmember(f"{top}/{app.name}").mode == 0o755
            assert names == sorted(
                f"{top}/{n}" for n in (app.name, "README.md", "LICENSE", "example.toml")
            )
            assert packed == app.read_bytes()

        # SHA256SUMS covers every file made, in `sha256sum -c` form
        sums = (out / "SHA256SUMS").read_text().splitlines()
        assert len(sums) == 2 + 2 * len(WHEEL_PLATFORM)
        for line in sums:
            digest, rel = line.split("  ")
            assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest

        # this machine's app, run by a plain python3
        machine = platform.machine()
        if sys.platform != "linux" or machine not in APP_PLATFORM:
            pytest.skip(f"the apps are built; this {sys.platform}/{machine} runs none of them")
        native = dist.platforms()[APP_PLATFORM[machine]]
        pex = out / f"video-gen-1.2.3-{native.name}.pex"
        python3, env = plain_python3(), app_env(tmp_path)
        run_app(python3, pex, tmp_path, env)
        # The Windows app's make-up (a shiv zipapp, one folder per CPython, the preamble picking
        # one), made for this machine from its PEX the way dist.py makes Windows's: it runs too.
        work = tmp_path / "shiv"
        work.mkdir()
        shiv_app = dist.build_shiv(pex, native, "1.2.3", work, work)
        run_app(python3, shiv_app.rename(shiv_app.with_suffix(".pyz")), tmp_path, env)
        print(f"the apps ran with {python3}; whole test {time.monotonic() - started:.0f} s")
    finally:
        # ~0.7 GB of apps and ~0.5 GB unpacked: not kept in pytest's last three temp folders
        for big in (out, tmp_path / "unpacked", tmp_path / "shiv"):
            shutil.rmtree(big, ignore_errors=True)
