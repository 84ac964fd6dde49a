"""Every command has help and is documented; exit codes match the docs; --help stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from video_gen import __version__
from video_gen.cli import app
from video_gen.exit_codes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
runner = CliRunner()


def _commands(typer_app: typer.Typer, prefix: str = "") -> list[tuple[str, object]]:
    click_cmd = typer.main.get_command(typer_app)
    out: list[tuple[str, object]] = []

    def walk(cmd: object, path: str) -> None:
        out.append((path, cmd))
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, f"{path} {name}".strip())

    walk(click_cmd, prefix)
    return out


def test_every_command_has_help_and_is_documented() -> None:
    for path, cmd in _commands(app):
        if not path:
            continue
        help_text = getattr(cmd, "help", None) or getattr(cmd, "short_help", None)
        assert help_text and help_text.strip(), f"`{path}` has no help"
        res = runner.invoke(app, [*path.split(), "--help"])
        assert res.exit_code == 0, path
        assert f"`{path}" in DOCS or f"video-gen {path}" in DOCS, f"`{path}` not in docs/"


def test_every_option_is_documented() -> None:
    for path, cmd in _commands(app):
        for param in getattr(cmd, "params", []):
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help",):
                    assert opt in DOCS, f"{opt} of `{path or 'video-gen'}` not in docs/"


def test_exit_codes_match_docs_and_help() -> None:
    table = (ROOT / "docs" / "exit-codes.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \| {code.name} \|", table, re.M), code
    helptext = runner.invoke(app, ["--help"]).stdout
    assert "130" in helptext and "Exit codes" in helptext


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"video-gen {__version__}"


def test_python_dash_m_and_help_import_no_heavy_modules() -> None:
    code = (
        "import sys, runpy; sys.argv=['video-gen','--help']\n"
        "try:\n    runpy.run_module('video_gen', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code in (0, None)\n"
        "heavy=[m for m in ('requests','tomlkit','rich.progress','platformdirs','urllib3',"
        "'video_gen.ledger','video_gen.emulator') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY:\n" in out.stdout + "\n" and "HEAVY:" + "\n" in out.stdout, out.stdout[-300:]


def test_core_does_not_import_typer_or_rich() -> None:
    offenders = []
    for path in (ROOT / "video_gen").rglob("*.py"):
        rel = path.relative_to(ROOT / "video_gen").as_posix()
        if rel.startswith("cli/") or rel == "__main__.py":
            continue
        if re.search(r"^\s*(import|from)\s+(typer|rich)\b", path.read_text(), re.M):
            offenders.append(rel)
    assert offenders == []


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in first_block.strip().splitlines()] == [
        ["make", "demo"],
        ["make", "test"],
    ]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_fast_entry_point_lists_every_command_and_runs_each_for_real() -> None:
    from video_gen.cli import COMMANDS

    names = {e.name for e in COMMANDS}
    full = typer.main.get_command(app)
    assert names == set(getattr(full, "commands", {}))
    root = subprocess.run(
        [sys.executable, "-m", "video_gen", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin"},
    )
    for name in names:
        assert name in root.stdout
    sub = subprocess.run(
        [sys.executable, "-m", "video_gen", "config", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200"},
    )
    assert "set-price" in sub.stdout  # the real sub-app, not the placeholder
