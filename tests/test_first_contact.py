"""What a new user meets first: help that reads like the docs, every environment variable
documented, and the small things found on first contact (each test names its item)."""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer.testing import CliRunner

from video_gen.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _paths(typer_app: typer.Typer) -> list[list[str]]:
    out: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        out.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(typer_app), [])
    return out


def test_help_names_arguments_in_capitals_and_flags_without_a_type() -> None:
    seen_arguments = set()
    for path in _paths(app):
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, path
        assert "<bool>" not in res.stdout, f"`{' '.join(path)} --help` shows <bool>"
        usage = next(line for line in res.stdout.splitlines() if "Usage:" in line)
        assert "{" not in usage and "}" not in usage, usage
        after = usage.split("[OPTIONS]", 1)[1] if "[OPTIONS]" in usage else ""
        for word in re.findall(r"[A-Za-z_]+", after.replace("COMMAND", "")):
            assert word == word.upper(), f"usage of `{' '.join(path)}`: {usage.strip()}"
            seen_arguments.add(word)
    assert {"JOB_ID", "PROMPT"} <= seen_arguments


def test_every_environment_variable_in_the_code_is_in_configuration_md() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    names = set()
    for source in (ROOT / "video_gen").rglob("*.py"):
        names |= set(re.findall(r"\bVIDEO_GEN_[A-Z0-9_]*[A-Z0-9]\b", source.read_text()))
    assert len(names) >= 15  # the search found them
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"not in docs/configuration.md: {missing}"
