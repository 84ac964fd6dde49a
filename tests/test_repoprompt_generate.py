"""`prompt-from-repo --generate`: the storyboard rendered through batch, resumable, in budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

runner = CliRunner()


def make_repo(root: Path) -> Path:
    repo = root / "demo-repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\ndescription = "a demo"\n')
    (repo / "pkg" / "queue.py").write_text(
        "class RetryQueue:\n"
        "    def push(self, item):\n"
        "        try:\n            self.store(item)\n"
        "        except TimeoutError:\n            self.push(item)\n"
        "    def store(self, item):\n        raise TimeoutError\n"
    )
    return repo


def render(repo: Path, *extra: str) -> object:
    return runner.invoke(
        app,
        [
            "prompt-from-repo",
            str(repo),
            "--scenes",
            "2",
            "--seconds",
            "4",
            "--generate",
            "--output-dir",
            "clips",
            "--no-cache",
            *extra,
        ],
    )


def test_generate_renders_each_scene_and_a_rerun_pays_nothing(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path)
    first = render(repo)
    assert first.exit_code == 0, first.stderr
    videos = sorted((tmp_path / "clips").glob("*.mp4"))
    assert len(videos) == 2 and all(v.read_bytes()[4:8] == b"ftyp" for v in videos)
    assert remote.stats.creates_received == 2
    jobs = Ledger().jobs(limit=None)
    assert len(jobs) == 2 and {j.command for j in jobs} == {"batch"}
    assert all(j.batch_id for j in jobs)
    again = render(repo)
    assert again.exit_code == 0, again.stderr
    assert remote.stats.creates_received == 2  # same storyboard, same batch: resumed
    assert len(list((tmp_path / "clips").glob("*.mp4"))) == 2


def test_generate_dry_run_and_budget_refusal_spend_nothing(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path)
    dry = render(repo, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "0.80" in dry.stdout  # two 4 s clips at 0.10 USD/s
    assert runner.invoke(app, ["budget", "set", "--monthly", "0.5"]).exit_code == 0
    refused = render(repo)
    assert refused.exit_code == ExitCode.BUDGET_REFUSED, refused.stderr
    assert remote.stats.total_requests == 0


def test_generate_only_flags_need_generate(tmp_path: Path) -> None:
    res = runner.invoke(app, ["prompt-from-repo", str(make_repo(tmp_path)), "--dry-run"])
    assert res.exit_code == ExitCode.USAGE and "--generate" in res.stderr


def test_generate_film_joins_the_storyboard_into_one_film(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    import json

    av = pytest.importorskip("av")
    repo = make_repo(tmp_path)
    made = render(repo, "--film")
    assert made.exit_code == 0, made.stderr
    film = Path(made.stdout.strip())
    assert film.name.endswith(".film.mp4") and film.parent.resolve() == tmp_path / "clips"
    with av.open(str(film)) as c:
        frames = sum(1 for _ in c.decode(video=0))
    assert frames > 2 * 4 * 24  # two 4 s clips plus the cards
    assert remote.stats.creates_received == 2
    again = render(repo, "--film", "--dry-run")
    assert again.exit_code == 0 and "opening card" in again.stdout
    assert again.stdout.count("intertitle card") == 2  # the storyboard's cards between scenes
    assert "2 already done" not in again.stdout  # the dry run's table: skip, no spend
    assert remote.stats.creates_received == 2
    events = [e for j in Ledger().jobs(limit=None) for e in j.events if e["kind"] == "film"]
    assert len(events) == 2 and json.dumps(events[0]["style"]) == '"chaplin"'
