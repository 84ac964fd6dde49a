"""The shape of the code: no command module imports another (flows live in video_gen/usecases)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "video_gen" / "cli"


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (commands import inside their bodies)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from video_gen.cli import batch_cmd` names the module in the alias
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def command_imports() -> dict[str, list[str]]:
    out = {}
    for path in sorted(CLI.glob("*_cmd.py")):
        others = sorted(
            m
            for m in _imported_modules(path)
            if m.startswith("video_gen.cli.")
            and m.endswith("_cmd")
            and m != f"video_gen.cli.{path.stem}"
        )
        if others:
            out[path.name] = others
    return out


def test_no_command_module_imports_another() -> None:
    assert list(CLI.glob("*_cmd.py")), "the scan found no command modules"
    assert command_imports() == {}


def test_the_scan_sees_imports_inside_function_bodies(tmp_path: Path) -> None:
    sample = tmp_path / "x_cmd.py"
    sample.write_text("def f():\n    from video_gen.cli import batch_cmd\n    batch_cmd.batch()\n")
    assert "video_gen.cli.batch_cmd" in _imported_modules(sample)


def test_the_core_use_cases_never_end_a_process() -> None:
    """A use case returns or raises a VideoGenError; exiting is the CLI's decision."""
    for path in (ROOT / "video_gen" / "usecases").glob("*.py"):
        imported = _imported_modules(path)
        assert not any(m.split(".")[0] in ("typer", "rich") for m in imported), path.name
        assert "sys.exit(" not in path.read_text(encoding="utf-8"), path.name
