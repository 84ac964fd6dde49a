"""prompt-from-repo on hostile or tiny repositories: named errors or a storyboard, never a crash
("unexpected ... report it")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.exit_codes import ExitCode

runner = CliRunner()


def run(repo: Path) -> Any:
    return runner.invoke(app, ["prompt-from-repo", str(repo), "--scenes", "2", "--no-cache"])


def test_a_repository_with_nothing_to_cast_is_a_named_error(tmp_path: Path) -> None:
    repo = tmp_path / "tiny"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "index.js").write_text("export function go(){ return 1 }\n")
    res = run(repo)
    assert res.exit_code == ExitCode.USAGE, res.stderr
    line = res.stderr.strip().splitlines()[-1]
    assert "no public class or function to cast" in line and "unexpected" not in line


def test_hostile_gitignore_lines_and_a_deeply_nested_manifest_are_no_crash(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "hostile"
    (repo / "src").mkdir(parents=True)
    (repo / ".gitignore").write_text("!\n\\\n[z-a]\n*.log\n")
    (repo / "package.json").write_text('{"name": "x", "a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    (repo / "src" / "nested.json").write_text("[" * 100_000 + "]" * 100_000)
    (repo / "src" / "index.js").write_text(
        "export function launchRocket(fuel) { if (!fuel) { throw new Error('no fuel') }"
        " return fuel * 2 }\nexport class Station { dock(ship) { return ship } }\n"
    )
    (repo / "src" / "debug.log").write_text("ignored\n")
    res = run(repo)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip()
