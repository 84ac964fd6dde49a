"""The emulator's clips are real and each job's own: decodable, of the requested length and
size, the model's frame rate and sound; the packaged sample without PyAV."""

from __future__ import annotations

import hashlib
import io
import sys

import pytest
import requests

from video_gen.emulator import EmulatorServer, clips
from video_gen.emulator.content import asset_bytes

av = pytest.importorskip("av")
KEY = {"Authorization": "Bearer test-key"}
WAN = "Wan-AI/Wan2.2-T2V-A14B-Diffusers"


def make(srv: EmulatorServer, **fields: str) -> bytes:
    job = requests.post(f"{srv.base_url}/videos", headers=KEY, data=fields, timeout=10).json()
    assert "id" in job, job
    return requests.get(
        f"{srv.base_url}/videos/{job['id']}/content", headers=KEY, timeout=60
    ).content


def facts(data: bytes) -> dict[str, object]:
    with av.logging.Capture() as logs, av.open(io.BytesIO(data)) as c:
        v = c.streams.video[0]
        frames = list(c.decode(video=0))
        out: dict[str, object] = {
            "size": (v.codec_context.width, v.codec_context.height),
            "fps": float(v.average_rate),
            "seconds": float(v.duration * v.time_base),
            "frames": len(frames),
            "audio": len(c.streams.audio),
            "first": frames[0].to_image().tobytes(),
        }
    out["errors"] = [e for e in logs if e[0] <= av.logging.ERROR]
    return out


def test_each_job_gets_its_own_decodable_clip_of_the_requested_shape() -> None:
    with EmulatorServer(job_seconds=0, profile="vllm-omni") as srv:
        sora = facts(make(srv, prompt="A paper boat", model="sora-2", seconds="4", size="1280x720"))
        again = facts(
            make(srv, prompt="A paper boat", model="sora-2", seconds="4", size="1280x720")
        )
        wan = facts(make(srv, prompt="An owl", model=WAN, seconds="3", size="832x480"))
    assert sora["errors"] == wan["errors"] == []
    assert sora["size"] == (1280, 720) and sora["seconds"] == 4.0
    assert sora["fps"] == 30.0 and sora["frames"] == 120 and sora["audio"] == 1  # Sora: sound
    assert wan["size"] == (832, 480) and wan["seconds"] == 3.0
    assert wan["fps"] == 16.0 and wan["frames"] == 48 and wan["audio"] == 0  # Wan: silent
    assert sora["first"] != again["first"]  # same request, another job: another picture


def test_the_per_model_table_decides_sound_and_frame_rate() -> None:
    assert clips.media_for("sora-2-pro").audio and clips.media_for("google/veo-3.1").audio
    assert not clips.media_for(WAN).audio and clips.media_for(WAN).fps == 16
    assert clips.media_for("someone/unknown").fps == 24


def test_every_pattern_draws_at_any_size() -> None:
    seen = set()
    for i in range(64):
        job_id = f"video_{i}"
        seen.add(clips._palette(hashlib.sha256(job_id.encode()).digest())[2])
        for size in ((2, 2), (144, 256), (33, 17)):
            assert clips.picture(job_id, "a prompt with several words", *size).size == size
    assert seen == set(clips.PATTERNS)


def test_without_pyav_or_for_huge_requests_the_sample_is_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with EmulatorServer(job_seconds=0, profile="vllm-omni") as srv:
        huge = make(srv, prompt="p", model=WAN, seconds="600", size="832x480")
        assert huge == asset_bytes("video")
        monkeypatch.setitem(sys.modules, "av", None)
        assert make(srv, prompt="p", model=WAN, seconds="2", size="832x480") == asset_bytes("video")
