"""`film --chain`: clips made in order, each starting from the previous clip's last frame
(fitted to its size, never stretched); refused on a model that takes no image."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest
from fakekeys import fake_key
from typer.testing import CliRunner

from video_gen.cli import app
from video_gen.emulator import EmulatorServer
from video_gen.exit_codes import ExitCode
from video_gen.ledger import Ledger

pytest.importorskip("av")
runner = CliRunner()
FAST = ("--poll-interval", "0.1", "--output-dir", "clips")


def plan(path: Path) -> Path:
    sizes = ["1280x720", "720x1280", "720x1280"]
    path.write_text(
        "".join(
            json.dumps({"name": f"s{i + 1}", "prompt": f"scene {i + 1}", "seconds": 4, "size": s})
            + "\n"
            for i, s in enumerate(sizes)
        )
    )
    return path


def png(image: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # type: ignore[attr-defined]
    return buffer.getvalue()


def test_chain_feeds_each_clip_the_last_frame_before_it(
    remote: EmulatorServer, tmp_path: Path
) -> None:
    from video_gen.film.chain import fitted, last_frame

    story = plan(tmp_path / "story.jsonl")
    res = runner.invoke(app, ["film", str(story), "--chain", *FAST, "--json"])
    assert res.exit_code == 0, res.stderr
    assert "made one after another" in res.stderr
    data = json.loads(res.stdout)
    assert Path(data["file"]).is_file() and data["chain"] is True
    assert remote.stats.creates_received == 3
    jobs = {j.item_key: j for j in Ledger().jobs(limit=None)}
    ordered = sorted(jobs.values(), key=lambda j: j.created_at)
    # sequential: each clip was created after the one before it had completed
    for before, after in itertools.pairwise(ordered):
        done = next(e for e in before.events if e["kind"] == "completed")
        assert after.created_at >= datetime.fromisoformat(done["ts"].replace("Z", "+00:00"))
    assert "input_reference" not in ordered[0].params
    served = [j for j in remote.jobs]
    assert [j.has_reference for j in served] == [False, True, True]
    clips = [Path(c["file"]) for c in data["clips"]]
    for index in (1, 2):
        reference = Path(ordered[index].params["input_reference"])
        expected = fitted(last_frame(clips[index - 1]), 720, 1280, "letterbox")
        assert reference.read_bytes() == png(expected)
    # the landscape frame was letterboxed into the portrait clip, not stretched
    from PIL import Image

    first_ref = Image.open(Path(ordered[1].params["input_reference"]))
    assert first_ref.size == (720, 1280) and max(first_ref.getpixel((360, 5))) < 10

    again = runner.invoke(app, ["film", str(story), "--chain", *FAST, "--json"])
    assert again.exit_code == 0, again.stderr
    assert remote.stats.creates_received == 3  # the same references: every clip resumed
    assert json.loads(again.stdout)["sha256"] == data["sha256"]
    assert hashlib.sha256(Path(data["file"]).read_bytes()).hexdigest() == data["sha256"]


def test_chain_is_refused_on_a_model_that_takes_no_image(
    remote: EmulatorServer, isolated_home: Path, tmp_path: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(
        '[providers.noimg]\nkind = "openai-videos"\nbase_url = "'
        + remote.base_url
        + f'"\napi_key = "{fake_key("noimg")}"\n'
        '[providers.noimg.models."sora-2"]\nseconds = [4]\n'
        'sizes = ["1280x720", "720x1280"]\ninput_reference = false\n'
        '[[prices]]\nprovider = "*"\nmodel = "sora-2"\nusd_per_second = 0.1\n'
    )
    story = plan(tmp_path / "story.jsonl")
    res = runner.invoke(app, ["film", str(story), "--chain", "--provider", "noimg", *FAST])
    assert res.exit_code == ExitCode.USAGE, res.stderr
    assert "takes no reference image" in res.stderr and "drop --chain" in res.stderr
    assert remote.stats.total_requests == 0
