"""`video-gen prompt-from-repo`: the command, its formats, and byte-identical output across
runs, hash seeds, worker counts, cold and warm caches and file-system order."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from test_repoprompt_fixtures import (  # noqa: F401 - pytest fixtures, used as parameters
    env,
    make_repo,
    repo,
)
from typer.testing import CliRunner

from video_gen.cli.prompt_from_repo_cmd import prompt_from_repo
from video_gen.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated(env: Path) -> None:
    """Every test: VIDEO_GEN_HOME in a temp dir."""


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("prompt-from-repo")(prompt_from_repo)

    @app.command("other")
    def other() -> None:  # a second command keeps Typer in sub-command mode, like the real CLI
        """Unused."""

    return app


def _run(*args: str) -> Any:
    return CliRunner().invoke(_app(), ["prompt-from-repo", *args])


def test_text_goes_to_stdout_and_the_summary_to_stderr(repo: Path) -> None:
    result = _run(str(repo), "--level", "medium", "--workers", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Black-and-white 1920s silent slapstick film")
    assert "tinyshop" in out and out.endswith("\n")
    err = result.stderr
    assert "files read" in err and "syntax_error 1" in err and "o200k_base" in err
    assert "warning" not in err


def test_json_carries_facts_ranking_cast_and_tokens(repo: Path) -> None:
    result = _run(str(repo), "--format", "json", "--scenes", "2", "--seconds", "8")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["project"]["name"] == "tinyshop"
    assert data["options"] == {
        "level": "low",
        "cap": 250,
        "style": "chaplin",
        "scenes": 2,
        "seconds": 8,
        "runtime": 16,
    }
    assert [s["tokens"] for s in data["scenes"]] == data["tokens"]["per_scene"]
    assert all(t <= 250 for t in data["tokens"]["per_scene"])
    assert data["tokens"]["counter"] == "o200k_base" and data["tokens"]["exact"] is True
    assert "charge" in [r["name"] for r in data["ranking"][:10]]
    assert all("signals" in r for r in data["ranking"])
    assert data["facts"]["languages"] == {"python": 8, "go": 1, "typescript": 1}
    assert data["skipped"]["counts"]["binary"] == 1
    assert data["kind"]["world"] and all(c["evidence"] for c in data["cast"])
    assert data["prompt"].startswith("# Scene 1/2")


def test_batch_is_jsonl_for_video_gen_batch(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "story.jsonl"
    result = _run(str(repo), "--format", "batch", "--scenes", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    for line in lines:
        item = json.loads(line)
        assert isinstance(item["prompt"], str) and item["prompt"]
        assert item["seconds"] == 12 and item["name"].startswith("tinyshop-chaplin-")
    assert not list(tmp_path.glob(".story.jsonl.*"))  # no temp file left beside it


def test_short_o_is_out(repo: Path, tmp_path: Path) -> None:
    # -o once meant both --out and --output-dir, and `-o x.txt` wrote no file at all.
    out = tmp_path / "x.txt"
    result = _run(str(repo), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out) and out.read_text(encoding="utf-8").strip()


def test_config_styles_reach_the_prompt(repo: Path, env: Path) -> None:
    env.mkdir(parents=True, exist_ok=True)
    (env / "config.toml").write_text(
        '[styles.western]\nextends = "chaplin"\nlook_short = "Dusty 1950s western, no dialogue."\n',
        encoding="utf-8",
    )
    result = _run(str(repo), "--style", "western")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Dusty 1950s western, no dialogue.")


def test_a_folder_without_code_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# words only\n", encoding="utf-8")
    result = _run(str(tmp_path))
    assert isinstance(result.exception, UsageError) and result.stdout == ""
    assert "no source code" in str(result.exception)


def test_usage_errors(repo: Path, tmp_path: Path) -> None:
    for args in (
        [str(tmp_path / "missing")],
        [str(repo), "--format", "yaml"],
        [str(repo), "--seconds", "5"],
        [str(repo), "--level", "max"],
        [str(repo), "--style", "opera"],
    ):
        result = _run(*args)
        assert isinstance(result.exception, UsageError), args


def test_tokenizer_fallback_is_announced_on_stderr(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from video_gen.repoprompt import fit as fitmod

    damaged = fitmod.counter_from_vocabulary(b"damaged")
    monkeypatch.setattr(fitmod, "_packaged", lambda: damaged)
    result = _run(str(repo), "--no-cache")
    assert result.exit_code == 0, result.output
    assert "vocabulary is damaged" in " ".join(result.stderr.split())
    assert len(result.stdout.encode()) <= 250 + 1


def test_help_shows_an_example() -> None:
    result = CliRunner().invoke(_app(), ["prompt-from-repo", "--help"])
    assert result.exit_code == 0
    assert "Example: video-gen prompt-from-repo" in result.stdout
    for flag in (
        "--level",
        "--style",
        "--scenes",
        "--seconds",
        "--format",
        "--out",
        "--workers",
        "--no-cache",
        "--generate",
    ):
        assert flag in result.stdout


def test_core_never_imports_typer_or_rich() -> None:
    for path in sorted((ROOT / "video_gen" / "repoprompt").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("typer", "rich", "click"), (path, name)


# -- determinism ------------------------------------------------------------------------------
_SCRIPT = """
import sys, typer
from video_gen.cli.prompt_from_repo_cmd import prompt_from_repo
app = typer.Typer()
app.command("prompt-from-repo")(prompt_from_repo)
app.command("other")(lambda: None)
app(["prompt-from-repo", *sys.argv[1:]], prog_name="video-gen")
"""


def _cli(args: list[str], *, home: Path, seed: str) -> bytes:
    environ = {
        **os.environ,
        "VIDEO_GEN_HOME": str(home),
        "PYTHONHASHSEED": seed,
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args],
        capture_output=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_output_is_byte_identical_however_it_is_made(tmp_path: Path) -> None:
    first = make_repo(tmp_path / "a" / "tinyshop")
    second = make_repo(tmp_path / "b" / "tinyshop", order="reverse")  # another creation order
    args = ["--format", "json", "--scenes", "3", "--level", "medium"]
    home_a, home_b = tmp_path / "home-a", tmp_path / "home-b"
    runs = {
        "cold, 1 worker, seed 0": _cli(
            [str(first), *args, "--workers", "1"], home=home_a, seed="0"
        ),
        "warm, 2 workers, seed 123": _cli(
            [str(first), *args, "--workers", "2"], home=home_a, seed="123"
        ),
        "cold, 2 workers, random seed": _cli(
            [str(second), *args, "--workers", "2"], home=home_b, seed="random"
        ),
        "no cache, 2 workers, seed 7": _cli(
            [str(second), *args, "--workers", "2", "--no-cache"], home=home_b, seed="7"
        ),
    }
    reference = runs["cold, 1 worker, seed 0"]
    assert json.loads(reference)["scenes"][2]["prompt"]
    for name, output in runs.items():
        assert output == reference, name
    batch_1 = _cli([str(first), "--format", "batch", "--workers", "1"], home=home_a, seed="1")
    batch_2 = _cli(
        [str(second), "--format", "batch", "--workers", "2", "--no-cache"], home=home_b, seed="2"
    )
    assert batch_1 == batch_2 and json.loads(batch_1)["seconds"] == 12


def test_two_runs_can_share_one_cache(tmp_path: Path) -> None:
    shop = make_repo(tmp_path / "tinyshop")
    home = tmp_path / "home"
    environ = {**os.environ, "VIDEO_GEN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", _SCRIPT, str(shop), "--format", "json", "--workers", "2"]
    both = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in both]
    assert [p.returncode for p in both] == [0, 0], [err.decode() for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    assert not list(home.rglob("*.tmp"))  # no temp file left behind by either
    assert _cli([str(shop), "--format", "json"], home=home, seed="5") == outputs[0][0]
