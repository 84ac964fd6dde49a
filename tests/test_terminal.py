"""Behaviour that depends on a terminal: the hidden key prompt and the Rich progress display."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen import paths
from video_gen.cli import app, runtime
from video_gen.config import Config
from video_gen.emulator import EmulatorServer

runner = CliRunner()
KEY = fake_key("typed")


def test_key_is_asked_once_hidden_and_stored_0600(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return KEY

    monkeypatch.setattr(runtime, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(runtime, "stderr_is_terminal", lambda: True)
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    first = runner.invoke(app, ["generate", "a kite", "--quiet"])
    assert first.exit_code == 0, first.stderr
    second = runner.invoke(app, ["generate", "a kite", "--quiet"])
    assert second.exit_code == 0
    assert len(asked) == 1 and KEY not in asked[0]
    cfg_path = paths.config_file()
    assert stat.S_IMODE(cfg_path.stat().st_mode) == 0o600
    assert Config.load().raw("api.key") == KEY
    assert KEY not in first.stdout + first.stderr + second.stdout + second.stderr


def test_rich_progress_on_a_terminal(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import video_gen.cli.ui as ui

    monkeypatch.setattr(ui, "stderr_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "160")
    res = runner.invoke(app, ["generate", "a kite over the sea", "--thumbnail"])
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip().endswith(".mp4")  # the result alone on stdout
    assert "downloading video" in res.stderr and "estimated cost" in res.stderr
    # The Rich display itself, not the plain lines CI gets: bars, the job row finished as
    # "done", and the download row's byte count; none of PlainProgress's lines.
    assert "━" in res.stderr
    job_row = next(line for line in res.stderr.splitlines() if " completed " in line)
    assert "done" in job_row and "━" in job_row
    dl_row = next(line for line in res.stderr.splitlines() if "downloading video" in line)
    assert "saved" in dl_row and "kB" in dl_row
    assert "(created)" not in res.stderr and "download video:" not in res.stderr
    # No stray "?" where the speed of a finished (or too quick) download is unknown.
    assert "?" not in dl_row
