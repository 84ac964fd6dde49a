"""A dry run that the budget would refuse exits 9 (as the real run would) and names the limit
and the command that raises it, once: never "REFUSED: refused:"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def set_budget(key: str, value: str) -> None:
    assert run("config", "set", f"budget.{key}", value).exit_code == 0


def assert_names_the_limit(res: Any, limit: str, flag: str) -> None:
    assert res.exit_code == ExitCode.BUDGET_REFUSED, (res.exit_code, res.stderr)
    err = res.stderr.strip().splitlines()[-1]
    assert err.startswith("error: refused: ") and f"{limit} limit" in err, err
    assert f"fix: video-gen budget set {flag}" in err, err
    assert "refused: refused" not in (res.stdout + res.stderr).lower()
    assert "REFUSED: " not in res.stdout


@pytest.mark.parametrize(
    ("key", "value", "limit", "flag"),
    [
        ("monthly_usd", "0.5", "monthly", "--monthly"),
        ("daily_usd", "0.5", "daily", "--daily"),
        ("per_video_usd", "0.5", "per-video", "--per-video"),
    ],
)
def test_generate_dry_run_over_a_limit_exits_9_naming_it(
    remote: EmulatorServer, key: str, value: str, limit: str, flag: str
) -> None:
    set_budget(key, value)
    res = run("generate", "a boat", "--seconds", "8", "--dry-run")  # 0.80 USD
    assert_names_the_limit(res, limit, flag)
    assert "nothing was sent" in res.stdout and "would be refused" in res.stdout
    assert remote.stats.total_requests == 0


def test_generate_dry_run_json_carries_the_refusal(remote: EmulatorServer) -> None:
    set_budget("monthly_usd", "0.5")
    res = run("generate", "a boat", "--seconds", "8", "--dry-run", "--json")
    assert res.exit_code == ExitCode.BUDGET_REFUSED
    data = json.loads(res.stdout)
    assert data["budget"]["fits"] is False and "monthly limit" in data["budget"]["refusal"]


def test_a_dry_run_that_fits_still_exits_0(remote: EmulatorServer) -> None:
    set_budget("monthly_usd", "1")
    res = run("generate", "a boat", "--seconds", "8", "--dry-run")
    assert res.exit_code == 0, res.stderr
    assert "this job fits" in res.stdout


def test_batch_dry_run_over_the_month_exits_9_naming_it(remote: EmulatorServer) -> None:
    set_budget("monthly_usd", "1")
    Path("prompts.txt").write_text("a boat\nan owl\na fox\n")  # 3 x 0.40 = 1.20 > 1.00
    res = run("batch", "prompts.txt", "--dry-run", "-o", "out")
    assert_names_the_limit(res, "monthly", "--monthly")
    assert "this batch would be refused" in res.stdout
    assert remote.stats.total_requests == 0


def test_batch_dry_run_over_max_cost_exits_9(remote: EmulatorServer) -> None:
    Path("prompts.txt").write_text("a boat\nan owl\n")
    res = run("batch", "prompts.txt", "--dry-run", "--max-cost", "0.5", "-o", "out")
    assert res.exit_code == ExitCode.BUDGET_REFUSED
    assert "--max-cost" in res.stderr.strip().splitlines()[-1]


def test_film_dry_run_over_the_month_exits_9_naming_it(remote: EmulatorServer) -> None:
    set_budget("monthly_usd", "1")
    Path("story.txt").write_text("a boat\nan owl\na fox\n")
    res = run("film", "story.txt", "--dry-run", "-o", "out")
    assert_names_the_limit(res, "monthly", "--monthly")
    assert remote.stats.total_requests == 0


def test_prompt_from_repo_generate_dry_run_over_the_month_exits_9(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    repo = tmp_path / "demo-repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\ndescription = "a demo"\n')
    (repo / "pkg" / "queue.py").write_text("class Queue:\n    def push(self, x):\n        pass\n")
    set_budget("monthly_usd", "0.5")
    res = run(
        "prompt-from-repo", str(repo), "--scenes", "2", "--seconds", "4", "--generate",
        "--dry-run", "--output-dir", "clips", "--no-cache",
    )  # fmt: skip
    assert_names_the_limit(res, "monthly", "--monthly")
    assert remote.stats.total_requests == 0
