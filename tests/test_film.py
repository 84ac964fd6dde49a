"""`video-gen film` end to end: three clips (one with sound, two silent, different sizes and
frame rates) through the built-in emulator and through a `/v1/videos` server, joined into one
H.264 film that is decoded frame by frame here; re-runs pay nothing and give the same bytes;
Ctrl-C during the join leaves no half-written film.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

av = pytest.importorskip("av", reason="the film extra (PyAV) is part of the dev install")

runner = CliRunner()
WAN = "Wan-AI/Wan2.2-T2V-A14B-Diffusers"
LOOK = "Black-and-white 1920s silent slapstick film, grainy flicker, no dialogue, title cards."
FAST = ("--poll-interval", "0.1", "--output-dir", "clips")


def storyboard(path: Path, provider_of_wan: str | None = None) -> Path:
    """Clip 1: Sora (sound, 30 fps, landscape); clips 2 and 3: Wan (silent, 16 fps, 832x480
    and portrait 480x832)."""
    wan = {"provider": provider_of_wan} if provider_of_wan else {}
    lines = [
        {
            "name": "opening",
            "prompt": f'{LOOK} Title card: "demo". Intertitle: "RetryQueue: pushes again."',
            "seconds": 4,
            "model": "sora-2",
            "size": "1280x720",
        },
        {
            "name": "chase",
            "prompt": "The chase",
            "seconds": 3,
            "model": WAN,
            "size": "832x480",
            **wan,
        },
        {
            "name": "finale",
            "prompt": 'Finale. Intertitle: "Ledger: every job, recorded first."',
            "seconds": 2,
            "model": WAN,
            "size": "480x832",
            **wan,
        },
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode_all(path: Path) -> dict[str, Any]:
    """Every frame and sample decoded; FFmpeg's own error log captured (must stay empty)."""
    with av.logging.Capture() as logs, av.open(str(path)) as container:
        video = container.streams.video[0]
        info: dict[str, Any] = {
            "codec": video.codec_context.name,
            "size": (video.codec_context.width, video.codec_context.height),
            "rate": float(video.average_rate),
            "audio_streams": len(container.streams.audio),
        }
        frames = [f for f in container.decode(video=0)]
        info["frames"] = len(frames)
        info["corrupt"] = sum(1 for f in frames if getattr(f, "is_corrupt", False))
    with av.open(str(path)) as container:
        info["samples"] = sum(f.samples for f in container.decode(audio=0))
    info["errors"] = [entry for entry in logs if entry[0] <= av.logging.ERROR]
    return info


def clip_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)


def check_film(data: dict[str, Any], *, clips: int = 3) -> None:
    film = Path(data["file"])
    assert film.is_file() and film.name == "story.film.mp4"
    assert data["sha256"] == sha(film)
    info = decode_all(film)
    assert info["codec"] == "h264" and info["errors"] == [] and info["corrupt"] == 0
    assert info["size"] == (1280, 720) and info["rate"] == 24.0
    # the length is the clips plus the cards, to the frame
    cards = [p for p in data["parts"] if p["type"] == "card"]
    assert [c["kind"] for c in cards] == ["opening", "intertitle", "intertitle", "closing"]
    made = [Path(c["file"]) for c in data["clips"]]
    expected = sum(round(clip_seconds(f) * 24) for f in made) + sum(
        round(c["seconds"] * 24) for c in cards
    )
    assert info["frames"] == expected == round(data["duration_s"] * 24)
    assert [round(clip_seconds(f), 3) for f in made] == [4.0, 3.0, 2.0]
    # one continuous sound track as long as the picture (AAC pads its last frame: < 1024)
    assert info["audio_streams"] == 1
    assert 0 <= info["samples"] - expected * 2000 < 2048
    assert len(data["clips"]) == clips and all(c["job_id"] for c in data["clips"])
    assert data["cost_usd"] == pytest.approx(sum(c["cost_usd"] for c in data["clips"]))


def wan_price(home: Path, extra: str = "") -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        # Self-hosted open-weight models have no packaged price: a user states one.
        '[[prices]]\nprovider = "*"\nmodel = "Wan-AI/*"\nusd_per_second = 0.01\n' + extra
    )


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> list[EmulatorServer]:
    """Every emulator the built-in provider starts in this test (to read their counters)."""
    started: list[EmulatorServer] = []
    original = EmulatorServer.start

    def start(self: EmulatorServer) -> Any:
        started.append(self)
        return original(self)

    monkeypatch.setattr(EmulatorServer, "start", start)
    return started


def creates(servers: list[EmulatorServer]) -> int:
    return sum(s.stats.creates_received for s in servers)


def test_three_clips_through_the_built_in_emulator_make_one_film_and_a_rerun_pays_nothing(
    isolated_home: Path, tmp_path: Path, servers: list[EmulatorServer]
) -> None:
    wan_price(
        isolated_home,
        '[providers.wan]\nkind = "emulator"\nprofile = "vllm-omni"\njob_seconds = 0.4\n',
    )
    plan = storyboard(tmp_path / "story.jsonl", provider_of_wan="wan")
    first = runner.invoke(app, ["film", str(plan), "--provider", "emulator", *FAST, "--json"])
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    check_film(data)
    assert creates(servers) == 3
    assert {c["provider"] for c in data["clips"]} == {"emulator", "wan"}
    assert "joining 3 clip(s) and 4 card(s)" in first.stderr

    again = runner.invoke(app, ["film", str(plan), "--provider", "emulator", *FAST])
    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == data["file"]  # stdout is the film's path, nothing else
    assert creates(servers) == 3  # nothing created again
    assert sha(Path(data["file"])) == data["sha256"]  # the same bytes
    # each clip's job records the film it went into (the gallery reads it)
    jobs = Ledger().jobs(limit=None)
    events = [e for j in jobs for e in j.events if e["kind"] == "film"]
    assert len(events) == 6 and {e["sha256"] for e in events} == {data["sha256"]}


@pytest.fixture
def videos_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorServer]:
    """A /v1/videos server serving Sora and Wan (vLLM-Omni's shape), as the `openai` provider."""
    with EmulatorServer(job_seconds=0.4, profile="vllm-omni") as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", fake_key("test"))
        yield srv


def test_three_clips_through_a_v1_videos_server_and_the_same_film_again(
    isolated_home: Path, tmp_path: Path, videos_server: EmulatorServer
) -> None:
    wan_price(isolated_home)
    plan = storyboard(tmp_path / "story.jsonl")
    first = runner.invoke(app, ["film", str(plan), *FAST, "--json"])
    assert first.exit_code == 0, first.stderr
    data = json.loads(first.stdout)
    check_film(data)
    assert videos_server.stats.creates_received == 3
    film = Path(data["file"])
    film.unlink()  # even from nothing, the same clips give the same bytes
    again = runner.invoke(app, ["film", str(plan), *FAST, "--json"])
    assert again.exit_code == 0, again.stderr
    assert videos_server.stats.creates_received == 3
    assert json.loads(again.stdout)["sha256"] == data["sha256"] == sha(film)


def test_dry_run_shows_parts_length_and_cost_and_sends_nothing(
    isolated_home: Path, tmp_path: Path, videos_server: EmulatorServer
) -> None:
    wan_price(isolated_home)
    plan = storyboard(tmp_path / "story.jsonl")
    res = runner.invoke(app, ["film", str(plan), *FAST, "--dry-run"])
    assert res.exit_code == 0, res.stderr
    assert "opening card: demo" in res.stdout and "closing card: The End" in res.stdout
    assert "intertitle card: RetryQueue: pushes again." in res.stdout
    assert "expected length:" in res.stdout and "nothing was sent" in res.stdout
    assert "0.45 USD estimated" in res.stdout  # 4 s x 0.10 + 5 s x 0.01
    as_json = runner.invoke(app, ["film", str(plan), *FAST, "--dry-run", "--json"])
    film = json.loads(as_json.stdout)["film"]
    cards = sum(p["seconds"] for p in film["parts"] if p["type"] == "card")
    assert film["expected_seconds"] == pytest.approx(cards + 4 + 3 + 2)
    assert videos_server.stats.total_requests == 0
    assert not Path("clips").exists() or not list(Path("clips").glob("*.mp4"))


def test_without_pyav_the_command_names_the_install_line_before_paying(
    isolated_home: Path,
    tmp_path: Path,
    videos_server: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wan_price(isolated_home)
    plan = storyboard(tmp_path / "story.jsonl")
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` now raises ImportError
    res = runner.invoke(app, ["film", str(plan), *FAST])
    assert res.exit_code == ExitCode.MISSING_DEPENDENCY
    assert "pip install 'video-gen[film]'" in res.stderr
    assert videos_server.stats.total_requests == 0


def test_a_failed_clip_means_no_film_and_the_batch_exit_code(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with EmulatorServer(job_seconds=0.3, faults="fail=1") as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", fake_key("test"))
        plan = tmp_path / "story.txt"
        plan.write_text("one\ntwo\nthree\n")
        res = runner.invoke(app, ["film", str(plan), *FAST, "--seconds", "4"])
    assert res.exit_code == ExitCode.PARTIAL_FAILURE, res.stderr
    assert res.stdout == "" and "the film is joined once every clip is made" in res.stderr
    assert not list(Path("clips").glob("*.film.mp4"))


def _film_process(plan: Path, home: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "VIDEO_GEN_HOME": str(home),
        "VIDEO_GEN_EMULATOR_JOB_SECONDS": "0.3",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "video_gen", "film", str(plan), "--provider", "emulator", *FAST],
        cwd=plan.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt_during_join(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 90
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("joining "):
            time.sleep(0.3)  # well inside the join (a second or more of encoding)
            proc.send_signal(signal.SIGINT)
            break
        assert time.monotonic() < deadline, "".join(seen)
    _, rest = proc.communicate(timeout=60)
    return "".join(seen) + rest


def test_ctrl_c_during_the_join_leaves_no_half_written_film(
    isolated_home: Path, tmp_path: Path
) -> None:
    plan = tmp_path / "story.jsonl"
    plan.write_text(
        "".join(
            json.dumps({"name": f"s{i}", "prompt": f"scene {i}", "seconds": 12}) + "\n"
            for i in range(3)
        )
    )
    film = tmp_path / "clips" / "story.film.mp4"
    proc = _film_process(plan, isolated_home)
    log = _interrupt_during_join(proc)
    assert proc.returncode == ExitCode.INTERRUPTED, log
    assert not film.exists()  # nothing under the final name ...
    assert not [
        p for p in film.parent.iterdir() if p.name.startswith(".story.film")
    ]  # ... nor a temp

    done = _film_process(plan, isolated_home)
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    before = sha(film)

    again = _film_process(plan, isolated_home)
    log = _interrupt_during_join(again)
    assert again.returncode == ExitCode.INTERRUPTED, log
    assert sha(film) == before  # the earlier film, untouched
