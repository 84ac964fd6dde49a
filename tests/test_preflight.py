"""Never pay for what fails locally: a bad name template, an output folder that cannot take the
video, or a disk too full for it is refused before any create, with its own exit code and a
one-line error naming the problem (never "unexpected ... report it", never a charge)."""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from typer.testing import CliRunner

from video_gen import preflight
from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()
PROMPT = "a paper boat sails down a rainy street"


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def assert_refused(res: Any, code: ExitCode, *words: str) -> None:
    assert res.exit_code == code, (res.exit_code, res.stderr)
    assert "unexpected" not in res.stderr and "report it" not in res.stderr
    assert "spent 0.00 USD" not in res.stderr + res.stdout
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "; fix: " in line, res.stderr
    for word in words:
        assert word in line, line


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("{n:03d}", "{n}"),  # one video has no {n} at all: refused as a batch-only field
        ("{seconds:d}", "{seconds:d}"),
        ("{model:03d}", "{model:03d}"),
        ("{date!z}", "{date!z}"),
        ("{colour}-{slug}", "colour"),
        ("{}", "positional"),
        ("{slug.__class__}", "{slug.__class__}"),
    ],
)
def test_a_template_that_cannot_be_filled_costs_nothing(
    remote: EmulatorServer, template: str, named: str
) -> None:
    res = run("generate", PROMPT, "--name", template, "-o", "out")
    assert_refused(res, ExitCode.USAGE, named)
    assert "{slug}" in res.stderr  # the valid fields are named
    assert remote.stats.creates_received == 0
    assert not Ledger().has_records()


def test_a_template_with_text_specs_still_works(remote: EmulatorServer) -> None:
    res = run("generate", PROMPT, "--name", "{model:_>8}-{slug:.10}", "-o", "out")
    assert res.exit_code == 0, res.stderr
    assert Path(res.stdout.strip()).name == "__sora-2-a-paper-bo.mp4"


def _file(tmp: Path) -> str:
    (tmp / "taken").write_text("not a folder")
    return "taken"


def _dangling(tmp: Path) -> str:
    os.symlink(tmp / "nowhere", tmp / "dangling")
    return "dangling"


def _under_a_file(tmp: Path) -> str:
    (tmp / "taken").write_text("not a folder")
    return "taken/videos"


class Case(NamedTuple):
    make: Callable[[Path], str]
    words: tuple[str, ...]


FOLDERS = {
    "proc": Case(lambda tmp: "/proc/nope", ("/proc/nope", "cannot create")),
    "file": Case(_file, ("taken", "is a file, not a folder")),
    "dangling": Case(_dangling, ("dangling", "dangling symlink")),
    "under-a-file": Case(_under_a_file, ("taken/videos", "cannot create")),
}


@pytest.mark.parametrize("case", list(FOLDERS))
def test_generate_into_a_folder_that_cannot_take_the_video_costs_nothing(
    remote: EmulatorServer, tmp_path: Path, case: str
) -> None:
    folder = FOLDERS[case].make(tmp_path)
    res = run("generate", PROMPT, "-o", folder)
    assert_refused(res, ExitCode.LOCAL_FILES, *FOLDERS[case].words)
    assert remote.stats.creates_received == 0
    assert not Ledger().has_records()


def _deny_writes_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """A read-only folder (chmod is not enough when the tests run as root)."""
    real = preflight.tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        if Path(kwargs.get("dir", "")).resolve() == folder.resolve():
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, **kwargs)

    monkeypatch.setattr(preflight.tempfile, "mkstemp", mkstemp)


def test_a_read_only_output_folder_costs_nothing(
    remote: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:
        _deny_writes_in(monkeypatch, ro)
    res = run("generate", PROMPT, "-o", "ro")
    assert_refused(res, ExitCode.LOCAL_FILES, "cannot write in the output folder ro")
    assert remote.stats.creates_received == 0
    assert list(ro.iterdir()) == []


def test_a_missing_output_folder_is_created_and_no_probe_file_is_left(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    res = run("generate", PROMPT, "-o", "new/deeper")
    assert res.exit_code == 0, res.stderr
    names = [p.name for p in (tmp_path / "new" / "deeper").iterdir()]
    assert len(names) == 1 and names[0].endswith(".mp4")


def _full_disk(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    usage = shutil.disk_usage(".")
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda p: usage._replace(free=free))


def test_a_full_disk_costs_nothing(remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _full_disk(monkeypatch, 3_000_000)
    res = run("generate", PROMPT, "-o", "out")
    assert_refused(res, ExitCode.LOCAL_FILES, "not enough free disk space", "3.0 MB free")
    assert remote.stats.creates_received == 0
    assert not Ledger().has_records()


def test_the_size_estimate_is_generous_and_grows_with_the_clip() -> None:
    from video_gen.types import GenerationRequest

    small = GenerationRequest(prompt="x", model="sora-2", seconds=4, size="720x1280")
    big = GenerationRequest(prompt="x", model="sora-2-pro", seconds=12, size="1792x1024")
    # A real 4 s 720p Sora clip is about 1-3 MB: the estimate must never be below that.
    assert preflight.expected_bytes(small) >= 3_000_000
    assert preflight.expected_bytes(big) > 5 * preflight.expected_bytes(small)


# -- batch, film, prompt-from-repo ---------------------------------------------------------------
def test_batch_into_a_file_costs_nothing_and_reports_no_spend(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    Path("prompts.txt").write_text("a paper boat\nan owl at night\n")
    _file(tmp_path)
    res = run("batch", "prompts.txt", "-o", "taken")
    assert_refused(res, ExitCode.LOCAL_FILES, "taken", "is a file")
    assert remote.stats.creates_received == 0
    assert not Ledger().has_records()


def test_batch_with_a_manifest_folder_that_cannot_be_made_costs_nothing(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    Path("prompts.txt").write_text("a paper boat\nan owl at night\n")
    _file(tmp_path)
    res = run("batch", "prompts.txt", "-o", "out", "--manifest", "taken/m.json")
    assert_refused(res, ExitCode.LOCAL_FILES, "manifest's folder taken")
    assert remote.stats.creates_received == 0
    assert not Ledger().has_records()


@pytest.mark.parametrize("template", ["{n:03d}", "{seconds:d}", "{name!z}"])
def test_batch_with_a_template_that_cannot_be_filled_costs_nothing(
    remote: EmulatorServer, template: str
) -> None:
    Path("prompts.txt").write_text("a paper boat\nan owl at night\n")
    res = run("batch", "prompts.txt", "-o", "out", "--name", template)
    assert_refused(res, ExitCode.USAGE, template)
    assert remote.stats.creates_received == 0


def test_batch_counts_every_new_video_against_the_free_space(
    remote: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from video_gen.types import GenerationRequest

    one = preflight.expected_bytes(
        GenerationRequest(prompt="x", model="sora-2", seconds=4, size="720x1280")
    )
    # Room for one video (and the margin), not for three.
    _full_disk(monkeypatch, one + preflight.MARGIN_BYTES + 1)
    Path("prompts.txt").write_text("a paper boat\nan owl at night\na fox\n")
    res = run("batch", "prompts.txt", "-o", "out")
    assert_refused(res, ExitCode.LOCAL_FILES, "not enough free disk space", "3 new videos")
    assert remote.stats.creates_received == 0


def test_film_into_a_file_costs_nothing(remote: EmulatorServer, tmp_path: Path) -> None:
    pytest.importorskip("av")
    Path("story.txt").write_text("a paper boat\nan owl at night\n")
    _file(tmp_path)
    res = run("film", "story.txt", "-o", "taken")
    assert_refused(res, ExitCode.LOCAL_FILES, "taken", "is a file")
    assert remote.stats.creates_received == 0


def test_remix_into_a_file_costs_nothing(remote: EmulatorServer, tmp_path: Path) -> None:
    made = run("generate", PROMPT, "-o", "out", "--json")
    assert made.exit_code == 0, made.stderr
    import json

    job_id = json.loads(made.stdout)["job_id"]
    _file(tmp_path)
    res = run("remix", job_id, "make it night", "-o", "taken")
    assert_refused(res, ExitCode.LOCAL_FILES, "taken", "is a file")
    assert remote.stats.creates_received == 1  # only the first generate


def _repo(root: Path) -> Path:
    repo = root / "demo-repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\ndescription = "a demo"\n')
    (repo / "pkg" / "queue.py").write_text(
        "class RetryQueue:\n    def push(self, item):\n        return self.store(item)\n"
    )
    return repo


def test_prompt_from_repo_generate_into_a_file_costs_nothing(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    repo = _repo(tmp_path)
    _file(tmp_path)
    res = run(
        "prompt-from-repo", str(repo), "--scenes", "2", "--seconds", "4", "--generate",
        "--output-dir", "taken", "--no-cache",
    )  # fmt: skip
    assert_refused(res, ExitCode.LOCAL_FILES, "taken", "is a file")
    assert remote.stats.creates_received == 0


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda tmp: (tmp / "film.mp4").mkdir() or "film.mp4", ("film.mp4 is a folder",)),
        (lambda tmp: _file(tmp) + "/film.mp4", ("film's folder taken", "--out")),
    ],
)
def test_film_whose_file_cannot_be_written_costs_nothing(
    remote: EmulatorServer, tmp_path: Path, make: Callable[[Path], str], words: tuple[str, ...]
) -> None:
    pytest.importorskip("av")
    Path("story.txt").write_text("a paper boat\nan owl at night\n")
    res = run("film", "story.txt", "-o", "out", "--out", make(tmp_path))
    assert_refused(res, ExitCode.LOCAL_FILES, *words)
    assert remote.stats.creates_received == 0


# Not /proc/nope: without trying to create it, /proc looks writable to root (the real run
# refuses it, above).
@pytest.mark.parametrize("case", ["file", "dangling", "under-a-file"])
def test_a_dry_run_into_a_folder_the_run_would_refuse_exits_13_and_makes_nothing(
    remote: EmulatorServer, tmp_path: Path, case: str
) -> None:
    folder = FOLDERS[case].make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    res = run("generate", PROMPT, "-o", folder, "--dry-run")
    assert_refused(res, ExitCode.LOCAL_FILES, folder)
    Path("p.txt").write_text("a boat\n")
    res = run("batch", "p.txt", "-o", folder, "--dry-run")
    assert_refused(res, ExitCode.LOCAL_FILES, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "p.txt"])
    assert remote.stats.total_requests == 0


def test_a_dry_run_into_a_missing_folder_is_fine_and_creates_nothing(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    res = run("generate", PROMPT, "-o", "new/deeper", "--dry-run")
    assert res.exit_code == 0, res.stderr
    assert not (tmp_path / "new").exists()


def test_batch_with_a_manifest_that_is_a_folder_costs_nothing(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    Path("prompts.txt").write_text("a paper boat\n")
    (tmp_path / "m.json").mkdir()
    res = run("batch", "prompts.txt", "-o", "out", "--manifest", "m.json")
    assert_refused(res, ExitCode.LOCAL_FILES, "manifest m.json is a folder")
    assert remote.stats.creates_received == 0
