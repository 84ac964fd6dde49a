"""A CSV with an unterminated quote must not merge the rest of the file into one paid prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from video_gen.batch import items
from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode

runner = CliRunner()


def test_an_unterminated_quote_is_refused_naming_its_line() -> None:
    text = 'prompt,name\na fox,one\n"a boat,two\nan owl,three\na cat,four\n'
    parsed = items.parse(text, "csv", "story.csv")
    assert [p.line for p in parsed.problems] == [3]
    assert "never closed" in str(parsed.problems[0])
    assert all("an owl" not in item.prompt for item in parsed.items)  # nothing merged


def test_quoted_cells_spanning_lines_still_work() -> None:
    text = 'prompt,name\n"a boat\nin the rain, at night",one\n"say ""hi""",two\n'
    parsed = items.parse(text, "csv", "story.csv")
    assert not parsed.problems
    assert [i.prompt for i in parsed.items] == ["a boat\nin the rain, at night", 'say "hi"']


def test_batch_with_an_unterminated_quote_costs_nothing(remote: EmulatorServer) -> None:
    Path("story.csv").write_text('prompt\na fox\n"a boat\nan owl\na cat\n')
    res: Any = runner.invoke(app, ["batch", "story.csv", "-o", "out"])
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert "story.csv:3" in res.stderr and "never closed" in res.stderr
    assert remote.stats.creates_received == 0
