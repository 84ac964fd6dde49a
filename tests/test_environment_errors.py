"""Environment problems get named errors with their own exit code, never "unexpected ... report
it": a ledger path that is a folder, a full or read-only data folder, invalid UTF-8 on stdin.
Each is found before a create, so nothing is paid."""

from __future__ import annotations

import errno
import os
import types
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from video_gen import paths
from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode

runner = CliRunner()


def run(*args: str, input: bytes | str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def assert_named(res: Any, code: ExitCode, *words: str) -> None:
    assert res.exit_code == code, (res.exit_code, res.stderr)
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "; fix: " in line, res.stderr
    assert "unexpected" not in line and "report it" not in line
    for word in words:
        assert word in line, line


def test_a_ledger_path_that_is_a_folder_is_named_and_costs_nothing(
    remote: EmulatorServer,
) -> None:
    paths.ledger_file().mkdir(parents=True)
    res = run("generate", "a boat", "-o", "out")
    assert_named(res, ExitCode.LOCAL_FILES, str(paths.ledger_file()), "is a folder")
    assert remote.stats.creates_received == 0
    assert_named(run("history"), ExitCode.LOCAL_FILES, "is a folder")
    assert_named(run("budget"), ExitCode.LOCAL_FILES, "is a folder")


def _failing_writes(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """The ledger's writes fail with ``code`` (a full disk; root ignores chmod)."""
    from video_gen.ledger import store

    def write(fd: int, data: Any) -> int:
        raise OSError(code, os.strerror(code))

    shim = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
    shim.write = write
    monkeypatch.setattr(store, "os", shim)


def test_a_full_data_folder_is_named_and_costs_nothing(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_writes(monkeypatch, errno.ENOSPC)
    res = run("generate", "a boat", "-o", "out")
    assert_named(res, ExitCode.LOCAL_FILES, "ledger.jsonl", "the disk is full")
    assert remote.stats.creates_received == 0


def test_a_read_only_data_folder_is_named_and_costs_nothing(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    if os.geteuid() == 0:
        _failing_writes(monkeypatch, errno.EROFS)
        words: tuple[str, ...] = ("ledger.jsonl", "read-only")
    else:  # pragma: no cover - a normal user: a real read-only folder
        paths.data_dir().mkdir(parents=True)
        paths.data_dir().chmod(0o555)
        words = ("permission denied",)
    res = run("generate", "a boat", "-o", "out")
    assert_named(res, ExitCode.LOCAL_FILES, *words)
    assert remote.stats.creates_received == 0


@pytest.mark.parametrize(
    ("args", "data", "words"),
    [
        (("generate", "-"), b"a boat \xff\xfe in the rain\n", ("the prompt (stdin), line 1",)),
        (("batch", "-"), b"a boat\nan owl \xe9t\xe9\n", ("the batch (stdin), line 2",)),
        (("film", "-"), b"a boat\n\xc3\n", ("the batch (stdin), line 2",)),
    ],
)
def test_invalid_utf8_on_stdin_is_a_usage_error_naming_the_line(
    remote: EmulatorServer, args: tuple[str, ...], data: bytes, words: tuple[str, ...]
) -> None:
    res = run(*args, "-o", "out", input=data)
    assert_named(res, ExitCode.USAGE, "not UTF-8 text", *words)
    assert remote.stats.creates_received == 0


def test_valid_utf8_on_stdin_still_works(remote: EmulatorServer) -> None:
    res = run("generate", "-", "-o", "out", input="un bateau été\n".encode())
    assert res.exit_code == 0, res.stderr
    from video_gen.ledger import Ledger

    assert Ledger().jobs()[0].prompt == "un bateau été"


def test_a_network_oserror_is_not_called_a_local_file_problem() -> None:
    from video_gen.cli.errors import local_files_error

    assert local_files_error(ConnectionResetError(errno.ECONNRESET, "reset")) is None
    assert local_files_error(PermissionError(errno.EACCES, "denied")) is None  # no file named
    named = local_files_error(PermissionError(errno.EACCES, "denied", "/x/ledger.jsonl"))
    assert named is not None and named.exit_code == ExitCode.LOCAL_FILES
