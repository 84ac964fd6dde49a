"""Third-party provider kinds: a real install of the example plugin (tests/plugin_example), found
by ``importlib.metadata`` through its entry point, listed by ``providers --kinds`` and generating
a video, all in a separate ``video-gen`` process (as a user's shell would run it)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakekeys import fake_key

from video_gen.emulator import EmulatorServer
from video_gen.emulator.content import make_body

PLUGIN = Path(__file__).parent / "plugin_example"
KEY = fake_key("plugin")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install --no-deps --target``: the plugin's dist-info lands beside its package, so
    the entry point is found exactly as it is in a user's environment."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert list(target.glob("video_gen_example_plugin-*.dist-info"))
    return target


def video_gen(
    site: Path, home: Path, *args: str, key: str = KEY
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "VIDEO_GEN_HOME": str(home),
        "EXAMPLE_GATEWAY_KEY": key,
    }
    return subprocess.run(
        [sys.executable, "-m", "video_gen", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def gateway() -> Iterator[EmulatorServer]:
    with EmulatorServer(job_seconds=0.4, require_key=KEY) as srv:
        yield srv


def test_plugin_kind_is_listed_and_generates(
    installed: Path, gateway: EmulatorServer, isolated_home: Path, tmp_path: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        f'[providers.gw]\nkind = "example-gateway"\nbase_url = "{gateway.base_url}"\n'
        'team = "docs"\n'
    )
    kinds = video_gen(installed, isolated_home, "providers", "--kinds")
    assert kinds.returncode == 0, kinds.stderr
    line = next(x for x in kinds.stdout.splitlines() if x.startswith("example-gateway"))
    assert "plugin video-gen-example-plugin 0.1.0" in line

    res = video_gen(
        installed,
        isolated_home,
        "generate",
        "a lighthouse at dawn",
        "--provider",
        "gw",
        "--poll-interval",
        "0.1",
        "-o",
        str(tmp_path / "out"),
        "--json",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["provider"] == "gw" and out["cost_usd"] == pytest.approx(0.40)  # sora-2 4 s
    job = gateway.jobs.get(out["job_id"])  # the emulator renders each job's own clip
    expected = hashlib.sha256(make_body("video", None, job).read_all()).hexdigest()
    assert hashlib.sha256(Path(out["file"]).read_bytes()).hexdigest() == expected
    assert gateway.stats.jobs_created == 1
    assert KEY not in res.stdout + res.stderr

    check = video_gen(installed, isolated_home, "providers", "check", "gw", key=fake_key("bad"))
    assert check.returncode == 3 and fake_key("bad") not in check.stdout + check.stderr


def test_without_the_plugin_the_kind_is_unknown(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text('[providers.gw]\nkind = "example-gateway"\n')
    res = subprocess.run(
        [sys.executable, "-m", "video_gen", "generate", "x", "--provider", "gw", "--dry-run"],
        capture_output=True,
        text=True,
        env={**os.environ, "VIDEO_GEN_HOME": str(isolated_home)},
        timeout=120,
    )
    assert res.returncode == 3 and "unknown provider kind 'example-gateway'" in res.stderr
