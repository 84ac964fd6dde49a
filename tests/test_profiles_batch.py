"""`batch` and `prompt-from-repo --generate` work unchanged against every emulator profile."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.ledger import Ledger

runner = CliRunner()
PROFILES = [
    "openai",
    "litellm",
    "vllm-omni",
    "sglang",
    "openrouter",
]


def configure(home: Path, profile: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f'[providers.emu]\nkind = "emulator"\nprofile = "{profile}"\njob_seconds = 0.5\n'
        # Self-hosted open-weight models (vLLM-Omni, SGLang) have no packaged price: a user
        # states one (here 0.01 USD/s) or video-gen refuses to spend, as it should.
        '[[prices]]\nprovider = "*"\nmodel = "Wan-AI/*"\nusd_per_second = 0.01\n'
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_batch_on_every_profile(profile: str, isolated_home: Path, tmp_path: Path) -> None:
    configure(isolated_home, profile)
    (tmp_path / "prompts.txt").write_text("a red kite\n# a comment\na blue boat\n")
    res = runner.invoke(
        app,
        ["batch", "prompts.txt", "--provider", "emu", "--seconds", "4", "--output-dir", "out"],
    )
    assert res.exit_code == 0, res.stderr + res.stdout
    assert len(list((tmp_path / "out").glob("*.mp4"))) == 2
    jobs = Ledger().jobs(limit=None)
    assert {j.provider for j in jobs} == {"emu"} and all(j.status != "failed" for j in jobs)
    if profile == "openrouter":  # the actual charge reported by the server is recorded
        assert all(j.actual_usd is not None for j in jobs)


@pytest.mark.parametrize("profile", ["litellm", "openrouter"])
def test_prompt_from_repo_generate_on_profiles(
    profile: str, isolated_home: Path, tmp_path: Path
) -> None:
    configure(isolated_home, profile)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("class Cache:\n    def get(self, key):\n        return key\n")
    res = runner.invoke(
        app,
        [
            "prompt-from-repo",
            str(repo),
            "--seconds",
            "4",
            "--generate",
            "--provider",
            "emu",
            "--output-dir",
            "clips",
            "--no-cache",
        ],
    )
    assert res.exit_code == 0, res.stderr + res.stdout
    assert len(list((tmp_path / "clips").glob("*.mp4"))) == 1
